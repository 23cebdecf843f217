/*
 * gvm-input.c - a context's input (the hold buffer followed by the chunk
 * being fed), the consuming ops and the capture buffers (see gvm-int.h and
 * docs/grammar-vm.md, "Execution of the consuming ops").
 *
 * Positions are stream offsets. `pos` is the next unconsumed byte; an op
 * that cannot finish leaves `pos` where its undecided bytes begin, and at
 * the end of the feed gvm_hold_keep() copies [pos, end) into the hold
 * buffer. So the hold buffer only ever holds bytes that are still to be
 * decided: the tail of a token past its last accepting position (bounded
 * by limits.token, else the parse error token_limit) and the bytes a
 * prediction examined (at most limits.token). Bytes a token has accepted
 * for sure are consumed at once: captured, yielded to the sink, or
 * dropped. G_UPTO holds nothing: the bytes of a partial delimiter match
 * are the delimiter's own prefix, replayed from its copy if the match
 * fails.
 */
#include "gvm-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct spu_dfa *dfa_of(const struct gctx *c, uint32_t i)
{
    return &c->conn->cache->dfa[i];
}

static void scratch_reset(struct gctx *c)
{
    struct spu_arena *s = c->conn->g->scratch[c->level];
    if (spu_arena_used(s))
        spu_arena_reset(s);
}

static void op_begin(struct gctx *c)
{
    memset(&c->op, 0, sizeof(c->op));
    c->op.active = 1;
    c->op.start = c->pos;
    c->op.cap.limit = c->lim_field;
}

/* Printable text of bytes, for error messages: "GET " or "\x00\r". */
static void quote(char *out, size_t cap, const uint8_t *p, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        uint8_t ch = p[i];
        if (ch == '\r' || ch == '\n' || ch == '\t') {
            out[o++] = '\\';
            out[o++] = ch == '\r' ? 'r' : ch == '\n' ? 'n' : 't';
        } else if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\') {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
        } else {
            out[o++] = (char)ch;
        }
    }
    out[o < cap ? o : cap - 1] = '\0';
}

int gvm_ended(struct gctx *c, const char *msg)
{
    if (c->eof && c->pos >= c->end)
        return gvm_fail(c, "incomplete", msg);
    return gvm_fail(c, "parse_error", msg); /* the end of a window */
}

/* ---- capture buffers ---- */

static void trunc_anomaly(struct gctx *c)
{
    if (c->msg) {
        if (c->msg->trunc_hit)
            return;
        c->msg->trunc_hit = 1;
    }
    gvm_anomaly_s(c, "field_truncated");
}

static void limit_anomaly(struct gctx *c)
{
    if (c->msg) {
        if (c->msg->limit_hit)
            return;
        c->msg->limit_hit = 1;
    }
    gvm_anomaly_s(c, "message_limit");
}

void gvm_buf_add(struct gctx *c, struct spu_arena *a, struct gbuf *b, const uint8_t *p, size_t n)
{
    if (n == 0 || b->truncated)
        return;
    if (b->count_only) { /* as below, without a byte kept */
        if (n > (size_t)(b->limit - b->counted)) {
            b->counted = b->limit;
            b->truncated = 1;
            trunc_anomaly(c);
        } else {
            b->counted += (uint32_t)n;
        }
        return;
    }
    size_t room = b->limit - b->len;
    if (n > room) {
        n = room;
        b->truncated = 1;
        trunc_anomaly(c);
        if (n == 0)
            return;
    }
    if (b->cap == 0) {
        if (b->len == 0 && gvm_in_chunk(c, p, n)) {
            b->p = p;
            b->len = (uint32_t)n;
            c->viewed = 1;
            return;
        }
        if (b->len && b->p + b->len == p && gvm_in_chunk(c, b->p, (size_t)b->len + n)) {
            b->len += (uint32_t)n;
            c->viewed = 1;
            return;
        }
        size_t want = (size_t)b->len + n;
        size_t cap = want < 64 ? 64 : want;
        if (cap > b->limit)
            cap = want;
        uint8_t *q = spu_arena_alloc(a, cap);
        if (!q) {
            b->truncated = 1;
            limit_anomaly(c);
            return;
        }
        if (b->len)
            memcpy(q, b->p, b->len);
        memcpy(q + b->len, p, n);
        b->p = q;
        b->len = (uint32_t)want;
        b->cap = (uint32_t)cap;
        return;
    }
    size_t want = (size_t)b->len + n;
    if (want > b->cap) {
        size_t cap = (size_t)b->cap * 2;
        if (cap < want)
            cap = want;
        if (cap > b->limit)
            cap = want > b->limit ? want : b->limit;
        /* a buffer owns its bytes until gvm_buf_value: the old copy can go */
        uint8_t *q = spu_arena_regrow_upto(a, (void *)b->p, b->cap, cap, b->limit);
        if (!q) {
            b->truncated = 1;
            limit_anomaly(c);
            return;
        }
        b->p = q;
        b->cap = (uint32_t)cap;
    }
    memcpy((uint8_t *)b->p + b->len, p, n);
    b->len = (uint32_t)want;
}

