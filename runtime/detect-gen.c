/* detect-gen.c - generations of the rule engine's applications: the
 * reader side the workers run around each event, and publication (see
 * detect.h, detect_engine_publish).
 *
 * A worker announces the generation it uses in w->using before it reads
 * anything of it, and checks that it is still the published one; a
 * publisher swaps the pointer, then waits until no worker announces the
 * old one. With sequentially consistent operations on both sides, a worker
 * that still uses the old generation after the swap has announced it
 * before the swap, so the publisher sees it. Workers never wait. */
#include "detect-int.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * 0x100000001b3ull;
    return h;
}

static uint64_t decl_hash(const struct spu_bundle *b, uint32_t l, uint64_t h, unsigned depth)
{
    const struct spu_bview *v = spu_bundle_view(b);
    if (l >= v->nlayouts || depth > 8)
        return fnv(h, &l, sizeof(l));
    const struct spu_blayout *bl = &v->layouts[l];
    h = fnv(h, &bl->nfields, sizeof(bl->nfields));
    h = fnv(h, &bl->flags, sizeof(bl->flags));
    for (uint32_t i = 0; i < bl->nfields && bl->first_field + i < v->nfields; i++) {
        const struct spu_bfield *f = &v->fields[bl->first_field + i];
        uint32_t nl;
        const char *name = spu_bundle_str(b, f->name, &nl);
        h = fnv(h, name, nl);
        h = fnv(h, &f->type, 1);
        h = fnv(h, &f->flags, 1);
        /* sub means something for records only: other fields carry 0,
         * and following it made the hash of a flow layout with 144
         * flowbits visit layout 0's nest millions of times (4 s of load) */
        if (f->type != SPU_T_REC)
            continue;
        if (f->sub & SPU_LAYOUT_STD)
            h = fnv(h, &f->sub, sizeof(f->sub));
        else if (f->sub != SPU_NONE)
            h = decl_hash(b, f->sub, h, depth + 1);
    }
    return h;
}

uint64_t detect_decl(const struct spu_bundle *b, uint32_t l)
{
    return decl_hash(b, l, 0xcbf29ce484222325ull, 0);
}

struct detect_gen *detect_gen_enter(struct detect_worker *w)
{
    struct detect_gen *g;
    do {
        g = atomic_load(&w->eng->gen);
        atomic_store(&w->using, g);
    } while (atomic_load(&w->eng->gen) != g);
    w->g = g;
    if (g->seq != w->seen_seq) {
        w->seen_seq = g->seq;
        w->switch_t0 = mono_ns();
    }
    return g;
}

void detect_gen_leave(struct detect_worker *w)
{
    atomic_store_explicit(&w->using, NULL, memory_order_release);
    atomic_fetch_add_explicit(&w->left, 1, memory_order_release);
    if (w->switch_t0) {
        /* the first event under a new generation: the worker's cost of
         * the switch (cold caches, first flow-variable resets) */
        uint64_t d = (uint64_t)(mono_ns() - w->switch_t0);
        uint64_t m = atomic_load_explicit(&w->eng->max_stall_ns, memory_order_relaxed);
        while (d > m && !atomic_compare_exchange_weak(&w->eng->max_stall_ns, &m, d))
            ;
        w->switch_t0 = 0;
    }
    w->g = NULL;
}

/* Free the spaces no bundle of g uses (pub_mu held, no worker on the old
 * generation). */
static void prune_spaces(struct detect_engine *e, const struct detect_gen *g)
{
    unsigned k = 0;
    for (unsigned i = 0; i < e->nspaces; i++) {
        bool used = false;
        for (unsigned s = 0; s < g->nslots && !used; s++) {
            const struct detect_bundle *db = &g->bundles[s];
            uint32_t ns = db->b ? spu_bundle_view(db->b)->nsessions : 0;
            for (uint32_t j = 0; j < ns && !used; j++)
                used = db->sess[j] == e->spaces[i];
        }
        if (used) {
            e->spaces[k] = e->spaces[i];
            e->space_decl[k++] = e->space_decl[i];
        } else {
            e->session_hits_gone += atomic_load_explicit(
                &session_space_stats(e->spaces[i])->memcap, memory_order_relaxed);
            session_space_free(e->spaces[i]);
        }
    }
    e->nspaces = k;
}

int detect_engine_publish(struct detect_engine *e, const struct detect_app *apps, unsigned n,
                          json_t *notes, struct spu_error *err)
{
    pthread_mutex_lock(&e->pub_mu);
    struct detect_gen *cur = atomic_load(&e->gen);
    struct detect_gen *g = detect_gen_build(e, apps, n, cur->seq + 1, notes, err);
    if (!g) {
        prune_spaces(e, cur); /* spaces the failed build made */
        pthread_mutex_unlock(&e->pub_mu);
        return err->code ? err->code : SPU_ENOMEM;
    }
    int64_t t0 = mono_ns();
    atomic_store(&e->gen, g);
    for (unsigned i = 0; i < e->nworkers; i++) {
        struct detect_worker *w = e->workers[i];
        while (w && atomic_load(&w->using) == cur) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
    uint64_t grace = (uint64_t)(mono_ns() - t0);
    e->last_grace_ns = grace;
    if (grace > e->max_grace_ns)
        e->max_grace_ns = grace;
    e->publications++;
    detect_gen_free(e, cur);
    prune_spaces(e, g);
    pthread_mutex_unlock(&e->pub_mu);
    return SPU_OK;
}

void detect_engine_sync(struct detect_engine *e)
{
    pthread_mutex_lock(&e->pub_mu);
    for (unsigned i = 0; i < e->nworkers; i++) {
        struct detect_worker *w = e->workers[i];
        if (!w || !atomic_load(&w->using))
            continue; /* its next event sees what was published before */
        uint64_t n = atomic_load(&w->left);
        while (atomic_load(&w->using) && atomic_load(&w->left) == n) {
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        }
    }
    pthread_mutex_unlock(&e->pub_mu);
}
