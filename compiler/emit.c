/*
 * emit.c - IR functions to bytecode (see cg-int.h): labels become
 * program-relative instruction indexes, constants become (deduplicated)
 * bundle constants, and the largest stack depth is computed by the same
 * walk the verifier makes (forward edges merge, backward edges must agree),
 * so a function whose depths do not merge is a code generator bug caught
 * here, before the verifier sees it.
 */
#include "cg-int.h"

#include "err.h"

#include <stdlib.h>
#include <string.h>

static uint32_t const_index(struct cg *cg, const struct ir_k *k)
{
    switch (k->kind) {
    case SPU_K_INT:
        return spu_bw_const_int(cg->bw, k->i);
    case SPU_K_STR:
        return spu_bw_const_str(cg->bw, k->s, k->len, 0);
    case SPU_K_IP:
        return spu_bw_const_ip(cg->bw, k->s, k->family, k->len, 0);
    case SPU_K_LIST:
        return spu_bw_const_list(cg->bw, k->idx);
    case SPU_K_REGEX:
        return spu_bw_const_regex(cg->bw, k->idx);
    default:
        cg_bug(cg, "constant of kind %u", k->kind);
        return 0;
    }
}

int emit_max_stack(struct cg *cg, const struct ir_func *f, const struct spu_insn *code,
                   uint32_t n, uint32_t *max)
{
    int32_t *depth = malloc((n ? n : 1) * sizeof(*depth));
    if (!depth)
        return cg->status = SPU_ENOMEM;
    for (uint32_t i = 0; i < n; i++)
        depth[i] = -1;
    int rc = SPU_OK;
    int32_t top = 0;
    depth[0] = 0;
    for (uint32_t pc = 0; pc < n && rc == SPU_OK; pc++) {
        const struct spu_insn *in = &code[pc];
        int32_t d = depth[pc];
        if (d < 0)
            continue;
        int32_t nd = d - spu_insn_pops(in);
        if (nd < 0) {
            cg_bug(cg, "%s: stack underflow at %u (%s)", f->name, pc, spu_opinfo[in->op].name);
            rc = SPU_EINVAL;
            break;
        }
        nd += spu_insn_pushes(in);
        if (nd > top)
            top = nd;
        unsigned fmt = spu_opinfo[in->op].fmt;
        if (fmt == SPU_FMT_JUMP || fmt == SPU_FMT_LOOPJUMP) {
            uint32_t t = in->c;
            if (t >= n) {
                cg_bug(cg, "%s: jump past the end at %u", f->name, pc);
                rc = SPU_EINVAL;
            } else if (depth[t] < 0 && t > pc) {
                depth[t] = nd;
            } else if (depth[t] != nd) {
                cg_bug(cg, "%s: stack depth %d at %u meets %d at %u", f->name, nd, pc, depth[t],
                       t);
                rc = SPU_EINVAL;
            }
        }
        if (!ir_ends_flow(in->op) && pc + 1 < n) {
            if (depth[pc + 1] < 0) {
                depth[pc + 1] = nd;
            } else if (depth[pc + 1] != nd) {
                cg_bug(cg, "%s: stack depth %d falls into %d at %u", f->name, nd, depth[pc + 1],
                       pc + 1);
                rc = SPU_EINVAL;
            }
        }
    }
    free(depth);
    *max = (uint32_t)top;
    return rc;
}

int emit_func(struct cg *cg, uint32_t id, const struct ir_func *f)
{
    uint32_t *pos = malloc((f->nlabels ? f->nlabels : 1) * sizeof(*pos));
    struct spu_insn *code = malloc((f->n ? f->n : 1) * sizeof(*code));
    int rc = SPU_OK;
    if (!pos || !code) {
        rc = cg->status = SPU_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < f->nlabels; i++)
        pos[i] = SPU_NONE;
    uint32_t n = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        if (f->code[i].op == IR_LABEL)
            pos[f->code[i].c] = n;
        else
            n++;
    }
    n = 0;
    for (uint32_t i = 0; i < f->n; i++) {
        const struct ir_insn *in = &f->code[i];
        if (in->op == IR_LABEL)
            continue;
        struct spu_insn o = {.op = (uint8_t)in->op, .a = in->a, .b = in->b, .c = in->c};
        if (ir_is_jump(in->op)) {
            if (in->c >= f->nlabels || pos[in->c] == SPU_NONE || pos[in->c] >= f->n) {
                cg_bug(cg, "%s: jump to an unplaced label", f->name);
                rc = SPU_EINVAL;
                goto out;
            }
            o.c = pos[in->c];
        } else if (in->k) {
            o.c = const_index(cg, in->k);
        }
        code[n++] = o;
    }
    if (n == 0 || !ir_ends_flow(code[n - 1].op)) {
        cg_bug(cg, "%s: the last instruction does not end the program", f->name);
        rc = SPU_EINVAL;
        goto out;
    }
    uint32_t max = 0;
    rc = emit_max_stack(cg, f, code, n, &max);
    if (rc != SPU_OK)
        goto out;
    if (max > SPU_MAX_STACK || f->nlocals > SPU_MAX_LOCALS || f->nloops > SPU_MAX_LOOPS) {
        struct src_loc where = f->n ? f->code[0].loc : (struct src_loc){0};
        cg_error(cg, where, "'%s' is too large for the VM (stack %u of %u, locals %u of %u, "
                 "loops %u of %u)", f->name, max, SPU_MAX_STACK, f->nlocals, SPU_MAX_LOCALS,
                 f->nloops, SPU_MAX_LOOPS);
        rc = SPU_ELIMIT;
        goto out;
    }
    struct spu_bprog p = {
        .name = spu_bw_cstr(cg->bw, f->name),
        .kind = f->kind,
        .code_off = spu_bw_code(cg->bw, code, n),
        .code_len = n,
        .nlocals = (uint16_t)f->nlocals,
        .nparams = f->nparams,
        .max_stack = (uint16_t)max,
        .nloops = (uint16_t)f->nloops,
        .layout = f->layout,
        .proto = f->proto,
        .event = f->event,
        .flags = f->flags,
    };
    if (spu_bw_prog(cg->bw, &p) != id) {
        rc = spu_bw_status(cg->bw) ? spu_bw_status(cg->bw) : SPU_EINVAL;
        if (rc == SPU_EINVAL)
            cg_bug(cg, "program %s is not program %u", f->name, id);
        else
            cg->status = rc;
    }
out:
    free(pos);
    free(code);
    return rc;
}
