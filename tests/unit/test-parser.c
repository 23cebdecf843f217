/* Unit tests for compiler/parser.y (and ast.c): tree shapes, precedence,
 * lists, error messages and recovery, the nesting bound, bad input. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "err.h"
#include "parse.h"
#include "source.h"

struct parsed {
    struct spu_arena *arena;
    struct src_set *srcs;
    struct diag *diag;
    struct parse_ctx pc;
    FILE *msgs;
    char *text; /* the diagnostics written */
    size_t len;
    struct ast_node *root;
};

static struct parsed *parse_len(const char *src, size_t n, enum src_lang lang)
{
    struct parsed *p = calloc(1, sizeof(*p));
    cr_assert_not_null(p);
    p->arena = spu_arena_new(0, 0);
    p->srcs = src_set_new(NULL);
    p->msgs = open_memstream(&p->text, &p->len);
    p->diag = diag_new(p->srcs, p->msgs);
    const struct src_file *f = src_add(p->srcs, lang == SRC_LANG_GRAMMAR ? "t.spg" : "t.spr",
                                       src, n, lang);
    cr_assert_not_null(f);
    cr_assert_eq(parse_file(&p->pc, p->arena, p->diag, f), SPU_OK);
    fflush(p->msgs);
    p->root = p->pc.root;
    return p;
}

static struct parsed *parse(const char *src, enum src_lang lang)
{
    return parse_len(src, strlen(src), lang);
}

static void parsed_free(struct parsed *p)
{
    diag_free(p->diag);
    fclose(p->msgs);
    free(p->text);
    src_set_free(p->srcs);
    spu_arena_free(p->arena);
    free(p);
}

#define G SRC_LANG_GRAMMAR
#define R SRC_LANG_RULES

/* The value of `const NAME = EXPR;`, the first declaration. */
static struct ast_node *const_value(struct parsed *p)
{
    cr_assert_not_null(p->root);
    cr_assert_eq(p->root->a->kind, AST_CONST);
    return p->root->a->a;
}

Test(parser, precedence_of_binary_operators)
{
    /* a || b && c == d < e + f * -g parses as a || (b && (c == (d < (e + (f * (-g)))))) */
    struct parsed *p = parse("const X = a || b && c == d < e + f * -g;", R);
    struct ast_node *n = const_value(p);
    cr_assert_eq(n->op, AST_OP_OR);
    n = n->b;
    cr_assert_eq(n->op, AST_OP_AND);
    n = n->b;
    cr_assert_eq(n->op, AST_OP_EQ);
    n = n->b;
    cr_assert_eq(n->op, AST_OP_LT);
    n = n->b;
    cr_assert_eq(n->op, AST_OP_ADD);
    n = n->b;
    cr_assert_eq(n->op, AST_OP_MUL);
    cr_assert_eq(n->b->kind, AST_UNARY);
    cr_assert_eq(n->b->op, AST_OP_NEG);
    cr_assert_eq(diag_errors(p->diag), 0);
    parsed_free(p);
}

Test(parser, left_associativity_and_in)
{
    /* a - b - c is (a - b) - c; x in L == y is (x in L) == y; in takes an
     * inline list */
    struct parsed *p = parse("const X = a - b - c; const Y = x in L == y; const Z = x in { 1, 2 };",
                             R);
    struct ast_node *n = const_value(p);
    cr_assert_eq(n->op, AST_OP_SUB);
    cr_assert_eq(n->a->op, AST_OP_SUB);
    cr_assert_str_eq(n->b->name, "c");
    n = p->root->a->next->a;
    cr_assert_eq(n->op, AST_OP_EQ);
    cr_assert_eq(n->a->op, AST_OP_IN);
    n = p->root->a->next->next->a;
    cr_assert_eq(n->op, AST_OP_IN);
    cr_assert_eq(n->b->kind, AST_INLIST);
    cr_assert_eq(ast_count(n->b->a), 2);
    parsed_free(p);
}

