/*
 * ir.h - spuc's intermediate representation: one IR function per program
 * (rule, grammar unit or message, direction driver, key program), each a
 * linear list of VM instructions (opcodes.def) with symbolic labels, in the
 * manner of jq's instruction blocks but with explicit labels.
 *
 * An instruction is a VM opcode with its a/b/c operands as the bundle will
 * hold them, except that:
 * - jumps (JMP JZ JNZ LOOP G_LOOP) hold a label id in `c`, and a label is
 *   the pseudo-instruction IR_LABEL (c = its id) placed where it points;
 * - constants (PUSH_K, G_LIT, G_ERROR, G_ANOMALY) point to a struct ir_k
 *   in `k` (emit.c turns them into bundle constants, deduplicated).
 * Every other operand (layout, field, program, DFA, sink, list, regex,
 * event, builtin ids) is final when lowering writes it.
 *
 * Lowering (lower-rule.c, lower-grammar.c) appends; opt.c rewrites in place;
 * emit.c resolves labels and writes bytecode. `spuc --dump-ir` prints the
 * functions (ir-dump.c).
 *
 * Ownership: a function owns its instruction array (malloc); constants and
 * names live in the compilation's arena (borrowed). Used by the compiling
 * thread only.
 */
#ifndef SPUC_IR_H
#define SPUC_IR_H

#include "bytecode.h"
#include "source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The label pseudo-op, numbered after the real opcodes. */
#define IR_LABEL ((uint16_t)SPU_OP__COUNT)

/* A constant operand: kind is SPU_K_* (bundle-format.h). */
struct ir_k {
    uint8_t kind;
    uint16_t family;   /* IP: 4 or 6 */
    uint32_t len;      /* STR: bytes; IP: prefix length */
    int64_t i;         /* INT */
    const uint8_t *s;  /* STR bytes; IP: 16 bytes */
    uint32_t idx;      /* LIST, REGEX: the index */
};

struct ir_insn {
    uint16_t op;           /* enum spu_opcode, or IR_LABEL */
    uint8_t a;
    uint16_t b;
    uint32_t c;            /* label id for jumps and IR_LABEL */
    const struct ir_k *k;  /* constant of PUSH_K / G_LIT / G_ERROR / G_ANOMALY */
    struct src_loc loc;    /* where it came from (file 0: generated) */
};

struct ir_func {
    const char *name;      /* program name in the bundle */
    uint32_t kind;         /* SPU_PROG_* */
    uint32_t layout;       /* bundle layout or SPU_NONE */
    uint32_t proto;        /* grammar programs: protocol index, else SPU_NONE */
    uint32_t event;        /* RULE/KEY: event; MESSAGE: completion event; else SPU_NONE */
    uint32_t flags;        /* SPU_PF_* */
    uint16_t nparams;
    uint32_t nlocals;      /* grows as lowering takes hidden temporaries */
    uint32_t nloops;       /* grammar loop slots */
    uint32_t nlabels;
    struct ir_insn *code;
    uint32_t n, cap;
    int status;            /* sticky SPU_ENOMEM from appends */
};

/* Returns a new empty function (name borrowed), or NULL when out of memory. */
struct ir_func *ir_func_new(const char *name, uint32_t kind);
/* Frees the function and its instructions. NULL is a no-op. */
void ir_func_free(struct ir_func *f);

/* A fresh label id (not yet placed). */
uint32_t ir_label(struct ir_func *f);
/* Place label `l` here. */
void ir_place(struct ir_func *f, uint32_t l, struct src_loc loc);

/* Append one instruction; returns its position, or UINT32_MAX (out of
 * memory: recorded in f->status). */
uint32_t ir_emit(struct ir_func *f, unsigned op, unsigned a, unsigned b, uint32_t c,
                 struct src_loc loc);
/* Append an instruction with a constant operand (k borrowed). */
uint32_t ir_emit_k(struct ir_func *f, unsigned op, unsigned a, const struct ir_k *k,
                   struct src_loc loc);
/* A hidden local slot (after the declared ones). */
uint32_t ir_temp(struct ir_func *f);
/* A new grammar loop slot. */
uint32_t ir_loop_slot(struct ir_func *f);

/* Remove instruction i (shifting the rest down). */
void ir_delete(struct ir_func *f, uint32_t i);

/* Does op jump (its c is a label)? Is it a backward jump (LOOP, G_LOOP)? */
bool ir_is_jump(unsigned op);
bool ir_is_back_jump(unsigned op);
/* Does control never reach the next instruction (RET JMP LOOP G_LOOP G_ERROR)? */
bool ir_ends_flow(unsigned op);

/* Equality of constants (kind and value). */
bool ir_k_eq(const struct ir_k *x, const struct ir_k *y);

#endif
