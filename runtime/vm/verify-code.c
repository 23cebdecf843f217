/*
 * verify-code.c - the checks of one program's code (STYLE.md convention 2).
 *
 * One pass in instruction order. Jumps are forward (JMP, JZ, JNZ) or
 * backward (LOOP, G_LOOP) only, so when the pass reaches an instruction
 * every edge into it has been seen except the backward ones, which are
 * checked against the depth already recorded at their target. Per
 * instruction:
 * - the opcode is known and allowed for the program kind (RULE and KEY:
 *   R ops; UNIT, MESSAGE, DRIVER: G ops);
 * - every operand is in range for its SPU_FMT_* and unused operands are 0;
 * - reachable instructions: the stack never goes below 0 nor above the
 *   program's max_stack, is equal where paths merge, is empty (after the
 *   pops) at every suspending grammar op, and is 0 at RET (1 for KEY
 *   programs: the key);
 * - no path falls off the end (the last instruction is RET, JMP, LOOP,
 *   G_LOOP or G_ERROR and no jump targets code_len); a backward target
 *   must be reachable before the loop.
 * Unreachable instructions get the operand checks only.
 */
#include "value.h"
#include "verify-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pctx {
    const struct vctx *vc;
    const struct spu_bprog *p;
    uint32_t pi;
    uint32_t pc;
    const struct spu_insn *in;
};

#define PFAIL(pc_, ...) pfail(x, (pc_), __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static int pfail(const struct pctx *x, uint32_t pc,
                                                       const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const struct spu_bview *v = x->vc->v;
    const char *name = spu_bview_str(v, x->p->name);
    const struct spu_insn *in = &v->code[x->p->code_off + pc];
    return spu_vfail(x->vc, SPU_SEC_CODE, (uint64_t)x->p->code_off + pc, 0,
                     "prog %u '%.*s' pc %u (%s): %s", x->pi, (int)x->p->name.len, name, pc,
                     in->op < SPU_OP__COUNT ? spu_opinfo[in->op].name : "?", msg);
}

static int is_rule_kind(uint32_t kind)
{
    return kind == SPU_PROG_RULE || kind == SPU_PROG_KEY;
}

static uint32_t layout_nfields(const struct spu_bview *v, uint32_t l, int std_ok, int *ok)
{
    *ok = 1;
    if ((l & SPU_LAYOUT_STD) && std_ok && (l & ~SPU_LAYOUT_STD) < SPU_REC__COUNT)
        return spu_std_records[l & ~SPU_LAYOUT_STD].layout.nfields;
    if (l < v->nlayouts)
        return v->layouts[l].nfields;
    *ok = 0;
    return 0;
}

/* Which of a, b, c a format uses (the rest must be zero). */
enum { UA = 1, UB = 2, UC = 4 };
static unsigned fmt_uses(unsigned fmt)
{
    switch (fmt) {
    case SPU_FMT_NONE:
        return 0;
    case SPU_FMT_BOOL:
    case SPU_FMT_GFLAGS:
        return UA;
    case SPU_FMT_IMM:
    case SPU_FMT_CONST:
    case SPU_FMT_REGEX:
    case SPU_FMT_LIST:
    case SPU_FMT_JUMP:
    case SPU_FMT_DFA:
    case SPU_FMT_MSG:
    case SPU_FMT_EVENT:
        return UC;
    case SPU_FMT_LOCAL:
    case SPU_FMT_FIELD:
    case SPU_FMT_STATE:
    case SPU_FMT_FLOWVAR:
    case SPU_FMT_FLOWKEY:
    case SPU_FMT_LOOPSLOT:
        return UB;
    case SPU_FMT_LFIELD:
    case SPU_FMT_LOOPJUMP:
        return UB | UC;
    case SPU_FMT_BUILTIN:
    case SPU_FMT_GCONST:
    case SPU_FMT_GDFA:
        return UA | UC;
    case SPU_FMT_SESS:
        return UA | UB;
    case SPU_FMT_UNIT:
    case SPU_FMT_SINK:
        return UA | UB | UC;
    default:
        return 0;
    }
}

