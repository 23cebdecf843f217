/* test-bundle-stores.c - which `digest` captures keep their bytes
 * (bundle-stores.h) and what a capture that keeps none gives: the same
 * size, hashes and field_truncated anomaly, an empty value. */
#include "test-gvm.h"

#include "bundle-stores.h"
#include "helper-compile.h"

/* A body kept up to 16 bytes with its digest, read by the grammar only
 * through file_size(), sha256(), magic() and filestore(). */
static const char grammar[] = "protocol f over tcp {\n"
                              "  message m from client {\n"
                              "    n: /[0-9]+/; \"\\n\";\n"
                              "    body: bytes(int(n)) limit 16 digest;\n"
                              "    size = file_size(body);\n"
                              "    h = sha256(body);\n"
                              "    mg = magic(body);\n"
                              "    st = filestore(body);\n"
                              "    event f.m;\n"
                              "  }\n"
                              "}\n";

/* The skips of b alone with host bits `host`: the number skipped, and
 * whether sink 0 (the body's) is one. */
static uint32_t skips_of(struct spu_bundle *b, unsigned host, uint8_t *first)
{
    uint32_t n = spu_bundle_store_sinks(b);
    cr_assert_geq(n, 1);
    uint8_t *skip = malloc(n);
    cr_assert_not_null(skip);
    const struct spu_bundle *set[] = {b};
    uint32_t k = spu_bundle_store_skips(b, set, 1, host, skip);
    *first = skip[0];
    free(skip);
    return k;
}

Test(bundle_stores, demand_of_grammar_rules_and_host)
{
    static const struct {
        const char *rules;
        unsigned host;
        uint32_t want;
    } cases[] = {
        /* nothing reads the bytes: skipped */
        {NULL, 0, 1},
        /* rules reading the digest's fields, not the body */
        {"import f;\nrule sid 1 \"s\" on f.m { if (size > 1) Alert(); }\n", 0, 1},
        {"import f;\nrule sid 1 \"s\" on f.m { if (file_size(body) > 1) Alert(); }\n", 0, 1},
        /* magic() and filestore() read it when the host has them on */
        {NULL, SPU_STORE_HOST_MAGIC, 0},
        {NULL, SPU_STORE_HOST_FILESTORE, 0},
        /* a rule reading the body's bytes */
        {"import f;\nrule sid 1 \"s\" on f.m { if (body ~ \"abc\") Alert(); }\n", 0, 0},
        {"import f;\nrule sid 1 \"s\" on f.m { if (StringLength(body) > 3) Alert(); }\n", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spu_bundle *b = hc_bundle(grammar, cases[i].rules);
        cr_assert_not_null(b, "case %zu", i);
        uint8_t first = 0;
        uint32_t k = skips_of(b, cases[i].host, &first);
        cr_assert_eq(k, cases[i].want, "case %zu: %u skipped", i, k);
        cr_assert_eq(first, cases[i].want, "case %zu", i);
        spu_bundle_unref(b);
    }
}

/* The grammar itself reading the bytes (StringLength, a copy into another
 * field) keeps them. */
Test(bundle_stores, grammar_reads_keep_the_bytes)
{
    static const char *const reads[] = {"kept = StringLength(body);", "copy = body;",
                                        "low = lower(body);"};
    for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
        char g[512];
        snprintf(g, sizeof(g),
                 "protocol f over tcp {\n"
                 "  message m from client {\n"
                 "    n: /[0-9]+/; \"\\n\";\n"
                 "    body: bytes(int(n)) limit 16 digest;\n"
                 "    %s\n"
                 "    event f.m;\n"
                 "  }\n"
                 "}\n",
                 reads[i]);
        struct spu_bundle *b = hc_bundle(g, NULL);
        cr_assert_not_null(b, "%s", reads[i]);
        uint8_t first = 1;
        cr_assert_eq(skips_of(b, 0, &first), 0, "%s", reads[i]);
        cr_assert_eq(first, 0);
        spu_bundle_unref(b);
    }
}

