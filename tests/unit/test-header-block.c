/* Unit tests for stdlib/header-block.c: header_block rebuilds Suricata's
 * http.header / http.header_names buffers from parsed header records. */
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

TestSuite(header_block, .init = setup, .fini = teardown);

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

static const char *const kv[] = {"Host",       "example.com", "Cookie",     "a=1",
                                 "User-Agent", "curl/8",      "set-cookie", "b=2"};

Test(header_block, normalized_leaves_cookies_out)
{
    assert_str(CALL(&c, header_block, params(kv, 4)),
               "Host: example.com\r\nUser-Agent: curl/8\r\n");
}

Test(header_block, with_cookies)
{
    assert_str(CALL(&c, header_block, params(kv, 4), spu_v_bool(true)),
               "Host: example.com\r\nCookie: a=1\r\nUser-Agent: curl/8\r\nset-cookie: b=2\r\n");
}

Test(header_block, names)
{
    assert_str(CALL(&c, header_block, params(kv, 4), spu_v_bool(false), spu_v_bool(true)),
               "\r\nHost\r\nCookie\r\nUser-Agent\r\nset-cookie\r\n\r\n");
}

Test(header_block, null_and_empty)
{
    assert_null(CALL(&c, header_block, spu_v_null()));
    assert_str(CALL(&c, header_block, params(kv, 0)), "");
    struct spu_value bad = S("Host: x"), out;
    cr_assert_eq(bi_call(&c, SPU_BI_header_block, 1, &bad, &out), SPU_EFAULT);
}
