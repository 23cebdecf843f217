/* Unit tests for stdlib/conv.c: int, hex, str, div, count, all, ip, cidr. */
#include "stdlib-test.h"

#include "stdlib-int.h"

static struct spu_call c;

static void setup(void)
{
    c = call_ctx(0);
}

static void teardown(void)
{
    spu_arena_free(c.scratch);
}

TestSuite(conv, .init = setup, .fini = teardown);

Test(conv, int_parses_decimal)
{
    static const struct {
        const char *s;
        int64_t v;
    } ok[] = {
        {"0", 0},
        {"42", 42},
        {"+42", 42},
        {"-42", -42},
        {"  \t1234\r\n", 1234},
        {"007", 7},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int(CALL(&c, int, S(ok[i].s)), ok[i].v);
    static const char *const bad[] = {
        "", " ", "+", "-", "12a", "a12", "1 2", "0x10", "1.5", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999999", "--1", "\xff",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_null(CALL(&c, int, S(bad[i])));
    assert_null(CALL(&c, int, SN("1\0", 2)));
    assert_null(CALL(&c, int, spu_v_null()));
}

Test(conv, hex_parses_chunk_sizes)
{
    assert_int(CALL(&c, hex, S("1a")), 26);
    assert_int(CALL(&c, hex, S("FF")), 255);
    assert_int(CALL(&c, hex, S("0x10")), 16);
    assert_int(CALL(&c, hex, S(" 0 ")), 0);
    assert_int(CALL(&c, hex, S("000000000000000000000001")), 1);
    assert_int(CALL(&c, hex, S("7fffffffffffffff")), INT64_MAX);
    assert_null(CALL(&c, hex, S("8000000000000000")));
    assert_null(CALL(&c, hex, S("ffffffffffffffffff")));
    assert_null(CALL(&c, hex, S("")));
    assert_null(CALL(&c, hex, S("0x")));
    assert_null(CALL(&c, hex, S("1g")));
    assert_null(CALL(&c, hex, S("-1")));
    assert_null(CALL(&c, hex, S("1;ext")));
}

Test(conv, str_of_values)
{
    assert_str(CALL(&c, str, spu_v_int(-17)), "-17");
    assert_str(CALL(&c, str, spu_v_int(INT64_MIN)), "-9223372036854775808");
    assert_str(CALL(&c, str, spu_v_bool(true)), "true");
    assert_str(CALL(&c, str, spu_v_bool(false)), "false");
    assert_str(CALL(&c, str, S("as is")), "as is");
    assert_str(CALL(&c, str, T_IP(c.scratch, "192.0.2.1")), "192.0.2.1");
    assert_str(CALL(&c, str, T_IP(c.scratch, "10.0.0.0/8")), "10.0.0.0/8");
    assert_str(CALL(&c, str, T_IP(c.scratch, "2001:db8::1")), "2001:db8::1");
    assert_str(CALL(&c, str, T_IP(c.scratch, "2001:db8::/32")), "2001:db8::/32");
    assert_null(CALL(&c, str, spu_v_null()));
    struct spu_value list = {.type = SPU_T_LIST};
    struct spu_value r;
    cr_assert_eq(bi_call(&c, SPU_BI_str, 1, &list, &r), SPU_EFAULT);
}

Test(conv, div)
{
    assert_int(CALL(&c, div, spu_v_int(7), spu_v_int(2)), 3);
    assert_int(CALL(&c, div, spu_v_int(-7), spu_v_int(2)), -3);
    assert_int(CALL(&c, div, spu_v_int(INT64_MIN), spu_v_int(1)), INT64_MIN);
    assert_null(CALL(&c, div, spu_v_null(), spu_v_int(2)));
    struct spu_value a[2] = {spu_v_int(1), spu_v_int(0)};
    struct spu_value r;
    cr_assert_eq(bi_call(&c, SPU_BI_div, 2, a, &r), SPU_EFAULT);
    cr_assert_str_eq(c.fault, "division by zero");
    struct spu_value b[2] = {spu_v_int(INT64_MIN), spu_v_int(-1)};
    cr_assert_eq(bi_call(&c, SPU_BI_div, 2, b, &r), SPU_EFAULT);
    struct spu_value d[2] = {S("1"), spu_v_int(1)};
    cr_assert_eq(bi_call(&c, SPU_BI_div, 2, d, &r), SPU_EFAULT);
    struct spu_value e[2] = {spu_v_null(), S("x")};
    cr_assert_eq(bi_call(&c, SPU_BI_div, 2, e, &r), SPU_EFAULT);
}

/* An array of `param` map records built from name/value pairs. */
static struct spu_value params(const char *const *kv, unsigned n)
{
    struct spu_array *arr = spu_std_array(c.scratch, n);
    for (unsigned i = 0; i < n; i++) {
        struct spu_record *r = spu_std_record(c.scratch, SPU_REC_param);
        r->slot[0] = S(kv[2 * i]);
        r->slot[1] = S(kv[2 * i + 1]);
        arr->v[i] = spu_v_rec(r);
    }
    return spu_v_arr(arr);
}

Test(conv, count)
{
    static const char *const kv[] = {"a", "1", "b", "2"};
    assert_int(CALL(&c, count, params(kv, 2)), 2);
    assert_int(CALL(&c, count, S("four")), 4);
    assert_int(CALL(&c, count, spu_v_null()), 0);
    assert_int(CALL(&c, count, params(kv, 0)), 0);
    struct spu_value a = spu_v_int(3), r;
    cr_assert_eq(bi_call(&c, SPU_BI_count, 1, &a, &r), SPU_EFAULT);
}

Test(conv, all_collects_values_by_key)
{
    static const char *const kv[] = {"Received", "r1", "X-Y",      "z",
                                     "received", "r2", "RECEIVED", "r3"};
    struct spu_value m = params(kv, 4);
    struct spu_value r = CALL(&c, all, m, S("received"));
    cr_assert_eq(arr_len(r), 3);
    assert_str(arr_at(r, 0), "r1");
    assert_str(arr_at(r, 1), "r2");
    assert_str(arr_at(r, 2), "r3");
    r = CALL(&c, all, m, S("absent"));
    cr_assert_eq(arr_len(r), 0);
    r = CALL(&c, all, m, S("received2"));
    cr_assert_eq(arr_len(r), 0);
    assert_null(CALL(&c, all, spu_v_null(), S("x")));
    assert_null(CALL(&c, all, m, spu_v_null()));
    /* records that are not maps are skipped */
    struct spu_array *arr = spu_std_array(c.scratch, 2);
    struct spu_record *u = spu_std_record(c.scratch, SPU_REC_url);
    u->slot[0] = S("received");
    arr->v[0] = spu_v_rec(u);
    arr->v[1] = S("received");
    r = CALL(&c, all, spu_v_arr(arr), S("received"));
    cr_assert_eq(arr_len(r), 0);
    struct spu_value bad[2] = {S("a"), S("b")}, out;
    cr_assert_eq(bi_call(&c, SPU_BI_all, 2, bad, &out), SPU_EFAULT);
}

Test(conv, ip_and_cidr)
{
    struct spu_value v = CALL(&c, ip, S(" 192.0.2.1 "));
    cr_assert_eq(v.type, SPU_T_IP);
    cr_assert_eq(v.aux, 4);
    cr_assert_eq(v.len, 32);
    cr_assert(spu_value_eq(&v, &(struct spu_value){0}) == false);
    struct spu_value w = T_IP(c.scratch, "192.0.2.1");
    cr_assert(spu_value_eq(&v, &w));
    v = CALL(&c, ip, S("2001:DB8::1"));
    cr_assert_eq(v.aux, 6);
    cr_assert_eq(v.len, 128);
    assert_null(CALL(&c, ip, S("10.0.0.0/8")));
    assert_null(CALL(&c, ip, S("256.1.1.1")));
    assert_null(CALL(&c, ip, S("1.2.3")));
    assert_null(CALL(&c, ip, S("")));
    assert_null(CALL(&c, ip, SN("1.2.3.4\0", 8)));
    assert_null(CALL(&c, ip, S("example.com")));
    char longs[100];
    memset(longs, '1', sizeof(longs));
    assert_null(CALL(&c, ip, SN(longs, sizeof(longs))));

    v = CALL(&c, cidr, S("10.1.2.3/8"));
    cr_assert_eq(v.len, 8);
    assert_str(CALL(&c, str, v), "10.0.0.0/8");
    v = CALL(&c, cidr, S("2001:db8:ffff::1/33"));
    assert_str(CALL(&c, str, v), "2001:db8:8000::/33");
    v = CALL(&c, cidr, S("192.0.2.7"));
    cr_assert_eq(v.len, 32);
    v = CALL(&c, cidr, S("0.0.0.0/0"));
    assert_str(CALL(&c, str, v), "0.0.0.0/0");
    assert_null(CALL(&c, cidr, S("10.0.0.0/33")));
    assert_null(CALL(&c, cidr, S("10.0.0.0/")));
    assert_null(CALL(&c, cidr, S("10.0.0.0/8x")));
    assert_null(CALL(&c, cidr, S("::/129")));
}
