/* helper-tcpstreams.c - TCP streams of a capture file for the tests (see
 * helper-tcpstreams.h). */
#include "helper-tcpstreams.h"

#include "decode.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct seg {
    uint32_t seq;
    uint8_t *data;
    size_t len;
};

struct side {
    int started;
    uint32_t next; /* next expected sequence number */
    struct seg *ooo;
    size_t nooo;
};

struct track {
    uint8_t a[16], b[16]; /* a: the client */
    uint16_t ap, bp;
    int v;
    struct side side[2];
    struct ts_conn c;
};

static void add_step(struct ts_conn *c, unsigned dir, const uint8_t *p, size_t n, uint64_t pkt)
{
    if (n == 0)
        return;
    c->steps = realloc(c->steps, (c->nsteps + 1) * sizeof(*c->steps));
    struct ts_step *s = &c->steps[c->nsteps++];
    s->dir = dir;
    s->data = malloc(n);
    memcpy(s->data, p, n);
    s->len = n;
    s->pkt = pkt;
    c->bytes[dir] += n;
}

/* In-order delivery of [seq, seq+n): the part past `next` goes out, then
 * held segments that now fit. Sequence arithmetic is modulo 2^32. */
static void deliver(struct ts_conn *c, struct side *s, unsigned dir, uint32_t seq,
                    const uint8_t *p, size_t n, uint64_t pkt)
{
    int32_t off = (int32_t)(s->next - seq);
    if (off < 0) { /* early: hold a copy */
        s->ooo = realloc(s->ooo, (s->nooo + 1) * sizeof(*s->ooo));
        s->ooo[s->nooo].seq = seq;
        s->ooo[s->nooo].data = malloc(n);
        memcpy(s->ooo[s->nooo].data, p, n);
        s->ooo[s->nooo].len = n;
        s->nooo++;
        return;
    }
    if ((size_t)off >= n)
        return; /* all seen before */
    /* one step for this packet's new bytes and whatever they release */
    uint8_t *buf = malloc(n - (size_t)off);
    size_t len = n - (size_t)off;
    memcpy(buf, p + off, len);
    s->next += (uint32_t)len;
    int moved = 1;
    while (moved) {
        moved = 0;
        for (size_t i = 0; i < s->nooo; i++) {
            struct seg *g = &s->ooo[i];
            int32_t o = (int32_t)(s->next - g->seq);
            if (o < 0)
                continue;
            if ((size_t)o < g->len) {
                buf = realloc(buf, len + g->len - (size_t)o);
                memcpy(buf + len, g->data + o, g->len - (size_t)o);
                len += g->len - (size_t)o;
                s->next += (uint32_t)(g->len - (size_t)o);
            }
            free(g->data);
            s->ooo[i] = s->ooo[--s->nooo];
            moved = 1;
            break;
        }
    }
    add_step(c, dir, buf, len, pkt);
    free(buf);
}

static struct track *find(struct track **t, int *nt, const struct decoded *d, unsigned *dir,
                          int create, uint16_t port)
{
    size_t al = d->ipver == 4 ? 4 : 16;
    for (int i = *nt - 1; i >= 0; i--) {
        struct track *k = &(*t)[i];
        if (k->v != d->ipver)
            continue;
        if (!memcmp(k->a, d->src, al) && !memcmp(k->b, d->dst, al) && k->ap == d->sport &&
            k->bp == d->dport) {
            *dir = 0;
            return k;
        }
        if (!memcmp(k->b, d->src, al) && !memcmp(k->a, d->dst, al) && k->bp == d->sport &&
            k->ap == d->dport) {
            *dir = 1;
            return k;
        }
    }
    if (!create)
        return NULL;
    /* client: the SYN's sender (SYN without ACK), else the higher port */
    int src_is_client;
    if ((d->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN)
        src_is_client = 1;
    else if ((d->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
        src_is_client = 0;
    else if (port)
        src_is_client = d->dport == port;
    else
        src_is_client = d->sport > d->dport;
    uint16_t sp = src_is_client ? d->dport : d->sport;
    if (port && sp != port)
        return NULL;
    *t = realloc(*t, (size_t)(*nt + 1) * sizeof(**t));
    struct track *k = &(*t)[(*nt)++];
    memset(k, 0, sizeof(*k));
    k->v = d->ipver;
    memcpy(src_is_client ? k->a : k->b, d->src, al);
    memcpy(src_is_client ? k->b : k->a, d->dst, al);
    k->ap = src_is_client ? d->sport : d->dport;
    k->bp = src_is_client ? d->dport : d->sport;
    k->c.cport = k->ap;
    k->c.sport = k->bp;
    *dir = src_is_client ? 0 : 1;
    return k;
}

int ts_load(const char *path, uint16_t port, struct ts_conn **out, char *err, size_t errlen)
{
    char perr[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, perr);
    if (!pc) {
        snprintf(err, errlen, "%s", perr);
        return -1;
    }
    int link = pcap_datalink(pc);
    struct track *t = NULL;
    int nt = 0;
    struct pcap_pkthdr *h;
    const u_char *p;
    uint64_t pkt = 0;
    while (pcap_next_ex(pc, &h, &p) == 1) {
        pkt++;
        struct decoded d;
        if (!decode_packet(&d, link, p, h->caplen, 0, NULL, 0, NULL) || !d.l4ok ||
            d.proto != 6 || d.frag)
            continue;
        unsigned dir;
        struct track *k = find(&t, &nt, &d, &dir, 1, port);
        if (!k)
            continue;
        struct side *s = &k->side[dir];
        uint32_t seq = d.seq;
        if (d.tcp_flags & TH_SYN) {
            s->started = 1;
            s->next = seq + 1;
            continue;
        }
        if (!s->started && d.payload_len) { /* picked up midstream */
            s->started = 1;
            s->next = seq;
        }
        if (d.payload_len)
            deliver(&k->c, s, dir, seq, d.payload, d.payload_len, pkt);
        if (d.tcp_flags & (TH_FIN | TH_RST))
            k->c.fin[dir] = 1;
    }
    pcap_close(pc);
    struct ts_conn *c = calloc((size_t)nt + 1, sizeof(*c));
    for (int i = 0; i < nt; i++) {
        c[i] = t[i].c;
        for (int dd = 0; dd < 2; dd++) {
            for (size_t j = 0; j < t[i].side[dd].nooo; j++) {
                c[i].held[dd] += t[i].side[dd].ooo[j].len;
                free(t[i].side[dd].ooo[j].data);
            }
            free(t[i].side[dd].ooo);
        }
    }
    free(t);
    *out = c;
    return nt;
}

void ts_free(struct ts_conn *c, int n)
{
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < c[i].nsteps; j++)
            free(c[i].steps[j].data);
        free(c[i].steps);
    }
    free(c);
}
