/* Unit tests for the streaming filters (stdlib/filter-text.c,
 * filter-html.c, filter-zlib.c, filters.c): known outputs, the same output
 * for every split of small inputs and random splits of large ones, gzip /
 * zlib / raw deflate made with zlib here, bad and truncated input, and
 * output in bounded pieces. */
#include "stdlib-test.h"

#include <stdio.h>
#include <zlib.h>

/* ---- running a filter ---- */

struct out {
    uint8_t *p;
    size_t len, cap;
    size_t max_piece;
    size_t pieces;
    int fail_after; /* return SPU_ELIMIT once this many bytes came (0: never) */
};

static int collect(void *ctx, const uint8_t *p, size_t n)
{
    struct out *o = ctx;
    cr_assert_gt(n, 0, "empty output piece");
    if (o->len + n > o->cap) {
        o->cap = (o->len + n) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
    o->pieces++;
    o->max_piece = n > o->max_piece ? n : o->max_piece;
    return o->fail_after && o->len >= (size_t)o->fail_after ? SPU_ELIMIT : SPU_OK;
}

struct result {
    int update_rc; /* first non-OK update() result */
    int finish_rc;
};

/* Feed in[0..n) cut at the offsets in cuts[] (ascending), then finish. */
static struct result run(unsigned flt, const uint8_t *in, size_t n, const size_t *cuts,
                         size_t ncuts, struct out *o)
{
    const struct spu_filter_ops *ops = spu_filters[flt];
    void *st = aligned_alloc(16, (ops->state_size + 15) & ~(size_t)15);
    struct result r = {SPU_OK, SPU_OK};
    cr_assert_eq(ops->init(st), SPU_OK);
    size_t at = 0;
    for (size_t k = 0; k <= ncuts && r.update_rc == SPU_OK; k++) {
        size_t end = k < ncuts ? cuts[k] : n;
        r.update_rc = ops->update(st, in + at, end - at, collect, o);
        at = end;
    }
    r.finish_rc = r.update_rc == SPU_OK ? ops->finish(st, collect, o) : r.update_rc;
    ops->fini(st);
    free(st);
    return r;
}

static struct out one_shot(unsigned flt, const void *in, size_t n, struct result *r)
{
    struct out o = {0};
    *r = run(flt, in, n, NULL, 0, &o);
    return o;
}

static void same(const struct out *a, const struct out *b, const char *what, size_t at)
{
    cr_assert_eq(a->len, b->len, "%s: length differs (split at %zu)", what, at);
    cr_assert(a->len == 0 || memcmp(a->p, b->p, a->len) == 0, "%s: bytes differ (split at %zu)",
              what, at);
}

/* Every split in two, every split in three, and one byte at a time, all
 * give the one-shot output and result. */
static void check_splits(unsigned flt, const void *in, size_t n)
{
    const char *name = spu_filters[flt]->name;
    struct result r0;
    struct out ref = one_shot(flt, in, n, &r0);
    for (size_t i = 0; i <= n; i++) {
        for (size_t j = i; j <= n; j++) {
            size_t cuts[2] = {i, j};
            struct out o = {0};
            struct result r = run(flt, in, n, cuts, 2, &o);
            cr_assert_eq(r.update_rc, r0.update_rc, "%s: update result (cuts %zu %zu)", name, i,
                         j);
            cr_assert_eq(r.finish_rc, r0.finish_rc, "%s: finish result", name);
            same(&ref, &o, name, i * 1000 + j);
            free(o.p);
        }
    }
    size_t *cuts = malloc((n + 1) * sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        cuts[i] = i + 1;
    struct out o = {0};
    struct result r = run(flt, in, n, cuts, n ? n - 1 : 0, &o);
    cr_assert_eq(r.finish_rc, r0.finish_rc);
    same(&ref, &o, name, 1);
    free(o.p);
    free(cuts);
    free(ref.p);
}

/* Random cuts (fixed seed) of a large input give the one-shot output. */
static void check_random_splits(unsigned flt, const uint8_t *in, size_t n, unsigned rounds)
{
    struct result r0;
    struct out ref = one_shot(flt, in, n, &r0);
    uint64_t seed = 0x9e3779b97f4a7c15ull ^ flt;
    size_t *cuts = malloc(4096 * sizeof(size_t));
    for (unsigned round = 0; round < rounds; round++) {
        size_t ncuts = 0, at = 0;
        while (ncuts < 4096) {
            /* mostly small pieces, sometimes large ones */
            size_t step = 1 + test_rand(&seed) % (round % 2 ? 7 : 3000);
            if (at + step >= n)
                break;
            at += step;
            cuts[ncuts++] = at;
        }
        struct out o = {0};
        struct result r = run(flt, in, n, cuts, ncuts, &o);
        cr_assert_eq(r.finish_rc, r0.finish_rc);
        same(&ref, &o, spu_filters[flt]->name, round);
        free(o.p);
    }
    free(cuts);
    free(ref.p);
}

static void expect(unsigned flt, const char *in, const void *want, size_t wn)
{
    struct result r;
    struct out o = one_shot(flt, in, strlen(in), &r);
    cr_assert_eq(r.finish_rc, SPU_OK, "%s(%s)", spu_filters[flt]->name, in);
    cr_assert_eq(o.len, wn, "%s(%s): got %zu bytes", spu_filters[flt]->name, in, o.len);
    cr_assert(wn == 0 || memcmp(o.p, want, wn) == 0, "%s(%s): bytes differ",
              spu_filters[flt]->name, in);
    free(o.p);
}

#define EXPECT(flt, in, want) expect(flt, in, want, sizeof(want) - 1)
#define CHECK_SPLITS(flt, lit) check_splits(flt, lit, sizeof(lit) - 1)

/* ---- the table ---- */

Test(filters, table_matches_filters_def)
{
    static const char *const names[] = {
#define FILTER(name, prefix, doc) #name,
#include "filters.def"
#undef FILTER
    };
    for (unsigned i = 0; i < SPU_FLT__COUNT; i++) {
        const struct spu_filter_ops *ops = spu_filters[i];
        cr_assert_not_null(ops);
        cr_assert_str_eq(ops->name, names[i]);
        cr_assert_gt(ops->state_size, 0);
        cr_assert(ops->init && ops->update && ops->finish && ops->fini);
    }
}

Test(filters, empty_input_gives_nothing)
{
    for (unsigned i = 0; i < SPU_FLT__COUNT; i++) {
        struct result r;
        struct out o = one_shot(i, "", 0, &r);
        cr_assert_eq(r.finish_rc, SPU_OK, "%s", spu_filters[i]->name);
        cr_assert_eq(o.len, 0);
    }
}

/* ---- text filters ---- */

Test(filters, url_decode)
{
    EXPECT(SPU_FLT_url_decode, "a%20b+c%zz%4", "a b+c%zz%4");
    EXPECT(SPU_FLT_url_decode, "%", "%");
    CHECK_SPLITS(SPU_FLT_url_decode, "%41%4%zz%%41+%2");
}

Test(filters, base64)
{
    EXPECT(SPU_FLT_base64, "SGVs\r\nbG8g\r\nV29y bGQ=junk", "Hello World");
    EXPECT(SPU_FLT_base64, "SGVsbG8", "Hello");
    CHECK_SPLITS(SPU_FLT_base64, "SGVs\r\nbG8g\r\n*V29y bGQ=SGVs");
}

/* A mail attachment's shape: random bytes in base64 lines of 76
 * characters, CRLF-ended, a blank in one line (it breaks a quantum in
 * two), padded at the end: decoded back to the bytes (encoded here, by
 * the RFC 4648 alphabet), whole and in random splits. */
Test(filters, base64_lines)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 100001;
    uint8_t *raw = malloc(n);
    uint64_t seed = 9;
    for (size_t i = 0; i < n; i++)
        raw[i] = (uint8_t)test_rand(&seed);
    uint8_t *enc = malloc(n * 2);
    size_t k = 0, col = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)raw[i + 1] << 8;
        if (i + 2 < n)
            v |= raw[i + 2];
        char q[4] = {alpha[v >> 18], alpha[(v >> 12) & 63], i + 1 < n ? alpha[(v >> 6) & 63] : '=',
                     i + 2 < n ? alpha[v & 63] : '='};
        for (int j = 0; j < 4; j++) {
            if (i == 3000 && j == 2)
                enc[k++] = ' ';
            enc[k++] = (uint8_t)q[j];
        }
        if ((col += 4) == 76) {
            enc[k++] = '\r';
            enc[k++] = '\n';
            col = 0;
        }
    }
    struct result r;
    struct out o = one_shot(SPU_FLT_base64, enc, k, &r);
    cr_assert_eq(r.finish_rc, SPU_OK);
    cr_assert_eq(o.len, n);
    cr_assert(memcmp(o.p, raw, n) == 0, "decoded bytes differ");
    free(o.p);
    check_random_splits(SPU_FLT_base64, enc, k, 8);
    free(enc);
    free(raw);
}

