/* dfa-run.c - DFA check, views, streaming scans and dump (see dfa-run.h). */
#include "dfa-run.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* ---- check ---- */

static int bad_word(struct spu_error *err, uint64_t word, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad_word(struct spu_error *err, uint64_t word, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return spu_error_at(err, SPU_EVERIFY, "dfadata", word * 4, "dfa: %s", msg);
}

static bool inside(uint32_t off, uint64_t count, size_t nwords)
{
    return (uint64_t)off + count <= (uint64_t)nwords;
}

/* Descriptor and bounds: everything that can be checked without reading
 * the tables. */
static int check_desc(const struct spu_bdfa *h, size_t nwords, struct spu_error *err)
{
    if (h->flags != SPU_DFA_ANCHORED && h->flags != SPU_DFA_SEARCH)
        return spu_error_set(err, SPU_EVERIFY, "dfa: flags 0x%x: need exactly one of "
                             "ANCHORED and SEARCH", h->flags);
    if (h->nstates == 0)
        return spu_error_set(err, SPU_EVERIFY, "dfa: no states (state 0 must be dead)");
    if (h->nclasses == 0 || h->nclasses > 256)
        return spu_error_set(err, SPU_EVERIFY, "dfa: %u classes, need 1..256", h->nclasses);
    if (h->nlabels == 0 || h->nlabels == SPU_NONE)
        return spu_error_set(err, SPU_EVERIFY, "dfa: %u labels", h->nlabels);
    if (h->start >= h->nstates)
        return spu_error_set(err, SPU_EVERIFY, "dfa: start state %u >= %u states", h->start,
                             h->nstates);
    uint64_t cells = (uint64_t)h->nstates * h->nclasses;
    if (!inside(h->classmap, 64, nwords))
        return spu_error_set(err, SPU_EVERIFY, "dfa: class map at word %u outside dfadata "
                             "(%zu words)", h->classmap, nwords);
    if (!inside(h->trans, cells, nwords))
        return spu_error_set(err, SPU_EVERIFY, "dfa: transitions at word %u (%llu words) "
                             "outside dfadata (%zu words)", h->trans,
                             (unsigned long long)cells, nwords);
    if (!inside(h->accept, h->nstates, nwords))
        return spu_error_set(err, SPU_EVERIFY, "dfa: accept table at word %u outside dfadata "
                             "(%zu words)", h->accept, nwords);
    if (!inside(h->decide, h->nstates, nwords))
        return spu_error_set(err, SPU_EVERIFY, "dfa: decide table at word %u outside dfadata "
                             "(%zu words)", h->decide, nwords);
    return SPU_OK;
}

static void make_view(struct spu_dfa *d, const struct spu_bdfa *h, const uint32_t *data)
{
    d->nstates = h->nstates;
    d->nclasses = h->nclasses;
    d->start = h->start;
    d->nlabels = h->nlabels;
    d->flags = h->flags;
    d->classmap = (const uint8_t *)(data + h->classmap);
    d->trans = data + h->trans;
    d->accept = data + h->accept;
    d->decide = data + h->decide;
    d->runs = NULL;
}

int spu_dfa_check(const struct spu_bdfa *h, const uint32_t *data, size_t nwords,
                  struct spu_error *err)
{
    if (!h || (!data && nwords))
        return spu_error_set(err, SPU_EINVAL, "dfa: no descriptor or data");
    int rc = check_desc(h, nwords, err);
    if (rc != SPU_OK)
        return rc;
    struct spu_dfa d;
    make_view(&d, h, data);
    for (unsigned b = 0; b < 256; b++) {
        if (d.classmap[b] >= d.nclasses)
            return bad_word(err, h->classmap + b / 4, "byte 0x%02x has class %u >= %u classes",
                            b, d.classmap[b], d.nclasses);
    }
    for (uint32_t s = 0; s < d.nstates; s++) {
        const uint32_t *row = d.trans + (size_t)s * d.nclasses;
        uint64_t row_word = h->trans + (uint64_t)s * d.nclasses;
        for (uint32_t c = 0; c < d.nclasses; c++) {
            if (row[c] >= d.nstates)
                return bad_word(err, row_word + c, "state %u class %u goes to %u >= %u states",
                                s, c, row[c], d.nstates);
            if (s == 0 && row[c] != 0)
                return bad_word(err, row_word + c, "dead state 0 leaves to %u on class %u",
                                row[c], c);
        }
        if (d.accept[s] != SPU_NONE && d.accept[s] >= d.nlabels)
            return bad_word(err, (uint64_t)h->accept + s, "state %u accepts label %u >= %u "
                            "labels", s, d.accept[s], d.nlabels);
        if (d.decide[s] != SPU_NONE && d.decide[s] >= d.nlabels)
            return bad_word(err, (uint64_t)h->decide + s, "state %u decides label %u >= %u "
                            "labels", s, d.decide[s], d.nlabels);
        if (d.decide[s] != SPU_NONE && d.accept[s] != SPU_NONE && d.accept[s] != d.decide[s])
            return bad_word(err, (uint64_t)h->decide + s, "state %u decides %u but accepts %u",
                            s, d.decide[s], d.accept[s]);
    }
    if (d.accept[0] != SPU_NONE)
        return bad_word(err, h->accept, "dead state 0 accepts label %u", d.accept[0]);
    if (d.decide[0] != SPU_NONE)
        return bad_word(err, h->decide, "dead state 0 decides label %u", d.decide[0]);
    /* decide[s] == L promises that only L can still be accepted; that holds
     * when s accepts L or nothing and every successor is dead or decides L. */
    for (uint32_t s = 1; s < d.nstates; s++) {
        uint32_t l = d.decide[s];
        if (l == SPU_NONE)
            continue;
        const uint32_t *row = d.trans + (size_t)s * d.nclasses;
        for (uint32_t c = 0; c < d.nclasses; c++) {
            if (row[c] != 0 && d.decide[row[c]] != l)
                return bad_word(err, (uint64_t)h->decide + s, "state %u decides %u but its "
                                "successor %u decides otherwise", s, l, row[c]);
        }
    }
    spu_error_clear(err);
    return SPU_OK;
}

int spu_dfa_from_bundle(struct spu_dfa *d, const struct spu_bdfa *h, const uint32_t *data,
                        size_t nwords)
{
    if (!d || !h || (!data && nwords))
        return SPU_EINVAL;
    if (check_desc(h, nwords, NULL) != SPU_OK)
        return SPU_EFORMAT;
    make_view(d, h, data);
    return SPU_OK;
}

struct spu_dfa_run *spu_dfa_runs_new(const struct spu_dfa *d)
{
    struct spu_dfa_run *r = malloc((d->nstates ? d->nstates : 1) * sizeof(*r));
    if (!r)
        return NULL;
    for (uint32_t st = 0; st < d->nstates; st++) {
        const uint32_t *row = d->trans + (size_t)st * d->nclasses;
        struct spu_dfa_run x = {.nexit = 0};
        for (unsigned b = 0; st != 0 && b < 256 && x.nexit != SPU_DFA_NORUN; b++) {
            if (row[d->classmap[b]] == st)
                continue;
            if (x.nexit == 3)
                x.nexit = SPU_DFA_NORUN;
            else
                x.exit[x.nexit++] = (uint8_t)b;
        }
        r[st] = st == 0 ? (struct spu_dfa_run){.nexit = SPU_DFA_NORUN} : x;
    }
    return r;
}

void spu_dfa_runs_free(struct spu_dfa_run *r)
{
    free(r);
}

/* ---- scans ---- */

void spu_dfa_scan_init(struct spu_dfa_scan *s, const struct spu_dfa *d)
{
    s->state = d->start;
    s->label = d->accept[d->start];
    s->choice = SPU_NONE;
    s->done = 0;
    s->len = 0;
    s->consumed = 0;
}

int spu_dfa_finish(const struct spu_dfa *d, struct spu_dfa_scan *s)
{
    (void)d;
    if (s->done)
        return SPU_DONE;
    s->done = 1;
    s->choice = s->label;
    return SPU_DONE;
}

static bool row_dead(const struct spu_dfa *d, uint32_t st)
{
    const uint32_t *row = d->trans + (size_t)st * d->nclasses;
    for (uint32_t c = 0; c < d->nclasses; c++) {
        if (row[c])
            return false;
    }
    return true;
}

/* A run shorter than this is stepped: memchr costs more than it saves. */
#define RUN_MIN 16

/* The first index in [i, n) whose byte leaves run state r, else n. */
static size_t run_end(const struct spu_dfa_run *r, const uint8_t *p, size_t i, size_t n)
{
    for (unsigned k = 0; k < r->nexit && i < n; k++) {
        const uint8_t *hit = memchr(p + i, r->exit[k], n - i);
        if (hit)
            n = (size_t)(hit - p);
    }
    return n;
}

/* The longest-match loop, forward or backward (`rev` is a constant at each
 * call site, so each direction compiles to its own tight loop). Forward,
 * a run state (d->runs) is crossed in one step. */
static inline int longest_run(const struct spu_dfa *d, struct spu_dfa_scan *s,
                              const uint8_t *p, size_t n, bool rev)
{
    if (s->done)
        return SPU_DONE;
    uint32_t st = s->state;
    if (st == 0)
        return spu_dfa_finish(d, s);
    const uint8_t *cm = d->classmap;
    const uint32_t *tr = d->trans, *acc = d->accept;
    const struct spu_dfa_run *runs = rev ? NULL : d->runs;
    size_t nc = d->nclasses;
    uint64_t base = s->consumed, len = s->len;
    uint32_t label = s->label;
    size_t i = 0;
    /* resuming inside a run: p[0..i) stay in st (its accept, if any, was
     * recorded when the scan entered it) */
    if (runs && runs[st].nexit != SPU_DFA_NORUN && n >= RUN_MIN) {
        i = run_end(&runs[st], p, 0, n);
        if (i && acc[st] != SPU_NONE)
            len = base + i;
    }
    for (; i < n; i++) {
        uint32_t nx = tr[st * nc + cm[rev ? p[n - 1 - i] : p[i]]];
        if (nx == 0) {
            s->state = 0;
            s->consumed = base + i + 1;
            s->label = label;
            s->len = len;
            return spu_dfa_finish(d, s);
        }
        if (acc[nx] != SPU_NONE) {
            label = acc[nx];
            len = base + i + 1;
        }
        if (runs && nx != st && runs[nx].nexit != SPU_DFA_NORUN && n - i > RUN_MIN) {
            /* p[i] entered a run: p[i+1..e) stay in it */
            size_t e = run_end(&runs[nx], p, i + 1, n);
            if (acc[nx] != SPU_NONE)
                len = base + e;
            i = e - 1;
        }
        st = nx;
    }
    s->state = st;
    s->consumed = base + n;
    s->label = label;
    s->len = len;
    if (row_dead(d, st))
        return spu_dfa_finish(d, s);
    return SPU_NEED_MORE;
}

int spu_dfa_longest(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                    size_t n)
{
    return longest_run(d, s, p, n, false);
}

int spu_dfa_longest_rev(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                        size_t n)
{
    return longest_run(d, s, p, n, true);
}

/* Whether prediction may stop in state `st`: its decide names L and the
 * labels accepted so far do not contradict L (none yet, when `sure` is
 * false; L itself, when `sure` is true). */
static inline bool predict_settled(const struct spu_dfa *d, const struct spu_dfa_scan *s,
                                   uint32_t st, bool sure)
{
    uint32_t l = d->decide[st];
    return l != SPU_NONE && (s->label == l || (!sure && s->label == SPU_NONE));
}

static inline int predict_run(const struct spu_dfa *d, struct spu_dfa_scan *s,
                              const uint8_t *p, size_t n, bool sure)
{
    if (s->done)
        return SPU_DONE;
    uint32_t st = s->state;
    if (st == 0)
        return spu_dfa_finish(d, s);
    if (predict_settled(d, s, st, sure)) {
        s->done = 1;
        s->choice = d->decide[st];
        return SPU_DONE;
    }
    const uint8_t *cm = d->classmap;
    const uint32_t *tr = d->trans, *acc = d->accept;
    size_t nc = d->nclasses;
    for (size_t i = 0; i < n; i++) {
        st = tr[st * nc + cm[p[i]]];
        if (st == 0) {
            s->state = 0;
            s->consumed += i + 1;
            return spu_dfa_finish(d, s);
        }
        if (acc[st] != SPU_NONE) {
            s->label = acc[st];
            s->len = s->consumed + i + 1;
        }
        if (predict_settled(d, s, st, sure)) {
            s->state = st;
            s->consumed += i + 1;
            s->done = 1;
            s->choice = d->decide[st];
            return SPU_DONE;
        }
    }
    s->state = st;
    s->consumed += n;
    if (row_dead(d, st))
        return spu_dfa_finish(d, s);
    return SPU_NEED_MORE;
}

int spu_dfa_predict(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                    size_t n)
{
    return predict_run(d, s, p, n, false);
}

int spu_dfa_predict_sure(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                         size_t n)
{
    return predict_run(d, s, p, n, true);
}

int spu_dfa_search(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                   size_t n)
{
    if (s->done)
        return SPU_DONE;
    uint32_t st = s->state;
    const uint8_t *cm = d->classmap;
    const uint32_t *tr = d->trans, *acc = d->accept;
    size_t nc = d->nclasses;
    if (acc[st] != SPU_NONE) {
        s->label = acc[st];
        s->len = s->consumed;
        return spu_dfa_finish(d, s);
    }
    if (st == 0)
        return spu_dfa_finish(d, s);
    for (size_t i = 0; i < n; i++) {
        st = tr[st * nc + cm[p[i]]];
        if (acc[st] != SPU_NONE) {
            s->state = st;
            s->consumed += i + 1;
            s->label = acc[st];
            s->len = s->consumed;
            return spu_dfa_finish(d, s);
        }
        if (st == 0) {
            s->state = 0;
            s->consumed += i + 1;
            return spu_dfa_finish(d, s);
        }
    }
    s->state = st;
    s->consumed += n;
    return SPU_NEED_MORE;
}

int spu_dfa_search_idle(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                        size_t n, uint64_t *idle)
{
    if (s->done)
        return SPU_DONE;
    if (n == 0)
        return spu_dfa_search(d, s, p, 0);
    uint32_t st = s->state;
    const uint32_t start = d->start;
    const uint8_t *cm = d->classmap;
    const uint32_t *tr = d->trans, *acc = d->accept;
    const struct spu_dfa_run *run = d->runs && d->runs[start].nexit != SPU_DFA_NORUN
                                        ? &d->runs[start] : NULL;
    size_t nc = d->nclasses;
    uint64_t base = s->consumed;
    if (st == start)
        *idle = base;
    if (acc[st] != SPU_NONE || st == 0)
        return spu_dfa_search(d, s, p, 0); /* the checks before any byte */
    for (size_t i = 0; i < n; i++) {
        if (st == start) {
            if (run && n - i >= RUN_MIN) {
                /* the bytes before the next exit keep the start state */
                size_t e = run_end(run, p, i, n);
                if (e == n) {
                    *idle = base + n - 1;
                    break;
                }
                i = e;
            }
            *idle = base + i;
        }
        st = tr[st * nc + cm[p[i]]];
        if (acc[st] != SPU_NONE) {
            s->state = st;
            s->consumed = base + i + 1;
            s->label = acc[st];
            s->len = s->consumed;
            return spu_dfa_finish(d, s);
        }
        if (st == 0) {
            s->state = 0;
            s->consumed = base + i + 1;
            return spu_dfa_finish(d, s);
        }
    }
    s->state = st;
    s->consumed = base + n;
    return SPU_NEED_MORE;
}

uint32_t spu_dfa_match(const struct spu_dfa *d, const uint8_t *p, size_t n, size_t *len)
{
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, d);
    spu_dfa_longest(d, &s, p, n);
    spu_dfa_finish(d, &s);
    if (len)
        *len = s.choice == SPU_NONE ? 0 : (size_t)s.len;
    return s.choice;
}

