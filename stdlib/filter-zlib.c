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
 * Output is produced in 16 KiB pieces whatever the compression ratio, so a
 * decompression bomb costs CPU in bounded steps; limiting how much is kept
 * is the sink's business. The decoder state (ISA-L's struct inflate_state,
 * about 90 KiB with its window) is allocated in init() and released in
 * fini(). ISA-L rather than zlib: on the http bench capture it decodes the
 * same bodies in about a third of zlib's CPU (its CRC-32 uses PCLMULQDQ).
 */
#include "stdlib-int.h"

#include <isa-l/igzip_lib.h>
#include <stdlib.h>
#include <string.h>

enum { Z_DETECT, Z_RUN, Z_MEMBER_END, Z_TRAILER, Z_FAILED };

struct flt_zlib {
    struct inflate_state *is;
    uint8_t state;
    uint8_t multi; /* gunzip: more gzip members may follow */
    uint8_t nhead; /* bytes held in head[] while detecting */
    uint8_t head[2];
    uint8_t started; /* some content was seen */
    uint8_t to_flg;  /* gzip: the FLG byte is input byte to_flg - 1 (0: checked) */
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

/* Feed in[0..n) to the decoder, sending output on; returns the bytes
 * consumed (all of them unless the stream ended inside this input) or -1
 * on error with the state set to Z_FAILED. */
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
        if (produced) {
            spu_ob_flush(o);
            if (o->err == SPU_OK)
                o->err = o->out(o->ctx, buf, produced);
            if (o->err)
                return -1;
        }
        if (rc != ISAL_DECOMP_OK)
            break; /* bad data, bad checksum, or a preset dictionary */
        if (is->block_state == ISAL_BLOCK_FINISH) {
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

static int zupdate(void *st, const uint8_t *in, size_t n, spu_filter_out out, void *ctx)
{
    struct flt_zlib *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    if (n)
        s->started = 1;
    while (n && s->state != Z_FAILED && !o.err) {
        if (s->state == Z_TRAILER)
            return SPU_OK; /* bytes after the last stream are ignored */
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
            isal_inflate_init(s->is);
            s->is->crc_flag = w;
            s->state = Z_RUN;
            s->to_flg = w == ISAL_GZIP ? 2 : 0; /* after CM */
            if (zfeed(s, s->head, 2, &o) < 0)
                break;
            continue;
        }
        if (s->to_flg) {
            /* reserved FLG bits: ISA-L skips them, zlib (and so the
             * browsers) refuse the member; do as the browsers do */
            if (n < s->to_flg) {
                s->to_flg = (uint8_t)(s->to_flg - n);
            } else if (in[s->to_flg - 1] & 0xe0) {
                s->state = Z_FAILED;
                break;
            } else {
                s->to_flg = 0;
            }
        }
        long used = zfeed(s, in, n, &o);
        if (used < 0)
            break;
        in += used;
        n -= (size_t)used;
    }
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
