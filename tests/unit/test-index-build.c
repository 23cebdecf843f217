/* Unit tests for compiler/index-build.c and patterns.c: which rules get a
 * place in the lookup tree or the prefilter, and, on generated rule sets
 * (up to 10,000 rules) and messages, that the rules the runtime selects
 * (runtime/vm/index.h) are exactly the rules that match: every rule is run
 * on every message and its actions compared with the selection. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "helper-compile.h"
#include "index.h"

static const char *grammar =
    "protocol web over tcp {\n"
    "    ports 80;\n"
    "    index web.req by host, dir, file, ext;\n"
    "    token sp = \" \";\n"
    "    message req from client {\n"
    "        host: /[A-Za-z0-9.]+/; sp; dir: /[^ ]*/; sp; file: /[^ ]*/; sp; ext: /[a-z]*/; sp;\n"
    "        uri: /[^\\n]*/; \"\\n\";\n"
    "        event web.req;\n"
    "    }\n"
    "}\n";

/* ---- a deterministic generator ---- */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng_state >> 33) % n);
}

static const char *const hosts[] = {"h0.example", "h1.example", "h2.example", "h3.example",
                                    "h4.example", "www.test",   "api.test",   "cdn.test"};
static const char *const dirs[] = {"/", "/a/", "/b/", "/cgi-bin/", "/static/js/", "/admin/"};
static const char *const files[] = {"index", "login", "f0", "f1", "main", "upload"};
static const char *const exts[] = {"php", "exe", "html", "js", "css", ""};
static const char *const words[] = {"admin", "passwd", "select", "union", "etc", "x"};
#define N(a) (sizeof(a) / sizeof(a[0]))

