/* Unit tests for compiler/nfa.c, compiler/dfa.c and runtime/vm/dfa-run.c.
 *
 * PCRE2 is the oracle. For hand-written and generated regexes, over
 * generated subjects (random bytes from an alphabet that matters to the
 * regex, and strings generated from the regex itself so that matches are
 * common), the DFA must accept after k bytes exactly when PCRE2 matches the
 * k-byte prefix with PCRE2_ANCHORED | PCRE2_ENDANCHORED. Search mode reports
 * the earliest end of a match and, through the reverse DFA, the leftmost
 * start of a match ending there; PCRE2 computes both from the definition
 * (ENDANCHORED on prefixes, ANCHORED | ENDANCHORED on substrings), and the
 * result is also compared with PCRE2's unanchored first match. Every DFA
 * built is also checked structurally: decide labels by brute force,
 * minimality by Moore refinement, class compression, canonical numbering,
 * and spu_dfa_check on its packed form. Streaming results must not depend
 * on where the input is split. All random generation uses fixed seeds. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "dfa-run.h"
#include "dfa.h"
#include "nfa.h"
#include "regex.h"

#define I SPU_RX_ICASE
#define S SPU_RX_DOTALL
#define NONE SPU_NONE

/* ------------------------------------------------------------ randomness */

struct rng {
    uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

static unsigned rn(struct rng *r, unsigned n)
{
    return (unsigned)(rnd(r) % n);
}

/* Printable form of a subject for messages (static buffer per call site is
 * enough: messages are formatted at once). */
static const char *esc(const uint8_t *s, size_t n, char *buf)
{
    char *o = buf;
    for (size_t i = 0; i < n; i++)
        o += sprintf(o, s[i] > 0x20 && s[i] < 0x7f && s[i] != '\\' ? "%c" : "\\x%02x", s[i]);
    *o = 0;
    return buf;
}

/* ---------------------------------------------------------------- oracle */

struct oracle {
    pcre2_code *code;
    pcre2_match_data *md;
};

static void oracle_init(struct oracle *o, const char *pat, unsigned flags)
{
    pcre2_compile_context *cc = pcre2_compile_context_create(NULL);
    pcre2_set_newline(cc, PCRE2_NEWLINE_LF);
    int e;
    PCRE2_SIZE eo;
    uint32_t opts = (flags & I ? PCRE2_CASELESS : 0) | (flags & S ? PCRE2_DOTALL : 0);
    o->code = pcre2_compile((PCRE2_SPTR)pat, strlen(pat), opts, &e, &eo, cc);
    pcre2_compile_context_free(cc);
    cr_assert_not_null(o->code, "pcre2 refuses /%s/: error %d at %zu", pat, e, (size_t)eo);
    o->md = pcre2_match_data_create_from_pattern(o->code, NULL);
}

static void oracle_fini(struct oracle *o)
{
    pcre2_match_data_free(o->md);
    pcre2_code_free(o->code);
}

/* pcre2_match, or pcre2_dfa_match (no backtracking, leftmost-longest)
 * for the few generated patterns where backtracking hits the match limit:
 * both decide whether a match exists alike. */
static int omatch(struct oracle *o, const uint8_t *s, size_t n, uint32_t opts)
{
    static const uint8_t empty[1];
    int ws[4000];
    s = n ? s : empty;
    int rc = pcre2_match(o->code, s, n, 0, opts, o->md, NULL);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT)
        rc = pcre2_dfa_match(o->code, s, n, 0, opts, o->md, NULL, ws, 4000);
    cr_assert(rc >= 0 || rc == PCRE2_ERROR_NOMATCH, "pcre2_match failed: %d", rc);
    return rc >= 0;
}

/* The whole of s[0..n) matches. */
static int o_full(struct oracle *o, const uint8_t *s, size_t n)
{
    return omatch(o, s, n, PCRE2_ANCHORED | PCRE2_ENDANCHORED);
}

/* Some match ends exactly at n. */
static int o_ends_at(struct oracle *o, const uint8_t *s, size_t n)
{
    return omatch(o, s, n, PCRE2_ENDANCHORED);
}

/* PCRE2's own first match (leftmost, its preference order); 0 if none. */
static int o_first(struct oracle *o, const uint8_t *s, size_t n, size_t *start, size_t *end)
{
    int m = omatch(o, s, n, 0);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(o->md);
    *start = m ? ov[0] : SIZE_MAX;
    *end = m ? ov[1] : SIZE_MAX;
    return m;
}

/* ------------------------------------------------------------- building */

struct built {
    const char *pat;
    unsigned flags;
    struct spu_regex *re;
    struct spu_dfa_image *anch, *search, *rev;
    struct spu_dfa da, ds, dr;
};

static struct spu_regex *parse_ok(const char *pat, unsigned flags)
{
    struct spu_error err;
    struct spu_regex *re = spu_regex_parse(pat, strlen(pat), flags, &err);
    cr_assert_not_null(re, "/%s/: %s at %llu", pat, err.msg, (unsigned long long)err.offset);
    return re;
}

static struct spu_dfa_image *build_ok(const struct spu_regex *const *res, uint32_t n,
                                      uint32_t flags, const char *what)
{
    struct spu_error err;
    struct spu_dfa_image *img = spu_dfa_build(res, n, flags, NULL, &err);
    cr_assert_not_null(img, "%s: %s", what, err.msg);
    return img;
}

static void built_init(struct built *b, const char *pat, unsigned flags)
{
    b->pat = pat;
    b->flags = flags;
    b->re = parse_ok(pat, flags);
    const struct spu_regex *one[1] = {b->re};
    b->anch = build_ok(one, 1, SPU_DFA_ANCHORED, pat);
    b->search = build_ok(one, 1, SPU_DFA_SEARCH, pat);
    b->rev = build_ok(one, 1, SPU_DFA_ANCHORED | SPU_DFA_BUILD_REVERSE, pat);
    spu_dfa_image_view(b->anch, &b->da);
    spu_dfa_image_view(b->search, &b->ds);
    spu_dfa_image_view(b->rev, &b->dr);
}

static void built_fini(struct built *b)
{
    spu_dfa_image_free(b->anch);
    spu_dfa_image_free(b->search);
    spu_dfa_image_free(b->rev);
    spu_regex_free(b->re);
}

static struct spu_dfa_image *build_one(const char *pat, unsigned rxflags, uint32_t mode)
{
    struct spu_regex *re = parse_ok(pat, rxflags);
    const struct spu_regex *one[1] = {re};
    struct spu_dfa_image *img = build_ok(one, 1, mode, pat);
    spu_regex_free(re);
    return img;
}

/* ----------------------------------------------------- structural checks */

/* decide by brute force: the accept labels of every state reachable from s. */
static void check_decide(const struct spu_dfa *d, const char *what)
{
    uint32_t n = d->nstates;
    uint8_t *seen = malloc(n);
    uint32_t *queue = malloc((n + 1) * sizeof(*queue));
    for (uint32_t s = 0; s < n; s++) {
        memset(seen, 0, n);
        uint32_t head = 0, tail = 0, one = NONE, many = 0;
        queue[tail++] = s;
        seen[s] = 1;
        while (head < tail) {
            uint32_t t = queue[head++];
            uint32_t a = d->accept[t];
            many |= a != NONE && one != NONE && a != one;
            one = one == NONE ? a : one;
            for (uint32_t c = 0; c < d->nclasses; c++) {
                uint32_t u = d->trans[(size_t)t * d->nclasses + c];
                queue[tail] = u;
                tail += !seen[u];
                seen[u] = 1;
            }
        }
        uint32_t want = many ? NONE : one;
        cr_assert_eq(d->decide[s], want, "%s: state %u decides %u, brute force says %u", what,
                     s, d->decide[s], want);
    }
    free(seen);
    free(queue);
}

/* Minimality by Moore refinement from (accept, decide): the number of
 * equivalence classes must be the number of states. */
static void check_minimal(const struct spu_dfa *d, const char *what)
{
    uint32_t n = d->nstates, nc = d->nclasses;
    uint32_t *cls = malloc(n * sizeof(*cls)), *ncls = malloc(n * sizeof(*ncls));
    uint32_t count = 0, prev = 0;
    for (uint32_t s = 0; s < n; s++) {
        uint32_t t = 0;
        while (t < s && !(d->accept[t] == d->accept[s] && d->decide[t] == d->decide[s]))
            t++;
        cls[s] = t;
    }
    do {
        prev = count;
        count = 0;
        for (uint32_t s = 0; s < n; s++) {
            uint32_t t = 0;
            for (; t < s; t++) {
                uint32_t c = 0;
                while (c < nc && cls[t] == cls[s] &&
                       cls[d->trans[(size_t)t * nc + c]] == cls[d->trans[(size_t)s * nc + c]])
                    c++;
                if (c == nc && cls[t] == cls[s])
                    break;
            }
            ncls[s] = t;
            count += t == s;
        }
        memcpy(cls, ncls, n * sizeof(*cls));
    } while (count != prev);
    cr_assert_eq(count, n, "%s: %u states but only %u distinguishable", what, n, count);
    free(cls);
    free(ncls);
}

/* Classes are maximal (no two columns equal) and numbered by lowest byte;
 * states are numbered breadth-first from the start, the dead state 0. */
