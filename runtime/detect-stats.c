/* detect-stats.c - the rule engine's counters as the stats record's
 * spu.detect object, and the --top-rules summary (see detect.h). Read on
 * the main thread while the workers write (relaxed atomics). */
#include "detect-int.h"

#include <stdlib.h>
#include <string.h>

static uint64_t ld(const _Atomic uint64_t *c)
{
    return atomic_load_explicit(c, memory_order_relaxed);
}

struct rule_sum {
    unsigned bundle;
    uint32_t rule;
    uint64_t evals, matches, ns, faults;
};

static int by_time(const void *a, const void *b)
{
    const struct rule_sum *x = a, *y = b;
    if (x->ns != y->ns)
        return x->ns < y->ns ? 1 : -1;
    if (x->bundle != y->bundle)
        return x->bundle < y->bundle ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Sums over workers of every rule evaluated at least once; *n of them. */
static struct rule_sum *rule_sums(struct detect_engine *e, const struct detect_gen *g, size_t *n)
{
    size_t total = 0, k = 0;
    for (unsigned b = 0; b < g->nslots; b++)
        total += g->bundles[b].nrules;
    struct rule_sum *s = calloc(total + 1, sizeof(*s));
    if (!s) {
        *n = 0;
        return NULL;
    }
    for (unsigned b = 0; b < g->nslots; b++)
        for (uint32_t r = 0; r < g->bundles[b].nrules; r++) {
            struct rule_sum x = {b, r, 0, 0, 0, 0};
            for (unsigned wi = 0; wi < e->nworkers; wi++) {
                const struct rule_counters *rc = &g->bundles[b].rc[(size_t)wi * g->bundles[b].nrules + r];
                x.evals += ld(&rc->evals);
                x.matches += ld(&rc->matches);
                x.ns += ld(&rc->ns);
                x.faults += ld(&rc->faults);
            }
            if (x.evals)
                s[k++] = x;
        }
    *n = k;
    return s;
}

static json_t *rule_json(struct detect_engine *e, const struct detect_gen *g,
                         const struct rule_sum *x, bool per_worker)
{
    const struct detect_bundle *db = &g->bundles[x->bundle];
    const struct spu_brule *r = &spu_bundle_view(db->b)->rules[x->rule];
    json_t *o = json_object();
    json_object_set_new(o, "bundle", json_string(db->name));
    json_object_set_new(o, "gid", json_integer(r->gid));
    json_object_set_new(o, "signature_id", json_integer(r->sid));
    json_object_set_new(o, "evaluations", json_integer((json_int_t)x->evals));
    json_object_set_new(o, "matches", json_integer((json_int_t)x->matches));
    json_object_set_new(o, "ns", json_integer((json_int_t)x->ns));
    json_object_set_new(o, "faults", json_integer((json_int_t)x->faults));
    if (per_worker) {
        json_t *pw = json_array();
        for (unsigned wi = 0; wi < e->nworkers; wi++)
            json_array_append_new(
                pw, json_integer((json_int_t)ld(&db->rc[(size_t)wi * db->nrules + x->rule].evals)));
        json_object_set_new(o, "worker_evaluations", pw);
    }
    return o;
}

/* The counters of one session space (new). */
static json_t *space_json(const struct session_space *sp)
{
    const struct session_stats *st = session_space_stats(sp);
    json_t *x = json_object();
    json_object_set_new(x, "entries", json_integer((json_int_t)ld(&st->entries)));
    json_object_set_new(x, "created", json_integer((json_int_t)ld(&st->created)));
    json_object_set_new(x, "evicted", json_integer((json_int_t)ld(&st->evicted)));
    json_object_set_new(x, "expired", json_integer((json_int_t)ld(&st->expired)));
    json_object_set_new(x, "refused", json_integer((json_int_t)ld(&st->refused)));
    json_object_set_new(x, "busy", json_integer((json_int_t)ld(&st->busy)));
    json_object_set_new(x, "memcap", json_integer((json_int_t)ld(&st->memcap)));
    json_object_set_new(x, "memuse",
                        json_integer(atomic_load_explicit(&st->memuse, memory_order_relaxed)));
    return x;
}

void detect_engine_session_memory(struct detect_engine *e, struct detect_session_mem *out)
{
    pthread_mutex_lock(&e->pub_mu);
    out->in_use = 0;
    out->hits = e->session_hits_gone;
    for (unsigned i = 0; i < e->nspaces; i++) {
        const struct session_stats *st = session_space_stats(e->spaces[i]);
        out->in_use += atomic_load_explicit(&st->memuse, memory_order_relaxed);
        out->hits += ld(&st->memcap);
    }
    out->reserved = atomic_load_explicit(&e->session_resv, memory_order_relaxed);
    out->cap = e->cfg.session_memcap;
    pthread_mutex_unlock(&e->pub_mu);
}

json_t *detect_engine_app_sessions(struct detect_engine *e, const char *app)
{
    pthread_mutex_lock(&e->pub_mu);
    const struct detect_gen *g = atomic_load(&e->gen);
    json_t *r = NULL;
    for (unsigned i = 0; i < g->nslots && !r; i++) {
        const struct detect_bundle *db = &g->bundles[i];
        if (!db->b || strcmp(g->names[i], app) != 0)
            continue;
        r = json_object();
        uint32_t ns = spu_bundle_view(db->b)->nsessions;
        for (uint32_t j = 0; j < ns; j++) {
            size_t nl;
            const char *name = session_space_name(db->sess[j], &nl);
            char key[256];
            snprintf(key, sizeof(key), "%.*s", (int)(nl < 255 ? nl : 255), name);
            json_t *x = space_json(db->sess[j]);
            json_object_set_new(x, "variables", json_integer(session_space_nslots(db->sess[j])));
            json_object_set_new(r, key, x);
        }
    }
    pthread_mutex_unlock(&e->pub_mu);
    return r;
}

json_t *detect_engine_stats(struct detect_engine *e, unsigned top)
{
    static const char *const cnames[] = {
#define DC_NAME(id, name) name,
        DETECT_COUNTER_LIST(DC_NAME)
#undef DC_NAME
    };
    static const char *const fnames[] = {
#define FN(name, text) #name,
        SPU_VM_FAULT_LIST(FN)
#undef FN
    };
    /* the generation and the shared tables stay put while the lock is held */
    pthread_mutex_lock(&e->pub_mu);
    const struct detect_gen *g = atomic_load(&e->gen);
    json_t *o = json_object();
    uint64_t c[DC__COUNT] = {0}, fk[SPU_VMF__COUNT] = {0};
    for (unsigned wi = 0; wi < e->nworkers; wi++) {
        struct detect_worker *w = e->workers[wi];
        if (!w)
            continue;
        for (unsigned i = 0; i < DC__COUNT; i++)
            c[i] += ld(&w->c[i]);
        for (unsigned i = 0; i < SPU_VMF__COUNT; i++)
            fk[i] += ld(&w->fault_kind[i]);
    }
    for (unsigned i = 0; i < DC__COUNT; i++)
        json_object_set_new(o, cnames[i], json_integer((json_int_t)c[i]));
    json_t *f = json_object();
    for (unsigned i = 1; i < SPU_VMF__COUNT; i++) {
        char lower[32];
        size_t k = 0;
        for (; fnames[i][k] && k < sizeof(lower) - 1; k++)
            lower[k] = (char)(fnames[i][k] >= 'A' && fnames[i][k] <= 'Z' ? fnames[i][k] | 0x20
                                                                         : fnames[i][k]);
        lower[k] = 0;
        json_object_set_new(f, lower, json_integer((json_int_t)fk[i]));
    }
    json_object_set_new(o, "fault_kinds", f);
    json_object_set_new(o, "flow_memuse",
                        json_integer(atomic_load_explicit(&e->flow_memuse, memory_order_relaxed)));
    json_t *ss = json_object();
    for (unsigned i = 0; i < e->nspaces; i++) {
        size_t nl;
        const char *name = session_space_name(e->spaces[i], &nl);
        json_t *x = space_json(e->spaces[i]);
        json_object_set_new(ss, name, x);
    }
    json_object_set_new(o, "sessions", ss);
    struct shun_counts sc;
    shun_counts(e->shun, &sc);
    json_t *sh = json_object();
    json_object_set_new(sh, "added", json_integer((json_int_t)sc.added));
    json_object_set_new(sh, "refused", json_integer((json_int_t)sc.refused));
    json_object_set_new(sh, "removed", json_integer((json_int_t)sc.removed));
    json_object_set_new(sh, "hits", json_integer((json_int_t)sc.hits));
    json_object_set_new(o, "shun", sh);
    if (e->noutputs) {
        json_t *oo = json_object();
        for (unsigned i = 0; i < e->noutputs; i++) {
            json_t *x = json_object();
            json_object_set_new(x, "sent", json_integer((json_int_t)ld(&e->outputs[i]->sent)));
            json_object_set_new(x, "failed", json_integer((json_int_t)ld(&e->outputs[i]->failed)));
            json_object_set_new(oo, e->outputs[i]->name, x);
        }
        json_object_set_new(o, "outputs", oo);
    }
    json_t *rl = json_object();
    json_object_set_new(rl, "generation", json_integer((json_int_t)g->seq));
    json_object_set_new(rl, "publications", json_integer((json_int_t)e->publications));
    json_object_set_new(rl, "last_grace_ns", json_integer((json_int_t)e->last_grace_ns));
    json_object_set_new(rl, "max_grace_ns", json_integer((json_int_t)e->max_grace_ns));
    json_object_set_new(rl, "max_worker_stall_ns",
                        json_integer((json_int_t)atomic_load(&e->max_stall_ns)));
    json_t *apps = json_array();
    for (unsigned i = 0; i < g->nslots; i++)
        if (g->bundles[i].b)
            json_array_append_new(apps, json_pack("{s:i, s:s, s:s, s:I}", "slot", (int)i, "name",
                                                  g->bundles[i].name, "sha256",
                                                  g->bundles[i].sha256, "rules",
                                                  (json_int_t)g->bundles[i].nrules));
    json_object_set_new(rl, "running", apps);
    json_object_set_new(o, "reload", rl);
    size_t n;
    struct rule_sum *s = rule_sums(e, g, &n);
    json_t *rules = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rules, rule_json(e, g, &s[i], true));
    json_object_set_new(o, "rules", rules);
    if (top && s) {
        qsort(s, n, sizeof(*s), by_time);
        json_t *t = json_array();
        for (size_t i = 0; i < n && i < top; i++)
            json_array_append_new(t, rule_json(e, g, &s[i], false));
        json_object_set_new(o, "top_rules", t);
    }
    if (e->nstores)
        json_object_set_new(o, "state_stores", detect_stores_json(e));
    pthread_mutex_unlock(&e->pub_mu);
    free(s);
    return o;
}