Test(parser, postfix_members_indexes_calls)
{
    /* a.b["k"].c(... ) is not a method call; f(x, n: 1).y is a member of a call */
    struct parsed *p = parse("const X = a.b[\"k\"].c; const Y = f(x, from: 1).y;", R);
    struct ast_node *n = const_value(p);
    cr_assert_eq(n->kind, AST_MEMBER);
    cr_assert_str_eq(n->name, "c");
    cr_assert_eq(n->a->kind, AST_SUBSCRIPT);
    cr_assert_eq(n->a->a->kind, AST_MEMBER);
    n = p->root->a->next->a;
    cr_assert_eq(n->kind, AST_MEMBER);
    cr_assert_eq(n->a->kind, AST_CALL);
    cr_assert_eq(ast_count(n->a->a), 2);
    cr_assert_null(n->a->a->name);
    cr_assert_str_eq(n->a->a->next->name, "from");
    parsed_free(p);
}

Test(parser, dangling_else_binds_to_the_inner_if)
{
    struct parsed *p = parse("rule sid 1 on packet { if (a) if (b) x(); else y(); }", R);
    struct ast_node *rule = p->root->a;
    cr_assert_eq(rule->kind, AST_RULE);
    struct ast_node *outer = rule->c->a;
    cr_assert_eq(outer->kind, AST_IF);
    cr_assert_null(outer->c);
    cr_assert_eq(outer->b->kind, AST_IF);
    cr_assert_not_null(outer->b->c);
    parsed_free(p);
}

Test(parser, rule_attributes_and_event)
{
    struct parsed *p = parse("rule gid 2 sid 3 rev 4 \"m\" msg \"n\" classtype a-b priority 5 "
                             "reference url \"u\" metadata \"k v\" score -6 on flow.start { }",
                             R);
    struct ast_node *rule = p->root->a;
    int want[] = {AST_ATTR_GID, AST_ATTR_SID, AST_ATTR_REV, AST_ATTR_MSG, AST_ATTR_MSG,
                  AST_ATTR_CLASSTYPE, AST_ATTR_PRIORITY, AST_ATTR_REFERENCE, AST_ATTR_METADATA,
                  AST_ATTR_SCORE};
    unsigned i = 0;
    for (struct ast_node *a = rule->a; a; a = a->next, i++)
        cr_assert_eq(a->ival, want[i], "attribute %u", i);
    cr_assert_eq(i, 10);
    cr_assert_eq(rule->a->next->ival2, 3);
    cr_assert_eq(rule->a->tail->ival2, -6);
    cr_assert_str_eq(rule->b->name, "flow.start");
    parsed_free(p);
}

Test(parser, rule_declarations)
{
    struct parsed *p = parse("import http;\n"
                             "list a = { \"x\", \"y\" };\n"
                             "list b from \"f.txt\" nocase;\n"
                             "regexlist c = { /r/ };\n"
                             "const d = 1;\n"
                             "flow { int n; bool f; }\n"
                             "session e keyed by flow.src_ip ttl 1m max 9 { int m; }\n"
                             "output o unix \"/s\";\n",
                             R);
    int want[] = {AST_IMPORT, AST_LIST, AST_LIST, AST_REGEXLIST, AST_CONST, AST_FLOW,
                  AST_SESSION, AST_OUTPUT};
    unsigned i = 0;
    for (struct ast_node *d = p->root->a; d; d = d->next, i++)
        cr_assert_eq(d->kind, (enum ast_kind)want[i], "declaration %u", i);
    cr_assert_eq(i, 8);
    struct ast_node *b = p->root->a->next->next;
    cr_assert_eq(b->flags, AST_F_FROM | AST_F_NOCASE);
    cr_assert_eq(b->len, 5);
    struct ast_node *s = b->next->next->next->next;
    cr_assert_eq(s->ival, 60000);
    cr_assert_eq(s->ival2, 9);
    cr_assert_eq(s->a->kind, AST_MEMBER);
    cr_assert_eq(s->a->a->kind, AST_FLOWREF);
    cr_assert_eq(s->next->ival, AST_OUTPUT_UNIX);
    cr_assert_eq(diag_errors(p->diag), 0);
    parsed_free(p);
}

