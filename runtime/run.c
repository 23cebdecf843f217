/* run.c - wiring of capture, dispatcher, workers and output (see run.h). */
#include "run.h"

#include "app.h"
#include "app-pub.h"
#include "apps.h"
#include "bundle.h"
#include "capture.h"
#include "config.h"
#include "decode.h"
#include "detect.h"
#include "dispatch.h"
#include "err.h"
#include "eve-redis.h"
#include "eve.h"
#include "flow.h"
#include "flowkey.h"
#include "metrics-text.h"
#include "metrics.h"
#include "output.h"
#include "pcaplog.h"
#include "run-ops.h"
#include "localnet.h"
#include "output.h"
#include "report.h"
#include "run-service.h"
#include "shaper.h"
#include "split-index.h"
#include "split-read.h"
#include "spam-stats.h"
#include "state.h"
#include "stats.h"
#include "stream-tcp.h"
#include "value.h"
#include "worker.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Fixed seed for files, so that runs repeat exactly. */
#define FILE_SEED 0x5350552eu
/* How often the metrics endpoint's figures are refreshed while running. */
#define METRICS_REFRESH_NS 1000000000

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time of the calling thread: the dispatcher's own cost, without the
 * time it waited for a worker or was not scheduled. */
static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint32_t pick_seed(const struct config *c)
{
    if (c->seed_given)
        return c->seed;
    if (c->seed_random || c->iface || c->inline_spec) {
        uint32_t s;
        if (getrandom(&s, sizeof(s), 0) == (ssize_t)sizeof(s))
            return s;
        return (uint32_t)mono_ns() ^ FILE_SEED;
    }
    return FILE_SEED;
}

struct run {
    const struct config *cfg;
    struct spu_bundle *bundles[CONFIG_MAX_BUNDLES];
    struct capture *cap;
    struct output *out;
    struct worker **workers;
    struct app **apps; /* one per worker, freed after the workers */
    unsigned nworkers;
    struct dispatcher *disp;
    struct detect_engine *detect; /* NULL without bundles */
    struct detect_worker **dw;
    struct apps *bset;            /* the applications (apps.h), with the engine */
    struct apps_hold *hold;       /* run_env.apps */
    struct app_pub *gpub;         /* grammar sets of the applications (with bset) */
    _Atomic int64_t app_memuse;   /* grammar buffers of every worker (--app-memcap) */
    const struct run_env *env;
    struct metrics_server *metrics; /* --metrics, or NULL */
    struct pcaplog **pcaplogs;      /* --pcap-log: one per worker, or NULL */
    _Atomic int64_t pcaplog_memuse;
    struct stats_gauges gauges;
    _Atomic int64_t clock;
    _Atomic uint64_t filestore_used; /* bytes the apps stored (--filestore) */
    struct eve_writer main_eve;
    struct stream_cfg scfg;
    struct flow_timeouts timeouts;
    int64_t t_start;
    struct state_store *state; /* spam built-ins (docs/spam.md) */
    struct localnet *local;
    struct report *report;
    struct eve_redis *eve_redis; /* --eve-redis: the output's sink */
    struct shaper *shaper;       /* --inline with queue classes, or NULL */
    /* --split-read: the readers of workers 1.. (worker 0 reads on the main
     * thread) and the packet clock of each (worker 0's is `clock`) */
    struct split_reader **readers;
    _Atomic int64_t *clocks;
    struct capture_maps *maps; /* the files' mappings, shared by the readers */
    struct split_index *idx;   /* their shared walk of r->cap (not --realtime) */
};

/* The applications as they run now (new array). */
/* The file hashes the apps compute (SPU_HASH_*): --force-hash, and sha256
 * for --filestore (as Suricata's filestore). */
static unsigned run_hashes(const struct config *c)
{
    return c->force_hash | (c->filestore ? SPU_HASH_SHA256 : 0u);
}

static json_t *apps_running(struct run *r)
{
    json_t *st = apps_status(r->bset);
    json_t *l = json_incref(json_object_get(st, "apps"));
    json_decref(st);
    return l ? l : json_array();
}

/* The control socket no longer reaches the applications; a SIGHUP reload
 * in progress ends (before the worker contexts go). */
static void apps_detach(struct run *r)
{
    if (r->hold) {
        pthread_mutex_lock(&r->hold->mu);
        r->hold->a = NULL;
        pthread_mutex_unlock(&r->hold->mu);
        r->hold = NULL;
    }
    apps_free(r->bset);
    r->bset = NULL;
}

static const char *pcaplog_alert_hook(void *ctx, struct flow *f)
{
    return pcaplog_alert(ctx, f);
}

/* The capture's counters; with the split index, as of its last chunk (the
 * capture is being read on another thread). */
