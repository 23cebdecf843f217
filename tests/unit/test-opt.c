/* Unit tests for compiler/opt.c (and emit.c's stack walk): each pass on
 * hand-built IR, that the result keeps the stack depths the verifier
 * checks (emitted through emit_func), that faults are not folded away,
 * and that the passes stop. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "builtin-api.h"
#include "cg-int.h"
#include "diag.h"
#include "source.h"

static struct sema_program prog;
static struct cg CG;
static struct src_set *srcs;
static struct diag *dg;
static struct spu_bw *bw;
static struct src_loc L0;

static void init(void)
{
    struct spu_error err;
    srcs = src_set_new(&err);
    dg = diag_new(srcs, NULL);
    bw = spu_bw_new(&err);
    cr_assert(srcs && dg && bw);
    cr_assert_eq(cg_init(&CG, &prog, dg, bw), SPU_OK);
}

static void fini(void)
{
    cg_fini(&CG);
    spu_bw_free(bw);
    diag_free(dg);
    src_set_free(srcs);
}

static struct ir_func *fn(uint32_t kind)
{
    struct ir_func *f = ir_func_new("t", kind);
    cr_assert_not_null(f);
    cr_assert_neq(cg_add_func(&CG, f), SPU_NONE);
    return f;
}

static void op(struct ir_func *f, unsigned o, unsigned a, unsigned b, uint32_t c)
{
    ir_emit(f, o, a, b, c, L0);
}

static void opk(struct ir_func *f, unsigned o, const struct ir_k *k)
{
    ir_emit_k(f, o, 0, k, L0);
}

/* The opcodes of f (labels as "L"), space-separated. */
static const char *ops(const struct ir_func *f)
{
    static char buf[1024];
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < f->n && n + 20 < sizeof(buf); i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", i ? " " : "",
                              f->code[i].op == IR_LABEL ? "L" : spu_opinfo[f->code[i].op].name);
    return buf;
}

/* Optimize, then emit: the depths must still merge. */
static struct opt_stats optimize(struct ir_func *f)
{
    struct opt_stats st = {0};
    cr_assert_eq(opt_func(&CG, f, &st), SPU_OK);
    cr_assert_eq(emit_func(&CG, CG.nfuncs - 1, f), SPU_OK, "emitted code does not verify");
    return st;
}

TestSuite(opt, .init = init, .fini = fini);

Test(opt, folds_arithmetic)
{
    struct ir_func *f = fn(SPU_PROG_KEY);
    op(f, SPU_OP_PUSH_INT, 0, 0, 2);
    op(f, SPU_OP_PUSH_INT, 0, 0, 3);
    op(f, SPU_OP_MUL, 0, 0, 0);
    op(f, SPU_OP_PUSH_INT, 0, 0, (uint32_t)-4);
    op(f, SPU_OP_ADD, 0, 0, 0);
    op(f, SPU_OP_NEG, 0, 0, 0);
    op(f, SPU_OP_RET, 0, 0, 0);
    struct opt_stats st = optimize(f);
    cr_expect_str_eq(ops(f), "PUSH_INT RET");
    cr_expect_eq((int32_t)f->code[0].c, -2);
    cr_expect_gt(st.folded, 2);
}

Test(opt, wide_results_become_constants)
{
    struct ir_func *f = fn(SPU_PROG_KEY);
    op(f, SPU_OP_PUSH_INT, 0, 0, 0x40000000);
    op(f, SPU_OP_PUSH_INT, 0, 0, 8);
    op(f, SPU_OP_MUL, 0, 0, 0);
    op(f, SPU_OP_RET, 0, 0, 0);
    optimize(f);
    cr_expect_str_eq(ops(f), "PUSH_K RET");
    cr_expect_eq(f->code[0].k->i, 0x200000000ll);
}

Test(opt, keeps_faults)
{
    struct ir_func *f = fn(SPU_PROG_KEY);
    op(f, SPU_OP_PUSH_INT, 0, 0, 1);
    op(f, SPU_OP_PUSH_INT, 0, 0, 0);
    op(f, SPU_OP_DIV, 0, 0, 0);
    op(f, SPU_OP_PUSH_K, 0, 0, 0);
    f->code[f->n - 1].k = cg_k_str(&CG, "x", 1);
    op(f, SPU_OP_ADD, 0, 0, 0); /* int + string: a type fault at run time */
    op(f, SPU_OP_RET, 0, 0, 0);
    optimize(f);
    cr_expect_str_eq(ops(f), "PUSH_INT PUSH_INT DIV PUSH_K ADD RET");
}

Test(opt, folds_pure_builtins_only)
{
    struct ir_func *f = fn(SPU_PROG_KEY);
    opk(f, SPU_OP_PUSH_K, cg_k_str(&CG, "AbC", 3));
    op(f, SPU_OP_CALL, 1, 0, SPU_BI_lower);
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_now);
    op(f, SPU_OP_POP, 0, 0, 0);
    op(f, SPU_OP_RET, 0, 0, 0);
    optimize(f);
    cr_expect_str_eq(ops(f), "PUSH_K CALL POP RET");
    cr_expect_eq(f->code[0].k->len, 3);
    cr_expect(memcmp(f->code[0].k->s, "abc", 3) == 0);
}

