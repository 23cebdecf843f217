/* defrag.c - IPv4/IPv6 reassembly, first-wins overlaps (see defrag.h). */
#include "defrag.h"

#include "decode.h"
#include "flowkey.h"
#include "stats.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DATAGRAM 65535u
#define NBUCKETS 1024u

struct frag {
    struct frag *next; /* sorted by offset */
    uint32_t off;
    uint32_t len;
    uint8_t data[];
};

struct tracker {
    struct tracker *hnext;            /* bucket chain */
    struct tracker *lprev, *lnext;    /* age list, oldest first */
    uint8_t ipver, proto;
    uint16_t vlan[2];
    uint32_t id;
    uint8_t src[16], dst[16];
    int64_t seen_ns;
    uint32_t total;                   /* payload length once the last fragment came; 0 before */
    uint8_t *hdr;                     /* first fragment's header (IPv6: unfragmentable part) */
    uint16_t hdr_len;
    uint16_t nh_off;                  /* IPv6: next-header byte to patch in hdr */
    uint8_t inner_proto;              /* IPv6: protocol after the fragment header */
    uint8_t overlap;
    size_t bytes;
    struct frag *frags;
};

struct defrag {
    struct tracker *bucket[NBUCKETS];
    struct tracker *oldest, *newest;
    size_t memuse, memcap, ntrackers;
    int64_t timeout_ns;
};

struct defrag *defrag_new(size_t memcap, int64_t timeout_ns)
{
    struct defrag *df = calloc(1, sizeof(*df));
    if (!df)
        return NULL;
    df->memcap = memcap ? memcap : (size_t)16 << 20;
    df->timeout_ns = timeout_ns ? timeout_ns : (int64_t)60 * 1000000000;
    return df;
}

static unsigned bucket_of(uint8_t ipver, const uint8_t *src, const uint8_t *dst, uint32_t id)
{
    uint64_t h = id ^ ((uint64_t)ipver << 40);
    for (unsigned i = 0; i < 16; i += 8) {
        uint64_t a, b;
        memcpy(&a, src + i, 8);
        memcpy(&b, dst + i, 8);
        h = flowkey_mix64(h ^ a ^ (b << 1));
    }
    return (unsigned)(h & (NBUCKETS - 1));
}

static void tracker_unlink(struct defrag *df, struct tracker *t)
{
    unsigned b = bucket_of(t->ipver, t->src, t->dst, t->id);
    struct tracker **pp = &df->bucket[b];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = t->hnext;
    if (t->lprev)
        t->lprev->lnext = t->lnext;
    else
        df->oldest = t->lnext;
    if (t->lnext)
        t->lnext->lprev = t->lprev;
    else
        df->newest = t->lprev;
}

static void tracker_free(struct defrag *df, struct tracker *t)
{
    tracker_unlink(df, t);
    for (struct frag *f = t->frags, *n; f; f = n) {
        n = f->next;
        free(f);
    }
    df->memuse -= t->bytes + sizeof(*t) + t->hdr_len;
    df->ntrackers--;
    free(t->hdr);
    free(t);
}

void defrag_free(struct defrag *df)
{
    if (!df)
        return;
    while (df->oldest)
        tracker_free(df, df->oldest);
    free(df);
}

static void touch(struct defrag *df, struct tracker *t)
{
    if (df->newest == t)
        return;
    if (t->lprev)
        t->lprev->lnext = t->lnext;
    else
        df->oldest = t->lnext;
    if (t->lnext)
        t->lnext->lprev = t->lprev;
    t->lprev = df->newest;
    t->lnext = NULL;
    if (df->newest)
        df->newest->lnext = t;
    df->newest = t;
    if (!df->oldest)
        df->oldest = t;
}

unsigned defrag_expire(struct defrag *df, int64_t now_ns, struct stats_block *st)
{
    unsigned n = 0;
    while (df->oldest && df->oldest->seen_ns + df->timeout_ns < now_ns) {
        if (st)
            stats_inc(st, df->oldest->ipver == 4 ? CNT_DEFRAG_V4_TIMEOUTS
                                                 : CNT_DEFRAG_V6_TIMEOUTS);
        tracker_free(df, df->oldest);
        n++;
    }
    return n;
}

