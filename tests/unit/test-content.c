/* Unit tests for stdlib/content.c: content_match against hand-made payloads,
 * one Suricata keyword (or interplay of keywords) per test. */
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

TestSuite(content, .init = setup, .fini = teardown);

/* content_match(buf, p1, m1, p2, m2, ...) with C strings; returns 1/0, or
 * -1 on a fault. */
static int cmn(const void *buf, size_t blen, unsigned n, const char *const *pm)
{
    struct spu_value args[33];
    args[0] = buf ? SN(buf, blen) : spu_v_null();
    for (unsigned i = 0; i < n; i++)
        args[1 + i] = S(pm[i]);
    struct spu_value r;
    int rc = bi_call(&c, SPU_BI_content_match, n + 1, args, &r);
    if (rc != SPU_OK)
        return -1;
    cr_assert_eq(r.type, SPU_T_BOOL);
    return r.u.i ? 1 : 0;
}

#define CM(BUF, ...)                                                                               \
    ({                                                                                             \
        const char *pm_[] = {__VA_ARGS__};                                                         \
        cmn((BUF), strlen(BUF), sizeof(pm_) / sizeof(pm_[0]), pm_);                                \
    })

Test(content, plain_and_nocase)
{
    cr_assert_eq(CM("GET /admin.php HTTP/1.1", "admin", ""), 1);
    cr_assert_eq(CM("GET /ADMIN.php", "admin", ""), 0);
    cr_assert_eq(CM("GET /ADMIN.php", "admin", "nocase"), 1);
    cr_assert_eq(CM("short", "longer than it", ""), 0);
    cr_assert_eq(cmn(NULL, 0, 2, (const char *[]){"a", ""}), 0);
    cr_assert_eq(cmn("x", 1, 0, NULL), 1); /* an empty chain holds */
    cr_assert_eq(cmn(NULL, 0, 0, NULL), 0);
}

Test(content, offset_depth)
{
    /* "abc" at 4 */
    cr_assert_eq(CM("xxxxabcxx", "abc", "offset 4"), 1);
    cr_assert_eq(CM("xxxxabcxx", "abc", "offset 5"), 0);
    cr_assert_eq(CM("xxxxabcxx", "abc", "depth 7"), 1);
    cr_assert_eq(CM("xxxxabcxx", "abc", "depth 6"), 0);
    /* depth counts from offset */
    cr_assert_eq(CM("xxxxabcxx", "abc", "offset 2 depth 5"), 1);
    cr_assert_eq(CM("xxxxabcxx", "abc", "offset 2 depth 4"), 0);
    /* a second occurrence inside the window is found */
    cr_assert_eq(CM("abcxabc", "abc", "offset 1"), 1);
}

Test(content, startswith_endswith)
{
    cr_assert_eq(CM("POST /x", "POST", "startswith"), 1);
    cr_assert_eq(CM(" POST /x", "POST", "startswith"), 0);
    cr_assert_eq(CM("/file.exe", ".exe", "endswith"), 1);
    cr_assert_eq(CM("/file.exe?x", ".exe", "endswith"), 0);
    cr_assert_eq(CM("/file.EXE", ".exe", "endswith nocase"), 1);
    /* both: the whole buffer */
    cr_assert_eq(CM("abc", "abc", "startswith endswith"), 1);
    cr_assert_eq(CM("abcd", "abc", "startswith endswith"), 0);
}

Test(content, distance_within)
{
    /* "b" 2 bytes after the end of "a" */
    cr_assert_eq(CM("a..b", "a", "", "b", "distance 2"), 1);
    cr_assert_eq(CM("a..b", "a", "", "b", "distance 3"), 0);
    /* within counts from the end of the previous match */
    cr_assert_eq(CM("a..b", "a", "", "b", "within 3"), 1);
    cr_assert_eq(CM("a..b", "a", "", "b", "within 2"), 0);
    /* with distance, within counts from the distance point */
    cr_assert_eq(CM("a..bc", "a", "", "bc", "distance 2 within 2"), 1);
    cr_assert_eq(CM("a...bc", "a", "", "bc", "distance 2 within 2"), 0);
    /* distance 0: anywhere after, never before */
    cr_assert_eq(CM("b..a", "a", "", "b", "distance 0"), 0);
    /* negative distance reaches back, clamped at the buffer start */
    cr_assert_eq(CM("xbay", "a", "", "b", "distance -2 within 1"), 1);
    cr_assert_eq(CM("bay", "a", "", "b", "distance -5 within 10"), 1);
}

