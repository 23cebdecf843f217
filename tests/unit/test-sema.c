/* Unit tests for compiler/sema*.c: the expression semantics table (the
 * type of each operator on each operand type), constant folding, calls,
 * records and arrays of grammars, FIRST sets, events, name resolution in
 * rules, and the symbol tables. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "ast.h"
#include "builtin-api.h"
#include "diag.h"
#include "err.h"
#include "front.h"
#include "sema-int.h"
#include "sema.h"

struct checked {
    struct front *f;
    const struct sema_program *p;
    FILE *out;
    char *msgs; /* diagnostics */
    size_t len;
    unsigned errors, warnings;
};

/* Check a grammar and/or a rule file (either may be NULL) from memory. */
static struct checked *check(const char *grammar, const char *rules)
{
    struct checked *c = calloc(1, sizeof(*c));
    cr_assert_not_null(c);
    c->out = open_memstream(&c->msgs, &c->len);
    c->f = front_new(c->out, NULL);
    cr_assert_not_null(c->f);
    front_set_default_include(c->f, false);
    if (grammar)
        cr_assert_eq(front_add_source(c->f, "g.spg", grammar, strlen(grammar),
                                      SRC_LANG_GRAMMAR), SPU_OK);
    if (rules)
        cr_assert_eq(front_add_source(c->f, "r.spr", rules, strlen(rules), SRC_LANG_RULES),
                     SPU_OK);
    int rc = front_check(c->f);
    cr_assert_neq(rc, SPU_ENOMEM);
    fflush(c->out);
    c->p = front_program(c->f);
    c->errors = diag_errors(front_diag(c->f));
    c->warnings = diag_warnings(front_diag(c->f));
    return c;
}

static void checked_free(struct checked *c)
{
    front_free(c->f);
    fclose(c->out);
    free(c->msgs);
    free(c);
}

/* The first node of `kind` named `name` under n (depth first). */
static const struct ast_node *find(const struct ast_node *n, enum ast_kind kind,
                                   const char *name)
{
    for (; n; n = n->next) {
        if (n->kind == kind && n->name && strcmp(n->name, name) == 0)
            return n;
        const struct ast_node *r = find(n->a, kind, name);
        r = r ? r : find(n->b, kind, name);
        r = r ? r : find(n->c, kind, name);
        if (r)
            return r;
    }
    return NULL;
}

static const struct ast_node *file_ast(const struct checked *c, const char *path)
{
    for (unsigned i = 0; i < front_file_count(c->f); i++)
        if (strcmp(front_file_ast(c->f, i)->name, path) == 0)
            return front_file_ast(c->f, i);
    return NULL;
}

/* ---- the expression semantics table ---- */

/* Operands: b bool, i int, s string, a ip, /x/ regex, null, L list of
 * strings, N list of ips, R regexlist, u a url record, arr a string[]. */
static const char rule_prelude[] = "list L = { \"a\" };\n"
                                   "list N = { 10.0.0.0/8 };\n"
                                   "regexlist R = { /x/ };\n"
                                   "rule sid 1 on packet {\n"
                                   "    bool b = true; int i = 1; string s = \"s\"; ip a = 1.2.3.4;\n"
                                   "    var u = split_url(s); var arr = split(s, \",\");\n"
                                   "    var r = %s;\n"
                                   "}\n";

struct typing {
    char expr[48];
    char type[16]; /* the type of the result, or "error" */
};