char *detect_engine_top_text(struct detect_engine *e, unsigned top, char *buf, size_t len)
{
    size_t n, k = 0;
    buf[0] = 0;
    pthread_mutex_lock(&e->pub_mu);
    const struct detect_gen *g = atomic_load(&e->gen);
    struct rule_sum *s = rule_sums(e, g, &n);
    if (!s) {
        pthread_mutex_unlock(&e->pub_mu);
        return buf;
    }
    qsort(s, n, sizeof(*s), by_time);
    for (size_t i = 0; i < n && i < top && k < len; i++) {
        const struct detect_bundle *db = &g->bundles[s[i].bundle];
        const struct spu_brule *r = &spu_bundle_view(db->b)->rules[s[i].rule];
        uint32_t ml;
        const char *msg = spu_bundle_str(db->b, r->msg, &ml);
        int w = snprintf(buf + k, len - k,
                         "rule %s %u:%u:%u evaluations=%llu matches=%llu faults=%llu "
                         "ms=%.3f avg_ns=%.0f \"%.*s\"\n",
                         db->name, r->gid, r->sid, r->rev, (unsigned long long)s[i].evals,
                         (unsigned long long)s[i].matches, (unsigned long long)s[i].faults,
                         (double)s[i].ns / 1e6, (double)s[i].ns / (double)s[i].evals,
                         (int)(ml > 60 ? 60 : ml), msg);
        if (w < 0)
            break;
        k += (size_t)w;
    }
    pthread_mutex_unlock(&e->pub_mu);
    free(s);
    return buf;
}
