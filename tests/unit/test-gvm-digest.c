/* test-gvm-digest.c - `digest` captures: the size and md5/sha1/sha256 of
 * all the content a capture sees (after its filters), also past its limit,
 * the same however the stream is cut; what spuc accepts and refuses. */
#include "test-gvm.h"

#include "bundle-hashes.h"
#include "gvm-int.h"
#include "helper-compile.h"

#include <openssl/evp.h>
#include <zlib.h>

static void hex_of(const EVP_MD *md, const void *p, size_t n, char *out)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    cr_assert_eq(EVP_Digest(p, n, d, &dn, md, NULL), 1);
    for (unsigned i = 0; i < dn; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

/* A message `len` bytes of body after a decimal length line, kept up to
 * 16 bytes; the size and hashes of the body as fields. */
static const char grammar[] =
    "protocol f over tcp {\n"
    "  message m from client {\n"
    "    n: /[0-9]+/; \"\\n\";\n"
    "    body: bytes(int(n)) filter gunzip if (n == \"0\") limit 16 digest;\n"
    "    size = file_size(body);\n"
    "    kept = StringLength(body);\n"
    "    h256 = sha256(body);\n"
    "    h1 = sha1(body);\n"
    "    h5 = md5(body);\n"
    "    event f.m;\n"
    "  }\n"
    "}\n";

static char *expect(const char *n, const uint8_t *body, size_t len)
{
    char h256[65], h1[41], h5[33];
    hex_of(EVP_sha256(), body, len, h256);
    hex_of(EVP_sha1(), body, len, h1);
    hex_of(EVP_md5(), body, len, h5);
    size_t kept = len < 16 ? len : 16;
    char rec[512];
    snprintf(rec, sizeof(rec),
             "m{n=\"%s\" body=\"%.*s\"%s size=%zu kept=%zu h256=\"%s\" h1=\"%s\" h5=\"%s\"}",
             n, (int)kept, (const char *)body, len > kept ? "!T" : "", len, kept, h256, h1, h5);
    char *out = NULL;
    /* a body over the limit is cut (flagged !T) with an anomaly */
    cr_assert(asprintf(&out, "%sE f.m tx=0 dir=0 %s\nT 0 %s null\n",
                       len > kept ? "A f.field_truncated\n" : "", rec, rec) > 0);
    return out;
}

/* Past the limit: 16 bytes kept, size and hashes of all 3000; every split
 * point gives the same. */
Test(gvm_digest, whole_content_past_the_limit)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    char in[3100];
    uint8_t body[3000];
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)('a' + (i * 7 + i / 13) % 26);
    int h = snprintf(in, sizeof(in), "3000\n");
    memcpy(in + h, body, sizeof(body));
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, in, (size_t)h + sizeof(body)}};
    char *log = split_invariant(b, 0, steps, 1);
    char *want = expect("3000", body, sizeof(body));
    cr_assert_str_eq(log, want);
    free(want);
    free(log);
    spu_bundle_unref(b);
}

/* Under the limit the digest is that of the bytes kept; an empty body
 * has the hashes of nothing and size 0. */
Test(gvm_digest, short_and_empty_bodies)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    char *log = CLIENT(b, "5\nhello", 0);
    char *want = expect("5", (const uint8_t *)"hello", 5);
    cr_assert_str_eq(log, want);
    free(want);
    free(log);
    log = CLIENT(b, "00\n", 0); /* "00": no filter, an empty body */
    want = expect("00", (const uint8_t *)"", 0);
    cr_assert_str_eq(log, want);
    free(want);
    free(log);
    spu_bundle_unref(b);
}

/* The digest is of what the filters produce: a gzip stream whose text is
 * longer than the limit, hashed as decoded text. */
