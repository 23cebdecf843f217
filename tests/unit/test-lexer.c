/* Unit tests for compiler/lexer.l: tokens of both languages, context rules
 * (regex vs division, names after '.', calls, labels, rule heads),
 * literals, locations, and bad input. */
#include <criterion/criterion.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "err.h"
#include "lexer.h"
#include "source.h"

#define MAXTOK 64

struct lexed {
    struct spu_arena *arena;
    struct src_set *srcs;
    struct diag *diag;
    struct parse_ctx pc;
    int tok[MAXTOK];
    SPU_YYSTYPE val[MAXTOK];
    struct src_loc loc[MAXTOK];
    unsigned n; /* tokens after the start token, up to end of file */
};

/* Scan `len` bytes of text as `lang`; the start token is checked and not
 * stored. Free with lx_free. */
static struct lexed *lx_len(const char *text, size_t len, enum src_lang lang)
{
    struct lexed *lx = calloc(1, sizeof(*lx));
    cr_assert_not_null(lx);
    lx->arena = spu_arena_new(0, 0);
    lx->srcs = src_set_new(NULL);
    lx->diag = diag_new(lx->srcs, NULL);
    const struct src_file *f = src_add(lx->srcs, "t", text, len, lang);
    cr_assert_not_null(f);
    lx->pc.arena = lx->arena;
    lx->pc.diag = lx->diag;
    lx->pc.src = f;
    lx->pc.lang = lang;
    lx->pc.line = lx->pc.col = 1;
    yyscan_t sc;
    cr_assert_eq(spu_yylex_init_extra(&lx->pc, &sc), 0);
    YY_BUFFER_STATE b = spu_yy_scan_bytes(f->text, (int)f->len, sc);
    SPU_YYSTYPE v;
    SPU_YYLTYPE l;
    int start = spu_yylex(&v, &l, sc);
    cr_assert_eq(start, lang == SRC_LANG_GRAMMAR ? START_SPG : START_SPR);
    int t;
    while (lx->n < MAXTOK && (t = spu_yylex(&lx->val[lx->n], &lx->loc[lx->n], sc)) != 0)
        lx->tok[lx->n++] = t;
    spu_yy_delete_buffer(b, sc);
    spu_yylex_destroy(sc);
    return lx;
}

static struct lexed *lx(const char *text, enum src_lang lang)
{
    return lx_len(text, strlen(text), lang);
}

static void lx_free(struct lexed *l)
{
    diag_free(l->diag);
    src_set_free(l->srcs);
    spu_arena_free(l->arena);
    free(l);
}

#define G SRC_LANG_GRAMMAR
#define R SRC_LANG_RULES

Test(lexer, keywords_depend_on_the_language)
{
    /* `state` and `message` are grammar keywords, `flow` and `rule` rule
     * keywords; elsewhere they are names */
    struct lexed *g = lx("state flow message list unit", G);
    cr_assert_eq(g->n, 5);
    cr_assert_eq(g->tok[0], KW_STATE);
    cr_assert_eq(g->tok[1], IDENT);
    cr_assert_eq(g->tok[2], KW_MESSAGE);
    cr_assert_eq(g->tok[3], IDENT);
    cr_assert_eq(g->tok[4], KW_UNIT);
    lx_free(g);
    struct lexed *r = lx("state flow message list session", R);
    cr_assert_eq(r->tok[0], IDENT);
    cr_assert_eq(r->tok[1], KW_FLOW);
    cr_assert_eq(r->tok[2], IDENT);
    cr_assert_eq(r->tok[3], KW_LIST);
    cr_assert_eq(r->tok[4], KW_SESSION);
    cr_assert_str_eq(r->val[0].str, "state");
    lx_free(r);
}

