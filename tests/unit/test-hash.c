/* Unit tests for stdlib/hash.c: md5, sha1, sha256 as lowercase hex (the
 * expected digests are the published test vectors for "abc" and "", and
 * coreutils' output for the NUL-containing input). */
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

TestSuite(hash, .init = setup, .fini = teardown);

Test(hash, known_vectors)
{
    assert_str(CALL(&c, md5, S("abc")), "900150983cd24fb0d6963f7d28e17f72");
    assert_str(CALL(&c, md5, S("")), "d41d8cd98f00b204e9800998ecf8427e");
    assert_str(CALL(&c, sha1, S("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    assert_str(CALL(&c, sha256, S("abc")),
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* "a\0b": bytes, not a C string */
    assert_str(CALL(&c, sha256, SN("a\0b", 3)),
               "59b271ae1bbcb1d31d41929817f4b16fb439eb4f31520b5ad1d5ce98920a7138");
}

Test(hash, null_and_wrong_type)
{
    assert_null(CALL(&c, md5, spu_v_null()));
    assert_null(CALL(&c, sha1, spu_v_null()));
    assert_null(CALL(&c, sha256, spu_v_null()));
    struct spu_value a = spu_v_int(1), r;
    cr_assert_eq(bi_call(&c, SPU_BI_sha256, 1, &a, &r), SPU_EFAULT);
    cr_assert_not_null(c.fault);
}

Test(hash, large_input)
{
    size_t n = 1 << 20;
    char *p = malloc(n);
    memset(p, 'a', n);
    struct spu_value r = CALL(&c, sha256, SN(p, n));
    cr_assert_eq(r.len, 64);
    free(p);
}