ParameterizedTestParameters(sema, expression_types)
{
    static struct typing rows[] = {
        /* arithmetic: ints; + also concatenates strings */
        {"i + i", "int"}, {"s + s", "string"}, {"s + i", "error"}, {"i + s", "error"},
        {"b + b", "error"}, {"a + a", "error"}, {"null + i", "error"}, {"i - i", "int"},
        {"s - s", "error"}, {"i * i", "int"}, {"b * i", "error"}, {"i / i", "int"},
        {"s / i", "error"}, {"i % i", "int"}, {"i % a", "error"},
        /* ordering: ints only */
        {"i < i", "bool"}, {"i <= i", "bool"}, {"i > i", "bool"}, {"i >= i", "bool"},
        {"s < s", "error"}, {"a > a", "error"}, {"b < b", "error"},
        /* equality: same scalar type, or null */
        {"i == i", "bool"}, {"s != s", "bool"}, {"a == a", "bool"}, {"b == b", "bool"},
        {"s == null", "bool"}, {"null == null", "bool"}, {"u == null", "bool"},
        {"i == s", "error"}, {"b == i", "error"}, {"a != s", "error"}, {"u == u", "error"},
        {"arr == arr", "error"}, {"L == L", "error"}, {"/x/ == /x/", "error"},
        /* matching: a string against a regex or (case-insensitive) a string */
        {"s ~ /x/", "bool"}, {"s !~ /x/", "bool"}, {"s ~ s", "bool"}, {"null ~ s", "bool"},
        {"i ~ s", "error"}, {"s ~ i", "error"}, {"a ~ /x/", "error"}, {"s ~ L", "error"},
        /* membership: strings in string or regex lists, ips in ip lists and CIDRs */
        {"s in L", "bool"}, {"a in N", "bool"}, {"s in R", "bool"}, {"a in a", "bool"},
        {"a in 10.0.0.0/8", "bool"}, {"s in { \"x\" }", "bool"}, {"a in { 1.2.3.4 }", "bool"},
        {"a in L", "error"}, {"s in N", "error"}, {"s in a", "error"}, {"i in L", "error"},
        {"s in s", "error"}, {"s in { 1 }", "error"}, {"s in arr", "error"},
        /* logic: any operands, by their truth value */
        {"b && i", "bool"}, {"s || a", "bool"}, {"u && arr", "bool"}, {"!s", "bool"},
        {"!u", "bool"}, {"-i", "int"}, {"-s", "error"}, {"-b", "error"},
        /* indexes: a string's bytes, an array's elements, a map array by key */
        {"s[i]", "int"}, {"arr[i]", "string"}, {"arr[s]", "error"}, {"s[s]", "error"},
        {"i[i]", "error"}, {"u[\"x\"]", "error"}, {"u.params[\"id\"]", "string"},
        {"u.params[0]", "param"}, {"u.params[0].value", "string"},
        /* members of records */
        {"u.host", "string"}, {"u.port", "int"}, {"u.params", "param[]"}, {"u.nope", "error"},
        {"s.x", "error"}, {"arr.x", "error"},
        /* calls: signatures, named arguments, defaults */
        {"lower(s)", "string"}, {"lower(i)", "error"}, {"split_url(s)", "url"},
        {"StringLength(arr)", "error"}, {"count(arr)", "int"}, {"str(i)", "string"},
        {"int(s)", "int"}, {"ip(\"1.2.3.4\")", "ip"}, {"FindInList(s, L)", "bool"},
        {"FindInList(a, L)", "error"}, {"FindInRegExList(s, R)", "bool"},
        {"FindInRegExList(s, L)", "error"}, {"contains(s, \"x\", nocase: true)", "bool"},
        {"contains(s, nocase: true)", "error"}, {"find(s, \"x\", from: 2)", "int"},
        {"find(s, \"x\", 2, 3)", "error"}, {"all(arr, \"k\")", "string[]"},
        {"addresses(s)[0].domain", "string"}, {"nosuch(s)", "error"},
    };
    return cr_make_param_array(struct typing, rows, sizeof(rows) / sizeof(rows[0]));
}

ParameterizedTest(struct typing *row, sema, expression_types)
{
    char src[1024];
    snprintf(src, sizeof(src), rule_prelude, row->expr);
    struct checked *c = check(NULL, src);
    const struct ast_node *r = find(file_ast(c, "r.spr"), AST_VAR, "r");
    cr_assert_not_null(r);
    char buf[96];
    const char *got = c->errors ? "error" : sema_type_str(r->sema.type, buf, sizeof(buf));
    cr_assert_str_eq(got, row->type, "%s: expected %s, got %s\n%s", row->expr, row->type, got,
                     c->msgs);
    checked_free(c);
}

/* ---- constant folding ---- */

struct folding {
    char expr[48];
    char value[32];
};

