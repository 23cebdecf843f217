/* helper-splitsweep.c - split invariance on recorded connections (see
 * helper-splitsweep.h). */
#include "helper-splitsweep.h"

#include "helper-gasm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t ss_bytes(const struct ts_conn *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nsteps; i++)
        n += c->steps[i].len;
    return n;
}

uint32_t ss_proto(const struct spu_bundle *b, const char *name)
{
    uint32_t n = 0;
    const struct spu_bproto *p = spu_bundle_protos(b, &n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = 0;
        const char *s = spu_bundle_str(b, p[i].name, &len);
        if (s && strlen(name) == len && memcmp(s, name, len) == 0)
            return i;
    }
    return UINT32_MAX;
}

/* The steps of c cut at the points at[0..nat) (ascending, interior), both
 * ends appended; st has room for nsteps + nat + 2. Returns the count. */
static size_t cut(const struct ts_conn *c, const size_t *at, size_t nat, struct ga_step *st)
{
    size_t n = 0, off = 0, a = 0;
    for (size_t i = 0; i < c->nsteps; i++) {
        const struct ts_step *s = &c->steps[i];
        size_t from = 0;
        while (a < nat && at[a] < off + s->len) {
            size_t k = at[a++] - off;
            if (k > from) {
                st[n++] = (struct ga_step){GA_FEED, s->dir, (const char *)s->data + from, k - from};
                from = k;
            }
        }
        st[n++] = (struct ga_step){GA_FEED, s->dir, (const char *)s->data + from, s->len - from};
        off += s->len;
    }
    st[n++] = (struct ga_step){GA_EOF, SPU_DIR_CLIENT, NULL, 0};
    st[n++] = (struct ga_step){GA_EOF, SPU_DIR_SERVER, NULL, 0};
    return n;
}

/* Is k a delivery boundary (a split there changes nothing)? */
static int boundary(const struct ts_conn *c, size_t k)
{
    size_t off = 0;
    for (size_t i = 0; i < c->nsteps && off <= k; i++) {
        if (off == k)
            return 1;
        off += c->steps[i].len;
    }
    return off == k;
}

struct sweep {
    struct spu_bundle *b;
    uint32_t proto;
    const struct ts_conn *c;
    const char *whole;
    struct ga_step *st;
    struct ss_report *r;
};

static void note(struct sweep *s, const char *log, unsigned how, size_t a0, size_t a1,
                 uint32_t seed)
{
    struct ss_report *r = s->r;
    r->runs++;
    if (strcmp(log, s->whole) == 0)
        return;
    if (r->differ++)
        return;
    r->how = how;
    r->at[0] = a0;
    r->at[1] = a1;
    r->seed = seed;
    size_t p = 0;
    while (s->whole[p] && s->whole[p] == log[p])
        p++;
    p = p > 120 ? p - 120 : 0;
    snprintf(r->whole, sizeof(r->whole), "%s", s->whole + p);
    snprintf(r->split, sizeof(r->split), "%s", log + p);
}

static void run_cut(struct sweep *s, const size_t *at, size_t nat, unsigned how)
{
    size_t n = cut(s->c, at, nat, s->st);
    struct ga_result res;
    ga_run(s->b, s->proto, s->st, n, (struct ga_split){GA_WHOLE, 0, 0, NULL}, &res);
    note(s, res.log, how, at[0], nat > 1 ? at[1] : SIZE_MAX, 0);
    ga_result_free(&res);
}

static void run_mode(struct sweep *s, int mode, uint32_t seed, unsigned how)
{
    size_t n = cut(s->c, NULL, 0, s->st);
    struct ga_result res;
    ga_run(s->b, s->proto, s->st, n, (struct ga_split){mode, 0, seed, NULL}, &res);
    note(s, res.log, how, SIZE_MAX, SIZE_MAX, seed);
    ga_result_free(&res);
}

unsigned ss_sweep(struct spu_bundle *b, uint32_t proto, const struct ts_conn *c, unsigned what,
                  unsigned rounds, struct ss_report *r)
{
    memset(r, 0, sizeof(*r));
    r->at[0] = r->at[1] = SIZE_MAX;
    size_t total = ss_bytes(c);
    struct ga_step *st = calloc(c->nsteps + 4, sizeof(*st));
    size_t n = cut(c, NULL, 0, st);
    struct ga_result whole;
    ga_run(b, proto, st, n, (struct ga_split){GA_WHOLE, 0, 0, NULL}, &whole);
    struct sweep s = {b, proto, c, whole.log, st, r};
    if (what & SS_BYTES)
        run_mode(&s, GA_BYTES, 0, SS_BYTES);
    for (unsigned i = 1; (what & SS_RANDOM) && i <= rounds; i++)
        run_mode(&s, GA_RANDOM, i, SS_RANDOM);
    for (size_t k = 1; (what & SS_POINTS) && k < total; k++)
        if (!boundary(c, k))
            run_cut(&s, &k, 1, SS_POINTS);
    if ((what & SS_PHASES) && total > 1) {
        size_t nat = (total + SS_PERIOD - 1) / SS_PERIOD + 1;
        size_t *at = calloc(nat, sizeof(*at));
        struct ga_step *many = calloc(c->nsteps + nat + 2, sizeof(*many));
        struct sweep ps = s;
        ps.st = many;
        for (size_t p = 0; p < SS_PERIOD && p < total; p++) {
            size_t k = 0;
            for (size_t x = p ? p : SS_PERIOD; x < total; x += SS_PERIOD)
                at[k++] = x;
            if (k)
                run_cut(&ps, at, k, SS_PHASES);
        }
        free(many);
        free(at);
    }
    for (size_t i = 1; (what & SS_PAIRS) && i < total; i++) {
        for (size_t j = i + 1; j < total; j++) {
            size_t at[2] = {i, j};
            if (!boundary(c, i) && !boundary(c, j))
                run_cut(&s, at, 2, SS_PAIRS);
        }
    }
    ga_result_free(&whole);
    free(st);
    return r->differ;
}