static void check_canonical(const struct spu_dfa *d, const char *what)
{
    uint32_t n = d->nstates, nc = d->nclasses;
    for (uint32_t a = 0; a < nc; a++) {
        for (uint32_t b = a + 1; b < nc; b++) {
            uint32_t s = 0;
            while (s < n && d->trans[(size_t)s * nc + a] == d->trans[(size_t)s * nc + b])
                s++;
            cr_assert_lt(s, n, "%s: classes %u and %u behave alike", what, a, b);
        }
    }
    uint32_t top = 0;
    for (unsigned byte = 0; byte < 256; byte++) {
        cr_assert_leq(d->classmap[byte], top, "%s: class of byte %u out of order", what, byte);
        top += d->classmap[byte] == top;
    }
    cr_assert_eq(top, nc, "%s: %u classes used of %u", what, top, nc);
    uint32_t *id = malloc(n * sizeof(*id)), *order = malloc(n * sizeof(*order));
    for (uint32_t s = 0; s < n; s++)
        id[s] = NONE;
    uint32_t next = 0, head = 1;
    id[0] = next, order[next++] = 0;
    if (id[d->start] == NONE)
        id[d->start] = next, order[next++] = d->start;
    while (head < next) {
        uint32_t s = order[head++];
        for (uint32_t c = 0; c < nc; c++) {
            uint32_t t = d->trans[(size_t)s * nc + c];
            if (id[t] == NONE)
                id[t] = next, order[next++] = t;
        }
    }
    cr_assert_eq(next, n, "%s: %u states reachable of %u", what, next, n);
    for (uint32_t s = 0; s < n; s++)
        cr_assert_eq(id[s], s, "%s: state %u is not numbered breadth-first", what, s);
    free(id);
    free(order);
}

struct packed {
    struct spu_bdfa h;
    uint32_t *w;
    size_t n;
};

/* Pack `img` at DFADATA word `base` of a fresh section (junk before it). */
static struct packed pack_at(const struct spu_dfa_image *img, uint32_t base)
{
    struct packed p;
    p.n = base + spu_dfa_image_words(img);
    p.w = malloc(p.n * sizeof(*p.w));
    for (uint32_t i = 0; i < base; i++)
        p.w[i] = 0xdeadbeef;
    cr_assert_eq(spu_dfa_image_pack(img, base, &p.h, p.w + base, p.n - base), SPU_OK);
    return p;
}

static void check_all(const struct spu_dfa_image *img, const char *what)
{
    struct spu_dfa d;
    spu_dfa_image_view(img, &d);
    check_decide(&d, what);
    check_minimal(&d, what);
    check_canonical(&d, what);
    struct packed p = pack_at(img, 3);
    struct spu_error err;
    cr_assert_eq(spu_dfa_check(&p.h, p.w, p.n, &err), SPU_OK, "%s: check: %s", what, err.msg);
    free(p.w);
}

/* ------------------------------------------------------------- streaming */

enum mode { M_LONGEST, M_PREDICT, M_SURE, M_SEARCH, M_REV };

static int feed(enum mode m, const struct spu_dfa *d, struct spu_dfa_scan *s,
                const uint8_t *p, size_t n)
{
    switch (m) {
    case M_LONGEST:
        return spu_dfa_longest(d, s, p, n);
    case M_PREDICT:
        return spu_dfa_predict(d, s, p, n);
    case M_SURE:
        return spu_dfa_predict_sure(d, s, p, n);
    case M_SEARCH:
        return spu_dfa_search(d, s, p, n);
    default:
        return spu_dfa_longest_rev(d, s, p, n);
    }
}

struct res {
    uint32_t choice;
    uint64_t len; /* 0 unless the scan has an accepted prefix */
};

/* Feed s[0..n) cut at cuts[0..ncuts) (ascending); backward scans get the
 * pieces from the last to the first. Then end the input. */
static struct res run_cut(enum mode m, const struct spu_dfa *d, const uint8_t *p, size_t n,
                          const size_t *cuts, size_t ncuts)
{
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, d);
    for (size_t i = 0; i <= ncuts; i++) {
        size_t k = m == M_REV ? ncuts - i : i;
        size_t a = k ? cuts[k - 1] : 0, b = k < ncuts ? cuts[k] : n;
        int rc = feed(m, d, &s, p + a, b - a);
        cr_assert(rc == SPU_DONE || rc == SPU_NEED_MORE);
        cr_assert_eq(rc == SPU_DONE, s.done == 1);
    }
    cr_assert_eq(spu_dfa_finish(d, &s), SPU_DONE);
    return (struct res){s.choice, s.label == NONE ? 0 : s.len};
}

static struct res run_one(enum mode m, const struct spu_dfa *d, const uint8_t *p, size_t n)
{
    return run_cut(m, d, p, n, NULL, 0);
}

/* The same result whole, byte by byte, and split at every point. */
static void check_splits(enum mode m, const struct spu_dfa *d, const uint8_t *p, size_t n,
                         const char *what)
{
    char buf[256];
    struct res whole = run_one(m, d, p, n);
    size_t cuts[64] = {0};
    for (size_t i = 1; i < n; i++)
        cuts[i - 1] = i;
    struct res bytes = run_cut(m, d, p, n, cuts, n ? n - 1 : 0);
    cr_assert(whole.choice == bytes.choice && whole.len == bytes.len,
              "%s mode %d on '%s': whole %u/%llu, bytewise %u/%llu", what, m, esc(p, n, buf),
              whole.choice, (unsigned long long)whole.len, bytes.choice,
              (unsigned long long)bytes.len);
    for (size_t k = 0; k <= n; k++) {
        struct res two = run_cut(m, d, p, n, &k, 1);
        cr_assert(whole.choice == two.choice && whole.len == two.len,
                  "%s mode %d on '%s' split at %zu: %u/%llu vs %u/%llu", what, m,
                  esc(p, n, buf), k, whole.choice, (unsigned long long)whole.len, two.choice,
                  (unsigned long long)two.len);
    }
}

/* ------------------------------------------------------------ subjects */

#define MAXSUBJ 32

struct subject {
    uint8_t b[MAXSUBJ];
    size_t n;
};

static const char alphabet[] = "abcdz01AB_ \r\n./-]\xe9x\x00GETPOSH";

static void random_subject(struct rng *r, struct subject *s)
{
    s->n = rn(r, 14);
    for (size_t i = 0; i < s->n; i++)
        s->b[i] = (uint8_t)alphabet[rn(r, sizeof(alphabet) - 1)];
}

/* A byte of `set`, preferably one from the alphabet. */
static int pick_byte(struct rng *r, const struct spu_byteset *set)
{
    for (int t = 0; t < 6; t++) {
        uint8_t b = (uint8_t)alphabet[rn(r, sizeof(alphabet) - 1)];
        if (spu_byteset_has(set, b))
            return b;
    }
    unsigned count = 0;
    for (unsigned b = 0; b < 256; b++)
        count += spu_byteset_has(set, b);
    if (!count)
        return -1;
    unsigned k = rn(r, count);
    for (unsigned b = 0; b < 256; b++) {
        if (spu_byteset_has(set, b) && k-- == 0)
            return (int)b;
    }
    return -1;
}

static void gen_from(struct rng *r, const struct spu_rx_node *n, struct subject *s)
{
    switch (n->kind) {
    case SPU_RX_SET: {
        int b = pick_byte(r, &n->set);
        if (b >= 0 && s->n < MAXSUBJ)
            s->b[s->n++] = (uint8_t)b;
        return;
    }
    case SPU_RX_CAT:
        for (const struct spu_rx_node *k = n->kids; k; k = k->next)
            gen_from(r, k, s);
        return;
    case SPU_RX_ALT: {
        unsigned count = 0;
        for (const struct spu_rx_node *k = n->kids; k; k = k->next)
            count++;
        unsigned pick = rn(r, count);
        const struct spu_rx_node *k = n->kids;
        while (pick--)
            k = k->next;
        gen_from(r, k, s);
        return;
    }
    case SPU_RX_REPEAT: {
        uint32_t hi = n->max == SPU_RX_INF ? n->min + 3 : n->max;
        hi = hi > n->min + 3 ? n->min + 3 : hi;
        uint32_t times = n->min + rn(r, hi - n->min + 1);
        for (uint32_t i = 0; i < times && s->n < MAXSUBJ; i++)
            gen_from(r, n->kids, s);
        return;
    }
    default:
        return;
    }
}

/* A string of the regex's language (when it fits), then 0-3 random bytes. */
static void derived_subject(struct rng *r, const struct spu_regex *re, struct subject *s)
{
    s->n = 0;
    gen_from(r, spu_regex_root(re), s);
    size_t extra = rn(r, 4);
    for (size_t i = 0; i < extra && s->n < MAXSUBJ; i++)
        s->b[s->n++] = (uint8_t)alphabet[rn(r, sizeof(alphabet) - 1)];
}

/* ------------------------------------------------- the oracle comparison */

/* The search result computed from its definition with PCRE2: the earliest
 * end e of a match, and the leftmost start of a match ending at e. */
static void oracle_search(struct oracle *o, const uint8_t *p, size_t n, size_t *start,
                          size_t *end)
{
    size_t e = 0;
    while (e <= n && !o_ends_at(o, p, e))
        e++;
    size_t st = 0;
    while (e <= n && !o_full(o, p + st, e - st))
        st++;
    *end = e <= n ? e : SIZE_MAX;
    *start = e <= n ? st : SIZE_MAX;
}