ParameterizedTestParameters(sema, constant_folding)
{
    static struct folding rows[] = {
        {"1 + 2 * 3", "7"}, {"(1 + 2) * 3", "9"}, {"10 / 3", "3"}, {"-7 % 3", "-1"},
        {"0x10 - 1KB", "-1008"}, {"1h / 1m", "60"}, {"\"a\" + \"b\"", "\"ab\""},
        {"1 < 2 && 3 > 4", "false"}, {"1 < 2 || X", "true"}, {"!null", "true"},
        {"!\"\"", "false"}, {"\"AbC\" ~ \"b\"", "true"}, {"\"AbC\" !~ \"B\"", "false"},
        {"null == null", "true"}, {"\"x\" == null", "false"}, {"ip(\"::1\")", "::1"},
        {"cidr(\"10.1.0.0/16\")", "10.1.0.0/16"}, {"9223372036854775807 + 1",
                                                  "-9223372036854775808"},
        {"X * 2", "84"}, {"10.0.0.1 == 10.0.0.1", "true"}, {"lower(\"AbC\")", "\"abc\""},
        {"cidr(\"10.1.2.3/8\")", "10.0.0.0/8"}, {"StringLength(\"abc\") * 2", "6"},
        {"hex(\"ff\") + int(\"1\")", "256"}, {"int(\"x\")", "null"},
        {"StringInString(\"aXb\", \"x\", nocase: true)", "true"},
    };
    return cr_make_param_array(struct folding, rows, sizeof(rows) / sizeof(rows[0]));
}

ParameterizedTest(struct folding *row, sema, constant_folding)
{
    char src[256];
    snprintf(src, sizeof(src), "const X = 42;\nconst Y = %s;\n", row->expr);
    struct checked *c = check(NULL, src);
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    cr_assert_eq(c->p->nconsts, 2);
    const struct sema_constdecl *k = c->p->consts[1];
    cr_assert_not_null(k->value);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    sema_const_print(f, k->value);
    fclose(f);
    cr_assert_str_eq(out, row->value, "%s", row->expr);
    free(out);
    checked_free(c);
}

Test(sema, division_by_zero_in_constants)
{
    struct checked *c = check(NULL, "const A = 1 / 0; const B = 1 % (2 - 2); const C = 1 / 2;");
    cr_assert_eq(c->errors, 2);
    cr_assert_not_null(strstr(c->msgs, "division by zero"));
    cr_assert_not_null(strstr(c->msgs, "modulo by zero"));
    checked_free(c);
}

Test(sema, calls_are_normalised_with_defaults)
{
    struct checked *c = check(NULL, "rule sid 1 on packet { Alert(message: \"m\"); "
                                    "var x = StringInString(\"a\", \"b\"); }");
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    const struct ast_node *alert = find(file_ast(c, "r.spr"), AST_CALL, "Alert");
    cr_assert_eq(alert->sema.ref, SEMA_REF_BUILTIN);
    cr_assert_eq(alert->sema.index, SPU_BI_Alert);
    cr_assert_eq(alert->sema.nargs, 2);
    cr_assert_eq(alert->sema.args[0]->kind, AST_INT); /* severity: the default 0 */
    cr_assert_eq(alert->sema.args[0]->sema.cval->i, 0);
    cr_assert_eq(alert->sema.args[1]->kind, AST_STR);
    const struct ast_node *sis = find(file_ast(c, "r.spr"), AST_CALL, "StringInString");
    cr_assert_eq(sis->sema.nargs, 3);
    cr_assert_eq(sis->sema.args[2]->kind, AST_BOOL);
    checked_free(c);
}

Test(sema, variadic_calls_keep_extra_arguments)
{
    struct checked *c = check(NULL, "rule sid 1 on packet { Log(src_ip, dst_port, payload); }");
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    const struct ast_node *log = find(file_ast(c, "r.spr"), AST_CALL, "Log");
    cr_assert_eq(log->sema.nargs, 3);
    checked_free(c);
}

Test(sema, actions_only_in_rule_bodies)
{
    struct checked *c = check("protocol p over tcp { message m from client { x = Drop(); "
                              "\"x\"; } }",
                              "const K = Pass();");
    cr_assert_eq(c->errors, 2, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "'Drop' cannot be used in a grammar"));
    cr_assert_not_null(strstr(c->msgs, "action 'Pass' is only allowed in a rule body"));
    checked_free(c);
}