struct sbuf {
    char *p;
    size_t len, cap;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (b->len + (size_t)n + 1 > b->cap) {
        b->cap = (b->cap + (size_t)n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        cr_assert_not_null(b->p);
    }
    memcpy(b->p + b->len, tmp, (size_t)n + 1);
    b->len += (size_t)n;
}

static void upper_first(char *dst, const char *src, size_t n)
{
    if (dst != src)
        snprintf(dst, n, "%s", src);
    if (dst[0] >= 'a' && dst[0] <= 'z')
        dst[0] = (char)(dst[0] - 32);
}

/* One term: an index test on a level, a literal test on uri, or an `||`
 * of literal tests. `used` marks levels (and uri) already tested by this
 * rule: one test per field, so every term gates the rule on its own and
 * the selection must be exact (with two literal terms on one field only
 * the longer one is scanned for; see the `patterns` test). */
static void term(struct sbuf *b, unsigned *used)
{
    char u[64];
    for (;;) {
        unsigned k = rnd(12);
        if (k == 0 && !(*used & 1)) {
            *used |= 1;
            put(b, "host == \"%s\"", hosts[rnd(N(hosts))]);
        } else if (k == 1 && !(*used & 1)) {
            *used |= 1;
            put(b, "lower(host) == \"%s\"", hosts[rnd(N(hosts))]);
        } else if (k == 2 && !(*used & 1)) {
            *used |= 1;
            upper_first(u, hosts[rnd(N(hosts))], sizeof(u));
            put(b, "StringCompare(host, \"%s\", nocase: true) == 0", u);
        } else if (k == 3 && !(*used & 2)) {
            *used |= 2;
            put(b, "starts_with(dir, \"%.3s\")", dirs[rnd(N(dirs))]);
        } else if (k == 4 && !(*used & 2)) {
            *used |= 2;
            upper_first(u, dirs[rnd(N(dirs))] + 1, sizeof(u));
            put(b, "starts_with(dir, \"/%.2s\", nocase: true)", u);
        } else if (k == 5 && !(*used & 2)) {
            *used |= 2;
            put(b, "dir == \"%s\"", dirs[rnd(N(dirs))]);
        } else if (k == 6 && !(*used & 4)) {
            *used |= 4;
            put(b, "ends_with(file, \"%s\")", files[rnd(N(files))] + 1);
        } else if (k == 7 && !(*used & 4)) {
            *used |= 4;
            put(b, "file in { \"%s\", \"%s\" }", files[rnd(N(files))], files[rnd(N(files))]);
        } else if (k == 8 && !(*used & 8)) {
            *used |= 8;
            put(b, "ext in %s", rnd(2) ? "scripts" : "media");
        } else if (k == 9 && !(*used & 8)) {
            *used |= 8;
            put(b, "FindInList(ext, scripts)");
        } else if (k == 10 && !(*used & 16)) {
            *used |= 16;
            static const char *const ops[] = {"uri ~ \"%s\"", "contains(uri, \"%s\")",
                                              "StringInString(uri, \"%s\", nocase: true)"};
            put(b, ops[rnd(3)], words[rnd(N(words))]);
        } else if (k == 11 && !(*used & 16)) {
            *used |= 16;
            put(b, "(uri ~ \"%s\" || contains(uri, \"%s\"))", words[rnd(N(words))],
                words[rnd(N(words))]);
        } else {
            continue;
        }
        return;
    }
}

/* Rules: eligible ones (a conjunction of tests) and, every 37th, one that
 * cannot be skipped (an else branch). eligible[i] says which. */
static char *gen_rules(uint32_t n, uint8_t *eligible)
{
    struct sbuf b = {0};
    put(&b, "import web;\n"
            "list scripts = { \"php\", \"js\", \"PY\" } ;\n"
            "list media = { \"css\", \"html\" };\n");
    for (uint32_t i = 0; i < n; i++) {
        put(&b, "rule sid %u on web.req { if (", i + 1);
        unsigned used = 0, nt = 1 + rnd(3);
        for (unsigned t = 0; t < nt; t++) {
            if (t)
                put(&b, " && ");
            term(&b, &used);
        }
        eligible[i] = i % 37 != 36;
        put(&b, ") Alert();%s }\n", eligible[i] ? "" : " else if (uri ~ \"zz\") Log(1);");
    }
    return b.p;
}

/* The line of rule `sid` in the generated text (for failure messages). */
static const char *rule_text(const char *rules, uint32_t sid)
{
    static char line[512];
    char key[32];
    snprintf(key, sizeof(key), "rule sid %u ", sid);
    const char *p = strstr(rules, key);
    size_t n = p ? strcspn(p, "\n") : 0;
    snprintf(line, sizeof(line), "%.*s", (int)n, p ? p : "");
    return line;
}

struct msg {
    char host[32], dir[32], file[32], ext[16], uri[64];
};

static void gen_msg(struct msg *m)
{
    snprintf(m->host, sizeof(m->host), "%s", hosts[rnd(N(hosts))]);
    if (rnd(4) == 0)
        m->host[0] = (char)(m->host[0] - 32); /* all hosts start with a letter */
    snprintf(m->dir, sizeof(m->dir), "%s", dirs[rnd(N(dirs))]);
    if (rnd(5) == 0)
        upper_first(m->dir + 1, dirs[rnd(N(dirs))] + 1, sizeof(m->dir) - 1);
    snprintf(m->file, sizeof(m->file), "%s", files[rnd(N(files))]);
    snprintf(m->ext, sizeof(m->ext), "%s", exts[rnd(N(exts))]);
    snprintf(m->uri, sizeof(m->uri), "/%s?%s=%s%s", words[rnd(N(words))], words[rnd(N(words))],
             rnd(3) ? "" : "ZZ", words[rnd(N(words))]);
}

/* Compile, then for each message compare the selection with running every
 * rule. Returns the number of (rule, message) pairs that matched. */
static uint64_t check_selection(uint32_t nrules, uint32_t nmsgs, uint64_t seed)
{
    rng_state = seed;
    uint8_t *eligible = calloc(nrules, 1);
    char *rules = gen_rules(nrules, eligible);
    struct spu_bundle *b = hc_bundle(grammar, rules);
    cr_assert_not_null(b);
    uint32_t ev = hc_event(b, "web.req");
    uint32_t nr;
    const struct spu_brule *br = spu_bundle_rules(b, &nr);
    cr_assert_eq(nr, nrules);
    uint32_t indexed = 0;
    for (uint32_t i = 0; i < nr; i++) {
        cr_assert_eq(br[i].sid, i + 1);
        indexed += !!(br[i].flags & SPU_RF_INDEXED);
        cr_expect(eligible[i] || !(br[i].flags & (SPU_RF_INDEXED | SPU_RF_PREFILTERED)),
                  "rule %u has an else branch but was indexed", i + 1);
    }
    cr_expect_gt(indexed, nrules / 2);
    struct spu_error err;
    struct spu_vm *vm = spu_vm_new(NULL, &err);
    struct spu_index *ix = spu_index_new(&err);
    struct spu_arena *a = spu_arena_new(0, 0);
    uint8_t *sel = calloc(nrules, 1);
    uint64_t matched = 0;
    for (uint32_t m = 0; m < nmsgs; m++) {
        struct msg msg;
        gen_msg(&msg);
        struct spu_record *r = hc_record(a, b, ev);
        hc_set(b, ev, r, "host", spu_v_str(msg.host, (uint32_t)strlen(msg.host)));
        hc_set(b, ev, r, "dir", spu_v_str(msg.dir, (uint32_t)strlen(msg.dir)));
        hc_set(b, ev, r, "file", spu_v_str(msg.file, (uint32_t)strlen(msg.file)));
        hc_set(b, ev, r, "ext", spu_v_str(msg.ext, (uint32_t)strlen(msg.ext)));
        hc_set(b, ev, r, "uri", spu_v_str(msg.uri, (uint32_t)strlen(msg.uri)));
        struct spu_cands c;
        cr_assert_eq(spu_index_select(ix, vm, b, ev, r, NULL, NULL, &c), SPU_OK);
        memset(sel, 0, nrules);
        for (uint32_t k = 0; k < c.n; k++)
            sel[c.rules[k]] = 1;
        struct hc_host host;
        hc_host_init(&host);
        for (uint32_t i = 0; i < nrules; i++) {
            uint32_t before = host.nact;
            cr_assert_eq(spu_vm_run_rule(vm, b, i, r, &hc_host_ops, &host, NULL), SPU_OK);
            int fired = host.nact != before;
            host.nact = 0; /* keep room: only whether it acted counts */
            matched += (uint64_t)fired;
            cr_assert(!fired || sel[i], "%s matched %s %s %s %s %s but was not selected",
                      rule_text(rules, i + 1), msg.host, msg.dir, msg.file, msg.ext, msg.uri);
            cr_assert(!eligible[i] || fired == sel[i], "%s selected for %s %s %s %s %s without "
                      "matching", rule_text(rules, i + 1), msg.host, msg.dir, msg.file, msg.ext,
                      msg.uri);
        }
        hc_host_fini(&host);
        spu_vm_reset(vm);
        spu_arena_reset(a);
    }
    free(sel);
    spu_arena_free(a);
    spu_index_free(ix);
    spu_vm_free(vm);
    spu_bundle_unref(b);
    free(rules);
    free(eligible);
    return matched;
}

Test(index_build, selection_is_exact_small)
{
    cr_expect_gt(check_selection(60, 400, 1), 0);
}

Test(index_build, selection_is_exact_1000)
{
    cr_expect_gt(check_selection(1000, 120, 7), 0);
}

Test(index_build, selection_is_exact_10000, .timeout = 600)
{
    cr_expect_gt(check_selection(10000, 25, 42), 0);
}

/* ---- which rules are eligible, and for what ---- */

static uint32_t flags_of(const struct spu_bundle *b, uint32_t sid)
{
    uint32_t n;
    return spu_bundle_rules(b, &n)[hc_rule(b, sid)].flags;
}

Test(index_build, eligibility)
{
    const char *rules =
        "import web;\n"
        "rule sid 1 on web.req { if (host == \"a\") Alert(); }\n"
        "rule sid 2 on web.req { if (host == \"a\") Alert(); else Log(1); }\n"
        "rule sid 3 on web.req { Log(2); if (host == \"a\") Alert(); }\n"
        "rule sid 4 on web.req { if (host == \"a\" || dir == \"/\") Alert(); }\n"
        "rule sid 5 on web.req { if (Alert() && host == \"a\") Log(1); }\n"
        "rule sid 6 on web.req { if (uri ~ \"admin\" && StringLength(uri) > 3) Alert(); }\n"
        "rule sid 7 on web.req { if (!(uri ~ \"admin\")) Alert(); }\n"
        "rule sid 8 on web.req { if (uri ~ \"a\" || host ~ \"b\") Alert(); }\n"
        "rule sid 9 on web.req { if (uri == \"/x\" && host == \"h\") Alert(); }\n"
        "rule sid 10 on web.req { if (upper(host) == \"Mixed\") Alert(); }\n"
        "rule sid 11 on web.req { if (StringLength(host) > 3) Alert(); }\n"
        "rule sid 12 on web.req { if (host == \"a\") { Alert(); return; } }\n";
    struct spu_bundle *b = hc_bundle(grammar, rules);
    cr_assert_not_null(b);
    cr_expect_eq(flags_of(b, 1), SPU_RF_INDEXED);
    cr_expect_eq(flags_of(b, 2), 0, "an else branch runs when the test fails");
    cr_expect_eq(flags_of(b, 3), 0, "a statement before the if");
    cr_expect_eq(flags_of(b, 4), 0, "a test under || does not gate");
    cr_expect_eq(flags_of(b, 5), 0, "an action in the condition");
    cr_expect_eq(flags_of(b, 6), SPU_RF_PREFILTERED);
    cr_expect_eq(flags_of(b, 7), 0, "a literal under ! does not gate");
    cr_expect_eq(flags_of(b, 8), 0, "an || over two fields");
    cr_expect_eq(flags_of(b, 9), SPU_RF_INDEXED | SPU_RF_PREFILTERED);
    cr_expect_eq(flags_of(b, 10), SPU_RF_PREFILTERED,
                 "upper(host) == \"Mixed\" is no tree test (it can never hold), but it needs "
                 "its literal");
    cr_expect_eq(flags_of(b, 11), 0);
    cr_expect_eq(flags_of(b, 12), SPU_RF_INDEXED);
    spu_bundle_unref(b);
}

/* The tree of a few rules, by its shape: levels in the grammar's order,
 * exact edges sorted, NOCASE values lowercase, an any-child for rules
 * without a test at a level, rules where their last test is. */
Test(index_build, tree_shape)
{
    const char *rules = "import web;\n"
                        "rule sid 1 on web.req { if (host == \"b.test\") Alert(); }\n"
                        "rule sid 2 on web.req { if (lower(host) == \"a.test\" && ext == \"php\")"
                        " Alert(); }\n"
                        "rule sid 3 on web.req { if (ext in { \"exe\", \"dll\" }) Alert(); }\n"
                        "rule sid 4 on web.req { if (starts_with(dir, \"/cgi\") && host == "
                        "\"b.test\") Alert(); }\n";
    struct spu_bundle *b = hc_bundle(grammar, rules);
    cr_assert_not_null(b);
    uint32_t n, ne, nn;
    const struct spu_bevent *ev = spu_bundle_events(b, &n);
    const struct spu_binode *nodes = spu_bundle_inodes(b, &nn);
    const struct spu_biedge *edges = spu_bundle_iedges(b, &ne);
    const struct spu_bevent *e = &ev[hc_event(b, "web.req")];
    cr_assert_neq(e->index_root, SPU_NONE);
    cr_expect_eq(e->nlevels, 4);
    const struct spu_binode *root = &nodes[e->index_root];
    cr_expect_eq(root->level, 0);
    cr_expect_eq(root->nedges, 2);
    cr_expect_eq(root->nexact, 2);
    uint32_t len;
    const char *v0 = spu_bundle_str(b, edges[root->edges].value, &len);
    cr_expect_eq(len, 6);
    cr_expect(memcmp(v0, "a.test", 6) == 0);
    cr_expect_eq(edges[root->edges].flags, SPU_IEF_NOCASE);
    cr_expect_eq(edges[root->edges + 1].flags, 0);
    cr_assert_neq(root->any, SPU_NONE);
    const struct spu_binode *any = &nodes[root->any];
    cr_expect_eq(any->level, 3, "rule 3 tests only ext: its node tests level 3");
    cr_expect_eq(any->nedges, 2);
    /* b.test: rule 1 here, rule 4 one level down (dir prefix) */
    const struct spu_binode *bt = &nodes[edges[root->edges + 1].child];
    cr_expect_eq(bt->nrules, 1);
    cr_expect_eq(spu_bundle_u32(b, bt->rules)[0], hc_rule(b, 1));
    cr_expect_eq(bt->level, 1);
    cr_expect_eq(bt->nedges, 1);
    cr_expect_eq(edges[bt->edges].kind, SPU_IE_PREFIX);
    spu_bundle_unref(b);
}

/* Patterns: one KEY program per scanned field, shared by the rules; the
 * longest literal of a field kept; case as the test says. */
Test(index_build, patterns)
{
    const char *rules = "import web;\n"
                        "rule sid 1 on web.req { if (uri ~ \"ab\" && uri ~ \"abcd\") Alert(); }\n"
                        "rule sid 2 on web.req { if (contains(uri, \"Q\") && "
                        "StringInString(file, \"zz\", nocase: true)) Alert(); }\n"
                        "rule sid 3 on web.req { if (uri ~ \"x\" || contains(uri, \"Y\")) "
                        "Alert(); }\n";
    struct spu_bundle *b = hc_bundle(grammar, rules);
    cr_assert_not_null(b);
    uint32_t n;
    const struct spu_bpattern *p = spu_bundle_patterns(b, &n);
    cr_assert_eq(n, 5);
    uint32_t len;
    cr_expect(memcmp(spu_bundle_str(b, p[0].literal, &len), "abcd", 4) == 0 && len == 4);
    cr_expect_eq(p[0].flags, SPU_IEF_NOCASE);
    cr_expect_eq(p[1].flags, 0, "contains() is case-sensitive by default");
    cr_expect_eq(p[2].flags, SPU_IEF_NOCASE);
    cr_expect_neq(p[1].key_prog, p[2].key_prog, "uri and file are scanned apart");
    cr_expect_eq(p[0].key_prog, p[1].key_prog, "one program per field");
    cr_expect_eq(p[3].rule, p[4].rule);
    cr_expect_eq(p[3].key_prog, p[4].key_prog);
    spu_bundle_unref(b);
}
