/* test-reload.c - publishing new generations of the rule engine's
 * applications (detect_engine_publish, runtime/detect-gen.c): rules switch
 * at the next event, session state carries over when its declaration is
 * unchanged and starts fresh (with a note) when it changed, flow variables
 * likewise, a stopped slot runs nothing while the other runs, and a worker
 * raising events while another thread publishes 300 times sees every event
 * run by exactly one generation (ASan: no generation freed under it). */
#include "decode.h"
#include "detect.h"
#include "err.h"
#include "flow.h"
#include "helper-compile.h"
#include "helper-detect.h"
#include "output.h"
#include "pkt.h"
#include "rt-events.h"
#include "app-event.h"
#include "arena.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rig {
    struct detect_engine *e;
    struct detect_worker *w;
    struct output *out;
    char path[64];
};

static void rig_open(struct rig *r, struct spu_bundle *b, unsigned slots)
{
    struct spu_error err;
    spu_error_clear(&err);
    memset(r, 0, sizeof(*r));
    cr_assert_not_null(b);
    snprintf(r->path, sizeof(r->path), "/tmp/test-reload-XXXXXX");
    int fd = mkstemp(r->path);
    cr_assert(fd >= 0);
    close(fd);
    r->out = output_open(r->path, 1, &err);
    cr_assert_not_null(r->out, "%s", err.msg);
    const char *names[] = {"app"};
    struct detect_cfg cfg = {.max_apps = slots};
    r->e = detect_engine_new(&cfg, &b, names, 1, 1, &err);
    cr_assert_not_null(r->e, "%s", err.msg);
    spu_bundle_unref(b); /* the engine holds it */
    r->w = detect_worker_new(r->e, 0, output_producer(r->out, 0), NULL, &err);
    cr_assert_not_null(r->w, "%s", err.msg);
}

static void rig_close(struct rig *r)
{
    detect_worker_free(r->w);
    detect_engine_free(r->e);
    output_close(r->out, NULL);
    unlink(r->path);
}

/* Publish apps (bundles taken over) and return the notes (new). */
static json_t *publish(struct rig *r, struct spu_bundle *a, struct spu_bundle *b)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct detect_app apps[2] = {{"app", a}, {"other", b}};
    json_t *notes = json_array();
    int rc = detect_engine_publish(r->e, apps, b ? 2 : 1, notes, &err);
    cr_assert_eq(rc, SPU_OK, "%s", err.msg);
    spu_bundle_unref(a);
    spu_bundle_unref(b);
    return notes;
}

static bool notes_have(json_t *notes, const char *text)
{
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n)
    {
        if (strstr(json_string_value(n), text))
            return true;
    }
    return false;
}

/* the third SYN of a source alerts; sid and the declaration vary */
static struct spu_bundle *syn_bundle(unsigned sid, const char *decl)
{
    char src[512];
    snprintf(src, sizeof(src),
             "session src keyed by flow.src_ip ttl 10s { %s }\n"
             "rule sid %u \"third SYN\" on tcp.syn { src.syns += 1; if (src.syns == 3) Alert(); }\n",
             decl, sid);
    return hc_bundle(NULL, src);
}

Test(reload, session_state_carries_over_when_declared_the_same)
{
    struct rig r;
    rig_open(&r, syn_bundle(1, "int syns;"), 2);
    struct hd_conn a;
    hd_conn_init(&a, 5, 40000);
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    json_t *notes = publish(&r, syn_bundle(2, "int syns;"), NULL);
    cr_assert(notes_have(notes, "session src: unchanged, its state carries over"));
    json_decref(notes);
    hd_raise(r.w, &a, RT_EV_TCP_SYN); /* the third, counted by the new rules */
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    json_t *ss = detect_engine_app_sessions(r.e, "app");
    cr_assert_not_null(ss);
    json_t *src = json_object_get(ss, "src");
    cr_assert_eq(json_integer_value(json_object_get(src, "entries")), 1);
    cr_assert_eq(json_integer_value(json_object_get(src, "variables")), 1);
    json_decref(ss);
    cr_assert_null(detect_engine_app_sessions(r.e, "nosuch"));
    hd_end_flow(r.w, &a);
    rig_close(&r);
}

