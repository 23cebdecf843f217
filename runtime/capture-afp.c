/*
 * capture-afp.c - live capture from AF_PACKET TPACKET_V3 memory-mapped
 * rings. Packets are handed out where the kernel wrote them; a ring block
 * goes back to the kernel only when it has been walked and every packet of
 * it has been released. With rings > 1 the sockets join one
 * PACKET_FANOUT_HASH group (the kernel spreads flows over the rings); the
 * dispatcher still reads them all and dispatches each packet by spu's own
 * symmetric hash, so both directions of a flow meet on one worker whatever
 * the kernel's hash does. --bpf is compiled by libpcap and attached to each
 * socket. Kernel counters (PACKET_STATISTICS, which reset on read) are
 * accumulated for the stats event.
 */
#include "capture.h"

#include "decode.h"
#include "err.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_RINGS 64
#define BLOCK_SIZE (1u << 20)
#define BLOCK_NR 32u
#define FRAME_SIZE 2048u

struct ring {
    int fd;
    uint8_t *map;
    size_t map_len;
    unsigned cur;          /* block being walked */
    unsigned left;         /* packets left to walk in it */
    struct tpacket3_hdr *pkt;
    uint32_t refs[BLOCK_NR];
    uint8_t walked[BLOCK_NR];
};

struct afp {
    struct ring ring[MAX_RINGS];
    unsigned nrings, next_ring;
    uint64_t packets, bytes, kpackets, kdrops;
};

static struct tpacket_block_desc *block(struct ring *r, unsigned b)
{
    return (struct tpacket_block_desc *)(r->map + (size_t)b * BLOCK_SIZE);
}

static void give_back(struct ring *r, unsigned b)
{
    r->walked[b] = 0;
    __atomic_store_n(&block(r, b)->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}

static void *cookie_of(unsigned ring, unsigned b)
{
    return (void *)(uintptr_t)(((uintptr_t)ring << 16 | b) + 1);
}

static int afp_next(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                    struct spu_error *err)
{
    struct afp *a = c->priv;
    unsigned n = 0;
    *eof = false;
    (void)err;
    for (unsigned tries = 0; tries < a->nrings && n < max; tries++) {
        unsigned ri = (a->next_ring + tries) % a->nrings;
        struct ring *r = &a->ring[ri];
        while (n < max) {
            if (!r->left) {
                struct tpacket_block_desc *bd = block(r, r->cur);
                if (r->walked[r->cur] ||
                    !(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) &
                      TP_STATUS_USER))
                    break;
                r->left = bd->hdr.bh1.num_pkts;
                r->pkt = (struct tpacket3_hdr *)((uint8_t *)bd + bd->hdr.bh1.offset_to_first_pkt);
                if (!r->left) {
                    give_back(r, r->cur);
                    r->cur = (r->cur + 1) % BLOCK_NR;
                    continue;
                }
            }
            struct tpacket3_hdr *h = r->pkt;
            struct capture_pkt *p = &out[n++];
            p->data = (const uint8_t *)h + h->tp_mac;
            p->caplen = h->tp_snaplen;
            p->wirelen = h->tp_len;
            p->ts_ns = (int64_t)h->tp_sec * 1000000000 + h->tp_nsec;
            p->linktype = LINK_ETHERNET;
            p->source = (uint16_t)ri;
            /* the kernel takes the 802.1Q tag off the frame and reports it here */
            p->vlan = (h->tp_status & TP_STATUS_VLAN_VALID) ? (h->hv1.tp_vlan_tci & 0x0fff) : 0;
            p->cookie = cookie_of(ri, r->cur);
            r->refs[r->cur]++;
            a->packets++;
            a->bytes += h->tp_snaplen;
            r->pkt = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
            if (--r->left == 0) {
                r->walked[r->cur] = 1;
                r->cur = (r->cur + 1) % BLOCK_NR;
            }
        }
    }
    a->next_ring = (a->next_ring + 1) % a->nrings;
    if (n == 0 && !atomic_load_explicit(&c->brk, memory_order_relaxed)) {
        struct pollfd pfd[MAX_RINGS];
        for (unsigned i = 0; i < a->nrings; i++) {
            pfd[i].fd = a->ring[i].fd;
            pfd[i].events = POLLIN | POLLERR;
            pfd[i].revents = 0;
        }
        poll(pfd, a->nrings, 100);
    }
    if (atomic_load_explicit(&c->brk, memory_order_relaxed) && n == 0)
        *eof = true;
    return (int)n;
}

static void afp_release(struct capture *c, uint16_t source, void *cookie)
{
    struct afp *a = c->priv;
    uintptr_t v = (uintptr_t)cookie - 1;
    unsigned ri = (unsigned)(v >> 16), b = (unsigned)(v & 0xffff);
    if (ri >= a->nrings || b >= BLOCK_NR)
        return;
    struct ring *r = &a->ring[ri];
    if (r->refs[b] && --r->refs[b] == 0 && r->walked[b])
        give_back(r, b);
}

