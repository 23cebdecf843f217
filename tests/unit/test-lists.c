/* Unit tests for stdlib/lists.c, list-str.c, list-ip.c, list-re.c: string,
 * ip and regex sets, list files (with errors), and the per-bundle container
 * with atomic replacement. */
#include "stdlib-test.h"

#include "lists.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static struct spu_arena *arena;
static char dir[64];

static void setup(void)
{
    arena = spu_arena_new(0, 0);
    /* mkdtemp's template: the prefix, then six 'X' it replaces */
    strcpy(dir, "/tmp/spu-test-lists-");
    memset(dir + strlen(dir), 'X', 6);
    dir[sizeof("/tmp/spu-test-lists-") - 1 + 6] = '\0';
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    spu_arena_free(arena);
    rmdir(dir);
}

TestSuite(lists, .init = setup, .fini = teardown);

static struct spu_listset *mk(unsigned kind, unsigned flags)
{
    struct spu_error err;
    struct spu_listset *s = spu_listset_new(kind, flags, &err);
    cr_assert_not_null(s, "%s", err.msg);
    return s;
}

static void seal(struct spu_listset *s)
{
    struct spu_error err;
    cr_assert_eq(spu_listset_seal(s, &err), SPU_OK, "%s", err.msg);
}

static int has(const struct spu_listset *s, struct spu_value v)
{
    return spu_listset_has(s, &v);
}

/* Write `text` to a file in the test directory; returns its path (static
 * buffer of the caller). */
static void write_file(char *path, size_t cap, const char *name, const char *text, size_t n)
{
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(text, 1, n, f), n);
    fclose(f);
}

Test(lists, new_rejects_unknown_kinds)
{
    struct spu_error err;
    cr_assert_null(spu_listset_new(0, 0, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    cr_assert_null(spu_listset_new(99, 0, NULL));
    spu_listset_free(NULL);
    spu_lists_free(NULL);
}

Test(lists, string_sets)
{
    struct spu_listset *s = mk(SPU_LIST_STR, 0);
    static const char *const items[] = {"exe", "pl", "cgi", "sh", "", "exe"};
    for (size_t i = 0; i < 6; i++)
        cr_assert_eq(spu_listset_add_str(s, items[i], strlen(items[i])), SPU_OK);
    cr_assert_eq(spu_listset_add_str(s, "a\0b", 3), SPU_OK);
    cr_assert_eq(spu_listset_has(s, &(struct spu_value){.type = SPU_T_STR}), SPU_ESTATE);
    seal(s);
    cr_assert_eq(spu_listset_size(s), 6);
    cr_assert_eq(spu_listset_kind(s), SPU_LIST_STR);
    cr_assert_eq(has(s, S("exe")), 1);
    cr_assert_eq(has(s, S("EXE")), 0);
    cr_assert_eq(has(s, S("")), 1);
    cr_assert_eq(has(s, S("ex")), 0);
    cr_assert_eq(has(s, SN("a\0b", 3)), 1);
    cr_assert_eq(has(s, S("a")), 0);
    cr_assert_eq(has(s, spu_v_null()), 0);
    cr_assert_eq(has(s, spu_v_int(1)), 0);
    /* adding to a sealed set is refused */
    cr_assert_eq(spu_listset_add_str(s, "x", 1), SPU_ESTATE);
    spu_listset_free(s);

    s = mk(SPU_LIST_STR, SPU_LISTF_NOCASE);
    cr_assert_eq(spu_listset_add_str(s, "Evil.Example", 12), SPU_OK);
    cr_assert_eq(spu_listset_add_str(s, "EVIL.example", 12), SPU_OK); /* the same item */
    seal(s);
    cr_assert_eq(spu_listset_size(s), 1);
    cr_assert_eq(has(s, S("evil.EXAMPLE")), 1);
    cr_assert_eq(has(s, S("evil.example.")), 0);
    spu_listset_free(s);
}

Test(lists, many_strings)
{
    struct spu_listset *s = mk(SPU_LIST_STR, 0);
    char buf[32];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof(buf), "host-%d.example", i);
        cr_assert_eq(spu_listset_add_str(s, buf, (size_t)n), SPU_OK);
    }
    seal(s);
    cr_assert_eq(spu_listset_size(s), 20000);
    int found = 0, absent = 0;
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(buf, sizeof(buf), "host-%d.example", i);
        found += has(s, SN(buf, (size_t)n));
        n = snprintf(buf, sizeof(buf), "host-%d.example", i + 20000);
        absent += has(s, SN(buf, (size_t)n));
    }
    cr_assert_eq(found, 20000);
    cr_assert_eq(absent, 0);
    spu_listset_free(s);
}

