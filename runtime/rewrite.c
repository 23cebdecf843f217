/* rewrite.c - sequence/acknowledgement offsets and packet edits of a
 * rewritten TCP flow (see rewrite.h). */
#include "rewrite.h"

#include "decode.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

/* Sequence comparisons modulo 2^32 (RFC 1982 style). */
#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)

struct rw_pending {
    uint32_t off, del, nins;
    uint8_t *ins;
};

struct rw_flow {
    struct rw_dir d[2];
    struct rw_pending p[RW_MAX_PENDING];
    unsigned np;
    int pdir;       /* direction of the pending splices */
    unsigned refused; /* pending edits that cannot be applied */
};

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

struct rw_flow *rw_flow_new(void)
{
    struct rw_flow *rf = calloc(1, sizeof(*rf));
    if (rf)
        rf->pdir = -1;
    return rf;
}

static void clear_pending(struct rw_flow *rf)
{
    for (unsigned i = 0; i < rf->np; i++)
        free(rf->p[i].ins);
    rf->np = 0;
    rf->pdir = -1;
    rf->refused = 0;
}

void rw_flow_free(struct rw_flow *rf)
{
    if (!rf)
        return;
    clear_pending(rf);
    for (int k = 0; k < 2; k++)
        for (unsigned i = 0; i < rf->d[k].n; i++)
            free(rf->d[k].e[i].ins);
    free(rf);
}

struct rw_dir *rw_flow_dir(struct rw_flow *rf, int dir)
{
    return &rf->d[dir ? 1 : 0];
}

void rw_flow_refuse(struct rw_flow *rf, int dir)
{
    rf->pdir = dir;
    rf->refused += 1 + rf->np;
    for (unsigned i = 0; i < rf->np; i++)
        free(rf->p[i].ins);
    rf->np = 0;
}

bool rw_flow_splice_free(const struct rw_flow *rf, uint32_t off, uint32_t del)
{
    for (unsigned i = 0; i < rf->np; i++) {
        const struct rw_pending *p = &rf->p[i];
        if (p->off == off || (p->off < off && (uint64_t)p->off + p->del > off) ||
            (off < p->off && (uint64_t)off + del > p->off))
            return false;
    }
    return true;
}

void rw_flow_drop_pending(struct rw_flow *rf, struct rw_counts *n)
{
    n->refused += rf->refused + rf->np;
    clear_pending(rf);
}

bool rw_flow_pending(const struct rw_flow *rf)
{
    return rf->np || rf->refused;
}

int rw_flow_splice(struct rw_flow *rf, int dir, uint32_t off, uint32_t del, const uint8_t *ins,
                   uint32_t nins)
{
    if (rf->refused || (rf->pdir >= 0 && rf->pdir != dir)) {
        rw_flow_refuse(rf, dir);
        return SPU_ESTATE;
    }
    if (rf->np == RW_MAX_PENDING || nins > RW_MAX_INSERT || (del == 0 && nins == 0)) {
        rw_flow_refuse(rf, dir);
        return SPU_ELIMIT;
    }
    /* sorted by offset; overlapping splices (or two at one point) refused */
    unsigned at = 0;
    while (at < rf->np && rf->p[at].off < off)
        at++;
    if ((at > 0 && (uint64_t)rf->p[at - 1].off + rf->p[at - 1].del > off) ||
        (at > 0 && rf->p[at - 1].off == off) ||
        (at < rf->np && ((uint64_t)off + del > rf->p[at].off || rf->p[at].off == off))) {
        rw_flow_refuse(rf, dir);
        return SPU_EINVAL;
    }
    uint8_t *copy = NULL;
    if (nins) {
        copy = malloc(nins);
        if (!copy) {
            rw_flow_refuse(rf, dir);
            return SPU_ENOMEM;
        }
        memcpy(copy, ins, nins);
    }
    memmove(&rf->p[at + 1], &rf->p[at], (rf->np - at) * sizeof(rf->p[0]));
    rf->p[at] = (struct rw_pending){off, del, nins, copy};
    rf->np++;
    rf->pdir = dir;
    return SPU_OK;
}

uint32_t rw_map_seq(const struct rw_dir *d, uint32_t seq)
{
    int64_t delta = d->base;
    for (unsigned i = 0; i < d->n; i++) {
        const struct rw_edit *e = &d->e[i];
        if (SEQ_LEQ(e->pos + e->del, seq))
            delta += (int64_t)e->nins - e->del;
        else if (SEQ_LT(e->pos, seq))
            return (uint32_t)(e->pos + (uint32_t)delta); /* inside a deletion */
        else
            break;
    }
    return seq + (uint32_t)delta;
}

uint32_t rw_unmap_seq(const struct rw_dir *d, uint32_t ack)
{
    int64_t cum = d->base;
    for (unsigned i = 0; i < d->n; i++) {
        const struct rw_edit *e = &d->e[i];
        uint32_t npos = e->pos + (uint32_t)cum;
        if (SEQ_LEQ(ack, npos))
            break;
        if (SEQ_LT(ack, npos + e->nins))
            return e->pos; /* part of the insertion: everything before it */
        cum += (int64_t)e->nins - e->del;
    }
    return ack - (uint32_t)cum;
}