Test(lexer, slash_is_a_regex_in_grammars)
{
    struct lexed *g = lx("n / 2 /", G);
    /* n, then the regex "/ 2 /": there is no division in a grammar */
    cr_assert_eq(g->n, 2);
    cr_assert_eq(g->tok[0], IDENT);
    cr_assert_eq(g->tok[1], REGEXLIT);
    cr_assert_eq(g->val[1].node->len, 3);
    cr_assert_eq(memcmp(g->val[1].node->bytes, " 2 ", 3), 0);
    cr_assert_eq(diag_errors(g->diag), 0);
    lx_free(g);
}

Test(lexer, slash_divides_after_an_operand_in_rules)
{
    struct lexed *r = lx("a / b / c ( /x/i ) x ~ /y/ ] / 2 ) / 3 5 / 6", R);
    int want[] = {IDENT, '/', IDENT, '/', IDENT, '(', REGEXLIT, ')', IDENT, '~', REGEXLIT,
                  ']', '/', INTLIT, ')', '/', INTLIT, INTLIT, '/', INTLIT};
    cr_assert_eq(r->n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < r->n; i++)
        cr_assert_eq(r->tok[i], want[i], "token %u", i);
    cr_assert_str_eq(r->val[6].node->name, "i");
    lx_free(r);
}

Test(lexer, regex_classes_may_hold_slashes)
{
    struct lexed *g = lx("/a[/]b\\/c/s x", G);
    cr_assert_eq(g->n, 2);
    cr_assert_eq(g->tok[0], REGEXLIT);
    cr_assert_eq(g->val[0].node->len, 8);
    cr_assert_eq(memcmp(g->val[0].node->bytes, "a[/]b\\/c", 8), 0);
    cr_assert_str_eq(g->val[0].node->name, "s");
    lx_free(g);
}

Test(lexer, names_after_a_dot_or_a_declaration_keyword_are_identifiers)
{
    struct lexed *g = lx("email.message unit message message state x.parse(", G);
    int want[] = {IDENT, '.', IDENT, KW_UNIT, IDENT, KW_MESSAGE, IDENT, IDENT, '.', FUNC, '('};
    cr_assert_eq(g->n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < g->n; i++)
        cr_assert_eq(g->tok[i], want[i], "token %u", i);
    cr_assert_str_eq(g->val[2].str, "message");
    cr_assert_str_eq(g->val[9].str, "parse");
    lx_free(g);
}

Test(lexer, calls_and_labels)
{
    /* a name right before '(' is a call; `int(` and `if(` stay keywords;
     * a name right before ':' is an identifier even if it is a keyword */
    struct lexed *r = lx("f(x) f (x) int(x) if(x) from: list:", R);
    int want[] = {FUNC, '(', IDENT, ')', IDENT, '(', IDENT, ')', KW_INT, '(', IDENT, ')',
                  KW_IF, '(', IDENT, ')', IDENT, ':', IDENT, ':'};
    cr_assert_eq(r->n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < r->n; i++)
        cr_assert_eq(r->tok[i], want[i], "token %u", i);
    cr_assert_str_eq(r->val[16].str, "from");
    lx_free(r);
}

Test(lexer, integers_with_sizes_and_durations)
{
    struct lexed *r = lx("0 42 0x1F 0XfF 8KB 2MB 1GB 250ms 30s 5m 2h 1d", R);
    int64_t want[] = {0, 42, 31, 255, 8192, 2097152, 1073741824, 250, 30000, 300000,
                      7200000, 86400000};
    cr_assert_eq(r->n, 12);
    for (unsigned i = 0; i < r->n; i++) {
        cr_assert_eq(r->tok[i], INTLIT);
        cr_assert_eq(r->val[i].node->ival, want[i], "integer %u", i);
    }
    cr_assert_eq(r->val[4].node->ival2, AST_UNIT_SIZE);
    cr_assert_eq(r->val[8].node->ival2, AST_UNIT_DURATION);
    cr_assert_eq(r->val[1].node->ival2, AST_UNIT_NONE);
    cr_assert_eq(diag_errors(r->diag), 0);
    lx_free(r);
}