/* ---- grammars ---- */

static const char grammar[] =
    "protocol p over tcp {\n"
    "    transaction ask -> answer;\n"
    "    state { int mode; }\n"
    "    token nl = \"\\n\";\n"
    "    unit kv map(k, v) { k: /[a-z]+/; \"=\"; v: /[^;\\n]*/; }\n"
    "    unit body(int n) { repeat { c: /[0-9]/; yield bytes(int(c)); } until (c == \"0\"); }\n"
    "    message ask from client {\n"
    "        verb: /[A-Z]+/;\n"
    "        pairs: kv* until nl;\n"
    "        host = pairs[\"host\"];\n"
    "        size = StringLength(verb);\n"
    "        text: body(1);\n"
    "        note +: \"x\";\n"
    "        code: (\"+\" | \"-\")?;\n"
    "        event p.ask;\n"
    "    }\n"
    "    message answer from server when (state.mode == 0) {\n"
    "        ok: (\"OK\" | \"NO\" | nl);\n"
    "        if (ask.verb == \"Q\") { stop; }\n"
    "        event p.answer;\n"
    "    }\n"
    "}\n";

Test(sema, records_of_units_and_messages)
{
    struct checked *c = check(grammar, NULL);
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    cr_assert_eq(c->p->nprotos, 1);
    const struct sema_proto *p = c->p->protos[0];
    const struct sema_unit *ask = p->units[2];
    cr_assert_str_eq(ask->name, "ask");
    const struct sema_layout *l = ask->layout;
    const char *names[] = {"verb", "pairs", "host", "size", "text", "note", "code"};
    const char *types[] = {"string", "kv[]", "string", "int", "string", "string", "string"};
    const bool arrays[] = {false, true, false, false, false, false, false};
    const enum sema_field_origin origins[] = {SEMA_FIELD_CAPTURE, SEMA_FIELD_CAPTURE,
                                              SEMA_FIELD_DERIVED, SEMA_FIELD_DERIVED,
                                              SEMA_FIELD_CAPTURE, SEMA_FIELD_APPEND,
                                              SEMA_FIELD_CAPTURE};
    cr_assert_eq(l->nfields, 7);
    for (unsigned i = 0; i < 7; i++) {
        char buf[64];
        cr_assert_str_eq(l->fields[i]->name, names[i]);
        cr_assert_str_eq(sema_type_str(l->fields[i]->type, buf, sizeof(buf)), types[i]);
        cr_assert_eq(l->fields[i]->array, arrays[i], "field %s", names[i]);
        cr_assert_eq(l->fields[i]->origin, origins[i], "field %s", names[i]);
        cr_assert_eq(l->fields[i]->index, i);
    }
    const struct sema_unit *kv = p->units[0];
    cr_assert_eq(kv->layout->map_key, 0);
    cr_assert_eq(kv->layout->map_value, 1);
    cr_assert(p->units[1]->stream);
    cr_assert_not(kv->stream);
    cr_assert_eq(p->units[1]->nparams, 1);
    cr_assert_eq(p->units[1]->params[0]->slot, 0);
    checked_free(c);
}

Test(sema, repeated_captures_read_as_the_current_element_inside_their_loop)
{
    struct checked *c = check(grammar, NULL);
    const struct sema_unit *body = c->p->protos[0]->units[1];
    const struct sema_field *f = body->layout->fields[0];
    cr_assert(f->array);
    cr_assert_eq(f->loop->kind, AST_REPEAT);
    /* c == "0" in until (...) reads one string, not the array */
    const struct ast_node *cond = f->loop->b;
    cr_assert_eq(cond->a->sema.ref, SEMA_REF_FIELD);
    cr_assert(cond->a->sema.flags & SEMA_F_CURRENT);
    char buf[32];
    cr_assert_str_eq(sema_type_str(cond->a->sema.type, buf, sizeof(buf)), "string");
    checked_free(c);
}