static void run_capture_stats(struct run *r, struct capture_stats *cs)
{
    if (r->idx)
        split_index_capture_stats(r->idx, cs);
    else
        capture_stats(r->cap, cs);
}

/* The stats record's members as of now (new; NULL when out of memory;
 * eve_stats_record) and its time in *ts_ns. */
static json_t *stats_record(struct run *r, int64_t *ts_ns)
{
    struct stats_block sum;
    stats_block_init(&sum);
    stats_block_merge(&sum, dispatch_stats(r->disp));
    for (unsigned i = 0; i < r->nworkers; i++)
        stats_block_merge(&sum, worker_stats(r->workers[i]));
    for (unsigned i = 0; i < r->nworkers && r->apps; i++)
        stats_block_merge(&sum, app_stats(r->apps[i]));
    struct capture_stats cs;
    run_capture_stats(r, &cs);
    json_t *g = json_object();
    int64_t fm = atomic_load(&r->gauges.flow_memuse);
    json_object_set_new(g, "flow.memuse", json_integer(fm));
    json_object_set_new(g, "flow.active", json_integer(fm / (int64_t)flow_bytes_per_flow()));
    json_object_set_new(g, "tcp.reassembly_memuse",
                        json_integer(atomic_load(&r->gauges.tcp_reasm_memuse)));
    json_object_set_new(g, "defrag.memuse",
                        json_integer((json_int_t)dispatch_defrag_memuse(r->disp)));
    json_object_set_new(g, "capture.kernel_packets", json_integer((json_int_t)cs.kernel_packets));
    json_object_set_new(g, "capture.kernel_drops", json_integer((json_int_t)cs.kernel_drops));
    json_t *spu = json_object();
    json_t *drops = json_array();
    for (unsigned i = 0; i < r->nworkers; i++)
        json_array_append_new(drops, json_integer((json_int_t)dispatch_queue_drops(r->disp, i)));
    json_object_set_new(spu, "worker_queue_drops", drops);
    json_object_set_new(spu, "per_worker", run_ops_per_worker(r->workers, r->nworkers, r->disp));
    if (r->pcaplogs)
        json_object_set_new(spu, "pcap_log",
                            run_ops_pcap_log(r->pcaplogs, r->nworkers,
                                             atomic_load(&r->pcaplog_memuse),
                                             r->cfg->pcap_log_memcap));
    struct run_ops_mem mem = {
        .flow_memuse = atomic_load(&r->gauges.flow_memuse),
        .reasm_memuse = atomic_load(&r->gauges.tcp_reasm_memuse),
        .defrag_memuse = (int64_t)dispatch_defrag_memuse(r->disp),
        .pcaplog_memuse = atomic_load(&r->pcaplog_memuse),
        .flow_memcap = r->cfg->flow_memcap,
        .stream_memcap = r->cfg->stream_memcap,
        .defrag_memcap = r->cfg->defrag_memcap,
        .pcaplog_memcap = r->cfg->pcap_log_memcap,
        .pcaplogs = r->pcaplogs,
        .workers = r->workers,
        .nworkers = r->nworkers,
        .out = r->out,
        .app_memuse = atomic_load(&r->app_memuse),
        .app_memcap = r->cfg->app_memcap,
    };
    struct detect_session_mem smem;
    if (r->detect) {
        detect_engine_session_memory(r->detect, &smem);
        mem.sessions = &smem;
    }
    json_object_set_new(spu, "memory", run_ops_memory(&mem, &sum));
    json_object_set_new(spu, "eve_file", run_ops_eve_file(r->out));
    json_object_set_new(spu, "workers", json_integer(r->nworkers));
    json_object_set_new(spu, "checksum_validation",
                        json_boolean(dispatch_checksums_on(r->disp)));
    json_object_set_new(spu, "flow_bytes", json_integer((json_int_t)flow_bytes_per_flow()));
    json_t *bl = r->bset ? apps_running(r) : json_array();
    for (unsigned i = 0; !r->bset && i < r->cfg->nbundles; i++) {
        char hex[65];
        const uint8_t *ck = spu_bundle_checksum(r->bundles[i]);
        for (unsigned j = 0; j < 32; j++)
            snprintf(hex + 2 * j, 3, "%02x", ck[j]);
        json_t *b = json_object();
        json_object_set_new(b, "name", json_string(r->cfg->bundles[i].name));
        json_object_set_new(b, "file", json_string(r->cfg->bundles[i].path));
        json_object_set_new(b, "sha256", json_string(hex));
        json_object_set_new(b, "signed", json_boolean(spu_bundle_signed(r->bundles[i])));
        json_array_append_new(bl, b);
    }
    json_object_set_new(spu, "bundles", bl);
    if (r->bset)
        json_object_set_new(spu, "reloads", apps_reload_stats(r->bset));
    if (r->detect) {
        /* the top rules of the stats record: --top-rules, or more when the
         * metrics export more (the same record feeds both) */
        unsigned top = r->cfg->top_rules;
        if (r->metrics && r->cfg->metrics_top > top)
            top = r->cfg->metrics_top;
        json_object_set_new(spu, "detect", detect_engine_stats(r->detect, top));
    }
    spam_stats_add(spu, r->state, r->report);
    spam_stats_eve_redis(spu, r->eve_redis);
    int64_t clock = atomic_load(&r->clock);
    int64_t ts = clock ? clock : (int64_t)time(NULL) * 1000000000;
    if (r->cap->live) {
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        ts = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
    }
    *ts_ns = ts;
    return eve_stats_record((mono_ns() - r->t_start) / 1000000000, &sum, g, spu);
}