Test(lexer, integer_limits_and_bad_suffixes)
{
    struct lexed *r = lx("9223372036854775807 9223372036854775808 9007199254740992GB 5kb 0x1G", R);
    cr_assert_eq(r->n, 5);
    cr_assert_eq(r->val[0].node->ival, INT64_MAX);
    cr_assert_eq(r->val[1].node->ival, 0);
    cr_assert_eq(diag_errors(r->diag), 4);
    lx_free(r);
}

Test(lexer, strings_hold_bytes_with_escapes)
{
    /* "a\0b\x41\"\\\t" is a, NUL, b, A, quote, backslash, tab */
    struct lexed *r = lx("\"a\\0b\\x41\\\"\\\\\\t\" \"\"", R);
    cr_assert_eq(r->n, 2);
    cr_assert_eq(r->tok[0], STRLIT);
    cr_assert_eq(r->val[0].node->len, 7);
    cr_assert_eq(memcmp(r->val[0].node->bytes, "a\0bA\"\\\t", 7), 0);
    cr_assert_eq(r->val[1].node->len, 0);
    cr_assert_eq(diag_errors(r->diag), 0);
    lx_free(r);
}

Test(lexer, nocase_suffix_only_when_alone)
{
    /* "x"i is case-insensitive; "x"in is the string then the keyword in */
    struct lexed *g = lx("\"chunked\"i \"a\"in \"b\" i", G);
    int want[] = {STRLIT, STRLIT, KW_IN, STRLIT, IDENT};
    cr_assert_eq(g->n, 5);
    for (unsigned i = 0; i < g->n; i++)
        cr_assert_eq(g->tok[i], want[i], "token %u", i);
    cr_assert(g->val[0].node->flags & AST_F_NOCASE);
    cr_assert_not(g->val[1].node->flags & AST_F_NOCASE);
    lx_free(g);
}

Test(lexer, addresses_and_cidr_blocks)
{
    struct lexed *r = lx("192.0.2.1 10.0.0.0/8 256.1.1.1 1.2.3.4/40", R);
    cr_assert_eq(r->n, 4);
    cr_assert_eq(r->tok[0], IPLIT);
    cr_assert_eq(r->val[0].node->ival, 4);
    cr_assert_eq(r->val[0].node->ival2, 32);
    cr_assert_eq(r->val[0].node->bytes[15], 1);
    cr_assert_eq(r->val[1].node->ival2, 8);
    cr_assert(r->val[1].node->flags & AST_F_CIDR);
    cr_assert_eq(diag_errors(r->diag), 2);
    lx_free(r);
}

Test(lexer, operators)
{
    struct lexed *r = lx("|| && == != !~ <= >= -> => +: += -= < > = ! ~ + - * % . , ; : ? |", R);
    int want[] = {OROR, ANDAND, EQEQ, NEQ, NMATCH, LEQ, GEQ, ARROW, FATARROW, APPEND, PLUSEQ,
                  MINUSEQ, '<', '>', '=', '!', '~', '+', '-', '*', '%', '.', ',', ';', ':',
                  '?', '|'};
    cr_assert_eq(r->n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < r->n; i++)
        cr_assert_eq(r->tok[i], want[i], "token %u", i);
    lx_free(r);
}

Test(lexer, rule_heads_allow_hyphens_until_on)
{
    struct lexed *r = lx("rule sid 5 classtype web-application-attack msg \"m\" score -2 "
                         "reference url \"u\" on http.request { a-b }", R);
    int want[] = {KW_RULE, KW_SID, INTLIT, KW_CLASSTYPE, WORD, KW_MSG, STRLIT, KW_SCORE, '-',
                  INTLIT, KW_REFERENCE, WORD, STRLIT, KW_ON, IDENT, '.', IDENT, '{',
                  IDENT, '-', IDENT, '}'};
    cr_assert_eq(r->n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < r->n; i++)
        cr_assert_eq(r->tok[i], want[i], "token %u", i);
    cr_assert_str_eq(r->val[4].str, "web-application-attack");
    lx_free(r);
}