/* Long runs with no line break (decoded sixteen characters at a time
 * where the CPU can): every value at every position of a run, and each
 * byte outside the alphabet ('=' aside) at each of 40 places in one,
 * skipped as a line break is, whole and in random splits. */
Test(filters, base64_runs)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t raw[64 * 3 * 3], enc[64 * 4 * 3 + 1];
    size_t n = sizeof(raw), k = 0;
    for (size_t i = 0; i < n; i++)
        raw[i] = (uint8_t)(i * 7 + i / 192);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        for (int j = 0; j < 4; j++)
            enc[k++] = (uint8_t)alpha[(v >> (18 - 6 * j)) & 63];
    }
    struct result r;
    struct out o = one_shot(SPU_FLT_base64, enc, k, &r);
    cr_assert_eq(o.len, n);
    cr_assert(memcmp(o.p, raw, n) == 0, "decoded bytes differ");
    free(o.p);
    check_random_splits(SPU_FLT_base64, enc, k, 8);
    for (unsigned x = 0; x < 256; x++) {
        if (x == '=' || (x != 0 && strchr(alpha, (int)x)))
            continue;
        for (size_t at = 0; at < 40; at++) {
            uint8_t in[49];
            memcpy(in, enc, at);
            in[at] = (uint8_t)x;
            memcpy(in + at + 1, enc + at, 48 - at);
            o = one_shot(SPU_FLT_base64, in, sizeof(in), &r);
            cr_assert_eq(o.len, 36, "byte %u at %zu", x, at);
            cr_assert(memcmp(o.p, raw, 36) == 0, "byte %u at %zu", x, at);
            free(o.p);
        }
    }
}