Test(sema, first_sets_of_choices)
{
    struct checked *c = check(grammar, NULL);
    const struct sema_unit *ask = c->p->protos[0]->units[2];
    /* pairs: kv* until nl -> [0] the terminator nl, [1] kv's first token */
    const struct ast_node *pairs = find(ask->decl, AST_CAPTURE, "pairs");
    const struct sema_choice *ch = pairs->a->sema.choice;
    cr_assert_not_null(ch);
    cr_assert_eq(ch->n, 2);
    cr_assert_eq(ch->alts[0].n, 1);
    cr_assert_eq(ch->alts[0].toks[0].kind, SEMA_TOK_TOKEN);
    cr_assert_str_eq(ch->alts[0].toks[0].token->name, "nl");
    cr_assert_eq(ch->alts[1].toks[0].kind, SEMA_TOK_REGEX);
    /* code: ("+" | "-")? -> the optional has one choice of two literals,
     * the group two choices of one */
    const struct ast_node *code = find(ask->decl, AST_CAPTURE, "code");
    cr_assert_eq(code->a->sema.choice->n, 1);
    cr_assert_eq(code->a->sema.choice->alts[0].n, 2);
    cr_assert_eq(code->a->a->sema.choice->n, 2);
    cr_assert_eq(code->a->a->sema.choice->alts[1].toks[0].kind, SEMA_TOK_LIT);
    cr_assert(c->p->protos[0]->units[0]->first_ok);
    checked_free(c);
}

Test(sema, events_transactions_and_pairing)
{
    struct checked *c = check(grammar, NULL);
    const struct sema_proto *p = c->p->protos[0];
    cr_assert_eq(c->p->nevents, 2);
    cr_assert_str_eq(c->p->events[0]->name, "p.ask");
    cr_assert_eq(c->p->events[0]->unit, p->units[2]);
    cr_assert_eq(c->p->events[0]->layout, p->units[2]->layout);
    cr_assert_eq(p->units[3]->completion, c->p->events[1]);
    cr_assert_eq(p->ntx_client, 1);
    cr_assert_eq(p->tx_server[0], p->units[3]);
    const struct ast_node *verb = find(p->units[3]->decl, AST_MEMBER, "verb");
    cr_assert_eq(verb->sema.ref, SEMA_REF_PAIR_FIELD);
    cr_assert_eq(verb->sema.layout, p->units[2]->layout);
    cr_assert_eq(verb->a->sema.ref, SEMA_REF_NS_RECORD);
    cr_assert(sema_unit_encloses(p->units[2], p->units[1]));
    cr_assert_not(sema_unit_encloses(p->units[1], p->units[2]));
    cr_assert(p->units[3]->when);
    checked_free(c);
}

Test(sema, choices_must_begin_with_a_token)
{
    struct checked *c = check("protocol p over tcp { unit u { ( bytes(1) | \"a\" ); "
                              "rest*; \"x\"* until nothing; } }",
                              NULL);
    cr_assert_eq(c->errors, 3, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "alternative 1 does not begin with a token"));
    cr_assert_not_null(strstr(c->msgs, "the repeated element does not begin with a token"));
    cr_assert_not_null(strstr(c->msgs, "the terminator of 'until' does not begin"));
    checked_free(c);
}

/* E+ (with or without `until`) begins with E, so it may begin an
 * alternative; E* and E? may be empty and may not. */
Test(sema, plus_begins_with_its_element)
{
    struct checked *c = check("protocol p over tcp { unit h { \"h\"; } unit u { "
                              "( \"x\" | hs: h+ until \";\" | \"y\"+ ); ( \"z\" | h* ); } }",
                              NULL);
    cr_assert_eq(c->errors, 1, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "alternative 2 does not begin with a token"));
    checked_free(c);
}

/* ---- rules ---- */

/* A group of one alternative chooses nothing, so it may begin with a
 * repetition (a captured span of a scan); where an enclosing choice looks
 * at it, the enclosing choice needs its first token and says so. */
Test(sema, group_of_one_needs_no_first_token)
{
    struct checked *c = check("protocol p over tcp { unit u { all: ( ( w: /[a-z]+/ | /[^a-z]/ )* ) "
                              "limit 64; } }",
                              NULL);
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    checked_free(c);
    c = check("protocol p over tcp { unit u { ( ( \"a\"* ) | \"b\" ); } }", NULL);
    cr_assert_eq(c->errors, 1, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "alternative 1 does not begin with a token"));
    checked_free(c);
}

