/*
 * app-event.h - how a grammar event reaches its consumers (the rule engine,
 * EVE logging).
 *
 * The application layer (app.c) runs the grammar VM over each flow's
 * reassembled streams. For every event the grammar raises it calls the
 * sink below, on the worker thread that owns the flow, synchronously:
 * everything in struct app_event is borrowed for the call (the record and
 * its values may point into packet or parser memory).
 */
#ifndef SPU_APP_EVENT_H
#define SPU_APP_EVENT_H

#include <stdint.h>

struct flow;
struct spu_bundle;
struct spu_record;

struct app_event {
    struct flow *flow;
    const struct spu_bundle *bundle; /* the bundle whose grammar raised it */
    unsigned bundle_idx;             /* its index in spurun's bundle list */
    uint32_t event;                  /* the bundle's event index */
    const struct spu_record *rec;    /* the event's record (its fields) */
    uint64_t tx_id;                  /* transaction of the message, from 0 per flow */
    int dir;                         /* STREAM_TOSERVER or STREAM_TOCLIENT */
    int64_t ts_ns;                   /* time of the packet that completed it */
    uint64_t pcap_cnt;               /* that packet's number (0: none, the flow's end) */
};

struct app_sink {
    void *ctx;
    void (*event)(void *ctx, const struct app_event *ev);
};

#endif
