/* filter-zlib.c - the gunzip and inflate filters (Intel ISA-L's inflate).
 *
 * Both look at the first two bytes of the content (held across chunks when
 * the first chunk is one byte long) and pick the format:
 *   1f 8b                      -> gzip (RFC 1952)
 *   a valid zlib header        -> zlib (RFC 1950): CM 8, window <= 32K,
 *                                 no preset dictionary, header check ok
 *   anything else              -> raw deflate (RFC 1951)
 * so Content-Encoding: deflate works with the zlib stream the RFC wants and
 * the raw stream many servers send, and gzip works with either too.
 * gunzip decodes multi-member gzip files: after a member ends, a following
 * gzip header starts the next one; any other trailing bytes (padding) are
 * ignored. inflate stops at the end of its one stream. The gzip CRC-32 and
 * length and the zlib Adler-32 are checked: a mismatch is a format error.
 *
 * The gzip header is read here, byte by byte across chunks, with zlib's
 * checks (CM 8, no reserved FLG bit, FHCRC right): ISA-L 2.30's own reader
 * loses its place when a header with several optional fields is split
 * across calls, and it ignores the reserved bits, which zlib (and so the
 * browsers) refuse. ISA-L then decodes the deflate data and checks the
 * trailer (ISAL_GZIP_NO_HDR_VER; ISAL_ZLIB_NO_HDR_VER after the two zlib
 * header bytes, already checked by the format detection). One known
 * difference from zlib remains: a raw deflate stream whose Huffman code
 * is incomplete may be decoded where zlib refuses it (no content is hidden
 * that way: zlib decodes nothing there); gzip and zlib streams are refused
 * by their checksums (tests/unit/test-filters.c compares with zlib).
 *
 * Output is produced in 16 KiB pieces whatever the compression ratio, so a
 * decompression bomb costs CPU in bounded steps; limiting how much is kept
 * is the sink's business. The decoder state (ISA-L's struct inflate_state,
 * 85 KiB with its window; zlib needed about 40) is allocated in init() and
 * released in fini(). ISA-L rather than zlib: on the http bench capture it
 * decodes the same bodies in well under half of zlib's CPU (perf: 0.18 s
 * against 0.41 s; its CRC-32 uses PCLMULQDQ, zlib's crc32_z alone took
 * 0.11 s).
 */
#include "stdlib-int.h"

#include <isa-l/crc.h>
#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

enum { Z_DETECT, Z_GZHDR, Z_RUN, Z_MEMBER_END, Z_TRAILER, Z_FAILED };

/* the parts of a gzip header after ID1 ID2, in order (RFC 1952 2.3) */
enum { H_FIXED, H_XLEN, H_EXTRA, H_NAME, H_COMMENT, H_HCRC, H_DONE };
enum { FHCRC = 2, FEXTRA = 4, FNAME = 8, FCOMMENT = 16, FRESERVED = 0xe0 };

struct flt_zlib {
    struct inflate_state *is;
    uint32_t hcrc;  /* CRC-32 of the gzip header so far (with FHCRC) */
    uint16_t hleft; /* bytes left in the fixed-size header part */
    uint16_t hval;  /* XLEN or the header CRC, little-endian, so far */
    uint8_t hpart;  /* H_* */
    uint8_t flg;
    uint8_t state;
    uint8_t multi; /* gunzip: more gzip members may follow */
    uint8_t nhead; /* bytes held in head[] while detecting */
    uint8_t head[2];
    uint8_t started; /* some content was seen */
    uint8_t nback;   /* bytes in back[] */
    uint8_t back[8]; /* read past the end of a stream, from earlier input */
};

#define ZOUT 16384

static int zinit(struct flt_zlib *s, int multi)
{
    memset(s, 0, sizeof(*s));
    s->multi = (uint8_t)multi;
    s->is = malloc(sizeof(*s->is));
    if (!s->is)
        return SPU_ENOMEM;
    s->state = Z_DETECT;
    return SPU_OK;
}

static int gunzip_init(void *st)
{
    return zinit(st, 1);
}

static int inflate_init(void *st)
{
    return zinit(st, 0);
}

