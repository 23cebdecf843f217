/*
 * capture-bridge.c - inline bridge between two interfaces
 * (--inline bridge:IF1,IF2).
 *
 * A raw AF_PACKET socket on each interface (promiscuous, our own
 * transmissions ignored). Each frame read is copied into a slot (its
 * cookie) and handed to the dispatcher as Ethernet from source 0 (IF1) or
 * 1 (IF2), so both directions go through the same flow-hash dispatch. When
 * the worker returns it, an accepted frame is sent out of the other
 * interface; a dropped one is not; a rejected one is not either, and the
 * resets / ICMP unreachable of inline-reject.h go out in Ethernet frames:
 * to the receiver through the other interface with the frame's addresses,
 * to the sender back through the interface it came from, addresses
 * swapped. Frames the kernel reports with a stripped VLAN tag are
 * forwarded untagged (docs/inline.md: limits).
 */
#include "capture.h"
#include "decode.h"
#include "err.h"
#include "inline-reject.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { BR_SLOTS = 4096, BR_FRAME_MAX = 65536 };

struct br_slot {
    uint8_t *buf;
    uint32_t cap, len;
    uint8_t side;
    int64_t ts_ns;
};

struct bridge {
    int fd[2];
    unsigned ifindex[2];
    bool fail_open;
    struct br_slot slots[BR_SLOTS];
    struct br_slot *freel[BR_SLOTS];
    unsigned nfree;
    unsigned inflight;
    unsigned next_side;
    uint8_t rbuf[BR_FRAME_MAX];
    struct capture_inline_counts n;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void br_send(struct bridge *b, unsigned side, const uint8_t *frame, size_t len)
{
    if (send(b->fd[side], frame, len, 0) < 0)
        b->n.lost++;
}

/* Read up to `max` frames from one side into slots. */
static unsigned br_read(struct capture *c, struct bridge *b, unsigned side,
                        struct capture_pkt *out, unsigned max)
{
    unsigned n = 0;
    while (n < max) {
        ssize_t r = recv(b->fd[side], b->rbuf, sizeof(b->rbuf), MSG_DONTWAIT | MSG_TRUNC);
        if (r < 0)
            break;
        b->n.received++;
        if ((size_t)r > sizeof(b->rbuf)) {
            b->n.lost++; /* larger than any frame we can forward */
            continue;
        }
        if (!b->nfree) {
            /* only with --fail-open (otherwise next() does not read) */
            b->n.fail_open++;
            b->n.accepted++;
            br_send(b, !side, b->rbuf, (size_t)r);
            continue;
        }
        struct br_slot *s = b->freel[--b->nfree];
        if (s->cap < (uint32_t)r) {
            uint32_t cap = (uint32_t)r < 2048 ? 2048 : (uint32_t)r;
            uint8_t *nb = realloc(s->buf, cap);
            if (!nb) {
                b->freel[b->nfree++] = s;
                b->n.fail_open++;
                br_send(b, !side, b->rbuf, (size_t)r);
                continue;
            }
            s->buf = nb;
            s->cap = cap;
        }
        memcpy(s->buf, b->rbuf, (size_t)r);
        s->len = (uint32_t)r;
        s->side = (uint8_t)side;
        s->ts_ns = now_ns();
        struct capture_pkt *p = &out[n++];
        memset(p, 0, sizeof(*p));
        p->data = s->buf;
        p->caplen = p->wirelen = s->len;
        p->ts_ns = s->ts_ns;
        p->linktype = LINK_ETHERNET;
        p->source = (uint16_t)side;
        p->cookie = s;
        b->inflight++;
        if (!b->nfree && !b->fail_open)
            break;
    }
    (void)c;
    return n;
}

static int br_next(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                   struct spu_error *err)
{
    struct bridge *b = c->priv;
    unsigned n = 0;
    if (b->nfree || b->fail_open) {
        /* alternate which side goes first so neither starves the other */
        unsigned first = b->next_side;
        b->next_side ^= 1;
        n = br_read(c, b, first, out, max);
        n += br_read(c, b, !first, out + n, max - n);
    }
    if (n == 0 && !atomic_load_explicit(&c->brk, memory_order_relaxed)) {
        struct pollfd pfd[2] = {{b->fd[0], POLLIN, 0}, {b->fd[1], POLLIN, 0}};
        /* 20 us while frames wait for their verdicts, 100 ms idle */
        struct timespec wait = {0, b->inflight ? 20000 : 100000000};
        if (b->nfree || b->fail_open)
            ppoll(pfd, 2, &wait, NULL);
        else
            poll(NULL, 0, 1);
    }
    if (n == 0 && atomic_load_explicit(&c->brk, memory_order_relaxed))
        *eof = true;
    return (int)n;
}

/* Resets for a rejected frame, each in an Ethernet frame. */
static void br_reject(struct bridge *b, const struct br_slot *s, unsigned verdict,
                      const char *location)
{
    struct inline_reject_pkts rp;
    const uint8_t *f = s->buf;
    bool v6 = s->len >= 14 && f[12] == 0x86 && f[13] == 0xdd;
    if (s->len < 14 || (!v6 && (f[12] != 0x08 || f[13] != 0x00)) ||
        !inline_reply_build(verdict, f + 14, s->len - 14, location, &rp)) {
        b->n.reject_unsent++;
        return;
    }
    /* source and destination address offsets and length in the IP header */
    size_t so = v6 ? 8 : 12, dof = v6 ? 24 : 16, al = v6 ? 16 : 4;
    for (unsigned i = 0; i < rp.n; i++) {
        uint8_t fr[14 + INLINE_REJECT_BUF];
        /* a packet whose source is the frame's destination goes back to the sender */
        bool back = !memcmp(rp.buf[i] + so, f + 14 + dof, al);
        memcpy(fr, back ? f + 6 : f, 6);
        memcpy(fr + 6, back ? f : f + 6, 6);
        fr[12] = f[12];
        fr[13] = f[13];
        memcpy(fr + 14, rp.buf[i], rp.len[i]);
        if (send(b->fd[back ? s->side : !s->side], fr, 14u + rp.len[i], 0) < 0)
            b->n.reject_unsent++;
        else
            b->n.reject_sent++;
    }
}

static void br_verdict(struct capture *c, uint16_t source, void *cookie, unsigned verdict,
                       const char *location)
{
    struct bridge *b = c->priv;
    struct br_slot *s = cookie;
    if (!s)
        return;
    b->inflight--;
    if (verdict != CAPTURE_VERDICT_ACCEPT) {
        if (verdict == CAPTURE_VERDICT_REJECT) {
            b->n.rejected++;
            br_reject(b, s, verdict, NULL);
        } else if (verdict != CAPTURE_VERDICT_DROP) {
            b->n.redirected++;
            br_reject(b, s, verdict, location);
        }
        b->n.dropped++;
    } else {
        b->n.accepted++;
        br_send(b, !s->side, s->buf, s->len);
    }
    b->freel[b->nfree++] = s;
}

static void br_accept_edited(struct capture *c, uint16_t source, void *cookie,
                             const uint8_t *data, uint32_t len)
{
    struct bridge *b = c->priv;
    struct br_slot *s = cookie;
    if (!s)
        return;
    b->inflight--;
    b->n.accepted++;
    b->n.edited++;
    br_send(b, !s->side, data, len);
    b->freel[b->nfree++] = s;
}

static void br_release(struct capture *c, uint16_t source, void *cookie)
{
    br_verdict(c, source, cookie, CAPTURE_VERDICT_ACCEPT, NULL);
}

static void br_stats(struct capture *c, struct capture_stats *s)
{
    struct bridge *b = c->priv;
    s->packets = b->n.received - b->n.fail_open;
    s->kernel_packets = b->n.received;
    s->kernel_drops = b->n.lost;
}

static void br_close(struct capture *c)
{
    struct bridge *b = c->priv;
    for (unsigned i = 0; i < 2; i++)
        if (b->fd[i] >= 0)
            close(b->fd[i]);
    for (unsigned i = 0; i < BR_SLOTS; i++)
        free(b->slots[i].buf);
    free(b);
    free(c);
}

static void br_counts(struct capture *c, struct capture_inline_counts *n)
{
    *n = ((struct bridge *)c->priv)->n;
}

static const struct capture_ops br_ops = {"bridge", br_next, br_release, br_stats, br_close};
static const struct capture_inline_ops br_inline_ops = {br_verdict, br_counts,
                                                        br_accept_edited, NULL};

static int br_open_side(struct bridge *b, unsigned side, const char *iface,
                        struct spu_error *err)
{
    unsigned ifindex = if_nametoindex(iface);
    if (!ifindex)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "bridge: no such interface");
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "AF_PACKET socket: %s",
                            strerror(errno));
    b->fd[side] = fd;
    b->ifindex[side] = ifindex;
    int one = 1;
    /* frames we send out of this interface must not come back to us */
    if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) != 0)
        return spu_error_at(err, SPU_EUNSUPPORTED, iface, UINT64_MAX,
                            "PACKET_IGNORE_OUTGOING: %s", strerror(errno));
    int sz = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
    struct sockaddr_ll sll = {.sll_family = AF_PACKET,
                              .sll_protocol = htons(ETH_P_ALL),
                              .sll_ifindex = (int)ifindex};
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "bind: %s", strerror(errno));
    struct packet_mreq mr = {.mr_ifindex = (int)ifindex, .mr_type = PACKET_MR_PROMISC};
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) != 0)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "promiscuous mode: %s",
                            strerror(errno));
    /* drain what arrived between socket() and bind() (any interface) */
    while (recv(fd, b->rbuf, sizeof(b->rbuf), MSG_DONTWAIT) >= 0)
        ;
    return 0;
}