Test(lexer, rule_head_without_on_ends_at_a_brace)
{
    struct lexed *r = lx("rule sid 1 { x }", R);
    int want[] = {KW_RULE, KW_SID, INTLIT, '{', IDENT, '}'};
    cr_assert_eq(r->n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < r->n; i++)
        cr_assert_eq(r->tok[i], want[i], "token %u", i);
    lx_free(r);
}

Test(lexer, locations_count_bytes_and_tabs_as_one_column)
{
    /* line 1: tab, "ab"; line 2: two spaces, a comment over two lines,
     * then "cd" on line 3 */
    struct lexed *r = lx("\tab\n  /* c\n */ cd \"x\"", R);
    cr_assert_eq(r->n, 3);
    cr_assert_eq(r->loc[0].line, 1);
    cr_assert_eq(r->loc[0].col, 2);
    cr_assert_eq(r->loc[0].end_col, 3);
    cr_assert_eq(r->loc[1].line, 3);
    cr_assert_eq(r->loc[1].col, 5);
    cr_assert_eq(r->loc[1].end_col, 6);
    cr_assert_eq(r->loc[2].col, 8);
    cr_assert_eq(r->loc[2].end_col, 10);
    lx_free(r);
}

Test(lexer, comments_and_unterminated_things)
{
    struct lexed *r = lx("a // line\n b /* block */ c \"open\n d /* never closed", R);
    int want[] = {IDENT, IDENT, IDENT, STRLIT, IDENT};
    cr_assert_eq(r->n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < r->n; i++)
        cr_assert_eq(r->tok[i], want[i], "token %u", i);
    cr_assert_eq(diag_errors(r->diag), 2);
    lx_free(r);
}

Test(lexer, bad_bytes_are_reported_and_skipped)
{
    /* a NUL byte, 0xff and '@' between names */
    static const char text[] = "a\0b\xff c @ d";
    struct lexed *r = lx_len(text, sizeof(text) - 1, R);
    cr_assert_eq(r->n, 4);
    cr_assert_eq(diag_errors(r->diag), 3);
    lx_free(r);
}

Test(lexer, bad_escapes_are_reported)
{
    struct lexed *r = lx("\"\\q\" \"\\x4\" \"\\xZZ\" \"ok\\\\\"", R);
    cr_assert_eq(r->n, 4);
    cr_assert_eq(diag_errors(r->diag), 3);
    lx_free(r);
}

Test(lexer, empty_input)
{
    struct lexed *g = lx("", G);
    cr_assert_eq(g->n, 0);
    cr_assert_eq(diag_errors(g->diag), 0);
    lx_free(g);
}

Test(lexer, nul_bytes_inside_literals)
{
    /* a regex and a string holding a NUL byte, with suffixes after them
     * (found by fuzz-frontend: the closing delimiter is not before the NUL) */
    static const char text[] = "/a\0b/i \"x\0y\"in";
    struct lexed *g = lx_len(text, sizeof(text) - 1, G);
    cr_assert_eq(g->n, 3);
    cr_assert_eq(g->tok[0], REGEXLIT);
    cr_assert_eq(g->val[0].node->len, 3);
    cr_assert_eq(memcmp(g->val[0].node->bytes, "a\0b", 3), 0);
    cr_assert_str_eq(g->val[0].node->name, "i");
    cr_assert_eq(g->tok[1], STRLIT);
    cr_assert_eq(g->val[1].node->len, 3);
    cr_assert_eq(memcmp(g->val[1].node->bytes, "x\0y", 3), 0);
    cr_assert_eq(g->tok[2], KW_IN);
    lx_free(g);
}
