/* Unit tests for stdlib/builtin-fns.c: every built-in has a function, and
 * every pure built-in keeps the common contract: null in gives null (or
 * false / 0) out, a wrong argument type faults with a reason, and hostile
 * strings never crash it (run under the sanitizers and valgrind). */
#include "stdlib-test.h"

static struct spu_call c;

static void setup(void)
{
    c = call_ctx(0);
}

static void teardown(void)
{
    spu_arena_free(c.scratch);
}

TestSuite(builtin_fns, .init = setup, .fini = teardown);

static int nparams(unsigned id, struct spu_sig_param *p)
{
    int n = spu_sig_parse(spu_builtins[id].params, p, SPU_MAX_SIG_PARAMS);
    cr_assert_geq(n, 0);
    return n;
}

static int is_pure(unsigned id)
{
    return (spu_builtins[id].flags & SPU_BIF_PURE) != 0;
}

Test(builtin_fns, every_builtin_has_a_function)
{
    for (unsigned i = 0; i < SPU_BI__COUNT; i++)
        cr_assert_not_null(spu_builtin_fns[i], "%s", spu_builtins[i].name);
}

Test(builtin_fns, null_in_null_out)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    struct spu_value args[SPU_MAX_SIG_PARAMS];
    for (unsigned id = 0; id < SPU_BI__COUNT; id++) {
        int n = nparams(id, p);
        for (int k = 0; k < n; k++)
            args[k] = spu_v_null();
        struct spu_value r = spu_v_int(99);
        int rc = spu_builtin_fns[id](&c, args, (unsigned)n, &r);
        /* pure built-ins never fault on null; others are checked elsewhere */
        cr_assert(!is_pure(id) || rc == SPU_OK, "%s faulted on null", spu_builtins[id].name);
        cr_assert(!is_pure(id) || r.type == SPU_T_NULL || (r.type == SPU_T_BOOL && !r.u.i) ||
                      (r.type == SPU_T_INT && r.u.i == 0),
                  "%s(null...) gave type %d", spu_builtins[id].name, r.type);
    }
}

static struct spu_value sample_arg(const char *type, const uint8_t *s, size_t n, int64_t i)
{
    if (strcmp(type, "int") == 0)
        return spu_v_int(i);
    if (strcmp(type, "bool") == 0)
        return spu_v_bool(i & 1);
    return spu_v_str(s, (uint32_t)n);
}

Test(builtin_fns, wrong_types_fault)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    struct spu_value args[SPU_MAX_SIG_PARAMS];
    struct spu_value lst = {.type = SPU_T_LIST};
    for (unsigned id = 0; id < SPU_BI__COUNT; id++) {
        int n = nparams(id, p);
        for (int k = 0; k < n && is_pure(id); k++) {
            for (int j = 0; j < n; j++)
                args[j] = sample_arg(p[j].type, (const uint8_t *)"a", 1, 1);
            args[k] = lst; /* a list fits no parameter of a pure built-in */
            struct spu_value r;
            c.fault = NULL;
            int rc = spu_builtin_fns[id](&c, args, (unsigned)n, &r);
            cr_assert_eq(rc, SPU_EFAULT, "%s arg %d", spu_builtins[id].name, k);
            cr_assert_not_null(c.fault);
        }
    }
}

Test(builtin_fns, hostile_strings)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    struct spu_value args[SPU_MAX_SIG_PARAMS];
    static const char alphabet[] = "%=?&#;:<>\"\\()[]@,./+- \r\n\t_xXqQbB09aZ*'\x80\xff";
    uint64_t seed = 1234;
    for (unsigned round = 0; round < 300; round++) {
        size_t n = test_rand(&seed) % 96;
        /* an exact-size heap copy, so any overrun is caught */
        uint8_t *s = malloc(n ? n : 1);
        for (size_t i = 0; i < n; i++)
            s[i] = test_rand(&seed) % 10 == 0 ? (uint8_t)test_rand(&seed)
                                               : (uint8_t)alphabet[test_rand(&seed) %
                                                                   (sizeof(alphabet) - 1)];
        int64_t iv = (int64_t)(test_rand(&seed) % 200) - 100;
        for (unsigned id = 0; id < SPU_BI__COUNT; id++) {
            int np = nparams(id, p);
            for (int k = 0; k < np; k++)
                args[k] = sample_arg(p[k].type, s, n, iv);
            struct spu_value r;
            int rc = is_pure(id) ? spu_builtin_fns[id](&c, args, (unsigned)np, &r) : SPU_OK;
            /* the faults a pure built-in may give here: division by zero,
             * and all() and header_block() given a string where their
             * `any` wants a map array */
            cr_assert(rc == SPU_OK ||
                          ((id == SPU_BI_div || id == SPU_BI_all || id == SPU_BI_header_block) &&
                           rc == SPU_EFAULT),
                      "%s: %d", spu_builtins[id].name, rc);
        }
        free(s);
        spu_arena_reset(c.scratch);
    }
}
