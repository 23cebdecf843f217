/*
 * opt.c - IR passes (see cg-int.h), run on each function until none
 * changes anything, at most OPT_MAX_ROUNDS rounds:
 *
 * 1. fold: constant operands of arithmetic, comparisons, NOT, NEG,
 *    TRUTH, CONCAT and pure built-in calls are computed now (built-ins by
 *    the stdlib's own functions, with a scratch arena and no host); a
 *    conditional jump on a constant becomes a JMP or disappears; TRUTH or
 *    NOT before a conditional jump is absorbed by it. Operations that would
 *    fault at run time (a division by zero, a type mismatch, a built-in
 *    error) are left alone, so the rule still faults where it would have.
 * 2. dead code: instructions that no path reaches (after RET, JMP, LOOP,
 *    G_LOOP or G_ERROR, up to the next label in use) and labels nothing
 *    jumps to are removed.
 * 3. jump threading: a forward JMP/JZ/JNZ to a JMP goes straight to that
 *    JMP's target; a JMP to a RET becomes a RET.
 * 4. peephole: a JMP to the next instruction disappears; a conditional
 *    jump to the next instruction becomes POP; a conditional jump over a
 *    JMP becomes the opposite jump to the JMP's target; a push of a value
 *    that is dropped at once (PUSH_* / LOAD_* / DUP followed by POP)
 *    disappears.
 *
 * Every rewrite keeps the stack depth of each instruction that remains,
 * so what the verifier accepted before a pass it accepts after. Each pass
 * either removes instructions or retargets a jump to a strictly later
 * label, so rounds stop; the bound only guards against a mistake.
 */
#include "cg-int.h"

#include "arena.h"
#include "builtin-api.h"
#include "err.h"
#include "vm-ops.h"

#include <stdlib.h>
#include <string.h>

#define OPT_MAX_ROUNDS 64

struct ox {
    struct cg *cg;
    struct ir_func *f;
    struct spu_arena *scratch;
    uint32_t *lpos;   /* by label: instruction index of the label */
    uint32_t *lrefs;  /* by label: jumps to it */
    uint32_t nlab;
};

/* The value a constant push pushes. */
static bool kval(const struct ir_insn *in, struct spu_value *v)
{
    switch (in->op) {
    case SPU_OP_PUSH_NULL:
        *v = spu_v_null();
        return true;
    case SPU_OP_PUSH_BOOL:
        *v = spu_v_bool(in->a != 0);
        return true;
    case SPU_OP_PUSH_INT:
        *v = spu_v_int((int32_t)in->c);
        return true;
    case SPU_OP_PUSH_K:
        if (!in->k)
            return false;
        if (in->k->kind == SPU_K_INT) {
            *v = spu_v_int(in->k->i);
            return true;
        }
        if (in->k->kind == SPU_K_STR) {
            *v = spu_v_str(in->k->s, in->k->len);
            return true;
        }
        if (in->k->kind == SPU_K_IP) {
            *v = (struct spu_value){.type = SPU_T_IP, .aux = in->k->family, .len = in->k->len};
            v->u.s = in->k->s;
            return true;
        }
        return false;
    default:
        return false;
    }
}

/* Turn `in` into a push of v (copied into the compilation's arena). */
static bool set_const(struct ox *o, struct ir_insn *in, const struct spu_value *v)
{
    struct src_loc loc = in->loc;
    memset(in, 0, sizeof(*in));
    in->loc = loc;
    switch (v->type) {
    case SPU_T_NULL:
        in->op = SPU_OP_PUSH_NULL;
        return true;
    case SPU_T_BOOL:
        in->op = SPU_OP_PUSH_BOOL;
        in->a = v->u.i ? 1 : 0;
        return true;
    case SPU_T_INT:
        if (v->u.i >= INT32_MIN && v->u.i <= INT32_MAX) {
            in->op = SPU_OP_PUSH_INT;
            in->c = (uint32_t)(int32_t)v->u.i;
        } else {
            in->op = SPU_OP_PUSH_K;
            in->k = cg_k_int(o->cg, v->u.i);
        }
        return in->op == SPU_OP_PUSH_INT || in->k;
    case SPU_T_STR: {
        uint8_t *p = cg_alloc(o->cg, v->len + 1);
        if (!p)
            return false;
        if (v->len)
            memcpy(p, v->u.s, v->len);
        in->op = SPU_OP_PUSH_K;
        in->k = cg_k_str(o->cg, p, v->len);
        return in->k != NULL;
    }
    case SPU_T_IP: {
        struct ir_k *k = cg_alloc(o->cg, sizeof(*k));
        uint8_t *p = cg_alloc(o->cg, 16);
        if (!k || !p)
            return false;
        memcpy(p, v->u.s, 16);
        k->kind = SPU_K_IP;
        k->family = v->aux;
        k->len = v->len;
        k->s = p;
        in->op = SPU_OP_PUSH_K;
        in->k = k;
        return true;
    }
    default:
        return false;
    }
}