/* The DFA's search: SEARCH DFA for the end, REVERSE DFA for the start. */
static void dfa_search(const struct built *b, const uint8_t *p, size_t n, size_t *start,
                       size_t *end)
{
    struct res r = run_one(M_SEARCH, &b->ds, p, n);
    size_t e = r.choice == NONE ? 0 : (size_t)r.len;
    struct res back = run_one(M_REV, &b->dr, p, e);
    *end = r.choice == NONE ? SIZE_MAX : e;
    *start = r.choice == NONE ? SIZE_MAX : e - (size_t)back.len;
    cr_assert(r.choice == NONE || back.choice == 0, "/%s/: reverse DFA found no start",
              b->pat);
}

static void check_subject(struct built *b, struct oracle *o, const uint8_t *p, size_t n)
{
    char buf[256];
    /* Acceptance after every prefix. */
    uint32_t st = b->da.start;
    size_t longest = SIZE_MAX;
    for (size_t k = 0; k <= n; k++) {
        int dfa_acc = b->da.accept[st] != NONE;
        int pcre_acc = o_full(o, p, k);
        cr_assert_eq(dfa_acc, pcre_acc, "/%s/ flags %u on the %zu-byte prefix of '%s': dfa %d "
                     "pcre2 %d", b->pat, b->flags, k, esc(p, n, buf), dfa_acc, pcre_acc);
        longest = pcre_acc ? k : longest;
        st = k < n ? b->da.trans[(size_t)st * b->da.nclasses + b->da.classmap[p[k]]] : st;
    }
    /* Longest match. */
    size_t len;
    uint32_t label = spu_dfa_match(&b->da, p, n, &len);
    cr_assert_eq(label == NONE ? SIZE_MAX : len, longest, "/%s/ longest on '%s'", b->pat,
                 esc(p, n, buf));
    /* Search. */
    size_t ds, de, os, oe, fs, fe;
    dfa_search(b, p, n, &ds, &de);
    oracle_search(o, p, n, &os, &oe);
    cr_assert(ds == os && de == oe, "/%s/ search on '%s': dfa [%zd,%zd) oracle [%zd,%zd)",
              b->pat, esc(p, n, buf), (ssize_t)ds, (ssize_t)de, (ssize_t)os, (ssize_t)oe);
    /* PCRE2's own first match: found alike; ours never ends later and
     * never starts before it. */
    int found = o_first(o, p, n, &fs, &fe);
    cr_assert_eq(found, de != SIZE_MAX);
    cr_assert(de == SIZE_MAX || (de <= fe && ds >= fs), "/%s/ on '%s': ours [%zu,%zu) pcre2 "
              "[%zu,%zu)", b->pat, esc(p, n, buf), ds, de, fs, fe);
    /* Split invariance in every mode. */
    check_splits(M_LONGEST, &b->da, p, n, b->pat);
    check_splits(M_PREDICT, &b->da, p, n, b->pat);
    check_splits(M_SURE, &b->da, p, n, b->pat);
    check_splits(M_SEARCH, &b->ds, p, n, b->pat);
    check_splits(M_SEARCH, &b->da, p, n, b->pat);
    check_splits(M_REV, &b->dr, p, n, b->pat);
}

static void check_regex(const char *pat, unsigned flags, struct rng *r, int nsubjects)
{
    struct built b;
    struct oracle o;
    built_init(&b, pat, flags);
    oracle_init(&o, pat, flags);
    check_all(b.anch, pat);
    check_all(b.search, pat);
    check_all(b.rev, pat);
    for (int i = 0; i < nsubjects; i++) {
        struct subject s;
        random_subject(r, &s);
        check_subject(&b, &o, s.b, s.n);
        derived_subject(r, b.re, &s);
        check_subject(&b, &o, s.b, s.n);
    }
    oracle_fini(&o);
    built_fini(&b);
}

/* ------------------------------------------------------- regex generator */

struct gen {
    struct rng *r;
    char buf[600];
    size_t len;
};

static void put(struct gen *g, const char *s)
{
    size_t n = strlen(s);
    cr_assert_lt(g->len + n, sizeof(g->buf));
    memcpy(g->buf + g->len, s, n + 1);
    g->len += n;
}

#define PICK(g, arr) ((arr)[rn((g)->r, sizeof(arr) / sizeof((arr)[0]))])

static void gen_literal(struct gen *g)
{
    static const char *const esc_meta[] = {"\\.", "\\*", "\\-", "\\(", "\\[", "\\|", "\\/",
                                           "\\n", "\\t", "\\x61", "\\xe9", "\\x00", "\\r"};
    static const char *const plain[] = {"a", "b", "c", "A", "B", "0", "1", " ", "_", "-"};
    put(g, rn(g->r, 5) == 0 ? PICK(g, esc_meta) : PICK(g, plain));
}

static void gen_class(struct gen *g)
{
    static const char *const items[] = {"a", "b", "c", "A", "0", "_", "a-c", "0-1", "A-B",
                                        "a-z", "\\x00-a", "b-\\xff", "\\d", "\\s", "\\w",
                                        "\\n", "\\]", "\\-", "\\x41", "\\W"};
    put(g, rn(g->r, 3) == 0 ? "[^" : "[");
    unsigned n = 1 + rn(g->r, 3);
    for (unsigned i = 0; i < n; i++)
        put(g, PICK(g, items));
    put(g, "]");
}

static void gen_alt(struct gen *g, int depth);

static void gen_atom(struct gen *g, int depth)
{
    static const char *const cls[] = {"\\d", "\\w", "\\s", "\\D", "\\W", "\\S", "."};
    unsigned r = g->len > 100 ? 4 : rn(g->r, 12);
    if (depth > 0 && r < 3) {
        put(g, rn(g->r, 2) ? "(" : "(?:");
        gen_alt(g, depth - 1);
        put(g, ")");
    } else if (r < 7) {
        gen_literal(g);
    } else if (r < 10) {
        gen_class(g);
    } else {
        put(g, PICK(g, cls));
    }
}

static void gen_quant(struct gen *g)
{
    static const char *const q[] = {"*", "+", "?", "{0}", "{1}", "{2}", "{3}", "{0,}",
                                    "{2,}", "{0,1}", "{0,2}", "{1,3}", "{2,3}"};
    put(g, PICK(g, q));
}

static void gen_cat(struct gen *g, int depth)
{
    unsigned n = g->len > 100 ? 1 : rn(g->r, 8) == 0 ? 0 : 1 + rn(g->r, 3);
    for (unsigned i = 0; i < n; i++) {
        gen_atom(g, depth);
        if (rn(g->r, 10) < 3)
            gen_quant(g);
    }
}

static void gen_alt(struct gen *g, int depth)
{
    unsigned n = g->len > 100 || rn(g->r, 4) ? 1 : 2 + rn(g->r, 2);
    for (unsigned i = 0; i < n; i++) {
        put(g, i ? "|" : "");
        gen_cat(g, depth);
    }
}

static unsigned gen_regex(struct rng *r, char *out, size_t cap)
{
    struct gen g = {.r = r};
    g.buf[0] = 0;
    gen_alt(&g, 3);
    cr_assert_lt(g.len, cap);
    memcpy(out, g.buf, g.len + 1);
    return rn(r, 4); /* flags: none, i, s, both */
}

/* --------------------------------------------------------------- oracles */

static const struct {
    const char *pat;
    unsigned flags;
} handwritten[] = {
    {"[A-Z]+", 0},
    {"[^ \\r\\n]+", 0},
    {"HTTP\\/[0-9]\\.[0-9]", 0},
    {"\\r?\\n", 0},
    {"[0-9A-Fa-f]+", 0},
    {"[^\\r\\n]*", 0},
    {"(GET|POST|HEAD) ", 0},
    {"get", I},
    {"chunked", I},
    {"Content-Length", I},
    {"\\d{1,3}(\\.\\d{1,3}){3}", 0},
    {"a{0,3}b{2,}", 0},
    {"(a|ab)(c|bcd)(d*)", 0},
    {"(a*)*b", 0},
    {"((a|b)*c){2}", 0},
    {"[]a-]+", 0},
    {"[^]]", 0},
    {"\\W+\\s*\\S", 0},
    {".{2}", S},
    {".{2}", 0},
    {".*\\n", 0},
    {"(?:ab|a)(?:bc|c)?", 0},
    {"", 0},
    {"a?", 0},
    {"(|a)+", 0},
    {"x*y*z*", 0},
    {"[ab]*a[ab]{2}", 0},
    {"(0|1(01*0)*1)*", 0},
    {"(aa)*", 0},
    {"a{2,4}(b|c)", I},
    {"[^a-z]+", I},
    {"(a|b|c|ab|bc|abc)*", 0},
    {"\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\/\\\\", 0},
    {"[\\x00-\\x1f\\x7f-\\xff]+", 0},
    {"\\xe9+", I},
    {"(?:a{0,2}){2,3}", 0},
    {"(a{1,2}){0,}b", 0},
    {"[\\s\\d]+|[^\\s\\d]", 0},
    {"[^\\x00-\\xff]", 0},
    {"a[^\\x00-\\xff]|b", 0},
    {"(a+|b+)*c", 0},
    {"((ab)*|c)d", 0},
    {"(GET|POST) \\/[^ ]* HTTP\\/1\\.[01]\\r\\n", 0},
    {"\\r\\n\\.\\r\\n", 0},
    {"[a-c]{3}|b.", S},
    {"\\x00+\\xff", 0},
};