Test(parser, grammar_elements)
{
    struct parsed *p = parse("protocol p over tcp { unit u(int n, string s) map(k, v) {"
                             " k: a b? c* d+ e* until f g+ until \"h\";"
                             " v: (\"x\" | y z) filter f1 if (n), f2 parse q.r(1) limit 3;"
                             " w +: bytes(n) upto \"d\" upto(s) rest nothing;"
                             " x: switch { n == 1 => \"a\"; else => \"b\"; };"
                             " call(1) group (\"a\");"
                             "} }",
                             G);
    cr_assert_eq(diag_errors(p->diag), 0);
    struct ast_node *u = p->root->a->a;
    cr_assert_eq(u->kind, AST_UNIT);
    cr_assert_eq(ast_count(u->a), 2);
    cr_assert_str_eq(u->b->a->name, "k");
    struct ast_node *st = u->c->a;
    struct ast_node *it = st->a;
    cr_assert_eq(it->kind, AST_CAPTURE);
    cr_assert_eq(it->a->kind, AST_EL_REF);
    it = it->next;
    cr_assert_eq(it->kind, AST_EL_OPT);
    it = it->next;
    cr_assert_eq(it->kind, AST_EL_STAR);
    cr_assert_null(it->b);
    it = it->next;
    cr_assert_eq(it->kind, AST_EL_PLUS);
    it = it->next;
    cr_assert_eq(it->kind, AST_EL_STAR);
    cr_assert_str_eq(it->b->name, "f");
    it = it->next;
    cr_assert_eq(it->kind, AST_EL_PLUS);
    cr_assert_eq(it->b->kind, AST_STR);
    st = st->next;
    struct ast_node *cap = st->a;
    cr_assert_eq(cap->a->kind, AST_EL_ALT);
    cr_assert_eq(ast_count(cap->a->a), 2);
    cr_assert_eq(ast_count(cap->a->a->next->a), 2);
    /* the filter list keeps both filters, then parse, then limit */
    struct ast_node *k = cap->b;
    cr_assert_eq(ast_count(k), 4);
    cr_assert_eq(k->kind, AST_SINK_FILTER);
    cr_assert_not_null(k->a);
    cr_assert_eq(k->next->kind, AST_SINK_FILTER);
    cr_assert_eq(k->next->next->kind, AST_SINK_PARSE);
    cr_assert_str_eq(k->next->next->name, "q.r");
    cr_assert_eq(k->next->next->next->ival, 3);
    st = st->next;
    cr_assert_eq(st->a->kind, AST_APPEND);
    cr_assert_eq(st->a->a->kind, AST_EL_BYTES);
    cr_assert_eq(st->a->next->next->kind, AST_EL_UPTO);
    cr_assert_eq(st->a->next->next->next->kind, AST_EL_REST);
    st = st->next;
    cr_assert_eq(st->a->a->kind, AST_EL_SWITCH);
    cr_assert_null(st->a->a->a->next->a);
    /* call(1) is a call; group ("a") is a name then a group */
    st = st->next;
    cr_assert_eq(st->a->kind, AST_EL_REF);
    cr_assert_eq(st->a->ival, 1);
    cr_assert_eq(st->a->next->kind, AST_EL_REF);
    cr_assert_eq(st->a->next->ival, 0);
    cr_assert_eq(st->a->next->next->kind, AST_EL_ALT);
    parsed_free(p);
}