/* ---- 1. folding ---- */

static bool fold_binary(unsigned op, const struct spu_value *x, const struct spu_value *y,
                        struct spu_value *r, struct spu_arena *scratch)
{
    switch (op) {
    case SPU_OP_EQ:
        *r = spu_v_bool(spu_value_eq(x, y));
        return true;
    case SPU_OP_NE:
        *r = spu_v_bool(!spu_value_eq(x, y));
        return true;
    case SPU_OP_LT:
    case SPU_OP_LE:
    case SPU_OP_GT:
    case SPU_OP_GE:
        return spu_vmop_compare(op, x, y, r) == 0;
    case SPU_OP_CONCAT:
        return spu_vmop_concat(scratch, x, y, r) == 0;
    default:
        break;
    }
    if (x->type != SPU_T_INT || y->type != SPU_T_INT)
        return false;
    uint64_t a = (uint64_t)x->u.i, b = (uint64_t)y->u.i;
    switch (op) {
    case SPU_OP_ADD:
        *r = spu_v_int((int64_t)(a + b));
        return true;
    case SPU_OP_SUB:
        *r = spu_v_int((int64_t)(a - b));
        return true;
    case SPU_OP_MUL:
        *r = spu_v_int((int64_t)(a * b));
        return true;
    case SPU_OP_DIV:
    case SPU_OP_MOD:
        if (y->u.i == 0)
            return false; /* faults at run time, as written */
        if (y->u.i == -1)
            *r = spu_v_int(op == SPU_OP_DIV ? (int64_t)(0u - a) : 0);
        else
            *r = spu_v_int(op == SPU_OP_DIV ? x->u.i / y->u.i : x->u.i % y->u.i);
        return true;
    default:
        return false;
    }
}

static bool is_binary(unsigned op)
{
    switch (op) {
    case SPU_OP_ADD:
    case SPU_OP_SUB:
    case SPU_OP_MUL:
    case SPU_OP_DIV:
    case SPU_OP_MOD:
    case SPU_OP_CONCAT:
    case SPU_OP_EQ:
    case SPU_OP_NE:
    case SPU_OP_LT:
    case SPU_OP_LE:
    case SPU_OP_GT:
    case SPU_OP_GE:
        return true;
    default:
        return false;
    }
}

static bool fold_call(struct ox *o, uint32_t i)
{
    struct ir_func *f = o->f;
    const struct ir_insn *in = &f->code[i];
    unsigned id = in->c, argc = in->a;
    if (id >= SPU_BI__COUNT || !(spu_builtins[id].flags & SPU_BIF_PURE) || argc > i ||
        argc > SPU_MAX_ARGS)
        return false;
    struct spu_value args[SPU_MAX_ARGS];
    for (unsigned k = 0; k < argc; k++)
        if (!kval(&f->code[i - argc + k], &args[k]))
            return false;
    spu_arena_reset(o->scratch);
    struct spu_call call = {.scratch = o->scratch, .rule = 0xffffffffu, .builtin = id};
    struct spu_value r = spu_v_null();
    if (spu_builtin_fns[id](&call, args, argc, &r) != SPU_OK)
        return false;
    if (r.type != SPU_T_NULL && r.type != SPU_T_BOOL && r.type != SPU_T_INT &&
        r.type != SPU_T_STR && r.type != SPU_T_IP)
        return false;
    struct ir_insn res = f->code[i];
    if (!set_const(o, &res, &r))
        return false;
    for (unsigned k = 0; k < argc; k++)
        ir_delete(f, i - argc);
    f->code[i - argc] = res;
    return true;
}