Test(filters, qp)
{
    EXPECT(SPU_FLT_qp, "a=3Db=\r\nc= \t\r\nd=\ne=4=zz=\rX", "a=bcde=4=zz=\rX");
    EXPECT(SPU_FLT_qp, "end=", "end");
    CHECK_SPLITS(SPU_FLT_qp, "=3D=\r\n= \t\r\n=4=\rX=3d=\n=");
}

Test(filters, dot_unstuff)
{
    EXPECT(SPU_FLT_dot_unstuff, "..a\r\n.b\r\n.\r\nx..y\n..\n.", ".a\r\nb\r\n.\r\nx..y\n.\n.");
    EXPECT(SPU_FLT_dot_unstuff, "...", "..");
    EXPECT(SPU_FLT_dot_unstuff, "\r\n..\r\n", "\r\n.\r\n");
    CHECK_SPLITS(SPU_FLT_dot_unstuff, "..a\r\n.b\r\n.\r\nx..y\n..\n.\n...");
}

Test(filters, html_entities)
{
    EXPECT(SPU_FLT_html_entities, "&lt;a&gt; &amp;amp; &#65;&#x42 &notit; &#128;",
           "<a> &amp; AB \xc2\xacit; \xe2\x82\xac");
    CHECK_SPLITS(SPU_FLT_html_entities, "&lt;&#x41;&#66&notin;&notit;&eacute&#;&thetasymx&");
}

