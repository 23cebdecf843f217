/*
 * helper-detect.h - runtime events made by hand for the rule engine's unit
 * tests (test-detect.c, test-reload.c): a TCP connection's flow, packet and
 * decoded headers, raised through a worker's hooks. Test-only code.
 */
#ifndef SPU_HELPER_DETECT_H
#define SPU_HELPER_DETECT_H

#include "decode.h"
#include "detect.h"
#include "flow.h"
#include "pkt.h"
#include "rt-events.h"

#include <stdint.h>

struct hd_conn {
    struct flow f;
    struct pkt p;
    struct decoded d;
};

/* 192.0.2.CLIENT_LAST:SPORT -> 198.51.100.1:80, IPv4 TCP, a SYN packet
 * (pcap_cnt 1) at 1796000000 s. */
void hd_conn_init(struct hd_conn *c, uint8_t client_last, uint16_t sport);
/* Raise event `id` for the connection's packet on worker w. */
void hd_raise(struct detect_worker *w, struct hd_conn *c, enum rt_event_id id);
/* flow.end (reason shutdown); asserts that it freed the flow's rule-engine slot. */
void hd_end_flow(struct detect_worker *w, struct hd_conn *c);
/* A top-level counter of the engine's stats (spu.detect). */
long long hd_counter(struct detect_engine *e, const char *name);

#endif