static void afp_stats(struct capture *c, struct capture_stats *s)
{
    struct afp *a = c->priv;
    for (unsigned i = 0; i < a->nrings; i++) {
        struct tpacket_stats_v3 st;
        socklen_t len = sizeof(st);
        if (getsockopt(a->ring[i].fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
            a->kpackets += st.tp_packets;
            a->kdrops += st.tp_drops;
        }
    }
    s->packets += a->packets;
    s->bytes += a->bytes;
    s->kernel_packets += a->kpackets;
    s->kernel_drops += a->kdrops;
}

static void afp_close(struct capture *c)
{
    struct afp *a = c->priv;
    for (unsigned i = 0; i < a->nrings; i++) {
        if (a->ring[i].map)
            munmap(a->ring[i].map, a->ring[i].map_len);
        if (a->ring[i].fd >= 0)
            close(a->ring[i].fd);
    }
    free(a);
    free(c);
}

static const struct capture_ops afp_ops = {"af-packet", afp_next, afp_release, afp_stats,
                                           afp_close};

static int ring_open(struct ring *r, int ifindex, int fanout_id, bool fanout,
                     const struct capture_bpf *bpf, struct spu_error *err, const char *iface)
{
    r->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (r->fd < 0)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "AF_PACKET socket: %s",
                            strerror(errno));
    int v = TPACKET_V3;
    if (setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof(v)) != 0)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "TPACKET_V3: %s", strerror(errno));
    if (bpf) {
        const struct bpf_program *prog = capture_bpf_program(bpf);
        struct sock_fprog fp = {(unsigned short)prog->bf_len,
                                (struct sock_filter *)prog->bf_insns};
        if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp)) != 0)
            return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "attach bpf: %s",
                                strerror(errno));
    }
    struct tpacket_req3 req;
    memset(&req, 0, sizeof(req));
    req.tp_block_size = BLOCK_SIZE;
    req.tp_block_nr = BLOCK_NR;
    req.tp_frame_size = FRAME_SIZE;
    req.tp_frame_nr = (BLOCK_SIZE / FRAME_SIZE) * BLOCK_NR;
    req.tp_retire_blk_tov = 10;
    if (setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) != 0)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "PACKET_RX_RING: %s",
                            strerror(errno));
    r->map_len = (size_t)BLOCK_SIZE * BLOCK_NR;
    void *m = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, r->fd, 0);
    if (m == MAP_FAILED)
        m = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (m == MAP_FAILED) {
        r->map = NULL;
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "mmap ring: %s", strerror(errno));
    }
    r->map = m;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof(sll));
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifindex;
    if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) != 0)
        return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "bind: %s", strerror(errno));
    struct packet_mreq mr;
    memset(&mr, 0, sizeof(mr));
    mr.mr_ifindex = ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    setsockopt(r->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr));
    if (fanout) {
        int fo = (fanout_id & 0xffff) | (PACKET_FANOUT_HASH << 16);
        if (setsockopt(r->fd, SOL_PACKET, PACKET_FANOUT, &fo, sizeof(fo)) != 0)
            return spu_error_at(err, SPU_EIO, iface, UINT64_MAX, "PACKET_FANOUT: %s",
                                strerror(errno));
    }
    return SPU_OK;
}

struct capture *capture_open_live(const char *iface, const struct capture_opts *o,
                                  struct spu_error *err)
{
    unsigned ifindex = if_nametoindex(iface);
    if (!ifindex) {
        spu_error_at(err, SPU_ENOTFOUND, iface, UINT64_MAX, "no such interface");
        return NULL;
    }
    struct capture *c = calloc(1, sizeof(*c));
    struct afp *a = calloc(1, sizeof(*a));
    if (!c || !a) {
        free(c);
        free(a);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    c->ops = &afp_ops;
    c->priv = a;
    c->live = true;
    snprintf(c->iface, sizeof(c->iface), "%s", iface);
    unsigned n = o && o->rings > 1 ? o->rings : 1;
    if (n > MAX_RINGS)
        n = MAX_RINGS;
    for (unsigned i = 0; i < n; i++)
        a->ring[i].fd = -1;
    a->nrings = n;
    struct capture_bpf *bpf = NULL;
    if (o && o->bpf) {
        bpf = capture_bpf_new(o->bpf, LINK_ETHERNET, err);
        if (!bpf) {
            afp_close(c);
            return NULL;
        }
    }
    int fanout_id = (int)(getpid() & 0xffff);
    for (unsigned i = 0; i < n; i++) {
        if (ring_open(&a->ring[i], (int)ifindex, fanout_id, n > 1, bpf, err, iface) < 0) {
            capture_bpf_free(bpf);
            afp_close(c);
            return NULL;
        }
    }
    capture_bpf_free(bpf);
    return c;
}