Test(dfa, pcre2_oracle_handwritten)
{
    struct rng r = {0x1234567887654321ull};
    for (size_t i = 0; i < sizeof(handwritten) / sizeof(handwritten[0]); i++)
        check_regex(handwritten[i].pat, handwritten[i].flags, &r, 40);
}

Test(dfa, pcre2_oracle_generated)
{
    struct rng r = {0x9e3779b97f4a7c15ull};
    for (int i = 0; i < 600; i++) {
        char pat[600];
        unsigned flags = gen_regex(&r, pat, sizeof(pat));
        check_regex(pat, flags, &r, 12);
    }
}

/* ------------------------------------------------------- multi-pattern */

struct multi {
    uint32_t n;
    char pats[4][600];
    unsigned flags[4];
};

/* Longest match over several patterns: the longest prefix any pattern
 * matches, the lowest label among those matching it. */
static struct res oracle_multi(struct oracle *o, uint32_t n, const uint8_t *p, size_t len)
{
    struct res best = {NONE, 0};
    for (size_t k = 0; k <= len; k++) {
        uint32_t lbl = NONE;
        for (uint32_t i = n; i-- > 0;)
            lbl = o_full(&o[i], p, k) ? i : lbl;
        best = lbl != NONE ? (struct res){lbl, k} : best;
    }
    return best;
}

static void check_multi(const struct multi *m, struct rng *r, int nsubjects)
{
    struct spu_regex *res[4] = {0};
    struct oracle o[4];
    for (uint32_t i = 0; i < m->n; i++) {
        res[i] = parse_ok(m->pats[i], m->flags[i]);
        oracle_init(&o[i], m->pats[i], m->flags[i]);
    }
    struct spu_dfa_image *img = build_ok((const struct spu_regex *const *)res, m->n,
                                         SPU_DFA_ANCHORED, m->pats[0]);
    check_all(img, m->pats[0]);
    struct spu_dfa d;
    spu_dfa_image_view(img, &d);
    cr_assert_eq(d.nlabels, m->n);
    char buf[256];
    for (int t = 0; t < nsubjects; t++) {
        struct subject s;
        random_subject(r, &s);
        /* every other subject is derived from one of the patterns */
        derived_subject(r, res[rn(r, m->n)], t % 2 ? &s : &(struct subject){{0}, 0});
        struct res want = oracle_multi(o, m->n, s.b, s.n);
        struct res got = run_one(M_LONGEST, &d, s.b, s.n);
        cr_assert(got.choice == want.choice && got.len == want.len,
                  "/%s/ + %u more on '%s': dfa %u/%llu, pcre2 %u/%llu", m->pats[0], m->n - 1,
                  esc(s.b, s.n, buf), got.choice, (unsigned long long)got.len, want.choice,
                  (unsigned long long)want.len);
        /* predict_sure always agrees with the longest match; the speculative
         * predict agrees whenever something matches. */
        struct res sure = run_one(M_SURE, &d, s.b, s.n);
        struct res spec = run_one(M_PREDICT, &d, s.b, s.n);
        cr_assert_eq(sure.choice, want.choice);
        cr_assert(spec.choice == want.choice || want.choice == NONE,
                  "speculative %u, longest %u", spec.choice, want.choice);
        check_splits(M_LONGEST, &d, s.b, s.n, m->pats[0]);
        check_splits(M_PREDICT, &d, s.b, s.n, m->pats[0]);
        check_splits(M_SURE, &d, s.b, s.n, m->pats[0]);
    }
    spu_dfa_image_free(img);
    for (uint32_t i = 0; i < m->n; i++) {
        spu_regex_free(res[i]);
        oracle_fini(&o[i]);
    }
}

Test(dfa, multi_pattern_labels_handwritten)
{
    static const struct multi cases[] = {
        {3, {"GET ", "POST ", "PUT "}, {0, 0, 0}},
        {2, {"ab", "abcd"}, {0, 0}},
        {2, {"abcd", "ab"}, {0, 0}},
        {2, {"[a-z]+", "if"}, {0, 0}},
        {2, {"if", "[a-z]+"}, {0, 0}},
        {2, {"\\r?\\n", "[^\\r\\n]+:"}, {0, 0}},
        {3, {"a*", "b*", "(ab)*"}, {0, 0, 0}},
        {2, {"a", "a"}, {0, 0}},
        {4, {"x", "[xy]", "x+", "(xy)+"}, {0, 0, 0, I}},
        {2, {"chunked", "[a-z]+"}, {I, 0}},
    };
    struct rng r = {0xabcdef0123456789ull};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_multi(&cases[i], &r, 60);
}

Test(dfa, multi_pattern_labels_generated)
{
    struct rng r = {0x0ddba11c0ffee123ull};
    for (int i = 0; i < 300; i++) {
        struct multi m;
        m.n = 2 + rn(&r, 3);
        for (uint32_t k = 0; k < m.n; k++)
            m.flags[k] = gen_regex(&r, m.pats[k], sizeof(m.pats[k]));
        check_multi(&m, &r, 10);
    }
}

/* ------------------------------------------------ minimization, identity */

static int img_equal(const struct spu_dfa_image *a, const struct spu_dfa_image *b)
{
    size_t cells = (size_t)a->nstates * a->nclasses;
    return a->nstates == b->nstates && a->nclasses == b->nclasses && a->start == b->start &&
           a->nlabels == b->nlabels && a->flags == b->flags &&
           memcmp(a->classmap, b->classmap, 256) == 0 &&
           memcmp(a->trans, b->trans, cells * sizeof(uint32_t)) == 0 &&
           memcmp(a->accept, b->accept, a->nstates * sizeof(uint32_t)) == 0 &&
           memcmp(a->decide, b->decide, a->nstates * sizeof(uint32_t)) == 0;
}

Test(dfa, equivalent_regexes_give_identical_images)
{
    static const char *const pairs[][2] = {
        {"(a|b)*", "[ab]*"},
        {"(a*b*)*", "[ab]*"},
        {"a+", "aa*"},
        {"(ab|ac)", "a(b|c)"},
        {"a{2,3}", "aaa?"},
        {"[a-c]x|[b-d]x", "[a-d]x"},
        {"(a|b)*abb", "[ab]*abb"},
        {"x?x?", "x{0,2}"},
        {"(?:a|b)*a(?:a|b){2}", "[ab]*a[ab][ab]"},
        {"\\d+", "[0-9][0-9]*"},
        {"(a|b|c)+", "[a-c]+"},
        {"((a*)*)*", "a*"},
        {"[^\\n]", "."},
        {"GET|GET", "GET"},
        {"(a|)+", "a*"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        struct spu_dfa_image *a = build_one(pairs[i][0], 0, SPU_DFA_ANCHORED);
        struct spu_dfa_image *b = build_one(pairs[i][1], 0, SPU_DFA_ANCHORED);
        struct spu_dfa_image *c = build_one(pairs[i][0], 0, SPU_DFA_ANCHORED);
        cr_expect(img_equal(a, b), "/%s/ and /%s/ differ (%u vs %u states)", pairs[i][0],
                  pairs[i][1], a->nstates, b->nstates);
        cr_expect(img_equal(a, c), "/%s/ is not deterministic", pairs[i][0]);
        spu_dfa_image_free(a);
        spu_dfa_image_free(b);
        spu_dfa_image_free(c);
    }
}

Test(dfa, minimal_sizes_of_known_languages)
{
    static const struct {
        const char *pat;
        unsigned flags;
        uint32_t mode, nstates, nclasses;
    } cases[] = {
        /* the dead state is always state 0 and always counted */
        {"a*", 0, SPU_DFA_ANCHORED, 2, 2},
        {"[\\x00-\\xff]*", 0, SPU_DFA_ANCHORED, 2, 1},
        {".*", S, SPU_DFA_ANCHORED, 2, 1},
        {"(aa)*", 0, SPU_DFA_ANCHORED, 3, 2},
        {"(0|1(01*0)*1)*", 0, SPU_DFA_ANCHORED, 4, 3}, /* binary multiples of 3 */
        {"[ab]*a", 0, SPU_DFA_ANCHORED, 3, 3},
        {"[ab]*a[ab]", 0, SPU_DFA_ANCHORED, 5, 3},
        {"[ab]*a[ab]{2}", 0, SPU_DFA_ANCHORED, 9, 3},
        {"[ab]*a[ab]{5}", 0, SPU_DFA_ANCHORED, 65, 3}, /* 2^(k+1) + dead */
        {"[ab]*a[ab]{9}", 0, SPU_DFA_ANCHORED, 1025, 3},
        {"abc", 0, SPU_DFA_SEARCH, 5, 4},
        {"abc", I, SPU_DFA_ANCHORED, 5, 4},
        {"[^\\x00-\\xff]", 0, SPU_DFA_ANCHORED, 1, 1},
        {"", 0, SPU_DFA_ANCHORED, 2, 1},
        {"(a{255}){255}", 0, SPU_DFA_ANCHORED, 65027, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spu_dfa_image *img = build_one(cases[i].pat, cases[i].flags, cases[i].mode);
        cr_expect_eq(img->nstates, cases[i].nstates, "/%s/: %u states, want %u",
                     cases[i].pat, img->nstates, cases[i].nstates);
        cr_expect_eq(img->nclasses, cases[i].nclasses, "/%s/: %u classes, want %u",
                     cases[i].pat, img->nclasses, cases[i].nclasses);
        spu_dfa_image_free(img);
    }
}

Test(dfa, empty_language_starts_dead)
{
    struct spu_dfa_image *img = build_one("[^\\x00-\\xff]x*", 0, SPU_DFA_ANCHORED);
    struct spu_dfa d;
    spu_dfa_image_view(img, &d);
    cr_assert_eq(d.start, 0);
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_longest(&d, &s, (const uint8_t *)"x", 1), SPU_DONE);
    cr_assert_eq(s.choice, NONE);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_search(&d, &s, (const uint8_t *)"x", 1), SPU_DONE);
    cr_assert_eq(s.choice, NONE);
    check_all(img, "empty language");
    spu_dfa_image_free(img);
}

