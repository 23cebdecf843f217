/* Unit tests for stdlib/url.c: split_url, normalize_url, file_ext. */
#include "stdlib-test.h"

#include "stdlib-int.h"

static struct spu_call c;

static void setup(void)
{
    c = call_ctx(0);
}

static void teardown(void)
{
    spu_arena_free(c.scratch);
}

TestSuite(url, .init = setup, .fini = teardown);

Test(url, field_indexes_match_records_def)
{
    cr_assert_eq(rec_field(SPU_REC_url, "scheme"), SPU_URL_SCHEME);
    cr_assert_eq(rec_field(SPU_REC_url, "host"), SPU_URL_HOST);
    cr_assert_eq(rec_field(SPU_REC_url, "port"), SPU_URL_PORT);
    cr_assert_eq(rec_field(SPU_REC_url, "path"), SPU_URL_PATH);
    cr_assert_eq(rec_field(SPU_REC_url, "directory"), SPU_URL_DIRECTORY);
    cr_assert_eq(rec_field(SPU_REC_url, "filename"), SPU_URL_FILENAME);
    cr_assert_eq(rec_field(SPU_REC_url, "ext"), SPU_URL_EXT);
    cr_assert_eq(rec_field(SPU_REC_url, "query"), SPU_URL_QUERY);
    cr_assert_eq(rec_field(SPU_REC_url, "params"), SPU_URL_PARAMS);
    cr_assert_eq(rec_field(SPU_REC_url, "fragment"), SPU_URL_FRAGMENT);
    cr_assert_eq(rec_field(SPU_REC_param, "name"), SPU_PARAM_NAME);
    cr_assert_eq(rec_field(SPU_REC_param, "value"), SPU_PARAM_VALUE);
}

/* Expected url fields; NULL means null. */
struct ucase {
    const char *in;
    const char *scheme, *host;
    int64_t port;
    const char *path, *dir, *file, *ext, *query, *frag;
    unsigned nparams;
};

static void check_opt(struct spu_value v, const char *want)
{
    cr_assert_eq(v.type, want ? SPU_T_STR : SPU_T_NULL);
    cr_assert(!want || v_is_str(v, want, strlen(want)), "expected %s, got %.*s", want,
              (int)v.len, (const char *)v.u.s);
}