/* The ISA-L wrapper (crc_flag) for a stream starting with h[0..1]. */
static uint32_t wrapper(const uint8_t h[2])
{
    if (h[0] == 0x1f && h[1] == 0x8b)
        return ISAL_GZIP;
    unsigned cmf = h[0], flg = h[1];
    if ((cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0 && !(flg & 0x20))
        return ISAL_ZLIB;
    return ISAL_DEFLATE;
}

/* Move on to the next gzip header part present (per FLG); after the last
 * one the deflate data starts. */
static void next_part(struct flt_zlib *s)
{
    for (;;) {
        s->hpart++;
        s->hval = 0;
        switch (s->hpart) {
        case H_XLEN:
            if (s->flg & FEXTRA) {
                s->hleft = 2;
                return;
            }
            break;
        case H_EXTRA:
            if ((s->flg & FEXTRA) && s->hleft)
                return; /* hleft = XLEN */
            break;
        case H_NAME:
            if (s->flg & FNAME)
                return;
            break;
        case H_COMMENT:
            if (s->flg & FCOMMENT)
                return;
            break;
        case H_HCRC:
            if (s->flg & FHCRC) {
                s->hleft = 2;
                return;
            }
            break;
        default:
            isal_inflate_init(s->is);
            s->is->crc_flag = ISAL_GZIP_NO_HDR_VER;
            s->state = Z_RUN;
            return;
        }
    }
}

/* Read gzip header bytes (after ID1 ID2) from in[0..n); returns the bytes
 * used: all of them, or up to the end of the header (state Z_RUN), or up
 * to a bad byte (state Z_FAILED). */
static size_t gz_header(struct flt_zlib *s, const uint8_t *in, size_t n)
{
    size_t i = 0;
    while (i < n && s->state == Z_GZHDR) {
        uint8_t c = in[i++];
        int end = 0;
        switch (s->hpart) {
        case H_FIXED: /* CM FLG MTIME XFL OS */
            if ((s->hleft == 8 && c != 8) || (s->hleft == 7 && (c & FRESERVED))) {
                s->state = Z_FAILED; /* zlib: unknown method, unknown flags */
                return i;
            }
            if (s->hleft == 7) {
                s->flg = c;
                if (c & FHCRC)
                    s->hcrc = crc32_gzip_refl(0, (const uint8_t[]){0x1f, 0x8b, 8}, 3);
            }
            end = --s->hleft == 0;
            break;
        case H_XLEN:
            s->hval = (uint16_t)(s->hval | c << (s->hleft == 2 ? 0 : 8));
            end = --s->hleft == 0;
            if (end)
                s->hleft = s->hval; /* the length of EXTRA */
            break;
        case H_EXTRA:
            end = --s->hleft == 0;
            break;
        case H_NAME:
        case H_COMMENT:
            end = c == 0;
            break;
        case H_HCRC:
            s->hval = (uint16_t)(s->hval | c << (s->hleft == 2 ? 0 : 8));
            if (--s->hleft == 0 && s->hval != (s->hcrc & 0xffff)) {
                s->state = Z_FAILED; /* zlib: header crc mismatch */
                return i;
            }
            end = s->hleft == 0;
            break;
        }
        if ((s->flg & FHCRC) && s->hpart != H_HCRC)
            s->hcrc = crc32_gzip_refl(s->hcrc, &c, 1);
        if (end)
            next_part(s);
    }
    return i;
}

/* Feed in[0..n) to the decoder, sending output on; returns the bytes
 * consumed (all of them unless the stream ended inside this input) or -1
 * on error (bad data, bad checksum, a preset dictionary) with the state
 * set to Z_FAILED. On bad deflate data the output of that isal_inflate()
 * call is dropped: its fast path may have written bytes past the bad
 * symbol (zlib stops exactly there), so they are not data; what earlier
 * calls wrote was decoded from good input and stays. How much that is depends
 * on where the chunks were cut, as the sinks expect of a failing filter
 * (runtime/vm/gvm-sink.c). */
static long zfeed(struct flt_zlib *s, const uint8_t *in, size_t n, struct spu_ob *o)
{
    uint8_t buf[ZOUT];
    struct inflate_state *is = s->is;
    size_t done = 0;
    for (;;) {
        size_t take = n - done;
        if (take > UINT32_MAX)
            take = UINT32_MAX;
        is->next_in = (uint8_t *)(uintptr_t)(in + done);
        is->avail_in = (uint32_t)take;
        is->next_out = buf;
        is->avail_out = sizeof(buf);
        int rc = isal_inflate(is);
        size_t used = take - is->avail_in;
        size_t produced = sizeof(buf) - is->avail_out;
        done += used;
        is->avail_in = 0;
        is->next_in = NULL;
        if (rc == ISAL_INVALID_BLOCK || rc == ISAL_INVALID_SYMBOL || rc == ISAL_INVALID_LOOKBACK)
            break; /* what this call wrote is not sent: see above */
        if (produced) {
            spu_ob_flush(o);
            if (o->err == SPU_OK)
                o->err = o->out(o->ctx, buf, produced);
            if (o->err)
                return -1;
        }
        if (rc != ISAL_DECOMP_OK)
            break; /* a bad checksum (all the data came out, as with zlib) */
        if (is->block_state == ISAL_BLOCK_FINISH) {
            /* after raw deflate and zlib streams ISA-L keeps the whole
             * bytes it read ahead in its bit buffer: they follow the
             * stream, so they are given back (those of this input by
             * not counting them, earlier ones through back[]) */
            int32_t bits = is->read_in_length;
            size_t ahead = bits > 0 ? (size_t)bits / 8 : 0;
            size_t mine = ahead < used ? ahead : used;
            done -= mine;
            s->nback = 0;
            for (size_t i = 0; i < ahead - mine && i < sizeof(s->back); i++)
                s->back[s->nback++] = (uint8_t)(is->read_in >> (bits % 8 + 8 * (int)i));
            s->state = Z_MEMBER_END;
            return (long)done;
        }
        /* all input taken and the output not full: nothing is pending */
        if (done == n && produced < sizeof(buf))
            return (long)done;
        if (used == 0 && produced == 0)
            break; /* no progress with input and room: cannot happen on a sane stream */
    }
    s->state = Z_FAILED;
    return -1;
}

/* The filter's state machine over in[0..n). */
static void zbytes(struct flt_zlib *s, const uint8_t *in, size_t n, struct spu_ob *o)
{
    while ((n || s->nback) && s->state != Z_FAILED && !o->err) {
        if (s->nback) {
            /* bytes read past a stream's end from earlier input come
             * first; at most 8, so no stream ends in them */
            uint8_t b[sizeof(s->back)];
            size_t k = s->nback;
            memcpy(b, s->back, k);
            s->nback = 0;
            zbytes(s, b, k, o);
            continue;
        }
        if (s->state == Z_TRAILER)
            return; /* bytes after the last stream are ignored */
        if (s->state == Z_DETECT || s->state == Z_MEMBER_END) {
            s->head[s->nhead++] = *in++;
            n--;
            if (s->nhead < 2)
                continue;
            uint32_t w = wrapper(s->head);
            s->nhead = 0;
            if (s->state == Z_MEMBER_END && (!s->multi || w != ISAL_GZIP)) {
                s->state = Z_TRAILER;
                continue;
            }
            if (w == ISAL_GZIP) {
                s->state = Z_GZHDR;
                s->hpart = H_FIXED;
                s->hleft = 8;
                s->flg = 0;
                continue;
            }
            isal_inflate_init(s->is);
            s->state = Z_RUN;
            if (w == ISAL_ZLIB) {
                s->is->crc_flag = ISAL_ZLIB_NO_HDR_VER; /* the header is checked */
                continue;
            }
            s->is->crc_flag = ISAL_DEFLATE;
            if (zfeed(s, s->head, 2, o) < 0)
                return;
            continue;
        }
        if (s->state == Z_GZHDR) {
            size_t used = gz_header(s, in, n);
            in += used;
            n -= used;
            continue;
        }
        long used = zfeed(s, in, n, o);
        if (used < 0)
            return;
        in += used;
        n -= (size_t)used;
    }
}

static int zupdate(void *st, const uint8_t *in, size_t n, spu_filter_out out, void *ctx)
{
    struct flt_zlib *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    if (n)
        s->started = 1;
    zbytes(s, in, n, &o);
    if (o.err)
        return o.err;
    return s->state == Z_FAILED ? SPU_EFORMAT : SPU_OK;
}

static int zfinish(void *st, spu_filter_out out, void *ctx)
{
    struct flt_zlib *s = st;
    (void)out;
    (void)ctx;
    switch (s->state) {
    case Z_MEMBER_END:
        /* one stray byte after a complete member is padding, not a member */
    case Z_TRAILER:
        return SPU_OK;
    case Z_DETECT:
        return s->started ? SPU_EFORMAT : SPU_OK; /* empty content is fine */
    case Z_GZHDR: /* a header cut short */
    default:
        return SPU_EFORMAT; /* truncated stream, or already failed */
    }
}

static void zfini(void *st)
{
    struct flt_zlib *s = st;
    free(s->is);
    s->is = NULL;
}

const struct spu_filter_ops spu_flt_gunzip_ops = {
    "gunzip", sizeof(struct flt_zlib), gunzip_init, zupdate, zfinish, zfini,
};

const struct spu_filter_ops spu_flt_inflate_ops = {
    "inflate", sizeof(struct flt_zlib), inflate_init, zupdate, zfinish, zfini,
};
