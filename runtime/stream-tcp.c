/* stream-tcp.c - TCP session state machine (see stream-tcp.h). */
#include "stream-tcp.h"

#include "decode.h"
#include "stats.h"

#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)

void stream_cfg_default(struct stream_cfg *cfg)
{
    cfg->flow_cap = (size_t)1 << 20;
    cfg->global_cap = (size_t)256 << 20;
    cfg->policy = STREAM_POLICY_FIRST;
    cfg->midstream = false;
}

static void count(struct stream_ctx *c, enum stats_counter id)
{
    if (c->st)
        stats_inc(c->st, id);
}

/* Suricata maps TCP states onto flow states this way. */
static void set_state(struct flow *f, enum tcp_state s)
{
    f->tcp_state = (uint8_t)s;
    switch (s) {
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT1:
    case TCP_FIN_WAIT2:
    case TCP_CLOSING:
    case TCP_CLOSE_WAIT:
        f->state = FLOW_STATE_ESTABLISHED;
        break;
    case TCP_LAST_ACK:
    case TCP_TIME_WAIT:
    case TCP_CLOSED:
        f->state = FLOW_STATE_CLOSED;
        break;
    default:
        break;
    }
}

/* A packet of a flow without a session: start one when it is a SYN, or
 * (with midstream pickup) any packet. Returns false when not tracked. */
static bool start_session(struct stream_ctx *c, struct flow *f, int fd, const struct decoded *d)
{
    uint8_t fl = d->tcp_flags;
    if ((fl & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
        f->flags |= FLOW_F_TCP_SESSION;
        set_state(f, TCP_SYN_SENT);
        reasm_start(f, fd, d->seq + 1);
        count(c, CNT_TCP_SESSIONS);
        return true;
    }
    if (!c->cfg->midstream || (fl & TH_RST))
        return false;
    f->flags |= FLOW_F_TCP_SESSION | FLOW_F_MIDSTREAM;
    count(c, CNT_TCP_SESSIONS);
    count(c, CNT_TCP_MIDSTREAM);
    if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
        set_state(f, TCP_SYN_RECV);
        reasm_start(f, fd, d->seq + 1);
        reasm_start(f, !fd, d->ack);
        return true;
    }
    set_state(f, TCP_ESTABLISHED);
    reasm_start(f, fd, d->seq);
    if (fl & TH_ACK)
        reasm_start(f, !fd, d->ack);
    return true;
}

static void close_both(struct stream_ctx *c, struct flow *f, int reason, int64_t ts)
{
    reasm_close(c, f, 0, reason, ts);
    reasm_close(c, f, 1, reason, ts);
}

/* The FIN of direction `dir` is acknowledged by `ack`. */
static bool fin_acked(const struct flow *f, int dir, uint32_t ack)
{
    const struct stream_dir *sd = &f->sd[dir];
    return (sd->flags & SD_FIN) && SEQ_GEQ(ack, sd->fin_seq + 1);
}

void stream_tcp_packet(struct stream_ctx *c, struct flow *f, int fd, const struct decoded *d,
                       int64_t ts)
{
    uint8_t fl = d->tcp_flags;
    c->nanom = 0;
    if ((fl & (TH_SYN | TH_ACK)) == TH_SYN)
        count(c, CNT_TCP_SYN);
    else if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
        count(c, CNT_TCP_SYNACK);
    if (fl & TH_RST)
        count(c, CNT_TCP_RST);
    if (!(f->flags & FLOW_F_TCP_SESSION)) {
        if (!start_session(c, f, fd, d))
            return;
        if (fl & TH_SYN) {
            /* data on a SYN (TCP Fast Open) follows the SYN's sequence */
            reasm_data(c, f, fd, d->seq + 1, d->payload, d->payload_len, ts);
            return;
        }
    } else if (fl & TH_RST) {
        set_state(f, TCP_CLOSED);
        close_both(c, f, STREAM_CLOSE_RST, ts);
        return;
    } else if ((fl & (TH_SYN | TH_ACK)) == TH_SYN) {
        if (f->tcp_state == TCP_SYN_SENT && fd == 0) /* SYN again, maybe a new ISN */
            reasm_start(f, 0, d->seq + 1);
        return;
    } else if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
        if (fd == 1 && (f->tcp_state == TCP_SYN_SENT || f->tcp_state == TCP_SYN_RECV)) {
            set_state(f, TCP_SYN_RECV);
            reasm_start(f, 1, d->seq + 1);
        }
        reasm_data(c, f, fd, d->seq + 1, d->payload, d->payload_len, ts);
        return;
    }
    if (f->tcp_state == TCP_SYN_RECV && fd == 0 && (fl & TH_ACK))
        set_state(f, TCP_ESTABLISHED);
    reasm_data(c, f, fd, d->seq, d->payload, d->payload_len, ts);
    if (fl & TH_ACK)
        reasm_ack(c, f, !fd, d->ack, ts);
    if (fl & TH_FIN) {
        reasm_fin(c, f, fd, d->seq + d->payload_wire, ts);
        switch (f->tcp_state) {
        case TCP_ESTABLISHED:
            set_state(f, fd == 0 ? TCP_CLOSE_WAIT : TCP_FIN_WAIT1);
            break;
        case TCP_FIN_WAIT1:
            if (fd == 0)
                set_state(f, (fl & TH_ACK) && fin_acked(f, 1, d->ack) ? TCP_TIME_WAIT
                                                                        : TCP_CLOSING);
            break;
        case TCP_FIN_WAIT2:
            if (fd == 0)
                set_state(f, TCP_TIME_WAIT);
            break;
        case TCP_CLOSE_WAIT:
            if (fd == 1)
                set_state(f, TCP_LAST_ACK);
            break;
        default:
            break;
        }
    } else if (fl & TH_ACK) {
        switch (f->tcp_state) {
        case TCP_FIN_WAIT1:
            if (fd == 0 && fin_acked(f, 1, d->ack))
                set_state(f, TCP_FIN_WAIT2);
            break;
        case TCP_LAST_ACK:
            if (fd == 0 && fin_acked(f, 1, d->ack))
                set_state(f, TCP_CLOSED);
            break;
        case TCP_TIME_WAIT:
            if (fd == 1 && fin_acked(f, 0, d->ack))
                set_state(f, TCP_CLOSED);
            break;
        case TCP_CLOSING:
            if (fin_acked(f, !fd, d->ack))
                set_state(f, TCP_TIME_WAIT);
            break;
        default:
            break;
        }
    }
    if (f->tcp_state == TCP_CLOSED)
        close_both(c, f, STREAM_CLOSE_FIN, ts);
}

void stream_udp_packet(struct stream_ctx *c, struct flow *f, int fd, const uint8_t *p,
                       uint32_t n, int64_t ts)
{
    c->nanom = 0;
    if (n && c->cons && c->cons->data)
        c->cons->data(c->cons->ctx, f, fd, p, n, ts);
}

void stream_flow_end(struct stream_ctx *c, struct flow *f, int64_t ts)
{
    if (f->key.proto == 6) {
        close_both(c, f, STREAM_CLOSE_FLOW_END, ts);
        reasm_release(c, f);
    } else if (f->key.proto == 17 && c->cons && c->cons->close) {
        c->cons->close(c->cons->ctx, f, 0, STREAM_CLOSE_FLOW_END, ts);
        c->cons->close(c->cons->ctx, f, 1, STREAM_CLOSE_FLOW_END, ts);
    }
    if (f->app && c->cons && c->cons->destroy)
        c->cons->destroy(c->cons->ctx, f, f->app);
    f->app = NULL;
}