Test(content, backtracking_to_later_occurrence)
{
    /* the first "a" has no "b" right after; the second does */
    cr_assert_eq(CM("ax....ab", "a", "", "b", "distance 0 within 1"), 1);
    /* three items: only the last "k=" has a digit value right after */
    cr_assert_eq(CM("k=x&k=y&k=7", "k=", "", "7", "within 1"), 1);
    cr_assert_eq(CM("k=x&k=y&k=z", "k=", "", "7", "within 1"), 0);
}

Test(content, negation)
{
    cr_assert_eq(CM("GET /index.html", "admin", "not"), 1);
    cr_assert_eq(CM("GET /admin", "admin", "not"), 0);
    /* negated and relative: absent in the window after the match */
    cr_assert_eq(CM("user=bob&pass=", "user=", "", "root", "not distance 0 within 4"), 1);
    cr_assert_eq(CM("user=root", "user=", "", "root", "not distance 0 within 4"), 0);
    /* a negated item does not move the previous match's end */
    cr_assert_eq(CM("ab..c", "a", "", "zz", "not", "c", "distance 3"), 1);
    /* negated with depth: only the window counts */
    cr_assert_eq(CM("xxxxadmin", "admin", "not depth 4"), 1);
    /* negated endswith */
    cr_assert_eq(CM("a.exe", ".exe", "not endswith"), 0);
    cr_assert_eq(CM("a.exe?", ".exe", "not endswith"), 1);
}

Test(content, hex_bytes)
{
    const char buf[] = "\x00\x01\x02\xff\r\n";
    const char *pm[] = {"\xff\r\n", "endswith"};
    cr_assert_eq(cmn(buf, 6, 2, pm), 1);
    const char *pm2[] = {"\x01\x02", "offset 1 depth 2"};
    cr_assert_eq(cmn(buf, 6, 2, pm2), 1);
}

Test(content, isdataat)
{
    cr_assert_eq(CM("abcdef", "", "isdataat 5"), 1);
    cr_assert_eq(CM("abcdef", "", "isdataat 6"), 0);
    cr_assert_eq(CM("abcdef", "", "not isdataat 6"), 1);
    /* relative: N more bytes after the previous match (prev + N <= len) */
    cr_assert_eq(CM("abc=1", "abc=", "", "", "isdataat 1 relative"), 1);
    cr_assert_eq(CM("abc=", "abc=", "", "", "isdataat 1 relative"), 0);
    cr_assert_eq(CM("abc=", "abc=", "", "", "isdataat 0 relative"), 1);
    cr_assert_eq(CM("abc=", "abc=", "", "", "not isdataat 1 relative"), 1);
    /* with backtracking: the last "=" is followed by nothing */
    cr_assert_eq(CM("a=1&b=", "=", "", "", "not isdataat 1 relative"), 1);
    cr_assert_eq(CM("a=1&b=2", "=", "", "", "not isdataat 1 relative"), 0);
}

Test(content, bad_modifiers_fault)
{
    cr_assert_eq(CM("abc", "a", "sideways"), -1);
    cr_assert_eq(CM("abc", "a", "offset x"), -1);
    cr_assert_eq(CM("abc", "a", "offset 1 distance 1"), -1);
    cr_assert_eq(CM("abc", "", "nocase"), -1);
    cr_assert_eq(CM("abc", "a", "isdataat 1"), -1);
    cr_assert_eq(CM("abc", "a", "depth -1"), -1);
    const char *odd[] = {"a", "", "b"};
    cr_assert_eq(cmn("abc", 3, 3, odd), -1);
}

Test(content, recursion_limit)
{
    /* 4000 "a"s, then a chain that can never hold: stops at the limit */
    char *buf = malloc(4001);
    memset(buf, 'a', 4000);
    buf[4000] = '\0';
    cr_assert_eq(CM(buf, "a", "", "a", "distance 0", "b", "distance 0"), 0);
    buf[3999] = 'b';
    cr_assert_eq(CM(buf, "a", "", "b", "distance 0 within 1"), 0); /* past 3000 tries */
    cr_assert_eq(CM(buf + 3000, "a", "", "b", "distance 0 within 1"), 1);
    free(buf);
}

