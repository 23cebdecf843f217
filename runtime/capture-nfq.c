/*
 * capture-nfq.c - inline capture from netfilter queues (--inline nfq:N[,M..]).
 *
 * One netlink socket carries every queue. Each queued packet is copied into
 * a slot (its cookie) and handed to the dispatcher as raw IP; the verdict
 * comes back through the ops' verdict() when the worker returns the
 * descriptor. Drops are sent at once; accepts are batched: each queue keeps
 * its slots in arrival order and, once per next(), one batch verdict
 * accepts the longest settled prefix (NFQNL_MSG_VERDICT_BATCH accepts every
 * id up to the given one that is still queued; dropped ids are gone by
 * then). Reject also sends resets / ICMP unreachable (inline-reject.h) on a
 * raw socket, which leaves through OUTPUT and so is never queued again.
 *
 * Overload: without --fail-open, a full slot pool stops reading (the kernel
 * holds packets up to its queue length, then drops). With --fail-open the
 * kernel accepts what overflows its queue (NFQA_CFG_F_FAIL_OPEN) and a
 * packet read while every slot is busy is accepted uninspected; both
 * counted.
 */
#include "capture.h"
#include "decode.h"
#include "err.h"
#include "inline-reject.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { NFQ_MAX_QUEUES = 16, NFQ_SLOTS = 4096, NFQ_QLEN = 8192, NFQ_RECVBUF = 0x20000 };

/* SLOT_HELD: accepted, held by the queuing engine (shaper.h) until released */
enum { SLOT_FREE, SLOT_READY, SLOT_OUT, SLOT_ACCEPT, SLOT_DONE, SLOT_HELD };

struct nfq_slot {
    uint8_t *buf;
    uint32_t cap, len;
    uint32_t id;
    uint8_t state;
    uint8_t q;
    bool edited; /* accept with buf[0..len) as the packet's new bytes */
    int64_t ts_ns;
};

struct nfq_queue {
    struct nfq_q_handle *qh;
    struct nfq_be *be;
    uint16_t num;
    unsigned idx;
    struct nfq_slot **fifo; /* arrival order, NFQ_SLOTS entries */
    unsigned head, tail;    /* tail - head = slots held */
    struct nfq_slot *swept; /* the held head whose followers were settled one by one */
};

struct nfq_be {
    struct nfq_handle *h;
    int fd, raw, raw6;
    bool fail_open;
    struct nfq_queue q[NFQ_MAX_QUEUES];
    unsigned nq;
    struct nfq_slot slots[NFQ_SLOTS];
    struct nfq_slot *freel[NFQ_SLOTS];
    unsigned nfree;
    struct nfq_slot *ready[NFQ_SLOTS]; /* read, not handed out yet */
    unsigned rhead, rtail;
    unsigned inflight;
    uint8_t rbuf[NFQ_RECVBUF];
    struct capture_inline_counts n;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfad,
                     void *data)
{
    struct nfq_queue *q = data;
    struct nfq_be *be = q->be;
    struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfad);
    if (!ph)
        return 0;
    uint32_t id = ntohl(ph->packet_id);
    unsigned char *payload = NULL;
    int len = nfq_get_payload(nfad, &payload);
    be->n.received++;
    if (len < 0 || !be->nfree) {
        /* nothing to inspect, or no room: only reached with --fail-open
         * (otherwise next() does not read while the pool is empty) */
        be->n.fail_open++;
        be->n.accepted++;
        nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
        return 0;
    }
    struct nfq_slot *s = be->freel[--be->nfree];
    if (s->cap < (uint32_t)len) {
        uint32_t cap = (uint32_t)len < 2048 ? 2048 : (uint32_t)len;
        uint8_t *nb = realloc(s->buf, cap);
        if (!nb) {
            be->freel[be->nfree++] = s;
            be->n.fail_open++;
            be->n.accepted++;
            nfq_set_verdict(qh, id, NF_ACCEPT, 0, NULL);
            return 0;
        }
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf, payload, (size_t)len);
    s->len = (uint32_t)len;
    s->id = id;
    s->q = (uint8_t)q->idx;
    s->state = SLOT_READY;
    struct timeval tv;
    s->ts_ns = nfq_get_timestamp(nfad, &tv) == 0 && tv.tv_sec
                   ? (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000
                   : now_ns();
    q->fifo[q->tail++ % NFQ_SLOTS] = s;
    be->ready[be->rtail++ % NFQ_SLOTS] = s;
    return 0;
}