static uint32_t pass_fold(struct ox *o)
{
    struct ir_func *f = o->f;
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        struct ir_insn *in = &f->code[i];
        struct spu_value x, y, r;
        unsigned argc = in->a;
        if (in->op == SPU_OP_CALL && fold_call(o, i)) {
            n++;
            i = i >= argc + 1 ? i - argc - 1 : 0;
            continue;
        }
        if (i >= 1 && kval(&f->code[i - 1], &x)) {
            bool done = false;
            switch (in->op) {
            case SPU_OP_NOT:
            case SPU_OP_TRUTH:
                r = spu_v_bool(spu_value_truth(&x) == (in->op == SPU_OP_TRUTH));
                done = set_const(o, &f->code[i - 1], &r);
                break;
            case SPU_OP_NEG:
                if (x.type == SPU_T_INT) {
                    r = spu_v_int((int64_t)(0u - (uint64_t)x.u.i));
                    done = set_const(o, &f->code[i - 1], &r);
                }
                break;
            case SPU_OP_JZ:
            case SPU_OP_JNZ: {
                bool jump = spu_value_truth(&x) == (in->op == SPU_OP_JNZ);
                if (jump) {
                    uint32_t to = in->c;
                    struct src_loc loc = in->loc;
                    ir_delete(f, i);
                    f->code[i - 1] = (struct ir_insn){.op = SPU_OP_JMP, .c = to, .loc = loc};
                } else {
                    ir_delete(f, i);
                    ir_delete(f, i - 1);
                }
                n++;
                i = i >= 2 ? i - 2 : 0;
                continue;
            }
            case SPU_OP_POP:
                ir_delete(f, i);
                ir_delete(f, i - 1);
                n++;
                i = i >= 2 ? i - 2 : 0;
                continue;
            default:
                break;
            }
            if (done) {
                ir_delete(f, i);
                n++;
                i = i >= 2 ? i - 2 : 0;
                continue;
            }
        }
        if (i >= 2 && is_binary(in->op) && kval(&f->code[i - 2], &x) &&
            kval(&f->code[i - 1], &y)) {
            spu_arena_reset(o->scratch);
            if (fold_binary(in->op, &x, &y, &r, o->scratch) && set_const(o, &f->code[i - 2], &r)) {
                ir_delete(f, i);
                ir_delete(f, i - 1);
                n++;
                i = i >= 3 ? i - 3 : 0;
                continue;
            }
        }
        if (i >= 1 && (in->op == SPU_OP_JZ || in->op == SPU_OP_JNZ ||
                       in->op == SPU_OP_TRUTH || in->op == SPU_OP_NOT)) {
            struct ir_insn *prev = &f->code[i - 1];
            if (prev->op == SPU_OP_TRUTH) { /* TRUTH; JZ / JNZ / NOT / TRUTH */
                ir_delete(f, i - 1);
                n++;
                i = i >= 2 ? i - 2 : 0;
                continue;
            }
            if (prev->op == SPU_OP_NOT && (in->op == SPU_OP_JZ || in->op == SPU_OP_JNZ)) {
                in->op = in->op == SPU_OP_JZ ? SPU_OP_JNZ : SPU_OP_JZ;
                ir_delete(f, i - 1);
                n++;
                i = i >= 2 ? i - 2 : 0;
                continue;
            }
            if (prev->op == SPU_OP_NOT && in->op == SPU_OP_NOT) {
                prev->op = SPU_OP_TRUTH;
                ir_delete(f, i);
                n++;
                i = i >= 2 ? i - 2 : 0;
                continue;
            }
        }
    }
    return n;
}

/* ---- label bookkeeping ---- */

static int scan_labels(struct ox *o)
{
    struct ir_func *f = o->f;
    if (f->nlabels > o->nlab) {
        uint32_t *p = realloc(o->lpos, f->nlabels * sizeof(uint32_t));
        uint32_t *q = p ? realloc(o->lrefs, f->nlabels * sizeof(uint32_t)) : NULL;
        if (p)
            o->lpos = p;
        if (!q)
            return o->cg->status = SPU_ENOMEM;
        o->lrefs = q;
        o->nlab = f->nlabels;
    }
    for (uint32_t l = 0; l < f->nlabels; l++) {
        o->lpos[l] = SPU_NONE;
        o->lrefs[l] = 0;
    }
    for (uint32_t i = 0; i < f->n; i++) {
        const struct ir_insn *in = &f->code[i];
        if (in->op == IR_LABEL)
            o->lpos[in->c] = i;
        else if (ir_is_jump(in->op) && in->c < f->nlabels)
            o->lrefs[in->c]++;
    }
    return SPU_OK;
}

/* The first instruction at or after i that is not a label. */
static uint32_t real_at(const struct ir_func *f, uint32_t i)
{
    while (i < f->n && f->code[i].op == IR_LABEL)
        i++;
    return i;
}

/* ---- 2. dead code ---- */

static uint32_t pass_dead(struct ox *o)
{
    struct ir_func *f = o->f;
    if (scan_labels(o) != SPU_OK)
        return 0;
    uint32_t n = 0;
    bool dead = false;
    for (uint32_t i = 0; i < f->n;) {
        const struct ir_insn *in = &f->code[i];
        if (in->op == IR_LABEL) {
            if (o->lrefs[in->c] == 0) {
                ir_delete(f, i);
                n++;
                continue;
            }
            dead = false;
            i++;
            continue;
        }
        if (dead) {
            if (ir_is_jump(in->op) && in->c < f->nlabels)
                o->lrefs[in->c]--;
            ir_delete(f, i);
            n++;
            continue;
        }
        dead = ir_ends_flow(in->op);
        i++;
    }
    return n;
}