size_t defrag_memuse(const struct defrag *df)
{
    return df->memuse;
}

size_t defrag_trackers(const struct defrag *df)
{
    return df->ntrackers;
}

static struct tracker *find(struct defrag *df, const struct decoded *d, bool create)
{
    unsigned b = bucket_of(d->ipver, d->src, d->dst, d->frag_id);
    uint16_t v0 = d->nvlan > 0 ? d->vlan[0] : 0, v1 = d->nvlan > 1 ? d->vlan[1] : 0;
    for (struct tracker *t = df->bucket[b]; t; t = t->hnext) {
        if (t->id == d->frag_id && t->ipver == d->ipver && t->vlan[0] == v0 &&
            t->vlan[1] == v1 && (d->ipver == 6 || t->proto == d->proto) &&
            memcmp(t->src, d->src, 16) == 0 && memcmp(t->dst, d->dst, 16) == 0)
            return t;
    }
    if (!create)
        return NULL;
    struct tracker *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ipver = d->ipver;
    t->proto = d->proto;
    t->id = d->frag_id;
    t->vlan[0] = v0;
    t->vlan[1] = v1;
    memcpy(t->src, d->src, 16);
    memcpy(t->dst, d->dst, 16);
    t->hnext = df->bucket[b];
    df->bucket[b] = t;
    t->lprev = df->newest;
    if (df->newest)
        df->newest->lnext = t;
    df->newest = t;
    if (!df->oldest)
        df->oldest = t;
    df->memuse += sizeof(*t);
    df->ntrackers++;
    return t;
}

/* Insert [off, off+len) keeping bytes already held (first wins): only the
 * holes are filled, each as its own piece. Returns false when out of memory. */
static bool insert(struct defrag *df, struct tracker *t, uint32_t off, const uint8_t *p,
                   uint32_t len)
{
    struct frag **pp = &t->frags;
    uint32_t end = off + len;
    while (off < end) {
        while (*pp && (*pp)->off + (*pp)->len <= off)
            pp = &(*pp)->next;
        uint32_t stop = end;
        if (*pp && (*pp)->off <= off) {
            /* covered from `off` by a held piece */
            t->overlap = 1;
            uint32_t covered = (*pp)->off + (*pp)->len;
            p += covered - off;
            off = covered;
            continue;
        }
        if (*pp && (*pp)->off < stop) {
            stop = (*pp)->off;
            t->overlap = 1;
        }
        uint32_t n = stop - off;
        struct frag *f = malloc(sizeof(*f) + n);
        if (!f)
            return false;
        f->off = off;
        f->len = n;
        memcpy(f->data, p, n);
        f->next = *pp;
        *pp = f;
        pp = &f->next;
        t->bytes += n + sizeof(*f);
        df->memuse += n + sizeof(*f);
        p += n;
        off = stop;
    }
    return true;
}

static bool complete(const struct tracker *t)
{
    if (!t->total || !t->hdr)
        return false;
    uint32_t next = 0;
    for (const struct frag *f = t->frags; f; f = f->next) {
        if (f->off > next)
            return false;
        if (f->off + f->len > next)
            next = f->off + f->len;
    }
    return next >= t->total;
}