/* Accept the settled prefix of each queue with one batch verdict. */
static void flush_verdicts(struct nfq_be *be)
{
    for (unsigned i = 0; i < be->nq; i++) {
        struct nfq_queue *q = &be->q[i];
        bool any = false;
        uint32_t last = 0;
        while (q->head != q->tail) {
            struct nfq_slot *s = q->fifo[q->head % NFQ_SLOTS];
            if (s->state != SLOT_ACCEPT && s->state != SLOT_DONE)
                break;
            if (s->state == SLOT_ACCEPT && s->edited) {
                /* an edited packet needs its own verdict with its bytes;
                 * the accepts before it go first, in order */
                if (any)
                    nfq_set_verdict_batch(q->qh, last, NF_ACCEPT);
                be->n.batches += any;
                any = false;
                nfq_set_verdict(q->qh, s->id, NF_ACCEPT, s->len, s->buf);
                s->edited = false;
            } else if (s->state == SLOT_ACCEPT) {
                any = true;
                last = s->id;
            }
            s->state = SLOT_FREE;
            be->freel[be->nfree++] = s;
            q->head++;
        }
        if (any) {
            nfq_set_verdict_batch(q->qh, last, NF_ACCEPT);
            be->n.batches++;
        }
        /* a packet held by the queuing engine at the head: the accepts
         * behind it go one by one instead of waiting for it (a batch
         * would accept it too); later ones do so in nfq_verdict */
        struct nfq_slot *h = q->head != q->tail ? q->fifo[q->head % NFQ_SLOTS] : NULL;
        if (h && h->state == SLOT_HELD && h != q->swept) {
            q->swept = h;
            for (unsigned k = q->head + 1; k != q->tail; k++) {
                struct nfq_slot *s = q->fifo[k % NFQ_SLOTS];
                if (s->state == SLOT_ACCEPT) {
                    nfq_set_verdict(q->qh, s->id, NF_ACCEPT, s->edited ? s->len : 0,
                                    s->edited ? s->buf : NULL);
                    s->edited = false;
                    s->state = SLOT_DONE;
                }
            }
        }
    }
}

static void read_socket(struct nfq_be *be)
{
    for (int i = 0; i < 64 && (be->nfree || be->fail_open); i++) {
        ssize_t r = recv(be->fd, be->rbuf, sizeof(be->rbuf), MSG_DONTWAIT);
        if (r < 0) {
            if (errno == ENOBUFS) {
                be->n.lost++;
                continue;
            }
            return;
        }
        nfq_handle_packet(be->h, (char *)be->rbuf, (int)r);
    }
}

static int nfq_next(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                    struct spu_error *err)
{
    struct nfq_be *be = c->priv;
    flush_verdicts(be);
    if (be->rhead == be->rtail) {
        read_socket(be);
        if (be->rhead == be->rtail && !atomic_load_explicit(&c->brk, memory_order_relaxed)) {
            /* packets with the workers: come back soon to settle them */
            struct pollfd pfd = {be->fd, POLLIN, 0};
            /* 20 us while packets wait for their verdicts, 100 ms idle */
            struct timespec wait = {0, be->inflight ? 20000 : 100000000};
            if ((be->nfree || be->fail_open) && ppoll(&pfd, 1, &wait, NULL) > 0)
                read_socket(be);
            else if (!be->nfree && !be->fail_open)
                poll(NULL, 0, 1);
        }
    }
    unsigned n = 0;
    while (n < max && be->rhead != be->rtail) {
        struct nfq_slot *s = be->ready[be->rhead++ % NFQ_SLOTS];
        s->state = SLOT_OUT;
        struct capture_pkt *p = &out[n++];
        memset(p, 0, sizeof(*p));
        p->data = s->buf;
        p->caplen = p->wirelen = s->len;
        p->ts_ns = s->ts_ns;
        p->linktype = LINK_RAW;
        p->source = s->q;
        p->cookie = s;
        be->inflight++;
    }
    if (n == 0 && atomic_load_explicit(&c->brk, memory_order_relaxed))
        *eof = true;
    return (int)n;
}

