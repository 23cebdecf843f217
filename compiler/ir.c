/* ir.c - IR functions: building and editing (see ir.h). */
#include "ir.h"

#include "bundle-format.h"
#include "err.h"
#include "grow.h"

#include <stdlib.h>
#include <string.h>

struct ir_func *ir_func_new(const char *name, uint32_t kind)
{
    struct ir_func *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->name = name;
    f->kind = kind;
    f->layout = SPU_NONE;
    f->proto = SPU_NONE;
    f->event = SPU_NONE;
    return f;
}

void ir_func_free(struct ir_func *f)
{
    if (!f)
        return;
    free(f->code);
    free(f);
}

uint32_t ir_label(struct ir_func *f)
{
    return f->nlabels++;
}

static uint32_t append(struct ir_func *f, const struct ir_insn *in)
{
    if (f->status != SPU_OK)
        return UINT32_MAX;
    if (f->n == f->cap) {
        uint32_t ncap = (uint32_t)spu_grow_cap(f->cap, (size_t)f->n + 1, 32, UINT32_MAX - 1);
        struct ir_insn *nc = ncap ? realloc(f->code, (size_t)ncap * sizeof(*nc)) : NULL;
        if (!nc) {
            f->status = SPU_ENOMEM;
            return UINT32_MAX;
        }
        f->code = nc;
        f->cap = ncap;
    }
    f->code[f->n] = *in;
    return f->n++;
}

void ir_place(struct ir_func *f, uint32_t l, struct src_loc loc)
{
    struct ir_insn in = {.op = IR_LABEL, .c = l, .loc = loc};
    append(f, &in);
}

uint32_t ir_emit(struct ir_func *f, unsigned op, unsigned a, unsigned b, uint32_t c,
                 struct src_loc loc)
{
    struct ir_insn in = {.op = (uint16_t)op, .a = (uint8_t)a, .b = (uint16_t)b, .c = c, .loc = loc};
    return append(f, &in);
}

uint32_t ir_emit_k(struct ir_func *f, unsigned op, unsigned a, const struct ir_k *k,
                   struct src_loc loc)
{
    struct ir_insn in = {.op = (uint16_t)op, .a = (uint8_t)a, .k = k, .loc = loc};
    return append(f, &in);
}

uint32_t ir_temp(struct ir_func *f)
{
    return f->nlocals++;
}

uint32_t ir_loop_slot(struct ir_func *f)
{
    return f->nloops++;
}

void ir_delete(struct ir_func *f, uint32_t i)
{
    if (i >= f->n)
        return;
    memmove(&f->code[i], &f->code[i + 1], (size_t)(f->n - i - 1) * sizeof(f->code[0]));
    f->n--;
}

bool ir_is_jump(unsigned op)
{
    return op == SPU_OP_JMP || op == SPU_OP_JZ || op == SPU_OP_JNZ || op == SPU_OP_LOOP ||
           op == SPU_OP_G_LOOP;
}

bool ir_is_back_jump(unsigned op)
{
    return op == SPU_OP_LOOP || op == SPU_OP_G_LOOP;
}

bool ir_ends_flow(unsigned op)
{
    return op == SPU_OP_RET || op == SPU_OP_JMP || op == SPU_OP_LOOP || op == SPU_OP_G_LOOP ||
           op == SPU_OP_G_ERROR;
}

bool ir_k_eq(const struct ir_k *x, const struct ir_k *y)
{
    if (x == y)
        return true;
    if (!x || !y || x->kind != y->kind)
        return false;
    switch (x->kind) {
    case SPU_K_INT:
        return x->i == y->i;
    case SPU_K_STR:
        return x->len == y->len && (x->len == 0 || memcmp(x->s, y->s, x->len) == 0);
    case SPU_K_IP:
        return x->family == y->family && x->len == y->len && memcmp(x->s, y->s, 16) == 0;
    default:
        return x->idx == y->idx;
    }
}