Test(parser, grammar_statements)
{
    struct parsed *p = parse("protocol p over tcp { message m from server when (state.x == 1) {"
                             " int a; var b = 1; a = 2; state.y = 3;"
                             " if (a) { } else if (b) { } else { }"
                             " repeat { } until (a); repeat { } while (b); while (a) { }"
                             " event p.m; yield rest; stop; error \"e\"; anomaly \"n\"; return;"
                             "} }",
                             G);
    cr_assert_eq(diag_errors(p->diag), 0);
    struct ast_node *m = p->root->a->a;
    cr_assert_eq(m->kind, AST_MESSAGE);
    cr_assert_eq(m->ival, AST_DIR_SERVER);
    cr_assert_eq(m->a->kind, AST_BINARY);
    int want[] = {AST_VAR, AST_VAR, AST_ASSIGN, AST_ASSIGN, AST_IF, AST_REPEAT, AST_REPEAT,
                  AST_WHILE, AST_EVENT, AST_YIELD, AST_STOP, AST_ERROR, AST_ANOMALY, AST_RETURN};
    unsigned i = 0;
    for (struct ast_node *s = m->b->a; s; s = s->next, i++)
        cr_assert_eq(s->kind, (enum ast_kind)want[i], "statement %u", i);
    cr_assert_eq(i, 14);
    struct ast_node *st = m->b->a->next->next->next;
    cr_assert_eq(st->a->kind, AST_MEMBER);
    cr_assert_eq(st->a->a->kind, AST_STATEREF);
    cr_assert_eq(st->next->c->kind, AST_IF);
    cr_assert_eq(st->next->next->ival, AST_REPEAT_UNTIL);
    cr_assert_eq(st->next->next->next->ival, AST_REPEAT_WHILE);
    parsed_free(p);
}

Test(parser, protocol_items)
{
    struct parsed *p = parse("import x; protocol p over udp { ports 1, 2; detect client \"a\";"
                             " detect server t; resync client at /r/; resync server after \"s\";"
                             " limits { token 1; message 2; x 3; } state { int a; }"
                             " transaction a, b -> c; index p.e by f, g.h; token t = \"t\"; }",
                             G);
    cr_assert_eq(diag_errors(p->diag), 0);
    struct ast_node *proto = p->root->a->next;
    cr_assert_eq(proto->ival, AST_TRANSPORT_UDP);
    int want[] = {AST_PORTS, AST_DETECT, AST_DETECT, AST_RESYNC, AST_RESYNC, AST_LIMITS,
                  AST_STATE, AST_TRANSACTION, AST_INDEX, AST_TOKEN};
    unsigned i = 0;
    for (struct ast_node *it = proto->a; it; it = it->next, i++)
        cr_assert_eq(it->kind, (enum ast_kind)want[i], "item %u", i);
    cr_assert_eq(i, 10);
    struct ast_node *lim = proto->a->next->next->next->next->next;
    cr_assert_str_eq(lim->a->name, "token");
    cr_assert_str_eq(lim->a->next->name, "message");
    struct ast_node *tx = lim->next->next;
    cr_assert_eq(ast_count(tx->a), 2);
    cr_assert_eq(ast_count(tx->b), 1);
    cr_assert_str_eq(tx->next->a->name, "p.e");
    parsed_free(p);
}

Test(parser, syntax_errors_name_what_was_expected)
{
    struct parsed *p = parse("protocol p over tcp { ports 1 2; }", G);
    cr_assert_eq(diag_errors(p->diag), 1);
    cr_assert_not_null(strstr(p->text, "t.spg:1:31: error: syntax error: unexpected integer "
                                       "'2'; expected ';' or ','"));
    parsed_free(p);
}

Test(parser, recovery_reports_every_error_and_keeps_the_rest)
{
    /* three rules, two with a bad statement, one with a bad head: each
     * error is reported, and every rule is still in the tree */
    struct parsed *p = parse("rule sid 1 on packet { a = ; Log(); }\n"
                             "rule sid 2 on packet { Log(; Alert(); }\n"
                             "rule sid 3 packet { Drop(); }\n"
                             "rule sid 4 on packet { Pass(); }\n",
                             R);
    cr_assert_eq(diag_errors(p->diag), 3);
    cr_assert_eq(ast_count(p->root->a), 3);
    struct ast_node *r1 = p->root->a;
    cr_assert_eq(ast_count(r1->c->a), 1);
    cr_assert_eq(r1->c->a->a->kind, AST_CALL);
    cr_assert_gt(p->pc.discarded, 0);
    parsed_free(p);
}