/* A unit that calls a stream unit outside a capture passes its yields on:
 * it is a stream unit too (through any number of calls), so a capture of
 * it may carry filters; a capture of the stream unit inside it would not
 * make it one. */
Test(sema, stream_units_propagate)
{
    struct checked *c = check("protocol p over tcp { unit l { yield /[^\\n]*\\n/; } "
                              "unit ls { l* until \".\"; } unit top { ls; } "
                              "unit own { x: l; } "
                              "message m from client { a: top filter base64; } }",
                              NULL);
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    const struct sema_proto *p = c->p->protos[0];
    cr_assert(p->units[0]->stream);
    cr_assert(p->units[1]->stream);
    cr_assert(p->units[2]->stream);
    cr_assert_not(p->units[3]->stream);
    checked_free(c);
}

/* `record` takes the parse unit's record: the capture is typed by it, and
 * it needs a parse and no limit. */
Test(sema, record_captures)
{
    struct checked *c = check("protocol p over tcp { unit u { x: /[a-z]+/; } "
                              "message m from client { r: rest parse u record; y = r.x; "
                              "bad: rest record; lim: rest parse u record limit 4; } }",
                              NULL);
    cr_assert_eq(c->errors, 2, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "add 'parse UNIT'"));
    cr_assert_not_null(strstr(c->msgs, "stores no content: drop the limit"));
    checked_free(c);
}

static const char rules[] = "import p;\n"
                            "const K = 3;\n"
                            "list L = { \"a\" };\n"
                            "flow { int n; }\n"
                            "session s keyed by p.ask.host ttl 1m { int hits; }\n"
                            "rule sid 1 on p.ask {\n"
                            "    int x = K;\n"
                            "    flow.n += x;\n"
                            "    s.hits += 1;\n"
                            "    if (verb in L && flow.src_port > 0 && answer.ok == \"OK\") Alert();\n"
                            "}\n"
                            "rule sid 2 on p.answer { if (ask.host == \"h\") Log(ok); }\n";

Test(sema, names_in_rules)
{
    struct checked *c = check(grammar, rules);
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    const struct ast_node *r = file_ast(c, "r.spr");
    /* import, const, list, flow, session, then the first rule */
    const struct ast_node *d = r->a->next->next->next->next->next;
    cr_assert_eq(d->kind, AST_RULE);
    const struct ast_node *body = d->c;
    const struct ast_node *x = body->a;
    cr_assert_eq(x->sema.ref, SEMA_REF_LOCAL);
    cr_assert_eq(x->a->sema.ref, SEMA_REF_CONST);
    cr_assert_eq(x->next->a->sema.ref, SEMA_REF_FLOWVAR);
    cr_assert_eq(x->next->b->sema.ref, SEMA_REF_LOCAL);
    cr_assert_eq(x->next->next->a->sema.ref, SEMA_REF_SESSVAR);
    const struct ast_node *cond = x->next->next->next->a;
    const struct ast_node *in = cond->a->a;
    cr_assert_eq(in->a->sema.ref, SEMA_REF_FIELD);
    cr_assert_eq(in->b->sema.ref, SEMA_REF_LIST);
    cr_assert_eq(cond->a->b->a->sema.ref, SEMA_REF_FLOWKEY);
    cr_assert_eq(cond->b->a->sema.ref, SEMA_REF_PAIR_FIELD);
    const struct ast_node *host = find(d->next, AST_MEMBER, "host");
    cr_assert_eq(host->sema.ref, SEMA_REF_PAIR_FIELD);
    cr_assert_eq(c->p->nrules, 2);
    cr_assert_eq(c->p->rules[0]->nlocals, 1);
    cr_assert_eq(c->p->rules[0]->gid, 1);
    cr_assert_eq(c->p->rules[0]->rev, 1);
    cr_assert_eq(c->p->sessions[0]->key_event, c->p->events[0]);
    cr_assert_str_eq(c->p->flow->fields[0]->name, "n");
    checked_free(c);
}

