/* Unit tests for stdlib/header.c: header_value and header_param
 * (RFC 2045 parameters, RFC 2231 extended values and continuations). */
#include "stdlib-test.h"

#include <stdio.h>

static struct spu_call c;

static void setup(void)
{
    c = call_ctx(0);
}

static void teardown(void)
{
    spu_arena_free(c.scratch);
}

TestSuite(header, .init = setup, .fini = teardown);

Test(header, header_value)
{
    assert_str(CALL(&c, header_value, S(" multipart/mixed ; boundary=x")), "multipart/mixed");
    assert_str(CALL(&c, header_value, S("text/plain")), "text/plain");
    assert_str(CALL(&c, header_value, S("  ")), "");
    assert_str(CALL(&c, header_value, S(";a=b")), "");
    assert_null(CALL(&c, header_value, spu_v_null()));
}

static void param(const char *value, const char *name, const char *want)
{
    struct spu_value r = CALL(&c, header_param, S(value), S(name));
    cr_assert_eq(r.type, want ? SPU_T_STR : SPU_T_NULL, "%s in %s", name, value);
    cr_assert(!want || v_is_str(r, want, strlen(want)), "%s in %s: got \"%.*s\"", name, value,
              (int)r.len, (const char *)r.u.s);
}

Test(header, plain_parameters)
{
    param("multipart/mixed; boundary=\"----=_Part_1\"", "boundary", "----=_Part_1");
    param("text/plain; charset=UTF-8; format=flowed", "CHARSET", "UTF-8");
    param("text/plain; charset = utf-8 ", "charset", "utf-8");
    param("attachment; filename=\"a \\\"b\\\" c.txt\"", "filename", "a \"b\" c.txt");
    param("attachment; filename=\"semi;colon.txt\"; size=3", "size", "3");
    param("attachment; filename=\"semi;colon.txt\"", "filename", "semi;colon.txt");
    param("form-data; name=\"a;b\"", "name", "a;b");
    param("\"quoted;main\"; x=1", "x", "1");
    param("a; x=1; x=2", "x", "1");
    param("a; x=\"unterminated", "x", "unterminated");
    param("a; x=\"\"", "x", "");
    param("a; x=", "x", "");
    param("a; x", "x", NULL);
    param("a; xx=1", "x", NULL);
    param("a; x*y=1", "x", NULL);
    param("text/plain", "charset", NULL);
    param("a; filename=\"=?utf-8?B?w6l0w6kucGRm?=\"", "filename", "\xc3\xa9t\xc3\xa9.pdf");
    param("a; x=1", "", NULL);
}

Test(header, rfc2231_extended_values)
{
    param("attachment; filename*=UTF-8''na%C3%AFve%20%E2%82%AC.exe", "filename",
          "na\xc3\xafve \xe2\x82\xac.exe");
    param("attachment; filename*=iso-8859-1'fr'caf%E9", "filename", "caf\xc3\xa9");
    param("attachment; filename*=''plain%41", "filename", "plainA");
    param("attachment; filename*=noquotes%41", "filename", "noquotesA");
    /* the extended form wins over the plain one, whatever the order */
    param("a; filename=\"plain.txt\"; filename*=utf-8''ext.exe", "filename", "ext.exe");
    param("a; filename*=utf-8''ext.exe; filename=\"plain.txt\"", "filename", "ext.exe");
}

Test(header, rfc2231_continuations)
{
    param("message/external-body; URL*0=\"ftp://\"; URL*1=\"cs.utk.edu/pub\"", "url",
          "ftp://cs.utk.edu/pub");
    param("a; title*2=\"c\"; title*0=\"a\"; title*1=\"b\"", "title", "abc");
    param("a; f*0*=utf-8''%E2%82; f*1*=%AC; f*2=.exe", "f", "\xe2\x82\xac.exe");
    param("a; f*0=a; f*2=c", "f", "a");           /* stops at the gap */
    param("a; f*1=b; f*2=c", "f", NULL);          /* no segment 0 */
    param("a; f*0=a; f*0=z; f*1=b", "f", "ab");   /* duplicates: first wins */
    param("a; f*0=a; f=plain", "f", "a");
    param("a; f*0*=x; f*01=y", "f", "xy");
    param("a; f*99999999999=x", "f", NULL);
}

Test(header, hostile_inputs)
{
    static const char *const in[] = {
        "a; f*0*=utf-8''%E2; f*1*=%", "a; x=\"\\", "a;;;;=;=;", "a; f*=''%", "a; f*=utf-8'",
        "a; f*0=\"x\\\"; f*1*=%4",
    };
    for (size_t k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
        size_t n = strlen(in[k]);
        for (size_t cut = 0; cut <= n; cut++) {
            char *p = malloc(cut ? cut : 1);
            memcpy(p, in[k], cut);
            CALL(&c, header_param, SN(p, cut), S("f"));
            CALL(&c, header_param, SN(p, cut), S("x"));
            CALL(&c, header_value, SN(p, cut));
            free(p);
        }
    }
    /* many continuation segments in reverse order */
    char *big = malloc(200000);
    size_t n = 0;
    for (int i = 9999; i >= 0; i--)
        n += (size_t)sprintf(big + n, "; f*%d=x", i);
    struct spu_value r = CALL(&c, header_param, SN(big, n), S("f"));
    cr_assert_eq(r.len, 10000);
    free(big);
}
