/* Unit tests for compiler/regex.c: syntax accepted (checked through the AST
 * dump) and refused (with the byte offset spuc puts a caret under), case
 * folding, classes, literal strings, and arbitrary bytes as patterns. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "regex.h"

/* The AST of `pat` as text, or "ERROR" when it does not parse. Returns
 * new (free). */
static char *ast_of(const char *pat, size_t len, unsigned flags)
{
    struct spu_error err;
    char *buf = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&buf, &sz);
    struct spu_regex *re = spu_regex_parse(pat, len, flags, &err);
    fputs(re ? "" : "ERROR", f);
    int rc = re ? spu_regex_dump(re, f) : SPU_OK;
    fclose(f);
    cr_assert_eq(rc, SPU_OK);
    spu_regex_free(re);
    return buf;
}

static char *lit_ast(const void *bytes, size_t len, unsigned flags)
{
    struct spu_error err;
    char *buf = NULL;
    size_t sz = 0;
    FILE *f = open_memstream(&buf, &sz);
    struct spu_regex *re = spu_regex_literal(bytes, len, flags, &err);
    cr_assert_not_null(re, "%s", err.msg);
    spu_regex_dump(re, f);
    fclose(f);
    spu_regex_free(re);
    return buf;
}

struct ok_case {
    const char *pat;
    unsigned flags;
    const char *ast;
};

static void check_ok(const struct ok_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = ast_of(c[i].pat, strlen(c[i].pat), c[i].flags);
        cr_expect_str_eq(got, c[i].ast, "pattern /%s/ (flags %u)", c[i].pat, c[i].flags);
        free(got);
    }
}

#define I SPU_RX_ICASE
#define S SPU_RX_DOTALL