Test(filters, text_filters_agree_with_random_splits)
{
    size_t n = 200000;
    uint8_t *in = malloc(n);
    uint64_t seed = 42;
    static const char alphabet[] = "%=&#;.\r\n+ azAZ09xX/";
    for (size_t i = 0; i < n; i++)
        in[i] = test_rand(&seed) % 8 == 0 ? (uint8_t)test_rand(&seed)
                                          : (uint8_t)alphabet[test_rand(&seed) % 19];
    check_random_splits(SPU_FLT_url_decode, in, n, 4);
    check_random_splits(SPU_FLT_base64, in, n, 4);
    check_random_splits(SPU_FLT_qp, in, n, 4);
    check_random_splits(SPU_FLT_dot_unstuff, in, n, 4);
    check_random_splits(SPU_FLT_html_entities, in, n, 4);
    free(in);
}

/* ---- zlib ---- */

/* Compress with zlib: windowBits 31 gzip, 15 zlib, -15 raw. Returns new. */
/* in[0..n) compressed by zlib in format wbits (31 gzip, 15 zlib, -15
 * raw), with the gzip header h when not NULL. Returns new. */
static uint8_t *deflate_hdr(const uint8_t *in, size_t n, int wbits, gz_header *h, size_t *outn)
{
    z_stream z = {0};
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    if (h)
        cr_assert_eq(deflateSetHeader(&z, h), Z_OK);
    size_t cap = deflateBound(&z, n) + 128;
    uint8_t *out = malloc(cap);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *outn = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static uint8_t *deflate_buf(const uint8_t *in, size_t n, int wbits, size_t *outn)
{
    return deflate_hdr(in, n, wbits, NULL, outn);
}

/* Text that compresses but not trivially. */
static uint8_t *sample(size_t n)
{
    uint8_t *p = malloc(n);
    uint64_t seed = 7;
    static const char *const words[] = {"GET ", "/index.html ", "HTTP/1.1\r\n", "Host: ",
                                        "example.com\r\n", "\x00\x01\x02", "zzz "};
    size_t at = 0;
    while (at < n) {
        const char *w = words[test_rand(&seed) % 7];
        size_t wl = w[0] ? strlen(w) : 3;
        for (size_t i = 0; i < wl && at < n; i++)
            p[at++] = (uint8_t)w[i];
        if (at < n && test_rand(&seed) % 5 == 0)
            p[at++] = (uint8_t)test_rand(&seed);
    }
    return p;
}

static void check_zlib_format(unsigned flt, int wbits)
{
    size_t n = 100000, zn;
    uint8_t *plain = sample(n);
    uint8_t *z = deflate_buf(plain, n, wbits, &zn);
    struct result r;
    struct out o = one_shot(flt, z, zn, &r);
    cr_assert_eq(r.update_rc, SPU_OK, "%s wbits %d", spu_filters[flt]->name, wbits);
    cr_assert_eq(r.finish_rc, SPU_OK);
    cr_assert_eq(o.len, n);
    cr_assert_eq(memcmp(o.p, plain, n), 0);
    free(o.p);
    check_random_splits(flt, z, zn, 6);
    free(z);
    free(plain);
}

Test(filters, gunzip_and_inflate_detect_the_format)
{
    check_zlib_format(SPU_FLT_gunzip, 31);
    check_zlib_format(SPU_FLT_gunzip, 15);
    check_zlib_format(SPU_FLT_gunzip, -15);
    check_zlib_format(SPU_FLT_inflate, 15);
    check_zlib_format(SPU_FLT_inflate, -15);
    check_zlib_format(SPU_FLT_inflate, 31);
}

Test(filters, gzip_every_split_of_a_small_member)
{
    static const char text[] = "Hello, hello, hello, gzip world!";
    size_t zn;
    uint8_t *z = deflate_buf((const uint8_t *)text, sizeof(text) - 1, 31, &zn);
    check_splits(SPU_FLT_gunzip, z, zn);
    size_t rn;
    uint8_t *raw = deflate_buf((const uint8_t *)text, sizeof(text) - 1, -15, &rn);
    check_splits(SPU_FLT_inflate, raw, rn);
    size_t zln;
    uint8_t *zl = deflate_buf((const uint8_t *)text, sizeof(text) - 1, 15, &zln);
    check_splits(SPU_FLT_inflate, zl, zln);
    check_splits(SPU_FLT_gunzip, zl, zln);
    free(zl);
    free(raw);
    free(z);
}

Test(filters, multi_member_gzip)
{
    static const char a[] = "first member;", b[] = "second member";
    size_t an, bn;
    uint8_t *za = deflate_buf((const uint8_t *)a, sizeof(a) - 1, 31, &an);
    uint8_t *zb = deflate_buf((const uint8_t *)b, sizeof(b) - 1, 31, &bn);
    uint8_t *both = malloc(an + bn + 4);
    memcpy(both, za, an);
    memcpy(both + an, zb, bn);
    struct result r;
    struct out o = one_shot(SPU_FLT_gunzip, both, an + bn, &r);
    cr_assert_eq(r.finish_rc, SPU_OK);
    cr_assert_eq(o.len, sizeof(a) - 1 + sizeof(b) - 1);
    cr_assert_eq(memcmp(o.p, "first member;second member", o.len), 0);
    free(o.p);
    check_splits(SPU_FLT_gunzip, both, an + bn);
    /* inflate stops after its one stream */
    o = one_shot(SPU_FLT_inflate, both, an + bn, &r);
    cr_assert_eq(r.finish_rc, SPU_OK);
    cr_assert_eq(o.len, sizeof(a) - 1);
    free(o.p);
    /* trailing padding after the last member is ignored */
    memset(both + an + bn, 0, 4);
    o = one_shot(SPU_FLT_gunzip, both, an + bn + 4, &r);
    cr_assert_eq(r.finish_rc, SPU_OK);
    cr_assert_eq(o.len, sizeof(a) - 1 + sizeof(b) - 1);
    free(o.p);
    o = one_shot(SPU_FLT_gunzip, both, an + bn + 1, &r);
    cr_assert_eq(r.finish_rc, SPU_OK);
    free(o.p);
    free(both);
    free(za);
    free(zb);
}

/* A gzip member with every optional header field (FEXTRA, FNAME,
 * FCOMMENT, FHCRC), as zlib writes them. Returns new. */
static uint8_t *gzip_with_fields(const char *text, size_t *outn)
{
    static uint8_t extra[] = "AB\x04\x00xyzw";
    gz_header h = {0};
    h.extra = extra;
    h.extra_len = sizeof(extra) - 1;
    h.name = (Bytef *)"name.txt";
    h.comment = (Bytef *)"a comment";
    h.hcrc = 1;
    return deflate_hdr((const uint8_t *)text, strlen(text), 31, &h, outn);
}

Test(filters, gzip_header_fields_junk_and_bad_checksums)
{
    static const char text[] = "header fields: extra, name, comment, header crc";
    size_t zn, tn = sizeof(text) - 1;
    uint8_t *z = gzip_with_fields(text, &zn);
    cr_assert_eq(z[3], 0x1e); /* FHCRC FEXTRA FNAME FCOMMENT */
    struct result r;
    struct out o = one_shot(SPU_FLT_gunzip, z, zn, &r);
    cr_assert_eq(r.finish_rc, SPU_OK);
    cr_assert_eq(o.len, tn);
    cr_assert_eq(memcmp(o.p, text, tn), 0);
    free(o.p);
    check_splits(SPU_FLT_gunzip, z, zn);
    /* a wrong header CRC is refused */
    size_t hcrc_at = 10 + 2 + 8 + 9 + 10; /* XLEN+extra, name\0, comment\0 */
    z[hcrc_at] ^= 1;
    o = one_shot(SPU_FLT_gunzip, z, zn, &r);
    cr_assert_eq(r.update_rc, SPU_EFORMAT);
    free(o.p);
    z[hcrc_at] ^= 1;

    /* junk (not a gzip header) after a member: ignored by both */
    uint8_t *j = malloc(zn + 9);
    memcpy(j, z, zn);
    memcpy(j + zn, "garbage!!", 9);
    for (unsigned flt = 0; flt < 2; flt++) {
        unsigned id = flt ? SPU_FLT_inflate : SPU_FLT_gunzip;
        o = one_shot(id, j, zn + 9, &r);
        cr_assert_eq(r.finish_rc, SPU_OK);
        cr_assert_eq(o.len, tn);
        free(o.p);
        check_splits(id, j, zn + 9);
    }
    free(j);

    /* a second member with a wrong CRC: the first came out, then the error */
    uint8_t *two = malloc(2 * zn);
    memcpy(two, z, zn);
    memcpy(two + zn, z, zn);
    two[2 * zn - 8] ^= 0x55;
    o = one_shot(SPU_FLT_gunzip, two, 2 * zn, &r);
    cr_assert_eq(r.update_rc, SPU_EFORMAT);
    cr_assert_geq(o.len, tn);
    cr_assert_eq(memcmp(o.p, text, tn), 0);
    free(o.p);
    /* and a wrong length (ISIZE) too; the data came out, as with zlib */
    two[2 * zn - 8] ^= 0x55;
    two[2 * zn - 1] ^= 0x01;
    o = one_shot(SPU_FLT_gunzip, two, 2 * zn, &r);
    cr_assert_eq(r.update_rc, SPU_EFORMAT);
    cr_assert_eq(o.len, 2 * tn);
    free(o.p);
    free(two);
    free(z);

    /* zlib: a wrong Adler-32 is refused; raw deflate has nothing to check */
    z = deflate_buf((const uint8_t *)text, tn, 15, &zn);
    z[zn - 1] ^= 0x10;
    o = one_shot(SPU_FLT_inflate, z, zn, &r);
    cr_assert_eq(r.update_rc, SPU_EFORMAT);
    free(o.p);
    free(z);
}

/* What follows a raw deflate or zlib stream is where the stream ended,
 * however the decoder read ahead: junk is ignored by both filters, and a
 * gzip member after it is the next member for gunzip. */
Test(filters, bytes_after_raw_and_zlib_streams)
{
    static const char text[] = "after the end of the stream come other bytes";
    size_t tn = sizeof(text) - 1, gn;
    uint8_t *g = deflate_buf((const uint8_t *)text, tn, 31, &gn);
    static const int formats[] = {-15, 15};
    for (size_t f = 0; f < 2; f++) {
        size_t zn;
        uint8_t *z = deflate_buf((const uint8_t *)text, tn, formats[f], &zn);
        uint8_t *buf = malloc(zn + gn + 16);
        memcpy(buf, z, zn);
        memcpy(buf + zn, "JUNKJUNKJUNKJUNK", 16);
        for (unsigned k = 0; k < 2; k++) {
            unsigned id = k ? SPU_FLT_inflate : SPU_FLT_gunzip;
            struct result r;
            struct out o = one_shot(id, buf, zn + 16, &r);
            cr_assert_eq(r.finish_rc, SPU_OK, "%s after %d", spu_filters[id]->name, formats[f]);
            cr_assert_eq(o.len, tn);
            free(o.p);
            check_splits(id, buf, zn + 16);
        }
        memcpy(buf + zn, g, gn);
        struct result r;
        struct out o = one_shot(SPU_FLT_gunzip, buf, zn + gn, &r);
        cr_assert_eq(r.finish_rc, SPU_OK);
        cr_assert_eq(o.len, 2 * tn, "gunzip: a gzip member after format %d", formats[f]);
        free(o.p);
        check_splits(SPU_FLT_gunzip, buf, zn + gn);
        o = one_shot(SPU_FLT_inflate, buf, zn + gn, &r);
        cr_assert_eq(r.finish_rc, SPU_OK);
        cr_assert_eq(o.len, tn);
        free(o.p);
        free(buf);
        free(z);
    }
    free(g);
}

Test(filters, bad_and_truncated_streams)
{
    static const char text[] = "some text that is long enough to compress a little, text text";
    size_t zn;
    uint8_t *z = deflate_buf((const uint8_t *)text, sizeof(text) - 1, 31, &zn);
    /* truncated: what was decodable came out, finish says so */
    struct result r;
    struct out o = one_shot(SPU_FLT_gunzip, z, zn - 4, &r);
    cr_assert_eq(r.update_rc, SPU_OK);
    cr_assert_eq(r.finish_rc, SPU_EFORMAT);
    cr_assert_eq(o.len, sizeof(text) - 1); /* only the trailer was missing */
    free(o.p);
    o = one_shot(SPU_FLT_gunzip, z, 1, &r);
    cr_assert_eq(r.finish_rc, SPU_EFORMAT);
    free(o.p);
    o = one_shot(SPU_FLT_gunzip, z, 12, &r);
    cr_assert_eq(r.finish_rc, SPU_EFORMAT);
    free(o.p);
    /* corrupted: update reports it, later calls too */
    z[zn - 8] ^= 0xff; /* the CRC */
    o = one_shot(SPU_FLT_gunzip, z, zn, &r);
    cr_assert_eq(r.update_rc, SPU_EFORMAT);
    free(o.p);
    /* not compressed at all */
    static const char junk[] = "\xff\xff\xff\xff\xff\xff\xff\xff this is not deflate";
    o = one_shot(SPU_FLT_inflate, junk, sizeof(junk) - 1, &r);
    cr_assert_eq(r.update_rc, SPU_EFORMAT);
    free(o.p);
    const struct spu_filter_ops *ops = spu_filters[SPU_FLT_inflate];
    void *st = aligned_alloc(16, (ops->state_size + 15) & ~(size_t)15);
    struct out o2 = {0};
    ops->init(st);
    cr_assert_eq(ops->update(st, (const uint8_t *)junk, sizeof(junk) - 1, collect, &o2),
                 SPU_EFORMAT);
    cr_assert_eq(ops->update(st, (const uint8_t *)"x", 1, collect, &o2), SPU_EFORMAT);
    cr_assert_eq(ops->finish(st, collect, &o2), SPU_EFORMAT);
    ops->fini(st);
    free(st);
    free(o2.p);
    free(z);
}

/* What zlib makes of the one stream in in[0..n), in the format the filters
 * pick from its first two bytes: the output, and 1 when the stream ends
 * properly (checksums included); *why is zlib's message when it refuses. */
static int zlib_reference(const uint8_t *in, size_t n, struct out *o, char why[64])
{
    int wb = -15;
    if (n >= 2 && in[0] == 0x1f && in[1] == 0x8b)
        wb = 31;
    else if (n >= 2 && (in[0] & 0x0f) == 8 && (in[0] >> 4) <= 7 &&
             ((in[0] << 8) | in[1]) % 31 == 0 && !(in[1] & 0x20))
        wb = 15;
    z_stream z = {0};
    cr_assert_eq(inflateInit2(&z, wb), Z_OK);
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)n;
    int zr;
    do {
        uint8_t buf[4096];
        z.next_out = buf;
        z.avail_out = sizeof(buf);
        zr = inflate(&z, Z_NO_FLUSH);
        if (sizeof(buf) - z.avail_out)
            collect(o, buf, sizeof(buf) - z.avail_out);
    } while (zr == Z_OK);
    snprintf(why, 64, "%s", zr == Z_STREAM_END ? "" : z.msg ? z.msg : "truncated");
    inflateEnd(&z);
    return zr == Z_STREAM_END;
}