struct capture *capture_open_bridge(const char *ifaces, bool fail_open, struct spu_error *err)
{
    const char *comma = strchr(ifaces, ',');
    size_t l1 = comma ? (size_t)(comma - ifaces) : 0;
    if (!comma || !l1 || l1 >= IF_NAMESIZE || !comma[1] || strlen(comma + 1) >= IF_NAMESIZE ||
        strchr(comma + 1, ',')) {
        spu_error_set(err, SPU_EINVAL, "--inline bridge:%s: expected two interfaces IF1,IF2",
                      ifaces);
        return NULL;
    }
    char if1[IF_NAMESIZE];
    memcpy(if1, ifaces, l1);
    if1[l1] = 0;
    if (!strcmp(if1, comma + 1)) {
        spu_error_set(err, SPU_EINVAL, "--inline bridge: the two interfaces must differ");
        return NULL;
    }
    struct capture *c = calloc(1, sizeof(*c));
    struct bridge *b = calloc(1, sizeof(*b));
    if (!c || !b) {
        free(c);
        free(b);
        spu_error_set(err, SPU_ENOMEM, "bridge: out of memory");
        return NULL;
    }
    c->ops = &br_ops;
    c->inl = &br_inline_ops;
    c->priv = b;
    c->live = true;
    snprintf(c->iface, sizeof(c->iface), "%s", if1);
    b->fd[0] = b->fd[1] = -1;
    b->fail_open = fail_open;
    for (unsigned i = 0; i < BR_SLOTS; i++)
        b->freel[b->nfree++] = &b->slots[i];
    if (br_open_side(b, 0, if1, err) < 0 || br_open_side(b, 1, comma + 1, err) < 0) {
        br_close(c);
        return NULL;
    }
    return c;
}
