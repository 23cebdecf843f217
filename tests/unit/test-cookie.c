/* Unit tests for stdlib/cookie.c: split_cookies and split_params. */
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

TestSuite(cookie, .init = setup, .fini = teardown);

static void pair(struct spu_value arr, unsigned i, const char *name, const char *value)
{
    assert_str(rec_slot(arr_at(arr, i), SPU_PARAM_NAME), name);
    assert_str(rec_slot(arr_at(arr, i), SPU_PARAM_VALUE), value);
}

Test(cookie, split_cookies)
{
    struct spu_value r =
        CALL(&c, split_cookies, S("SID=abc123; theme = dark ;;flag; q=\"x y\"; e="));
    cr_assert_eq(arr_len(r), 5);
    pair(r, 0, "SID", "abc123");
    pair(r, 1, "theme", "dark");
    pair(r, 2, "flag", "");
    pair(r, 3, "q", "\"x y\"");
    pair(r, 4, "e", "");
    /* no decoding in cookies */
    r = CALL(&c, split_cookies, S("a=%41+b"));
    pair(r, 0, "a", "%41+b");
    assert_str(spu_map_get(r.u.arr, (const uint8_t *)"A", 1), "%41+b");
    r = CALL(&c, split_cookies, S(" ; ; "));
    cr_assert_eq(arr_len(r), 0);
    r = CALL(&c, split_cookies, S(""));
    cr_assert_eq(arr_len(r), 0);
    assert_null(CALL(&c, split_cookies, spu_v_null()));
}

Test(cookie, split_params)
{
    struct spu_value r = CALL(&c, split_params, S("user=j%C3%B6rg&pw=a+b&&x&=v&k=1=2"));
    cr_assert_eq(arr_len(r), 5);
    pair(r, 0, "user", "j\xc3\xb6rg");
    pair(r, 1, "pw", "a b");
    pair(r, 2, "x", "");
    pair(r, 3, "", "v");
    pair(r, 4, "k", "1=2");
    r = CALL(&c, split_params, S("a=%zz%4"));
    pair(r, 0, "a", "%zz%4");
    r = CALL(&c, split_params, SN("a=b\0c&d", 7));
    cr_assert_eq(arr_len(r), 2);
    assert_strn(rec_slot(arr_at(r, 0), SPU_PARAM_VALUE), "b\0c", 3);
    r = CALL(&c, split_params, S("&&&"));
    cr_assert_eq(arr_len(r), 0);
    struct spu_value bad = spu_v_int(1), out;
    cr_assert_eq(bi_call(&c, SPU_BI_split_params, 1, &bad, &out), SPU_EFAULT);
}

Test(cookie, many_pairs)
{
    size_t n = 3 * 10000;
    char *p = malloc(n);
    for (size_t i = 0; i < n; i += 3)
        memcpy(p + i, "a=&", 3);
    struct spu_value r = CALL(&c, split_params, SN(p, n));
    cr_assert_eq(arr_len(r), 10000);
    free(p);
}