Test(reload, session_state_starts_fresh_when_its_declaration_changed)
{
    struct rig r;
    rig_open(&r, syn_bundle(1, "int syns;"), 2);
    struct hd_conn a;
    hd_conn_init(&a, 6, 40000);
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    json_t *notes = publish(&r, syn_bundle(2, "int syns; string seen;"), NULL);
    cr_assert(notes_have(notes, "session src: declaration changed, its state starts fresh"));
    json_decref(notes);
    hd_raise(r.w, &a, RT_EV_TCP_SYN); /* the first SYN of the new state */
    cr_assert_eq(hd_counter(r.e, "alerts"), 0);
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    hd_end_flow(r.w, &a);
    rig_close(&r);
}

static struct spu_bundle *pkt_bundle(const char *decl)
{
    char src[512];
    snprintf(src, sizeof(src),
             "flow { %s }\n"
             "rule sid 20 \"third packet of a flow\" on packet { flow.pkts += 1; "
             "if (flow.pkts == 3) Alert(); }\n",
             decl);
    return hc_bundle(NULL, src);
}

Test(reload, flow_variables_follow_their_declaration)
{
    struct rig r;
    rig_open(&r, pkt_bundle("int pkts;"), 2);
    struct hd_conn a, b;
    hd_conn_init(&a, 7, 40000);
    hd_conn_init(&b, 8, 40001);
    hd_raise(r.w, &a, RT_EV_PACKET);
    hd_raise(r.w, &a, RT_EV_PACKET);
    json_decref(publish(&r, pkt_bundle("int pkts;"), NULL));
    hd_raise(r.w, &a, RT_EV_PACKET); /* kept: the third packet */
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    hd_raise(r.w, &b, RT_EV_PACKET);
    hd_raise(r.w, &b, RT_EV_PACKET);
    json_decref(publish(&r, pkt_bundle("int pkts; int bytes;"), NULL));
    hd_raise(r.w, &b, RT_EV_PACKET); /* fresh: the first */
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    hd_raise(r.w, &b, RT_EV_PACKET);
    hd_raise(r.w, &b, RT_EV_PACKET);
    cr_assert_eq(hd_counter(r.e, "alerts"), 2);
    hd_end_flow(r.w, &a);
    hd_end_flow(r.w, &b);
    rig_close(&r);
}

static struct spu_bundle *every_syn(unsigned sid)
{
    char src[256];
    snprintf(src, sizeof(src), "rule sid %u \"a SYN\" on tcp.syn { Alert(); }\n", sid);
    return hc_bundle(NULL, src);
}

Test(reload, a_stopped_application_runs_nothing_and_the_other_goes_on)
{
    struct rig r;
    rig_open(&r, every_syn(30), 2);
    struct hd_conn a;
    hd_conn_init(&a, 9, 40000);
    json_decref(publish(&r, every_syn(30), every_syn(31)));
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    cr_assert_eq(hd_counter(r.e, "alerts"), 2);
    json_decref(publish(&r, NULL, every_syn(31))); /* app stopped */
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    cr_assert_eq(hd_counter(r.e, "alerts"), 3);
    json_t *s = detect_engine_stats(r.e, 0);
    json_t *rl = json_object_get(s, "reload");
    cr_assert_eq(json_integer_value(json_object_get(rl, "publications")), 2);
    cr_assert_eq(json_array_size(json_object_get(rl, "running")), 1);
    json_decref(s);
    hd_end_flow(r.w, &a);
    rig_close(&r);
}

Test(reload, more_applications_than_slots_refused_and_the_running_untouched)
{
    struct rig r;
    rig_open(&r, every_syn(40), 1);
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_bundle *x = every_syn(41), *y = every_syn(42);
    struct detect_app apps[2] = {{"app", x}, {"other", y}};
    cr_assert_neq(detect_engine_publish(r.e, apps, 2, NULL, &err), SPU_OK);
    cr_assert(strstr(err.msg, "at most 1"), "%s", err.msg);
    spu_bundle_unref(x);
    spu_bundle_unref(y);
    struct hd_conn a;
    hd_conn_init(&a, 10, 40000);
    hd_raise(r.w, &a, RT_EV_TCP_SYN);
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    hd_end_flow(r.w, &a);
    rig_close(&r);
}

struct racer {
    struct rig *r;
    _Atomic bool done;
    _Atomic unsigned events;
};

static void *race_events(void *arg)
{
    struct racer *x = arg;
    struct hd_conn a;
    hd_conn_init(&a, 11, 40000);
    while (!atomic_load(&x->done)) {
        hd_raise(x->r->w, &a, RT_EV_TCP_SYN);
        atomic_fetch_add(&x->events, 1);
    }
    hd_end_flow(x->r->w, &a);
    return NULL;
}

