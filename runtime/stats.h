/*
 * stats.h - counters of the packet path (counters.def, anomaly.def).
 *
 * Each thread that counts (a worker, the dispatcher) owns one struct
 * stats_block and is its only writer; the stats reporter (the main thread)
 * reads every block while they run. Writes and reads are relaxed atomic
 * loads/stores of 64-bit words (plain moves on x86-64, no lock prefix), so a
 * snapshot may lag by a packet but never tears. Gauges shared by all threads
 * (memory in use) are plain _Atomic counters in struct stats_gauges.
 */
#ifndef SPU_STATS_H
#define SPU_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum stats_counter {
#define COUNTER(id, name, kind) CNT_##id,
#include "counters.def"
#undef COUNTER
    CNT__COUNT
};

enum anomaly_code {
#define ANOMALY(id, name, kind) ANOM_##id,
#include "anomaly.def"
#undef ANOMALY
    ANOM__COUNT
};
_Static_assert(ANOM__COUNT < 256, "anomaly codes must fit a byte");

enum stats_kind { STATS_SUM, STATS_MAX };
enum anomaly_kind { ANOMALY_DECODE, ANOMALY_STREAM };

struct stats_block {
    _Atomic uint64_t c[CNT__COUNT];
    _Atomic uint64_t anom[ANOM__COUNT];
};

/* Process-wide gauges, shared by every thread (atomic add/sub). */
struct stats_gauges {
    _Atomic int64_t flow_memuse;
    _Atomic int64_t flow_active;
    _Atomic int64_t tcp_reasm_memuse;
    _Atomic int64_t defrag_memuse;
};

/* Reserve n bytes of a memory gauge shared by threads, false (nothing
 * added) when that would pass cap. The gauge never reads above cap, not
 * even for an instant: a snapshot taken while threads reserve together
 * (spuctl memory, a stats record) shows at most the cap. */
static inline bool stats_gauge_take(_Atomic int64_t *g, int64_t n, uint64_t cap)
{
    int64_t cur = atomic_load_explicit(g, memory_order_relaxed);
    do {
        if (cur + n > 0 && (uint64_t)(cur + n) > cap)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(g, &cur, cur + n, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
}

static inline void stats_add(struct stats_block *s, enum stats_counter id, uint64_t n)
{
    uint64_t v = atomic_load_explicit(&s->c[id], memory_order_relaxed);
    atomic_store_explicit(&s->c[id], v + n, memory_order_relaxed);
}

static inline void stats_inc(struct stats_block *s, enum stats_counter id)
{
    stats_add(s, id, 1);
}

static inline void stats_max(struct stats_block *s, enum stats_counter id, uint64_t n)
{
    if (n > atomic_load_explicit(&s->c[id], memory_order_relaxed))
        atomic_store_explicit(&s->c[id], n, memory_order_relaxed);
}

static inline uint64_t stats_get(const struct stats_block *s, enum stats_counter id)
{
    return atomic_load_explicit(&((struct stats_block *)s)->c[id], memory_order_relaxed);
}

static inline void stats_anomaly(struct stats_block *s, unsigned code)
{
    uint64_t v = atomic_load_explicit(&s->anom[code], memory_order_relaxed);
    atomic_store_explicit(&s->anom[code], v + 1, memory_order_relaxed);
}

/* Zero a block (before its thread starts). */
void stats_block_init(struct stats_block *s);

/* Fold `src` into `dst` (SUM adds, MAX keeps the larger). dst is private to
 * the caller. */
void stats_block_merge(struct stats_block *dst, const struct stats_block *src);

/* Table lookups: Suricata/spu name of a counter; event name and kind of an
 * anomaly; Suricata's counter name of an anomaly ("decoder.event.ipv4.x"),
 * written into buf. */
const char *stats_counter_name(enum stats_counter id);
enum stats_kind stats_counter_kind(enum stats_counter id);
const char *anomaly_name(unsigned code);
enum anomaly_kind anomaly_kind(unsigned code);
const char *anomaly_counter_name(unsigned code, char *buf, unsigned len);

#endif
