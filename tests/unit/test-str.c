/* Unit tests for stdlib/str.c: the string built-ins. */
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

TestSuite(str, .init = setup, .fini = teardown);

Test(str, string_in_string)
{
    static const struct {
        const char *h, *n;
        bool nocase, want;
    } cases[] = {
        {"GET /cgi-bin/test", "cgi-bin", false, true},
        {"GET /cgi-bin/test", "CGI-BIN", false, false},
        {"GET /cgi-bin/test", "CGI-BIN", true, true},
        {"abc", "", false, true},
        {"", "", false, true},
        {"", "a", false, false},
        {"ab", "abc", false, false},
        {"aaaaaaaaab", "aaab", true, true},
        {"AAAAAAAAAB", "aaab", true, true},
        {"abababac", "ababac", true, true},
        {"abababab", "ababac", true, false},
        {"x\xc3\xa9y", "\xc3\x89", true, false}, /* only ASCII folds */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_bool(CALL(&c, StringInString, S(cases[i].h), S(cases[i].n),
                         spu_v_bool(cases[i].nocase)),
                    cases[i].want);
        assert_bool(CALL(&c, contains, S(cases[i].h), S(cases[i].n), spu_v_bool(cases[i].nocase)),
                    cases[i].want);
    }
}

Test(str, substring_with_nul_bytes_and_long_needles)
{
    static const char hay[] = "a\0b\0c";
    assert_bool(CALL(&c, StringInString, SN(hay, 5), SN("\0c", 2)), true);
    assert_bool(CALL(&c, StringInString, SN(hay, 5), SN("\0C", 2), spu_v_bool(true)), true);
    assert_bool(CALL(&c, StringInString, SN(hay, 5), SN("b\0b", 3)), false);
    /* a needle longer than the on-stack table (64) in a hostile haystack */
    char h[4096], n[300];
    memset(h, 'a', sizeof(h));
    memset(n, 'A', sizeof(n));
    n[sizeof(n) - 1] = 'B';
    assert_bool(CALL(&c, StringInString, SN(h, sizeof(h)), SN(n, sizeof(n)), spu_v_bool(true)),
                false);
    h[sizeof(h) - 1] = 'b';
    assert_bool(CALL(&c, StringInString, SN(h, sizeof(h)), SN(n, sizeof(n)), spu_v_bool(true)),
                true);
}

Test(str, null_in_null_or_false_out)
{
    assert_bool(CALL(&c, StringInString, spu_v_null(), S("a")), false);
    assert_bool(CALL(&c, StringInString, S("a"), spu_v_null()), false);
    assert_null(CALL(&c, StringCompare, spu_v_null(), S("a")));
    assert_null(CALL(&c, StringLength, spu_v_null()));
    assert_null(CALL(&c, StringCopy, spu_v_null()));
    assert_null(CALL(&c, lower, spu_v_null()));
    assert_null(CALL(&c, upper, spu_v_null()));
    assert_bool(CALL(&c, starts_with, spu_v_null(), S("")), false);
    assert_bool(CALL(&c, ends_with, S("a"), spu_v_null()), false);
    assert_null(CALL(&c, find, spu_v_null(), S("a")));
    assert_null(CALL(&c, trim, spu_v_null()));
    assert_null(CALL(&c, split, spu_v_null(), S(",")));
}

Test(str, wrong_types_fault)
{
    struct spu_value args[3] = {spu_v_int(3), S("a"), spu_v_bool(false)};
    struct spu_value r;
    cr_assert_eq(bi_call(&c, SPU_BI_StringInString, 2, args, &r), SPU_EFAULT);
    cr_assert_not_null(c.fault);
    struct spu_value args2[3] = {S("abc"), S("a"), S("yes")};
    cr_assert_eq(bi_call(&c, SPU_BI_contains, 3, args2, &r), SPU_EFAULT);
    struct spu_value args3[3] = {S("abc"), S("x")};
    cr_assert_eq(bi_call(&c, SPU_BI_StringCopy, 2, args3, &r), SPU_EFAULT);
    cr_assert_str_eq(c.fault, "argument is not an int");
    /* too few arguments is a fault too, never a read past args */
    cr_assert_eq(spu_builtin_fns[SPU_BI_StringCompare](&c, args, 1, &r), SPU_EFAULT);
}