Test(parser, recovery_in_grammars)
{
    struct parsed *p = parse("protocol p over tcp {\n"
                             "  unit a { x: ; \"ok\"; }\n"
                             "  message b from nowhere { \"skipped\"; }\n"
                             "  unit c { \"c\" }\n"
                             "  unit d { \"d\"; }\n"
                             "}\n",
                             G);
    cr_assert_eq(diag_errors(p->diag), 3);
    struct ast_node *proto = p->root->a;
    cr_assert_eq(ast_count(proto->a), 3);
    cr_assert_str_eq(proto->a->tail->name, "d");
    parsed_free(p);
}

Test(parser, nesting_is_bounded)
{
    char src[8192];
    size_t n = 0;
    n += (size_t)snprintf(src, sizeof(src), "const A = ");
    for (int i = 0; i < 3000; i++)
        src[n++] = '(';
    src[n++] = '1';
    src[n] = '\0';
    struct parsed *p = parse(src, R);
    cr_assert_eq(diag_errors(p->diag), 1);
    cr_assert_not_null(strstr(p->text, "nesting too deep"));
    cr_assert_null(p->root);
    parsed_free(p);
}

Test(parser, empty_files)
{
    struct parsed *g = parse("", G);
    cr_assert_not_null(g->root);
    cr_assert_eq(g->root->kind, AST_FILE);
    cr_assert_null(g->root->a);
    cr_assert_eq(g->root->ival, SRC_LANG_GRAMMAR);
    parsed_free(g);
    struct parsed *r = parse("// nothing\n", R);
    cr_assert_null(r->root->a);
    cr_assert_eq(r->root->ival, SRC_LANG_RULES);
    parsed_free(r);
}

Test(parser, locations_span_the_construct)
{
    struct parsed *p = parse("const A =\n  b + c;", R);
    struct ast_node *n = const_value(p);
    cr_assert_eq(n->loc.line, 2);
    cr_assert_eq(n->loc.col, 3);
    cr_assert_eq(n->loc.end_line, 2);
    cr_assert_eq(n->loc.end_col, 7);
    parsed_free(p);
}

Test(parser, dump_is_stable)
{
    struct parsed *p = parse("const A = -x + f(1, n: \"s\");", R);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ast_dump(f, p->root);
    fclose(f);
    cr_assert_str_eq(out, "file t.spr (rules) @1:1\n"
                          "  const A @1:7\n"
                          "    binary + @1:11\n"
                          "      lhs: unary - @1:11\n"
                          "        name x @1:12\n"
                          "      rhs: call f @1:16\n"
                          "        arg @1:18\n"
                          "          int 1 @1:18\n"
                          "        arg n @1:21\n"
                          "          string \"s\" @1:24\n");
    free(out);
    parsed_free(p);
}

Test(parser, every_kind_has_a_name_and_slots)
{
    for (int k = 0; k < AST__COUNT; k++) {
        int is_list;
        cr_assert_str_neq(ast_kind_name((enum ast_kind)k), "?");
        cr_assert_null(ast_slot_name((enum ast_kind)k, 3, &is_list));
    }
    cr_assert_str_eq(ast_kind_name(AST__COUNT), "?");
    cr_assert_str_eq(ast_op_text(AST_OP_NMATCH), "!~");
    cr_assert_str_eq(ast_attr_name(AST_ATTR_CLASSTYPE), "classtype");
}

/* Deterministic garbage: a linear congruential generator over bytes of
 * the languages' alphabets (and any byte), for both file kinds. The parse
 * must end, reporting errors, without crashing or leaking. */
Test(parser, random_input_never_crashes)
{
    static const char alphabet[] = "abc xyz(){}[];:,.=+-*/%<>!~|&\"\\'\n\t0123456789 rule sid on "
                                   "protocol unit message if else repeat until while event";
    uint32_t seed = 12345;
    for (int round = 0; round < 300; round++) {
        char buf[512];
        size_t n = (size_t)(round % 50) * 10;
        for (size_t i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t r = seed >> 16;
            buf[i] = (r & 7) == 0 ? (char)(r >> 3) : alphabet[(r >> 3) % (sizeof(alphabet) - 1)];
        }
        struct parsed *p = parse_len(buf, n, round & 1 ? G : R);
        parsed_free(p);
    }
}
