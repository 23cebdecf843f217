/*
 * bytecode.h - instruction encoding, operand formats and VM limits.
 *
 * Three files must agree on the code format: opcodes.def (the opcode list),
 * this header (encoding and operand formats) and bundle-format.h (where code
 * lives in a bundle). The tables here are const and shared by spuc's code
 * generator, the verifier (verify.c), the disassembler (disasm.c) and the
 * interpreter (vm.c).
 */
#ifndef SPU_BYTECODE_H
#define SPU_BYTECODE_H

#include <stdint.h>

/* One instruction: 8 bytes, little-endian in bundles. */
struct spu_insn {
    uint8_t op;
    uint8_t a;
    uint16_t b;
    uint32_t c;
};
_Static_assert(sizeof(struct spu_insn) == 8, "spu_insn must be 8 bytes");

/* Operand formats: what a, b, c mean and what the verifier checks. */
enum spu_fmt {
    SPU_FMT_NONE,     /* no operands (a, b, c must be 0) */
    SPU_FMT_BOOL,     /* a: 0 or 1 */
    SPU_FMT_IMM,      /* c: int32 immediate */
    SPU_FMT_CONST,    /* c: constant index */
    SPU_FMT_LOCAL,    /* b: local index < prog.nlocals */
    SPU_FMT_FIELD,    /* b: field index < nfields of the program's layout */
    SPU_FMT_LFIELD,   /* c: layout index, b: field index < nfields of layout c;
                         MEMBER also takes SPU_LAYOUT_STD | stdlib record id */
    SPU_FMT_STATE,    /* b: index < nfields of the protocol's state layout */
    SPU_FMT_REGEX,    /* c: regex index */
    SPU_FMT_LIST,     /* c: list index */
    SPU_FMT_JUMP,     /* c: program-relative target (direction per opcode) */
    SPU_FMT_BUILTIN,  /* c: builtin id, a: argc (matches the builtin's arity) */
    SPU_FMT_FLOWVAR,  /* b: index < nfields of the bundle's flow layout */
    SPU_FMT_FLOWKEY,  /* b: index < SPU_FLOWKEY_COUNT (events.def) */
    SPU_FMT_SESS,     /* a: session index, b: variable index in its layout */
    SPU_FMT_GCONST,   /* a: SPU_GF_* flags, c: string constant index */
    SPU_FMT_GDFA,     /* a: SPU_GF_* flags, c: DFA index */
    SPU_FMT_DFA,      /* c: DFA index */
    SPU_FMT_GFLAGS,   /* a: SPU_GF_* flags */
    SPU_FMT_UNIT,     /* c: program index of kind UNIT, a: argc == its nparams, b: flags */
    SPU_FMT_MSG,      /* c: program index of kind MESSAGE */
    SPU_FMT_SINK,     /* c: sink index, a: filter conditions, b: child args (match the sink) */
    SPU_FMT_EVENT,    /* c: event index (a grammar event of this protocol) */
    SPU_FMT_LOOPSLOT, /* b: loop slot < prog.nloops */
    SPU_FMT_LOOPJUMP, /* b: loop slot, c: backward target */
    SPU_FMT__COUNT
};

/* Flags in operand a (or b for G_CALL) of grammar ops. */
enum {
    SPU_GF_CAPTURE = 1u << 0, /* push the produced value */
    SPU_GF_YIELD = 1u << 1,   /* send the produced bytes to the innermost sink */
    SPU_GF_NOCASE = 1u << 2,  /* G_LIT: ASCII case-insensitive */
    SPU_GF_SURE = 1u << 3,    /* G_PREDICT: answer by the longest match only; never
                               * settle early on the DFA's decide table (for ? * +,
                               * where no match at all is a valid outcome) */
    SPU_GF__MASK = 0xfu,
    /* G_UINT: the width (1-8 bytes) in bits 4-6 as width - 1, bit 7 little-endian */
    SPU_GUINT_LE = 1u << 7
};
#define SPU_GUINT_WIDTH(a) ((((unsigned)(a) >> 4) & 7u) + 1u)
#define SPU_GUINT_FLAGS(width, le) ((((unsigned)(width) - 1u) << 4) | ((le) ? SPU_GUINT_LE : 0u))

/* Which programs may use an opcode. */
enum { SPU_WHERE_R = 1u, SPU_WHERE_G = 2u, SPU_WHERE_RG = 3u };

#define SPU_VAR (-1) /* pop/push computed from the operands */

enum spu_opcode {
#define OP(name, fmt, pop, push, where, doc) SPU_OP_##name,
#include "opcodes.def"
#undef OP
    SPU_OP__COUNT
};

struct spu_opinfo {
    const char *name; /* "PUSH_INT" */
    uint8_t fmt;      /* enum spu_fmt */
    int8_t pop;       /* or SPU_VAR */
    int8_t push;      /* or SPU_VAR */
    uint8_t where;    /* SPU_WHERE_* */
    const char *doc;
};

/* Indexed by opcode; defined once in bytecode.c from opcodes.def. */
extern const struct spu_opinfo spu_opinfo[SPU_OP__COUNT];

/* Values popped/pushed by one instruction (resolving SPU_VAR from a/b). */
int spu_insn_pops(const struct spu_insn *in);
int spu_insn_pushes(const struct spu_insn *in);

/* Opcodes that may suspend a grammar parse (the stack must be empty after
 * their pops). */
int spu_op_suspends(unsigned op);

/* Limits the verifier enforces and the VM relies on. */
#define SPU_MAX_STACK 256u       /* values on one program's stack */
#define SPU_MAX_LOCALS 1024u     /* locals of one program */
#define SPU_MAX_PROG_LEN (1u << 24)
#define SPU_MAX_LOOPS 255u       /* loop slots of one grammar program */
#define SPU_MAX_ARGS 32u         /* arguments of one call */
#define SPU_MAX_SESSIONS 256u    /* sessions of one bundle (LOAD_SESS/STORE_SESS operand a) */

#endif