static uint8_t *build(const struct tracker *t, uint32_t *outlen)
{
    uint32_t n = t->hdr_len + t->total;
    uint8_t *o = malloc(n);
    if (!o)
        return NULL;
    memcpy(o, t->hdr, t->hdr_len);
    for (const struct frag *f = t->frags; f; f = f->next) {
        uint32_t len = f->off + f->len > t->total ? t->total - f->off : f->len;
        if (f->off < t->total)
            memcpy(o + t->hdr_len + f->off, f->data, len);
    }
    if (t->ipver == 4) {
        o[2] = (uint8_t)(n >> 8);
        o[3] = (uint8_t)n;
        o[6] = 0;
        o[7] = 0;
        o[10] = 0;
        o[11] = 0;
        uint16_t c = decode_csum_fold(decode_csum_add(0, o, t->hdr_len));
        o[10] = (uint8_t)(c >> 8);
        o[11] = (uint8_t)c;
    } else {
        uint32_t pl = n - 40;
        o[4] = (uint8_t)(pl >> 8);
        o[5] = (uint8_t)pl;
        o[t->nh_off] = t->inner_proto;
    }
    *outlen = n;
    return o;
}

enum defrag_result defrag_add(struct defrag *df, const struct decoded *d, int64_t now_ns,
                              uint8_t **out, uint32_t *outlen, unsigned *anomaly,
                              struct stats_block *st)
{
    *anomaly = 0;
    *out = NULL;
    bool v4 = d->ipver == 4;
    if (st)
        stats_inc(st, v4 ? CNT_DEFRAG_V4_FRAGMENTS : CNT_DEFRAG_V6_FRAGMENTS);
    defrag_expire(df, now_ns, st);
    uint32_t plen = d->ip_len > d->ip_hlen ? d->ip_len - d->ip_hlen : 0;
    const uint8_t *payload = d->ip + d->ip_hlen;
    if (d->frag_off + plen > MAX_DATAGRAM - (v4 ? 20u : 0u)) {
        *anomaly = 1u + (v4 ? ANOM_IPV4_FRAG_PKT_TOO_LARGE : ANOM_IPV6_FRAG_PKT_TOO_LARGE);
        struct tracker *t = find(df, d, false);
        if (t)
            tracker_free(df, t);
        return DEFRAG_DROPPED;
    }
    /* Make room: the oldest trackers go first, never the one being fed. */
    size_t need = plen + sizeof(struct frag) + sizeof(struct tracker) + d->ip_hlen;
    struct tracker *cur = find(df, d, false);
    while (df->memuse + need > df->memcap) {
        struct tracker *victim = df->oldest == cur ? cur->lnext : df->oldest;
        if (!victim)
            break;
        if (st)
            stats_inc(st, CNT_DEFRAG_MAX_TRACKERS);
        tracker_free(df, victim);
    }
    if (df->memuse + need > df->memcap)
        return DEFRAG_DROPPED;
    struct tracker *t = find(df, d, true);
    if (!t)
        return DEFRAG_DROPPED;
    t->seen_ns = now_ns;
    touch(df, t);
    if (!d->more_frags) {
        uint32_t total = d->frag_off + plen;
        if (t->total && t->total != total)
            t->overlap = 1;
        if (!t->total || total > t->total)
            t->total = total;
    }
    if (d->frag_off == 0 && !t->hdr) {
        t->hdr_len = v4 ? d->ip_hlen : (uint16_t)(d->ip_hlen - 8);
        t->hdr = malloc(t->hdr_len);
        if (!t->hdr) {
            tracker_free(df, t);
            return DEFRAG_DROPPED;
        }
        memcpy(t->hdr, d->ip, t->hdr_len);
        df->memuse += t->hdr_len;
        t->nh_off = d->v6_nh_off;
        t->inner_proto = d->proto;
    }
    if (!insert(df, t, d->frag_off, payload, plen)) {
        tracker_free(df, t);
        return DEFRAG_DROPPED;
    }
    if (t->overlap)
        *anomaly = 1u + (v4 ? ANOM_IPV4_FRAG_OVERLAP : ANOM_IPV6_FRAG_OVERLAP);
    if (!complete(t))
        return DEFRAG_HELD;
    *out = build(t, outlen);
    tracker_free(df, t);
    if (!*out)
        return DEFRAG_DROPPED;
    if (st)
        stats_inc(st, v4 ? CNT_DEFRAG_V4_REASSEMBLED : CNT_DEFRAG_V6_REASSEMBLED);
    return DEFRAG_DONE;
}