void gvm_buf_pin(struct gctx *c, struct spu_arena *a, struct gbuf *b)
{
    if (b->cap || b->len == 0 || !gvm_in_chunk(c, b->p, b->len))
        return;
    uint8_t *q = spu_arena_memdup(a, b->p, b->len);
    if (!q) {
        b->p = NULL;
        b->len = 0;
        b->truncated = 1;
        limit_anomaly(c);
        return;
    }
    b->p = q;
    b->cap = b->len;
}

struct spu_value gvm_buf_value(struct gctx *c, struct spu_arena *a, const struct gbuf *b)
{
    struct spu_value v = spu_v_str(b->len ? b->p : (const uint8_t *)"", b->len);
    v.flags = (uint8_t)((b->truncated ? SPU_VF_TRUNCATED : 0) |
                        (b->incomplete ? SPU_VF_INCOMPLETE : 0));
    if (b->cap) {
        c->own = b->p;
        c->own_arena = a;
    }
    return v;
}

/* ---- the hold buffer ---- */

int gvm_hold_keep(struct gctx *c)
{
    /* with a message buffer, its bytes stay too (at most blim of them) */
    uint64_t from = c->pos;
    if (c->bon && c->bstart < from) {
        uint64_t lo = c->end - c->bstart > c->blim ? c->end - c->blim : c->bstart;
        if (lo < c->hold_base)
            lo = c->hold_base;
        if (lo < from)
            from = lo;
    }
    uint64_t pf = c->nwin ? gvm_peek_floor(c) : GVM_NOWHERE;
    if (pf < from) {
        if (c->end - pf > c->lim_token)
            return -2; /* a lookahead grew past limits.token */
        from = pf;
    }
    uint64_t keep = c->end - from;
    if (keep == 0) {
        c->hold_len = 0;
        c->hold_base = c->end;
        return 0;
    }
    if (keep > GVM_MAX_TOKEN + 1)
        return -1;
    if (keep > c->hold_cap) {
        uint32_t cap = (uint32_t)((keep + 255) & ~(uint64_t)255);
        uint8_t *h = realloc(c->hold, cap);
        if (!h)
            return -1;
        c->hold = h;
        c->hold_cap = cap;
    }
    if (from >= c->chunk_base) {
        memcpy(c->hold, c->chunk + (from - c->chunk_base), (size_t)keep);
    } else {
        uint32_t off = (uint32_t)(from - c->hold_base), from_hold = c->hold_len - off;
        memmove(c->hold, c->hold + off, from_hold);
        if (c->chunk_len)
            memcpy(c->hold + from_hold, c->chunk, c->chunk_len);
    }
    c->hold_base = from;
    c->hold_len = (uint32_t)keep;
    return 0;
}

/* ---- consuming ---- */

/* Consume [pos, to) as the op's product: capture, then route to the sink. */
static int take(struct gctx *c, uint64_t to, int cap, int yield, struct spu_arena *a)
{
    while (c->pos < to) {
        const uint8_t *p;
        size_t n = gvm_in_win(c, c->pos, &p);
        if (n > to - c->pos)
            n = (size_t)(to - c->pos);
        if (cap)
            gvm_buf_add(c, a, &c->op.cap, p, n);
        c->pos += n;
        if (gvm_route(c, p, n, yield) != GOP_DONE)
            return GOP_STOP;
    }
    return GOP_DONE;
}

/* Produced bytes that are not input bytes at hand (a failed delimiter
 * prefix, replayed from its copy). */
static int produce(struct gctx *c, const uint8_t *p, size_t n, int cap, int yield,
                   struct spu_arena *a)
{
    if (n == 0)
        return GOP_DONE;
    if (cap)
        gvm_buf_add(c, a, &c->op.cap, p, n);
    return gvm_route(c, p, n, yield);
}