static int check_builtin(const struct pctx *x, uint32_t pc)
{
    const struct spu_insn *in = x->in;
    if (in->c >= SPU_BI__COUNT)
        return PFAIL(pc, "unknown builtin %u", in->c);
    const struct spu_builtin_info *bi = &spu_builtins[in->c];
    unsigned ar = x->vc->arity[in->c];
    int variadic = !!(bi->flags & SPU_BIF_VARIADIC);
    if (in->a > SPU_MAX_ARGS || in->a < ar || (!variadic && in->a != ar))
        return PFAIL(pc, "%s called with %u arguments, takes %u%s", bi->name, in->a, ar,
                     variadic ? " or more" : "");
    if (is_rule_kind(x->p->kind) && !(bi->flags & SPU_BIF_RULE))
        return PFAIL(pc, "%s is not usable in rules", bi->name);
    if (!is_rule_kind(x->p->kind) && !(bi->flags & SPU_BIF_GRAMMAR))
        return PFAIL(pc, "%s is not usable in grammars", bi->name);
    if ((bi->flags & SPU_BIF_ACTION) && x->p->kind != SPU_PROG_RULE)
        return PFAIL(pc, "action %s outside a rule program", bi->name);
    return SPU_OK;
}

static int check_operands(const struct pctx *x, uint32_t pc)
{
    const struct spu_bview *v = x->vc->v;
    const struct spu_bprog *p = x->p;
    const struct spu_insn *in = x->in;
    unsigned fmt = spu_opinfo[in->op].fmt;
    unsigned use = fmt_uses(fmt);
    if ((!(use & UA) && in->a) || (!(use & UB) && in->b) || (!(use & UC) && in->c))
        return PFAIL(pc, "unused operand not zero (a=%u b=%u c=%u)", in->a, in->b, in->c);
    int ok;
    uint32_t nf;
    switch (fmt) {
    case SPU_FMT_NONE:
    case SPU_FMT_IMM:
        return SPU_OK;
    case SPU_FMT_BOOL:
        return in->a <= 1 ? SPU_OK : PFAIL(pc, "bool operand %u", in->a);
    case SPU_FMT_CONST:
        return in->c < v->nconsts ? SPU_OK : PFAIL(pc, "constant %u of %u", in->c, v->nconsts);
    case SPU_FMT_LOCAL:
        return in->b < p->nlocals ? SPU_OK : PFAIL(pc, "local %u of %u", in->b, p->nlocals);
    case SPU_FMT_FIELD:
        if (p->layout == SPU_NONE)
            return PFAIL(pc, "field access in a program without a record");
        nf = layout_nfields(v, p->layout, p->kind == SPU_PROG_KEY, &ok);
        return in->b < nf ? SPU_OK : PFAIL(pc, "field %u of %u", in->b, nf);
    case SPU_FMT_LFIELD:
        nf = layout_nfields(v, in->c, in->op == SPU_OP_MEMBER, &ok);
        if (!ok)
            return PFAIL(pc, "layout 0x%x unknown", in->c);
        return in->b < nf ? SPU_OK : PFAIL(pc, "field %u of %u in layout 0x%x", in->b, nf, in->c);
    case SPU_FMT_STATE: {
        uint32_t sl = v->protos[p->proto].state_layout;
        if (sl == SPU_NONE)
            return PFAIL(pc, "protocol %u has no state", p->proto);
        nf = v->layouts[sl].nfields;
        return in->b < nf ? SPU_OK : PFAIL(pc, "state variable %u of %u", in->b, nf);
    }
    case SPU_FMT_REGEX:
        return in->c < v->nregexes ? SPU_OK : PFAIL(pc, "regex %u of %u", in->c, v->nregexes);
    case SPU_FMT_LIST:
        return in->c < v->nlists ? SPU_OK : PFAIL(pc, "list %u of %u", in->c, v->nlists);
    case SPU_FMT_JUMP:
    case SPU_FMT_LOOPJUMP:
        if (fmt == SPU_FMT_LOOPJUMP && in->b >= p->nloops)
            return PFAIL(pc, "loop slot %u of %u", in->b, p->nloops);
        return SPU_OK; /* targets: see walk() */
    case SPU_FMT_BUILTIN:
        return check_builtin(x, pc);
    case SPU_FMT_FLOWVAR: {
        uint32_t fl = v->globals->flow_layout;
        if (fl == SPU_NONE)
            return PFAIL(pc, "the bundle has no flow variables");
        if (p->kind == SPU_PROG_KEY && in->op == SPU_OP_STORE_FLOWVAR)
            return PFAIL(pc, "a KEY program may not store");
        nf = v->layouts[fl].nfields;
        return in->b < nf ? SPU_OK : PFAIL(pc, "flow variable %u of %u", in->b, nf);
    }
    case SPU_FMT_FLOWKEY:
        return in->b < spu_vflowkey_count()
                   ? SPU_OK
                   : PFAIL(pc, "flow key %u of %u", in->b, spu_vflowkey_count());
    case SPU_FMT_SESS: {
        if (p->kind != SPU_PROG_RULE)
            return PFAIL(pc, "sessions are only reachable from rule programs");
        if (in->a >= v->nsessions)
            return PFAIL(pc, "session %u of %u", in->a, v->nsessions);
        const struct spu_bsession *s = &v->sessions[in->a];
        if (s->key_event != SPU_NONE && s->key_event != p->event)
            return PFAIL(pc, "session %u is keyed on event %u, the program runs on %u", in->a,
                         s->key_event, p->event);
        nf = v->layouts[s->layout].nfields;
        return in->b < nf ? SPU_OK : PFAIL(pc, "session variable %u of %u", in->b, nf);
    }
    case SPU_FMT_GCONST: {
        unsigned allowed =
            in->op == SPU_OP_G_LIT ? SPU_GF_CAPTURE | SPU_GF_YIELD | SPU_GF_NOCASE : 0;
        if (in->a & ~allowed)
            return PFAIL(pc, "flags 0x%x not allowed", in->a);
        if (in->c >= v->nconsts || v->consts[in->c].kind != SPU_K_STR)
            return PFAIL(pc, "constant %u is not a string", in->c);
        if (in->op == SPU_OP_G_LIT && v->consts[in->c].len == 0)
            return PFAIL(pc, "empty literal");
        return SPU_OK;
    }
    case SPU_FMT_GDFA:
    case SPU_FMT_GFLAGS: {
        unsigned allowed = SPU_GF_CAPTURE | SPU_GF_YIELD;
        if (in->op == SPU_OP_G_SINK_CLOSE)
            allowed = SPU_GF_CAPTURE;
        if (in->op == SPU_OP_G_PREDICT)
            allowed = SPU_GF_SURE;
        if (in->op == SPU_OP_G_UINT)
            allowed = SPU_GF_CAPTURE | SPU_GF_YIELD | 0xf0u;
        if (in->a & ~allowed)
            return PFAIL(pc, "flags 0x%x not allowed", in->a);
        if (fmt == SPU_FMT_GDFA && in->c >= v->ndfas)
            return PFAIL(pc, "dfa %u of %u", in->c, v->ndfas);
        return SPU_OK;
    }
    case SPU_FMT_DFA:
        return in->c < v->ndfas ? SPU_OK : PFAIL(pc, "dfa %u of %u", in->c, v->ndfas);
    case SPU_FMT_UNIT:
        if (in->c >= v->nprogs || v->progs[in->c].kind != SPU_PROG_UNIT)
            return PFAIL(pc, "program %u is not a unit", in->c);
        if (in->a != v->progs[in->c].nparams)
            return PFAIL(pc, "%u arguments for a unit of %u parameters", in->a,
                         v->progs[in->c].nparams);
        if (in->b & ~(unsigned)SPU_GF_CAPTURE)
            return PFAIL(pc, "flags 0x%x not allowed", in->b);
        return SPU_OK;
    case SPU_FMT_MSG:
        if (in->c >= v->nprogs || v->progs[in->c].kind != SPU_PROG_MESSAGE)
            return PFAIL(pc, "program %u is not a message", in->c);
        return SPU_OK;
    case SPU_FMT_SINK:
        if (in->c >= v->nsinks)
            return PFAIL(pc, "sink %u of %u", in->c, v->nsinks);
        if (in->a != v->sinks[in->c].nfilters || in->b != v->sinks[in->c].nargs)
            return PFAIL(pc, "%u conditions / %u args, sink %u has %u filters / %u args", in->a,
                         in->b, in->c, v->sinks[in->c].nfilters, v->sinks[in->c].nargs);
        return SPU_OK;
    case SPU_FMT_EVENT: {
        if (in->c >= v->nevents)
            return PFAIL(pc, "event %u of %u", in->c, v->nevents);
        const struct spu_bevent *e = &v->events[in->c];
        if (e->kind != SPU_EV_GRAMMAR || e->proto != p->proto || e->layout != p->layout)
            return PFAIL(pc, "event %u is not a grammar event of this protocol and record", in->c);
        return SPU_OK;
    }
    case SPU_FMT_LOOPSLOT:
        return in->b < p->nloops ? SPU_OK : PFAIL(pc, "loop slot %u of %u", in->b, p->nloops);
    default:
        return PFAIL(pc, "operand format %u unknown", fmt);
    }
}