Test(url, split_url)
{
    static const struct ucase cases[] = {
        {"http://user:pw@Example.COM:8080/a/b/file.tar.gz?x=1&y=%41+b#frag", "http",
         "example.com", 8080, "/a/b/file.tar.gz", "/a/b/", "file.tar.gz", "gz", "x=1&y=%41+b",
         "frag", 2},
        {"/cgi-bin/test.cgi?cmd=ls", NULL, NULL, 0, "/cgi-bin/test.cgi", "/cgi-bin/", "test.cgi",
         "cgi", "cmd=ls", NULL, 1},
        {"/", NULL, NULL, 0, "/", "/", "", NULL, NULL, NULL, 0},
        {"/dir/", NULL, NULL, 0, "/dir/", "/dir/", "", NULL, NULL, NULL, 0},
        {"/a.b/c", NULL, NULL, 0, "/a.b/c", "/a.b/", "c", NULL, NULL, NULL, 0},
        {"/x.", NULL, NULL, 0, "/x.", "/", "x.", "", NULL, NULL, 0},
        {"/.htaccess", NULL, NULL, 0, "/.htaccess", "/", ".htaccess", "htaccess", NULL, NULL, 0},
        {"/Setup.EXE", NULL, NULL, 0, "/Setup.EXE", "/", "Setup.EXE", "EXE", NULL, NULL, 0},
        {"/p?", NULL, NULL, 0, "/p", "/", "p", NULL, "", NULL, 0},
        {"/p?a#b?c", NULL, NULL, 0, "/p", "/", "p", NULL, "a", "b?c", 1},
        {"/p#f?notquery", NULL, NULL, 0, "/p", "/", "p", NULL, NULL, "f?notquery", 0},
        {"HTTPS://h", "https", "h", 0, "/", "/", "", NULL, NULL, NULL, 0},
        {"http://h?q=1", "http", "h", 0, "/", "/", "", NULL, "q=1", NULL, 1},
        {"http://[2001:db8::1]:443/x", "http", "[2001:db8::1]", 443, "/x", "/", "x", NULL, NULL,
         NULL, 0},
        {"http://h:99999/", "http", "h", 0, "/", "/", "", NULL, NULL, NULL, 0},
        {"http://h:8x/", "http", "h", 0, "/", "/", "", NULL, NULL, NULL, 0},
        {"example.com:443", NULL, "example.com", 443, NULL, NULL, NULL, NULL, NULL, NULL, 0},
        {"*", NULL, NULL, 0, "*", "", "*", NULL, NULL, NULL, 0},
        {"//etc/passwd", NULL, NULL, 0, "//etc/passwd", "//etc/", "passwd", NULL, NULL, NULL, 0},
        {"rel/x.php", NULL, NULL, 0, "rel/x.php", "rel/", "x.php", "php", NULL, NULL, 0},
        {"mailto:a@b", NULL, NULL, 0, "mailto:a@b", "", "mailto:a@b", NULL, NULL, NULL, 0},
        {"", NULL, NULL, 0, "", "", "", NULL, NULL, NULL, 0},
        {"http:/x", NULL, NULL, 0, "http:/x", "http:/", "x", NULL, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ucase *u = &cases[i];
        struct spu_value r = CALL(&c, split_url, S(u->in));
        check_opt(rec_slot(r, SPU_URL_SCHEME), u->scheme);
        check_opt(rec_slot(r, SPU_URL_HOST), u->host);
        assert_int(rec_slot(r, SPU_URL_PORT), u->port);
        check_opt(rec_slot(r, SPU_URL_PATH), u->path);
        check_opt(rec_slot(r, SPU_URL_DIRECTORY), u->dir);
        check_opt(rec_slot(r, SPU_URL_FILENAME), u->file);
        check_opt(rec_slot(r, SPU_URL_EXT), u->ext);
        check_opt(rec_slot(r, SPU_URL_QUERY), u->query);
        check_opt(rec_slot(r, SPU_URL_FRAGMENT), u->frag);
        struct spu_value p = rec_slot(r, SPU_URL_PARAMS);
        cr_assert_eq(p.type, u->query ? SPU_T_ARR : SPU_T_NULL, "case %zu", i);
        cr_assert_eq(p.type == SPU_T_ARR ? p.u.arr->n : 0, u->nparams, "case %zu", i);
    }
}

Test(url, params_are_decoded_maps)
{
    struct spu_value r = CALL(&c, split_url, S("/s?q=a%20b+c&&flag&k=v=w&%3D=%26"));
    struct spu_value p = rec_slot(r, SPU_URL_PARAMS);
    cr_assert_eq(arr_len(p), 4);
    assert_str(rec_slot(arr_at(p, 0), SPU_PARAM_NAME), "q");
    assert_str(rec_slot(arr_at(p, 0), SPU_PARAM_VALUE), "a b c");
    assert_str(rec_slot(arr_at(p, 1), SPU_PARAM_NAME), "flag");
    assert_str(rec_slot(arr_at(p, 1), SPU_PARAM_VALUE), "");
    assert_str(rec_slot(arr_at(p, 2), SPU_PARAM_VALUE), "v=w");
    assert_str(rec_slot(arr_at(p, 3), SPU_PARAM_NAME), "=");
    assert_str(rec_slot(arr_at(p, 3), SPU_PARAM_VALUE), "&");
    /* url.params["q"] works through the map lookup */
    struct spu_value q = spu_map_get(p.u.arr, (const uint8_t *)"Q", 1);
    assert_str(q, "a b c");
}

Test(url, normalize_url)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"/a/b/../c", "/a/c"},
        {"/a/./b/", "/a/b/"},
        {"/../../etc/passwd", "/etc/passwd"},
        {"/a/b/..", "/a/"},
        {"/a/b/.", "/a/b/"},
        {"/a//b///c", "/a/b/c"},
        {"/a\\b\\..\\c", "/a/c"},
        {"/%2e%2e/%2E%2E/etc/passwd", "/etc/passwd"},
        {"/scripts/..%2f..%2fwinnt/system32/cmd.exe", "/winnt/system32/cmd.exe"},
        {"/scripts/..%5c..%5cwinnt", "/winnt"},
        {"/a/.%2e/b", "/b"},
        {"/%252e%252e/x", "/%252e%252e/x"},     /* one decoding pass */
        {"/%41%7e%2d", "/A~-"},
        {"/a%20b", "/a%20b"},                   /* space stays encoded */
        {"/a%2fb", "/a/b"},
        {"/%c0%af", "/%C0%AF"},                 /* overlong UTF-8 stays encoded */
        {"/%00", "/%00"},
        {"/%3F%23%25", "/%3F%23%25"},
        {"/%zz/%4", "/%zz/%4"},
        {"/x?a=%41%2f%20&b=..", "/x?a=A%2F%20&b=.."},
        {"HTTP://User@Example.COM:80/a/../b#frag", "http://User@example.com:80/b"},
        {"http://h", "http://h/"},
        {"example.com:443", "example.com:443"},
        {"a/../../b", "/b"},                     /* RFC 3986 5.2.4 as written */
        {"./a", "a"},
        {"..", ""},
        {"", ""},
        {"*", "*"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_str(CALL(&c, normalize_url, S(cases[i].in)), cases[i].out);
    assert_null(CALL(&c, normalize_url, spu_v_null()));
}

Test(url, file_ext)
{
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"report.PDF", "pdf"},  {"a.tar.gz", "gz"},      {"evil.exe. ", "exe"},
        {"evil.exe...", "exe"}, {"C:\\x.y\\file", NULL}, {"dir.d/file", NULL},
        {"dir/file.Js", "js"},  {"noext", NULL},         {".bashrc", "bashrc"},
        {"", NULL},             {".", NULL},             {"x.", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_opt(CALL(&c, file_ext, S(cases[i].in)), cases[i].out);
    assert_null(CALL(&c, file_ext, spu_v_null()));
}

Test(url, hostile_prefixes)
{
    static const char in[] = "HTTP://u@[::1]:8/a/%2e%2E/b\\..//c.d?x=%4&y=+#f";
    for (size_t cut = 0; cut <= sizeof(in) - 1; cut++) {
        char *p = malloc(cut ? cut : 1);
        memcpy(p, in, cut);
        CALL(&c, split_url, SN(p, cut));
        CALL(&c, normalize_url, SN(p, cut));
        CALL(&c, file_ext, SN(p, cut));
        free(p);
    }
}