static void push_capture(struct gctx *c, struct spu_value **sp, struct spu_arena *a)
{
    *(*sp)++ = gvm_buf_value(c, a, &c->op.cap);
}

/* The stream ended inside a length or delimiter: the content so far is
 * the op's product, flagged incomplete; the message aborts at the next op
 * (after the capture is stored). */
static int eof_partial(struct gctx *c, struct spu_value **sp, int cap, struct spu_arena *a)
{
    if (!c->eof || c->pos < c->end)
        return gvm_ended(c, "a length runs past the end of its within()");
    c->op.active = 0;
    c->abort_pending = 1;
    if (cap) {
        c->op.cap.incomplete = 1;
        push_capture(c, sp, a);
    }
    return GOP_DONE;
}

static const char *dfa_text(const struct gctx *c, uint32_t i, uint32_t *len)
{
    const struct spu_bdfa *h = &c->conn->v->dfas[i];
    return spu_bundle_str(c->conn->b, h->source, len);
}

int gvm_op_lit(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    const struct spu_bconst *k = &c->conn->v->consts[in->c];
    const uint8_t *lit = (const uint8_t *)c->conn->v->strtab + k->val;
    uint32_t len = k->len;
    int cap = in->a & SPU_GF_CAPTURE, y = in->a & SPU_GF_YIELD, nocase = in->a & SPU_GF_NOCASE;
    struct spu_arena *a = gvm_frame_arena(c);
    if (!c->op.active) {
        op_begin(c);
        scratch_reset(c);
    }
    while (c->op.k < len) {
        const uint8_t *p;
        size_t n = gvm_in_win(c, c->pos, &p);
        char q[64], msg[96];
        if (n == 0) {
            if (!gvm_ends_at(c, c->pos))
                return GOP_MORE;
            quote(q, sizeof(q), lit, len);
            snprintf(msg, sizeof(msg), "the stream ended inside \"%s\"", q);
            return gvm_ended(c, msg);
        }
        size_t m = len - c->op.k < n ? len - c->op.k : n;
        const uint8_t *want = lit + c->op.k;
        for (size_t i = 0; i < m; i++) {
            uint8_t x = p[i], w = want[i];
            if (nocase) {
                x = x >= 'A' && x <= 'Z' ? (uint8_t)(x + 32) : x;
                w = w >= 'A' && w <= 'Z' ? (uint8_t)(w + 32) : w;
            }
            if (x != w) {
                c->pos += i;
                quote(q, sizeof(q), lit, len);
                snprintf(msg, sizeof(msg), "expected \"%s\"", q);
                return gvm_fail(c, "parse_error", msg);
            }
        }
        if (cap && nocase)
            gvm_buf_add(c, a, &c->op.cap, p, m);
        c->pos += m;
        c->op.k += (uint32_t)m;
        if (gvm_route(c, p, m, y) != GOP_DONE)
            return GOP_STOP;
    }
    c->op.active = 0;
    if (cap) {
        if (nocase)
            push_capture(c, sp, a);
        else
            *(*sp)++ = c->conn->b->kvals[in->c];
    }
    return GOP_DONE;
}

int gvm_op_token(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    const struct spu_dfa *d = dfa_of(c, in->c);
    int cap = in->a & SPU_GF_CAPTURE, y = in->a & SPU_GF_YIELD;
    struct spu_arena *a = gvm_frame_arena(c);
    struct gop *o = &c->op;
    if (!o->active) {
        op_begin(c);
        spu_dfa_scan_init(&o->scan, d);
        scratch_reset(c);
    }
    for (;;) {
        int rc;
        uint64_t at = o->start + o->scan.consumed;
        const uint8_t *p;
        size_t n = gvm_in_win(c, at, &p);
        if (n == 0) {
            if (!gvm_ends_at(c, at)) {
                if (at - c->pos > c->lim_token)
                    return gvm_fail(c, "token_limit", "a token grew past limits.token");
                return GOP_MORE;
            }
            rc = spu_dfa_finish(d, &o->scan);
        } else {
            rc = spu_dfa_longest(d, &o->scan, p, n);
        }
        /* what the DFA accepted is the token's whatever comes next */
        if (o->scan.label != SPU_NONE && o->start + o->scan.len > c->pos &&
            take(c, o->start + o->scan.len, cap, y, a) != GOP_DONE)
            return GOP_STOP;
        if (rc == SPU_DONE)
            break;
    }
    if (o->scan.choice == SPU_NONE) {
        char q[64], msg[96];
        uint32_t sl = 0;
        const char *src = dfa_text(c, in->c, &sl);
        quote(q, sizeof(q), (const uint8_t *)src, sl);
        snprintf(msg, sizeof(msg), "expected token /%s/", q);
        return gvm_fail(c, c->eof && c->pos == c->end ? "incomplete" : "parse_error", msg);
    }
    o->active = 0;
    if (cap)
        push_capture(c, sp, a);
    return GOP_DONE;
}