void rw_dir_acked(struct rw_dir *d, uint32_t ack)
{
    unsigned k = 0;
    while (k < d->n) {
        struct rw_edit *e = &d->e[k];
        /* the edit's end in the edited space */
        uint32_t nend = e->pos + (uint32_t)d->base + e->nins;
        if (!SEQ_LEQ(nend, ack))
            break;
        d->base += (int64_t)e->nins - e->del;
        d->acked = e->pos + e->del;
        d->has_acked = true;
        free(e->ins);
        k++;
    }
    if (k) {
        memmove(&d->e[0], &d->e[k], (d->n - k) * sizeof(d->e[0]));
        d->n -= k;
    }
}

void rw_checksums(uint8_t *ip, uint32_t iplen)
{
    uint32_t hlen, tcplen, sum;
    if ((ip[0] >> 4) == 4) {
        hlen = (ip[0] & 15u) * 4;
        ip[10] = ip[11] = 0;
        put16(ip + 10, decode_csum_fold(decode_csum_add(0, ip, hlen)));
        tcplen = iplen - hlen;
        sum = decode_csum_add(0, ip + 12, 8);
        sum += 6 + tcplen;
    } else {
        hlen = 40;
        tcplen = iplen - 40;
        sum = decode_csum_add(0, ip + 8, 32);
        sum += 6 + tcplen;
    }
    uint8_t *t = ip + hlen;
    t[16] = t[17] = 0;
    put16(t + 16, decode_csum_fold(decode_csum_add(sum, t, tcplen)));
}

/* Move the pending splices of the packet at sequence `seq` with `plen`
 * payload bytes into `d`, if they all fit; else count them refused. */
static void commit_pending(struct rw_flow *rf, struct rw_dir *d, int dir, uint32_t seq,
                           uint32_t plen, uint32_t room, struct rw_counts *n)
{
    if (!rf->np && !rf->refused)
        return;
    bool ok = !rf->refused && rf->pdir == dir && d->n + rf->np <= RW_MAX_EDITS;
    int64_t grow = 0;
    for (unsigned i = 0; ok && i < rf->np; i++) {
        const struct rw_pending *p = &rf->p[i];
        if ((uint64_t)p->off + p->del > plen || (p->del == 0 && p->off == 0))
            ok = false;
        grow += (int64_t)p->nins - p->del;
        /* a kept edit at the same point or overlapping (a retransmission
         * that also carries new bytes): the new one cannot be placed */
        uint32_t pos = seq + p->off;
        for (unsigned k = 0; ok && k < d->n; k++) {
            const struct rw_edit *e = &d->e[k];
            if (e->pos == pos || (SEQ_LT(e->pos, pos) && SEQ_LT(pos, e->pos + e->del)) ||
                (SEQ_LT(pos, e->pos) && SEQ_LT(e->pos, pos + p->del)))
                ok = false;
        }
    }
    if (ok && grow > 0 && (uint64_t)grow > room)
        ok = false;
    if (!ok) {
        n->refused += rf->refused + rf->np;
        clear_pending(rf);
        return;
    }
    for (unsigned i = 0; i < rf->np; i++) {
        const struct rw_pending *p = &rf->p[i];
        uint32_t pos = seq + p->off;
        unsigned at = 0;
        while (at < d->n && SEQ_LT(d->e[at].pos, pos))
            at++;
        memmove(&d->e[at + 1], &d->e[at], (d->n - at) * sizeof(d->e[0]));
        d->e[at] = (struct rw_edit){pos, p->del, p->nins, p->ins};
        d->n++;
        rf->p[i].ins = NULL;
        n->applied++;
    }
    rf->np = 0;
    rf->pdir = -1;
}

/* Which kept edits fall in [seq, seq + plen): first index and count;
 * false when one is cut by the segment's bounds. */
static bool edits_in(const struct rw_dir *d, uint32_t seq, uint32_t plen, unsigned *first,
                     unsigned *count)
{
    uint32_t end = seq + plen;
    *first = 0;
    *count = 0;
    for (unsigned i = 0; i < d->n; i++) {
        const struct rw_edit *e = &d->e[i];
        uint32_t eend = e->pos + e->del;
        if (plen == 0)
            break;
        if (e->del == 0) {
            /* a pure insertion belongs to the segment that ends at it */
            if (SEQ_LEQ(e->pos, seq))
                continue;
            if (SEQ_LT(end, e->pos))
                break;
        } else {
            if (SEQ_LEQ(eend, seq))
                continue;
            if (SEQ_LEQ(end, e->pos))
                break;
            if (SEQ_LT(e->pos, seq) || SEQ_LT(end, eend))
                return false; /* cut */
        }
        if (*count == 0)
            *first = i;
        (*count)++;
    }
    return true;
}

/* Rewrite the SACK blocks of the options [o, o + olen) into edited->
 * original space of `other`. Returns true when one changed. */