/* Publish the record to the metrics endpoint (when there is one); `done`:
 * the input is fully processed. Borrows rec. */
static void publish_metrics(struct run *r, const json_t *rec, bool done)
{
    if (r->metrics && rec)
        metrics_server_publish(r->metrics, metrics_text_render(rec, done));
}

/* Write a stats record to EVE, and show the same record on the metrics
 * endpoint. */
static void emit_stats(struct run *r, bool done)
{
    int64_t ts;
    json_t *rec = stats_record(r, &ts);
    publish_metrics(r, rec, done);
    eve_stats_emit(&r->main_eve, ts, rec);
}

/* flows: per worker, flows tracked now (created minus ended), created,
 * ended, and how they ended. */
static json_t *flows_answer(struct run *r)
{
    json_t *ws = json_array();
    uint64_t active = 0;
    for (unsigned i = 0; i < r->nworkers; i++) {
        const struct stats_block *b = worker_stats(r->workers[i]);
        uint64_t created = stats_get(b, CNT_FLOW_TOTAL);
        uint64_t ended = stats_get(b, CNT_FLOW_END_NEW) + stats_get(b, CNT_FLOW_END_ESTABLISHED) +
                         stats_get(b, CNT_FLOW_END_CLOSED);
        /* the counters are read one by one while the worker runs */
        uint64_t a = created > ended ? created - ended : 0;
        active += a;
        json_array_append_new(
            ws, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "worker", (json_int_t)i,
                          "active", (json_int_t)a, "created", (json_int_t)created, "ended",
                          (json_int_t)ended, "tcp", (json_int_t)stats_get(b, CNT_FLOW_TCP),
                          "udp", (json_int_t)stats_get(b, CNT_FLOW_UDP), "timeout",
                          (json_int_t)stats_get(b, CNT_FLOW_TIMEOUT), "evicted",
                          (json_int_t)stats_get(b, CNT_FLOW_EVICTED), "queue_drops",
                          (json_int_t)dispatch_queue_drops(r->disp, i)));
    }
    return json_pack("{s:I, s:I, s:I, s:o}", "active", (json_int_t)active, "memuse",
                     (json_int_t)atomic_load(&r->gauges.flow_memuse), "flow_bytes",
                     (json_int_t)flow_bytes_per_flow(), "workers", ws);
}

/* The answers to the control socket's queries (run-service.h), built on
 * the main thread between two dispatch steps. */
static json_t *answer(void *ctx, enum run_query q)
{
    struct run *r = ctx;
    switch (q) {
    case RUN_QUERY_FLOWS:
        return flows_answer(r);
    case RUN_QUERY_MEMORY: {
        int64_t ts;
        json_t *rec = stats_record(r, &ts);
        json_t *m = json_incref(json_object_get(json_object_get(rec, "spu"), "memory"));
        json_decref(rec);
        return m;
    }
    case RUN_QUERY_REOPEN:
        output_reopen(r->out);
        if (r->env->reopened)
            r->env->reopened(r->env->reopened_ctx);
        return json_pack("{s:s}", "reopened", r->cfg->eve_path);
    default: {
        /* the whole record, envelope included, as EVE has it */
        int64_t ts;
        json_t *rec = stats_record(r, &ts);
        struct eve_envelope env = {.ts_ns = ts, .event_type = "stats", .tx_id = -1};
        json_t *all = rec ? eve_record_tree(&env, rec) : NULL;
        json_decref(rec);
        return all;
    }
    }
}

/* Whether every reader of --split-read has ended its worker. */
static bool readers_done(const struct run *r)
{
    for (unsigned i = 1; r->readers && i < r->nworkers; i++)
        if (r->readers[i] && !split_reader_done(r->readers[i]))
            return false;
    return true;
}