Test(reload, publications_while_a_worker_raises_events)
{
    struct rig r;
    rig_open(&r, every_syn(50), 2);
    struct spu_bundle *v[2] = {every_syn(50), every_syn(51)};
    struct racer x = {&r, false, 0};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, race_events, &x), 0);
    for (unsigned i = 0; i < 300; i++) {
        /* a few events under each generation */
        unsigned seen = atomic_load(&x.events);
        while (atomic_load(&x.events) < seen + 3)
            sched_yield();
        struct spu_error err;
        spu_error_clear(&err);
        struct detect_app apps[1] = {{"app", v[i % 2]}};
        cr_assert_eq(detect_engine_publish(r.e, apps, 1, NULL, &err), SPU_OK, "%s", err.msg);
    }
    atomic_store(&x.done, true);
    pthread_join(t, NULL);
    /* every event ran in exactly one generation: one alert each */
    cr_assert_gt(atomic_load(&x.events), 900);
    cr_assert_eq(hd_counter(r.e, "alerts"), (long long)atomic_load(&x.events));
    spu_bundle_unref(v[0]);
    spu_bundle_unref(v[1]);
    rig_close(&r);
}

/* ---- grammar events: every application with the event runs its rules ---- */

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *t = calloc(1, 1 << 16);
    size_t n = fread(t, 1, (1 << 16) - 1, f);
    t[n] = 0;
    fclose(f);
    return t;
}

static struct spu_bundle *web_bundle(const char *rules)
{
    char *g = read_all("tests/bench/web.spg");
    struct spu_bundle *b = hc_bundle(g, rules);
    free(g);
    return b;
}

/* Raise web.req of bundle src (slot idx) with host `host`. */
static void web_event(struct rig *r, const struct spu_bundle *src, unsigned idx, struct flow *f,
                      const char *host)
{
    struct spu_arena *a = spu_arena_new(4096, 1 << 20);
    uint32_t ev = hc_event(src, "web.req");
    cr_assert_neq(ev, UINT32_MAX);
    struct spu_record *rec = hc_record(a, src, ev);
    hc_set(src, ev, rec, "host", spu_v_str(host, (uint32_t)strlen(host)));
    struct app_event e = {.flow = f, .bundle = src, .bundle_idx = idx, .event = ev, .rec = rec,
                          .tx_id = 0, .dir = 0, .ts_ns = f->last_ns};
    const struct app_sink *s = detect_worker_sink(r->w);
    s->event(s->ctx, &e);
    spu_arena_free(a);
}

Test(reload, one_parse_runs_the_rules_of_every_application_with_the_event)
{
    struct spu_bundle *a = web_bundle("import web;\nrule sid 60 \"A\" on web.req "
                                      "{ if (host == \"a.example\") Alert(); }\n");
    struct spu_bundle *keep = spu_bundle_ref(a); /* the parse's bundle, as app.c holds it */
    struct rig r;
    rig_open(&r, a, 2);
    json_decref(publish(&r, spu_bundle_ref(keep),
                        web_bundle("import web;\nrule sid 61 \"B\" on web.req "
                                   "{ if (host == \"a.example\") Alert(); }\n")));
    struct hd_conn c;
    hd_conn_init(&c, 12, 40000);
    web_event(&r, keep, 0, &c.f, "a.example");
    cr_assert_eq(hd_counter(r.e, "alerts"), 2); /* A's and B's rule on one parse */
    /* A reloaded with another rule: the message parsed by the old bundle
     * runs the new rule */
    json_decref(publish(&r,
                        web_bundle("import web;\nrule sid 62 \"A2\" on web.req "
                                   "{ if (host == \"a.example\") Alert(); }\n"),
                        web_bundle("import web;\nrule sid 61 \"B\" on web.req "
                                   "{ if (host == \"a.example\") Alert(); }\n")));
    web_event(&r, keep, 0, &c.f, "a.example");
    cr_assert_eq(hd_counter(r.e, "alerts"), 4);
    cr_assert_eq(hd_counter(r.e, "reload_unmapped_events"), 0);
    /* only B runs once A is stopped */
    json_decref(publish(&r, NULL,
                        web_bundle("import web;\nrule sid 61 \"B\" on web.req "
                                   "{ if (host == \"a.example\") Alert(); }\n")));
    web_event(&r, keep, 0, &c.f, "a.example");
    cr_assert_eq(hd_counter(r.e, "alerts"), 5);
    hd_end_flow(r.w, &c);
    spu_bundle_unref(keep);
    rig_close(&r);
}