/* ------------------------------------------------------- streaming cases */

static struct spu_dfa_image *build_many(uint32_t mode, uint32_t n, const char *const *pats)
{
    struct spu_regex *res[8] = {0};
    for (uint32_t i = 0; i < n; i++)
        res[i] = parse_ok(pats[i], 0);
    struct spu_dfa_image *img = build_ok((const struct spu_regex *const *)res, n, mode, pats[0]);
    for (uint32_t i = 0; i < n; i++)
        spu_regex_free(res[i]);
    return img;
}

#define U8(s) ((const uint8_t *)(s))

Test(dfa, longest_is_final_without_the_next_byte_when_nothing_can_extend)
{
    struct spu_dfa_image *crlf = build_one("\\r?\\n", 0, SPU_DFA_ANCHORED);
    struct spu_dfa_image *word = build_one("[A-Z]+", 0, SPU_DFA_ANCHORED);
    struct spu_dfa d, w;
    spu_dfa_image_view(crlf, &d);
    spu_dfa_image_view(word, &w);
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_longest(&d, &s, U8("\r"), 1), SPU_NEED_MORE);
    cr_assert_eq(spu_dfa_longest(&d, &s, U8("\n"), 1), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.len, 2);
    cr_assert_eq(s.consumed, 2);
    /* Done is sticky. */
    cr_assert_eq(spu_dfa_longest(&d, &s, U8("\n"), 1), SPU_DONE);
    cr_assert_eq(s.len, 2);
    cr_assert_eq(s.consumed, 2);
    /* A token that could go on waits for the next byte. */
    spu_dfa_scan_init(&s, &w);
    cr_assert_eq(spu_dfa_longest(&w, &s, U8("GET"), 3), SPU_NEED_MORE);
    cr_assert_eq(s.label, 0);
    cr_assert_eq(s.len, 3);
    cr_assert_eq(spu_dfa_longest(&w, &s, U8(" /"), 2), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.len, 3);
    cr_assert_eq(s.consumed, 4);
    /* ... or for the end of the stream. */
    spu_dfa_scan_init(&s, &w);
    cr_assert_eq(spu_dfa_longest(&w, &s, U8("HEAD"), 4), SPU_NEED_MORE);
    cr_assert_eq(spu_dfa_finish(&w, &s), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.len, 4);
    /* No match at all. */
    spu_dfa_scan_init(&s, &w);
    cr_assert_eq(spu_dfa_longest(&w, &s, U8("get"), 3), SPU_DONE);
    cr_assert_eq(s.choice, NONE);
    cr_assert_eq(s.consumed, 1);
    /* An empty chunk changes nothing. */
    spu_dfa_scan_init(&s, &w);
    cr_assert_eq(spu_dfa_longest(&w, &s, NULL, 0), SPU_NEED_MORE);
    cr_assert_eq(s.consumed, 0);
    spu_dfa_image_free(crlf);
    spu_dfa_image_free(word);
}

Test(dfa, longest_match_backs_off_to_the_last_accept)
{
    static const char *const pats[] = {"a|abc"};
    struct spu_dfa_image *img = build_many(SPU_DFA_ANCHORED, 1, pats);
    struct spu_dfa d;
    spu_dfa_image_view(img, &d);
    size_t len = 99;
    cr_assert_eq(spu_dfa_match(&d, U8("abX"), 3, &len), 0);
    cr_assert_eq(len, 1);
    cr_assert_eq(spu_dfa_match(&d, U8("abcX"), 4, &len), 0);
    cr_assert_eq(len, 3);
    cr_assert_eq(spu_dfa_match(&d, U8("X"), 1, &len), NONE);
    cr_assert_eq(len, 0);
    cr_assert_eq(spu_dfa_match(&d, U8("ab"), 2, NULL), 0);
    spu_dfa_image_free(img);
}

/* Stream s through d in chunks cut at random (chunks of up to `maxc`
 * bytes), then finish: the longest match. */
static struct spu_dfa_scan longest_chunked(const struct spu_dfa *d, const uint8_t *s, size_t n,
                                           struct rng *r, unsigned maxc)
{
    struct spu_dfa_scan sc;
    spu_dfa_scan_init(&sc, d);
    size_t at = 0;
    while (at < n) {
        size_t k = 1 + rn(r, maxc);
        if (k > n - at)
            k = n - at;
        if (spu_dfa_longest(d, &sc, s + at, k) == SPU_DONE)
            break;
        at += k;
    }
    spu_dfa_finish(d, &sc);
    return sc;
}

Test(dfa, runs_give_the_same_longest_match_as_stepping)
{
    static const char *const pats[] = {
        "[^\\r\\n]*", "[^<]+",   "a[^xyz]*b", "[^ab]*c|d[^\\n]*", "x(.*)y",
        "[^ ]+ [^ ]+", "<[^>]*>", "[a-z]*",    "\\r?\\n",
    };
    static const char alpha[] = "abcdxyz<> \r\n\tHT";
    struct rng r = {0x5eed1234u};
    for (size_t pi = 0; pi < sizeof(pats) / sizeof(pats[0]); pi++) {
        struct spu_dfa_image *img = build_one(pats[pi], S, SPU_DFA_ANCHORED);
        struct spu_dfa plain, fast;
        spu_dfa_image_view(img, &plain);
        spu_dfa_image_view(img, &fast);
        struct spu_dfa_run *runs = spu_dfa_runs_new(&fast);
        cr_assert_not_null(runs);
        fast.runs = runs;
        cr_assert_eq(runs[0].nexit, SPU_DFA_NORUN, "the dead state is no run");
        unsigned nrun = 0;
        for (uint32_t st = 1; st < fast.nstates; st++) {
            if (runs[st].nexit == SPU_DFA_NORUN)
                continue;
            nrun++;
            /* every byte but the exits stays; every exit leaves */
            for (unsigned b = 0; b < 256; b++) {
                int is_exit = 0;
                for (unsigned k = 0; k < runs[st].nexit; k++)
                    is_exit |= runs[st].exit[k] == b;
                uint32_t to = fast.trans[(size_t)st * fast.nclasses + fast.classmap[b]];
                cr_assert_eq(to == st, !is_exit, "/%s/ state %u byte 0x%02x", pats[pi], st, b);
            }
        }
        /* [^\r\n]* and [^<]+ have one each ("\r?\n" none) */
        cr_assert(pi >= 2 || nrun == 1, "/%s/: %u run states", pats[pi], nrun);
        cr_assert(pi != 8 || nrun == 0, "/%s/: %u run states", pats[pi], nrun);
        uint8_t buf[600];
        for (int t = 0; t < 300; t++) {
            size_t n = rn(&r, sizeof(buf));
            /* long stretches of one byte make runs; the rest is noise */
            for (size_t i = 0; i < n;) {
                uint8_t ch = (uint8_t)alpha[rn(&r, sizeof(alpha) - 1)];
                size_t len = rn(&r, 4) ? 1 : 1 + rn(&r, 80);
                for (size_t j = 0; j < len && i < n; j++)
                    buf[i++] = rn(&r, 8) ? ch : (uint8_t)alpha[rn(&r, sizeof(alpha) - 1)];
            }
            /* the same cuts for both (a cut can end a scan early: see
             * longest_is_final_without_the_next_byte_...) */
            unsigned maxc = 1u + rn(&r, 300);
            struct rng c1 = {rnd(&r) | 1}, c2 = c1;
            struct spu_dfa_scan a = longest_chunked(&plain, buf, n, &c1, maxc);
            struct spu_dfa_scan b = longest_chunked(&fast, buf, n, &c2, maxc);
            char e[600 * 4 + 1];
            cr_assert_eq(a.choice, b.choice, "/%s/ on \"%s\"", pats[pi], esc(buf, n, e));
            cr_assert_eq(a.label, b.label, "/%s/ on \"%s\"", pats[pi], esc(buf, n, e));
            if (a.choice != NONE)
                cr_assert_eq(a.len, b.len, "/%s/ on \"%s\"", pats[pi], esc(buf, n, e));
            cr_assert_eq(a.state, b.state, "/%s/ on \"%s\"", pats[pi], esc(buf, n, e));
            cr_assert_eq(a.consumed, b.consumed, "/%s/ on \"%s\"", pats[pi], esc(buf, n, e));
        }
        spu_dfa_runs_free(runs);
        spu_dfa_image_free(img);
    }
}