static void teardown(struct run *r)
{
    apps_detach(r);
    /* the readers run workers: they end first */
    if (r->readers)
        for (unsigned i = 0; i < r->nworkers; i++)
            split_reader_free(r->readers[i]);
    free(r->readers);
    r->readers = NULL;
    free(r->clocks);
    r->clocks = NULL;
    if (r->workers) {
        for (unsigned i = 0; i < r->nworkers; i++)
            worker_free(r->workers[i]);
        free(r->workers);
        r->workers = NULL;
    }
    if (r->apps) {
        for (unsigned i = 0; i < r->nworkers; i++)
            app_free(r->apps[i]);
        free(r->apps);
        r->apps = NULL;
    }
    app_pub_free(r->gpub);
    r->gpub = NULL;
    if (r->dw)
        for (unsigned i = 0; i < r->nworkers; i++)
            detect_worker_free(r->dw[i]);
    free(r->dw);
    r->dw = NULL;
    detect_engine_free(r->detect);
    r->detect = NULL;
    report_free(r->report);
    r->report = NULL;
    /* after output_close: the writer, which calls the tap, has stopped */
    eve_redis_free(r->eve_redis, 2000);
    r->eve_redis = NULL;
    state_store_free(r->state);
    r->state = NULL;
    localnet_free(r->local);
    r->local = NULL;
    dispatch_free(r->disp);
    split_index_free(r->idx); /* after its readers, before the capture */
    r->idx = NULL;
    shaper_free(r->shaper);
    r->shaper = NULL;
    capture_close(r->cap);
    r->cap = NULL;
    capture_maps_free(r->maps); /* after every capture using it */
    r->maps = NULL;
    if (r->pcaplogs)
        for (unsigned i = 0; i < r->nworkers; i++)
            pcaplog_free(r->pcaplogs[i]);
    free(r->pcaplogs);
    r->pcaplogs = NULL;
    metrics_server_free(r->metrics);
    r->metrics = NULL;
    for (unsigned i = 0; i < CONFIG_MAX_BUNDLES; i++)
        spu_bundle_unref(r->bundles[i]);
}

int run_main_env(const struct config *c, const struct run_env *env, struct run_report *rep,
                 struct spu_error *err)
{
    volatile sig_atomic_t *stop = env->stop;
    run_progress_fn progress = env->progress;
    void *progress_ctx = env->progress_ctx;
    struct run rr;
    struct run *r = &rr;
    memset(r, 0, sizeof(*r));
    memset(rep, 0, sizeof(*rep));
    r->cfg = c;
    r->env = env;
    r->t_start = mono_ns();
    r->nworkers = c->workers;
    stream_cfg_default(&r->scfg);
    r->scfg.policy = c->stream_policy;
    r->scfg.midstream = c->midstream;
    r->scfg.flow_cap = c->stream_flow_cap;
    r->scfg.global_cap = c->stream_memcap;
    flow_timeouts_default(&r->timeouts);
    uint32_t seed = pick_seed(c);

