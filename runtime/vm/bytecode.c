/* bytecode.c - the opcode description table, expanded from opcodes.def. */
#include "bytecode.h"

#define R SPU_WHERE_R
#define G SPU_WHERE_G
#define RG SPU_WHERE_RG
#define VAR SPU_VAR

const struct spu_opinfo spu_opinfo[SPU_OP__COUNT] = {
#define OP(name, fmt, pop, push, where, doc)                                   \
    [SPU_OP_##name] = {#name, SPU_FMT_##fmt, pop, push, where, doc},
#include "opcodes.def"
#undef OP
};

#undef R
#undef G
#undef RG
#undef VAR

int spu_insn_pops(const struct spu_insn *in)
{
    if (in->op >= SPU_OP__COUNT)
        return 0;
    const struct spu_opinfo *oi = &spu_opinfo[in->op];
    if (oi->pop != SPU_VAR)
        return oi->pop;
    switch (in->op) {
    case SPU_OP_CALL:
    case SPU_OP_G_CALL:
        return in->a;
    case SPU_OP_G_SINK_OPEN:
        return in->a + in->b;
    default:
        return 0;
    }
}

int spu_insn_pushes(const struct spu_insn *in)
{
    if (in->op >= SPU_OP__COUNT)
        return 0;
    const struct spu_opinfo *oi = &spu_opinfo[in->op];
    if (oi->push != SPU_VAR)
        return oi->push;
    if (in->op == SPU_OP_G_CALL)
        return (in->b & SPU_GF_CAPTURE) ? 1 : 0;
    return (in->a & SPU_GF_CAPTURE) ? 1 : 0;
}

int spu_op_suspends(unsigned op)
{
    switch (op) {
    case SPU_OP_G_LIT:
    case SPU_OP_G_TOKEN:
    case SPU_OP_G_PREDICT:
    case SPU_OP_G_BYTES:
    case SPU_OP_G_UPTO:
    case SPU_OP_G_REST:
    case SPU_OP_G_AWAIT:
    case SPU_OP_G_UINT:
    case SPU_OP_G_WIN_CLOSE:
    case SPU_OP_G_CALL:
    case SPU_OP_G_MESSAGE:
        return 1;
    default:
        return 0;
    }
}
