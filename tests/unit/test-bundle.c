/* Unit tests for compiler/bundle-write.c and runtime/vm/bundle.c: builder
 * -> bytes -> load -> accessors, determinism, signatures, the HSDB cache. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin-api.h"
#include "bundle-crypt.h"
#include "bundle-write.h"
#include "bundle.h"
#include "helper-bundle.h"
#include "lists.h"
#include "prefilter.h"

/* A bundle with a bit of everything: a rule with a regex and a list
 * constant, a DFA, an output, a meta entry, a prefiltered rule. */
static struct hb *rich(void)
{
    struct hb *h = hb_new();
    struct spu_bw *bw = h->bw;
    struct spu_bregex re = {spu_bw_cstr(bw, "^GET /admin"), SPU_RE_I};
    uint32_t ri = spu_bw_regex(bw, &re);
    uint32_t items[2] = {spu_bw_const_str(bw, "exe", 3, 0), spu_bw_const_str(bw, "sh", 2, 0)};
    struct spu_blist l = {
        spu_bw_cstr(bw, "exec_ext"), SPU_LIST_STR, 0, {0, 0}, {0, 0}, spu_bw_u32(bw, items, 2), 2};
    spu_bw_list(bw, &l);
    cr_assert_eq(ri, 0);
    hb_rule(h, 1001, "LOAD_FIELD 1; MATCH_RE 0; JZ 3; RET", 1, 0);
    uint32_t r2 = hb_rule(h, 1002, "RET", 0, 0);
    struct spu_brule *rp = spu_bw_at(bw, SPU_SEC_RULE, r2);
    rp->flags = SPU_RF_PREFILTERED;
    uint32_t key = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "uri", "LOAD_FIELD 1; RET", 1, 0);
    struct spu_bpattern pat = {HB_EV_REQUEST, key, spu_bw_cstr(bw, "passwd"), SPU_IEF_NOCASE, r2};
    spu_bw_pattern(bw, &pat);

    uint8_t classmap[256] = {0};
    classmap['a'] = 1;
    uint32_t trans[3 * 2] = {0, 0, 0, 2, 0, 2}, accept[3] = {SPU_NONE, SPU_NONE, 0},
                       decide[3] = {SPU_NONE, 0, 0};
    struct spu_bw_dfa d = {3, 2, 1, 1, SPU_DFA_ANCHORED, classmap, trans, accept, decide, "a+", 2};
    cr_assert_eq(spu_bw_dfa(bw, &d), 0);
    struct spu_boutput o = {spu_bw_cstr(bw, "alerts"), SPU_OUT_FILE, spu_bw_cstr(bw, "a.log")};
    spu_bw_output(bw, &o);
    struct spu_bmeta m = {spu_bw_cstr(bw, "source"), spu_bw_cstr(bw, "unit test")};
    spu_bw_meta(bw, &m);
    return h;
}