Test(dfa, predict_decides_early_and_predict_sure_waits)
{
    static const char *const methods[] = {"GET ", "POST ", "PUT "};
    struct spu_dfa_image *img = build_many(SPU_DFA_ANCHORED, 3, methods);
    struct spu_dfa d;
    spu_dfa_image_view(img, &d);
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict(&d, &s, U8("GEX"), 3), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.consumed, 1);
    cr_assert_eq(s.label, NONE);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict(&d, &s, U8("P"), 1), SPU_NEED_MORE);
    cr_assert_eq(spu_dfa_predict(&d, &s, U8("OS"), 2), SPU_DONE);
    cr_assert_eq(s.choice, 1);
    cr_assert_eq(s.consumed, 2);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict_sure(&d, &s, U8("GET"), 3), SPU_NEED_MORE);
    cr_assert_eq(spu_dfa_predict_sure(&d, &s, U8(" /x"), 3), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.consumed, 4);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict_sure(&d, &s, U8("GEX"), 3), SPU_DONE);
    cr_assert_eq(s.choice, NONE);
    spu_dfa_image_free(img);

    /* A label accepted earlier is not overruled by a longer one that is
     * only possible: "ab" wins on "abcX". */
    static const char *const nested[] = {"ab", "abcd"};
    img = build_many(SPU_DFA_ANCHORED, 2, nested);
    spu_dfa_image_view(img, &d);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict(&d, &s, U8("abc"), 3), SPU_NEED_MORE);
    cr_assert_eq(spu_dfa_predict(&d, &s, U8("X"), 1), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict(&d, &s, U8("abcd"), 4), SPU_DONE);
    cr_assert_eq(s.choice, 1);
    spu_dfa_image_free(img);

    /* One label alone (the first token of E in E?): predict commits before
     * any byte, predict_sure does not. */
    static const char *const alone[] = {"GET "};
    img = build_many(SPU_DFA_ANCHORED, 1, alone);
    spu_dfa_image_view(img, &d);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict(&d, &s, NULL, 0), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict_sure(&d, &s, U8("X"), 1), SPU_DONE);
    cr_assert_eq(s.choice, NONE);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_predict_sure(&d, &s, U8("GET "), 4), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    spu_dfa_image_free(img);
}

/* The resync loop as it was: spu_dfa_search on one byte at a time, the
 * position noted whenever the state before the byte is the start state. */
static int search_bytewise(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                           size_t n, uint64_t *idle)
{
    int rc = SPU_NEED_MORE;
    for (size_t i = 0; i < n && rc != SPU_DONE; i++) {
        if (s->state == d->start)
            *idle = s->consumed;
        rc = spu_dfa_search(d, s, p + i, 1);
    }
    return rc;
}

Test(dfa, search_idle_is_the_bytewise_search)
{
    static const char *const sets[][2] = {
        {"HTTP/[0-9]\\.[0-9] [0-9][0-9][0-9]", NULL}, /* start state: a run (exit 'H') */
        {"(GET|POST|HEAD) ", NULL},                       /* start state: no run */
        {"\\n", NULL},
        {"ab+", "cd"},
    };
    static const char alpha[] = "HTP/1.0 200GETPOSabcd\n x";
    struct rng r = {0xabcdef01u};
    for (size_t si = 0; si < sizeof(sets) / sizeof(sets[0]); si++) {
        const char *pats[2] = {sets[si][0], sets[si][1]};
        uint32_t np = pats[1] ? 2 : 1;
        struct spu_dfa_image *img = build_many(SPU_DFA_SEARCH, np, pats);
        struct spu_dfa plain, fast;
        spu_dfa_image_view(img, &plain);
        spu_dfa_image_view(img, &fast);
        struct spu_dfa_run *runs = spu_dfa_runs_new(&fast);
        cr_assert_not_null(runs);
        fast.runs = runs;
        if (si == 0)
            cr_assert_eq(runs[fast.start].nexit, 1, "the HTTP search starts in a run");
        uint8_t buf[700];
        for (int t = 0; t < 300; t++) {
            size_t n = rn(&r, sizeof(buf));
            for (size_t i = 0; i < n;) {
                /* filler runs, and now and then a (near) match */
                if (rn(&r, 6) == 0) {
                    const char *m = rn(&r, 2) ? "HTTP/1.1 200" : "POST ";
                    size_t k = strlen(m) - rn(&r, 3);
                    for (size_t j = 0; j < k && i < n; j++)
                        buf[i++] = (uint8_t)m[j];
                } else {
                    size_t len = 1 + rn(&r, 60);
                    uint8_t ch = (uint8_t)alpha[rn(&r, sizeof(alpha) - 1)];
                    for (size_t j = 0; j < len && i < n; j++)
                        buf[i++] = rn(&r, 10) ? 'x' : ch;
                }
            }
            struct spu_dfa_scan a, b;
            spu_dfa_scan_init(&a, &plain);
            spu_dfa_scan_init(&b, &fast);
            uint64_t ia = 12345, ib = 12345;
            int ra = SPU_NEED_MORE, rb = SPU_NEED_MORE;
            unsigned maxc = 1u + rn(&r, 300);
            for (size_t at = 0; at < n && ra != SPU_DONE;) {
                size_t k = 1 + rn(&r, maxc);
                if (k > n - at)
                    k = n - at;
                /* as gvm_resync feeds it: from where the scan stands */
                size_t from = (size_t)a.consumed;
                if (from >= n)
                    break;
                if (k > n - from)
                    k = n - from;
                ra = search_bytewise(&plain, &a, buf + from, k, &ia);
                rb = spu_dfa_search_idle(&fast, &b, buf + from, k, &ib);
                char e[700 * 4 + 1];
                cr_assert_eq(ra, rb, "/%s/ on \"%s\"", pats[0], esc(buf, n, e));
                cr_assert_eq(ia, ib, "/%s/ at %zu on \"%s\"", pats[0], from, esc(buf, n, e));
                cr_assert_eq(a.state, b.state, "/%s/ on \"%s\"", pats[0], esc(buf, n, e));
                cr_assert_eq(a.consumed, b.consumed, "/%s/ on \"%s\"", pats[0],
                             esc(buf, n, e));
                cr_assert_eq(a.choice, b.choice);
                cr_assert_eq(a.len, b.len);
                at = from + k;
            }
        }
        spu_dfa_runs_free(runs);
        spu_dfa_image_free(img);
    }
}

Test(dfa, search_finds_earliest_end_and_start)
{
    static const char *const pats[] = {"ab+", "cd"};
    struct spu_dfa_image *fwd = build_many(SPU_DFA_SEARCH, 2, pats);
    struct spu_dfa_image *rev = build_many(SPU_DFA_ANCHORED | SPU_DFA_BUILD_REVERSE, 2, pats);
    struct spu_dfa d, r;
    spu_dfa_image_view(fwd, &d);
    spu_dfa_image_view(rev, &r);
    const uint8_t *text = U8("xxaaxcabbbd");
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_search(&d, &s, text, 3), SPU_NEED_MORE);
    cr_assert_eq(spu_dfa_search(&d, &s, text + 3, 8), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.len, 8); /* "xxaaxcab" */
    cr_assert_eq(s.consumed, 8);
    struct spu_dfa_scan b;
    spu_dfa_scan_init(&b, &r);
    spu_dfa_longest_rev(&r, &b, text, 8);
    spu_dfa_finish(&r, &b);
    cr_assert_eq(b.choice, 0);
    cr_assert_eq(8 - b.len, 6); /* the match starts at "ab" */
    /* The start state means no match is in progress: bytes before it can
     * be dropped. */
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_search(&d, &s, U8("xyz"), 3), SPU_NEED_MORE);
    cr_assert_eq(s.state, d.start);
    cr_assert_eq(spu_dfa_search(&d, &s, U8("a"), 1), SPU_NEED_MORE);
    cr_assert_neq(s.state, d.start);
    spu_dfa_image_free(fwd);
    spu_dfa_image_free(rev);

    /* An anchored DFA searched: protocol detection (shortest prefix). */
    static const char *const detect[] = {"(GET|POST) "};
    struct spu_dfa_image *det = build_many(SPU_DFA_ANCHORED, 1, detect);
    spu_dfa_image_view(det, &d);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_search(&d, &s, U8("GET / HTTP/1.1"), 14), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.len, 4);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_search(&d, &s, U8("XGET "), 5), SPU_DONE);
    cr_assert_eq(s.choice, NONE);
    spu_dfa_image_free(det);

    /* A pattern that matches the empty string matches at once. */
    struct spu_dfa_image *opt = build_one("a*", 0, SPU_DFA_SEARCH);
    spu_dfa_image_view(opt, &d);
    spu_dfa_scan_init(&s, &d);
    cr_assert_eq(spu_dfa_search(&d, &s, U8("bbb"), 3), SPU_DONE);
    cr_assert_eq(s.choice, 0);
    cr_assert_eq(s.len, 0);
    cr_assert_eq(s.consumed, 0);
    spu_dfa_image_free(opt);
}

/* --------------------------------------------------------------- check */

/* The DFA of "ab" (label 0) and "cd" (label 1). Classes: other, a, b, c, d.
 * States: 0 dead, 1 start, 2 after a, 3 after c, 4 "ab", 5 "cd". */
