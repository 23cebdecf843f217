/*
 * gen - writes a classic pcap of synthetic but protocol-correct traffic for the
 * benchmarks: TCP flows with a full handshake, keep-alive HTTP/1.1 exchanges
 * (realistic headers, bodies from a size mix, some chunked, some gzip made
 * with zlib) or SMTP sessions (EHLO, MAIL, RCPT, DATA with a MIME message and
 * a base64 attachment, QUIT), MSS-sized segments, delayed ACKs and a FIN
 * teardown. Flows are interleaved in time so that a chosen number of them is
 * open at once; every flow has its own client address. Checksums are valid.
 * The output depends only on the options (and the seed).
 *
 * A single-threaded command-line tool: main() owns everything, the functions
 * below it return SPU_OK or a negative SPU_E* and never print.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <pcap/pcap.h>
#include <zlib.h>

#include "err.h"

#define GEN_MAX_FLOWS 16000000u /* client addresses come from 10.0.0.0/8 */
#define GEN_MAX_SIZES 16
#define GEN_MAX_LEGS 24
#define GEN_SNAPLEN 65535
#define GEN_WINDOW 65535
#define GEN_HTTP_SERVERS 1000
#define GEN_SMTP_SERVERS 50

enum { DIR_CLIENT = 0, DIR_SERVER = 1 };
enum { KIND_HTTP = 0, KIND_SMTP = 1 };
enum { TH_FIN = 0x01, TH_SYN = 0x02, TH_PSH = 0x08, TH_ACK = 0x10 };

/* What a flow does next, in order: open, (SMTP greeting), data exchanges, (SMTP QUIT), close. */
enum phase { PH_OPEN, PH_GREET, PH_DATA, PH_QUIT, PH_CLOSE, PH_DONE };

struct size_bucket {
    uint32_t size;
    uint32_t weight;
};

struct range {
    uint32_t lo, hi;
};

struct gen_opts {
    const char *out;
    uint64_t seed;
    uint32_t flows, concurrent, active;
    struct range requests, mails;
    uint32_t smtp_pct, chunked_pct, gzip_pct;
    uint32_t mss;
    uint64_t start;
    uint64_t pps;
    struct size_bucket sizes[GEN_MAX_SIZES];
    unsigned nsizes;
    uint64_t weight_sum;
    int quiet;
};