Test(gvm_digest, after_the_filters)
{
    static const char g[] = "protocol f over tcp {\n"
                            "  message m from client {\n"
                            "    n: /[0-9]+/; \"\\n\";\n"
                            "    body: bytes(int(n)) filter gunzip limit 16 digest;\n"
                            "    size = file_size(body);\n"
                            "    h256 = sha256(body);\n"
                            "    event f.m;\n"
                            "  }\n"
                            "}\n";
    struct spu_bundle *b = hc_bundle(g, NULL);
    cr_assert_not_null(b);
    char plain[2000];
    for (size_t i = 0; i < sizeof(plain); i++)
        plain[i] = (char)('A' + i % 23);
    unsigned char z[4096];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)plain;
    zs.avail_in = sizeof(plain);
    zs.next_out = z;
    zs.avail_out = sizeof(z);
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t zn = zs.total_out;
    deflateEnd(&zs);
    char in[4200];
    int h = snprintf(in, sizeof(in), "%zu\n", zn);
    memcpy(in + h, z, zn);
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, in, (size_t)h + zn}};
    char *log = split_invariant(b, 0, steps, 1);
    char h256[65];
    hex_of(EVP_sha256(), plain, sizeof(plain), h256);
    char want[512];
    snprintf(want, sizeof(want), "size=2000 h256=\"%s\"}", h256);
    cr_assert(strstr(log, want), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* Without `digest`, file_size is the length kept and the hashes are of
 * the kept bytes (what a string carries nothing else for). */
Test(gvm_digest, without_digest_the_kept_bytes)
{
    static const char g[] = "protocol f over tcp {\n"
                            "  message m from client {\n"
                            "    body: bytes(40) limit 16;\n"
                            "    size = file_size(body);\n"
                            "    h5 = md5(body);\n"
                            "    event f.m;\n"
                            "  }\n"
                            "}\n";
    struct spu_bundle *b = hc_bundle(g, NULL);
    cr_assert_not_null(b);
    char *log = CLIENT(b, "0123456789abcdef0123456789abcdef01234567", 0);
    char h5[33], want[128];
    hex_of(EVP_md5(), "0123456789abcdef", 16, h5);
    snprintf(want, sizeof(want), "size=16 h5=\"%s\"}", h5);
    cr_assert(strstr(log, want), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* Only the hashes the gvm asks for (spu_gvm_config.skip_hashes): each
 * of md5, sha1, sha256 on or off, in all 8 combinations; the others are
 * null (no field), the size is always there, and spu_gvm_set_hashes
 * changes what the next capture computes. */
Test(gvm_digest, only_the_hashes_asked_for)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    static const char in[] = "5\nhello";
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, in, sizeof(in) - 1}};
    char h256[65], h1[41], h5[33];
    hex_of(EVP_sha256(), "hello", 5, h256);
    hex_of(EVP_sha1(), "hello", 5, h1);
    hex_of(EVP_md5(), "hello", 5, h5);
    for (unsigned want = 0; want <= SPU_HASH_ALL; want++) {
        struct ga_split s = {GA_WHOLE, 0, 0, NULL};
        struct spu_gvm_config gc = {.skip_hashes = (uint8_t)(~want & SPU_HASH_ALL)};
        struct ga_result r;
        ga_run_cfg(b, 0, steps, 1, s, &gc, &r);
        char *log = r.log;
        char rec[512];
        snprintf(rec, sizeof(rec), "size=5 kept=5%s%s%s%s%s%s%s%s%s}",
                 want & SPU_HASH_SHA256 ? " h256=\"" : "", want & SPU_HASH_SHA256 ? h256 : "",
                 want & SPU_HASH_SHA256 ? "\"" : "", want & SPU_HASH_SHA1 ? " h1=\"" : "",
                 want & SPU_HASH_SHA1 ? h1 : "", want & SPU_HASH_SHA1 ? "\"" : "",
                 want & SPU_HASH_MD5 ? " h5=\"" : "", want & SPU_HASH_MD5 ? h5 : "",
                 want & SPU_HASH_MD5 ? "\"" : "");
        cr_assert(strstr(log, rec), "hashes %u: %s (want %s)", want, log, rec);
        free(log);
    }
    spu_bundle_unref(b);
}

/* The digest's own set-up: what it was asked for is what it says it
 * computed, and only those hashes are filled. */