static struct spu_dfa_image *ab_cd(void)
{
    static const char *const pats[] = {"ab", "cd"};
    struct spu_dfa_image *img = build_many(SPU_DFA_ANCHORED, 2, pats);
    cr_assert_eq(img->nstates, 6);
    cr_assert_eq(img->nclasses, 5);
    cr_assert_eq(img->trans[1 * 5 + 1], 2);
    cr_assert_eq(img->trans[1 * 5 + 3], 3);
    cr_assert_eq(img->accept[5], 1);
    cr_assert_eq(img->decide[1], NONE);
    cr_assert_eq(img->decide[3], 1);
    return img;
}

struct corruption {
    const char *what;
    int field;       /* which thing to change, see corrupt() */
    uint64_t index;  /* word index within the table, or ignored */
    uint32_t value;
    uint64_t offset; /* expected err.offset (bytes in dfadata) or UINT64_MAX */
};

enum {
    C_FLAGS, C_NSTATES, C_NCLASSES, C_NLABELS, C_START, C_CLASSMAP_AT, C_TRANS_AT,
    C_ACCEPT_AT, C_DECIDE_AT, C_CLASSMAP_BYTE, C_TRANS, C_ACCEPT, C_DECIDE
};

static void corrupt(struct packed *p, const struct corruption *c)
{
    uint8_t *cm = (uint8_t *)(p->w + p->h.classmap);
    switch (c->field) {
    case C_FLAGS: p->h.flags = c->value; break;
    case C_NSTATES: p->h.nstates = c->value; break;
    case C_NCLASSES: p->h.nclasses = c->value; break;
    case C_NLABELS: p->h.nlabels = c->value; break;
    case C_START: p->h.start = c->value; break;
    case C_CLASSMAP_AT: p->h.classmap = c->value; break;
    case C_TRANS_AT: p->h.trans = c->value; break;
    case C_ACCEPT_AT: p->h.accept = c->value; break;
    case C_DECIDE_AT: p->h.decide = c->value; break;
    case C_CLASSMAP_BYTE: cm[c->index] = (uint8_t)c->value; break;
    case C_TRANS: p->w[p->h.trans + c->index] = c->value; break;
    case C_ACCEPT: p->w[p->h.accept + c->index] = c->value; break;
    default: p->w[p->h.decide + c->index] = c->value; break;
    }
}

Test(dfa, check_refuses_each_corruption)
{
    struct spu_dfa_image *img = ab_cd();
    const uint32_t base = 7;
    struct packed good = pack_at(img, base);
    const uint32_t trans = base + 64, accept = trans + 30, decide = accept + 6;
    const uint64_t nw = good.n;
    const struct corruption cases[] = {
        {"no mode", C_FLAGS, 0, 0, UINT64_MAX},
        {"both modes", C_FLAGS, 0, 3, UINT64_MAX},
        {"unknown flag", C_FLAGS, 0, SPU_DFA_ANCHORED | 8, UINT64_MAX},
        {"no states", C_NSTATES, 0, 0, UINT64_MAX},
        {"no classes", C_NCLASSES, 0, 0, UINT64_MAX},
        {"257 classes", C_NCLASSES, 0, 257, UINT64_MAX},
        {"no labels", C_NLABELS, 0, 0, UINT64_MAX},
        {"start out of range", C_START, 0, 6, UINT64_MAX},
        {"huge state count", C_NSTATES, 0, 0x40000000u, UINT64_MAX},
        {"class map past the end", C_CLASSMAP_AT, 0, (uint32_t)nw - 63, UINT64_MAX},
        {"class map at UINT32_MAX", C_CLASSMAP_AT, 0, UINT32_MAX, UINT64_MAX},
        {"transitions past the end", C_TRANS_AT, 0, (uint32_t)nw - 29, UINT64_MAX},
        {"accept past the end", C_ACCEPT_AT, 0, (uint32_t)nw - 5, UINT64_MAX},
        {"decide past the end", C_DECIDE_AT, 0, UINT32_MAX - 2, UINT64_MAX},
        {"class id too big", C_CLASSMAP_BYTE, 'x', 5, (uint64_t)(base + 'x' / 4) * 4},
        {"transition out of range", C_TRANS, 2 * 5 + 2, 6, (uint64_t)(trans + 12) * 4},
        {"dead state leaves", C_TRANS, 3, 1, (uint64_t)(trans + 3) * 4},
        {"dead state accepts", C_ACCEPT, 0, 0, (uint64_t)accept * 4},
        {"dead state decides", C_DECIDE, 0, 1, (uint64_t)decide * 4},
        {"accept label out of range", C_ACCEPT, 4, 2, (uint64_t)(accept + 4) * 4},
        {"decide label out of range", C_DECIDE, 2, 7, (uint64_t)(decide + 2) * 4},
        {"decide contradicted by a successor", C_DECIDE, 1, 0, (uint64_t)(decide + 1) * 4},
        {"decide contradicted by accept", C_DECIDE, 5, 0, (uint64_t)(decide + 5) * 4},
    };
    struct spu_error err;
    cr_assert_eq(spu_dfa_check(&good.h, good.w, good.n, &err), SPU_OK, "%s", err.msg);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct packed p = pack_at(img, base);
        corrupt(&p, &cases[i]);
        int rc = spu_dfa_check(&p.h, p.w, p.n, &err);
        cr_expect_eq(rc, SPU_EVERIFY, "%s: accepted", cases[i].what);
        cr_expect_eq(err.offset, cases[i].offset, "%s: offset %llu (%s)", cases[i].what,
                     (unsigned long long)err.offset, err.msg);
        cr_expect(err.msg[0], "%s: no message", cases[i].what);
        struct spu_dfa view;
        int vr = spu_dfa_from_bundle(&view, &p.h, p.w, p.n);
        cr_expect(vr == SPU_OK || vr == SPU_EFORMAT);
        free(p.w);
    }
    /* A section too short for the tables. */
    cr_assert_eq(spu_dfa_check(&good.h, good.w, good.n - 1, &err), SPU_EVERIFY);
    cr_assert_eq(spu_dfa_check(&good.h, NULL, 0, &err), SPU_EVERIFY);
    cr_assert_eq(spu_dfa_check(NULL, good.w, good.n, &err), SPU_EINVAL);
    cr_assert_eq(spu_dfa_check(&good.h, NULL, 5, NULL), SPU_EINVAL);
    free(good.w);
    spu_dfa_image_free(img);
}

/* Random damage to a valid packed DFA (descriptor fields and section
 * words, small or huge values), and fully random descriptors: the check
 * answers OK or EVERIFY and never reads outside the section (ASan in the
 * SAN build); whatever it accepts, the scans run on safely. */
static void damage(struct rng *r, struct packed *p)
{
    uint32_t v = rn(r, 2) ? rn(r, 8) : (uint32_t)rnd(r);
    switch (rn(r, 10)) {
    case 0: p->h.nstates = v; break;
    case 1: p->h.nclasses = v; break;
    case 2: p->h.start = v; break;
    case 3: p->h.nlabels = v; break;
    case 4: p->h.flags = v; break;
    case 5: p->h.trans = rn(r, 2) ? p->h.trans + rn(r, 3) - 1 : v; break;
    case 6: p->h.accept = rn(r, 2) ? p->h.accept + rn(r, 3) - 1 : v; break;
    default: p->w[rn(r, (unsigned)p->n)] = rn(r, 2) ? v : NONE; break;
    }
}

Test(dfa, check_survives_random_damage)
{
    static const uint8_t zero_map[256];
    static const uint32_t zero_row[1] = {0}, no_label[1] = {NONE};
    const struct spu_dfa dead = {1, 1, 0, 1, SPU_DFA_ANCHORED, zero_map, zero_row, no_label,
                                 no_label, NULL};
    struct spu_dfa_image *img = ab_cd();
    struct rng r = {0xfeedfacecafebeefull};
    int accepted = 0, refused = 0;
    for (int iter = 0; iter < 20000; iter++) {
        struct packed p = pack_at(img, 4);
        unsigned hits = rn(&r, 4);
        for (unsigned i = 0; i < hits; i++)
            damage(&r, &p);
        /* One time in eight, a section cut short. */
        p.n = rn(&r, 8) ? p.n : rn(&r, (unsigned)p.n);
        int rc = spu_dfa_check(&p.h, p.w, p.n, NULL);
        cr_assert(rc == SPU_OK || rc == SPU_EVERIFY);
        struct spu_dfa d;
        int vr = spu_dfa_from_bundle(&d, &p.h, p.w, p.n);
        cr_assert(rc != SPU_OK || vr == SPU_OK);
        accepted += rc == SPU_OK;
        refused += rc != SPU_OK;
        uint8_t text[24];
        for (size_t i = 0; i < sizeof(text); i++)
            text[i] = (uint8_t)alphabet[rn(&r, sizeof(alphabet) - 1)];
        /* Only accepted data may be run; refused data runs a dead DFA. */
        const struct spu_dfa *run = rc == SPU_OK ? &d : &dead;
        struct spu_dfa_scan s;
        spu_dfa_scan_init(&s, run);
        spu_dfa_longest(run, &s, text, sizeof(text));
        spu_dfa_scan_init(&s, run);
        spu_dfa_search(run, &s, text, sizeof(text));
        spu_dfa_scan_init(&s, run);
        spu_dfa_predict(run, &s, text, sizeof(text));
        spu_dfa_scan_init(&s, run);
        spu_dfa_longest_rev(run, &s, text, sizeof(text));
        free(p.w);
    }
    cr_assert_gt(accepted, 1000);
    cr_assert_gt(refused, 1000);
    spu_dfa_image_free(img);
}

