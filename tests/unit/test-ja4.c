/* Unit tests for stdlib/ja4.c: JA4 and JA4_r of a ClientHello's fields.
 * The vector is a published Chrome ClientHello (its JA4_r and JA4 as
 * given with it: t13d1516h2_8daaf6152771_d8a2da3f94cd), with GREASE values
 * added in each list; the other cases vary one rule of the definition. */
#include "stdlib-int.h"
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

TestSuite(ja4, .init = setup, .fini = teardown);

static struct spu_value ints(const int *v, unsigned n)
{
    struct spu_array *a = spu_std_array(c.scratch, n);
    cr_assert_not_null(a);
    for (unsigned i = 0; i < n; i++)
        a->v[i] = spu_v_int(v[i]);
    struct spu_value r = {.type = SPU_T_ARR, .u.arr = a};
    return r;
}

static struct spu_value strs(const char *const *v, unsigned n)
{
    struct spu_array *a = spu_std_array(c.scratch, n);
    cr_assert_not_null(a);
    for (unsigned i = 0; i < n; i++)
        a->v[i] = S(v[i]);
    struct spu_value r = {.type = SPU_T_ARR, .u.arr = a};
    return r;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))
static const int versions[] = {0x3a3a, 0x0304, 0x0303};
static const int ciphers[] = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                              0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
static const int exts[] = {0x1a1a, 0x0000, 0x0017, 0xff01, 0x000a, 0x000b, 0x0023, 0x0010,
                           0x0005, 0x000d, 0x0012, 0x0033, 0x002d, 0x002b, 0x001b, 0x44cd,
                           0xfe0d, 0x2a2a};
static const int sigs[] = {0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601};
static const char *const alpn[] = {"h2", "http/1.1"};

Test(ja4, published_vector)
{
    struct spu_value v = spu_v_int(0x0303), sv = ints(versions, N(versions)),
                     cs = ints(ciphers, N(ciphers)), es = ints(exts, N(exts)),
                     al = strs(alpn, N(alpn)), sg = ints(sigs, N(sigs));
    assert_str(CALL(&c, ja4, v, sv, cs, es, al, sg), "t13d1516h2_8daaf6152771_d8a2da3f94cd");
    assert_str(CALL(&c, ja4_r, v, sv, cs, es, al, sg),
               "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
               "cca8,cca9_0005,000a,000b,000d,0012,0017,001b,0023,002b,002d,0033,44cd,fe0d,"
               "ff01_0403,0804,0401,0503,0805,0501,0806,0601");
}

/* No supported_versions: the hello's version; no SNI: "i"; no ALPN: "00";
 * no signature algorithms: no '_' in part c; no ciphers: twelve zeros. */
Test(ja4, absent_parts)
{
    static const int e2[] = {0x000a, 0x000b};
    static const int c2[] = {0x002f};
    struct spu_value nul = spu_v_null();
    assert_str(CALL(&c, ja4_r, spu_v_int(0x0301), nul, ints(c2, 1), ints(e2, 2), nul, nul),
               "t10i010200_002f_000a,000b");
    assert_str(CALL(&c, ja4, spu_v_int(0x0301), nul, nul, nul, nul, nul),
               "t10i000000_000000000000_000000000000");
    assert_null(CALL(&c, ja4, nul, nul, nul, nul, nul, nul));
    /* a list of something else than ints: null */
    static const char *const bad[] = {"x"};
    assert_null(CALL(&c, ja4, spu_v_int(0x0303), nul, strs(bad, 1), nul, nul, nul));
}

/* An ALPN value whose first or last byte is not a letter or a digit gives
 * the first and last hex digits of the value. */
Test(ja4, alpn_not_alphanumeric)
{
    static const char *const a1[] = {"\xab" "x\x09"};
    struct spu_value nul = spu_v_null();
    struct spu_value r = CALL(&c, ja4_r, spu_v_int(0x0303), nul, nul, nul, strs(a1, 1), nul);
    assert_str(r, "t12i0000a9__");
    static const char *const a2[] = {"http/1.1"};
    r = CALL(&c, ja4_r, spu_v_int(0x0303), nul, nul, nul, strs(a2, 1), nul);
    assert_str(r, "t12i0000h1__");
}
