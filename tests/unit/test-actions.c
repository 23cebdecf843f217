/* Unit tests for stdlib/actions.c: action built-ins and now(), with a fake
 * host whose action() records each call. */
#include "stdlib-test.h"

#include "host.h"

struct fake {
    unsigned calls;
    uint32_t builtin, rule;
    unsigned argc;
    struct spu_value args[8];
    int answer; /* what action() returns */
};

static int fake_action(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                       uint32_t rule)
{
    struct fake *f = ctx;
    f->calls++;
    f->builtin = builtin;
    f->rule = rule;
    f->argc = argc;
    memcpy(f->args, args, (argc < 8 ? argc : 8) * sizeof(args[0]));
    return f->answer;
}

static int64_t fake_now(void *ctx)
{
    (void)ctx;
    return 1700000000123;
}

static const struct spu_host host = {.action = fake_action, .now_ms = fake_now};
static struct spu_call c;
static struct fake f;

static void setup(void)
{
    c = call_ctx(0);
    memset(&f, 0, sizeof(f));
    c.host = &host;
    c.host_ctx = &f;
}

static void teardown(void)
{
    spu_arena_free(c.scratch);
}

TestSuite(actions, .init = setup, .fini = teardown);

Test(actions, alert_reaches_the_host_with_defaults)
{
    assert_bool(CALL(&c, Alert), true);
    cr_assert_eq(f.calls, 1);
    cr_assert_eq(f.builtin, SPU_BI_Alert);
    cr_assert_eq(f.rule, 7);
    cr_assert_eq(f.argc, 2);
    assert_int(f.args[0], 0);
    assert_null(f.args[1]);
    assert_bool(CALL(&c, Alert, spu_v_int(2), S("bad thing")), true);
    assert_int(f.args[0], 2);
    assert_str(f.args[1], "bad thing");
}

Test(actions, every_action_calls_the_host_once)
{
    static const struct {
        unsigned id;
        unsigned argc;
        struct spu_value args[2];
    } cases[] = {
        {SPU_BI_Log, 0, {{0}}},
        {SPU_BI_SendMessage, 2, {{.type = SPU_T_STR, .len = 3, .u.s = (const uint8_t *)"out"},
                                 {.type = SPU_T_STR, .len = 2, .u.s = (const uint8_t *)"hi"}}},
        {SPU_BI_Drop, 0, {{0}}},
        {SPU_BI_Reject, 0, {{0}}},
        {SPU_BI_Pass, 0, {{0}}},
        {SPU_BI_Shun, 0, {{0}}},
        {SPU_BI_Redirect, 1, {{.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"/"}}},
        {SPU_BI_Queue, 1, {{.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"q"}}},
        {SPU_BI_InsertString, 2, {{.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"a"},
                                   {.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"b"}}},
        {SPU_BI_DeleteString, 1, {{.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"a"}}},
        {SPU_BI_InsertCookie, 2, {{.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"n"},
                                   {.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"v"}}},
        {SPU_BI_ReplaceHeader, 2, {{.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"h"},
                                    {.type = SPU_T_STR, .len = 1, .u.s = (const uint8_t *)"v"}}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spu_value r;
        unsigned before = f.calls;
        cr_assert_eq(bi_call(&c, cases[i].id, cases[i].argc, cases[i].args, &r), SPU_OK);
        assert_bool(r, true);
        cr_assert_eq(f.calls, before + 1);
        cr_assert_eq(f.builtin, cases[i].id);
        cr_assert_eq(f.argc, spu_builtin_arity(cases[i].id));
    }
    /* Shun's default duration reached the host */
    struct spu_value r;
    cr_assert_eq(bi_call(&c, SPU_BI_Shun, 0, NULL, &r), SPU_OK);
    assert_int(f.args[0], 3600000);
}

Test(actions, log_is_variadic)
{
    struct spu_value args[4] = {S("user"), spu_v_int(3), spu_v_null(), spu_v_bool(true)};
    struct spu_value r;
    cr_assert_eq(bi_call(&c, SPU_BI_Log, 4, args, &r), SPU_OK);
    cr_assert_eq(f.argc, 4);
    assert_str(f.args[0], "user");
    assert_int(f.args[1], 3);
}

Test(actions, wrong_types_fault_before_the_host)
{
    struct spu_value bad[2] = {S("not an int"), spu_v_null()};
    struct spu_value r;
    cr_assert_eq(bi_call(&c, SPU_BI_Alert, 2, bad, &r), SPU_EFAULT);
    cr_assert_not_null(c.fault);
    struct spu_value bad2[1] = {spu_v_int(5)};
    cr_assert_eq(bi_call(&c, SPU_BI_Redirect, 1, bad2, &r), SPU_EFAULT);
    /* too many arguments for a fixed signature */
    struct spu_value many[3] = {spu_v_int(1), spu_v_null(), spu_v_null()};
    cr_assert_eq(spu_builtin_fns[SPU_BI_Alert](&c, many, 3, &r), SPU_EFAULT);
    /* too few */
    cr_assert_eq(spu_builtin_fns[SPU_BI_SendMessage](&c, many, 1, &r), SPU_EFAULT);
    cr_assert_eq(f.calls, 0);
}

Test(actions, host_refusal_is_false_not_a_fault)
{
    f.answer = SPU_ELIMIT;
    assert_bool(CALL(&c, Drop), false);
    cr_assert_eq(f.calls, 1);
}

Test(actions, no_host_is_unsupported)
{
    c.host = NULL;
    struct spu_value r;
    cr_assert_eq(bi_call(&c, SPU_BI_Drop, 0, NULL, &r), SPU_EUNSUPPORTED);
    cr_assert_eq(f.calls, 0);
    assert_null(CALL(&c, now));
    static const struct spu_host no_clock = {.action = fake_action};
    c.host = &no_clock;
    assert_null(CALL(&c, now));
}

Test(actions, now_comes_from_the_host)
{
    assert_int(CALL(&c, now), 1700000000123);
}