Test(opt, constant_branches)
{
    struct ir_func *f = fn(SPU_PROG_RULE);
    uint32_t l1 = ir_label(f), l2 = ir_label(f);
    op(f, SPU_OP_PUSH_BOOL, 1, 0, 0);
    op(f, SPU_OP_JZ, 0, 0, l1); /* never taken: gone */
    op(f, SPU_OP_PUSH_NULL, 0, 0, 0);
    op(f, SPU_OP_JZ, 0, 0, l2); /* always taken: JMP, the rest dead */
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_Drop);
    op(f, SPU_OP_POP, 0, 0, 0);
    ir_place(f, l1, L0);
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_Pass);
    op(f, SPU_OP_POP, 0, 0, 0);
    ir_place(f, l2, L0);
    op(f, SPU_OP_RET, 0, 0, 0);
    struct opt_stats st = optimize(f);
    cr_expect_str_eq(ops(f), "RET");
    cr_expect_gt(st.dead, 0);
}

Test(opt, threads_jumps)
{
    struct ir_func *f = fn(SPU_PROG_RULE);
    uint32_t a = ir_label(f), b = ir_label(f), c = ir_label(f), p = ir_label(f);
    op(f, SPU_OP_LOAD_FIELD, 0, 0, 0);
    op(f, SPU_OP_JZ, 0, 0, a);
    op(f, SPU_OP_LOAD_FIELD, 0, 2, 0);
    op(f, SPU_OP_JZ, 0, 0, p);
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_Drop);
    op(f, SPU_OP_POP, 0, 0, 0);
    ir_place(f, a, L0);
    op(f, SPU_OP_JMP, 0, 0, b);
    ir_place(f, p, L0); /* reachable: the JMP at a is not a jump to the next */
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_Pass);
    op(f, SPU_OP_POP, 0, 0, 0);
    ir_place(f, b, L0);
    op(f, SPU_OP_LOAD_FIELD, 0, 1, 0);
    op(f, SPU_OP_JNZ, 0, 0, c);
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_Reject);
    op(f, SPU_OP_POP, 0, 0, 0);
    ir_place(f, c, L0);
    op(f, SPU_OP_RET, 0, 0, 0);
    f->layout = SPU_NONE;
    struct opt_stats st = optimize(f);
    /* the first JZ goes straight to b; label a is gone, its JMP stays for
     * the fall-through from Drop */
    cr_expect_str_eq(ops(f), "LOAD_FIELD JZ LOAD_FIELD JZ CALL POP JMP L CALL POP L LOAD_FIELD "
                             "JNZ CALL POP L RET");
    cr_expect_eq(f->code[1].c, b);
    cr_expect_gt(st.threaded, 0);
}

Test(opt, jump_to_ret_and_next)
{
    struct ir_func *f = fn(SPU_PROG_RULE);
    uint32_t a = ir_label(f), b = ir_label(f);
    op(f, SPU_OP_LOAD_LOCAL, 0, 0, 0);
    op(f, SPU_OP_JZ, 0, 0, a);
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_Drop);
    op(f, SPU_OP_POP, 0, 0, 0);
    op(f, SPU_OP_JMP, 0, 0, b);
    ir_place(f, a, L0);
    op(f, SPU_OP_LOAD_LOCAL, 0, 0, 0);
    op(f, SPU_OP_POP, 0, 0, 0); /* a push dropped at once */
    ir_place(f, b, L0);
    op(f, SPU_OP_RET, 0, 0, 0);
    f->nlocals = 1;
    optimize(f);
    cr_expect_str_eq(ops(f), "LOAD_LOCAL JZ CALL POP RET L RET");
}

Test(opt, conditional_over_jmp)
{
    struct ir_func *f = fn(SPU_PROG_RULE);
    uint32_t a = ir_label(f), b = ir_label(f);
    op(f, SPU_OP_LOAD_LOCAL, 0, 0, 0);
    op(f, SPU_OP_NOT, 0, 0, 0);
    op(f, SPU_OP_JNZ, 0, 0, a);
    op(f, SPU_OP_JMP, 0, 0, b);
    ir_place(f, a, L0);
    op(f, SPU_OP_CALL, 0, 0, SPU_BI_Drop);
    op(f, SPU_OP_POP, 0, 0, 0);
    ir_place(f, b, L0);
    op(f, SPU_OP_RET, 0, 0, 0);
    f->nlocals = 1;
    optimize(f);
    cr_expect_str_eq(ops(f), "LOAD_LOCAL JNZ CALL POP L RET");
}

/* A long chain of constant conditions: every round makes progress and
 * the passes stop well before their bound. */
Test(opt, stops)
{
    struct ir_func *f = fn(SPU_PROG_RULE);
    uint32_t end = ir_label(f);
    for (int i = 0; i < 200; i++) {
        uint32_t l = ir_label(f);
        op(f, SPU_OP_PUSH_BOOL, (unsigned)(i & 1), 0, 0);
        op(f, SPU_OP_NOT, 0, 0, 0);
        op(f, SPU_OP_JNZ, 0, 0, l);
        op(f, SPU_OP_JMP, 0, 0, end);
        ir_place(f, l, L0);
    }
    ir_place(f, end, L0);
    op(f, SPU_OP_RET, 0, 0, 0);
    struct opt_stats st = optimize(f);
    cr_expect_str_eq(ops(f), "RET");
    cr_expect_lt(st.rounds, 10);
}

/* emit's walk rejects depths that do not merge (a code generator bug). */
Test(opt, emit_rejects_unbalanced_paths)
{
    struct ir_func *f = fn(SPU_PROG_RULE);
    uint32_t a = ir_label(f);
    op(f, SPU_OP_LOAD_LOCAL, 0, 0, 0);
    op(f, SPU_OP_JZ, 0, 0, a);
    op(f, SPU_OP_PUSH_INT, 0, 0, 1);
    ir_place(f, a, L0);
    op(f, SPU_OP_RET, 0, 0, 0);
    f->nlocals = 1;
    cr_expect_neq(emit_func(&CG, CG.nfuncs - 1, f), SPU_OK);
    cr_expect_gt(CG.errors, 0);
}
