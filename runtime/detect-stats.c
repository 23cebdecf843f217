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
static struct rule_sum *rule_sums(struct detect_engine *e, size_t *n)
{
    size_t total = 0, k = 0;
    for (unsigned b = 0; b < e->nbundles; b++)
        total += e->bundles[b].nrules;
    struct rule_sum *s = calloc(total + 1, sizeof(*s));
    if (!s) {
        *n = 0;
        return NULL;
    }
    for (unsigned b = 0; b < e->nbundles; b++)
        for (uint32_t r = 0; r < e->bundles[b].nrules; r++) {
            struct rule_sum x = {b, r, 0, 0, 0, 0};
            for (unsigned wi = 0; wi < e->nworkers; wi++) {
                struct detect_worker *w = e->workers[wi];
                if (!w)
                    continue;
                const struct rule_counters *rc = &w->rc[b][r];
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

static json_t *rule_json(struct detect_engine *e, const struct rule_sum *x, bool per_worker)
{
    const struct detect_bundle *db = &e->bundles[x->bundle];
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
        for (unsigned wi = 0; wi < e->nworkers; wi++) {
            struct detect_worker *w = e->workers[wi];
            json_array_append_new(
                pw, json_integer(w ? (json_int_t)ld(&w->rc[x->bundle][x->rule].evals) : 0));
        }
        json_object_set_new(o, "worker_evaluations", pw);
    }
    return o;
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
        const struct session_stats *st = session_space_stats(e->spaces[i]);
        size_t nl;
        const char *name = session_space_name(e->spaces[i], &nl);
        json_t *x = json_object();
        json_object_set_new(x, "entries", json_integer((json_int_t)ld(&st->entries)));
        json_object_set_new(x, "created", json_integer((json_int_t)ld(&st->created)));
        json_object_set_new(x, "evicted", json_integer((json_int_t)ld(&st->evicted)));
        json_object_set_new(x, "expired", json_integer((json_int_t)ld(&st->expired)));
        json_object_set_new(x, "refused", json_integer((json_int_t)ld(&st->refused)));
        json_object_set_new(x, "busy", json_integer((json_int_t)ld(&st->busy)));
        json_object_set_new(x, "memuse",
                            json_integer(atomic_load_explicit(&st->memuse, memory_order_relaxed)));
        json_object_set_new(ss, name, x);
    }
    json_object_set_new(o, "sessions", ss);
    struct shun_counts sc;
    shun_counts(e->shun, &sc);
    json_t *sh = json_object();
    json_object_set_new(sh, "added", json_integer((json_int_t)sc.added));
    json_object_set_new(sh, "refused", json_integer((json_int_t)sc.refused));
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
    size_t n;
    struct rule_sum *s = rule_sums(e, &n);
    json_t *rules = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rules, rule_json(e, &s[i], true));
    json_object_set_new(o, "rules", rules);
    if (top && s) {
        qsort(s, n, sizeof(*s), by_time);
        json_t *t = json_array();
        for (size_t i = 0; i < n && i < top; i++)
            json_array_append_new(t, rule_json(e, &s[i], false));
        json_object_set_new(o, "top_rules", t);
    }
    free(s);
    return o;
}

char *detect_engine_top_text(struct detect_engine *e, unsigned top, char *buf, size_t len)
{
    size_t n, k = 0;
    buf[0] = 0;
    struct rule_sum *s = rule_sums(e, &n);
    if (!s)
        return buf;
    qsort(s, n, sizeof(*s), by_time);
    for (size_t i = 0; i < n && i < top && k < len; i++) {
        const struct detect_bundle *db = &e->bundles[s[i].bundle];
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
    free(s);
    return buf;
}