/* Damaged streams (one byte changed anywhere: headers, Huffman tables,
 * data, checksums) are refused or decoded as zlib (the browsers' decoder)
 * does, with one known leniency of ISA-L: a raw deflate stream whose
 * Huffman code is incomplete (zlib: "invalid literal/lengths set" or
 * "invalid distances set") may be decoded where zlib refuses it. That
 * cannot hide content (zlib decodes nothing there); a stream zlib decodes
 * always comes out the same, and gzip and zlib streams are refused by
 * their checksums. */
Test(filters, inflate_agrees_with_zlib_on_damaged_streams)
{
    static const int formats[] = {31, 15, -15};
    static const size_t sizes[] = {40, 700, 5000};
    uint64_t seed = 42;
    unsigned refused = 0, decoded = 0, lenient = 0;
    for (size_t f = 0; f < 3; f++) {
        for (size_t k = 0; k < 3; k++) {
            uint8_t *plain = sample(sizes[k]);
            size_t zn;
            uint8_t *z = deflate_buf(plain, sizes[k], formats[f], &zn);
            for (unsigned round = 0; round < 500; round++) {
                /* every one-bit change of the headers, then random bytes */
                size_t at = round < 96 ? round / 8 % zn : test_rand(&seed) % zn;
                uint8_t old = z[at];
                z[at] ^= round < 96 ? (uint8_t)(1u << round % 8)
                                    : (uint8_t)(1 + test_rand(&seed) % 255);
                struct out want = {0};
                char why[64];
                int ok = zlib_reference(z, zn, &want, why);
                struct result r;
                struct out got = one_shot(SPU_FLT_inflate, z, zn, &r);
                int got_ok = r.update_rc == SPU_OK && r.finish_rc == SPU_OK;
                int known = !ok && got_ok && formats[f] == -15 &&
                            (!strcmp(why, "invalid literal/lengths set") ||
                             !strcmp(why, "invalid distances set"));
                lenient += (unsigned)known;
                cr_assert(known || got_ok == ok,
                          "format %d size %zu: byte %zu ^ %#x: zlib %s (%s), filter %s",
                          formats[f], sizes[k], at, old ^ z[at], ok ? "decodes" : "refuses", why,
                          got_ok ? "decodes" : "refuses");
                if (ok)
                    same(&want, &got, "inflate vs zlib", at);
                refused += !ok;
                decoded += (unsigned)ok;
                free(want.p);
                free(got.p);
                z[at] = old;
            }
            free(z);
            free(plain);
        }
    }
    cr_assert_gt(refused, 100);
    cr_assert_gt(decoded, 100);
    cr_assert_lt(lenient, 10);
}