Test(bundle, round_trip_accessors)
{
    struct hb *h = rich();
    size_t len;
    uint8_t *bytes = hb_finish(h, NULL, &len);
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(bytes, len, NULL, &err);
    cr_assert_not_null(b, "load: %s", err.msg);
    cr_assert_eq(spu_bundle_size(b), len);
    cr_assert_eq(spu_bundle_signed(b), 0);
    uint32_t n;
    const char *name = spu_bundle_name(b, &n);
    cr_assert_eq(n, 4);
    cr_assert_eq(memcmp(name, "test", 4), 0);

    const struct spu_brule *rules = spu_bundle_rules(b, &n);
    cr_assert_eq(n, 2);
    cr_assert_eq(rules[0].sid, 1001);
    const char *msg = spu_bundle_str(b, rules[0].msg, &n);
    cr_assert_eq(n, 9);
    cr_assert_eq(memcmp(msg, "rule 1001", 9), 0);

    const struct spu_layout *l = spu_bundle_layout(b, HB_L_HEADER);
    cr_assert_str_eq(l->name, "header");
    cr_assert_eq(l->nfields, 2);
    cr_assert_eq(l->map_key, 0);
    cr_assert_eq(l->map_value, 1);
    l = spu_bundle_layout(b, HB_L_REQUEST);
    cr_assert_str_eq(l->name, "request");
    cr_assert_eq(l->id, HB_L_REQUEST);
    cr_assert_eq(l->map_key, -1);
    l = spu_bundle_layout(b, SPU_LAYOUT_STD | SPU_REC_url);
    cr_assert_str_eq(l->name, "url");
    cr_assert_null(spu_bundle_layout(b, 99));

    const struct spu_blist *lists = spu_bundle_lists_raw(b, &n);
    cr_assert_eq(n, 1);
    const uint32_t *items = spu_bundle_u32(b, lists[0].items);
    const struct spu_value *k = spu_bundle_const(b, items[1]);
    cr_assert_eq(k->type, SPU_T_STR);
    cr_assert_eq(k->len, 2);
    cr_assert_eq(memcmp(k->u.s, "sh", 2), 0);

    const pcre2_code *re = spu_bundle_regex(b, 0);
    cr_assert_not_null(re);
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    cr_assert_geq(pcre2_match(re, (PCRE2_SPTR) "get /ADMIN/x", 12, 0, 0, md, NULL), 0);
    cr_assert_eq(pcre2_match(re, (PCRE2_SPTR) "POST /", 6, 0, 0, md, NULL), PCRE2_ERROR_NOMATCH);
    pcre2_match_data_free(md);

    const struct spu_bdfa *dfas = spu_bundle_dfas(b, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(dfas[0].nstates, 3);
    const char *src = spu_bundle_str(b, dfas[0].source, &n);
    cr_assert_eq(memcmp(src, "a+", n), 0);
    const uint32_t *dd = spu_bundle_dfadata(b, &n);
    cr_assert_eq(((const uint8_t *)(dd + dfas[0].classmap))['a'], 1);

    uint32_t nu;
    const uint32_t *un = spu_bundle_unindexed(b, HB_EV_REQUEST, &nu);
    cr_assert_eq(nu, 2);
    cr_assert_eq(un[0], 0);
    cr_assert_eq(un[1], 1);
    spu_bundle_unindexed(b, HB_EV_RESPONSE, &nu);
    cr_assert_eq(nu, 0);

    const struct spu_prefilter *pf = spu_bundle_prefilter(b);
    uint32_t ng;
    const struct spu_pf_group *g = spu_prefilter_groups(pf, HB_EV_REQUEST, &ng);
    cr_assert_eq(ng, 1);
    cr_assert_eq(g->n, 1);
    cr_assert_eq(spu_prefilter_rule_groups(pf, 1), 1);
    cr_assert_eq(spu_prefilter_rule_groups(pf, 0), 0);

    const struct spu_bmeta *metas = spu_bundle_metas(b, &n);
    cr_assert_eq(n, 1);
    cr_assert_eq(memcmp(spu_bundle_str(b, metas[0].value, NULL), "unit test", 9), 0);
    spu_bundle_unref(b);
    free(bytes);
    hb_free(h);
}

Test(bundle, strings_and_constants_are_deduplicated)
{
    struct spu_error err;
    struct spu_bw *bw = spu_bw_new(&err);
    struct spu_bstr a = spu_bw_str(bw, "host", 4), b2 = spu_bw_str(bw, "host", 4);
    struct spu_bstr c = spu_bw_str(bw, "hostname", 8);
    cr_assert_eq(a.off, b2.off);
    cr_assert_neq(a.off, c.off);
    cr_assert_eq(spu_bw_count(bw, SPU_SEC_STRTAB), 12);
    uint32_t k1 = spu_bw_const_int(bw, -5), k2 = spu_bw_const_int(bw, -5);
    uint32_t k3 = spu_bw_const_str(bw, "host", 4, 0), k4 = spu_bw_const_str(bw, "host", 4, 1);
    cr_assert_eq(k1, k2);
    cr_assert_neq(k3, k4); /* NOCASE makes another constant */
    cr_assert_eq(spu_bw_count(bw, SPU_SEC_STRTAB), 12);
    for (int i = 0; i < 1000; i++) { /* grow the maps */
        char s[16];
        int n = snprintf(s, sizeof(s), "s%d", i);
        spu_bw_str(bw, s, (size_t)n);
        spu_bw_const_int(bw, i);
    }
    cr_assert_eq(spu_bw_str(bw, "s999", 4).off, spu_bw_str(bw, "s999", 4).off);
    cr_assert_eq(spu_bw_const_int(bw, 500), spu_bw_const_int(bw, 500));
    cr_assert_eq(spu_bw_status(bw), SPU_OK);
    cr_assert_null(spu_bw_at(bw, SPU_SEC_RULE, 0));
    cr_assert_eq(spu_bw_add(bw, SPU_SEC_STRTAB, "x"), SPU_NONE); /* not a table */
    cr_assert_eq(spu_bw_status(bw), SPU_EINVAL);
    uint8_t *out;
    size_t len;
    cr_assert_eq(spu_bw_write(bw, NULL, &out, &len, &err), SPU_EINVAL); /* sticky */
    cr_assert_null(out);
    spu_bw_free(bw);
    spu_bw_free(NULL);
}

Test(bundle, identical_input_gives_identical_bytes)
{
    uint8_t pk[32], sk[64];
    cr_assert_eq(spu_key_generate(pk, sk), SPU_OK);
    struct spu_bw_opts opts = {sk, 0};
    size_t l1, l2, l3, l4;
    struct hb *h1 = rich(), *h2 = rich();
    uint8_t *b1 = hb_finish(h1, NULL, &l1), *b2 = hb_finish(h2, NULL, &l2);
    cr_assert_eq(l1, l2);
    cr_assert_eq(memcmp(b1, b2, l1), 0);
    hb_free(h1);
    hb_free(h2);
    h1 = rich();
    h2 = rich();
    uint8_t *s1 = hb_finish(h1, &opts, &l3), *s2 = hb_finish(h2, &opts, &l4);
    cr_assert_eq(l3, l4);
    cr_assert_eq(memcmp(s1, s2, l3), 0); /* Ed25519 is deterministic */
    cr_assert_neq(l1, l3);
    free(b1);
    free(b2);
    free(s1);
    free(s2);
    hb_free(h1);
    hb_free(h2);
}

Test(bundle, layout_is_aligned_and_in_id_order)
{
    struct hb *h = rich();
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    const struct spu_bhdr *hd = (const void *)p;
    const struct spu_bsect *t = (const void *)(p + SPU_BHDR_SIZE);
    cr_assert_eq(hd->file_size, len);
    cr_assert_eq(len % 8, 0);
    for (uint32_t i = 0; i < hd->nsections; i++) {
        cr_assert_eq(t[i].offset % 8, 0);
        cr_assert_gt(t[i].size, 0);
        if (i)
            cr_assert_gt(t[i].id, t[i - 1].id);
    }
    free(p);
    hb_free(h);
}

Test(bundle, load_file_and_refcount)
{
    struct hb *h = rich();
    char path[] = "/tmp/spu-test-bundle-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    struct spu_error err;
    size_t len;
    free(hb_finish(h, NULL, &len)); /* writes the events' rule lists */
    cr_assert_eq(spu_bw_write_file(h->bw, NULL, path, &err), SPU_OK, "%s", err.msg);
    struct spu_bundle *b = spu_bundle_load_file(path, NULL, &err);
    cr_assert_not_null(b, "%s", err.msg);
    struct spu_bundle *b2 = spu_bundle_ref(b);
    cr_assert_eq(b, b2);
    spu_bundle_unref(b);
    uint32_t n;
    spu_bundle_rules(b2, &n);
    cr_assert_eq(n, 2);
    spu_bundle_unref(b2);
    spu_bundle_unref(NULL);
    remove(path);
    cr_assert_null(spu_bundle_load_file(path, NULL, &err));
    cr_assert_eq(err.code, SPU_EIO);
    hb_free(h);
}

Test(bundle, stdlib_fingerprint_mismatch_is_refused)
{
    struct hb *h = rich();
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    ((struct spu_bhdr *)p)->stdlib_fp[5] ^= 1;
    hb_rechecksum(p, len);
    struct spu_error err;
    cr_assert_null(spu_bundle_load_mem(p, len, NULL, &err));
    cr_assert_eq(err.code, SPU_EVERSION);
    cr_assert_str_eq(err.where, "header");
    cr_assert_eq(err.offset, 72);
    free(p);
    hb_free(h);
}

static const uint8_t (*keys1(const uint8_t pk[32]))[32]
{
    return (const uint8_t(*)[32])pk;
}

Test(bundle, signatures)
{
    uint8_t pk[32], sk[64], pk2[32], sk2[64];
    cr_assert_eq(spu_key_generate(pk, sk), SPU_OK);
    cr_assert_eq(spu_key_generate(pk2, sk2), SPU_OK);
    struct spu_bw_opts opts = {sk, 0};
    struct hb *h = rich();
    size_t len, ulen;
    uint8_t *p = hb_finish(h, &opts, &len);
    hb_free(h);
    h = rich();
    uint8_t *u = hb_finish(h, NULL, &ulen);
    hb_free(h);
    struct spu_error err;

    /* good: signed by a trusted key */
    struct spu_bundle_opts trust = {keys1(pk), 1, 1, NULL};
    struct spu_bundle *b = spu_bundle_load_mem(p, len, &trust, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_assert_eq(spu_bundle_signed(b), 1);
    spu_bundle_unref(b);

    /* untrusted key: accepted as unsigned, refused when required */
    struct spu_bundle_opts other = {keys1(pk2), 1, 0, NULL};
    b = spu_bundle_load_mem(p, len, &other, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_assert_eq(spu_bundle_signed(b), 0);
    spu_bundle_unref(b);
    other.require_signature = 1;
    cr_assert_null(spu_bundle_load_mem(p, len, &other, &err));
    cr_assert_eq(err.code, SPU_ECHECKSUM);
    cr_assert_str_eq(err.where, "sig");
    cr_assert_eq(err.offset, hb_sec_off(p, len, SPU_SEC_SIG));

    /* unsigned, signature required */
    cr_assert_null(spu_bundle_load_mem(u, ulen, &trust, &err));
    cr_assert_str_eq(err.where, "header");
    cr_assert(strstr(err.msg, "unsigned"));

    /* bad signature by a trusted key: the checksum does not cover the
     * signature bytes, so only the signature check can catch this */
    uint64_t so = hb_sec_off(p, len, SPU_SEC_SIG);
    p[so + 8 + 10] ^= 0x40;
    trust.require_signature = 0;
    cr_assert_null(spu_bundle_load_mem(p, len, &trust, &err));
    cr_assert_eq(err.code, SPU_ECHECKSUM);
    cr_assert_str_eq(err.where, "sig");
    cr_assert_eq(err.offset, so);
    cr_assert(strstr(err.msg, "does not verify"));

    /* the signed content changed (checksum recomputed by an attacker) */
    p[so + 8 + 10] ^= 0x40;
    uint64_t meta = hb_sec_off(p, len, SPU_SEC_STRTAB);
    p[meta] ^= 1;
    cr_assert_eq(
        spu_bundle_digest(p, len, so, sizeof(struct spu_bsig), ((struct spu_bhdr *)p)->checksum),
        SPU_OK);
    cr_assert_null(spu_bundle_load_mem(p, len, &trust, &err));
    cr_assert_str_eq(err.where, "sig");
    free(p);
    free(u);
}

Test(bundle, key_files_raw_and_hex)
{
    uint8_t pk[32], sk[64], got[64];
    cr_assert_eq(spu_key_generate(pk, sk), SPU_OK);
    char hex[129 + 1];
    for (int i = 0; i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02X", sk[i]);
    hex[128] = '\n';
    hex[129] = '\0';
    cr_assert_eq(spu_key_parse((const uint8_t *)hex, 129, got, 64), SPU_OK);
    cr_assert_eq(memcmp(got, sk, 64), 0);
    cr_assert_eq(spu_key_parse(sk, 64, got, 64), SPU_OK);
    cr_assert_eq(memcmp(got, sk, 64), 0);
    hex[7] = 'g';
    cr_assert_eq(spu_key_parse((const uint8_t *)hex, 129, got, 64), SPU_EFORMAT);
    cr_assert_eq(spu_key_parse(sk, 63, got, 64), SPU_EFORMAT);
    cr_assert_eq(spu_key_parse((const uint8_t *)"00 11", 5, got, 2), SPU_EFORMAT);

    char path[] = "/tmp/spu-test-key-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, pk, 32), 32);
    close(fd);
    struct spu_error err;
    cr_assert_eq(spu_key_read(path, got, 32, &err), SPU_OK);
    cr_assert_eq(memcmp(got, pk, 32), 0);
    cr_assert_eq(spu_key_read(path, got, 64, &err), SPU_EFORMAT);
    cr_assert_str_eq(err.where, path);
    remove(path);
    cr_assert_eq(spu_key_read(path, got, 32, &err), SPU_EIO);
}

Test(bundle, hsdb_cache_only_from_trusted_signature)
{
    uint8_t pk[32], sk[64];
    cr_assert_eq(spu_key_generate(pk, sk), SPU_OK);
    struct spu_bw_opts opts = {sk, 1};
    struct hb *h = rich();
    size_t len;
    uint8_t *p = hb_finish(h, &opts, &len);
    hb_free(h);
    cr_assert_neq(hb_sec_off(p, len, SPU_SEC_HSDB), 0);
    struct spu_error err;
    struct spu_bundle_opts trust = {keys1(pk), 1, 0, NULL};
    struct spu_bundle *b = spu_bundle_load_mem(p, len, &trust, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_assert_eq(spu_prefilter_from_cache(spu_bundle_prefilter(b)), 1);
    spu_bundle_unref(b);
    b = spu_bundle_load_mem(p, len, NULL, &err); /* signature not checked: rebuilt */
    cr_assert_not_null(b, "%s", err.msg);
    cr_assert_eq(spu_prefilter_from_cache(spu_bundle_prefilter(b)), 0);
    spu_bundle_unref(b);
    free(p);

    struct spu_bw_opts unsigned_cache = {NULL, 1};
    h = rich();
    p = hb_finish(h, &unsigned_cache, &len);
    hb_free(h);
    b = spu_bundle_load_mem(p, len, &trust, &err);
    cr_assert_not_null(b, "%s", err.msg);
    cr_assert_eq(spu_prefilter_from_cache(spu_bundle_prefilter(b)), 0);
    spu_bundle_unref(b);
    free(p);
}

Test(bundle, bad_regex_is_refused_with_its_offset)
{
    struct hb *h = hb_new();
    struct spu_bregex re = {spu_bw_cstr(h->bw, "a(b"), 0};
    spu_bw_regex(h->bw, &re);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    struct spu_error err;
    cr_assert_null(spu_bundle_load_mem(p, len, NULL, &err));
    cr_assert_str_eq(err.where, "regex");
    cr_assert_eq(err.offset, hb_sec_off(p, len, SPU_SEC_REGEX));
    free(p);
    hb_free(h);
}

/* A bundle with one file list "hosts" (path relative to `base`). */
static uint8_t *file_list_bundle(const char *path, const char *base, size_t *len)
{
    struct hb *h = hb_new();
    struct spu_blist l = {spu_bw_cstr(h->bw, "hosts"),
                          SPU_LIST_STR,
                          SPU_LISTF_FILE | SPU_LISTF_NOCASE,
                          spu_bw_cstr(h->bw, path),
                          spu_bw_cstr(h->bw, base),
                          0,
                          0};
    spu_bw_list(h->bw, &l);
    uint8_t *p = hb_finish(h, NULL, len);
    hb_free(h);
    return p;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

Test(bundle, list_files_are_read_at_load)
{
    char dir[] = "/tmp/spu-test-lists-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256], other[256];
    snprintf(path, sizeof(path), "%s/hosts.txt", dir);
    snprintf(other, sizeof(other), "%s/sub", dir);
    cr_assert_eq(mkdir(other, 0700), 0);
    snprintf(other, sizeof(other), "%s/sub/hosts.txt", dir);
    write_file(path, "# bad hosts\nevil.example\n\nBad.Example.org\n");
    write_file(other, "elsewhere.example\n");

    size_t len;
    uint8_t *p = file_list_bundle("hosts.txt", dir, &len);
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    cr_assert_not_null(b, "%s: %s", err.where, err.msg);
    struct spu_value v = spu_v_str("bad.example.ORG", 15), w = spu_v_str("good.example", 12);
    cr_assert_eq(spu_lists_has(spu_bundle_lists(b), 0, &v), 1);
    cr_assert_eq(spu_lists_has(spu_bundle_lists(b), 0, &w), 0);
    spu_bundle_unref(b);

    /* list_dir overrides the compile-time directory */
    snprintf(other, sizeof(other), "%s/sub", dir);
    struct spu_bundle_opts o = {NULL, 0, 0, other};
    b = spu_bundle_load_mem(p, len, &o, &err);
    cr_assert_not_null(b, "%s: %s", err.where, err.msg);
    struct spu_value e = spu_v_str("elsewhere.example", 17);
    cr_assert_eq(spu_lists_has(spu_bundle_lists(b), 0, &e), 1);
    cr_assert_eq(spu_lists_has(spu_bundle_lists(b), 0, &v), 0);
    spu_bundle_unref(b);
    free(p);

    /* a missing file refuses the bundle, naming the file */
    p = file_list_bundle("nothere.txt", dir, &len);
    cr_assert_null(spu_bundle_load_mem(p, len, NULL, &err));
    cr_assert_eq(err.code, SPU_EIO);
    cr_assert_not_null(strstr(err.where, "nothere.txt"));
    free(p);

    remove(path);
    snprintf(other, sizeof(other), "%s/sub/hosts.txt", dir);
    remove(other);
    snprintf(other, sizeof(other), "%s/sub", dir);
    rmdir(other);
    rmdir(dir);
}

Test(bundle, a_bad_list_file_line_is_reported)
{
    char dir[] = "/tmp/spu-test-lists-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[256];
    snprintf(path, sizeof(path), "%s/nets.txt", dir);
    write_file(path, "10.0.0.0/8\nnot an address\n");
    struct hb *h = hb_new();
    struct spu_blist l = {spu_bw_cstr(h->bw, "nets"),
                          SPU_LIST_IP,
                          SPU_LISTF_FILE,
                          spu_bw_cstr(h->bw, path),
                          spu_bw_cstr(h->bw, "/unused"),
                          0,
                          0};
    spu_bw_list(h->bw, &l);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    struct spu_error err;
    cr_assert_null(spu_bundle_load_mem(p, len, NULL, &err)); /* an absolute path */
    cr_assert_eq(err.code, SPU_EPARSE);
    cr_assert_str_eq(err.where, path);
    cr_assert_eq(err.line, 2);
    free(p);
    remove(path);
    rmdir(dir);
}