Test(lists, ip_sets)
{
    struct spu_listset *s = mk(SPU_LIST_IP, 0);
    static const char *const blocks[] = {"10.0.0.0/8",      "192.0.2.1",      "192.0.2.3",
                                         "198.51.100.0/25", "198.51.100.128/25",
                                         "2001:db8::/32",   "::1"};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        struct spu_value v = T_IP(arena, blocks[i]);
        cr_assert_eq(spu_listset_add_ip(s, v.u.s, v.aux, v.len), SPU_OK);
    }
    uint8_t ip[16] = {0};
    cr_assert_eq(spu_listset_add_ip(s, ip, 4, 33), SPU_EINVAL);
    cr_assert_eq(spu_listset_add_ip(s, ip, 5, 8), SPU_EINVAL);
    cr_assert_eq(spu_listset_add_str(s, "x", 1), SPU_EINVAL);
    seal(s);
    cr_assert_eq(spu_listset_size(s), 7);
    static const struct {
        const char *ip;
        int in;
    } cases[] = {
        {"10.1.2.3", 1},       {"10.255.255.255", 1}, {"11.0.0.0", 0},
        {"9.255.255.255", 0},  {"192.0.2.1", 1},      {"192.0.2.2", 0},
        {"192.0.2.3", 1},      {"10.20.0.0/16", 1},   {"10.0.0.0/7", 0},
        {"198.51.100.0/24", 1}, /* two halves merged */
        {"198.51.100.255", 1}, {"2001:db8:1::5", 1},  {"2001:db9::", 0},
        {"::1", 1},            {"::2", 0},            {"::ffff:10.0.0.1", 1}, /* mapped form */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cr_assert_eq(has(s, T_IP(arena, cases[i].ip)), cases[i].in, "%s", cases[i].ip);
        cr_assert_eq(has(s, S(cases[i].ip)), cases[i].in, "text %s", cases[i].ip);
    }
    cr_assert_eq(has(s, S("not an address")), 0);
    cr_assert_eq(has(s, SN("10.0.0.1\0", 9)), 0);
    cr_assert_eq(has(s, S("")), 0);
    spu_listset_free(s);

    s = mk(SPU_LIST_IP, 0);
    struct spu_value all = T_IP(arena, "::/0");
    cr_assert_eq(spu_listset_add_ip(s, all.u.s, all.aux, all.len), SPU_OK);
    seal(s);
    cr_assert_eq(has(s, T_IP(arena, "203.0.113.9")), 1);
    cr_assert_eq(has(s, T_IP(arena, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")), 1);
    spu_listset_free(s);

    s = mk(SPU_LIST_IP, 0);
    seal(s);
    cr_assert_eq(has(s, T_IP(arena, "10.0.0.1")), 0);
    spu_listset_free(s);
}

Test(lists, ip_values_in_string_sets_use_their_text)
{
    struct spu_listset *s = mk(SPU_LIST_STR, 0);
    spu_listset_add_str(s, "192.0.2.1", 9);
    spu_listset_add_str(s, "10.0.0.0/8", 10);
    seal(s);
    cr_assert_eq(has(s, T_IP(arena, "192.0.2.1")), 1);
    cr_assert_eq(has(s, T_IP(arena, "10.0.0.0/8")), 1);
    cr_assert_eq(has(s, T_IP(arena, "10.0.0.1")), 0);
    spu_listset_free(s);
}

Test(lists, regex_sets)
{
    struct spu_error err;
    struct spu_listset *s = mk(SPU_LIST_REGEX, 0);
    cr_assert_eq(spu_listset_add_regex(s, "sqlmap", 6, 0, &err), SPU_OK);
    cr_assert_eq(spu_listset_add_regex(s, "^nikto/[0-9]", 12, SPU_RE_I, &err), SPU_OK);
    cr_assert_eq(spu_listset_add_regex(s, "a.b", 3, SPU_RE_S, &err), SPU_OK);
    cr_assert_eq(spu_listset_add_regex(s, "(unclosed", 9, 0, &err), SPU_EPARSE);
    cr_assert(strstr(err.msg, "(unclosed") != NULL, "%s", err.msg);
    seal(s);
    cr_assert_eq(spu_listset_size(s), 3);
    cr_assert_eq(has(s, S("Mozilla sqlmap/1.0")), 1);
    cr_assert_eq(has(s, S("SQLMAP")), 0);
    cr_assert_eq(has(s, S("NIKTO/2.1")), 1);
    cr_assert_eq(has(s, S("x nikto/2.1")), 0);
    cr_assert_eq(has(s, S("a\nb")), 1);
    cr_assert_eq(has(s, S("curl")), 0);
    cr_assert_eq(has(s, SN("x\0sqlmap", 8)), 1);
    spu_listset_free(s);

    s = mk(SPU_LIST_REGEX, SPU_LISTF_NOCASE);
    cr_assert_eq(spu_listset_add_regex(s, "sqlmap", 6, 0, &err), SPU_OK);
    struct spu_value pat = S("^10\\.");
    cr_assert_eq(spu_listset_add_value(s, &pat, &err), SPU_OK);
    seal(s);
    cr_assert_eq(has(s, S("SQLMap")), 1);
    cr_assert_eq(has(s, T_IP(arena, "10.9.8.7")), 1);
    spu_listset_free(s);
}

Test(lists, regex_work_is_bounded)
{
    struct spu_error err;
    struct spu_listset *s = mk(SPU_LIST_REGEX, 0);
    cr_assert_eq(spu_listset_add_regex(s, "^(a+)+$", 7, 0, &err), SPU_OK);
    seal(s);
    char in[64];
    memset(in, 'a', sizeof(in));
    in[63] = 'b';
    /* exponential backtracking stops at the match limit: not a match */
    cr_assert_eq(has(s, SN(in, sizeof(in))), 0);
    spu_listset_free(s);
}

Test(lists, add_value_checks_kinds)
{
    struct spu_error err;
    struct spu_listset *s = mk(SPU_LIST_IP, 0);
    struct spu_value str = S("10.0.0.1");
    cr_assert_eq(spu_listset_add_value(s, &str, &err), SPU_EINVAL);
    cr_assert(strstr(err.msg, "ip list") != NULL, "%s", err.msg);
    struct spu_value ip = T_IP(arena, "10.0.0.0/8");
    cr_assert_eq(spu_listset_add_value(s, &ip, &err), SPU_OK);
    seal(s);
    cr_assert_eq(spu_listset_add_value(s, &ip, &err), SPU_ESTATE);
    spu_listset_free(s);
}

Test(lists, text_entries)
{
    struct spu_error err;
    struct spu_listset *s = mk(SPU_LIST_IP, 0);
    cr_assert_eq(spu_listset_add_text(s, "192.0.2.0/24 # documentation", 28, &err), SPU_OK);
    cr_assert_eq(spu_listset_add_text(s, "2001:db8::1#x", 13, &err), SPU_OK);
    cr_assert_eq(spu_listset_add_text(s, "192.0.2.0/24 junk", 17, &err), SPU_EPARSE);
    cr_assert_eq(spu_listset_add_text(s, "300.1.1.1", 9, &err), SPU_EPARSE);
    cr_assert(strstr(err.msg, "300.1.1.1") != NULL, "%s", err.msg);
    cr_assert_eq(spu_listset_add_text(s, "", 0, &err), SPU_EPARSE);
    seal(s);
    cr_assert_eq(has(s, S("192.0.2.77")), 1);
    cr_assert_eq(has(s, S("2001:db8::1")), 1);
    spu_listset_free(s);

    s = mk(SPU_LIST_REGEX, 0);
    cr_assert_eq(spu_listset_add_text(s, "/Nikto/i", 8, &err), SPU_OK);
    cr_assert_eq(spu_listset_add_text(s, "/a/b", 4, &err), SPU_OK);  /* not /re/flags: bare */
    cr_assert_eq(spu_listset_add_text(s, "^curl/", 6, &err), SPU_OK);
    seal(s);
    cr_assert_eq(has(s, S("nikto")), 1);
    cr_assert_eq(has(s, S("x/a/b")), 1);
    cr_assert_eq(has(s, S("curl/8")), 1);
    cr_assert_eq(has(s, S("wget")), 0);
    spu_listset_free(s);
}

Test(lists, files)
{
    char path[200];
    static const char text[] = "\xef\xbb\xbf# bad hosts\r\n"
                               "evil.example\r\n"
                               "\r\n"
                               "   # indented comment\n"
                               "  spaced.example  \n"
                               "with#hash.example\n"
                               "last.example";
    write_file(path, sizeof(path), "hosts.txt", text, sizeof(text) - 1);
    struct spu_error err;
    struct spu_listset *s = mk(SPU_LIST_STR, SPU_LISTF_NOCASE);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_OK, "%s", err.msg);
    seal(s);
    cr_assert_eq(spu_listset_size(s), 4);
    cr_assert_eq(has(s, S("EVIL.example")), 1);
    cr_assert_eq(has(s, S("spaced.example")), 1);
    cr_assert_eq(has(s, S("with#hash.example")), 1);
    cr_assert_eq(has(s, S("last.example")), 1);
    cr_assert_eq(has(s, S("# bad hosts")), 0);
    spu_listset_free(s);
    unlink(path);

    static const char ips[] = "# feed\n10.0.0.0/8\n192.0.2.1   # one host\n2001:db8::/48\n";
    write_file(path, sizeof(path), "ips.txt", ips, sizeof(ips) - 1);
    s = mk(SPU_LIST_IP, 0);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_OK, "%s", err.msg);
    seal(s);
    cr_assert_eq(spu_listset_size(s), 3);
    cr_assert_eq(has(s, S("2001:db8:0:1::1")), 1);
    cr_assert_eq(has(s, S("2001:db8:1::1")), 0);
    spu_listset_free(s);
    unlink(path);

    static const char res[] = "/sqlmap/i\n^Nikto\n";
    write_file(path, sizeof(path), "re.txt", res, sizeof(res) - 1);
    s = mk(SPU_LIST_REGEX, 0);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_OK, "%s", err.msg);
    seal(s);
    cr_assert_eq(has(s, S("SQLMAP")), 1);
    cr_assert_eq(has(s, S("nikto")), 0);
    spu_listset_free(s);
    unlink(path);
}