/* ---- pseudo-random numbers: splitmix64, deterministic from the seed ---- */

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, n); n > 0. */
static uint32_t rng_below(uint64_t *s, uint32_t n)
{
    return (uint32_t)(((rng_next(s) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t rng_range(uint64_t *s, struct range r)
{
    return r.lo + rng_below(s, r.hi - r.lo + 1);
}

static int rng_pct(uint64_t *s, uint32_t pct)
{
    return rng_below(s, 100) < pct;
}

/* ---- growable byte buffer ---- */

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static int buf_reserve(struct buf *b, size_t more)
{
    if (b->len + more <= b->cap)
        return SPU_OK;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return SPU_ENOMEM;
    b->p = p;
    b->cap = cap;
    return SPU_OK;
}

static int buf_put(struct buf *b, const void *data, size_t n)
{
    int rc = buf_reserve(b, n);
    if (rc)
        return rc;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return SPU_OK;
}

static int buf_str(struct buf *b, const char *s)
{
    return buf_put(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static int buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return SPU_EINVAL;
    int rc = buf_reserve(b, (size_t)n + 1);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SPU_OK;
}

/* ---- vocabulary for realistic names and text ---- */

static const char *const WORDS[] = {
    "alpha",  "report", "market", "network", "travel", "system", "garden",  "coffee",
    "window", "summer", "mobile", "silver",  "orange", "planet", "rocket",  "energy",
    "health", "music",  "photo",  "video",   "update", "secure", "cloud",   "river",
    "forest", "bridge", "castle", "engine",  "future", "island", "jungle",  "kernel",
    "ledger", "meadow", "nickel", "office",  "pepper", "quartz", "random",  "saddle",
    "tablet", "unique", "valley", "wonder",  "yellow", "zenith", "account", "battery",
};
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

static const char *const TLDS[] = {"com", "net", "org", "io", "de", "fr", "co.uk", "info"};
static const char *const DIRS[] = {
    "images", "static",  "js",         "css",      "api",    "v1",   "users",  "cgi-bin",
    "blog",   "uploads", "wp-content", "products", "search", "news", "assets", "download"};
static const char *const FILES[] = {"index", "main", "app",    "style", "logo",  "banner",
                                    "view",  "list", "detail", "login", "setup", "data"};

/* How a body of a content type is made: text, or a well-formed file of that type. */
enum body_kind { BODY_TEXT, BODY_PNG, BODY_PDF, BODY_EXE };

struct ext_type {
    const char *ext;
    const char *ctype;
    enum body_kind body;
};
/* The binary types come last (smtp_mail picks attachments from them). */
static const struct ext_type EXTS[] = {
    {"html", "text/html; charset=utf-8", BODY_TEXT},
    {"php", "text/html; charset=UTF-8", BODY_TEXT},
    {"js", "application/javascript", BODY_TEXT},
    {"css", "text/css", BODY_TEXT},
    {"json", "application/json", BODY_TEXT},
    {"asp", "text/html", BODY_TEXT},
    {"", "text/html; charset=utf-8", BODY_TEXT},
    {"png", "image/png", BODY_PNG},
    {"pdf", "application/pdf", BODY_PDF},
    {"exe", "application/octet-stream", BODY_EXE},
    {"bin", "application/octet-stream", BODY_EXE},
};
#define NEXTS (sizeof EXTS / sizeof EXTS[0])
#define FIRST_BINARY_EXT 7

static const char *const AGENTS[] = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like "
    "Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
    "curl/7.88.1",
    "Wget/1.21.3",
};
#define NAGENTS (sizeof AGENTS / sizeof AGENTS[0])

static const char *word(uint64_t *r)
{
    return WORDS[rng_below(r, NWORDS)];
}

/* ---- flows, transactions, the whole generator ---- */

struct flow {
    uint64_t rng;
    uint32_t idx;
    uint32_t seq[2];
    uint16_t ipid[2];
    uint16_t left; /* data exchanges still to do */
    uint8_t kind;
    uint8_t phase;
};

/* One direction's contribution to a transaction: a control packet or a payload. */
struct leg {
    uint8_t dir;
    uint8_t ctrl; /* TH_* flags of a lone control packet, or 0 for payload */
    size_t off, len;
};

/* A transaction being sent: its payload bytes and the cursor over its legs. */
struct txn {
    struct buf data;
    struct leg legs[GEN_MAX_LEGS];
    unsigned nlegs, li;
    size_t off;
    unsigned segs;
    int pending_ack;
    uint8_t ack_dir;
};

struct gen_stats {
    uint64_t flows, http_flows, smtp_flows, http_requests, smtp_mails, packets, bytes;
};

struct gen {
    const struct gen_opts *o;
    uint64_t rng;
    pcap_t *dead;
    pcap_dumper_t *dump;
    struct flow *flows;
    uint32_t *slot_txn; /* per flow slot: its transaction while active */
    uint32_t *free_slots, nfree;
    uint32_t *idle, nidle;
    uint32_t *active, nactive;
    struct txn *txns;
    uint32_t *free_txns, nfree_txns;
    uint32_t next_idx, nopen;
    struct buf scratch, scratch2, scratch3, scratch4;
    z_stream zgzip, zpng;
    int zinit;
    uint8_t *frame;
    struct gen_stats st;
};

static uint32_t client_ip(uint32_t idx)
{
    return 0x0a000000u + idx + 1; /* 10.0.0.1 upwards: one address per flow */
}

static uint32_t server_index(const struct flow *f)
{
    uint64_t h = f->idx ^ 0x5bd1e995u;
    return (f->kind == KIND_HTTP ? rng_below(&h, GEN_HTTP_SERVERS)
                                 : rng_below(&h, GEN_SMTP_SERVERS)) +
           1;
}

static uint32_t server_ip(const struct flow *f)
{
    uint32_t s = server_index(f);
    return f->kind == KIND_HTTP ? 0xac100000u + s : 0xac140000u + s; /* 172.16/172.20 */
}

static uint16_t client_port(uint32_t idx)
{
    return (uint16_t)(32768 + idx % 28000);
}

static uint16_t server_port(const struct flow *f)
{
    return f->kind == KIND_HTTP ? 80 : 25;
}

static void host_name(const struct flow *f, char *out, size_t n)
{
    uint32_t s = server_index(f);
    snprintf(out, n, "%s.%s%s.%s", f->kind == KIND_HTTP ? "www" : "mx", WORDS[s % NWORDS],
             WORDS[(s / NWORDS) % NWORDS], TLDS[s % (sizeof TLDS / sizeof TLDS[0])]);
}

static void packet_time(const struct gen *g, struct timeval *tv)
{
    uint64_t us = g->st.packets * 1000000u / g->o->pps;
    tv->tv_sec = (time_t)(g->o->start + us / 1000000u);
    tv->tv_usec = (suseconds_t)(us % 1000000u);
}

static void http_date(const struct gen *g, char *out, size_t n)
{
    struct timeval tv;
    struct tm tm;
    packet_time(g, &tv);
    time_t t = tv.tv_sec;
    gmtime_r(&t, &tm);
    strftime(out, n, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

static uint32_t pick_size(const struct gen_opts *o, uint64_t *r)
{
    uint64_t w = rng_next(r) % o->weight_sum;
    unsigned i = 0;
    while (w >= o->sizes[i].weight) {
        w -= o->sizes[i].weight;
        i++;
    }
    uint32_t s = o->sizes[i].size;
    return s < 2 ? s : s / 2 + rng_below(r, s / 2 + 1); /* uniform in [s/2, s] */
}

/* ---- packets ---- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)(p[n - 1] << 8);
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* Writes one Ethernet/IPv4/TCP frame of flow f from `dir` with `flags` and `n` payload bytes. */
static int emit_packet(struct gen *g, struct flow *f, int dir, uint8_t flags, const uint8_t *pl,
                       size_t n)
{
    uint8_t *fr = g->frame;
    uint32_t sip = dir == DIR_CLIENT ? client_ip(f->idx) : server_ip(f);
    uint32_t dip = dir == DIR_CLIENT ? server_ip(f) : client_ip(f->idx);
    uint16_t sport = dir == DIR_CLIENT ? client_port(f->idx) : server_port(f);
    uint16_t dport = dir == DIR_CLIENT ? server_port(f) : client_port(f->idx);
    size_t thl = (flags & TH_SYN) ? 24 : 20; /* SYNs carry the MSS option */

    /* Ethernet: locally administered MACs made from the IPv4 addresses, type IPv4. */
    fr[0] = 0x02, fr[1] = 0x00, put32(fr + 2, dip);
    fr[6] = 0x02, fr[7] = 0x00, put32(fr + 8, sip);
    put16(fr + 12, 0x0800);
    /* IPv4: version 4, IHL 5, DF, TTL 64 (client) or 57 (server), protocol TCP. */
    uint8_t *ip = fr + 14;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (uint32_t)(20 + thl + n));
    put16(ip + 4, f->ipid[dir]++);
    put16(ip + 6, 0x4000);
    ip[8] = dir == DIR_CLIENT ? 64 : 57;
    ip[9] = 6;
    put32(ip + 12, sip);
    put32(ip + 16, dip);
    put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    /* TCP */
    uint8_t *th = ip + 20;
    memset(th, 0, thl);
    put16(th, sport);
    put16(th + 2, dport);
    put32(th + 4, f->seq[dir]);
    put32(th + 8, (flags & TH_ACK) ? f->seq[!dir] : 0);
    th[12] = (uint8_t)((thl / 4) << 4);
    th[13] = flags;
    put16(th + 14, GEN_WINDOW);
    if (flags & TH_SYN) {
        th[20] = 2, th[21] = 4; /* MSS option */
        put16(th + 22, g->o->mss);
    }
    if (n)
        memcpy(th + thl, pl, n);
    uint8_t pseudo[12];
    put32(pseudo, sip);
    put32(pseudo + 4, dip);
    pseudo[8] = 0, pseudo[9] = 6;
    put16(pseudo + 10, (uint32_t)(thl + n));
    put16(th + 16, csum_fold(csum_add(csum_add(0, pseudo, 12), th, thl + n)));

    f->seq[dir] += (uint32_t)n + ((flags & (TH_SYN | TH_FIN)) ? 1u : 0u);

    struct pcap_pkthdr h;
    packet_time(g, &h.ts);
    h.caplen = h.len = (bpf_u_int32)(14 + 20 + thl + n);
    pcap_dump((u_char *)g->dump, &h, fr);
    g->st.packets++;
    g->st.bytes += h.len;
    return SPU_OK;
}

/* ---- transaction building ---- */

static int leg_ctrl(struct txn *t, int dir, uint8_t flags)
{
    if (t->nlegs == GEN_MAX_LEGS)
        return SPU_ELIMIT;
    t->legs[t->nlegs++] = (struct leg){.dir = (uint8_t)dir, .ctrl = flags};
    return SPU_OK;
}

/* Closes a payload leg: everything appended to t->data since `start` goes from `dir`. */
static int leg_data(struct txn *t, int dir, size_t start)
{
    if (t->nlegs == GEN_MAX_LEGS)
        return SPU_ELIMIT;
    t->legs[t->nlegs++] =
        (struct leg){.dir = (uint8_t)dir, .off = start, .len = t->data.len - start};
    return SPU_OK;
}

/* Appends one formatted message from `dir` as a leg of its own. */
__attribute__((format(printf, 3, 4))) static int sayf(struct txn *t, int dir, const char *fmt, ...)
{
    size_t start = t->data.len;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    int rc = n < 0 ? SPU_EINVAL : buf_reserve(&t->data, (size_t)n + 1);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf((char *)t->data.p + start, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->data.len += (size_t)n;
    return leg_data(t, dir, start);
}

/* Text of about n bytes: html-ish paragraphs of words (compresses like real pages). */
static int text_body(struct buf *b, uint64_t *r, size_t n)
{
    size_t end = b->len + n;
    int rc = SPU_OK;
    while (!rc && b->len < end) {
        rc = buf_str(b, "<p>");
        for (unsigned i = 0, k = 8 + rng_below(r, 24); !rc && i < k; i++)
            rc = buf_printf(b, "%s%s", i ? " " : "", word(r));
        if (!rc)
            rc = buf_str(b, "</p>\n");
    }
    if (!rc)
        b->len = end;
    return rc;
}

static int binary_body(struct buf *b, uint64_t *r, size_t n)
{
    int rc = buf_reserve(b, n + 8);
    for (size_t i = 0; !rc && i < n; i += 8) {
        uint64_t v = rng_next(r);
        memcpy(b->p + b->len + i, &v, 8);
    }
    if (!rc)
        b->len += n;
    return rc;
}

/* Appends the deflate-stream encoding of in[0..n) made with z (a gzip or zlib wrapper, set
 * up once by gen_init and reset here, so that no allocation happens per body). */
static int deflate_append(z_stream *z, struct buf *out, const uint8_t *in, size_t n)
{
    if (deflateReset(z) != Z_OK)
        return SPU_ESTATE;
    size_t bound = deflateBound(z, (uLong)n) + 32;
    int rc = buf_reserve(out, bound);
    if (rc)
        return rc;
    z->next_in = (Bytef *)in;
    z->avail_in = (uInt)n;
    z->next_out = out->p + out->len;
    z->avail_out = (uInt)bound;
    if (deflate(z, Z_FINISH) != Z_STREAM_END)
        return SPU_ESTATE;
    out->len += z->total_out;
    return SPU_OK;
}

static int png_chunk(struct buf *b, const char *type, const uint8_t *data, size_t n)
{
    uint8_t hdr[8];
    put32(hdr, (uint32_t)n);
    memcpy(hdr + 4, type, 4);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), hdr + 4, 4);
    if (n)
        crc = crc32(crc, data, (uInt)n);
    uint8_t tail[4];
    put32(tail, (uint32_t)crc);
    int rc = buf_put(b, hdr, 8);
    if (!rc && n)
        rc = buf_put(b, data, n);
    return rc ? rc : buf_put(b, tail, 4);
}

/* A PNG (RGB, 8 bits, 256 pixels wide) of about n bytes of noise: signature, IHDR, one
 * IDAT compressed by zlib, IEND, with their CRCs. */
static int png_body(struct gen *g, struct buf *b, uint64_t *r, size_t n)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    const uint32_t w = 256, row = 1 + 3 * w;
    uint32_t h = n / row ? (uint32_t)(n / row) : 1;
    uint8_t ihdr[13] = {0};
    put32(ihdr, w);
    put32(ihdr + 4, h);
    ihdr[8] = 8; /* bit depth */
    ihdr[9] = 2; /* truecolour */
    struct buf *pix = &g->scratch2, *idat = &g->scratch4;
    pix->len = idat->len = 0;
    int rc = buf_reserve(pix, (size_t)h * row + 8);
    for (uint32_t y = 0; !rc && y < h; y++) {
        pix->p[pix->len++] = 0; /* filter: none */
        for (uint32_t x = 0; x < 3 * w; x += 8) {
            uint64_t v = rng_next(r);
            memcpy(pix->p + pix->len + x, &v, 8);
        }
        pix->len += 3 * w;
    }
    if (!rc)
        rc = deflate_append(&g->zpng, idat, pix->p, pix->len); /* RFC 1950 */
    if (!rc)
        rc = buf_put(b, sig, 8);
    if (!rc)
        rc = png_chunk(b, "IHDR", ihdr, sizeof ihdr);
    if (!rc)
        rc = png_chunk(b, "IDAT", idat->p, idat->len);
    return rc ? rc : png_chunk(b, "IEND", NULL, 0);
}

/* A minimal PDF of about n bytes: one object holding a stream of n bytes of noise. */
static int pdf_body(struct buf *b, uint64_t *r, size_t n)
{
    int rc = buf_printf(b, "%%PDF-1.4\n1 0 obj\n<< /Length %zu >>\nstream\n", n);
    if (!rc)
        rc = binary_body(b, r, n);
    return rc ? rc : buf_str(b, "\nendstream\nendobj\ntrailer\n<< /Size 2 /Root 1 0 R >>\n%%EOF\n");
}

/* A body of about n bytes of the given kind. */
static int make_body(struct gen *g, struct buf *b, uint64_t *r, enum body_kind kind, size_t n)
{
    switch (kind) {
    case BODY_TEXT:
        return text_body(b, r, n);
    case BODY_PNG:
        return png_body(g, b, r, n);
    case BODY_PDF:
        return pdf_body(b, r, n);
    case BODY_EXE: {
        int rc = buf_str(b, "MZ");
        return rc ? rc : binary_body(b, r, n);
    }
    }
    return SPU_EINVAL;
}

/* Appends body as chunked transfer coding: chunks of varying sizes, then the last chunk. */
static int chunked_append(struct buf *out, uint64_t *r, const uint8_t *body, size_t n)
{
    int rc = SPU_OK;
    for (size_t off = 0; !rc && off < n;) {
        size_t c = 512 + rng_below(r, 8192);
        if (c > n - off)
            c = n - off;
        rc = buf_printf(out, "%zx\r\n", c);
        if (!rc)
            rc = buf_put(out, body + off, c);
        if (!rc)
            rc = buf_str(out, "\r\n");
        off += c;
    }
    return rc ? rc : buf_str(out, "0\r\n\r\n");
}

static int http_exchange(struct gen *g, struct flow *f, struct txn *t, int last)
{
    const struct gen_opts *o = g->o;
    uint64_t *r = &f->rng;
    struct buf *b = &t->data;
    char host[64], date[64], uri[256];
    host_name(f, host, sizeof host);
    http_date(g, date, sizeof date);

    /* request line and headers */
    uint32_t m = rng_below(r, 100);
    const char *method = m < 85 ? "GET" : m < 97 ? "POST" : "HEAD";
    const struct ext_type *ext = &EXTS[rng_below(r, NEXTS)];
    size_t ul = 0;
    for (unsigned i = 0, k = rng_below(r, 4); i < k; i++)
        ul += (size_t)snprintf(uri + ul, sizeof uri - ul, "/%s", DIRS[rng_below(r, 16)]);
    ul += (size_t)snprintf(uri + ul, sizeof uri - ul, "/%s%s%s", FILES[rng_below(r, 12)],
                           *ext->ext ? "." : "", ext->ext);
    if (rng_pct(r, 30))
        snprintf(uri + ul, sizeof uri - ul, "?id=%u&q=%s", rng_below(r, 100000), word(r));

    size_t start = b->len;
    int rc = buf_printf(b,
                        "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n"
                        "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
                        "\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate\r\n",
                        method, uri, host, AGENTS[(f->idx * 7u) % NAGENTS]);
    if (!rc && rng_pct(r, 40))
        rc = buf_printf(b, "Referer: http://%s/%s\r\n", host, DIRS[rng_below(r, 16)]);
    if (!rc && rng_pct(r, 50))
        rc = buf_printf(b, "Cookie: SID=%016" PRIx64 "; lang=en\r\n", f->rng ^ f->idx);
    if (!rc && *method == 'P') {
        size_t n = pick_size(o, r) % 16384 + 16;
        rc = buf_printf(b,
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        "Content-Length: %zu\r\nConnection: %s\r\n\r\n",
                        n, last ? "close" : "keep-alive");
        size_t body = b->len;
        while (!rc && b->len - body < n)
            rc = buf_printf(b, "%s=%s&", word(r), word(r));
        b->len = body + n;
    } else if (!rc) {
        rc = buf_printf(b, "Connection: %s\r\n\r\n", last ? "close" : "keep-alive");
    }
    if (!rc)
        rc = leg_data(t, DIR_CLIENT, start);
    if (rc)
        return rc;
    g->st.http_requests++;

    /* response: status, then a body from the size mix, maybe gzip'd, maybe chunked */
    uint32_t s = rng_below(r, 100);
    int status = (s < 4 && *method == 'G') ? 304 : s < 8 ? 404 : s < 10 ? 302 : 200;
    const char *reason = status == 200   ? "OK"
                         : status == 304 ? "Not Modified"
                         : status == 404 ? "Not Found"
                                         : "Found";
    struct buf *raw = &g->scratch, *enc = &g->scratch3;
    raw->len = enc->len = 0;
    const char *ctype = status == 200 ? ext->ctype : "text/html; charset=iso-8859-1";
    int text = status == 200 ? ext->body == BODY_TEXT : 1;
    if (status == 200)
        rc = make_body(g, raw, r, ext->body, pick_size(o, r));
    else if (status != 304)
        rc = buf_printf(raw,
                        "<html><head><title>%d %s</title></head><body><h1>%s</h1></body>"
                        "</html>\n",
                        status, reason, reason);
    int gz = !rc && status != 304 && text && raw->len > 0 && rng_pct(r, o->gzip_pct);
    int chunked = !rc && status != 304 && rng_pct(r, o->chunked_pct);
    if (!rc && gz)
        rc = deflate_append(&g->zgzip, enc, raw->p, raw->len); /* RFC 1952 */
    else if (!rc)
        rc = buf_put(enc, raw->p, raw->len);

    start = b->len;
    if (!rc)
        rc = buf_printf(b, "HTTP/1.1 %d %s\r\nDate: %s\r\nServer: %s\r\n", status, reason, date,
                        f->idx % 3 ? "nginx/1.24.0" : "Apache/2.4.57 (Debian)");
    if (!rc && status == 302)
        rc = buf_printf(b, "Location: http://%s/%s/\r\n", host, DIRS[rng_below(r, 16)]);
    if (!rc && status != 304)
        rc = buf_printf(b, "Content-Type: %s\r\n%s", ctype, gz ? "Content-Encoding: gzip\r\n" : "");
    if (!rc && status == 304)
        rc = buf_printf(b, "ETag: \"%08x\"\r\n", rng_below(r, 0xffffffffu));
    else if (!rc && chunked)
        rc = buf_str(b, "Transfer-Encoding: chunked\r\n");
    else if (!rc)
        rc = buf_printf(b, "Content-Length: %zu\r\n", enc->len);
    if (!rc)
        rc = buf_printf(b, "Cache-Control: max-age=%u\r\nConnection: %s\r\n\r\n",
                        rng_below(r, 86400), last ? "close" : "keep-alive");
    /* HEAD and 304 responses carry headers only (RFC 9110 9.3.2, 15.4.5). */
    if (!rc && status != 304 && *method != 'H')
        rc = chunked ? chunked_append(b, r, enc->p, enc->len) : buf_put(b, enc->p, enc->len);
    return rc ? rc : leg_data(t, DIR_SERVER, start);
}

/* Appends `lines` lines of text to a mail; one starts with a dot, stuffed per RFC 5321 4.5.2. */
static int mail_text(struct buf *b, uint64_t *r, unsigned lines)
{
    int rc = SPU_OK;
    for (unsigned i = 0; !rc && i < lines; i++) {
        if (i == lines / 2)
            rc = buf_str(b, "..and a line that starts with a dot\r\n");
        size_t len = 0;
        while (!rc && len < 60) {
            const char *w = word(r);
            rc = buf_printf(b, "%s%s", len ? " " : "", w);
            len += strlen(w) + 1;
        }
        if (!rc)
            rc = buf_str(b, "\r\n");
    }
    return rc;
}

/* Appends the base64 encoding of in[0..n) in 76-character lines (RFC 2045 6.8), by libcrypto. */
static int base64_lines(struct buf *b, const uint8_t *in, size_t n)
{
    unsigned char line[80];
    int rc = SPU_OK;
    for (size_t off = 0; !rc && off < n; off += 57) {
        size_t c = n - off < 57 ? n - off : 57;
        int w = EVP_EncodeBlock(line, in + off, (int)c);
        rc = buf_put(b, line, (size_t)w);
        if (!rc)
            rc = buf_str(b, "\r\n");
    }
    return rc;
}

static int smtp_mail(struct gen *g, struct flow *f, struct txn *t)
{
    uint64_t *r = &f->rng;
    struct buf *b = &t->data;
    char host[64], date[64], from[160], to[3][160];
    host_name(f, host, sizeof host);
    http_date(g, date, sizeof date);
    snprintf(from, sizeof from, "%s.%u@%s%s.%s", word(r), f->idx, word(r), word(r),
             TLDS[rng_below(r, 8)]);
    unsigned nrcpt = 1 + rng_below(r, 3);
    for (unsigned i = 0; i < nrcpt; i++)
        snprintf(to[i], sizeof to[i], "%s%u@%s", word(r), rng_below(r, 1000), host + 3);

    int rc = sayf(t, DIR_CLIENT, "MAIL FROM:<%s>\r\n", from);
    if (!rc)
        rc = sayf(t, DIR_SERVER, "250 2.1.0 Ok\r\n");
    for (unsigned i = 0; !rc && i < nrcpt; i++) {
        rc = sayf(t, DIR_CLIENT, "RCPT TO:<%s>\r\n", to[i]);
        if (!rc)
            rc = sayf(t, DIR_SERVER, "250 2.1.5 Ok\r\n");
    }
    if (!rc)
        rc = sayf(t, DIR_CLIENT, "DATA\r\n");
    if (!rc)
        rc = sayf(t, DIR_SERVER, "354 End data with <CR><LF>.<CR><LF>\r\n");
    if (rc)
        return rc;

    size_t start = b->len;
    uint64_t boundary = rng_next(r);
    rc = buf_printf(b,
                    "Received: from client%u.example.org ([10.%u.%u.%u])\r\n\tby %s with ESMTP; "
                    "%s\r\nFrom: \"%s %s\" <%s>\r\nTo: <%s>",
                    f->idx, (client_ip(f->idx) >> 16) & 255, (client_ip(f->idx) >> 8) & 255,
                    client_ip(f->idx) & 255, host, date, word(r), word(r), from, to[0]);
    for (unsigned i = 1; !rc && i < nrcpt; i++)
        rc = buf_printf(b, ",\r\n\t<%s>", to[i]);
    const char *fname = FILES[rng_below(r, 12)];
    const struct ext_type *ext = &EXTS[FIRST_BINARY_EXT + rng_below(r, NEXTS - FIRST_BINARY_EXT)];
    if (!rc)
        rc = buf_printf(b,
                        "\r\nSubject: %s %s %s\r\nDate: %s\r\nMessage-ID: <%016" PRIx64 "@%s>\r\n"
                        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n\tboundary=\""
                        "----=_Part_%016" PRIx64 "\"\r\n\r\nThis is a multi-part message in MIME "
                        "format.\r\n\r\n------=_Part_%016" PRIx64 "\r\nContent-Type: text/plain; "
                        "charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n",
                        word(r), word(r), word(r), date, rng_next(r), host + 3, boundary, boundary);
    if (!rc)
        rc = mail_text(b, r, 4 + rng_below(r, 30));
    if (!rc)
        rc = buf_printf(b,
                        "\r\n------=_Part_%016" PRIx64 "\r\nContent-Type: %s; name=\"%s.%s\"\r\n"
                        "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; "
                        "filename=\"%s.%s\"\r\n\r\n",
                        boundary, ext->ctype, fname, ext->ext, fname, ext->ext);
    struct buf *att = &g->scratch;
    att->len = 0;
    if (!rc)
        rc = make_body(g, att, r, ext->body, pick_size(g->o, r) + 16);
    if (!rc)
        rc = base64_lines(b, att->p, att->len);
    if (!rc)
        rc = buf_printf(b, "\r\n------=_Part_%016" PRIx64 "--\r\n.\r\n", boundary);
    if (!rc)
        rc = leg_data(t, DIR_CLIENT, start);
    if (!rc)
        rc = sayf(t, DIR_SERVER, "250 2.0.0 Ok: queued as %010" PRIX64 "\r\n",
                  rng_next(r) & UINT64_C(0xffffffffff));
    if (!rc)
        g->st.smtp_mails++;
    return rc;
}

static int smtp_greet(struct flow *f, struct txn *t)
{
    char host[64];
    host_name(f, host, sizeof host);
    int rc = sayf(t, DIR_SERVER, "220 %s ESMTP Postfix (Debian/GNU)\r\n", host);
    if (!rc)
        rc = sayf(t, DIR_CLIENT, "EHLO client%u.example.org\r\n", f->idx);
    if (!rc)
        rc = sayf(t, DIR_SERVER,
                  "250-%s\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n"
                  "250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8\r\n",
                  host);
    return rc;
}

/* Builds the flow's next transaction into t and advances its phase. */
static int txn_build(struct gen *g, struct flow *f, struct txn *t)
{
    int rc = SPU_OK;
    t->data.len = 0;
    t->nlegs = t->li = 0;
    t->off = 0;
    t->segs = 0;
    t->pending_ack = 0;
    switch (f->phase) {
    case PH_OPEN:
        rc = leg_ctrl(t, DIR_CLIENT, TH_SYN);
        if (!rc)
            rc = leg_ctrl(t, DIR_SERVER, TH_SYN | TH_ACK);
        if (!rc)
            rc = leg_ctrl(t, DIR_CLIENT, TH_ACK);
        f->phase = f->kind == KIND_SMTP ? PH_GREET : f->left ? PH_DATA : PH_CLOSE;
        break;
    case PH_GREET:
        rc = smtp_greet(f, t);
        f->phase = f->left ? PH_DATA : PH_QUIT;
        break;
    case PH_DATA:
        f->left--;
        rc = f->kind == KIND_HTTP ? http_exchange(g, f, t, f->left == 0) : smtp_mail(g, f, t);
        f->phase = f->left ? PH_DATA : f->kind == KIND_SMTP ? PH_QUIT : PH_CLOSE;
        break;
    case PH_QUIT:
        rc = sayf(t, DIR_CLIENT, "QUIT\r\n");
        if (!rc)
            rc = sayf(t, DIR_SERVER, "221 2.0.0 Bye\r\n");
        f->phase = PH_CLOSE;
        break;
    case PH_CLOSE:
        rc = leg_ctrl(t, DIR_CLIENT, TH_FIN | TH_ACK);
        if (!rc)
            rc = leg_ctrl(t, DIR_SERVER, TH_FIN | TH_ACK);
        if (!rc)
            rc = leg_ctrl(t, DIR_CLIENT, TH_ACK);
        f->phase = PH_DONE;
        break;
    default:
        rc = SPU_ESTATE;
    }
    return rc;
}

/*
 * Sends the next packet of transaction t. The receiver ACKs every second full
 * segment and the end of a leg, unless its own next leg carries the ACK.
 * Sets *done when the transaction has been sent completely.
 */
static int txn_step(struct gen *g, struct flow *f, struct txn *t, int *done)
{
    int rc;
    *done = 0;
    if (t->pending_ack) {
        t->pending_ack = 0;
        rc = emit_packet(g, f, t->ack_dir, TH_ACK, NULL, 0);
    } else {
        struct leg *l = &t->legs[t->li];
        if (l->ctrl) {
            rc = emit_packet(g, f, l->dir, l->ctrl, NULL, 0);
            t->li++;
        } else {
            size_t n = l->len - t->off;
            if (n > g->o->mss)
                n = g->o->mss;
            int end = t->off + n == l->len;
            rc = emit_packet(g, f, l->dir, (uint8_t)(TH_ACK | (end ? TH_PSH : 0)),
                             t->data.p + l->off + t->off, n);
            t->off += n;
            t->segs++;
            if (end) {
                t->li++;
                t->off = 0;
                t->segs = 0;
                const struct leg *next = t->li < t->nlegs ? &t->legs[t->li] : NULL;
                t->pending_ack = !next || next->dir == l->dir || next->ctrl;
            } else {
                t->pending_ack = t->segs % 2 == 0;
            }
            t->ack_dir = (uint8_t)!l->dir;
        }
    }
    *done = t->li == t->nlegs && !t->pending_ack;
    return rc;
}

static void flow_init(struct gen *g, struct flow *f, uint32_t idx)
{
    const struct gen_opts *o = g->o;
    memset(f, 0, sizeof *f);
    f->idx = idx;
    f->rng = o->seed * 0x2545f4914f6cdd1dULL + idx;
    rng_next(&f->rng);
    /* Exactly floor(flows * smtp_pct / 100) flows are SMTP, spread evenly. */
    f->kind = (uint64_t)(idx + 1) * o->smtp_pct / 100 > (uint64_t)idx * o->smtp_pct / 100
                  ? KIND_SMTP
                  : KIND_HTTP;
    f->seq[0] = (uint32_t)rng_next(&f->rng);
    f->seq[1] = (uint32_t)rng_next(&f->rng);
    f->ipid[0] = (uint16_t)rng_next(&f->rng);
    f->ipid[1] = (uint16_t)rng_next(&f->rng);
    f->left = (uint16_t)(f->kind == KIND_HTTP ? rng_range(&f->rng, o->requests)
                                              : rng_range(&f->rng, o->mails));
    f->phase = PH_OPEN;
    g->st.flows++;
    if (f->kind == KIND_HTTP)
        g->st.http_flows++;
    else
        g->st.smtp_flows++;
}

/* Takes a flow (a new one while fewer than `concurrent` are open, else an idle one) and
 * starts its next transaction. Returns SPU_DONE when no flow has anything left to send. */
static int activate(struct gen *g)
{
    uint32_t slot;
    if (g->nopen < g->o->concurrent && g->next_idx < g->o->flows) {
        slot = g->free_slots[--g->nfree];
        flow_init(g, &g->flows[slot], g->next_idx++);
        g->nopen++;
    } else if (g->nidle > 0) {
        uint32_t j = rng_below(&g->rng, g->nidle);
        slot = g->idle[j];
        g->idle[j] = g->idle[--g->nidle];
    } else {
        return SPU_DONE;
    }
    uint32_t ti = g->free_txns[--g->nfree_txns];
    g->slot_txn[slot] = ti;
    g->active[g->nactive++] = slot;
    return txn_build(g, &g->flows[slot], &g->txns[ti]);
}

static int gen_run(struct gen *g)
{
    for (;;) {
        while (g->nactive < g->o->active) {
            int rc = activate(g);
            if (rc == SPU_DONE)
                break;
            if (rc)
                return rc;
        }
        if (g->nactive == 0)
            return SPU_OK;
        uint32_t j = rng_below(&g->rng, g->nactive);
        uint32_t slot = g->active[j];
        struct flow *f = &g->flows[slot];
        int done;
        int rc = txn_step(g, f, &g->txns[g->slot_txn[slot]], &done);
        if (rc)
            return rc;
        if (!done)
            continue;
        g->free_txns[g->nfree_txns++] = g->slot_txn[slot];
        g->active[j] = g->active[--g->nactive];
        if (f->phase == PH_DONE) {
            g->free_slots[g->nfree++] = slot;
            g->nopen--;
        } else {
            g->idle[g->nidle++] = slot;
        }
    }
}

static void gen_fini(struct gen *g)
{
    if (g->dump)
        pcap_dump_close(g->dump);
    if (g->dead)
        pcap_close(g->dead);
    for (uint32_t i = 0; g->txns && i < g->o->active; i++)
        free(g->txns[i].data.p);
    free(g->txns);
    free(g->free_txns);
    free(g->flows);
    free(g->slot_txn);
    free(g->free_slots);
    free(g->idle);
    free(g->active);
    free(g->scratch.p);
    free(g->scratch2.p);
    free(g->scratch3.p);
    free(g->scratch4.p);
    if (g->zinit & 1)
        deflateEnd(&g->zgzip);
    if (g->zinit & 2)
        deflateEnd(&g->zpng);
    free(g->frame);
}

static int gen_init(struct gen *g, const struct gen_opts *o, char *err, size_t errlen)
{
    memset(g, 0, sizeof *g);
    g->o = o;
    g->rng = o->seed ^ 0x6a09e667f3bcc908ULL;
    uint32_t c = o->concurrent;
    g->flows = calloc(c, sizeof *g->flows);
    g->slot_txn = calloc(c, sizeof *g->slot_txn);
    g->free_slots = calloc(c, sizeof *g->free_slots);
    g->idle = calloc(c, sizeof *g->idle);
    g->active = calloc(o->active, sizeof *g->active);
    g->txns = calloc(o->active, sizeof *g->txns);
    g->free_txns = calloc(o->active, sizeof *g->free_txns);
    g->frame = malloc(14 + 20 + 24 + o->mss);
    if (!g->flows || !g->slot_txn || !g->free_slots || !g->idle || !g->active || !g->txns ||
        !g->free_txns || !g->frame) {
        snprintf(err, errlen, "%s", spu_strerror(SPU_ENOMEM));
        return SPU_ENOMEM;
    }
    if (deflateInit2(&g->zgzip, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) == Z_OK)
        g->zinit |= 1;
    if (deflateInit2(&g->zpng, Z_BEST_SPEED, Z_DEFLATED, 15, 8, Z_DEFAULT_STRATEGY) == Z_OK)
        g->zinit |= 2;
    if (g->zinit != 3) {
        snprintf(err, errlen, "zlib: %s", spu_strerror(SPU_ENOMEM));
        return SPU_ENOMEM;
    }
    for (uint32_t i = 0; i < c; i++)
        g->free_slots[i] = c - 1 - i;
    g->nfree = c;
    for (uint32_t i = 0; i < o->active; i++)
        g->free_txns[i] = i;
    g->nfree_txns = o->active;
    g->dead =
        pcap_open_dead_with_tstamp_precision(DLT_EN10MB, GEN_SNAPLEN, PCAP_TSTAMP_PRECISION_MICRO);
    if (!g->dead) {
        snprintf(err, errlen, "%s", spu_strerror(SPU_ENOMEM));
        return SPU_ENOMEM;
    }
    FILE *fp = fopen(o->out, "wb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", o->out, strerror(errno));
        return SPU_EIO;
    }
    setvbuf(fp, NULL, _IOFBF, 1u << 20); /* fewer, larger writes for captures of gigabytes */
    g->dump = pcap_dump_fopen(g->dead, fp);
    if (!g->dump) {
        snprintf(err, errlen, "%s: %s", o->out, pcap_geterr(g->dead));
        fclose(fp);
        return SPU_EIO;
    }
    return SPU_OK;
}

/* ---- options ---- */

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    if (!s || *s < '0' || *s > '9')
        return SPU_EINVAL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return SPU_ERANGE;
    *out = v;
    return SPU_OK;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
    uint64_t v;
    int rc = parse_u64(s, min, max, &v);
    if (!rc)
        *out = (uint32_t)v;
    return rc;
}

/* "N" or "MIN:MAX" */
static int parse_range(const char *s, uint32_t max, struct range *r)
{
    char tmp[64];
    if (strlen(s) >= sizeof tmp)
        return SPU_EINVAL;
    strcpy(tmp, s);
    char *colon = strchr(tmp, ':');
    if (colon)
        *colon = '\0';
    int rc = parse_u32(tmp, 0, max, &r->lo);
    r->hi = r->lo;
    if (!rc && colon)
        rc = parse_u32(colon + 1, r->lo, max, &r->hi);
    return rc;
}

/* "SIZE:WEIGHT,SIZE:WEIGHT,..." with sizes in bytes */
static int parse_sizes(const char *s, struct gen_opts *o)
{
    char tmp[512];
    if (strlen(s) >= sizeof tmp)
        return SPU_EINVAL;
    strcpy(tmp, s);
    o->nsizes = 0;
    o->weight_sum = 0;
    char *save = NULL;
    for (char *tok = strtok_r(tmp, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *colon = strchr(tok, ':');
        if (!colon || o->nsizes == GEN_MAX_SIZES)
            return SPU_EINVAL;
        *colon = '\0';
        struct size_bucket *sb = &o->sizes[o->nsizes];
        int rc = parse_u32(tok, 0, 64u << 20, &sb->size);
        if (!rc)
            rc = parse_u32(colon + 1, 0, 1000000, &sb->weight);
        if (rc)
            return rc;
        o->weight_sum += sb->weight;
        o->nsizes++;
    }
    return o->nsizes && o->weight_sum ? SPU_OK : SPU_EINVAL;
}

static const char USAGE[] =
    "usage: gen -o FILE [options]\n"
    "Writes a classic pcap (Ethernet, microseconds) of synthetic HTTP/1.1 and SMTP flows.\n"
    "  -o, --out FILE          output file\n"
    "  -s, --seed N            seed (default 1); same options and seed, same bytes\n"
    "  -f, --flows N           flows in total (default 1000, at most 16000000)\n"
    "  -c, --concurrent N      flows open at once (default: min(flows, 10000))\n"
    "  -a, --active N          flows sending at once, interleaved by packet (default 64)\n"
    "  -r, --requests N|A:B    HTTP requests per flow (default 1:4)\n"
    "  -m, --mails N|A:B       mails per SMTP session (default 1:2)\n"
    "      --smtp PCT          share of flows that are SMTP (default 20)\n"
    "      --chunked PCT       share of HTTP responses sent chunked (default 20)\n"
    "      --gzip PCT          share of text responses gzip-encoded (default 30)\n"
    "      --sizes LIST        body and attachment size mix, SIZE:WEIGHT,... in bytes\n"
    "                          (default 0:5,400:35,2000:30,12000:20,60000:8,400000:2;\n"
    "                          a size is drawn uniformly in [SIZE/2, SIZE])\n"
    "      --mss N             TCP segment size (default 1460)\n"
    "      --start SEC         timestamp of the first packet, Unix seconds (default 1700000000)\n"
    "      --pps N             packets per second of capture time (default 100000)\n"
    "  -q, --quiet             no summary line\n"
    "The summary line on stdout counts flows, HTTP requests, mails, packets and bytes.\n";

static int parse_opts(int argc, char **argv, struct gen_opts *o, char *err, size_t errlen)
{
    static const struct option longopts[] = {{"out", required_argument, NULL, 'o'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"flows", required_argument, NULL, 'f'},
                                             {"concurrent", required_argument, NULL, 'c'},
                                             {"active", required_argument, NULL, 'a'},
                                             {"requests", required_argument, NULL, 'r'},
                                             {"mails", required_argument, NULL, 'm'},
                                             {"smtp", required_argument, NULL, 1},
                                             {"chunked", required_argument, NULL, 2},
                                             {"gzip", required_argument, NULL, 3},
                                             {"sizes", required_argument, NULL, 4},
                                             {"mss", required_argument, NULL, 5},
                                             {"start", required_argument, NULL, 6},
                                             {"pps", required_argument, NULL, 7},
                                             {"quiet", no_argument, NULL, 'q'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    uint64_t concurrent = 0;
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->flows = 1000;
    o->active = 64;
    o->requests = (struct range){1, 4};
    o->mails = (struct range){1, 2};
    o->smtp_pct = 20;
    o->chunked_pct = 20;
    o->gzip_pct = 30;
    o->mss = 1460;
    o->start = 1700000000;
    o->pps = 100000;
    parse_sizes("0:5,400:35,2000:30,12000:20,60000:8,400000:2", o);
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:s:f:c:a:r:m:qh", longopts, NULL)) != -1) {
        int rc = SPU_OK;
        switch (c) {
        case 'o':
            o->out = optarg;
            break;
        case 's':
            rc = parse_u64(optarg, 0, UINT64_MAX, &o->seed);
            break;
        case 'f':
            rc = parse_u32(optarg, 1, GEN_MAX_FLOWS, &o->flows);
            break;
        case 'c':
            rc = parse_u64(optarg, 1, GEN_MAX_FLOWS, &concurrent);
            break;
        case 'a':
            rc = parse_u32(optarg, 1, 4096, &o->active);
            break;
        case 'r':
            rc = parse_range(optarg, 10000, &o->requests);
            break;
        case 'm':
            rc = parse_range(optarg, 1000, &o->mails);
            break;
        case 1:
            rc = parse_u32(optarg, 0, 100, &o->smtp_pct);
            break;
        case 2:
            rc = parse_u32(optarg, 0, 100, &o->chunked_pct);
            break;
        case 3:
            rc = parse_u32(optarg, 0, 100, &o->gzip_pct);
            break;
        case 4:
            rc = parse_sizes(optarg, o);
            break;
        case 5:
            rc = parse_u32(optarg, 64, 9000, &o->mss);
            break;
        case 6:
            rc = parse_u64(optarg, 0, 4000000000u, &o->start);
            break;
        case 7:
            rc = parse_u64(optarg, 1, 1000000000u, &o->pps);
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            return SPU_DONE;
        default:
            snprintf(err, errlen, "unknown option or missing value: %s", argv[optind - 1]);
            return SPU_EINVAL;
        }
        if (rc) {
            /* With "--opt VALUE" the option is the word before the value. */
            const char *opt = optarg == argv[optind - 1] ? argv[optind - 2] : argv[optind - 1];
            snprintf(err, errlen, "bad value '%s' in %s (%s)", optarg, opt, spu_strerror(rc));
            return rc;
        }
    }
    if (optind != argc) {
        snprintf(err, errlen, "unexpected argument: %s", argv[optind]);
        return SPU_EINVAL;
    }
    if (!o->out) {
        snprintf(err, errlen, "no output file (-o FILE)");
        return SPU_EINVAL;
    }
    if (o->mails.lo == 0 && o->smtp_pct > 0) {
        snprintf(err, errlen, "an SMTP session sends at least one mail");
        return SPU_EINVAL;
    }
    o->concurrent = (uint32_t)(concurrent ? concurrent : o->flows < 10000 ? o->flows : 10000);
    if (o->concurrent > o->flows)
        o->concurrent = o->flows;
    if (o->active > o->concurrent)
        o->active = o->concurrent;
    return SPU_OK;
}

int main(int argc, char **argv)
{
    struct gen_opts o;
    char err[512] = "";
    int rc = parse_opts(argc, argv, &o, err, sizeof err);
    if (rc == SPU_DONE) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (rc) {
        fprintf(stderr, "gen: %s\n%s", err, USAGE);
        return 2;
    }
    struct gen g;
    rc = gen_init(&g, &o, err, sizeof err);
    if (!rc) {
        rc = gen_run(&g);
        if (rc)
            snprintf(err, sizeof err, "generating: %s", spu_strerror(rc));
    }
    if (!rc && (pcap_dump_flush(g.dump) != 0 || ferror(pcap_dump_file(g.dump)))) {
        snprintf(err, sizeof err, "%s: write error", o.out);
        rc = SPU_EIO;
    }
    struct gen_stats st = g.st;
    gen_fini(&g);
    if (rc) {
        fprintf(stderr, "gen: %s\n", err);
        return 1;
    }
    if (!o.quiet)
        printf("flows=%" PRIu64 " http_flows=%" PRIu64 " smtp_flows=%" PRIu64
               " http_requests=%" PRIu64 " smtp_mails=%" PRIu64 " packets=%" PRIu64
               " bytes=%" PRIu64 "\n",
               st.flows, st.http_flows, st.smtp_flows, st.http_requests, st.smtp_mails, st.packets,
               st.bytes);
    return 0;
}
