/* filter-zlib.c - the gunzip and inflate filters (zlib).
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
 * ignored. inflate stops at the end of its one stream.
 *
 * Output is produced in 16 KiB pieces whatever the compression ratio, so a
 * decompression bomb costs CPU in bounded steps; limiting how much is kept
 * is the sink's business. zlib's own allocations (about 40 KiB per stream)
 * are made in init() and released in fini().
 */
#include "stdlib-int.h"

#include <string.h>
#include <zlib.h>

enum { Z_DETECT, Z_RUN, Z_MEMBER_END, Z_TRAILER, Z_FAILED };

struct flt_zlib {
    z_stream zs;
    uint8_t state;
    uint8_t multi; /* gunzip: more gzip members may follow */
    uint8_t nhead; /* bytes held in head[] while detecting */
    uint8_t head[2];
    uint8_t started; /* some content was seen */
};

#define ZOUT 16384

static int zinit(struct flt_zlib *s, int multi)
{
    memset(s, 0, sizeof(*s));
    s->multi = (uint8_t)multi;
    /* raw deflate by default; inflateReset2 switches the format once the
     * first bytes are known (the window is allocated lazily by zlib) */
    if (inflateInit2(&s->zs, -15) != Z_OK)
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

static int window_bits(const uint8_t h[2])
{
    if (h[0] == 0x1f && h[1] == 0x8b)
        return 16 + 15;
    unsigned cmf = h[0], flg = h[1];
    if ((cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0 && !(flg & 0x20))
        return 15;
    return -15;
}

/* Feed in[0..n) to zlib, sending output on; returns the bytes consumed
 * (all of them unless the stream ended inside this input) or -1 on error
 * with the state set to Z_FAILED. */
static long zfeed(struct flt_zlib *s, const uint8_t *in, size_t n, struct spu_ob *o)
{
    uint8_t buf[ZOUT];
    size_t done = 0;
    for (;;) {
        size_t take = n - done;
        if (take > UINT32_MAX)
            take = UINT32_MAX;
        s->zs.next_in = (Bytef *)(uintptr_t)(in + done);
        s->zs.avail_in = (uInt)take;
        s->zs.next_out = buf;
        s->zs.avail_out = sizeof(buf);
        int zr = inflate(&s->zs, Z_SYNC_FLUSH);
        size_t used = take - s->zs.avail_in;
        size_t produced = sizeof(buf) - s->zs.avail_out;
        done += used;
        s->zs.avail_in = 0;
        s->zs.next_in = Z_NULL;
        if (produced) {
            spu_ob_flush(o);
            if (o->err == SPU_OK)
                o->err = o->out(o->ctx, buf, produced);
            if (o->err)
                return -1;
        }
        if (zr == Z_STREAM_END) {
            s->state = Z_MEMBER_END;
            return (long)done;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            break;
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
            int wb = window_bits(s->head);
            s->nhead = 0;
            if (s->state == Z_MEMBER_END && (!s->multi || wb != 16 + 15)) {
                s->state = Z_TRAILER;
                continue;
            }
            if (inflateReset2(&s->zs, wb) != Z_OK) {
                s->state = Z_FAILED;
                break;
            }
            s->state = Z_RUN;
            if (zfeed(s, s->head, 2, &o) < 0)
                break;
            continue;
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
    inflateEnd(&s->zs);
}

const struct spu_filter_ops spu_flt_gunzip_ops = {
    "gunzip", sizeof(struct flt_zlib), gunzip_init, zupdate, zfinish, zfini,
};

const struct spu_filter_ops spu_flt_inflate_ops = {
    "inflate", sizeof(struct flt_zlib), inflate_init, zupdate, zfinish, zfini,
};