/* ---- 3. jump threading ---- */

static uint32_t pass_thread(struct ox *o)
{
    struct ir_func *f = o->f;
    if (scan_labels(o) != SPU_OK)
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        struct ir_insn *in = &f->code[i];
        if (in->op != SPU_OP_JMP && in->op != SPU_OP_JZ && in->op != SPU_OP_JNZ)
            continue;
        uint32_t at = o->lpos[in->c];
        if (at == SPU_NONE || at < i)
            continue;
        uint32_t t = real_at(f, at);
        if (t >= f->n)
            continue;
        const struct ir_insn *tgt = &f->code[t];
        if (tgt->op == SPU_OP_JMP && tgt->c != in->c && o->lpos[tgt->c] != SPU_NONE &&
            o->lpos[tgt->c] > at) {
            in->c = tgt->c;
            n++;
        } else if (tgt->op == SPU_OP_RET && in->op == SPU_OP_JMP) {
            struct src_loc loc = in->loc;
            *in = (struct ir_insn){.op = SPU_OP_RET, .loc = loc};
            n++;
        }
    }
    return n;
}

/* ---- 4. peephole ---- */

static bool pure_push(unsigned op)
{
    switch (op) {
    case SPU_OP_PUSH_NULL:
    case SPU_OP_PUSH_BOOL:
    case SPU_OP_PUSH_INT:
    case SPU_OP_PUSH_K:
    case SPU_OP_DUP:
    case SPU_OP_LOAD_LOCAL:
    case SPU_OP_LOAD_FIELD:
    case SPU_OP_LOAD_ANC:
    case SPU_OP_LOAD_PAIR:
    case SPU_OP_LOAD_STATE:
    case SPU_OP_LOAD_FLOWVAR:
    case SPU_OP_LOAD_FLOWKEY:
        return true;
    default:
        return false;
    }
}

static uint32_t pass_peephole(struct ox *o)
{
    struct ir_func *f = o->f;
    if (scan_labels(o) != SPU_OK)
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        struct ir_insn *in = &f->code[i];
        if (in->op == SPU_OP_JMP || in->op == SPU_OP_JZ || in->op == SPU_OP_JNZ) {
            /* a jump to the label right after it (only labels between) */
            bool next = false;
            for (uint32_t k = i + 1; k < f->n && f->code[k].op == IR_LABEL; k++)
                next |= f->code[k].c == in->c;
            if (next) {
                if (in->op == SPU_OP_JMP) {
                    ir_delete(f, i);
                } else {
                    in->op = SPU_OP_POP;
                    in->c = 0;
                }
                n++;
                i = i ? i - 1 : 0;
                continue;
            }
        }
        if ((in->op == SPU_OP_JZ || in->op == SPU_OP_JNZ) && i + 1 < f->n &&
            f->code[i + 1].op == SPU_OP_JMP) {
            /* Jcc La; JMP Lb; La:  ->  J!cc Lb; La: */
            bool next = false;
            for (uint32_t k = i + 2; k < f->n && f->code[k].op == IR_LABEL; k++)
                next |= f->code[k].c == in->c;
            if (next) {
                in->op = in->op == SPU_OP_JZ ? SPU_OP_JNZ : SPU_OP_JZ;
                in->c = f->code[i + 1].c;
                ir_delete(f, i + 1);
                n++;
                continue;
            }
        }
        if (in->op == SPU_OP_POP && i >= 1 && pure_push(f->code[i - 1].op)) {
            ir_delete(f, i);
            ir_delete(f, i - 1);
            n++;
            i = i >= 2 ? i - 2 : 0;
            continue;
        }
    }
    return n;
}

int opt_func(struct cg *cg, struct ir_func *f, struct opt_stats *st)
{
    struct ox o = {.cg = cg, .f = f};
    o.scratch = spu_arena_new(4096, 1u << 20);
    if (!o.scratch)
        return cg->status = SPU_ENOMEM;
    struct opt_stats local = {0};
    for (unsigned round = 0; round < OPT_MAX_ROUNDS; round++) {
        uint32_t a = pass_fold(&o), b = pass_dead(&o), c = pass_thread(&o), d = pass_peephole(&o);
        local.folded += a;
        local.dead += b;
        local.threaded += c;
        local.peephole += d;
        local.rounds++;
        if (a + b + c + d == 0 || cg->status != SPU_OK)
            break;
    }
    free(o.lpos);
    free(o.lrefs);
    spu_arena_free(o.scratch);
    if (st) {
        st->folded += local.folded;
        st->dead += local.dead;
        st->threaded += local.threaded;
        st->peephole += local.peephole;
        st->rounds += local.rounds;
    }
    return cg->status;
}