static void send_reject(struct nfq_be *be, const struct nfq_slot *s, unsigned verdict,
                        const char *location)
{
    struct inline_reject_pkts rp;
    if (!inline_reply_build(verdict, s->buf, s->len, location, &rp)) {
        be->n.reject_unsent++;
        return;
    }
    for (unsigned i = 0; i < rp.n; i++) {
        ssize_t r = -1;
        if ((rp.buf[i][0] >> 4) == 4 && be->raw >= 0) {
            struct sockaddr_in to = {.sin_family = AF_INET};
            memcpy(&to.sin_addr, rp.buf[i] + 16, 4);
            r = sendto(be->raw, rp.buf[i], rp.len[i], 0, (struct sockaddr *)&to, sizeof(to));
        } else if ((rp.buf[i][0] >> 4) == 6 && be->raw6 >= 0) {
            /* IPPROTO_RAW on AF_INET6 implies IPV6_HDRINCL */
            struct sockaddr_in6 to = {.sin6_family = AF_INET6};
            memcpy(&to.sin6_addr, rp.buf[i] + 24, 16);
            r = sendto(be->raw6, rp.buf[i], rp.len[i], 0, (struct sockaddr *)&to, sizeof(to));
        }
        if (r < 0)
            be->n.reject_unsent++;
        else
            be->n.reject_sent++;
    }
}

static void nfq_verdict(struct capture *c, uint16_t source, void *cookie, unsigned verdict,
                        const char *location)
{
    struct nfq_be *be = c->priv;
    struct nfq_slot *s = cookie;
    if (!s || source >= be->nq)
        return;
    be->inflight--;
    if (verdict != CAPTURE_VERDICT_ACCEPT) {
        if (verdict == CAPTURE_VERDICT_REJECT) {
            be->n.rejected++;
            send_reject(be, s, verdict, NULL);
        } else if (verdict != CAPTURE_VERDICT_DROP) {
            be->n.redirected++;
            send_reject(be, s, verdict, location);
        }
        be->n.dropped++;
        nfq_set_verdict(be->q[source].qh, s->id, NF_DROP, 0, NULL);
        s->state = SLOT_DONE;
    } else {
        be->n.accepted++;
        struct nfq_queue *q = &be->q[source];
        struct nfq_slot *h = q->head != q->tail ? q->fifo[q->head % NFQ_SLOTS] : NULL;
        if (h && h != s && h->state == SLOT_HELD) {
            nfq_set_verdict(q->qh, s->id, NF_ACCEPT, 0, NULL);
            s->state = SLOT_DONE;
        } else {
            s->state = SLOT_ACCEPT;
        }
    }
}

static void nfq_hold(struct capture *c, uint16_t source, void *cookie)
{
    struct nfq_be *be = c->priv;
    struct nfq_slot *s = cookie;
    if (s && source < be->nq)
        s->state = SLOT_HELD;
}

static void nfq_accept_edited(struct capture *c, uint16_t source, void *cookie,
                              const uint8_t *data, uint32_t len)
{
    struct nfq_be *be = c->priv;
    struct nfq_slot *s = cookie;
    if (!s || source >= be->nq)
        return;
    if (s->cap < len) {
        uint8_t *nb = realloc(s->buf, len);
        if (!nb) { /* accepted as it came */
            nfq_verdict(c, source, cookie, CAPTURE_VERDICT_ACCEPT, NULL);
            return;
        }
        s->buf = nb;
        s->cap = len;
    }
    memcpy(s->buf, data, len);
    s->len = len;
    s->edited = true;
    be->inflight--;
    be->n.accepted++;
    be->n.edited++;
    struct nfq_queue *q = &be->q[source];
    struct nfq_slot *h = q->head != q->tail ? q->fifo[q->head % NFQ_SLOTS] : NULL;
    if (h && h != s && h->state == SLOT_HELD) {
        /* behind a packet the queuing engine holds: not batched */
        nfq_set_verdict(q->qh, s->id, NF_ACCEPT, s->len, s->buf);
        s->edited = false;
        s->state = SLOT_DONE;
        return;
    }
    s->state = SLOT_ACCEPT;
}

static void nfq_release(struct capture *c, uint16_t source, void *cookie)
{
    nfq_verdict(c, source, cookie, CAPTURE_VERDICT_ACCEPT, NULL);
}

static void nfq_stats(struct capture *c, struct capture_stats *s)
{
    struct nfq_be *be = c->priv;
    s->packets = be->n.received - be->n.fail_open;
    s->kernel_packets = be->n.received;
    s->kernel_drops = be->n.lost;
}