    for (unsigned i = 0; i < c->nbundles; i++) {
        r->bundles[i] = spu_bundle_load_file(c->bundles[i].path, NULL, err);
        if (!r->bundles[i]) {
            int code = err->code ? err->code : SPU_EFORMAT;
            /* keep the loader's section and message: spu_error_at resets err */
            struct spu_error e = *err;
            spu_error_at(err, code, c->bundles[i].path, e.offset, "bundle %s: %s%s%s",
                         c->bundles[i].name, e.where, *e.where ? ": " : "", e.msg);
            teardown(r);
            return code;
        }
    }
    /* --split-read: the readers share the files' mappings */
    if (c->split_read && c->read_path && !(r->maps = capture_maps_new())) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        teardown(r);
        return SPU_ENOMEM;
    }
    struct capture_opts co = {c->bpf, c->realtime, c->fanout ? c->workers : 1, r->maps};
    r->cap = c->inline_spec ? capture_open_inline(c->inline_spec, c->fail_open, err)
             : c->iface     ? capture_open_live(c->iface, &co, err)
                            : capture_open_file(env->read_path ? env->read_path : c->read_path,
                                                &co, err);
    if (!r->cap) {
        int code = err->code ? err->code : SPU_EIO;
        teardown(r); /* the bundles and the mappings */
        return code;
    }
    struct output_rotate rot = {c->eve_rotate_bytes, c->eve_rotate_seconds};
    r->out = output_open_rotating(c->eve_path, r->nworkers + 1, &rot, err);
    if (!r->out) {
        teardown(r);
        return err->code;
    }
    if (c->eve_redis) {
        /* files wait for Redis when the spool is full; live capture drops */
        r->eve_redis = eve_redis_new(c->eve_redis, c->eve_spool, c->eve_spool_cap, !c->iface,
                                     env->stop, err);
        if (!r->eve_redis) {
            output_close(r->out, NULL);
            teardown(r);
            return err->code;
        }
        output_set_sink(r->out, eve_redis_tap, r->eve_redis);
    }
    if (env->tap)
        output_set_tap(r->out, env->tap);
    if (env->opened) {
        int orc = env->opened(env->opened_ctx, err);
        if (orc < 0) {
            output_close(r->out, NULL);
            teardown(r);
            return orc;
        }
    }
    r->main_eve.out = output_producer(r->out, r->nworkers);
    r->main_eve.worker = -1;
    r->main_eve.thread = "main";
    if (c->metrics && !(r->metrics = metrics_server_new(c->metrics, err))) {
        int code = err->code;
        output_close(r->out, NULL);
        r->out = NULL;
        teardown(r);
        return code;
    }
    r->workers = calloc(r->nworkers, sizeof(*r->workers));
    r->apps = calloc(r->nworkers, sizeof(*r->apps));
    r->dw = calloc(r->nworkers, sizeof(*r->dw));
    if (!r->workers || !r->apps || !r->dw)
        goto nomem;
    if (c->nbundles || env->apps) {
        const char *names[CONFIG_MAX_BUNDLES];
        for (unsigned i = 0; i < c->nbundles; i++)
            names[i] = c->bundles[i].name;
        struct state_cfg scfg = {c->state_url, c->state_max};
        r->state = state_store_new(&scfg, err);
        r->local = r->state ? localnet_new(c->local_net, c->iface, err) : NULL;
        if (r->local && c->report_url)
            r->report = report_new(c->report_url, c->sensor_name ? c->sensor_name : c->iface,
                                   500, err);
        struct detect_cfg dcfg = {.rule_budget = c->rule_budget,
                                  .session_memcap = c->session_memcap,
                                  .classification = c->classification,
                                  .explain = c->explain,
                                  /* applications loaded later through the control socket */
                                  .max_apps = env->apps ? CONFIG_MAX_BUNDLES : 0,
                                  .state = r->state,
                                  .state_url = c->state_url,
                                  .state_max = c->state_max,
                                  .local = r->local,
                                  .sensor_name = c->sensor_name,
                                  .spam_threshold = c->spam_threshold,
                                  .report = r->report ? report_add : NULL,
                                  .report_ctx = r->report,
                                  .enforce = c->inline_spec != NULL};
        if (c->inline_spec) {
            bool nomem;
            r->shaper = shaper_new(r->bundles, c->nbundles, &nomem);
            if (nomem)
                goto nomem;
            dcfg.shaper = r->shaper;
        }
        r->detect = !r->local || (c->report_url && !r->report)
                        ? NULL
                        : detect_engine_new(&dcfg, r->bundles, names, c->nbundles, r->nworkers,
                                            err);
        for (unsigned i = 0; r->detect && i < r->nworkers; i++)
            if (!(r->dw[i] = detect_worker_new(r->detect, i, output_producer(r->out, i), c->iface,
                                               err)))
                break;
        if (!r->detect || !r->dw[r->nworkers - 1]) {
            int code = err->code ? err->code : SPU_ENOMEM;
            output_close(r->out, NULL);
            teardown(r);
            return code;
        }
        if (!(r->bset = apps_new(r->detect, env->log)))
            goto nomem;
        /* the grammars of the start-up bundles, replaced at each change */
        struct app_gset *gs = app_gset_new(r->bundles, NULL, c->nbundles, err);
        if (!gs || !(r->gpub = app_pub_new(gs, err)))
            goto nomem;
        apps_set_grammars(r->bset, r->gpub);
        for (unsigned i = 0; i < c->nbundles; i++)
            if (apps_adopt(r->bset, c->bundles[i].name, c->bundles[i].path, r->bundles[i]) !=
                SPU_OK)
                goto nomem;
        if (env->apps) {
            r->hold = env->apps;
            pthread_mutex_lock(&r->hold->mu);
            r->hold->a = r->bset;
            pthread_mutex_unlock(&r->hold->mu);
        }
    }
    if (c->pcap_log) {
        if (!(r->pcaplogs = calloc(r->nworkers, sizeof(*r->pcaplogs))))
            goto nomem;
        struct pcaplog_cfg pc = {c->pcap_log_dir, c->pcap_log_packets, c->pcap_log_after,
                                 c->pcap_log_memcap, &r->pcaplog_memuse};
        for (unsigned i = 0; i < r->nworkers; i++) {
            if (!(r->pcaplogs[i] = pcaplog_new(&pc, err))) {
                int code = err->code;
                output_close(r->out, NULL);
                r->out = NULL;
                teardown(r);
                return code;
            }
            if (r->dw[i])
                detect_worker_set_alert_hook(r->dw[i], pcaplog_alert_hook, r->pcaplogs[i]);
        }
    }
    unsigned pool = c->iface || c->inline_spec ? 65536 : 16384;
    /* --split-read (files only): each worker reads the file on a thread of
     * its own, worker 0 on this one */
    bool split = c->split_read && !c->iface && !c->inline_spec;
    if (split && (!(r->readers = calloc(r->nworkers, sizeof(*r->readers))) ||
                  !(r->clocks = calloc(r->nworkers, sizeof(*r->clocks)))))
        goto nomem;
    for (unsigned i = 0; i < r->nworkers; i++) {
        struct app_cfg ac = {r->bundles, c->nbundles, r->dw[i] ? detect_worker_sink(r->dw[i]) : NULL,
                             NULL, output_producer(r->out, i), (int)i, c->iface,
                             c->filestore, c->filestore_cap, &r->filestore_used,
                             c->app_memcap, &r->app_memuse, r->gpub,
                             !c->force_magic, c->anomaly_repeat, run_hashes(c)};
        if (!(r->apps[i] = app_new(&ac, err))) {
            output_close(r->out, NULL);
            teardown(r);
            return err->code;
        }
        struct worker_cfg wc = {
            .id = i,
            .seed = seed,
            .stream = &r->scfg,
            .timeouts = &r->timeouts,
            .flow_memcap = c->flow_memcap,
            .flow_bits = 16,
            .gauges = &r->gauges,
            .clock = split && i ? &r->clocks[i] : &r->clock,
            .out = output_producer(r->out, i),
            .in_iface = c->iface,
            .hooks = r->dw[i] ? detect_worker_hooks(r->dw[i]) : NULL,
            .consumer = app_active(r->apps[i]) ? app_consumer(r->apps[i]) : NULL,
            .pcaplog = r->pcaplogs ? r->pcaplogs[i] : NULL,
        };
        r->workers[i] = worker_new(&wc, 4096, pool);
        if (!r->workers[i])
            goto nomem;
    }
    /* inline without --fail-open waits for a full worker queue (as for files)
     * instead of letting the packet through uninspected */
    struct dispatch_cfg dc = {r->nworkers, seed, c->iface || (c->inline_spec && c->fail_open),
                              c->checksum, pool, (size_t)c->defrag_memcap, r->shaper,
                              split, 0};
    r->disp = dispatch_new(&dc, r->cap, r->workers, &r->clock);
    if (!r->disp)
        goto nomem;
    /* the readers share one walk of the file (--realtime: each its own;
     * one reader alone gains nothing from it: 2% more instructions) */
    if (split && !c->realtime && r->nworkers > 1) {
        if (!(r->idx = split_index_new(r->cap, r->nworkers, seed, 0, 0)))
            goto nomem;
        dispatch_use_index(r->disp, split_index_cursor(r->idx, 0));
    }
    unsigned started = split ? r->nworkers : 0;
    for (; started < r->nworkers; started++)
        if (worker_start(r->workers[started]) != SPU_OK)
            break;
    int rc = SPU_OK;
    if (started < r->nworkers) {
        spu_error_set(err, SPU_EIO, "cannot start worker threads");
        rc = SPU_EIO;
        *stop = 1;
    }
    for (unsigned i = 1; split && rc == SPU_OK && i < r->nworkers; i++) {
        /* a dispatcher of its own over the shared index, or (--realtime) a
         * capture of its own over the same file(s) */
        struct capture *cap =
            r->idx ? NULL
                   : capture_open_file(env->read_path ? env->read_path : c->read_path, &co, err);
        struct dispatch_cfg own = dc;
        own.own = i;
        struct dispatcher *d = cap || r->idx
                                   ? dispatch_new(&own, cap ? cap : r->cap, r->workers,
                                                  &r->clocks[i])
                                   : NULL;
        if ((cap || r->idx) && !d) {
            capture_close(cap);
            spu_error_set(err, SPU_ENOMEM, "out of memory");
        }
        if (d && r->idx)
            dispatch_use_index(d, split_index_cursor(r->idx, i));
        if (d)
            r->readers[i] = split_reader_start(cap, d, r->workers[i], stop, err);
        if (!r->readers[i]) {
            rc = err->code ? err->code : SPU_EIO;
            *stop = 1;
        }
    }
    int64_t next_stats = c->stats_interval ? r->t_start + (int64_t)c->stats_interval * 1000000000
                                           : INT64_MAX;
    int64_t next_progress = r->t_start + 1000000000;
    int64_t next_metrics = r->metrics ? r->t_start : INT64_MAX;
    unsigned idle = 0;
    bool read_all = false; /* --split-read: this thread's reading is done */
    int64_t loop_wall0 = mono_ns(), loop_cpu0 = thread_cpu_ns();
    while (!*stop) {
        if (env->svc && run_service_serve(env->svc, answer, r))
            break;
        if (env->reload && *env->reload) {
            *env->reload = 0;
            if (r->bset)
                apps_sighup(r->bset);
        }
        int s = read_all ? 0 : dispatch_step(r->disp, err);
        if (s == SPU_DONE) {
            read_all = true;
            s = 0;
        }
        if (read_all && readers_done(r))
            break; /* the other readers serve nothing: waited for here */
        if (s < 0) {
            rc = s;
            rep->capture_error = s;
            break;
        }
        if (s == 0) {
            /* --split-read: waits until the shared index moves (it wakes
             * this thread), at most 1 ms so that the duties below keep time */
            bool waited = !read_all && dispatch_wait(r->disp, 1000000L);
            if (!waited && ++idle > 8 && !c->iface && !c->inline_spec) {
                struct timespec ts = {0, 50000};
                nanosleep(&ts, NULL);
            }
        } else {
            idle = 0;
        }
        if (env->reopen && *env->reopen) {
            *env->reopen = 0;
            output_reopen(r->out);
            if (env->reopened)
                env->reopened(env->reopened_ctx);
        }
        int64_t now = mono_ns();
        if (now >= next_metrics) {
            int64_t ts;
            json_t *rec = stats_record(r, &ts);
            publish_metrics(r, rec, false);
            json_decref(rec);
            next_metrics = now + METRICS_REFRESH_NS;
        }
        if (now >= next_stats) {
            emit_stats(r, false);
            output_producer_flush(r->main_eve.out);
            next_stats = now + (int64_t)c->stats_interval * 1000000000;
        }
        if (progress && now >= next_progress) {
            struct capture_stats cs;
            run_capture_stats(r, &cs);
            struct run_progress p = {
                cs.file_size ? (double)cs.file_pos / (double)cs.file_size : -1.0,
                dispatch_packets(r->disp), dispatch_bytes(r->disp),
                (double)(now - r->t_start) / 1e9};
            progress(progress_ctx, &p);
            next_progress = now + 1000000000;
        }
    }
    rep->dispatch_cpu_ns = (uint64_t)(thread_cpu_ns() - loop_cpu0);
    rep->dispatch_wall_ns = (uint64_t)(mono_ns() - loop_wall0);
    for (unsigned i = 0; !split && i < started; i++)
        worker_stop(r->workers[i]);
    if (split) {
        /* stopped early (the control socket's shutdown): so are the others;
         * at a capture fault they go on to the same fault */
        for (unsigned i = 1; !read_all && !rep->capture_error && i < r->nworkers; i++)
            if (r->readers[i])
                split_reader_halt(r->readers[i]);
        rep->own_ns = dispatch_own_cpu_ns(r->disp);
        worker_finish(r->workers[0]); /* what its thread would do when stopped */
        for (unsigned i = 1; i < r->nworkers; i++) {
            struct spu_error e = {0};
            int jr = r->readers[i] ? split_reader_join(r->readers[i], &e) : SPU_OK;
            if (jr < 0 && rc == SPU_OK) {
                /* the same fault as this thread's, unless this one stopped first */
                rc = jr;
                rep->capture_error = jr;
                *err = e;
            }
        }
    }
    for (unsigned i = 0; !split && i < started; i++)
        worker_join(r->workers[i]);
    dispatch_finish(r->disp);
    /* the workers have flushed: the last record counts what they wrote
     * (rotations, records by type) */
    output_producer_flush(r->main_eve.out);
    output_wait_written(r->out);
    emit_stats(r, true);
    if (env->svc)
    {
        run_service_keep(env->svc, RUN_QUERY_STATS, answer(r, RUN_QUERY_STATS));
        run_service_keep(env->svc, RUN_QUERY_FLOWS, answer(r, RUN_QUERY_FLOWS));
        run_service_keep(env->svc, RUN_QUERY_MEMORY, answer(r, RUN_QUERY_MEMORY));
    }

    struct stats_block sum;
    stats_block_init(&sum);
    stats_block_merge(&sum, dispatch_stats(r->disp));
    for (unsigned i = 0; i < r->nworkers; i++)
        stats_block_merge(&sum, worker_stats(r->workers[i]));
    for (unsigned i = 0; i < r->nworkers; i++)
        stats_block_merge(&sum, app_stats(r->apps[i]));
    struct capture_stats cs;
    capture_stats(r->cap, &cs);
    rep->packets = dispatch_packets(r->disp);
    rep->bytes = dispatch_bytes(r->disp);
    rep->seconds = (double)(mono_ns() - r->t_start) / 1e9;
    rep->flows = stats_get(&sum, CNT_FLOW_TOTAL);
    rep->queue_drops = stats_get(&sum, CNT_SPU_QUEUE_DROPS);
    rep->kernel_drops = cs.kernel_drops;
    rep->kernel_packets = cs.kernel_packets;
    rep->bytes_copied = stats_get(&sum, CNT_SPU_STREAM_BYTES_COPIED);
    rep->dispatch_ns = stats_get(&sum, CNT_SPU_DISPATCH_NS);
    rep->workers = r->nworkers;
    if (r->detect && c->top_rules)
        detect_engine_top_text(r->detect, c->top_rules, rep->top_rules, sizeof(rep->top_rules));
    if (r->cap->inl) {
        struct capture_inline_counts ic;
        r->cap->inl->counts(r->cap, &ic);
        snprintf(rep->inline_counts, sizeof(rep->inline_counts),
                 "spurun: inline received=%llu accepted=%llu dropped=%llu rejected=%llu "
                 "redirected=%llu fail_open=%llu batches=%llu resets_sent=%llu lost=%llu "
                 "edited=%llu\n",
                 (unsigned long long)ic.received, (unsigned long long)ic.accepted,
                 (unsigned long long)ic.dropped, (unsigned long long)ic.rejected,
                 (unsigned long long)ic.redirected,
                 (unsigned long long)ic.fail_open, (unsigned long long)ic.batches,
                 (unsigned long long)ic.reject_sent, (unsigned long long)ic.lost,
                 (unsigned long long)ic.edited);
        struct shaper_class_counts qc;
        size_t used = strlen(rep->inline_counts);
        for (unsigned i = 1; shaper_class_counts(r->shaper, i, &qc); i++) {
            char line[200];
            int k = snprintf(line, sizeof(line),
                             "spurun: queue %.64s rate=%llu burst=%u priority=%u packets=%llu "
                             "bytes=%llu dropped=%llu max_held=%u\n",
                             qc.name, (unsigned long long)qc.rate_bps, qc.burst, qc.priority,
                             (unsigned long long)qc.packets, (unsigned long long)qc.bytes,
                             (unsigned long long)qc.dropped, qc.max_held);
            if (k < 0 || used + (size_t)k >= sizeof(rep->inline_counts))
                break;
            memcpy(rep->inline_counts + used, line, (size_t)k + 1);
            used += (size_t)k;
        }
    }
    /* the capture is closed after the workers: no packet may be in flight */
    for (unsigned i = 0; i < r->nworkers; i++) {
        worker_free(r->workers[i]);
        r->workers[i] = NULL;
    }
    int orc = output_close(r->out, &rep->events);
    r->out = NULL;
    if (orc != SPU_OK && rc == SPU_OK)
        rc = spu_error_set(err, orc, "writing %s failed", c->eve_path);
    /* --metrics-linger: the final counters stay up for a last scrape */
    for (int64_t until = mono_ns() + (int64_t)c->metrics_linger * 1000000000;
         r->metrics && !*stop && mono_ns() < until;) {
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    teardown(r);
    return rc;
nomem:
    spu_error_set(err, SPU_ENOMEM, "out of memory");
    if (r->workers)
        for (unsigned i = 0; i < r->nworkers; i++)
            if (r->workers[i])
                worker_shutdown_flows(r->workers[i]);
    output_close(r->out, NULL);
    teardown(r);
    return SPU_ENOMEM;
}