Test(dfa, check_survives_random_descriptors)
{
    struct rng r = {0x0123456789abcdefull};
    for (int iter = 0; iter < 20000; iter++) {
        size_t nw = rn(&r, 400);
        uint32_t *w = malloc((nw ? nw : 1) * sizeof(*w));
        for (size_t i = 0; i < nw; i++)
            w[i] = rn(&r, 4) ? rn(&r, 3) : (uint32_t)rnd(&r);
        struct spu_bdfa h = {
            .nstates = rn(&r, 4) ? rn(&r, 5) : (uint32_t)rnd(&r),
            .nclasses = rn(&r, 4) ? rn(&r, 300) : (uint32_t)rnd(&r),
            .start = rn(&r, 4) ? rn(&r, 3) : (uint32_t)rnd(&r),
            .nlabels = rn(&r, 4) ? rn(&r, 4) : (uint32_t)rnd(&r),
            .classmap = rn(&r, 4) ? rn(&r, 400) : (uint32_t)rnd(&r),
            .trans = rn(&r, 4) ? rn(&r, 400) : (uint32_t)rnd(&r),
            .accept = rn(&r, 4) ? rn(&r, 400) : (uint32_t)rnd(&r),
            .decide = rn(&r, 4) ? rn(&r, 400) : (uint32_t)rnd(&r),
            .flags = rn(&r, 4) ? rn(&r, 4) : (uint32_t)rnd(&r),
        };
        int rc = spu_dfa_check(&h, w, nw, NULL);
        cr_assert(rc == SPU_OK || rc == SPU_EVERIFY);
        struct spu_dfa d;
        int vr = spu_dfa_from_bundle(&d, &h, w, nw);
        cr_assert(vr == SPU_OK || vr == SPU_EFORMAT);
        free(w);
    }
}

Test(dfa, from_bundle_and_pack_layout)
{
    struct spu_dfa_image *img = ab_cd();
    struct packed p = pack_at(img, 2);
    cr_assert_eq(p.h.classmap, 2);
    cr_assert_eq(p.h.trans, 66);
    cr_assert_eq(p.h.accept, 96);
    cr_assert_eq(p.h.decide, 102);
    cr_assert_eq(p.h.nstates, 6);
    cr_assert_eq(p.h.nclasses, 5);
    cr_assert_eq(p.h.nlabels, 2);
    cr_assert_eq(p.h.flags, SPU_DFA_ANCHORED);
    cr_assert_eq(p.n, 2 + spu_dfa_image_words(img));
    /* Class bytes packed little-endian, four per word: 'a' (0x61) is the
     * second byte of word 0x18. */
    cr_assert_eq((p.w[2 + 0x18] >> 8) & 0xff, img->classmap['a']);
    cr_assert_eq(p.w[2 + 0x18] & 0xff, img->classmap['`']);
    struct spu_dfa d;
    cr_assert_eq(spu_dfa_from_bundle(&d, &p.h, p.w, p.n), SPU_OK);
    size_t len;
    cr_assert_eq(spu_dfa_match(&d, U8("cdx"), 3, &len), 1);
    cr_assert_eq(len, 2);
    cr_assert_eq(spu_dfa_from_bundle(&d, &p.h, p.w, p.n - 1), SPU_EFORMAT);
    cr_assert_eq(spu_dfa_from_bundle(NULL, &p.h, p.w, p.n), SPU_EINVAL);
    struct spu_bdfa h;
    uint32_t small[8];
    cr_assert_eq(spu_dfa_image_pack(img, 0, &h, small, 8), SPU_ERANGE);
    cr_assert_eq(spu_dfa_image_pack(img, UINT32_MAX - 10, &h, p.w, p.n), SPU_ERANGE);
    free(p.w);
    spu_dfa_image_free(img);
}

/* ----------------------------------------------------------------- caps */

static int build_err(const char *pat, uint32_t mode, const struct spu_dfa_limits *lim,
                     struct spu_error *err)
{
    struct spu_regex *re = parse_ok(pat, 0);
    const struct spu_regex *one[1] = {re};
    struct spu_dfa_image *img = spu_dfa_build(one, 1, mode, lim, err);
    int rc = img ? SPU_OK : err->code;
    spu_dfa_image_free(img);
    spu_regex_free(re);
    return rc;
}

Test(dfa, state_cap_gives_a_clear_error)
{
    struct spu_error err;
    cr_assert_eq(build_err("[ab]*a[ab]{20}", SPU_DFA_ANCHORED, NULL, &err), SPU_ELIMIT);
    cr_assert_not_null(strstr(err.msg, "too complex"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "100000 states"), "%s", err.msg);
    struct spu_dfa_limits small = {.max_dfa_states = 10};
    cr_assert_eq(build_err("[ab]*a[ab]{5}", SPU_DFA_ANCHORED, &small, &err), SPU_ELIMIT);
    cr_assert_not_null(strstr(err.msg, "more than 10 states"), "%s", err.msg);
    cr_assert_eq(build_err("[ab]*a[ab]{2}", SPU_DFA_ANCHORED, &small, &err), SPU_OK);
    struct spu_dfa_limits work = {.max_work = 100};
    cr_assert_eq(build_err("[a-z]{60}", SPU_DFA_ANCHORED, &work, &err), SPU_ELIMIT);
    cr_assert_not_null(strstr(err.msg, "100 words"), "%s", err.msg);
}

Test(dfa, nfa_cap_gives_a_clear_error)
{
    struct spu_error err;
    cr_assert_eq(build_err("((a{255}){255}){255}", SPU_DFA_ANCHORED, NULL, &err), SPU_ELIMIT);
    cr_assert_not_null(strstr(err.msg, "too complex"), "%s", err.msg);
    cr_assert_not_null(strstr(err.msg, "NFA"), "%s", err.msg);
    struct spu_dfa_limits tiny = {.max_nfa_states = 10};
    cr_assert_eq(build_err("abcdefghijkl", SPU_DFA_SEARCH, &tiny, &err), SPU_ELIMIT);
    cr_assert_eq(build_err("abcdefgh", SPU_DFA_ANCHORED, &tiny, &err), SPU_OK);
}

Test(dfa, build_refuses_bad_arguments)
{
    struct spu_error err;
    struct spu_regex *re = parse_ok("a", 0);
    const struct spu_regex *one[1] = {re};
    cr_assert_null(spu_dfa_build(one, 0, SPU_DFA_ANCHORED, NULL, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    cr_assert_null(spu_dfa_build(NULL, 1, SPU_DFA_ANCHORED, NULL, &err));
    cr_assert_null(spu_dfa_build(one, 1, SPU_DFA_SEARCH | SPU_DFA_BUILD_REVERSE, NULL, &err));
    cr_assert_null(spu_dfa_build(one, 1, SPU_DFA_ANCHORED | SPU_DFA_SEARCH, NULL, &err));
    cr_assert_null(spu_dfa_build(one, 1, 0x40, NULL, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    struct spu_dfa_image *img = spu_dfa_build(one, 1, 0, NULL, &err);
    cr_assert_not_null(img);
    cr_assert_eq(img->flags, SPU_DFA_ANCHORED);
    cr_assert_eq(err.code, SPU_OK);
    spu_dfa_image_free(img);
    spu_dfa_image_free(NULL);
    cr_assert_null(spu_nfa_build(one, 1, 0x10, 0, &err));
    spu_nfa_free(NULL);
    spu_regex_free(re);
}

Test(dfa, nfa_shape)
{
    /* a{2,3}: two mandatory copies, one optional behind a split. */
    struct spu_regex *re = parse_ok("a{2,3}", 0);
    const struct spu_regex *one[1] = {re};
    struct spu_error err;
    struct spu_nfa *nfa = spu_nfa_build(one, 1, 0, 0, &err);
    cr_assert_not_null(nfa);
    uint32_t sets = 0, splits = 0, accepts = 0;
    for (uint32_t i = 0; i < nfa->nstates; i++) {
        sets += nfa->states[i].kind == SPU_NFA_SET;
        splits += nfa->states[i].kind == SPU_NFA_SPLIT;
        accepts += nfa->states[i].kind == SPU_NFA_ACCEPT;
    }
    cr_assert_eq(sets, 3);
    cr_assert_eq(splits, 1);
    cr_assert_eq(accepts, 1);
    cr_assert_eq(nfa->nsets, 1); /* the copies share their byte set */
    cr_assert_eq(nfa->nlabels, 1);
    spu_nfa_free(nfa);
    spu_regex_free(re);
}

/* ----------------------------------------------------------------- dump */

Test(dfa, dump_text)
{
    struct spu_dfa_image *img = build_one("[A-Z]+", 0, SPU_DFA_ANCHORED);
    struct spu_dfa d;
    spu_dfa_image_view(img, &d);
    char *buf = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&buf, &sz);
    cr_assert_eq(spu_dfa_dump(&d, f), SPU_OK);
    fclose(f);
    cr_assert_str_eq(buf, "dfa anchored: 3 states, 2 classes, start 1, 1 labels\n"
                          "  class 0: \\x00-@ [-\\xff\n"
                          "  class 1: A-Z\n"
                          "  state 0: accept - decide -\n"
                          "  state 1: accept - decide 0: 1->2\n"
                          "  state 2: accept 0 decide 0: 1->2\n");
    free(buf);
    spu_dfa_image_free(img);
}
