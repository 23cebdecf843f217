/*
 * gvm-resync.c - what happens when a parse goes wrong: the anomaly, the
 * abort of the message in progress, unwinding the frames, and the search
 * for the protocol's resync pattern that restarts the direction's driver
 * (see gvm-int.h and docs/grammar-vm.md, "Errors, gaps, resync, stop").
 *
 * The search runs the protocol's SEARCH DFA over the incoming bytes. For
 * resync `after` the restart point is the match end and nothing is held.
 * For `at` the bytes since the search was last in its start state are
 * held (at most limits.token) so that the reverse DFA can find where the
 * match starts. A restart must make progress: when the failure happened
 * where the driver last restarted, a restart at or before that point is
 * skipped, so a message that fails without consuming cannot loop.
 */
#include "gvm-int.h"

#include <stdio.h>
#include <string.h>

void gvm_set_error(struct gctx *c, const char *detail)
{
    if (!c->nfr) {
        snprintf(c->err, sizeof(c->err), "%s", detail);
        return;
    }
    const struct gframe *f = &c->fr[c->nfr - 1];
    const struct spu_bview *v = c->conn->v;
    const struct spu_bprog *p = &v->progs[f->prog];
    const struct spu_insn *in = &v->code[p->code_off + f->pc];
    uint32_t nl = 0;
    const char *name = spu_bundle_str(c->conn->b, p->name, &nl);
    snprintf(c->err, sizeof(c->err), "prog '%.*s' pc %u (%s): %s", (int)nl, name, f->pc,
             in->op < SPU_OP__COUNT ? spu_opinfo[in->op].name : "?", detail);
}

void gvm_unwind(struct gctx *c, int complete)
{
    c->op.active = 0;
    c->abort_pending = 0;
    c->own = NULL;
    gvm_wins_drop(c, 0);
    c->bon = 0;
    if (c->conn->stop_req)
        gvm_sinks_drop(c);
    else
        gvm_sinks_unwind(c, 0);
    while (c->nfr) {
        struct gframe f = c->fr[--c->nfr];
        if (f.is_msg)
            gvm_msg_end(c, f.msg, !complete);
    }
    c->nloc = 0;
    c->nmk = 0;
    c->has_driver = 0;
}

int gvm_fail(struct gctx *c, const char *what, const char *detail)
{
    struct spu_gvm_conn *conn = c->conn;
    gvm_set_error(c, detail);
    gvm_anomaly_s(c, what);
    conn->st.errors++;
    conn->g->st.errors++;
    if (strcmp(what, "memory") == 0)
        c->oom = 1;
    gvm_unwind(c, 0);
    if (c->level == 0 && !conn->stop_req)
        gvm_resync_enter(c);
    else
        c->status = GS_STOPPED;
    return GOP_FAIL;
}

void gvm_resync_enter(struct gctx *c)
{
    const struct spu_bproto *P = c->P;
    if (c->dgram && !c->oom && !c->level) {
        c->status = GS_DGRAM;
        return;
    }
    if (c->oom || c->level || P->resync[c->dir] == SPU_NONE) {
        c->status = GS_STOPPED;
        return;
    }
    c->status = GS_RESYNC;
    c->rs_active = 0;
    c->rs_skip = 0;
    c->rs_min = c->pos == c->restart ? c->pos + 1 : 0;
}

int gvm_driver_start(struct gctx *c)
{
    const struct spu_bproto *P = c->P;
    uint32_t pi = P->driver[c->dir];
    c->restart = c->pos;
    c->status = GS_RUN;
    spu_arena_reset(c->arena);
    if (gvm_push_frame(c, pi, c->drv, NULL, NULL, 0, 0) != GOP_DONE)
        return GOP_FAIL;
    return GOP_DONE;
}

/* Where the match ending at `e` starts: the reverse DFA read backward over
 * the held bytes [pos, e). */
static uint64_t match_start(struct gctx *c, uint64_t e)
{
    uint32_t ri = c->P->resync_rev[c->dir];
    if (ri == SPU_NONE)
        return e;
    const struct spu_dfa *d = &c->conn->cache->dfa[ri];
    struct spu_dfa_scan s;
    spu_dfa_scan_init(&s, d);
    uint64_t q = e;
    while (q > c->pos) {
        uint64_t from = q > c->chunk_base ? c->chunk_base : c->hold_base;
        if (from < c->pos)
            from = c->pos;
        const uint8_t *p;
        gvm_in_at(c, from, &p);
        int rc = spu_dfa_longest_rev(d, &s, p, (size_t)(q - from));
        q = from;
        if (rc == SPU_DONE)
            break;
    }
    spu_dfa_finish(d, &s);
    return s.choice == SPU_NONE ? e : e - s.len;
}

int gvm_resync(struct gctx *c)
{
    const struct spu_bproto *P = c->P;
    const struct spu_dfa *d = &c->conn->cache->dfa[P->resync[c->dir]];
    int at_mode = P->resync_mode[c->dir] == SPU_RESYNC_AT;
    for (;;) {
        if (!c->rs_active) {
            if (c->rs_skip) {
                if (c->pos >= c->end) {
                    if (c->eof) {
                        c->status = GS_DONE;
                        return GOP_ENDED;
                    }
                    return GOP_MORE;
                }
                c->pos++;
                c->rs_skip = 0;
            }
            spu_dfa_scan_init(&c->rs, d);
            c->rs_active = 1;
            c->rs_start = c->pos;
        }
        uint64_t at = c->rs_start + c->rs.consumed;
        const uint8_t *p;
        size_t n = gvm_in_at(c, at, &p);
        int rc;
        if (n == 0) {
            if (c->eof) {
                c->status = GS_DONE;
                return GOP_ENDED;
            }
            if (!at_mode)
                c->pos = c->end;
            else if (c->end - c->pos > c->lim_token)
                c->pos = c->end - c->lim_token;
            return GOP_MORE;
        }
        if (at_mode) {
            /* where the search last stood in its start state, no match in
             * progress: what came before it can go */
            uint64_t idle = GVM_NOWHERE;
            rc = spu_dfa_search_idle(d, &c->rs, p, n, &idle);
            if (idle != GVM_NOWHERE)
                c->pos = c->rs_start + idle;
        } else {
            rc = spu_dfa_search(d, &c->rs, p, n);
        }
        if (rc != SPU_DONE)
            continue;
        if (c->rs.choice == SPU_NONE) { /* the pattern can no longer match */
            c->status = GS_STOPPED;
            return GOP_ENDED;
        }
        uint64_t e = c->rs_start + c->rs.len;
        uint64_t r = at_mode ? match_start(c, e) : e;
        if (r < c->rs_min) { /* no progress: search again one byte further */
            c->rs_active = 0;
            c->pos = c->rs_start;
            c->rs_skip = 1;
            continue;
        }
        c->pos = r;
        c->rs_active = 0;
        c->conn->st.resyncs++;
        c->conn->g->st.resyncs++;
        return gvm_driver_start(c) == GOP_DONE ? GOP_DONE : GOP_ENDED;
    }
}

void gvm_conn_stop_all(struct spu_gvm_conn *conn)
{
    conn->stop_req = 1;
    conn->stopped = 1;
    for (int d = 0; d < 2; d++) {
        struct gctx *c = conn->dir[d];
        if (!c)
            continue;
        gvm_unwind(c, c->stop_here);
        c->status = GS_STOPPED;
        c->hold_len = 0;
        c->pos = c->end;
        c->hold_base = c->end;
    }
    gvm_txq_flush(conn);
}