Test(str, string_compare)
{
    assert_int(CALL(&c, StringCompare, S("abc"), S("abc")), 0);
    assert_int(CALL(&c, StringCompare, S("abc"), S("abd")), -1);
    assert_int(CALL(&c, StringCompare, S("abd"), S("abc")), 1);
    assert_int(CALL(&c, StringCompare, S("ab"), S("abc")), -1);
    assert_int(CALL(&c, StringCompare, S("abc"), S("ab")), 1);
    assert_int(CALL(&c, StringCompare, S(""), S("")), 0);
    assert_int(CALL(&c, StringCompare, S("ABC"), S("abc")), -1);
    assert_int(CALL(&c, StringCompare, S("ABC"), S("abc"), spu_v_bool(true)), 0);
    assert_int(CALL(&c, StringCompare, S("\xff"), S("a")), 1); /* bytes compare unsigned */
}

Test(str, length_and_copy)
{
    assert_int(CALL(&c, StringLength, SN("a\0b", 3)), 3);
    assert_int(CALL(&c, StringLength, S("")), 0);
    static const struct {
        const char *s;
        int64_t start, len;
        const char *want;
    } cases[] = {
        {"abcdef", 0, -1, "abcdef"}, {"abcdef", 2, -1, "cdef"}, {"abcdef", 2, 2, "cd"},
        {"abcdef", 2, 100, "cdef"},  {"abcdef", 6, -1, ""},     {"abcdef", 99, 3, ""},
        {"abcdef", -5, 2, "ab"},     {"abcdef", 0, 0, ""},
        {"abcdef", INT64_MAX, INT64_MAX, ""},
        {"abcdef", 1, INT64_MIN, "bcdef"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_str(CALL(&c, StringCopy, S(cases[i].s), spu_v_int(cases[i].start),
                        spu_v_int(cases[i].len)),
                   cases[i].want);
    assert_str(CALL(&c, StringCopy, S("abcdef"), spu_v_int(3)), "def");
    assert_str(CALL(&c, StringCopy, S("abcdef"), spu_v_null(), spu_v_null()), "abcdef");
}

Test(str, case_and_affixes)
{
    assert_str(CALL(&c, lower, S("MiXeD 123 \xc3\x89")), "mixed 123 \xc3\x89");
    assert_str(CALL(&c, upper, S("MiXeD 123 \xc3\xa9")), "MIXED 123 \xc3\xa9");
    assert_str(CALL(&c, lower, S("")), "");
    assert_strn(CALL(&c, upper, SN("a\0b", 3)), "A\0B", 3);
    assert_bool(CALL(&c, starts_with, S("/cgi-bin/x"), S("/cgi-bin/")), true);
    assert_bool(CALL(&c, starts_with, S("/CGI-BIN/x"), S("/cgi-bin/")), false);
    assert_bool(CALL(&c, starts_with, S("/CGI-BIN/x"), S("/cgi-bin/"), spu_v_bool(true)), true);
    assert_bool(CALL(&c, starts_with, S("ab"), S("abc")), false);
    assert_bool(CALL(&c, starts_with, S("ab"), S("")), true);
    assert_bool(CALL(&c, ends_with, S("setup.EXE"), S(".exe")), false);
    assert_bool(CALL(&c, ends_with, S("setup.EXE"), S(".exe"), spu_v_bool(true)), true);
    assert_bool(CALL(&c, ends_with, S("exe"), S(".exe")), false);
    assert_bool(CALL(&c, ends_with, S(""), S("")), true);
}

Test(str, find)
{
    assert_int(CALL(&c, find, S("a=b=c"), S("=")), 1);
    assert_int(CALL(&c, find, S("a=b=c"), S("="), spu_v_int(2)), 3);
    assert_int(CALL(&c, find, S("a=b=c"), S("="), spu_v_int(4)), -1);
    assert_int(CALL(&c, find, S("a=b=c"), S("x")), -1);
    assert_int(CALL(&c, find, S("abc"), S(""), spu_v_int(3)), 3);
    assert_int(CALL(&c, find, S("abc"), S(""), spu_v_int(4)), -1);
    assert_int(CALL(&c, find, S("abc"), S("a"), spu_v_int(-10)), 0);
    assert_int(CALL(&c, find, S("abc"), S("c"), spu_v_int(INT64_MAX)), -1);
}

Test(str, trim)
{
    assert_str(CALL(&c, trim, S(" \t\r\n x y \v\f")), "x y");
    assert_str(CALL(&c, trim, S("   ")), "");
    assert_str(CALL(&c, trim, S("")), "");
    assert_strn(CALL(&c, trim, SN(" \0 ", 3)), "\0", 1);
}

Test(str, split)
{
    struct spu_value r = CALL(&c, split, S("a,b,,c"), S(","));
    cr_assert_eq(arr_len(r), 4);
    assert_str(arr_at(r, 0), "a");
    assert_str(arr_at(r, 1), "b");
    assert_str(arr_at(r, 2), "");
    assert_str(arr_at(r, 3), "c");
    r = CALL(&c, split, S("a,b,,c"), S(","), spu_v_int(2));
    cr_assert_eq(arr_len(r), 2);
    assert_str(arr_at(r, 1), "b,,c");
    r = CALL(&c, split, S("a::b::"), S("::"));
    cr_assert_eq(arr_len(r), 3);
    assert_str(arr_at(r, 2), "");
    r = CALL(&c, split, S("abc"), S(""));
    cr_assert_eq(arr_len(r), 1);
    assert_str(arr_at(r, 0), "abc");
    r = CALL(&c, split, S(""), S(","));
    cr_assert_eq(arr_len(r), 1);
    assert_str(arr_at(r, 0), "");
    r = CALL(&c, split, S("a,b"), S(","), spu_v_int(-3));
    cr_assert_eq(arr_len(r), 1);
    assert_str(arr_at(r, 0), "a,b");
    /* huge max: parts are bounded by the string, not by max */
    r = CALL(&c, split, S(",,,"), S(","), spu_v_int(INT64_MAX));
    cr_assert_eq(arr_len(r), 4);
    /* the default max is 64 */
    char many[200];
    memset(many, ',', sizeof(many));
    r = CALL(&c, split, SN(many, sizeof(many)), S(","));
    cr_assert_eq(arr_len(r), 64);
    cr_assert_eq(arr_at(r, 63).len, sizeof(many) - 63);
}

Test(str, scratch_exhaustion_is_an_error_not_a_crash)
{
    struct spu_call small = call_ctx(64);
    char big[4096];
    memset(big, 'x', sizeof(big));
    struct spu_value a[1] = {SN(big, sizeof(big))};
    struct spu_value r;
    cr_assert_eq(bi_call(&small, SPU_BI_upper, 1, a, &r), SPU_ELIMIT);
    cr_assert_not_null(small.fault);
    spu_arena_free(small.scratch);
}

/* join: strings and (one level of) arrays of strings, nulls and empty
 * strings skipped, null when nothing is left; other types fault. */
Test(str, join)
{
    struct spu_value parts = CALL(&c, split, S("a,,b"), S(","));
    assert_str(CALL(&c, join, S("\n"), S("x"), spu_v_null(), parts, S(""), S("y")),
               "x\na\nb\ny");
    assert_str(CALL(&c, join, S(", "), S("only")), "only");
    assert_str(CALL(&c, join, spu_v_null(), S("a"), S("b")), "ab");
    assert_null(CALL(&c, join, S(","), spu_v_null(), S("")));
    assert_null(CALL(&c, join, S(",")));
    struct spu_value a[] = {S(","), spu_v_int(3)};
    struct spu_value r;
    cr_assert_neq(bi_call(&c, SPU_BI_join, 2, a, &r), SPU_OK);
}

Test(str, reverse)
{
    struct spu_value parts = CALL(&c, split, S("a,b,c"), S(","));
    struct spu_value r = CALL(&c, reverse, parts);
    cr_assert_eq(arr_len(r), 3);
    assert_str(arr_at(r, 0), "c");
    assert_str(arr_at(r, 2), "a");
    parts = CALL(&c, split, S("x"), S(","));
    cr_assert_eq(arr_len(CALL(&c, reverse, parts)), 1);
    assert_null(CALL(&c, reverse, spu_v_null()));
    assert_str(CALL(&c, reverse, S("abc")), "cba");
    assert_str(CALL(&c, reverse, S("")), "");
}
