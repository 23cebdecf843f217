/*
 * capture-file.c - classic pcap files read through a memory mapping, and
 * the `-r` source that chains files (a directory in name order), applies
 * --bpf and --realtime. Packets point into the mapping: no copy.
 */
#include "capture.h"

#include "err.h"
#include "grow.h"

#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Largest record accepted (libpcap's own bound for most link types). */
#define MAX_RECORD (256u * 1024u)

/* Reading a mapped file, every cache line is requested this far ahead of
 * the record being read. Records chain (a header's length gives the next
 * header), and the hardware's stream prefetch stops at each 4 KiB page of
 * a page cache whose pages are scattered, so without it the first load of
 * each record header waited for memory (90% of the reader's time in its
 * record walk on the bench mix, most of it at page starts). */
#define PREFETCH_AHEAD (16u * 1024u)
#define LINE 64u
/* A prefetch of a line whose page is not mapped yet is dropped, and the
 * load that then faults maps the next 16 pages only (the kernel's fault
 * around): the first 16 KiB after each fault went unprefetched. The page
 * tables are filled this far ahead, in steps of half of it, by one
 * madvise(MADV_POPULATE_READ) (Linux 5.14; without it, the faults
 * remain). */
#define POPULATE_AHEAD (2u * 1024u * 1024u)

/* ---- one mapped classic pcap ---- */

struct mapped {
    char path[1024];
    const uint8_t *map;
    size_t size, pos;
    bool swap, nano;
    int linktype;
    uint32_t snaplen;
    uint16_t source;
    uint64_t packets, bytes;
    size_t prefetched;      /* lines up to this offset have been requested */
    size_t populated;       /* page tables are filled up to this offset */
    struct capture_maps *maps; /* the mapping is shared (then cm is it) */
    struct capture_map *cm;
    struct spu_error fault; /* a fault found after a batch's first packets */
    bool faulted;
};

static uint32_t get32(const struct mapped *m, const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return m->swap ? __builtin_bswap32(v) : v;
}

/* Report a fault: at once when no packet was collected in this batch, else
 * after handing out the packets before it (they must all be processed). */
