/*
 * gvm-bin.c - the grammar VM's ops for binary protocols: big- and
 * little-endian integers, windows (`within (n) { ... }`: the consuming ops
 * see the stream end n bytes on), the message buffer (`buffer N;`) and
 * references back into it (`at (offset) { ... }`). See docs/grammar-vm.md,
 * "Binary protocols".
 *
 * A window is a stack entry saving the enclosing window's end. `within`
 * closes by skipping what its body left unread (it may suspend for
 * those bytes); `at` moves the position back to a buffered byte, with the
 * window ending where the reference was read, and closes by moving it
 * forward again. Every byte `at` reads is already held (the buffer keeps
 * them), so its body never suspends; a reference that does not point back
 * is an error, and references nest at most limits.depth deep (each reads
 * a unit), so a pointer loop ends as depth_limit. `peek` is a window that
 * keeps the enclosing end and closes by going back to where it opened:
 * the end-of-feed hold keeps its bytes (at most limits.token).
 */
#include "gvm-int.h"

#include <stdio.h>
#include <string.h>

int gvm_op_uint(struct gctx *c, const struct spu_insn *in, struct spu_value **sp)
{
    unsigned w = SPU_GUINT_WIDTH(in->a), le = (in->a & SPU_GUINT_LE) != 0;
    int cap = in->a & SPU_GF_CAPTURE, y = in->a & SPU_GF_YIELD;
    struct gop *o = &c->op;
    if (!o->active) {
        memset(o, 0, sizeof(*o));
        o->active = 1;
        o->start = c->pos;
    }
    while (o->k < w) {
        const uint8_t *p;
        size_t n = gvm_in_win(c, c->pos, &p);
        if (n == 0) {
            if (!gvm_ends_at(c, c->pos))
                return GOP_MORE;
            char msg[80];
            snprintf(msg, sizeof(msg), "the data ended inside a %u-byte integer", w);
            return gvm_ended(c, msg);
        }
        if (n > w - o->k)
            n = w - o->k;
        for (size_t i = 0; i < n; i++) {
            if (le)
                o->val |= (uint64_t)p[i] << (8u * (o->k + (unsigned)i));
            else
                o->val = (o->val << 8) | p[i];
        }
        o->k += (uint32_t)n;
        c->pos += n;
        if (gvm_route(c, p, n, y) != GOP_DONE)
            return GOP_STOP;
    }
    o->active = 0;
    if (cap)
        *(*sp)++ = spu_v_int((int64_t)o->val);
    return GOP_DONE;
}

static int win_push(struct gctx *c, uint64_t back)
{
    if (gvm_grow((void **)&c->win, &c->win_cap, c->nwin + 1, sizeof(*c->win)))
        return gvm_fail(c, "memory", "out of memory for windows");
    c->win[c->nwin].end = c->wend;
    c->win[c->nwin].back = back;
    c->win[c->nwin].peek = 0;
    c->nwin++;
    return GOP_DONE;
}

int gvm_op_win_open(struct gctx *c, struct spu_value **sp)
{
    struct spu_value nv = *--(*sp);
    if (nv.type != SPU_T_INT)
        return gvm_fail(c, "parse_error", "within(): the length is not an int");
    if (nv.u.i < 0)
        return gvm_fail(c, "parse_error", "within(): negative length");
    uint64_t n = (uint64_t)nv.u.i;
    if (c->wend != GVM_NOWHERE && n > c->wend - c->pos)
        return gvm_fail(c, "parse_error", "within(): the length overruns the enclosing within()");
    if (win_push(c, GVM_NOWHERE) != GOP_DONE)
        return GOP_FAIL;
    c->wend = c->pos + n;
    return GOP_DONE;
}

int gvm_op_win_close(struct gctx *c)
{
    if (c->nwin == 0 || c->nwin <= c->fr[c->nfr - 1].wins)
        return gvm_fail(c, "parse_error", "window closed by a frame that did not open it");
    struct gwin *w = &c->win[c->nwin - 1];
    if (w->back != GVM_NOWHERE) {
        c->pos = w->back;
    } else {
        /* skip what the body left unread */
        while (c->pos < c->wend) {
            const uint8_t *p;
            size_t n = gvm_in_win(c, c->pos, &p);
            if (n == 0) {
                if (!c->eof)
                    return GOP_MORE;
                return gvm_ended(c, "the stream ended inside a within()");
            }
            c->pos += n;
            if (gvm_route(c, p, n, 0) != GOP_DONE)
                return GOP_STOP;
        }
    }
    c->wend = w->end;
    c->nwin--;
    return GOP_DONE;
}

int gvm_op_buf_mark(struct gctx *c, struct spu_value **sp)
{
    struct spu_value nv = *--(*sp);
    if (nv.type != SPU_T_INT || nv.u.i <= 0 || nv.u.i > (int64_t)GVM_MAX_TOKEN)
        return gvm_fail(c, "parse_error", "buffer: the size is not between 1 and 16MB");
    c->bon = 1;
    c->bstart = c->pos;
    c->blim = (uint32_t)nv.u.i;
    c->bframe = c->nfr;
    return GOP_DONE;
}

int gvm_op_at_open(struct gctx *c, struct spu_value **sp)
{
    struct spu_value ov = *--(*sp);
    if (!c->bon)
        return gvm_fail(c, "parse_error", "at(): no message buffer (declare `buffer N;`)");
    if (ov.type != SPU_T_INT || ov.u.i < 0)
        return gvm_fail(c, "parse_error", "at(): the offset is not a non-negative int");
    uint64_t target = c->bstart + (uint64_t)ov.u.i;
    if (ov.u.i >= (int64_t)(c->pos - c->bstart))
        return gvm_fail(c, "parse_error", "at(): the reference does not point back");
    uint64_t lo = c->hold_len ? c->hold_base : c->chunk_base;
    if (target < lo || c->pos - target > c->blim)
        return gvm_fail(c, "parse_error", "at(): the reference is outside the message buffer");
    if (win_push(c, c->pos) != GOP_DONE)
        return GOP_FAIL;
    c->wend = c->pos;
    c->pos = target;
    return GOP_DONE;
}

int gvm_op_peek_open(struct gctx *c)
{
    if (win_push(c, c->pos) != GOP_DONE)
        return GOP_FAIL;
    c->win[c->nwin - 1].peek = 1;
    return GOP_DONE;
}

uint64_t gvm_peek_floor(const struct gctx *c)
{
    for (uint32_t i = 0; i < c->nwin; i++)
        if (c->win[i].peek)
            return c->win[i].back;
    return GVM_NOWHERE;
}

void gvm_wins_drop(struct gctx *c, uint32_t keep)
{
    if (c->nwin <= keep)
        return;
    for (uint32_t i = keep; i < c->nwin; i++)
        if (c->win[i].back != GVM_NOWHERE) {
            c->pos = c->win[i].back;
            break;
        }
    c->wend = c->win[keep].end;
    c->nwin = keep;
}