Test(sema, sessions_are_read_where_their_key_is_known)
{
    struct checked *c = check(grammar, "import p;\n"
                                       "session s keyed by p.ask.verb ttl 1m { int n; }\n"
                                       "session t keyed by flow.src_ip ttl 1m { int n; }\n"
                                       "rule sid 1 on p.answer { s.n += 1; t.n += 1; }\n");
    cr_assert_eq(c->errors, 1, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "session 's' is keyed by a field of p.ask"));
    checked_free(c);
}

Test(sema, session_keyed_by_a_runtime_event_field)
{
    struct checked *c = check(NULL, "session s keyed by packet.src_ip ttl 1m { int n; }\n"
                                    "rule sid 1 on packet { s.n += 1; }\n"
                                    "rule sid 2 on flow.start { s.n += 1; }\n");
    cr_assert_eq(c->errors, 1, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "session 's' is keyed by a field of packet"), "%s",
                       c->msgs);
    checked_free(c);
    c = check(NULL, "session s keyed by packet.nosuch ttl 1m { int n; }\n");
    cr_assert_eq(c->errors, 1, "%s", c->msgs);
    checked_free(c);
}

Test(sema, rule_ids_are_unique_per_gid)
{
    struct checked *c = check(NULL, "rule sid 1 on packet { }\n"
                                    "rule gid 2 sid 1 on packet { }\n"
                                    "rule sid 1 rev 2 on packet { }\n"
                                    "rule sid 1 on packet { }\n");
    cr_assert_eq(c->errors, 2, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "r.spr:3:1: error: duplicate rule id (gid 1, sid 1)"));
    cr_assert_not_null(strstr(c->msgs, "r.spr:1:1: note: first used here"));
    checked_free(c);
}

Test(sema, runtime_events_have_their_records)
{
    struct checked *c = check(NULL, "rule sid 1 on flow.end { if (duration > 1000 && "
                                    "reason == \"timeout\" && src_ip in 10.0.0.0/8) Log(); }");
    cr_assert_eq(c->errors, 0, "%s", c->msgs);
    cr_assert_eq(c->p->nevents, 1);
    cr_assert_eq(c->p->events[0]->kind, SEMA_EVENT_RUNTIME);
    cr_assert_str_eq(c->p->events[0]->layout->name, "flow.end");
    checked_free(c);
}

Test(sema, unreachable_code_is_a_warning)
{
    struct checked *c = check(NULL, "rule sid 1 on packet { return; Log(); Log(); }");
    cr_assert_eq(c->errors, 0);
    cr_assert_eq(c->warnings, 1);
    checked_free(c);
}

Test(sema, type_names)
{
    char buf[64];
    cr_assert_str_eq(sema_type_str(&sema_t_int, buf, sizeof(buf)), "int");
    cr_assert_str_eq(sema_type_str(&sema_t_regex, buf, sizeof(buf)), "regex");
    cr_assert_str_eq(sema_type_str(NULL, buf, sizeof(buf)), "?");
    cr_assert(sema_assignable(&sema_t_str, &sema_t_null));
    cr_assert(sema_assignable(&sema_t_any, &sema_t_ip));
    cr_assert_not(sema_assignable(&sema_t_int, &sema_t_bool));
    cr_assert_str_eq(sema_limit_name(SEMA_LIMIT_ITERATIONS), "iterations");
}

/* The binary constructs: integer elements are ints (and no tokens), the
 * lengths of within and at are ints, more() has no arguments, a buffer
 * holds 1 byte to 16MB. */
Test(sema, binary_constructs)
{
    struct checked *c = check("protocol p over tcp { unit u { a: u16le; b = a + 1; "
                              "within (a) { while (more()) { x: u8; } } "
                              "within (\"s\") { } at (b) { y: u24; } buffer 0; "
                              "if (more(1)) { } ( u8 | \"z\" ); c: u9; } }",
                              NULL);
    cr_assert_eq(c->errors, 5, "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "within() takes an int, got string"), "%s", c->msgs);
    cr_assert_not_null(strstr(c->msgs, "a message buffer holds between 1 byte and 16MB"));
    cr_assert_not_null(strstr(c->msgs, "more() takes no arguments"));
    cr_assert_not_null(strstr(c->msgs, "alternative 1 does not begin with a token"));
    cr_assert_not_null(strstr(c->msgs, "unknown token or unit 'u9'"));
    checked_free(c);
}