int gvm_op_predict(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    const struct spu_dfa *d = dfa_of(c, in->c);
    int sure = in->a & SPU_GF_SURE;
    struct gop *o = &c->op;
    if (!o->active) {
        op_begin(c);
        spu_dfa_scan_init(&o->scan, d);
        scratch_reset(c);
    }
    for (;;) {
        int rc;
        uint64_t seen = o->scan.consumed;
        if (seen >= c->lim_token) {
            rc = spu_dfa_finish(d, &o->scan);
        } else {
            const uint8_t *p;
            size_t n = gvm_in_win(c, o->start + seen, &p);
            if (n == 0) {
                if (!gvm_ends_at(c, o->start + seen))
                    return GOP_MORE;
                rc = spu_dfa_finish(d, &o->scan);
            } else {
                if (n > c->lim_token - seen)
                    n = (size_t)(c->lim_token - seen);
                rc = sure ? spu_dfa_predict_sure(d, &o->scan, p, n)
                          : spu_dfa_predict(d, &o->scan, p, n);
            }
        }
        if (rc == SPU_DONE)
            break;
    }
    o->active = 0;
    *(*sp)++ = spu_v_int(o->scan.choice == SPU_NONE ? -1 : (int64_t)o->scan.choice);
    return GOP_DONE;
}

int gvm_op_bytes(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    int cap = in->a & SPU_GF_CAPTURE, y = in->a & SPU_GF_YIELD;
    struct spu_arena *a = gvm_frame_arena(c);
    struct gop *o = &c->op;
    if (!o->active) {
        struct spu_value nv = *--(*sp);
        if (nv.type != SPU_T_INT)
            return gvm_fail(c, "parse_error", "bytes(): the length is not an int");
        if (nv.u.i < 0)
            return gvm_fail(c, "parse_error", "bytes(): negative length");
        op_begin(c);
        o->left = (uint64_t)nv.u.i;
        scratch_reset(c);
    }
    while (o->left) {
        const uint8_t *p;
        size_t n = gvm_in_win(c, c->pos, &p);
        if (n == 0)
            return gvm_ends_at(c, c->pos) ? eof_partial(c, sp, cap, a) : GOP_MORE;
        if (n > o->left)
            n = (size_t)o->left;
        if (cap)
            gvm_buf_add(c, a, &o->cap, p, n);
        c->pos += n;
        o->left -= n;
        if (gvm_route(c, p, n, y) != GOP_DONE)
            return GOP_STOP;
    }
    o->active = 0;
    if (cap)
        push_capture(c, sp, a);
    return GOP_DONE;
}

int gvm_op_rest(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    int cap = in->a & SPU_GF_CAPTURE, y = in->a & SPU_GF_YIELD;
    struct spu_arena *a = gvm_frame_arena(c);
    if (!c->op.active) {
        op_begin(c);
        scratch_reset(c);
    }
    for (;;) {
        const uint8_t *p;
        size_t n = gvm_in_win(c, c->pos, &p);
        if (n == 0) {
            if (!gvm_ends_at(c, c->pos))
                return GOP_MORE;
            break;
        }
        if (cap)
            gvm_buf_add(c, a, &c->op.cap, p, n);
        c->pos += n;
        if (gvm_route(c, p, n, y) != GOP_DONE)
            return GOP_STOP;
    }
    c->op.active = 0;
    if (cap)
        push_capture(c, sp, a);
    return GOP_DONE;
}

/* KMP failure function: f[j] = length of the longest proper prefix of
 * d[0..j] that is also its suffix. */
static void upto_failure(const uint8_t *d, uint32_t n, uint32_t *f)
{
    f[0] = 0;
    uint32_t k = 0;
    for (uint32_t j = 1; j < n; j++) {
        while (k > 0 && d[j] != d[k])
            k = f[k - 1];
        if (d[j] == d[k])
            k++;
        f[j] = k;
    }
}