static bool fix_sack(uint8_t *o, uint32_t olen, const struct rw_dir *other)
{
    bool changed = false;
    uint32_t i = 0;
    while (i < olen) {
        uint8_t kind = o[i];
        if (kind == 0)
            break;
        if (kind == 1) {
            i++;
            continue;
        }
        if (i + 1 >= olen || o[i + 1] < 2 || i + o[i + 1] > olen)
            break;
        uint32_t len = o[i + 1];
        if (kind == 5)
            for (uint32_t b = i + 2; b + 8 <= i + len; b += 8)
                for (int k = 0; k < 2; k++) {
                    uint32_t v = get32(o + b + 4u * (unsigned)k);
                    uint32_t m = rw_unmap_seq(other, v);
                    if (m != v) {
                        put32(o + b + 4u * (unsigned)k, m);
                        changed = true;
                    }
                }
        i += len;
    }
    return changed;
}

enum rw_result rw_packet(struct rw_flow *rf, int dir, const uint8_t *pkt, uint32_t len,
                         uint32_t l3, uint8_t **out, uint32_t *outlen, struct rw_counts *n)
{
    *out = NULL;
    *outlen = 0;
    dir = dir ? 1 : 0;
    struct rw_dir *me = &rf->d[dir], *other = &rf->d[!dir];
    if (l3 + 20 > len) {
        n->refused += rf->refused + rf->np;
        clear_pending(rf);
        return RW_PASS;
    }
    const uint8_t *ip = pkt + l3;
    uint32_t iplen, hlen;
    if ((ip[0] >> 4) == 4) {
        hlen = (ip[0] & 15u) * 4;
        iplen = get16(ip + 2);
    } else {
        if (l3 + 40 > len)
            return RW_PASS;
        /* only a TCP header right after the fixed header is edited */
        hlen = 40;
        iplen = 40 + get16(ip + 4);
        if (ip[6] != 6)
            iplen = 0;
    }
    if (iplen < hlen + 20 || l3 + iplen > len || (ip[0] >> 4 == 4 && ip[9] != 6)) {
        n->refused += rf->refused + rf->np;
        clear_pending(rf);
        return RW_PASS;
    }
    const uint8_t *tcp = ip + hlen;
    uint32_t thl = (uint32_t)(tcp[12] >> 4) * 4;
    if (thl < 20 || hlen + thl > iplen) {
        n->refused += rf->refused + rf->np;
        clear_pending(rf);
        return RW_PASS;
    }
    uint32_t plen = iplen - hlen - thl;
    uint32_t seq = get32(tcp + 4), ack = get32(tcp + 8);
    bool has_ack = (tcp[13] & 0x10) != 0;
    uint32_t room = iplen < RW_MAX_IP_LEN ? RW_MAX_IP_LEN - iplen : 0;
    commit_pending(rf, me, dir, seq, plen, room, n);

    if (plen && me->has_acked && SEQ_LT(seq, me->acked)) {
        n->dropped++; /* data before acknowledged edits: already delivered */
        return RW_DROP;
    }
    unsigned first, count;
    if (!edits_in(me, seq, plen, &first, &count)) {
        n->dropped++;
        return RW_DROP;
    }
    int64_t grow = 0;
    for (unsigned i = first; i < first + count; i++)
        grow += (int64_t)me->e[i].nins - me->e[i].del;
    uint32_t nseq = rw_map_seq(me, seq);
    uint32_t nack = has_ack ? rw_unmap_seq(other, ack) : ack;
    uint32_t niplen = (uint32_t)((int64_t)iplen + grow);
    if (niplen > 65535) {
        n->dropped++;
        return RW_DROP;
    }
    uint32_t head = l3 + hlen + thl;
    uint8_t *o = malloc((size_t)l3 + niplen);
    if (!o)
        return RW_DROP;
    memcpy(o, pkt, head);
    uint8_t *w = o + head;
    const uint8_t *src = pkt + head;
    uint32_t at = 0;
    for (unsigned i = first; i < first + count; i++) {
        const struct rw_edit *e = &me->e[i];
        uint32_t off = e->pos - seq;
        memcpy(w, src + at, off - at);
        w += off - at;
        if (e->nins)
            memcpy(w, e->ins, e->nins);
        w += e->nins;
        at = off + e->del;
    }
    memcpy(w, src + at, plen - at);
    uint8_t *oip = o + l3, *otcp = oip + hlen;
    bool sack = fix_sack(otcp + 20, thl - 20, other);
    if (count == 0 && nseq == seq && nack == ack && !sack) {
        free(o);
        if (has_ack)
            rw_dir_acked(other, ack);
        return RW_PASS;
    }
    put32(otcp + 4, nseq);
    put32(otcp + 8, nack);
    if ((oip[0] >> 4) == 4)
        put16(oip + 2, niplen);
    else
        put16(oip + 4, niplen - 40);
    rw_checksums(oip, niplen);
    if (has_ack)
        rw_dir_acked(other, ack);
    if (count)
        n->edited++;
    else
        n->adjusted++;
    *out = o;
    *outlen = l3 + niplen;
    return RW_EDITED;
}
