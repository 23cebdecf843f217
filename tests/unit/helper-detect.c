/* helper-detect.c - see helper-detect.h. */
#include "helper-detect.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

void hd_conn_init(struct hd_conn *c, uint8_t client_last, uint16_t sport)
{
    memset(c, 0, sizeof(*c));
    uint8_t cl[4] = {192, 0, 2, client_last}, sv[4] = {198, 51, 100, 1};
    memcpy(c->f.key.addr[0], cl, 4);
    memcpy(c->f.key.addr[1], sv, 4);
    c->f.key.port[0] = sport;
    c->f.key.port[1] = 80;
    c->f.key.proto = 6;
    c->f.key.ipver = 4;
    c->f.start_ns = c->f.last_ns = 1796000000000000000LL;
    c->d.ipver = 4;
    c->d.proto = 6;
    c->d.l4ok = 1;
    c->d.tcp_flags = TH_SYN;
    c->d.ttl = 64;
    memcpy(c->d.src, cl, 4);
    memcpy(c->d.dst, sv, 4);
    c->d.sport = sport;
    c->d.dport = 80;
    c->p.ts_ns = c->f.start_ns;
    c->p.wirelen = c->p.caplen = 60;
    c->p.pcap_cnt = 1;
}

void hd_raise(struct detect_worker *w, struct hd_conn *c, enum rt_event_id id)
{
    const struct rt_hooks *h = detect_worker_hooks(w);
    h->event(h->ctx, id, &c->p, &c->d, &c->f, -1);
}

void hd_end_flow(struct detect_worker *w, struct hd_conn *c)
{
    const struct rt_hooks *h = detect_worker_hooks(w);
    h->event(h->ctx, RT_EV_FLOW_END, NULL, NULL, &c->f, FLOW_REASON_SHUTDOWN);
    cr_assert_null(c->f.detect, "flow.end frees the rule engine's flow slot");
}

long long hd_counter(struct detect_engine *e, const char *name)
{
    json_t *s = detect_engine_stats(e, 0);
    long long v = (long long)json_integer_value(json_object_get(s, name));
    json_decref(s);
    return v;
}