Test(gvm_digest, set_hashes_of_the_gvm)
{
    struct spu_error err = {0};
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    spu_gvm_set_hashes(g, SPU_HASH_SHA1);
    cr_assert_eq(g->cfg.skip_hashes, SPU_HASH_MD5 | SPU_HASH_SHA256);
    spu_gvm_set_hashes(g, SPU_HASH_ALL);
    cr_assert_eq(g->cfg.skip_hashes, 0);
    for (unsigned want = 0; want <= SPU_HASH_ALL; want++) {
        struct gdigest *d = gvm_digest_new(g, want);
        cr_assert_not_null(d);
        cr_assert_eq(gvm_digest_add(d, (const uint8_t *)"abc", 3), 0);
        struct spu_digest out;
        cr_assert_eq(gvm_digest_end(d, &out), 0);
        gvm_digest_free(d);
        cr_assert_eq(out.size, 3);
        cr_assert_eq(out.hashes, want);
        static const uint8_t zero[32];
        cr_assert_eq(!memcmp(out.md5, zero, sizeof(out.md5)), !(want & SPU_HASH_MD5));
        cr_assert_eq(!memcmp(out.sha1, zero, sizeof(out.sha1)), !(want & SPU_HASH_SHA1));
        cr_assert_eq(!memcmp(out.sha256, zero, sizeof(out.sha256)), !(want & SPU_HASH_SHA256));
    }    spu_gvm_free(g);
}

/* The hashes a bundle's rules read: none without rules or when they read
 * other fields (only fields named md5/sha1/sha256 count); each one alone,
 * and a rule reading two of them. */
Test(gvm_digest, hashes_the_rules_read)
{
    static const char g[] = "protocol f over tcp {\n"
                            "  message m from client {\n"
                            "    n: /[0-9]+/; \"\\n\";\n"
                            "    body: bytes(int(n)) limit 16 digest;\n"
                            "    md5 = md5(body);\n"
                            "    sha1 = sha1(body);\n"
                            "    sha256 = sha256(body);\n"
                            "    size = file_size(body);\n"
                            "    event f.m;\n"
                            "  }\n"
                            "}\n";
    static const struct {
        const char *rules;
        unsigned want;
    } cases[] = {
        {NULL, 0},
        {"import f;\nrule sid 1 \"s\" on f.m { if (size > 1) Alert(); }\n", 0},
        {"import f;\nrule sid 1 \"s\" on f.m { if (md5 != null) Alert(); }\n", SPU_HASH_MD5},
        {"import f;\nrule sid 1 \"s\" on f.m { if (sha1 != null) Alert(); }\n", SPU_HASH_SHA1},
        {"import f;\nrule sid 1 \"s\" on f.m { if (sha256 != null) Alert(); }\n",
         SPU_HASH_SHA256},
        {"import f;\nrule sid 1 \"s\" on f.m { if (md5 == sha256) Alert(); }\n",
         SPU_HASH_MD5 | SPU_HASH_SHA256},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spu_bundle *b = hc_bundle(g, cases[i].rules);
        cr_assert_not_null(b, "case %zu", i);
        cr_assert_eq(spu_bundle_file_hashes(b), cases[i].want, "case %zu: %u", i,
                     spu_bundle_file_hashes(b));
        spu_bundle_unref(b);
    }
}

/* A `record` capture keeps no content to carry a digest: refused. */
Test(gvm_digest, record_capture_refuses_digest)
{
    static const char g[] = "protocol f over tcp {\n"
                            "  unit u { x: /[a-z]+/; }\n"
                            "  message m from client {\n"
                            "    r: bytes(4) parse u record digest;\n"
                            "    event f.m;\n"
                            "  }\n"
                            "}\n";
    struct spu_bundle *b = hc_bundle(g, NULL);
    cr_assert_null(b);
}

/* One table names the hashes for the rules' fields and --force-hash. */
Test(gvm_digest, hash_names)
{
    cr_assert_eq(spu_hash_bit("md5", 3), SPU_HASH_MD5);
    cr_assert_eq(spu_hash_bit("sha1", 4), SPU_HASH_SHA1);
    cr_assert_eq(spu_hash_bit("sha256", 6), SPU_HASH_SHA256);
    cr_assert_eq(spu_hash_bit("sha2567", 6), SPU_HASH_SHA256, "the first n bytes only");
    cr_assert_eq(spu_hash_bit("sha", 3), 0);
    cr_assert_eq(spu_hash_bit("crc32", 5), 0);
}
