/*
 * rt-events.h - the hook through which the packet path raises the
 * runtime's own events (runtime/vm/events.def: packet, tcp.syn,
 * flow.start, flow.end) for the rule engine.
 *
 * Each worker holds one struct rt_hooks; event() is called on that worker,
 * synchronously, with the packet (NULL for flow.end raised by a timeout,
 * eviction or shutdown), its decoded headers (NULL likewise) and the flow
 * (NULL for a packet without one); `reason` is the enum flow_reason of a
 * flow.end, -1 for the others. The flow is passed writable so that the
 * consumer can keep its state in it (flow.detect). tcp.syn is raised for a SYN without ACK
 * that is not a non-first fragment (fragments are never flow-tracked; a
 * reassembled datagram is). Everything passed is borrowed for the call.
 * A NULL event() means no consumer (no bundle loaded).
 */
#ifndef SPU_RT_EVENTS_H
#define SPU_RT_EVENTS_H

struct pkt;
struct decoded;
struct flow;

enum rt_event_id {
#define RT_EVENT(id, name, fields) RT_EV_##id,
#include "events.def"
#undef RT_EVENT
    RT_EV__COUNT
};

struct rt_hooks {
    void *ctx;
    void (*event)(void *ctx, enum rt_event_id id, const struct pkt *p, const struct decoded *d,
                  struct flow *f, int reason);
};

#endif