Test(content, pcre_relative)
{
    /* the regex sees the bytes after the previous match: ^ anchors there */
    cr_assert_eq(CM("id=123&x", "id=", "", "^[0-9]+&", "pcre relative"), 1);
    cr_assert_eq(CM("id=abc&x", "id=", "", "^[0-9]+&", "pcre relative"), 0);
    /* not relative: the whole buffer */
    cr_assert_eq(CM("x id=1", "^id=", "pcre"), 0);
    cr_assert_eq(CM("id=1", "^ID=", "pcre:i"), 1);
    /* the next content is relative to the regex match's end */
    cr_assert_eq(CM("a=1;b", "a=", "", "[0-9]+", "pcre relative", ";b", "within 2"), 1);
    cr_assert_eq(CM("a=1;;b", "a=", "", "[0-9]+", "pcre relative", ";b", "within 2"), 0);
    /* retried: the first "a=" is followed by letters, the second by digits */
    cr_assert_eq(CM("a=x a=7", "a=", "", "^[0-9]", "pcre relative"), 1);
    /* negated */
    cr_assert_eq(CM("user=bob", "user=", "", "^root", "not pcre relative"), 1);
    cr_assert_eq(CM("user=root", "user=", "", "^root", "not pcre relative"), 0);
    /* a bad regex or a bad flag faults */
    cr_assert_eq(CM("abc", "(", "pcre"), -1);
    cr_assert_eq(CM("abc", "a", "pcre:q"), -1);
    cr_assert_eq(CM("abc", "a", "pcre offset 1"), -1);
}

Test(content, byte_test)
{
    const char bin[] = "\x00\x10\x01\x02zz";
    const char *big[] = {"", "byte_test 2 = 258 2"};
    cr_assert_eq(cmn(bin, 6, 2, big), 1);
    const char *little[] = {"", "byte_test 2 = 513 2 little"};
    cr_assert_eq(cmn(bin, 6, 2, little), 1);
    const char *gt[] = {"", "byte_test 1 > 15 1"};
    cr_assert_eq(cmn(bin, 6, 2, gt), 1);
    const char *ngt[] = {"", "not byte_test 1 > 15 1"};
    cr_assert_eq(cmn(bin, 6, 2, ngt), 0);
    const char *and_[] = {"", "byte_test 1 & 0x10 1"};
    cr_assert_eq(cmn(bin, 6, 2, and_), 1);
    const char *mask[] = {"", "byte_test 1 = 1 1 bitmask 0xf0"}; /* 0x10 masked, shifted by 4 */
    cr_assert_eq(cmn(bin, 6, 2, mask), 1);
    /* out of the buffer: no match, negated or not */
    const char *past[] = {"", "byte_test 4 > 0 4"};
    cr_assert_eq(cmn(bin, 6, 2, past), 0);
    /* string numbers, relative to a content */
    cr_assert_eq(CM("len=1500;", "len=", "", "", "byte_test 4 >= 1000 0 relative string dec"), 1);
    cr_assert_eq(CM("len=0999;", "len=", "", "", "byte_test 4 >= 1000 0 relative string dec"), 0);
    cr_assert_eq(CM("x=ff", "x=", "", "", "byte_test 2 = 255 0 relative string hex"), 1);
    cr_assert_eq(CM("len=abcd", "len=", "", "", "byte_test 4 > 0 0 relative string dec"), 0);
    cr_assert_eq(CM("x", "", "byte_test 9 = 0 0"), -1); /* binary reads at most 8 bytes */
}

Test(content, byte_jump)
{
    /* a length byte, then that many bytes, then "OK" */
    const char msg[] = "\x03"
                       "abcOK";
    const char *j[] = {"", "byte_jump 1 0", "OK", "within 2"};
    cr_assert_eq(cmn(msg, 6, 4, j), 1);
    const char *jm[] = {"", "byte_jump 1 0 multiplier 2", "OK", "within 2"};
    cr_assert_eq(cmn(msg, 6, 4, jm), 0); /* lands past the end */
    const char *jp[] = {"", "byte_jump 1 0 post_offset -1", "cOK", "within 3"};
    cr_assert_eq(cmn(msg, 6, 4, jp), 1);
    const char *jb[] = {"", "byte_jump 1 0 from_beginning", "OK", "within 3"};
    cr_assert_eq(cmn(msg, 6, 4, jb), 1); /* at 3: "cOK" holds "OK" within 3 */
    const char msg2[] = "\x02"
                        "abcOK";
    const char *ja[] = {"", "byte_jump 1 0 align", "O", "within 1"};
    cr_assert_eq(cmn(msg2, 6, 4, ja), 1); /* 1 + 2 = 3, aligned to 4: "O" */
    const char *jna[] = {"", "byte_jump 1 0", "O", "within 1"};
    cr_assert_eq(cmn(msg2, 6, 4, jna), 0); /* at 3: "c" */
    /* string length relative to a content */
    cr_assert_eq(
        CM("L=03xyzEND", "L=", "", "", "byte_jump 2 0 relative string dec", "END", "within 3"), 1);
    cr_assert_eq(
        CM("L=02xyzEND", "L=", "", "", "byte_jump 2 0 relative string dec", "END", "within 3"), 0);
    cr_assert_eq(CM("x", "", "not byte_jump 1 0"), -1);
}
