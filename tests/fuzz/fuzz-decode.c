/*
 * fuzz-decode: the packet path on hostile frames. The first byte picks the
 * link type, the rest is the frame. Each input is decoded in both modes,
 * offered to fragment reassembly, and processed by a worker (flows, TCP
 * state and reassembly), which keeps its flows across inputs so that
 * sequences of frames reach deep states. Nothing may crash, leak or read
 * out of bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "defrag.h"
#include "pkt.h"
#include "stats.h"
#include "stream-tcp.h"
#include "worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int links[] = {LINK_ETHERNET, LINK_RAW, LINK_NULL, LINK_LOOP, LINK_SLL,
                            LINK_SLL2,     LINK_CHDLC, LINK_PPP, LINK_IPV4, LINK_IPV6};

static struct worker *w;
static struct defrag *df;
static struct stream_cfg scfg;
static struct stats_gauges gauges;
static _Atomic int64_t clock_ns;
static int64_t now;

static void setup(void)
{
    stream_cfg_default(&scfg);
    scfg.flow_cap = 4096;
    scfg.global_cap = 1 << 20;
    scfg.midstream = true;
    struct worker_cfg wc;
    memset(&wc, 0, sizeof(wc));
    wc.seed = 1;
    wc.stream = &scfg;
    wc.flow_memcap = 1 << 20;
    wc.flow_bits = 10;
    wc.gauges = &gauges;
    wc.clock = &clock_ns;
    w = worker_new(&wc, 16, 16);
    df = defrag_new(1 << 20, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 70000)
        return 0;
    if (!w)
        setup();
    int lt = links[data[0] % (sizeof(links) / sizeof(links[0]))];
    const uint8_t *frame = data + 1;
    uint32_t len = (uint32_t)(size - 1);
    struct decoded d;
    decode_packet(&d, lt, frame, len, DECODE_PEEK, NULL, 0, NULL);
    now += 1000000; /* 1 ms of packet time per input */
    if (d.ipver && d.frag) {
        uint8_t *dg = NULL;
        uint32_t dglen;
        unsigned anomaly;
        if (defrag_add(df, &d, now, &dg, &dglen, &anomaly, NULL) == DEFRAG_DONE) {
            decode_packet(&d, LINK_RAW, dg, dglen, DECODE_CSUM, NULL, 0, NULL);
            free(dg);
        }
    }
    struct pkt p;
    memset(&p, 0, sizeof(p));
    p.data = frame;
    p.caplen = p.wirelen = len;
    p.ts_ns = p.clock_ns = now;
    p.linktype = (uint16_t)lt;
    p.pcap_cnt = 1;
    clock_ns = now;
    worker_process(w, &p);
    return 0;
}