Test(lists, file_errors_name_file_and_line)
{
    char path[200], msg[512];
    static const char bad_ip[] = "10.0.0.0/8\n\n10.0.0.0/33\n192.0.2.1\n";
    write_file(path, sizeof(path), "bad-ip.txt", bad_ip, sizeof(bad_ip) - 1);
    struct spu_error err;
    struct spu_listset *s = mk(SPU_LIST_IP, 0);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_EPARSE);
    cr_assert_eq(err.line, 3);
    cr_assert_str_eq(err.where, path);
    spu_error_str(&err, msg, sizeof(msg));
    cr_assert(strstr(msg, ":3:") != NULL, "%s", msg);
    cr_assert(strstr(msg, "10.0.0.0/33") != NULL, "%s", msg);
    spu_listset_free(s);
    unlink(path);

    static const char bad_re[] = "ok\n(\n";
    write_file(path, sizeof(path), "bad-re.txt", bad_re, sizeof(bad_re) - 1);
    s = mk(SPU_LIST_REGEX, 0);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_EPARSE);
    cr_assert_eq(err.line, 2);
    spu_listset_free(s);
    unlink(path);

    size_t n = SPU_LIST_MAX_LINE + 10;
    char *longline = malloc(n);
    memset(longline, 'x', n);
    write_file(path, sizeof(path), "long.txt", longline, n);
    free(longline);
    s = mk(SPU_LIST_STR, 0);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_ELIMIT);
    cr_assert_eq(err.line, 1);
    spu_listset_free(s);
    unlink(path);

    s = mk(SPU_LIST_STR, 0);
    snprintf(path, sizeof(path), "%s/absent.txt", dir);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_EIO);
    cr_assert_str_eq(err.where, path);
    seal(s);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_ESTATE);
    spu_listset_free(s);

    /* a NUL byte in an ip line is an error, in a string line it is data */
    static const char nul[] = "10.0.0.1\0x\n";
    write_file(path, sizeof(path), "nul.txt", nul, sizeof(nul) - 1);
    s = mk(SPU_LIST_IP, 0);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_EPARSE);
    spu_listset_free(s);
    s = mk(SPU_LIST_STR, 0);
    cr_assert_eq(spu_listset_load_file(s, path, &err), SPU_OK);
    seal(s);
    cr_assert_eq(has(s, SN("10.0.0.1\0x", 10)), 1);
    spu_listset_free(s);
    unlink(path);
}

