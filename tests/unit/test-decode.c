/* Unit tests for the decoding built-ins: url_decode, base64_decode,
 * qp_decode (stdlib/filter-text.c), html_unescape (stdlib/filter-html.c),
 * decode_words (stdlib/words.c) and the charset conversion under it
 * (stdlib/charset.c). The streaming side of the same decoders is in
 * test-filters.c. */
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

TestSuite(decode, .init = setup, .fini = teardown);

struct dcase {
    const char *in;
    const char *out;
};

Test(decode, url_decode)
{
    static const struct dcase cases[] = {
        {"a%20b+c", "a b+c"},
        {"%41%42%43", "ABC"},
        {"%7e%7E", "~~"},
        {"%zz", "%zz"},      /* invalid escape kept */
        {"%4", "%4"},        /* truncated escape kept */
        {"%", "%"},
        {"%%41", "%A"},      /* the first '%' is not an escape */
        {"%4%41", "%4A"},
        {"%2541", "%41"},    /* one pass only */
        {"", ""},
        {"plain", "plain"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_str(CALL(&c, url_decode, S(cases[i].in)), cases[i].out);
    assert_str(CALL(&c, url_decode, S("a+b%2Bc"), spu_v_bool(true)), "a b+c");
    assert_strn(CALL(&c, url_decode, S("a%00b")), "a\0b", 3);
    assert_strn(CALL(&c, url_decode, S("%ff%FE")), "\xff\xfe", 2);
    assert_null(CALL(&c, url_decode, spu_v_null()));
}

Test(decode, base64_decode)
{
    static const struct dcase cases[] = {
        {"SGVsbG8=", "Hello"},
        {"SGVs\r\nbG8=", "Hello"},
        {"SGVsbG8", "Hello"},             /* missing padding */
        {"SGVsbG8h", "Hello!"},
        {"SGVs bG8h", "Hello!"},          /* spaces skipped */
        {"S*G!V-s_b.G8h", "Hello!"},      /* junk skipped */
        {"SGVsbG8=IGV4dHJh", "Hello"},    /* stops at padding */
        {"SGVsbA==", "Hell"},
        {"S", ""},                        /* a lone character gives nothing */
        {"=", ""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_str(CALL(&c, base64_decode, S(cases[i].in)), cases[i].out);
    assert_strn(CALL(&c, base64_decode, S("AAEC/w==")), "\0\1\2\xff", 4);
    assert_str(CALL(&c, base64_decode, SN("SGVs\0bG8=", 9)), "Hello");
}

Test(decode, qp_decode)
{
    static const struct dcase cases[] = {
        {"a=3Db", "a=b"},
        {"a=3db", "a=b"},                 /* lowercase hex accepted */
        {"soft=\r\nbreak", "softbreak"},
        {"soft=\nbreak", "softbreak"},
        {"soft= \t \r\nbreak", "softbreak"}, /* whitespace added in transport */
        {"line\r\nnext", "line\r\nnext"}, /* hard breaks stay */
        {"trail  \r\n", "trail  \r\n"},   /* trailing whitespace kept */
        {"=4", "=4"},                     /* truncated at the end */
        {"=4x", "=4x"},
        {"=zz", "=zz"},
        {"=", ""},                        /* soft break at the very end */
        {"a= ", "a"},
        {"=\rX", "=\rX"},
        {"==41", "=A"},
        {"caf=C3=A9", "caf\xc3\xa9"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_str(CALL(&c, qp_decode, S(cases[i].in)), cases[i].out);
    /* more whitespace after '=' than a transport adds: not a soft break */
    char ws[80] = "=";
    memset(ws + 1, ' ', 40);
    strcpy(ws + 41, "\r\nx");
    assert_str(CALL(&c, qp_decode, S(ws)), ws);
    assert_strn(CALL(&c, qp_decode, S("=00")), "\0", 1);
}

Test(decode, html_unescape)
{
    static const struct dcase cases[] = {
        {"&lt;script&gt;", "<script>"},
        {"&amp;amp;", "&amp;"},
        {"&#65;&#x42;&#X43", "ABC"},
        {"&#0000000000000000000065;", "A"},
        {"&#99999999999999999999;", "\xef\xbf\xbd"},
        {"&#0;", "\xef\xbf\xbd"},
        {"&#xD800;", "\xef\xbf\xbd"},
        {"&#x110000;", "\xef\xbf\xbd"},
        {"&#x10FFFF;", "\xf4\x8f\xbf\xbf"},
        {"&#128;&#x99;", "\xe2\x82\xac\xe2\x84\xa2"}, /* Windows-1252 range */
        {"&notin;", "\xe2\x88\x89"},
        {"&notit;", "\xc2\xacit;"},       /* legacy prefix match */
        {"&eacute", "\xc3\xa9"},
        {"&eacutex", "\xc3\xa9x"},
        {"&alpha;", "\xce\xb1"},
        {"&alpha", "&alpha"},             /* not a legacy name */
        {"&Alpha;", "\xce\x91"},
        {"&ALPHA;", "&ALPHA;"},           /* names are case-sensitive */
        {"&thetasym;", "\xcf\x91"},
        {"&thetasymx;", "&thetasymx;"},
        {"&abcdefghijkl;", "&abcdefghijkl;"},
        {"&apos;", "'"},
        {"&copy2024", "\xc2\xa9" "2024"},
        {"& x", "& x"},
        {"&", "&"},
        {"&#", "&#"},
        {"&#x", "&#x"},
        {"&#X;", "&#X;"},
        {"&#;", "&#;"},
        {"&&lt;", "&<"},
        {"a&b", "a&b"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_str(CALL(&c, html_unescape, S(cases[i].in)), cases[i].out);
}

Test(decode, decode_words)
{
    static const struct dcase cases[] = {
        {"=?utf-8?q?caf=C3=A9?=", "caf\xc3\xa9"},
        {"=?UTF-8?Q?a_b?=", "a b"},
        {"=?ISO-8859-1?Q?caf=E9?=", "caf\xc3\xa9"},
        {"=?iso-8859-1?b?Y2Fm6Q==?=", "caf\xc3\xa9"},
        {"=?windows-1252?q?=80?=", "\xe2\x82\xac"},
        {"=?iso-8859-1?q?=80?=", "\xe2\x82\xac"},    /* read as Windows-1252 */
        {"=?us-ascii?q?plain?=", "plain"},
        {"=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},       /* adjacent: joined */
        {"=?utf-8?q?a?=\r\n\t=?utf-8?q?b?=", "ab"},  /* across folding */
        {"x =?utf-8?q?a?= y", "x a y"},
        {"=?utf-8?q?a?= y =?utf-8?q?b?=", "a y b"},
        {"=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "\xc3\xa9"}, /* character split */
        {"=?utf-8?q?a?= =?iso-8859-1?q?=E9?=", "a\xc3\xa9"},
        {"=?x-unknown?q?=E9?=", "\xe9"},             /* unknown: bytes as decoded */
        {"=?utf-8*en?q?a?=", "a"},                   /* RFC 2231 language */
        {"=?koi8-r?b?8NLJ18XU?=", "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"},
        {"=?big5?b?pKSk5Q==?=", "\xe4\xb8\xad\xe6\x96\x87"},
        {"=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
        {"=?utf-8?q?abc", "=?utf-8?q?abc"},
        {"=??q?a?=", "=??q?a?="},
        {"=?utf-8?q?a?b?=", "=?utf-8?q?a?b?="},
        {"=?a b?q?x?=", "=?a b?q?x?="},
        {"=?utf-8?q?a\r\nb?=", "=?utf-8?q?a\r\nb?="},
        {"=?../../x?q?a?=", "a"},                    /* odd name: bytes kept */
        {"=?utf-8//translit?q?=E9?=", "\xe9"},
        {"no words", "no words"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_str(CALL(&c, decode_words, S(cases[i].in)), cases[i].out);
    /* an undecodable sequence in a known charset gives U+FFFD */
    assert_str(CALL(&c, decode_words, S("=?shift_jis?b?gQ==?=")), "\xef\xbf\xbd");
    assert_null(CALL(&c, decode_words, spu_v_null()));
}

Test(decode, hostile_inputs_never_overrun)
{
    /* every prefix of tricky inputs: truncated escapes at every point */
    static const char *const inputs[] = {
        "=?utf-8?b?w6k=?= =?utf-8?q?=C3=A9?=", "&#x10FFFF;&notin;&eacute", "a=3D=\r\n=4",
        "%41%4", "SGVsbG8=",
    };
    for (size_t k = 0; k < sizeof(inputs) / sizeof(inputs[0]); k++) {
        size_t n = strlen(inputs[k]);
        for (size_t cut = 0; cut <= n; cut++) {
            /* a heap copy of exactly cut bytes, so ASan sees any overrun */
            char *p = malloc(cut ? cut : 1);
            memcpy(p, inputs[k], cut);
            struct spu_value v = SN(p, cut);
            CALL(&c, decode_words, v);
            CALL(&c, html_unescape, v);
            CALL(&c, qp_decode, v);
            CALL(&c, url_decode, v, spu_v_bool(true));
            CALL(&c, base64_decode, v);
            free(p);
        }
    }
}