static void nfqc_close(struct capture *c)
{
    struct nfq_be *be = c->priv;
    flush_verdicts(be);
    /* read but never inspected (the run stopped): let them go rather than
     * have the kernel drop them with the queue */
    while (be->rhead != be->rtail) {
        struct nfq_slot *s = be->ready[be->rhead++ % NFQ_SLOTS];
        nfq_set_verdict(be->q[s->q].qh, s->id, NF_ACCEPT, 0, NULL);
        be->n.accepted++;
    }
    for (unsigned i = 0; i < be->nq; i++) {
        nfq_destroy_queue(be->q[i].qh);
        free(be->q[i].fifo);
    }
    if (be->h)
        nfq_close(be->h);
    if (be->raw >= 0)
        close(be->raw);
    if (be->raw6 >= 0)
        close(be->raw6);
    for (unsigned i = 0; i < NFQ_SLOTS; i++)
        free(be->slots[i].buf);
    free(be);
    free(c);
}

static void nfq_inline_counts(struct capture *c, struct capture_inline_counts *n)
{
    *n = ((struct nfq_be *)c->priv)->n;
}

static const struct capture_ops nfq_ops = {
    .name = "nfq",
    .next = nfq_next,
    .release = nfq_release,
    .stats = nfq_stats,
    .close = nfqc_close,
};

static const struct capture_inline_ops nfq_inline_ops = {nfq_verdict, nfq_inline_counts,
                                                         nfq_accept_edited, nfq_hold};

/* "0,1,5" -> queue numbers. */
static int parse_queues(const char *spec, uint16_t *nums, unsigned *n, struct spu_error *err)
{
    *n = 0;
    const char *p = spec;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v > 65535 || (*end && *end != ','))
            return spu_error_set(err, SPU_EINVAL, "--inline nfq:%s: queue numbers 0-65535, "
                                 "separated by commas", spec);
        if (*n == NFQ_MAX_QUEUES)
            return spu_error_set(err, SPU_ELIMIT, "--inline nfq: at most %d queues",
                                 NFQ_MAX_QUEUES);
        nums[(*n)++] = (uint16_t)v;
        p = *end ? end + 1 : end;
    }
    if (!*n)
        return spu_error_set(err, SPU_EINVAL, "--inline nfq: no queue number");
    return 0;
}

struct capture *capture_open_nfq(const char *queues, bool fail_open, struct spu_error *err)
{
    uint16_t nums[NFQ_MAX_QUEUES];
    unsigned nq;
    if (parse_queues(queues, nums, &nq, err) < 0)
        return NULL;
    struct capture *c = calloc(1, sizeof(*c));
    struct nfq_be *be = calloc(1, sizeof(*be));
    if (!c || !be) {
        free(c);
        free(be);
        spu_error_set(err, SPU_ENOMEM, "nfq: out of memory");
        return NULL;
    }
    c->ops = &nfq_ops;
    c->inl = &nfq_inline_ops;
    c->priv = be;
    c->live = true;
    snprintf(c->iface, sizeof(c->iface), "nfq:%s", queues);
    be->raw = be->raw6 = -1;
    be->fail_open = fail_open;
    for (unsigned i = 0; i < NFQ_SLOTS; i++)
        be->freel[be->nfree++] = &be->slots[i];
    be->h = nfq_open();
    if (!be->h) {
        spu_error_set(err, SPU_EIO, "nfq: cannot open netfilter queue handle: %s",
                      strerror(errno));
        goto fail;
    }
    for (unsigned i = 0; i < nq; i++) {
        struct nfq_queue *q = &be->q[i];
        q->be = be;
        q->num = nums[i];
        q->idx = i;
        q->fifo = calloc(NFQ_SLOTS, sizeof(*q->fifo));
        q->qh = q->fifo ? nfq_create_queue(be->h, nums[i], on_packet, q) : NULL;
        if (!q->qh) {
            free(q->fifo);
            spu_error_set(err, SPU_EIO, "nfq: cannot bind queue %u: %s (root? another "
                          "reader on it?)", nums[i], strerror(errno));
            goto fail;
        }
        be->nq++;
        if (nfq_set_mode(q->qh, NFQNL_COPY_PACKET, 0xffff) < 0) {
            spu_error_set(err, SPU_EIO, "nfq: queue %u: cannot copy packets", nums[i]);
            goto fail;
        }
        nfq_set_queue_maxlen(q->qh, NFQ_QLEN);
        if (be->fail_open &&
            nfq_set_queue_flags(q->qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0) {
            spu_error_set(err, SPU_EUNSUPPORTED, "nfq: queue %u: the kernel refuses fail-open",
                          nums[i]);
            goto fail;
        }
    }
    be->fd = nfq_fd(be->h);
    nfnl_rcvbufsiz(nfq_nfnlh(be->h), 4 << 20);
    be->raw = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    be->raw6 = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
    return c;
fail:
    nfqc_close(c);
    return NULL;
}