static struct spu_listset *str_set(const char *item)
{
    struct spu_listset *s = mk(SPU_LIST_STR, 0);
    spu_listset_add_str(s, item, strlen(item));
    seal(s);
    return s;
}

Test(lists, container)
{
    struct spu_error err;
    struct spu_lists *l = spu_lists_new(3, &err);
    cr_assert_not_null(l);
    cr_assert_eq(spu_lists_count(l), 3);
    struct spu_listset *a = str_set("a");
    struct spu_listset *unsealed = mk(SPU_LIST_STR, 0);
    cr_assert_eq(spu_lists_install(l, 3, a), SPU_ERANGE);
    cr_assert_eq(spu_lists_install(l, 0, unsealed), SPU_ESTATE);
    cr_assert_eq(spu_lists_install(l, 0, a), SPU_OK);
    struct spu_listset *b = str_set("b");
    cr_assert_eq(spu_lists_install(l, 0, b), SPU_EEXIST);
    struct spu_value va = S("a"), vb = S("b");
    cr_assert_eq(spu_lists_has(l, 0, &va), 1);
    cr_assert_eq(spu_lists_has(l, 1, &va), 0); /* empty slot */
    cr_assert_eq(spu_lists_has(l, 9, &va), SPU_ERANGE);
    cr_assert_null(spu_lists_get(l, 1));
    cr_assert_null(spu_lists_get(l, 9));
    int rc;
    cr_assert_null(spu_lists_swap(l, 0, unsealed, &rc));
    cr_assert_eq(rc, SPU_ESTATE);
    cr_assert_null(spu_lists_swap(l, 5, b, &rc));
    cr_assert_eq(rc, SPU_ERANGE);
    struct spu_listset *old = spu_lists_swap(l, 0, b, &rc);
    cr_assert_eq(rc, SPU_OK);
    cr_assert_eq(old, a);
    cr_assert_eq(spu_lists_get(l, 0), b);
    cr_assert_eq(spu_lists_has(l, 0, &va), 0);
    cr_assert_eq(spu_lists_has(l, 0, &vb), 1);
    cr_assert_null(spu_lists_swap(l, 2, str_set("c"), NULL)); /* empty before */
    spu_listset_free(old);
    spu_listset_free(unsealed);
    spu_lists_free(l);
}