static int is_terminator(unsigned op)
{
    return op == SPU_OP_RET || op == SPU_OP_JMP || op == SPU_OP_LOOP || op == SPU_OP_G_LOOP ||
           op == SPU_OP_G_ERROR;
}

/* Record depth d for an edge into `to` (forward), or compare. */
static int merge(const struct pctx *x, int32_t *depth, uint32_t from, uint32_t to, int32_t d)
{
    if (depth[to] < 0) {
        depth[to] = d;
        return SPU_OK;
    }
    if (depth[to] != d)
        return PFAIL(from, "stack depth %d here, %d at %u where paths merge", d, depth[to], to);
    return SPU_OK;
}

static int walk(struct pctx *x, int32_t *depth)
{
    const struct spu_bview *v = x->vc->v;
    const struct spu_bprog *p = x->p;
    const struct spu_insn *code = v->code + p->code_off;
    uint32_t len = p->code_len;
    unsigned where = is_rule_kind(p->kind) ? SPU_WHERE_R : SPU_WHERE_G;
    depth[0] = 0;
    for (uint32_t pc = 0; pc < len; pc++) {
        const struct spu_insn *in = &code[pc];
        x->in = in;
        if (in->op >= SPU_OP__COUNT)
            return PFAIL(pc, "unknown opcode %u", in->op);
        const struct spu_opinfo *oi = &spu_opinfo[in->op];
        if (!(oi->where & where))
            return PFAIL(pc, "%s op in a %s program", oi->where == SPU_WHERE_G ? "grammar" : "rule",
                         is_rule_kind(p->kind) ? "rule-kind" : "grammar");
        int rc = check_operands(x, pc);
        if (rc != SPU_OK)
            return rc;
        unsigned fmt = oi->fmt;
        if (fmt == SPU_FMT_JUMP || fmt == SPU_FMT_LOOPJUMP) {
            int back = in->op == SPU_OP_LOOP || in->op == SPU_OP_G_LOOP;
            if (in->c >= len)
                return PFAIL(pc, "jump to %u, past the end (%u)", in->c, len);
            if (back && in->c > pc)
                return PFAIL(pc, "%s to %u is not backward", oi->name, in->c);
            if (!back && in->c <= pc)
                return PFAIL(pc, "%s to %u is not forward", oi->name, in->c);
        }
        int32_t d = depth[pc];
        if (d < 0)
            continue; /* unreachable */
        int pops = spu_insn_pops(in), pushes = spu_insn_pushes(in);
        if (d < pops)
            return PFAIL(pc, "stack underflow: pops %d of %d", pops, d);
        int32_t nd = d - pops + pushes;
        if (nd > p->max_stack)
            return PFAIL(pc, "stack depth %d above the program's max_stack %u", nd, p->max_stack);
        if (spu_op_suspends(in->op) && d - pops != 0)
            return PFAIL(pc, "%d values on the stack at a suspending op", d - pops);
        if (in->op == SPU_OP_RET) {
            int32_t want = p->kind == SPU_PROG_KEY ? 1 : 0;
            if (d != want)
                return PFAIL(pc, "RET with %d values on the stack, expected %d", d, want);
        }
        if (fmt == SPU_FMT_JUMP || fmt == SPU_FMT_LOOPJUMP) {
            if (in->c > pc) {
                rc = merge(x, depth, pc, in->c, nd);
            } else if (depth[in->c] < 0) {
                return PFAIL(pc, "loop target %u is reachable only through the loop", in->c);
            } else if (depth[in->c] != nd) {
                return PFAIL(pc, "stack depth %d here, %d at loop target %u", nd, depth[in->c],
                             in->c);
            }
            if (rc != SPU_OK)
                return rc;
        }
        if (!is_terminator(in->op)) {
            if (pc + 1 == len)
                return PFAIL(pc, "execution falls off the end of the program");
            rc = merge(x, depth, pc, pc + 1, nd);
            if (rc != SPU_OK)
                return rc;
        }
    }
    uint32_t last = len - 1;
    x->in = &code[last];
    if (!is_terminator(code[last].op))
        return PFAIL(last, "the last instruction does not end the program");
    return SPU_OK;
}

int spu_verify_code(const struct vctx *vc, uint32_t pi)
{
    const struct spu_bprog *p = &vc->v->progs[pi];
    int32_t *depth = malloc((size_t)p->code_len * sizeof(*depth));
    if (!depth)
        return spu_error_set(vc->err, SPU_ENOMEM, "out of memory verifying program %u", pi);
    memset(depth, 0xff, (size_t)p->code_len * sizeof(*depth)); /* -1: not reached yet */
    struct pctx x = {.vc = vc, .p = p, .pi = pi};
    int rc = walk(&x, depth);
    free(depth);
    return rc;
}