static int fault(struct mapped *m, unsigned n, struct spu_error *err, int code,
                 const char *where, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static int fault(struct mapped *m, unsigned n, struct spu_error *err, int code,
                 const char *where, uint64_t off, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    spu_error_at(&m->fault, code, where, off, "%s", msg);
    m->faulted = true;
    if (n)
        return (int)n;
    *err = m->fault;
    return code;
}

static void populate(struct mapped *m)
{
    size_t page = 4096, from = m->populated & ~(page - 1);
    size_t to = m->pos + POPULATE_AHEAD < m->size ? m->pos + POPULATE_AHEAD : m->size;
    m->populated = to;
    if (m->cm) {
        /* a shared mapping: the reader that moves the mark fills the range
         * (the others would contend for the same page table locks) */
        _Atomic size_t *mark = capture_map_populated(m->cm);
        size_t done = atomic_load_explicit(mark, memory_order_relaxed);
        if (done >= to || !atomic_compare_exchange_strong_explicit(
                              mark, &done, to, memory_order_relaxed, memory_order_relaxed))
            return;
        if (done > from)
            from = done & ~(page - 1);
    }
#ifdef MADV_POPULATE_READ
    if (to > from)
        madvise((void *)(uintptr_t)(m->map + from), to - from, MADV_POPULATE_READ);
#endif
}

static int mapped_next(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                       struct spu_error *err)
{
    struct mapped *m = c->priv;
    unsigned n = 0;
    *eof = false;
    if (m->faulted) {
        *err = m->fault;
        return err->code;
    }
    while (n < max) {
        if (m->pos == m->size) {
            *eof = true;
            break;
        }
        if (m->size - m->pos < 16)
            return fault(m, n, err, SPU_EFORMAT, m->path, m->pos,
                                "truncated record header (%zu of 16 bytes)", m->size - m->pos);
        if (m->pos + POPULATE_AHEAD / 2 > m->populated && m->populated < m->size)
            populate(m);
        size_t ahead = m->pos + PREFETCH_AHEAD < m->size ? m->pos + PREFETCH_AHEAD : m->size;
        for (; m->prefetched < ahead; m->prefetched += LINE)
            __builtin_prefetch(m->map + m->prefetched);
        const uint8_t *h = m->map + m->pos;
        uint32_t sec = get32(m, h), frac = get32(m, h + 4);
        uint32_t incl = get32(m, h + 8), orig = get32(m, h + 12);
        if (incl > MAX_RECORD || (m->snaplen >= 65535 && incl > m->snaplen && incl > 65535))
            return fault(m, n, err, SPU_EFORMAT, m->path, m->pos,
                                "corrupt record header: captured length %u", incl);
        if (frac >= (m->nano ? 1000000000u : 1000000u))
            return fault(m, n, err, SPU_EFORMAT, m->path, m->pos,
                                "corrupt record header: sub-second field %u", frac);
        if (m->size - m->pos - 16 < incl)
            return fault(m, n, err, SPU_EFORMAT, m->path, m->pos + 16,
                                "truncated packet data (%zu of %u bytes)",
                                m->size - m->pos - 16, incl);
        struct capture_pkt *p = &out[n++];
        p->data = h + 16;
        p->caplen = incl;
        p->wirelen = orig < incl ? incl : orig;
        p->ts_ns = (int64_t)sec * 1000000000 + (int64_t)frac * (m->nano ? 1 : 1000);
        p->linktype = m->linktype;
        p->source = m->source;
        p->vlan = 0;
        p->cookie = NULL;
        m->pos += 16u + incl;
        m->packets++;
        m->bytes += incl;
    }
    return (int)n;
}

static void mapped_release(struct capture *c, uint16_t source, void *cookie)
{
    (void)c;
    (void)source;
    (void)cookie; /* the mapping lives until close */
}

static void mapped_stats(struct capture *c, struct capture_stats *s)
{
    struct mapped *m = c->priv;
    s->packets += m->packets;
    s->bytes += m->bytes;
    s->file_size += m->size;
    s->file_pos += m->pos;
}

static void mapped_close(struct capture *c)
{
    struct mapped *m = c->priv;
    if (m->cm)
        capture_maps_put(m->maps, m->cm);
    else if (m->map && m->size)
        munmap((void *)m->map, m->size);
    free(m);
    free(c);
}

static const struct capture_ops mapped_ops = {"pcap-mmap", mapped_next, mapped_release,
                                              mapped_stats, mapped_close};

struct capture *capture_file_open_mapped(const char *path, uint16_t source,
                                         struct capture_maps *maps, struct spu_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        spu_error_at(err, SPU_EUNSUPPORTED, path, UINT64_MAX, "not a regular file");
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size;
    uint8_t hdr[24];
    ssize_t got = pread(fd, hdr, sizeof(hdr), 0);
    if (got < 4) {
        spu_error_at(err, SPU_EFORMAT, path, got < 0 ? 0 : (uint64_t)got,
                     "truncated file header (%zd of 24 bytes)", got < 0 ? 0 : got);
        close(fd);
        return NULL;
    }
    uint32_t magic;
    memcpy(&magic, hdr, 4);
    bool swap, nano;
    switch (magic) {
    case 0xa1b2c3d4: swap = false; nano = false; break;
    case 0xd4c3b2a1: swap = true; nano = false; break;
    case 0xa1b23c4d: swap = false; nano = true; break;
    case 0x4d3cb2a1: swap = true; nano = true; break;
    default:
        spu_error_at(err, SPU_EUNSUPPORTED, path, 0, "not a classic pcap file");
        close(fd);
        return NULL;
    }
    if (got < 24) {
        spu_error_at(err, SPU_EFORMAT, path, (uint64_t)got,
                     "truncated file header (%zd of 24 bytes)", got);
        close(fd);
        return NULL;
    }
    struct capture *c = calloc(1, sizeof(*c));
    struct mapped *m = calloc(1, sizeof(*m));
    if (!c || !m) {
        free(c);
        free(m);
        close(fd);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(m->path, sizeof(m->path), "%s", path);
    m->swap = swap;
    m->nano = nano;
    m->size = size;
    m->pos = 24;
    m->source = source;
    m->linktype = (int)(get32(m, hdr + 20) & 0x0fffffff);
    m->snaplen = get32(m, hdr + 16);
    if (size > 24 && maps) {
        struct spu_error e = {0};
        m->cm = capture_maps_get(maps, fd, &st, size, &e);
        if (!m->cm) {
            spu_error_at(err, e.code, path, UINT64_MAX, "%s", e.msg);
            free(c);
            free(m);
            close(fd);
            return NULL;
        }
        m->maps = maps;
        m->map = capture_map_data(m->cm);
    } else if (size > 24) {
        void *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot map: %s", strerror(errno));
            free(c);
            free(m);
            close(fd);
            return NULL;
        }
        /* two calls: the advice values are not flags (SEQUENTIAL | WILLNEED
         * was WILLNEED alone) */
        madvise(map, size, MADV_SEQUENTIAL);
        madvise(map, size, MADV_WILLNEED);
        m->map = map;
    } else {
        m->size = 24;
    }
    close(fd);
    c->ops = &mapped_ops;
    c->priv = m;
    return c;
}

/* ---- BPF on any buffer ---- */

struct capture_bpf {
    struct bpf_program prog;
};

struct capture_bpf *capture_bpf_new(const char *expr, int linktype, struct spu_error *err)
{
    pcap_t *dead = pcap_open_dead(linktype, 262144);
    if (!dead) {
        spu_error_set(err, SPU_ENOMEM, "bpf: out of memory");
        return NULL;
    }
    struct capture_bpf *b = calloc(1, sizeof(*b));
    if (!b || pcap_compile(dead, &b->prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
        spu_error_set(err, SPU_EPARSE, "bpf: %s: %s", expr, b ? pcap_geterr(dead) : "no memory");
        free(b);
        pcap_close(dead);
        return NULL;
    }
    pcap_close(dead);
    return b;
}

bool capture_bpf_match(const struct capture_bpf *b, const uint8_t *p, uint32_t caplen,
                       uint32_t wirelen)
{
    return bpf_filter(b->prog.bf_insns, p, wirelen, caplen) != 0;
}

const struct bpf_program *capture_bpf_program(const struct capture_bpf *b)
{
    return &b->prog;
}

void capture_bpf_free(struct capture_bpf *b)
{
    if (!b)
        return;
    pcap_freecode(&b->prog);
    free(b);
}

/* ---- the -r source: a chain of files, filter, pacing ---- */

#define MAX_LINKTYPES 8

struct sub {
    char *path;
    struct capture *cap; /* open while it has packets out or is current */
    uint64_t out;        /* packets handed out and not yet released */
    bool done;
};

struct chain {
    struct sub *subs;
    unsigned nsubs, cur;
    const char *bpf_expr;
    struct capture_maps *maps;
    struct {
        int linktype;
        struct capture_bpf *bpf;
    } filters[MAX_LINKTYPES];
    unsigned nfilters;
    bool realtime;
    int64_t first_ts, first_wall;
    struct capture_pkt pending; /* --realtime: the next packet, not yet due */
    bool has_pending, pending_eof;
    uint64_t filtered;
    struct capture_stats closed; /* stats of files already closed */
};

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const struct capture_bpf *filter_for(struct chain *ch, int linktype,
                                            struct spu_error *err)
{
    for (unsigned i = 0; i < ch->nfilters; i++)
        if (ch->filters[i].linktype == linktype)
            return ch->filters[i].bpf;
    if (ch->nfilters == MAX_LINKTYPES) {
        spu_error_set(err, SPU_ELIMIT, "bpf: too many link types");
        return NULL;
    }
    struct capture_bpf *b = capture_bpf_new(ch->bpf_expr, linktype, err);
    if (!b)
        return NULL;
    ch->filters[ch->nfilters].linktype = linktype;
    ch->filters[ch->nfilters++].bpf = b;
    return b;
}

static void sub_close(struct chain *ch, struct sub *s)
{
    if (!s->cap)
        return;
    s->cap->ops->stats(s->cap, &ch->closed);
    capture_close(s->cap);
    s->cap = NULL;
}

static int chain_open_sub(struct chain *ch, struct spu_error *err)
{
    struct sub *s = &ch->subs[ch->cur];
    if (strcmp(s->path, "-") == 0) {
        s->cap = capture_pcap_open_offline(s->path, (uint16_t)ch->cur, err);
        return s->cap ? SPU_OK : err->code;
    }
    s->cap = capture_file_open_mapped(s->path, (uint16_t)ch->cur, ch->maps, err);
    if (!s->cap && err->code == SPU_EUNSUPPORTED)
        s->cap = capture_pcap_open_offline(s->path, (uint16_t)ch->cur, err);
    return s->cap ? SPU_OK : err->code;
}

static int chain_read(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                      struct spu_error *err)
{
    struct chain *ch = c->priv;
    *eof = false;
    for (;;) {
        if (atomic_load_explicit(&c->brk, memory_order_relaxed) || ch->cur >= ch->nsubs) {
            *eof = true;
            return 0;
        }
        struct sub *s = &ch->subs[ch->cur];
        if (!s->cap) {
            int rc = chain_open_sub(ch, err);
            if (rc < 0)
                return rc;
        }
        bool sub_eof = false;
        int n = capture_next(s->cap, out, max, &sub_eof, err);
        if (n < 0)
            return n;
        unsigned keep = 0;
        for (int i = 0; i < n; i++) {
            if (ch->bpf_expr) {
                const struct capture_bpf *b = filter_for(ch, out[i].linktype, err);
                if (!b)
                    return err->code;
                if (!capture_bpf_match(b, out[i].data, out[i].caplen, out[i].wirelen)) {
                    capture_release(s->cap, out[i].source, out[i].cookie);
                    ch->filtered++;
                    continue;
                }
            }
            out[keep++] = out[i];
        }
        s->out += keep;
        if (sub_eof) {
            s->done = true;
            if (s->out == 0)
                sub_close(ch, s);
            ch->cur++;
        }
        if (keep)
            return (int)keep;
        if (!sub_eof)
            return 0;
    }
}

/* --realtime: hand out one packet at a time when its time has come; wait
 * at most 50 ms per call so that the caller stays responsive (stop
 * requests, stats intervals) across long silences in the capture. */
static int chain_next(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                      struct spu_error *err)
{
    struct chain *ch = c->priv;
    if (!ch->realtime)
        return chain_read(c, out, max, eof, err);
    *eof = false;
    if (!ch->has_pending) {
        if (ch->pending_eof) {
            *eof = true;
            return 0;
        }
        bool e = false;
        int n = chain_read(c, &ch->pending, 1, &e, err);
        if (n < 0)
            return n;
        ch->pending_eof = e;
        if (n == 0) {
            *eof = e;
            return 0;
        }
        ch->has_pending = true;
        if (!ch->first_wall) {
            ch->first_wall = wall_ns();
            ch->first_ts = ch->pending.ts_ns;
        }
    }
    int64_t due = ch->first_wall + (ch->pending.ts_ns - ch->first_ts);
    int64_t now = wall_ns();
    if (due > now) {
        int64_t d = due - now < 50000000 ? due - now : 50000000;
        struct timespec ts = {d / 1000000000, d % 1000000000};
        nanosleep(&ts, NULL);
        if (due > wall_ns())
            return 0;
    }
    out[0] = ch->pending;
    ch->has_pending = false;
    return 1;
}

static void chain_release(struct capture *c, uint16_t source, void *cookie)
{
    struct chain *ch = c->priv;
    if (source >= ch->nsubs)
        return;
    struct sub *s = &ch->subs[source];
    if (s->cap)
        capture_release(s->cap, source, cookie);
    if (s->out)
        s->out--;
    if (s->done && s->out == 0)
        sub_close(ch, s);
}

static void chain_stats(struct capture *c, struct capture_stats *st)
{
    struct chain *ch = c->priv;
    st->packets += ch->closed.packets;
    st->bytes += ch->closed.bytes;
    st->file_size += ch->closed.file_size;
    st->file_pos += ch->closed.file_pos;
    for (unsigned i = 0; i < ch->nsubs; i++) {
        if (ch->subs[i].cap)
            ch->subs[i].cap->ops->stats(ch->subs[i].cap, st);
        else if (i >= ch->cur) {
            struct stat sb;
            if (stat(ch->subs[i].path, &sb) == 0)
                st->file_size += (uint64_t)sb.st_size;
        }
    }
}

static void chain_close(struct capture *c)
{
    struct chain *ch = c->priv;
    if (ch->has_pending && ch->pending.source < ch->nsubs && ch->subs[ch->pending.source].cap)
        capture_release(ch->subs[ch->pending.source].cap, ch->pending.source,
                        ch->pending.cookie);
    for (unsigned i = 0; i < ch->nsubs; i++) {
        if (ch->subs[i].cap)
            capture_close(ch->subs[i].cap);
        free(ch->subs[i].path);
    }
    for (unsigned i = 0; i < ch->nfilters; i++)
        capture_bpf_free(ch->filters[i].bpf);
    free(ch->subs);
    free(ch);
    free(c);
}

static const struct capture_ops chain_ops = {"file", chain_next, chain_release, chain_stats,
                                             chain_close};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory, in name order. */
static char **list_dir(const char *dir, unsigned *n, struct spu_error *err)
{
    DIR *d = opendir(dir);
    if (!d) {
        spu_error_at(err, SPU_EIO, dir, UINT64_MAX, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char **v = NULL;
    unsigned cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (cnt == cap) {
            size_t ncap = spu_grow_cap(cap, (size_t)cnt + 1, 16, UINT_MAX);
            char **nv = ncap ? realloc(v, ncap * sizeof(*v)) : NULL;
            if (!nv)
                break;
            v = nv;
            cap = (unsigned)ncap;
        }
        v[cnt] = strdup(path);
        if (v[cnt])
            cnt++;
    }
    closedir(d);
    if (cnt)
        qsort(v, cnt, sizeof(*v), cmp_str);
    *n = cnt;
    return v;
}

struct capture *capture_open_file(const char *path, const struct capture_opts *o,
                                  struct spu_error *err)
{
    struct capture *c = calloc(1, sizeof(*c));
    struct chain *ch = calloc(1, sizeof(*ch));
    if (!c || !ch) {
        free(c);
        free(ch);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    c->ops = &chain_ops;
    c->priv = ch;
    ch->bpf_expr = o ? o->bpf : NULL;
    ch->maps = o ? o->maps : NULL;
    ch->realtime = o && o->realtime;
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        unsigned n = 0;
        char **v = list_dir(path, &n, err);
        if (!v && err->code) {
            chain_close(c);
            return NULL;
        }
        ch->subs = calloc(n ? n : 1, sizeof(*ch->subs));
        for (unsigned i = 0; i < n; i++) {
            if (ch->subs)
                ch->subs[i].path = v[i];
            else
                free(v[i]);
        }
        free(v);
        if (!ch->subs) {
            chain_close(c);
            spu_error_set(err, SPU_ENOMEM, "out of memory");
            return NULL;
        }
        ch->nsubs = n;
        if (n > 65535) {
            chain_close(c);
            spu_error_at(err, SPU_ELIMIT, path, UINT64_MAX, "too many files");
            return NULL;
        }
    } else {
        ch->subs = calloc(1, sizeof(*ch->subs));
        if (!ch->subs || !(ch->subs[0].path = strdup(path))) {
            chain_close(c);
            spu_error_set(err, SPU_ENOMEM, "out of memory");
            return NULL;
        }
        ch->nsubs = 1;
        /* open now so that a missing or unreadable file fails at start */
        if (chain_open_sub(ch, err) < 0) {
            chain_close(c);
            return NULL;
        }
    }
    return c;
}

void capture_stats(struct capture *c, struct capture_stats *s)
{
    memset(s, 0, sizeof(*s));
    c->ops->stats(c, s);
}

void capture_break(struct capture *c)
{
    atomic_store(&c->brk, true);
}

void capture_close(struct capture *c)
{
    if (c)
        c->ops->close(c);
}