/* Readers test slot 0 while the writer swaps between sets holding "x" and
 * sets holding "y": every set a reader sees is complete, so it holds
 * exactly one of the two. Old sets are freed after the readers stop (the
 * grace period of this test). */
struct race {
    struct spu_lists *l;
    atomic_int stop;
    atomic_long checks;
    atomic_long bad;
};

static void *reader(void *arg)
{
    struct race *r = arg;
    struct spu_value x = S("x"), y = S("y");
    while (!atomic_load(&r->stop)) {
        const struct spu_listset *s = spu_lists_get(r->l, 0);
        int hx = spu_listset_has(s, &x), hy = spu_listset_has(s, &y);
        atomic_fetch_add(&r->bad, (hx + hy) != 1);
        atomic_fetch_add(&r->checks, 1);
    }
    return NULL;
}

Test(lists, swap_while_reading)
{
    struct race r = {0};
    r.l = spu_lists_new(1, NULL);
    cr_assert_eq(spu_lists_install(r.l, 0, str_set("x")), SPU_OK);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, reader, &r);
    struct spu_listset *retired[400];
    for (int i = 0; i < 400; i++) {
        struct spu_listset *s = mk(SPU_LIST_STR, 0);
        for (int k = 0; k < 50; k++) /* a set that takes a moment to build */
            spu_listset_add_str(s, "0123456789" + k % 5, 1 + (size_t)(k % 5));
        spu_listset_add_str(s, i % 2 ? "x" : "y", 1);
        seal(s);
        retired[i] = spu_lists_swap(r.l, 0, s, NULL);
    }
    while (atomic_load(&r.checks) < 1000)
        sched_yield();
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 400; i++)
        spu_listset_free(retired[i]);
    cr_assert_eq(atomic_load(&r.bad), 0);
    spu_lists_free(r.l);
}

