/* stats.c - counter tables and merging (see stats.h). */
#include "stats.h"

#include <stdio.h>
#include <string.h>

static const char *const counter_names[CNT__COUNT] = {
#define COUNTER(id, name, kind) name,
#include "counters.def"
#undef COUNTER
};

static const unsigned char counter_kinds[CNT__COUNT] = {
#define COUNTER(id, name, kind) STATS_##kind,
#include "counters.def"
#undef COUNTER
};

static const char *const anomaly_names[ANOM__COUNT] = {
#define ANOMALY(id, name, kind) name,
#include "anomaly.def"
#undef ANOMALY
};

static const unsigned char anomaly_kinds[ANOM__COUNT] = {
#define ANOMALY(id, name, kind) ANOMALY_##kind,
#include "anomaly.def"
#undef ANOMALY
};

void stats_block_init(struct stats_block *s)
{
    for (unsigned i = 0; i < CNT__COUNT; i++)
        atomic_init(&s->c[i], 0);
    for (unsigned i = 0; i < ANOM__COUNT; i++)
        atomic_init(&s->anom[i], 0);
}

void stats_block_merge(struct stats_block *dst, const struct stats_block *src)
{
    struct stats_block *s = (struct stats_block *)src;
    for (unsigned i = 0; i < CNT__COUNT; i++) {
        uint64_t v = atomic_load_explicit(&s->c[i], memory_order_relaxed);
        uint64_t d = atomic_load_explicit(&dst->c[i], memory_order_relaxed);
        if (counter_kinds[i] == STATS_MAX)
            d = v > d ? v : d;
        else
            d += v;
        atomic_store_explicit(&dst->c[i], d, memory_order_relaxed);
    }
    for (unsigned i = 0; i < ANOM__COUNT; i++) {
        uint64_t v = atomic_load_explicit(&s->anom[i], memory_order_relaxed);
        uint64_t d = atomic_load_explicit(&dst->anom[i], memory_order_relaxed);
        atomic_store_explicit(&dst->anom[i], d + v, memory_order_relaxed);
    }
}

const char *stats_counter_name(enum stats_counter id)
{
    return (unsigned)id < CNT__COUNT ? counter_names[id] : "?";
}

enum stats_kind stats_counter_kind(enum stats_counter id)
{
    return (unsigned)id < CNT__COUNT ? (enum stats_kind)counter_kinds[id] : STATS_SUM;
}

const char *anomaly_name(unsigned code)
{
    return code < ANOM__COUNT ? anomaly_names[code] : "?";
}

enum anomaly_kind anomaly_kind(unsigned code)
{
    return code < ANOM__COUNT ? (enum anomaly_kind)anomaly_kinds[code] : ANOMALY_DECODE;
}

const char *anomaly_counter_name(unsigned code, char *buf, unsigned len)
{
    const char *n = anomaly_name(code);
    /* decoder.ipv4.trunc_pkt -> decoder.event.ipv4.trunc_pkt; the generic
     * decoder.too_many_layers is its own counter; stream.x -> stream.x */
    if (strncmp(n, "decoder.", 8) == 0 && strchr(n + 8, '.'))
        snprintf(buf, len, "decoder.event.%s", n + 8);
    else
        snprintf(buf, len, "%s", n);
    return buf;
}