Test(filters, decompression_bomb_comes_out_in_bounded_pieces)
{
    size_t n = 64u << 20; /* 64 MiB of zeros: about 64 KiB compressed */
    uint8_t *zeros = calloc(1, n);
    size_t zn;
    uint8_t *z = deflate_buf(zeros, n, 31, &zn);
    free(zeros);
    cr_assert_lt(zn, 1u << 20);
    struct result r;
    struct out o = {0};
    size_t cut = zn / 2;
    r = run(SPU_FLT_gunzip, z, zn, &cut, 1, &o);
    cr_assert_eq(r.finish_rc, SPU_OK);
    cr_assert_eq(o.len, n);
    cr_assert_leq(o.max_piece, 16384);
    cr_assert_geq(o.pieces, n / 16384);
    free(o.p);
    /* the sink says stop: the filter stops and returns its error */
    struct out lim = {.fail_after = 100000};
    r = run(SPU_FLT_gunzip, z, zn, NULL, 0, &lim);
    cr_assert_eq(r.update_rc, SPU_ELIMIT);
    cr_assert_lt(lim.len, 100000 + 16384 + 1);
    free(lim.p);
    free(z);
}

Test(filters, sink_errors_stop_text_filters)
{
    size_t n = 100000;
    uint8_t *in = malloc(n);
    memset(in, 'a', n);
    static const unsigned text[] = {SPU_FLT_url_decode, SPU_FLT_base64, SPU_FLT_qp,
                                    SPU_FLT_dot_unstuff, SPU_FLT_html_entities};
    for (size_t k = 0; k < sizeof(text) / sizeof(text[0]); k++) {
        struct out lim = {.fail_after = 10};
        struct result r = run(text[k], in, n, NULL, 0, &lim);
        cr_assert_eq(r.update_rc, SPU_ELIMIT, "%s", spu_filters[text[k]]->name);
        cr_assert_leq(lim.len, 4096);
        free(lim.p);
    }
    free(in);
}