/* The delimiter byte the search looks for: the first one unlike the bytes
 * of text lines and base64 (a MIME delimiter "\r\n--b": the '-'), so that
 * the search does not stop at every line; 0 when all are alike. */
static uint32_t upto_skip(const uint8_t *d, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++) {
        uint8_t ch = d[j];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/' || ch == '\r' || ch == '\n' || ch == ' ' || ch == '\t'))
            return j;
    }
    return 0;
}

int gvm_op_upto(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    int cap = in->a & SPU_GF_CAPTURE, y = in->a & SPU_GF_YIELD;
    struct spu_arena *a = gvm_frame_arena(c);
    struct gop *o = &c->op;
    if (!o->active) {
        struct spu_value dv = *--(*sp);
        if (dv.type != SPU_T_STR)
            return gvm_fail(c, "parse_error", "upto: the delimiter is not a string");
        if (dv.len == 0 || dv.len > c->lim_token)
            return gvm_fail(c, "parse_error", "upto: empty delimiter or longer than limits.token");
        if (dv.len > c->dcap) {
            uint8_t *nd = realloc(c->dbuf, dv.len);
            if (nd)
                c->dbuf = nd;
            uint32_t *nf = nd ? realloc(c->fbuf, (size_t)dv.len * sizeof(*nf)) : NULL;
            if (!nf)
                return gvm_fail(c, "memory", "out of memory for a delimiter");
            c->fbuf = nf;
            c->dcap = dv.len;
        }
        memcpy(c->dbuf, dv.u.s, dv.len);
        upto_failure(c->dbuf, dv.len, c->fbuf);
        op_begin(c);
        o->dlen = dv.len;
        o->dskip = upto_skip(c->dbuf, dv.len);
        scratch_reset(c);
    }
    const uint8_t *d = c->dbuf;
    const uint32_t *fb = c->fbuf;
    uint32_t dl = o->dlen, r = o->dskip;
    for (;;) {
        const uint8_t *p;
        size_t n = gvm_in_win(c, c->pos, &p);
        if (n == 0) {
            if (!gvm_ends_at(c, c->pos))
                return GOP_MORE;
            /* the partial delimiter match was content after all */
            uint32_t k = o->k;
            o->k = 0;
            if (produce(c, d, k, cap, y, a) != GOP_DONE)
                return GOP_STOP;
            return eof_partial(c, sp, cap, a);
        }
        uint32_t carry = o->k, k = o->k;
        size_t i = 0;
        int found = 0;
        while (i < n) {
            if (k == 0) {
                /* No delimiter begins before the byte r ahead of the
                 * next d[r] (it would hold a d[r] before that one); the
                 * one at that byte, if any, is stepped over as below. */
                if (r && n - i > r) {
                    const uint8_t *hit = memchr(p + i + r, d[r], n - i - r);
                    i = hit ? (size_t)(hit - p) - r : n - r;
                }
                const uint8_t *hit = memchr(p + i, d[0], n - i);
                if (!hit) {
                    i = n;
                    break;
                }
                i = (size_t)(hit - p) + 1;
                k = 1;
            } else {
                uint8_t ch = p[i++];
                while (k > 0 && ch != d[k])
                    k = fb[k - 1];
                if (ch == d[k])
                    k++;
            }
            if (k == dl) {
                found = 1;
                break;
            }
        }
        /* bytes seen: carry (== d[0..carry)) then p[0..i); the last k of
         * them are the (partial) delimiter, the rest is content */
        uint64_t total = (uint64_t)carry + i, content = total - k;
        size_t from_carry = content < carry ? (size_t)content : carry;
        size_t from_p = content > carry ? (size_t)(content - carry) : 0;
        if (produce(c, d, from_carry, cap, y, a) != GOP_DONE)
            return GOP_STOP;
        if (from_p) {
            if (cap)
                gvm_buf_add(c, a, &o->cap, p, from_p);
            if (gvm_route(c, p, from_p, y) != GOP_DONE)
                return GOP_STOP;
        }
        c->pos += i;
        o->k = k;
        if (found) {
            o->k = 0;
            o->active = 0;
            if (gvm_route(c, d, dl, 0) != GOP_DONE)
                return GOP_STOP;
            if (cap)
                push_capture(c, sp, a);
            return GOP_DONE;
        }
    }
}