Test(regex, structure)
{
    static const struct ok_case cases[] = {
        {"", 0, "()"},
        {"a", 0, "[a]"},
        {"abc", 0, "cat([a] [b] [c])"},
        {"a|b", 0, "alt([a] [b])"},
        {"a|", 0, "alt([a] ())"},
        {"|", 0, "alt(() ())"},
        {"(a)", 0, "[a]"},
        {"(?:ab)", 0, "cat([a] [b])"},
        {"((a))b", 0, "cat([a] [b])"},
        {"()a()", 0, "[a]"},
        {"a(b|c)d", 0, "cat([a] alt([b] [c]) [d])"},
        {"a*", 0, "rep{0,inf}([a])"},
        {"a+", 0, "rep{1,inf}([a])"},
        {"a?", 0, "rep{0,1}([a])"},
        {"(?:ab)+", 0, "rep{1,inf}(cat([a] [b]))"},
        {"(a*)*", 0, "rep{0,inf}(rep{0,inf}([a]))"},
        {"a{3}", 0, "rep{3,3}([a])"},
        {"a{2,}", 0, "rep{2,inf}([a])"},
        {"a{2,5}", 0, "rep{2,5}([a])"},
        {"a{0,255}", 0, "rep{0,255}([a])"},
        {"a{255}", 0, "rep{255,255}([a])"},
        {"a{1}", 0, "[a]"},
        {"a{1,1}", 0, "[a]"},
        {"a{0}b", 0, "[b]"},
        {"a{0,0}", 0, "()"},
        {"()*", 0, "()"},
        {"(){3,}", 0, "()"},
        {"a}", 0, "cat([a] [}])"},
        {"]", 0, "[\\x5d]"},
        {"a-b,c", 0, "cat([a] [\\x2d] [b] [,] [c])"},
        {"/", 0, "[/]"},
    };
    check_ok(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(regex, escapes)
{
    static const struct ok_case cases[] = {
        {"\\r\\n\\t\\f", 0, "cat([\\x0d] [\\x0a] [\\x09] [\\x0c])"},
        {"\\x41\\xfF\\x00", 0, "cat([A] [\\xff] [\\x00])"},
        {"\\/\\.\\\\", 0, "cat([/] [.] [\\x5c])"},
        {"\\[\\]\\{\\}\\(\\)", 0, "cat([\\x5b] [\\x5d] [{] [}] [(] [)])"},
        {"\\*\\+\\?\\|\\^\\$", 0, "cat([*] [+] [?] [|] [\\x5e] [$])"},
        {"\\ \\-\\\"\\#", 0, "cat([\\x20] [\\x2d] [\"] [#])"},
        {"\\\xe9", 0, "[\\xe9]"},
        {"\\d", 0, "[0-9]"},
        {"\\D", 0, "[\\x00-/:-\\xff]"},
        {"\\w", 0, "[0-9A-Z_a-z]"},
        {"\\W", 0, "[\\x00-/:-@\\x5b-\\x5e`{-\\xff]"},
        {"\\s", 0, "[\\x09-\\x0d\\x20]"},
        {"\\S", 0, "[\\x00-\\x08\\x0e-\\x1f!-\\xff]"},
        {".", 0, "[\\x00-\\x09\\x0b-\\xff]"},
        {".", S, "[\\x00-\\xff]"},
        {"\\.", S, "[.]"},
        {"a\xff\x01", 0, "cat([a] [\\xff] [\\x01])"},
    };
    check_ok(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(regex, classes)
{
    static const struct ok_case cases[] = {
        {"[abc]", 0, "[a-c]"},
        {"[ab]", 0, "[ab]"},
        {"[cba]", 0, "[a-c]"},
        {"[a-cx-z]", 0, "[a-cx-z]"},
        {"[^a]", 0, "[\\x00-`b-\\xff]"},
        {"[^\\n]", 0, "[\\x00-\\x09\\x0b-\\xff]"},
        {"[]a]", 0, "[\\x5da]"},
        {"[^]]", 0, "[\\x00-\\x5c\\x5e-\\xff]"},
        {"[-a]", 0, "[\\x2da]"},
        {"[a-]", 0, "[\\x2da]"},
        {"[\\d_]", 0, "[0-9_]"},
        {"[\\]\\\\]", 0, "[\\x5c\\x5d]"},
        {"[\\x00-\\x1f]", 0, "[\\x00-\\x1f]"},
        {"[\\x30-9]", 0, "[0-9]"},
        {"[^\\x00-\\xff]", 0, "[]"},
        {"[\\s\\d]", 0, "[\\x09-\\x0d\\x200-9]"},
        {"[^\\W]", 0, "[0-9A-Z_a-z]"},
        {"[.*+?(){}|]", 0, "[(-+.?{-}]"},
        {"[[]", 0, "[\\x5b]"},
        {"[a^]", 0, "[\\x5ea]"},
        {"[\\-]", 0, "[\\x2d]"},
        {"[a-a]", 0, "[a]"},
    };
    check_ok(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(regex, case_insensitive)
{
    static const struct ok_case cases[] = {
        {"aB1", I, "cat([Aa] [Bb] [1])"},
        {"[a-c]", I, "[A-Ca-c]"},
        {"[A-C]", I, "[A-Ca-c]"},
        {"[^a]", I, "[\\x00-@B-`b-\\xff]"},
        {"[Z-a]", I, "[AZ-az]"},
        {"\\x41", I, "[Aa]"},
        {"[0-9_]", I, "[0-9_]"},
        {"\\xe9\\xC9", I, "cat([\\xe9] [\\xc9])"},
        {"@[`{]", I, "cat([@] [`{])"},
        {"chunked", I, "cat([Cc] [Hh] [Uu] [Nn] [Kk] [Ee] [Dd])"},
        {"\\w", I, "[0-9A-Z_a-z]"},
        {"[^\\d]", I, "[\\x00-/:-\\xff]"},
    };
    check_ok(cases, sizeof(cases) / sizeof(cases[0]));
}

Test(regex, literal_strings)
{
    char *a = lit_ast("GET", 3, 0);
    char *b = lit_ast("get", 3, SPU_RX_ICASE);
    char *c = lit_ast("a\0b", 3, 0);
    char *d = lit_ast("", 0, 0);
    char *e = lit_ast("x", 1, SPU_RX_ICASE);
    char *f = lit_ast("a*(.", 4, 0);
    char *g = lit_ast("\xff\r\n", 3, SPU_RX_ICASE);
    cr_expect_str_eq(a, "cat([G] [E] [T])");
    cr_expect_str_eq(b, "cat([Gg] [Ee] [Tt])");
    cr_expect_str_eq(c, "cat([a] [\\x00] [b])");
    cr_expect_str_eq(d, "()");
    cr_expect_str_eq(e, "[Xx]");
    cr_expect_str_eq(f, "cat([a] [*] [(] [.])");
    cr_expect_str_eq(g, "cat([\\xff] [\\x0d] [\\x0a])");
    free(a), free(b), free(c), free(d), free(e), free(f), free(g);
}

Test(regex, offsets_and_flags_are_kept)
{
    struct spu_error err;
    struct spu_regex *re = spu_regex_parse("ab(c|d)*", 8, SPU_RX_ICASE, &err);
    cr_assert_not_null(re);
    const struct spu_rx_node *root = spu_regex_root(re);
    cr_assert_eq(root->kind, SPU_RX_CAT);
    cr_assert_eq(root->kids->offset, 0);
    cr_assert_eq(root->kids->next->offset, 1);
    cr_assert_eq(root->kids->next->next->kind, SPU_RX_REPEAT);
    cr_assert_eq(root->kids->next->next->offset, 2);
    cr_assert_eq(root->kids->next->next->kids->kids->next->offset, 5);
    cr_assert_eq(spu_regex_flags(re), SPU_RX_ICASE);
    cr_assert_gt(spu_regex_nodes(re), 5);
    cr_assert_eq(err.code, SPU_OK);
    spu_regex_free(re);
    spu_regex_free(NULL);
}

struct bad_case {
    const char *pat;
    size_t offset;
    const char *msg; /* a substring of the message */
};

Test(regex, refused_with_offsets)
{
    static const struct bad_case cases[] = {
        {"(ab", 0, "unclosed group"},
        {"a(b(c)", 1, "unclosed group"},
        {"ab)", 2, "unmatched ')'"},
        {"a)(", 1, "unmatched ')'"},
        {"[ab", 0, "unclosed class"},
        {"x[^", 1, "unclosed class"},
        {"x[]", 1, "unclosed class"},
        {"*a", 0, "nothing to repeat"},
        {"a|+b", 2, "nothing to repeat"},
        {"(*)", 1, "nothing to repeat"},
        {"(?:?)", 3, "nothing to repeat"},
        {"{2}", 0, "nothing to repeat"},
        {"a**", 2, "cannot follow a quantifier"},
        {"a*?", 2, "lazy"},
        {"a++", 2, "possessive"},
        {"a+*", 2, "cannot follow"},
        {"a{2}{3}", 4, "cannot follow"},
        {"a?{2}", 2, "cannot follow"},
        {"a{", 1, "counted repetition"},
        {"a{x}", 1, "counted repetition"},
        {"a{,3}", 1, "counted repetition"},
        {"a{1,2", 1, "counted repetition"},
        {"a{1 }", 1, "counted repetition"},
        {"{", 0, "counted repetition"},
        {"a{256}", 2, "above 255"},
        {"a{1,300}", 4, "above 255"},
        {"a{99999999999999999999}", 2, "above 255"},
        {"a{3,2}", 1, "minimum is above the maximum"},
        {"^ab", 0, "'^'"},
        {"ab$", 2, "'$'"},
        {"a|^b", 2, "'^'"},
        {"a\\", 1, "trailing backslash"},
        {"\\", 0, "trailing backslash"},
        {"\\1", 0, "backreferences"},
        {"ab\\0", 2, "octal"},
        {"\\q", 0, "unknown escape \\q"},
        {"\\v", 0, "unknown escape \\v"},
        {"\\h", 0, "unknown escape \\h"},
        {"\\N", 0, "unknown escape \\N"},
        {"a\\b", 1, "anchor or word boundary"},
        {"\\B", 0, "anchor"},
        {"\\A", 0, "anchor"},
        {"\\z", 0, "anchor"},
        {"\\G", 0, "anchor"},
        {"x\\x4", 1, "two hex digits"},
        {"\\xg0", 0, "two hex digits"},
        {"\\x", 0, "two hex digits"},
        {"\\x{41}", 0, "two hex digits"},
        {"(?=a)", 0, "unsupported group"},
        {"b(?!a)", 1, "unsupported group"},
        {"(?i)a", 0, "unsupported group"},
        {"(?<n>a)", 0, "unsupported group"},
        {"(?", 0, "unsupported group"},
        {"[z-a]", 1, "range out of order"},
        {"[\\d-z]", 1, "single byte"},
        {"[a-\\d]", 3, "single byte"},
        {"[[:alpha:]]", 1, "POSIX"},
        {"[[=a=]]", 1, "POSIX"},
        {"[\\b]", 1, "not supported in a class"},
        {"[\\q]", 1, "unknown escape"},
        {"[a-\\x]", 3, "two hex digits"},
        {"[\\", 1, "trailing backslash"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spu_error err;
        const char *pat = cases[i].pat;
        struct spu_regex *re = spu_regex_parse(pat, strlen(pat), 0, &err);
        cr_expect_null(re, "/%s/ was accepted", pat);
        cr_expect_eq(err.code, SPU_EPARSE, "/%s/: code %d", pat, err.code);
        cr_expect_eq(err.offset, cases[i].offset, "/%s/: offset %llu, want %zu (%s)", pat,
                     (unsigned long long)err.offset, cases[i].offset, err.msg);
        cr_expect_not_null(strstr(err.msg, cases[i].msg), "/%s/: message '%s' lacks '%s'", pat,
                           err.msg, cases[i].msg);
        spu_regex_free(re);
    }
}

Test(regex, nesting_depth_is_bounded)
{
    char deep[2 * SPU_RX_MAX_DEPTH + 8], ok[2 * SPU_RX_MAX_DEPTH + 8];
    size_t n = 0, m = 0;
    for (unsigned i = 0; i <= SPU_RX_MAX_DEPTH; i++)
        deep[n++] = '(';
    deep[n++] = 'a';
    for (unsigned i = 0; i <= SPU_RX_MAX_DEPTH; i++)
        deep[n++] = ')';
    for (unsigned i = 0; i < SPU_RX_MAX_DEPTH; i++)
        ok[m++] = '(';
    ok[m++] = 'a';
    for (unsigned i = 0; i < SPU_RX_MAX_DEPTH; i++)
        ok[m++] = ')';
    struct spu_error err;
    struct spu_regex *re = spu_regex_parse(deep, n, 0, &err);
    cr_assert_null(re);
    cr_assert_eq(err.code, SPU_EPARSE);
    cr_assert_eq(err.offset, SPU_RX_MAX_DEPTH);
    cr_assert_not_null(strstr(err.msg, "nested deeper"));
    re = spu_regex_parse(ok, m, 0, &err);
    cr_assert_not_null(re);
    spu_regex_free(re);
}

Test(regex, bad_arguments)
{
    struct spu_error err;
    cr_assert_null(spu_regex_parse("a", 1, 0x10, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    cr_assert_null(spu_regex_parse(NULL, 3, 0, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    cr_assert_null(spu_regex_literal(NULL, 3, 0, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    cr_assert_null(spu_regex_literal("a", 1, 0x10, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    struct spu_regex *re = spu_regex_parse(NULL, 0, 0, NULL);
    cr_assert_not_null(re);
    spu_regex_free(re);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Arbitrary byte strings, biased toward regex syntax: every one either
 * parses or fails with SPU_EPARSE at an offset inside the pattern, with a
 * message, and never crashes (run under ASan in the SAN build). */
Test(regex, arbitrary_bytes_parse_or_fail_cleanly)
{
    static const char syntax[] = "ab()[]{}*+?|^$\\.-,0123:x^dDwWsSi";
    uint64_t rng = 0x5eed1234abcdull;
    size_t parsed = 0;
    for (int iter = 0; iter < 30000; iter++) {
        char pat[24];
        size_t len = xorshift(&rng) % sizeof(pat);
        for (size_t i = 0; i < len; i++) {
            uint64_t r = xorshift(&rng);
            pat[i] = (r & 7) ? syntax[(r >> 3) % (sizeof(syntax) - 1)] : (char)(r >> 8);
        }
        struct spu_error err;
        unsigned flags = (unsigned)(xorshift(&rng) & 3);
        struct spu_regex *re = spu_regex_parse(pat, len, flags, &err);
        cr_assert_eq(re != NULL, err.code == SPU_OK);
        cr_assert(err.code == SPU_OK || err.code == SPU_EPARSE, "code %d", err.code);
        cr_assert(err.code == SPU_OK || (err.offset <= len && err.msg[0]));
        parsed += re != NULL;
        spu_regex_free(re);
    }
    /* The generator must exercise both outcomes. */
    cr_assert_gt(parsed, 1000);
    cr_assert_lt(parsed, 29000);
}