/* A capture without a digest always keeps its bytes. */
Test(bundle_stores, no_digest_no_skip)
{
    static const char g[] = "protocol f over tcp {\n"
                            "  message m from client {\n"
                            "    n: /[0-9]+/; \"\\n\";\n"
                            "    body: bytes(int(n)) limit 16;\n"
                            "    size = file_size(body);\n"
                            "    event f.m;\n"
                            "  }\n"
                            "}\n";
    struct spu_bundle *b = hc_bundle(g, NULL);
    cr_assert_not_null(b);
    uint8_t first = 1;
    cr_assert_eq(skips_of(b, 0, &first), 0);
    spu_bundle_unref(b);
}

/* Rules of another bundle of the set that read the body (by its layout
 * and field names) keep it in this one. */
Test(bundle_stores, another_bundle_of_the_set)
{
    struct spu_bundle *a = hc_bundle(grammar, NULL);
    struct spu_bundle *r =
        hc_bundle(grammar, "import f;\nrule sid 1 \"s\" on f.m { if (body ~ \"abc\") Alert(); }\n");
    cr_assert_not_null(a);
    cr_assert_not_null(r);
    uint32_t n = spu_bundle_store_sinks(a);
    uint8_t *skip = malloc(n);
    cr_assert_not_null(skip);
    const struct spu_bundle *alone[] = {a}, *both[] = {a, r};
    cr_assert_eq(spu_bundle_store_skips(a, alone, 1, 0, skip), 1);
    cr_assert_eq(skip[0], 1);
    cr_assert_eq(spu_bundle_store_skips(a, both, 2, 0, skip), 0);
    cr_assert_eq(skip[0], 0);
    free(skip);
    spu_bundle_unref(a);
    spu_bundle_unref(r);
}

/* With the body's sink skipped: the value is empty, its size and hash
 * are of all the bytes, and a body over the limit raises the same
 * field_truncated anomaly (flagged !T) as when it is kept; every cut of
 * the stream gives the same. */
Test(bundle_stores, skipped_capture_keeps_digest_and_anomaly)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    uint8_t skip[1] = {1};
    cr_assert_eq(spu_bundle_store_sinks(b), 1);
    static const char *const inputs[] = {"5\nhello", "20\nabcdefghijklmnopqrst"};
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, inputs[i], strlen(inputs[i])}};
        struct ga_split whole = {GA_WHOLE, 0, 0, NULL};
        char *kept = run_log(b, 0, steps, 1, whole);
        char *one = NULL;
        for (int mode = 0; mode < 2; mode++) {
            struct ga_split s = {mode ? GA_BYTES : GA_WHOLE, 0, 0, NULL};
            struct ga_result r;
            ga_run_skips(b, 0, steps, 1, s, NULL, skip, 1, &r);
            char *l = r.log;
            if (!one)
                one = l;
            else {
                cr_assert_str_eq(l, one, "cut differs: %s", inputs[i]);
                free(l);
            }
        }
        /* the same lines but for the body's bytes */
        cr_assert_not_null(strstr(one, "body=\"\""), "%s", one);
        cr_assert_eq(strstr(kept, "A f.field_truncated") != NULL,
                     strstr(one, "A f.field_truncated") != NULL, "%s\n%s", kept, one);
        const char *size = strstr(kept, " size="), *h = strstr(kept, " h=\"");
        cr_assert_not_null(size);
        cr_assert_not_null(h);
        char want[160];
        snprintf(want, sizeof(want), "%.*s", (int)(strchr(size + 1, ' ') - size), size);
        cr_assert_not_null(strstr(one, want), "%s in %s", want, one);
        snprintf(want, sizeof(want), "%.*s", 70, h);
        cr_assert_not_null(strstr(one, want), "%s in %s", want, one);
        free(kept);
        free(one);
    }
    spu_bundle_unref(b);
}

/* A rewrite action finds the body by name: every body is kept. */
Test(bundle_stores, rewrite_actions_keep_bodies)
{
    struct spu_bundle *b = hc_bundle(
        grammar, "import f;\nrule sid 1 \"s\" on f.m { DeleteString(\"abc\"); }\n");
    cr_assert_not_null(b);
    uint8_t first = 1;
    cr_assert_eq(skips_of(b, 0, &first), 0);
    spu_bundle_unref(b);
}