/* ---- dump ---- */

static void dump_byte(FILE *out, unsigned b)
{
    if (b > 0x20 && b < 0x7f && b != '\\' && b != '-')
        fputc((int)b, out);
    else
        fprintf(out, "\\x%02x", b);
}

static void dump_label(FILE *out, const char *what, uint32_t l)
{
    if (l == SPU_NONE)
        fprintf(out, " %s -", what);
    else
        fprintf(out, " %s %u", what, l);
}

int spu_dfa_dump(const struct spu_dfa *d, FILE *out)
{
    fprintf(out, "dfa %s: %u states, %u classes, start %u, %u labels\n",
            d->flags == SPU_DFA_SEARCH ? "search" : "anchored", d->nstates, d->nclasses,
            d->start, d->nlabels);
    for (uint32_t c = 0; c < d->nclasses; c++) {
        fprintf(out, "  class %u:", c);
        unsigned b = 0;
        while (b < 256) {
            if (d->classmap[b] != c) {
                b++;
                continue;
            }
            unsigned e = b;
            while (e + 1 < 256 && d->classmap[e + 1] == c)
                e++;
            fputc(' ', out);
            dump_byte(out, b);
            if (e > b) {
                fputc('-', out);
                dump_byte(out, e);
            }
            b = e + 1;
        }
        fputc('\n', out);
    }
    for (uint32_t s = 0; s < d->nstates; s++) {
        fprintf(out, "  state %u:", s);
        dump_label(out, "accept", d->accept[s]);
        dump_label(out, "decide", d->decide[s]);
        const uint32_t *row = d->trans + (size_t)s * d->nclasses;
        const char *sep = ":";
        for (uint32_t c = 0; c < d->nclasses; c++) {
            if (row[c] == 0)
                continue;
            fprintf(out, "%s %u->%u", sep, c, row[c]);
            sep = "";
        }
        fputc('\n', out);
    }
    return ferror(out) ? SPU_EIO : SPU_OK;
}