int run_main(const struct config *c, volatile sig_atomic_t *stop, run_progress_fn progress,
             void *progress_ctx, struct run_report *rep, struct spu_error *err)
{
    struct run_env env = {.stop = stop, .progress = progress, .progress_ctx = progress_ctx};
    return run_main_env(c, &env, rep, err);
}

int run_bare(const struct config *c, volatile sig_atomic_t *stop, struct run_report *rep,
             struct spu_error *err)
{
    memset(rep, 0, sizeof(*rep));
    struct capture_opts co = {c->bpf, false, 1, NULL};
    struct capture *cap = capture_open_file(c->read_path, &co, err);
    if (!cap)
        return err->code ? err->code : SPU_EIO;
    uint32_t seed = pick_seed(c);
    int64_t t0 = mono_ns();
    struct capture_pkt cp[64];
    struct decoded d;
    uint32_t acc = 0;
    int rc = SPU_OK;
    while (!*stop) {
        bool eof = false;
        int n = capture_next(cap, cp, 64, &eof, err);
        if (n < 0) {
            rc = n;
            rep->capture_error = n;
            break;
        }
        for (int i = 0; i < n; i++) {
            decode_packet(&d, cp[i].linktype, cp[i].data, cp[i].caplen, 0, NULL, 0, NULL);
            if (d.ipver) {
                struct flow_key k;
                int dir;
                uint32_t h;
                if (d.frag) {
                    h = flowkey_frag_hash(&d, seed);
                } else {
                    flowkey_from_decoded(&k, &d, &dir);
                    h = flowkey_hash(&k, seed);
                }
                acc ^= h;
            }
            rep->packets++;
            rep->bytes += cp[i].caplen;
            capture_release(cap, cp[i].source, cp[i].cookie);
        }
        if (eof)
            break;
    }
    rep->seconds = (double)(mono_ns() - t0) / 1e9;
    rep->flows = acc; /* the hashes' xor: keeps the work observable */
    rep->workers = 0;
    capture_close(cap);
    return rc;
}