/* Entries taken out of an unsealed set (spuctl list remove): strings as the
 * set compares them, address blocks exactly as added, absent ones and bad
 * text refused, regex sets refused, sealed sets refused. */
Test(lists, remove_text)
{
    struct spu_error err = {0};
    struct spu_listset *s = mk(SPU_LIST_STR, SPU_LISTF_NOCASE);
    static const char *const items[] = {"alpha", "Beta", "gamma", "delta"};
    for (size_t i = 0; i < 4; i++)
        cr_assert_eq(spu_listset_add_text(s, items[i], strlen(items[i]), &err), SPU_OK);
    cr_assert_eq(spu_listset_remove_text(s, "BETA", 4, &err), SPU_OK);
    cr_assert_eq(spu_listset_remove_text(s, "alpha", 5, &err), SPU_OK);
    cr_assert_eq(spu_listset_remove_text(s, "alpha", 5, &err), SPU_ENOTFOUND);
    cr_assert(strstr(err.msg, "not in the list"), "%s", err.msg);
    seal(s);
    cr_assert_eq(spu_listset_size(s), 2);
    cr_assert_eq(has(s, S("beta")), 0);
    cr_assert_eq(has(s, S("alpha")), 0);
    cr_assert_eq(has(s, S("Gamma")), 1);
    cr_assert_eq(has(s, S("delta")), 1);
    cr_assert_eq(spu_listset_remove_text(s, "delta", 5, &err), SPU_ESTATE);
    spu_listset_free(s);

    s = mk(SPU_LIST_IP, 0);
    static const char *const blocks[] = {"10.0.0.0/8", "192.0.2.1", "2001:db8::/32"};
    for (size_t i = 0; i < 3; i++)
        cr_assert_eq(spu_listset_add_text(s, blocks[i], strlen(blocks[i]), &err), SPU_OK);
    cr_assert_eq(spu_listset_remove_text(s, "10.1.2.3", 8, &err), SPU_ENOTFOUND); /* inside a block */
    cr_assert_eq(spu_listset_remove_text(s, "10.0.0.0/8", 10, &err), SPU_OK);
    cr_assert_eq(spu_listset_remove_text(s, "2001:db8::/32", 13, &err), SPU_OK);
    cr_assert_eq(spu_listset_remove_text(s, "nope", 4, &err), SPU_EPARSE);
    seal(s);
    cr_assert_eq(spu_listset_size(s), 1);
    cr_assert_eq(has(s, T_IP(arena, "10.1.2.3")), 0);
    cr_assert_eq(has(s, T_IP(arena, "192.0.2.1")), 1);
    cr_assert_eq(has(s, T_IP(arena, "2001:db8::1")), 0);
    spu_listset_free(s);

    s = mk(SPU_LIST_REGEX, 0);
    cr_assert_eq(spu_listset_add_text(s, "/a+/", 4, &err), SPU_OK);
    cr_assert_eq(spu_listset_remove_text(s, "/a+/", 4, &err), SPU_EINVAL);
    spu_listset_free(s);
}
