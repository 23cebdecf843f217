/* run-ops.c - the operations objects of the stats record (see run-ops.h). */
#include "run-ops.h"

#include "detect.h"
#include "dispatch.h"
#include "output.h"
#include "pcaplog.h"
#include "stats.h"
#include "worker.h"

json_t *run_ops_per_worker(struct worker *const *w, unsigned n, struct dispatcher *d)
{
    json_t *pw = json_array();
    for (unsigned i = 0; i < n; i++) {
        const struct stats_block *b = worker_stats(w[i]);
        json_array_append_new(pw, json_pack("{s:I, s:I, s:I, s:I, s:I}", "worker", (json_int_t)i,
                                            "pkts", (json_int_t)stats_get(b, CNT_DEC_PKTS), "bytes",
                                            (json_int_t)stats_get(b, CNT_DEC_BYTES), "flows",
                                            (json_int_t)stats_get(b, CNT_FLOW_TOTAL), "queue_drops",
                                            (json_int_t)dispatch_queue_drops(d, i)));
    }
    return pw;
}

static uint64_t ld(const _Atomic uint64_t *c)
{
    return atomic_load_explicit((_Atomic uint64_t *)c, memory_order_relaxed);
}

json_t *run_ops_pcap_log(struct pcaplog *const *pl, unsigned n, int64_t memuse, uint64_t memcap)
{
    uint64_t v[6] = {0};
    for (unsigned i = 0; i < n; i++) {
        const struct pcaplog_stats *ps = pcaplog_stats(pl[i]);
        v[0] += ld(&ps->kept);
        v[1] += ld(&ps->memcap_drops);
        v[2] += ld(&ps->files);
        v[3] += ld(&ps->written);
        v[4] += ld(&ps->files_refused);
        v[5] += ld(&ps->write_errors);
    }
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "kept", (json_int_t)v[0],
                     "memcap_drops", (json_int_t)v[1], "files", (json_int_t)v[2], "written",
                     (json_int_t)v[3], "files_refused", (json_int_t)v[4], "write_errors",
                     (json_int_t)v[5], "memuse", (json_int_t)memuse, "memcap", (json_int_t)memcap);
}

json_t *run_ops_eve_file(struct output *o)
{
    struct output_type_count tc[OUTPUT_MAX_TYPES];
    unsigned n = output_type_counts(o, tc, OUTPUT_MAX_TYPES);
    json_t *ev = json_object();
    for (unsigned i = 0; i < n; i++)
        json_object_set_new(ev, tc[i].type, json_integer((json_int_t)tc[i].records));
    return json_pack("{s:I, s:I, s:o}", "rotations", (json_int_t)output_rotations(o), "reopens",
                     (json_int_t)output_reopens(o), "records", ev);
}

static void entry(json_t *m, const char *name, int64_t in_use, uint64_t cap, const char *policy,
                  uint64_t hits)
{
    json_object_set_new(m, name,
                        json_pack("{s:I, s:I, s:s, s:I}", "in_use", (json_int_t)in_use, "cap",
                                  (json_int_t)cap, "policy", policy, "hits", (json_int_t)hits));
}

json_t *run_ops_memory(const struct run_ops_mem *m, const struct stats_block *sum)
{
    json_t *o = json_object();
    entry(o, "flows", m->flow_memuse, m->flow_memcap,
          "evict the most idle flows of the worker (flow end reason forced); none idle: the "
          "packet is processed without a flow",
          stats_get(sum, CNT_FLOW_MEMCAP) + stats_get(sum, CNT_FLOW_EVICTED));
    int64_t spare = 0;
    for (unsigned i = 0; i < m->nworkers; i++)
        spare += (int64_t)worker_flow_spare_bytes(m->workers[i]);
    entry(o, "flow_spares", spare, (uint64_t)m->nworkers * flow_table_spare_cap(),
          "ended flows kept for reuse up to a fixed number per worker; past it they are freed",
          0);
    entry(o, "reassembly", m->reasm_memuse, m->stream_memcap,
          "out-of-order data is not held: the stream skips forward over a gap",
          stats_get(sum, CNT_TCP_SEGMENT_MEMCAP_DROP));
    entry(o, "defrag", m->defrag_memuse, m->defrag_memcap,
          "the oldest fragment trackers are dropped", stats_get(sum, CNT_DEFRAG_MAX_TRACKERS));
    entry(o, "eve_output", (int64_t)output_memuse(m->out), output_memcap(m->out),
          "fixed buffers: a producer waits for the writer (back-pressure), no record is dropped",
          0);
    entry(o, "app_buffers", m->app_memuse, m->app_memcap,
          "a flow whose parse would pass the cap is no longer inspected (its parse stopped, "
          "waiting transactions completed alone, its buffers freed); an undecided flow whose "
          "first bytes do not fit is decided by its port",
          stats_get(sum, CNT_SPU_APP_MEMCAP));
    if (m->sessions) {
        entry(o, "sessions", m->sessions->in_use, m->sessions->cap,
              "each new entry reserves its largest size (variables, key, value cap); when it "
              "does not fit, the least recently used entries of its shard are evicted, none "
              "left: it is refused (the rule's session access fails)",
              m->sessions->hits);
        json_object_set_new(json_object_get(o, "sessions"), "reserved",
                            json_integer((json_int_t)m->sessions->reserved));
    }
    if (m->pcaplogs) {
        uint64_t drops = 0;
        for (unsigned i = 0; i < m->nworkers; i++)
            drops += ld(&pcaplog_stats(m->pcaplogs[i])->memcap_drops);
        entry(o, "pcap_log", m->pcaplog_memuse, m->pcaplog_memcap,
              "the packet is not kept in the flow's ring", drops);
    }
    return o;
}
