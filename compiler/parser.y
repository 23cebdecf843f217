/*
 * parser.y - the parser of both languages: .spg grammars and .spr rules.
 *
 * A pure, reentrant bison parser (prefix spu_yy) fed by lexer.l; the first
 * token (START_SPG / START_SPR) selects the language. It builds the AST of
 * ast.def in the parse context's arena and reports syntax errors through
 * diag. Error recovery works at statement level (`error ';'`, and a block
 * closes at its '}'), at protocol-item level and at declaration level, so
 * one run reports several syntax errors. Every semantic value lives in the
 * arena: the %destructor only counts what recovery throws away.
 * Called by parse_file() (parse.c) on the compiler's single thread.
 */
%code requires {
#include "ast.h"
#include "source.h"
#include <stdint.h>
struct parse_ctx;
}

%code {
#include "arena.h"
#include "diag.h"
#include "parse.h"
#include "value.h"

#include <string.h>

int spu_yylex(SPU_YYSTYPE *lval, SPU_YYLTYPE *lloc, void *scanner);
static void spu_yyerror(SPU_YYLTYPE *loc, void *scanner, struct parse_ctx *pc, const char *msg);

#define YYLLOC_DEFAULT(Cur, Rhs, N)                                            \
    do {                                                                       \
        if (N) {                                                               \
            (Cur) = parse_loc_join(YYRHSLOC(Rhs, 1), YYRHSLOC(Rhs, N));        \
        } else {                                                               \
            (Cur) = YYRHSLOC(Rhs, 0);                                          \
            (Cur).line = (Cur).end_line;                                       \
            (Cur).col = (Cur).end_col + 1;                                     \
        }                                                                      \
    } while (0)

/* Allocation helpers: on failure the parse stops (YYNOMEM). */
#define NEW(var, kind, loc)                                                    \
    do {                                                                       \
        (var) = ast_new(pc->arena, (kind), (loc));                             \
        if (!(var)) {                                                          \
            pc->nomem = true;                                                  \
            YYNOMEM;                                                           \
        }                                                                      \
    } while (0)

static struct ast_node *mk_name(struct parse_ctx *pc, enum ast_kind k, const char *name,
                                struct src_loc loc)
{
    struct ast_node *n = ast_new(pc->arena, k, loc);
    if (n)
        n->name = name;
    else
        pc->nomem = true;
    return n;
}

static struct ast_node *mk_bin(struct parse_ctx *pc, int op, struct ast_node *l,
                               struct ast_node *r, struct src_loc loc)
{
    struct ast_node *n = ast_new(pc->arena, AST_BINARY, loc);
    if (!n) {
        pc->nomem = true;
        return NULL;
    }
    n->op = op;
    n->a = l;
    n->b = r;
    return n;
}

static struct ast_node *mk_attr(struct parse_ctx *pc, int attr, struct src_loc loc)
{
    struct ast_node *n = ast_new(pc->arena, AST_ATTR, loc);
    if (n)
        n->ival = attr;
    else
        pc->nomem = true;
    return n;
}

/* A contextual word (keyed, by, ttl, max, nocase, file, unix) must be
 * spelled as expected. */
static void expect_word(struct parse_ctx *pc, const char *got, const char *want,
                        struct src_loc loc)
{
    if (got && strcmp(got, want) != 0)
        parse_error(pc, loc, "expected '%s', found '%s'", want, got);
}

/* Bounds the nesting of the input (and so the recursion of every later
 * pass over the tree): about one level of parentheses per 3 entries. */
#define YYMAXDEPTH 1500

#define CHECK(x)                                                               \
    do {                                                                       \
        if (!(x))                                                              \
            YYNOMEM;                                                           \
    } while (0)
}

%define api.pure full
%define api.prefix {spu_yy}
%define api.location.type {struct src_loc}
%define parse.error custom
%locations
%expect 0
%parse-param {void *scanner} {struct parse_ctx *pc}
%lex-param {void *scanner}

%union {
    struct ast_node *node;
    const char *str;
    int64_t num;
}

%token START_SPG "start of grammar" START_SPR "start of rules"
%token <str> IDENT "identifier" FUNC "function name" WORD "word"
%token <node> INTLIT "integer" STRLIT "string literal" REGEXLIT "regular expression" IPLIT "ip address"

%token KW_AFTER "after" KW_ANOMALY "anomaly" KW_AT "at" KW_BOOL "bool" KW_BREAK "break"
%token KW_BY "by" KW_BYTES "bytes" KW_CLASSTYPE "classtype" KW_CLIENT "client"
%token KW_CONST "const" KW_CONTINUE "continue" KW_DETECT "detect" KW_DIGEST "digest" KW_ELSE "else"
%token KW_ERROR "error" KW_EVENT "event" KW_FALSE "false" KW_FILTER "filter" KW_FLOW "flow"
%token KW_FOR "for" KW_FROM "from" KW_GID "gid" KW_IF "if" KW_IMPORT "import" KW_IN "in"
%token KW_INDEX "index" KW_INT "int" KW_IP "ip" KW_LIMIT "limit" KW_LIMITS "limits"
%token KW_LIST "list" KW_MAP "map" KW_MESSAGE "message" KW_METADATA "metadata" KW_MSG "msg"
%token KW_NOTHING "nothing" KW_NULL "null" KW_ON "on" KW_OUTPUT "output" KW_OVER "over"
%token KW_PARSE "parse" KW_PORTS "ports" KW_PRIORITY "priority" KW_PROTOCOL "protocol"
%token KW_REFERENCE "reference" KW_REGEXLIST "regexlist" KW_REPEAT "repeat" KW_REST "rest"
%token KW_RECORD "record" KW_RESYNC "resync" KW_RETURN "return" KW_REV "rev" KW_RULE "rule" KW_SCORE "score"
%token KW_SERVER "server" KW_SESSION "session" KW_SID "sid" KW_STATE "state" KW_STOP "stop"
%token KW_STREAM "stream" KW_STRING "string" KW_SWITCH "switch" KW_TCP "tcp" KW_TOKEN "token"
%token KW_TRANSACTION "transaction" KW_TRUE "true" KW_UDP "udp" KW_UNIT "unit"
%token KW_UNTIL "until" KW_UPTO "upto" KW_VAR "var" KW_WHEN "when" KW_WHILE "while"
%token KW_YIELD "yield"
%token KW_BUFFER "buffer" KW_WITHIN "within" KW_PEEK "peek"

%token OROR "||" ANDAND "&&" EQEQ "==" NEQ "!=" NMATCH "!~" LEQ "<=" GEQ ">=" ARROW "->"
%token FATARROW "=>" APPEND "+:" PLUSEQ "+=" MINUSEQ "-="

%left OROR
%left ANDAND
%left EQEQ NEQ '~' NMATCH KW_IN
%left '<' LEQ '>' GEQ
%left '+' '-'
%left '*' '/' '%'
%precedence UNARY
%precedence THEN
%precedence KW_ELSE

%type <node> spg_decls spg_decl import protocol proto_items proto_item int_list pattern
%type <node> limit_items limit_item var_decls var_stmt name_list event_name path_list opt_when
%type <node> opt_map opt_params params param g_block g_stmts g_stmt g_if items item element
%type <node> el_primary alts arms arm sinks sink filters filter parse_target
%type <node> log_entries log_entry
%type <str> log_path log_name
%type <node> spr_decls spr_decl queue_opts event_names state_backend opt_max rule_attrs rule_attr r_block r_stmts r_stmt
%type <node> expr postfix primary opt_args args arg opt_list_items list_items
%type <str> limit_name opt_word
%type <num> transport dir type

%destructor { pc->discarded++; (void)$$; } <node> <str> <num>

%%

start
    : START_SPG spg_decls {
          NEW(pc->root, AST_FILE, @$);
          pc->root->a = $2;
      }
    | START_SPR spr_decls {
          NEW(pc->root, AST_FILE, @$);
          pc->root->a = $2;
      }
    ;

/* ---------------- grammars (.spg) ---------------- */

spg_decls
    : %empty { $$ = NULL; }
    | spg_decls spg_decl { $$ = ast_append($1, $2); }
    ;

spg_decl
    : import
    | protocol
    | error ';' { $$ = NULL; }
    ;

import
    : KW_IMPORT IDENT ';' { CHECK($$ = mk_name(pc, AST_IMPORT, $2, @2)); }
    ;

protocol
    : KW_PROTOCOL IDENT KW_OVER transport '{' proto_items '}' {
          CHECK($$ = mk_name(pc, AST_PROTOCOL, $2, @$));
          $$->ival = $4;
          $$->a = $6;
      }
    | KW_PROTOCOL IDENT KW_OVER transport '{' proto_items error '}' {
          CHECK($$ = mk_name(pc, AST_PROTOCOL, $2, @$));
          $$->ival = $4;
          $$->a = $6;
      }
    ;

transport
    : KW_TCP { $$ = AST_TRANSPORT_TCP; }
    | KW_UDP { $$ = AST_TRANSPORT_UDP; }
    | KW_STREAM { $$ = AST_TRANSPORT_STREAM; }
    ;

dir
    : KW_CLIENT { $$ = AST_DIR_CLIENT; }
    | KW_SERVER { $$ = AST_DIR_SERVER; }
    ;

proto_items
    : %empty { $$ = NULL; }
    | proto_items proto_item { $$ = ast_append($1, $2); }
    ;

proto_item
    : KW_PORTS int_list ';' {
          NEW($$, AST_PORTS, @$);
          $$->a = $2;
      }
    | KW_DETECT dir pattern ';' {
          NEW($$, AST_DETECT, @$);
          $$->ival = $2;
          $$->a = $3;
      }
    | KW_RESYNC dir KW_AT pattern ';' {
          NEW($$, AST_RESYNC, @$);
          $$->ival = $2;
          $$->ival2 = AST_RESYNC_AT;
          $$->a = $4;
      }
    | KW_RESYNC dir KW_AFTER pattern ';' {
          NEW($$, AST_RESYNC, @$);
          $$->ival = $2;
          $$->ival2 = AST_RESYNC_AFTER;
          $$->a = $4;
      }
    | KW_LIMITS '{' limit_items '}' {
          NEW($$, AST_LIMITS, @1);
          $$->a = $3;
      }
    | KW_STATE '{' var_decls '}' {
          NEW($$, AST_STATE, @1);
          $$->a = $3;
      }
    | KW_TRANSACTION name_list ARROW name_list ';' {
          NEW($$, AST_TRANSACTION, @$);
          $$->a = $2;
          $$->b = $4;
      }
    | KW_INDEX event_name KW_BY path_list ';' {
          NEW($$, AST_INDEX, @$);
          $$->a = $2;
          $$->b = $4;
      }
    | KW_TOKEN IDENT '=' pattern ';' {
          CHECK($$ = mk_name(pc, AST_TOKEN, $2, @2));
          $$->a = $4;
      }
    | KW_MESSAGE IDENT KW_FROM dir opt_when g_block {
          CHECK($$ = mk_name(pc, AST_MESSAGE, $2, @2));
          $$->ival = $4;
          $$->a = $5;
          $$->b = $6;
      }
    | KW_UNIT IDENT opt_map g_block {
          CHECK($$ = mk_name(pc, AST_UNIT, $2, @2));
          $$->b = $3;
          $$->c = $4;
      }
    | KW_UNIT FUNC '(' opt_params ')' opt_map g_block {
          CHECK($$ = mk_name(pc, AST_UNIT, $2, @2));
          $$->a = $4;
          $$->b = $6;
          $$->c = $7;
      }
    | IDENT IDENT IDENT event_name '{' log_entries '}' {
          expect_word(pc, $1, "log", @1);
          expect_word(pc, $3, "on", @3);
          CHECK($$ = mk_name(pc, AST_LOG, $2, @2));
          $$->ival = AST_LOG_EVENT;
          $$->a = $4;
          $$->b = $6;
      }
    | IDENT IDENT IDENT event_name IDENT '{' log_entries '}' {
          expect_word(pc, $1, "log", @1);
          expect_word(pc, $3, "on", @3);
          expect_word(pc, $5, "alert", @5);
          CHECK($$ = mk_name(pc, AST_LOG, $2, @2));
          $$->ival = AST_LOG_ALERT;
          $$->a = $4;
          $$->b = $7;
      }
    | IDENT IDENT IDENT KW_TRANSACTION '{' log_entries '}' {
          expect_word(pc, $1, "log", @1);
          expect_word(pc, $3, "on", @3);
          CHECK($$ = mk_name(pc, AST_LOG, $2, @2));
          $$->ival = AST_LOG_TX;
          $$->b = $6;
      }
    | IDENT IDENT IDENT KW_TRANSACTION IDENT '{' log_entries '}' {
          expect_word(pc, $1, "log", @1);
          expect_word(pc, $3, "on", @3);
          CHECK($$ = mk_name(pc, AST_LOG, $2, @2));
          $$->ival = AST_LOG_TX;
          CHECK($$->a = mk_name(pc, AST_NAME, $5, @5));
          $$->b = $7;
      }
    | error ';' { $$ = NULL; }
    | error g_block { (void)$2; $$ = NULL; } /* a bad unit or message head: skip its body */
    ;

log_entries
    : %empty { $$ = NULL; }
    | log_entries log_entry { $$ = ast_append($1, $2); }
    ;

log_entry
    : log_path '=' expr ';' {
          CHECK($$ = mk_name(pc, AST_LOGENT, $1, @1));
          $$->a = $3;
      }
    | log_path '=' expr '{' log_entries '}' ';' {
          CHECK($$ = mk_name(pc, AST_LOGENT, $1, @1));
          $$->a = $3;
          $$->b = $5;
          $$->flags |= AST_F_SUBS;
      }
    | error ';' { $$ = NULL; }
    ;

/* A path below the record's object: names joined by dots, or a string
 * ("state", a keyword, or any text with dots). */
log_path
    : log_name
    | STRLIT { CHECK($$ = spu_arena_strndup(pc->arena, (const char *)$1->bytes, $1->len)); }
    | log_path '.' IDENT { CHECK($$ = spu_arena_sprintf(pc->arena, "%s.%s", $1, $3)); }
    ;

/* The first name of a path may be a keyword of the grammar language
 * (EVE names such as `protocol` and `state`); after a dot it is a name. */
log_name
    : IDENT
    | KW_AFTER { $$ = "after"; }
    | KW_ANOMALY { $$ = "anomaly"; }
    | KW_AT { $$ = "at"; }
    | KW_BOOL { $$ = "bool"; }
    | KW_BY { $$ = "by"; }
    | KW_BYTES { $$ = "bytes"; }
    | KW_CLIENT { $$ = "client"; }
    | KW_DETECT { $$ = "detect"; }
    | KW_DIGEST { $$ = "digest"; }
    | KW_ELSE { $$ = "else"; }
    | KW_ERROR { $$ = "error"; }
    | KW_EVENT { $$ = "event"; }
    | KW_FALSE { $$ = "false"; }
    | KW_FILTER { $$ = "filter"; }
    | KW_FROM { $$ = "from"; }
    | KW_IF { $$ = "if"; }
    | KW_IMPORT { $$ = "import"; }
    | KW_IN { $$ = "in"; }
    | KW_INDEX { $$ = "index"; }
    | KW_INT { $$ = "int"; }
    | KW_IP { $$ = "ip"; }
    | KW_LIMIT { $$ = "limit"; }
    | KW_LIMITS { $$ = "limits"; }
    | KW_MAP { $$ = "map"; }
    | KW_MESSAGE { $$ = "message"; }
    | KW_NOTHING { $$ = "nothing"; }
    | KW_NULL { $$ = "null"; }
    | KW_OVER { $$ = "over"; }
    | KW_PARSE { $$ = "parse"; }
    | KW_PORTS { $$ = "ports"; }
    | KW_PROTOCOL { $$ = "protocol"; }
    | KW_REPEAT { $$ = "repeat"; }
    | KW_REST { $$ = "rest"; }
    | KW_RESYNC { $$ = "resync"; }
    | KW_RETURN { $$ = "return"; }
    | KW_SERVER { $$ = "server"; }
    | KW_STATE { $$ = "state"; }
    | KW_STOP { $$ = "stop"; }
    | KW_STREAM { $$ = "stream"; }
    | KW_STRING { $$ = "string"; }
    | KW_SWITCH { $$ = "switch"; }
    | KW_TCP { $$ = "tcp"; }
    | KW_TOKEN { $$ = "token"; }
    | KW_TRANSACTION { $$ = "transaction"; }
    | KW_TRUE { $$ = "true"; }
    | KW_UDP { $$ = "udp"; }
    | KW_UNIT { $$ = "unit"; }
    | KW_UNTIL { $$ = "until"; }
    | KW_UPTO { $$ = "upto"; }
    | KW_VAR { $$ = "var"; }
    | KW_WHEN { $$ = "when"; }
    | KW_WHILE { $$ = "while"; }
    | KW_YIELD { $$ = "yield"; }
    | KW_BUFFER { $$ = "buffer"; }
    | KW_WITHIN { $$ = "within"; }
    | KW_PEEK { $$ = "peek"; }
    ;

int_list
    : INTLIT
    | int_list ',' INTLIT { $$ = ast_append($1, $3); }
    ;

pattern
    : STRLIT
    | REGEXLIT
    | IDENT { CHECK($$ = mk_name(pc, AST_NAME, $1, @1)); }
    ;

limit_items
    : %empty { $$ = NULL; }
    | limit_items limit_item { $$ = ast_append($1, $2); }
    ;

limit_item
    : limit_name INTLIT ';' {
          CHECK($$ = mk_name(pc, AST_LIMIT, $1, @1));
          $$->ival = $2->ival;
      }
    | error ';' { $$ = NULL; }
    ;

limit_name
    : IDENT
    | KW_TOKEN { $$ = "token"; }
    | KW_MESSAGE { $$ = "message"; }
    ;

var_decls
    : %empty { $$ = NULL; }
    | var_decls var_stmt { $$ = ast_append($1, $2); }
    ;

var_stmt
    : type IDENT ';' {
          CHECK($$ = mk_name(pc, AST_VAR, $2, @2));
          $$->ival = $1;
      }
    | type IDENT '=' expr ';' {
          CHECK($$ = mk_name(pc, AST_VAR, $2, @2));
          $$->ival = $1;
          $$->a = $4;
      }
    | KW_VAR IDENT '=' expr ';' {
          CHECK($$ = mk_name(pc, AST_VAR, $2, @2));
          $$->ival = SPU_T_ANY;
          $$->a = $4;
      }
    ;

type
    : KW_INT { $$ = SPU_T_INT; }
    | KW_BOOL { $$ = SPU_T_BOOL; }
    | KW_STRING { $$ = SPU_T_STR; }
    | KW_IP { $$ = SPU_T_IP; }
    ;

name_list
    : IDENT { CHECK($$ = mk_name(pc, AST_NAME, $1, @1)); }
    | name_list ',' IDENT {
          struct ast_node *n;
          CHECK(n = mk_name(pc, AST_NAME, $3, @3));
          $$ = ast_append($1, n);
      }
    ;

event_name
    : IDENT { CHECK($$ = mk_name(pc, AST_EVNAME, $1, @1)); }
    | KW_FLOW { CHECK($$ = mk_name(pc, AST_EVNAME, "flow", @1)); }
    | event_name '.' IDENT {
          $$ = $1;
          CHECK($$->name = spu_arena_sprintf(pc->arena, "%s.%s", $1->name, $3));
          $$->loc = @$;
      }
    ;

path_list
    : expr
    | path_list ',' expr { $$ = ast_append($1, $3); }
    ;

opt_when
    : %empty { $$ = NULL; }
    | KW_WHEN '(' expr ')' { $$ = $3; }
    ;

opt_map
    : %empty { $$ = NULL; }
    | KW_MAP '(' IDENT ',' IDENT ')' {
          NEW($$, AST_MAP, @$);
          CHECK($$->a = mk_name(pc, AST_NAME, $3, @3));
          CHECK($$->b = mk_name(pc, AST_NAME, $5, @5));
      }
    ;

opt_params
    : %empty { $$ = NULL; }
    | params
    ;

params
    : param
    | params ',' param { $$ = ast_append($1, $3); }
    ;

param
    : type IDENT {
          CHECK($$ = mk_name(pc, AST_PARAM, $2, @2));
          $$->ival = $1;
      }
    ;

g_block
    : '{' g_stmts '}' {
          NEW($$, AST_BLOCK, @$);
          $$->a = $2;
      }
    | '{' g_stmts error '}' {
          NEW($$, AST_BLOCK, @$);
          $$->a = $2;
      }
    ;

g_stmts
    : %empty { $$ = NULL; }
    | g_stmts g_stmt { $$ = ast_append($1, $2); }
    ;

g_stmt
    : items ';' {
          NEW($$, AST_SEQ, @1);
          $$->a = $1;
      }
    | IDENT '=' expr ';' {
          NEW($$, AST_ASSIGN, @$);
          $$->op = AST_OP_ASSIGN;
          CHECK($$->a = mk_name(pc, AST_NAME, $1, @1));
          $$->b = $3;
      }
    | KW_STATE '.' IDENT '=' expr ';' {
          struct ast_node *st, *m;
          NEW(st, AST_STATEREF, @1);
          CHECK(m = mk_name(pc, AST_MEMBER, $3, parse_loc_join(@1, @3)));
          m->a = st;
          NEW($$, AST_ASSIGN, @$);
          $$->op = AST_OP_ASSIGN;
          $$->a = m;
          $$->b = $5;
      }
    | var_stmt
    | g_if
    | KW_REPEAT g_block KW_UNTIL '(' expr ')' ';' {
          NEW($$, AST_REPEAT, @1);
          $$->ival = AST_REPEAT_UNTIL;
          $$->a = $2;
          $$->b = $5;
      }
    | KW_REPEAT g_block KW_WHILE '(' expr ')' ';' {
          NEW($$, AST_REPEAT, @1);
          $$->ival = AST_REPEAT_WHILE;
          $$->a = $2;
          $$->b = $5;
      }
    | KW_WHILE '(' expr ')' g_block {
          NEW($$, AST_WHILE, @1);
          $$->a = $3;
          $$->b = $5;
      }
    | KW_EVENT event_name ';' {
          NEW($$, AST_EVENT, @$);
          $$->a = $2;
      }
    | KW_YIELD element ';' {
          NEW($$, AST_YIELD, @$);
          $$->a = $2;
      }
    | KW_STOP ';' { NEW($$, AST_STOP, @1); }
    | KW_ERROR STRLIT ';' {
          NEW($$, AST_ERROR, @$);
          $$->bytes = $2->bytes;
          $$->len = $2->len;
      }
    | KW_ANOMALY STRLIT ';' {
          NEW($$, AST_ANOMALY, @$);
          $$->bytes = $2->bytes;
          $$->len = $2->len;
      }
    | KW_RETURN ';' { NEW($$, AST_RETURN, @1); }
    | KW_TRANSACTION KW_BY expr ';' {
          NEW($$, AST_TX_KEY, @$);
          $$->a = $3;
      }
    | KW_WITHIN '(' expr ')' g_block {
          NEW($$, AST_WITHIN, @1);
          $$->a = $3;
          $$->b = $5;
      }
    | KW_AT '(' expr ')' g_block {
          NEW($$, AST_AT, @1);
          $$->a = $3;
          $$->b = $5;
      }
    | KW_PEEK g_block {
          NEW($$, AST_PEEK, @1);
          $$->b = $2;
      }
    | KW_BUFFER INTLIT ';' {
          NEW($$, AST_BUFFER, @$);
          $$->ival = $2->ival;
      }
    | error ';' { $$ = NULL; }
    ;

g_if
    : KW_IF '(' expr ')' g_block {
          NEW($$, AST_IF, @1);
          $$->a = $3;
          $$->b = $5;
      }
    | KW_IF '(' expr ')' g_block KW_ELSE g_block {
          NEW($$, AST_IF, @1);
          $$->a = $3;
          $$->b = $5;
          $$->c = $7;
      }
    | KW_IF '(' expr ')' g_block KW_ELSE g_if {
          NEW($$, AST_IF, @1);
          $$->a = $3;
          $$->b = $5;
          $$->c = $7;
      }
    ;

items
    : item
    | items item { $$ = ast_append($1, $2); }
    ;

item
    : element
    | IDENT ':' element sinks {
          CHECK($$ = mk_name(pc, AST_CAPTURE, $1, @1));
          $$->a = $3;
          $$->b = $4;
      }
    | IDENT APPEND element {
          CHECK($$ = mk_name(pc, AST_APPEND, $1, @1));
          $$->a = $3;
      }
    ;

element
    : el_primary
    | el_primary '?' {
          NEW($$, AST_EL_OPT, @$);
          $$->a = $1;
      }
    | el_primary '*' {
          NEW($$, AST_EL_STAR, @$);
          $$->a = $1;
      }
    | el_primary '+' {
          NEW($$, AST_EL_PLUS, @$);
          $$->a = $1;
      }
    | el_primary '*' KW_UNTIL el_primary {
          NEW($$, AST_EL_STAR, @$);
          $$->a = $1;
          $$->b = $4;
      }
    | el_primary '+' KW_UNTIL el_primary {
          NEW($$, AST_EL_PLUS, @$);
          $$->a = $1;
          $$->b = $4;
      }
    ;

el_primary
    : STRLIT
    | REGEXLIT
    | IDENT { CHECK($$ = mk_name(pc, AST_EL_REF, $1, @1)); }
    | FUNC '(' opt_args ')' {
          CHECK($$ = mk_name(pc, AST_EL_REF, $1, @$));
          $$->ival = 1;
          $$->a = $3;
      }
    | KW_BYTES '(' expr ')' {
          NEW($$, AST_EL_BYTES, @$);
          $$->a = $3;
      }
    | KW_UPTO STRLIT {
          NEW($$, AST_EL_UPTO, @$);
          $$->a = $2;
      }
    | KW_UPTO '(' expr ')' {
          NEW($$, AST_EL_UPTO, @$);
          $$->a = $3;
      }
    | KW_REST { NEW($$, AST_EL_REST, @1); }
    | KW_NOTHING { NEW($$, AST_EL_NOTHING, @1); }
    | '(' alts ')' {
          NEW($$, AST_EL_ALT, @$);
          $$->a = $2;
      }
    | KW_SWITCH '{' arms '}' {
          NEW($$, AST_EL_SWITCH, @1);
          $$->a = $3;
      }
    ;

alts
    : items {
          NEW($$, AST_SEQ, @1);
          $$->a = $1;
      }
    | alts '|' items {
          struct ast_node *s;
          NEW(s, AST_SEQ, @3);
          s->a = $3;
          $$ = ast_append($1, s);
      }
    ;

arms
    : arm
    | arms arm { $$ = ast_append($1, $2); }
    ;

arm
    : expr FATARROW items ';' {
          struct ast_node *s;
          NEW(s, AST_SEQ, @3);
          s->a = $3;
          NEW($$, AST_ARM, @1);
          $$->a = $1;
          $$->b = s;
      }
    | KW_ELSE FATARROW items ';' {
          struct ast_node *s;
          NEW(s, AST_SEQ, @3);
          s->a = $3;
          NEW($$, AST_ARM, @1);
          $$->b = s;
      }
    | error ';' { $$ = NULL; }
    ;

sinks
    : %empty { $$ = NULL; }
    | sinks sink { $$ = ast_concat($1, $2); } /* a filter option is a list */
    ;

sink
    : KW_FILTER filters { $$ = $2; }
    | KW_PARSE parse_target { $$ = $2; }
    | KW_LIMIT INTLIT {
          NEW($$, AST_SINK_LIMIT, @$);
          $$->ival = $2->ival;
      }
    | KW_RECORD { NEW($$, AST_SINK_RECORD, @$); }
    | KW_DIGEST { NEW($$, AST_SINK_DIGEST, @$); }
    ;

filters
    : filter
    | filters ',' filter { $$ = ast_append($1, $3); }
    ;

filter
    : IDENT { CHECK($$ = mk_name(pc, AST_SINK_FILTER, $1, @1)); }
    | IDENT KW_IF '(' expr ')' {
          CHECK($$ = mk_name(pc, AST_SINK_FILTER, $1, @1));
          $$->a = $4;
      }
    ;

parse_target
    : IDENT { CHECK($$ = mk_name(pc, AST_SINK_PARSE, $1, @1)); }
    | FUNC '(' opt_args ')' {
          CHECK($$ = mk_name(pc, AST_SINK_PARSE, $1, @1));
          $$->a = $3;
      }
    | IDENT '.' IDENT {
          const char *n;
          CHECK(n = spu_arena_sprintf(pc->arena, "%s.%s", $1, $3));
          CHECK($$ = mk_name(pc, AST_SINK_PARSE, n, parse_loc_join(@1, @3)));
      }
    | IDENT '.' FUNC '(' opt_args ')' {
          const char *n;
          CHECK(n = spu_arena_sprintf(pc->arena, "%s.%s", $1, $3));
          CHECK($$ = mk_name(pc, AST_SINK_PARSE, n, parse_loc_join(@1, @3)));
          $$->a = $5;
      }
    ;

/* ---------------- rules (.spr) ---------------- */

spr_decls
    : %empty { $$ = NULL; }
    | spr_decls spr_decl { $$ = ast_append($1, $2); }
    ;

spr_decl
    : KW_IMPORT IDENT ';' { CHECK($$ = mk_name(pc, AST_IMPORT, $2, @2)); }
    | KW_LIST IDENT '=' '{' opt_list_items '}' ';' {
          CHECK($$ = mk_name(pc, AST_LIST, $2, @2));
          $$->a = $5;
      }
    | KW_LIST IDENT KW_FROM STRLIT opt_word ';' {
          CHECK($$ = mk_name(pc, AST_LIST, $2, @2));
          $$->flags = AST_F_FROM;
          $$->bytes = $4->bytes;
          $$->len = $4->len;
          expect_word(pc, $5, "nocase", @5);
          if ($5)
              $$->flags |= AST_F_NOCASE;
      }
    | KW_REGEXLIST IDENT '=' '{' opt_list_items '}' ';' {
          CHECK($$ = mk_name(pc, AST_REGEXLIST, $2, @2));
          $$->a = $5;
      }
    | KW_REGEXLIST IDENT KW_FROM STRLIT ';' {
          CHECK($$ = mk_name(pc, AST_REGEXLIST, $2, @2));
          $$->flags = AST_F_FROM;
          $$->bytes = $4->bytes;
          $$->len = $4->len;
      }
    | KW_CONST IDENT '=' expr ';' {
          CHECK($$ = mk_name(pc, AST_CONST, $2, @2));
          $$->a = $4;
      }
    | KW_FLOW '{' var_decls '}' {
          NEW($$, AST_FLOW, @1);
          $$->a = $3;
      }
    | KW_SESSION IDENT IDENT IDENT expr IDENT INTLIT opt_max '{' var_decls '}' {
          expect_word(pc, $3, "keyed", @3);
          expect_word(pc, $4, "by", @4);
          expect_word(pc, $6, "ttl", @6);
          CHECK($$ = mk_name(pc, AST_SESSION, $2, @2));
          $$->a = $5;
          $$->b = $10;
          $$->ival = $7->ival;
          $$->ival2 = $8 ? $8->ival : 0;
      }
    | KW_SESSION IDENT IDENT IDENT expr IDENT event_name IDENT INTLIT opt_max '{' var_decls '}' {
          /* keyed on an event: the key may read its pair (request.X) */
          expect_word(pc, $3, "keyed", @3);
          expect_word(pc, $4, "by", @4);
          expect_word(pc, $6, "on", @6);
          expect_word(pc, $8, "ttl", @8);
          CHECK($$ = mk_name(pc, AST_SESSION, $2, @2));
          $$->a = $5;
          $$->b = $12;
          $$->c = $7;
          $$->ival = $9->ival;
          $$->ival2 = $10 ? $10->ival : 0;
      }
    | KW_OUTPUT IDENT IDENT STRLIT ';' {
          CHECK($$ = mk_name(pc, AST_OUTPUT, $2, @2));
          if (strcmp($3, "file") == 0)
              $$->ival = AST_OUTPUT_FILE;
          else if (strcmp($3, "unix") == 0)
              $$->ival = AST_OUTPUT_UNIX;
          else
              parse_error(pc, @3, "expected 'file' or 'unix', found '%s'", $3);
          $$->bytes = $4->bytes;
          $$->len = $4->len;
      }
    | IDENT IDENT IDENT INTLIT queue_opts ';' {
          expect_word(pc, $1, "queue", @1);
          expect_word(pc, $3, "rate", @3);
          CHECK($$ = mk_name(pc, AST_QUEUE, $2, @2));
          $$->a = $4;
          $$->b = $5;
      }
    | IDENT KW_LIST IDENT KW_IN state_backend ';' {
          expect_word(pc, $1, "state", @1);
          CHECK($$ = mk_name(pc, AST_STATEDECL, $3, @3));
          $$->ival = AST_STATE_LIST;
          $$->bytes = $5->bytes;
          $$->len = $5->len;
          $$->loc = @$;
      }
    | IDENT IDENT KW_IN state_backend ';' {
          expect_word(pc, $1, "state", @1);
          NEW($$, AST_STATEDECL, @$);
          if (strcmp($2, "bucket") == 0)
              $$->ival = AST_STATE_BUCKET;
          else if (strcmp($2, "window") == 0)
              $$->ival = AST_STATE_WINDOW;
          else if (strcmp($2, "score") == 0)
              $$->ival = AST_STATE_SCORE;
          else
              parse_error(pc, @2, "expected 'list NAME', 'bucket', 'window' or 'score', found '%s'",
                          $2);
          $$->bytes = $4->bytes;
          $$->len = $4->len;
      }
    | IDENT IDENT IDENT event_names ';' {
          expect_word(pc, $1, "message", @1);
          expect_word(pc, $2, "ends", @2);
          expect_word(pc, $3, "on", @3);
          NEW($$, AST_MSGEND, @1);
          $$->a = $4;
      }
    | KW_RULE rule_attrs KW_ON event_name r_block {
          NEW($$, AST_RULE, @1);
          $$->a = $2;
          $$->b = $4;
          $$->c = $5;
      }
    | error ';' { $$ = NULL; }
    | error r_block { (void)$2; $$ = NULL; } /* a bad rule head: skip its body */
    ;

/* where a state table lives: "redis://HOST:PORT", or memory */
state_backend
    : STRLIT
    | IDENT {
          CHECK($$ = mk_name(pc, AST_STR, $1, @1));
          expect_word(pc, $1, "memory", @1);
          $$->bytes = (const uint8_t *)"memory";
          $$->len = 6;
      }
    ;

event_names
    : event_name
    | event_names ',' event_name { $$ = ast_append($1, $3); }
    ;

opt_word
    : %empty { $$ = NULL; }
    | IDENT
    ;

queue_opts
    : %empty { $$ = NULL; }
    | queue_opts IDENT INTLIT {
          if (strcmp($2, "burst") && strcmp($2, "priority"))
              parse_error(pc, @2, "expected 'burst', 'priority' or ';', found '%s'", $2);
          $3->name = $2;
          $$ = ast_append($1, $3);
      }
    ;

opt_max
    : %empty { $$ = NULL; }
    | IDENT INTLIT {
          expect_word(pc, $1, "max", @1);
          $$ = $2;
      }
    ;

rule_attrs
    : %empty { $$ = NULL; }
    | rule_attrs rule_attr { $$ = ast_append($1, $2); }
    ;

rule_attr
    : KW_GID INTLIT { CHECK($$ = mk_attr(pc, AST_ATTR_GID, @$)); $$->ival2 = $2->ival; }
    | KW_SID INTLIT { CHECK($$ = mk_attr(pc, AST_ATTR_SID, @$)); $$->ival2 = $2->ival; }
    | KW_REV INTLIT { CHECK($$ = mk_attr(pc, AST_ATTR_REV, @$)); $$->ival2 = $2->ival; }
    | STRLIT {
          CHECK($$ = mk_attr(pc, AST_ATTR_MSG, @$));
          $$->bytes = $1->bytes;
          $$->len = $1->len;
      }
    | KW_MSG STRLIT {
          CHECK($$ = mk_attr(pc, AST_ATTR_MSG, @$));
          $$->bytes = $2->bytes;
          $$->len = $2->len;
      }
    | KW_CLASSTYPE WORD { CHECK($$ = mk_attr(pc, AST_ATTR_CLASSTYPE, @$)); $$->name = $2; }
    | KW_PRIORITY INTLIT {
          CHECK($$ = mk_attr(pc, AST_ATTR_PRIORITY, @$));
          $$->ival2 = $2->ival;
      }
    | KW_REFERENCE WORD STRLIT {
          CHECK($$ = mk_attr(pc, AST_ATTR_REFERENCE, @$));
          $$->name = $2;
          $$->bytes = $3->bytes;
          $$->len = $3->len;
      }
    | KW_METADATA STRLIT {
          CHECK($$ = mk_attr(pc, AST_ATTR_METADATA, @$));
          $$->bytes = $2->bytes;
          $$->len = $2->len;
      }
    | KW_SCORE INTLIT { CHECK($$ = mk_attr(pc, AST_ATTR_SCORE, @$)); $$->ival2 = $2->ival; }
    | KW_SCORE '-' INTLIT {
          CHECK($$ = mk_attr(pc, AST_ATTR_SCORE, @$));
          $$->ival2 = -$3->ival;
      }
    ;

r_block
    : '{' r_stmts '}' {
          NEW($$, AST_BLOCK, @$);
          $$->a = $2;
      }
    | '{' r_stmts error '}' {
          NEW($$, AST_BLOCK, @$);
          $$->a = $2;
      }
    ;

r_stmts
    : %empty { $$ = NULL; }
    | r_stmts r_stmt { $$ = ast_append($1, $2); }
    ;

r_stmt
    : r_block
    | var_stmt
    | expr ';' {
          NEW($$, AST_EXPR_STMT, @1);
          $$->a = $1;
      }
    | expr '=' expr ';' {
          NEW($$, AST_ASSIGN, @$);
          $$->op = AST_OP_ASSIGN;
          $$->a = $1;
          $$->b = $3;
      }
    | expr PLUSEQ expr ';' {
          NEW($$, AST_ASSIGN, @$);
          $$->op = AST_OP_ADD_ASSIGN;
          $$->a = $1;
          $$->b = $3;
      }
    | expr MINUSEQ expr ';' {
          NEW($$, AST_ASSIGN, @$);
          $$->op = AST_OP_SUB_ASSIGN;
          $$->a = $1;
          $$->b = $3;
      }
    | KW_IF '(' expr ')' r_stmt %prec THEN {
          NEW($$, AST_IF, @1);
          $$->a = $3;
          $$->b = $5;
      }
    | KW_IF '(' expr ')' r_stmt KW_ELSE r_stmt {
          NEW($$, AST_IF, @1);
          $$->a = $3;
          $$->b = $5;
          $$->c = $7;
      }
    | KW_FOR '(' IDENT KW_IN expr ')' r_stmt {
          CHECK($$ = mk_name(pc, AST_FOR, $3, @1));
          $$->a = $5;
          $$->b = $7;
      }
    | KW_BREAK ';' { NEW($$, AST_BREAK, @1); }
    | KW_CONTINUE ';' { NEW($$, AST_CONTINUE, @1); }
    | KW_RETURN ';' { NEW($$, AST_RETURN, @1); }
    | KW_WITHIN '(' expr ')' g_block {
          NEW($$, AST_WITHIN, @1);
          $$->a = $3;
          $$->b = $5;
      }
    | KW_AT '(' expr ')' g_block {
          NEW($$, AST_AT, @1);
          $$->a = $3;
          $$->b = $5;
      }
    | KW_PEEK g_block {
          NEW($$, AST_PEEK, @1);
          $$->b = $2;
      }
    | KW_BUFFER INTLIT ';' {
          NEW($$, AST_BUFFER, @$);
          $$->ival = $2->ival;
      }
    | error ';' { $$ = NULL; }
    ;

/* ---------------- expressions (both languages) ---------------- */

expr
    : expr OROR expr { CHECK($$ = mk_bin(pc, AST_OP_OR, $1, $3, @$)); }
    | expr ANDAND expr { CHECK($$ = mk_bin(pc, AST_OP_AND, $1, $3, @$)); }
    | expr EQEQ expr { CHECK($$ = mk_bin(pc, AST_OP_EQ, $1, $3, @$)); }
    | expr NEQ expr { CHECK($$ = mk_bin(pc, AST_OP_NE, $1, $3, @$)); }
    | expr '~' expr { CHECK($$ = mk_bin(pc, AST_OP_MATCH, $1, $3, @$)); }
    | expr NMATCH expr { CHECK($$ = mk_bin(pc, AST_OP_NMATCH, $1, $3, @$)); }
    | expr KW_IN expr { CHECK($$ = mk_bin(pc, AST_OP_IN, $1, $3, @$)); }
    | expr KW_IN '{' opt_list_items '}' {
          struct ast_node *l;
          NEW(l, AST_INLIST, parse_loc_join(@3, @5));
          l->a = $4;
          CHECK($$ = mk_bin(pc, AST_OP_IN, $1, l, @$));
      }
    | expr '<' expr { CHECK($$ = mk_bin(pc, AST_OP_LT, $1, $3, @$)); }
    | expr LEQ expr { CHECK($$ = mk_bin(pc, AST_OP_LE, $1, $3, @$)); }
    | expr '>' expr { CHECK($$ = mk_bin(pc, AST_OP_GT, $1, $3, @$)); }
    | expr GEQ expr { CHECK($$ = mk_bin(pc, AST_OP_GE, $1, $3, @$)); }
    | expr '+' expr { CHECK($$ = mk_bin(pc, AST_OP_ADD, $1, $3, @$)); }
    | expr '-' expr { CHECK($$ = mk_bin(pc, AST_OP_SUB, $1, $3, @$)); }
    | expr '*' expr { CHECK($$ = mk_bin(pc, AST_OP_MUL, $1, $3, @$)); }
    | expr '/' expr { CHECK($$ = mk_bin(pc, AST_OP_DIV, $1, $3, @$)); }
    | expr '%' expr { CHECK($$ = mk_bin(pc, AST_OP_MOD, $1, $3, @$)); }
    | '!' expr %prec UNARY {
          NEW($$, AST_UNARY, @$);
          $$->op = AST_OP_NOT;
          $$->a = $2;
      }
    | '-' expr %prec UNARY {
          NEW($$, AST_UNARY, @$);
          $$->op = AST_OP_NEG;
          $$->a = $2;
      }
    | postfix
    ;

postfix
    : primary
    | postfix '.' IDENT {
          CHECK($$ = mk_name(pc, AST_MEMBER, $3, @$));
          $$->a = $1;
      }
    | postfix '[' expr ']' {
          NEW($$, AST_SUBSCRIPT, @$);
          $$->a = $1;
          $$->b = $3;
      }
    ;

primary
    : INTLIT
    | STRLIT
    | REGEXLIT
    | IPLIT
    | KW_TRUE { NEW($$, AST_BOOL, @1); $$->ival = 1; }
    | KW_FALSE { NEW($$, AST_BOOL, @1); $$->ival = 0; }
    | KW_NULL { NEW($$, AST_NULL, @1); }
    | IDENT { CHECK($$ = mk_name(pc, AST_NAME, $1, @1)); }
    | KW_FLOW { NEW($$, AST_FLOWREF, @1); }
    | KW_STATE { NEW($$, AST_STATEREF, @1); }
    | '(' expr ')' { $$ = $2; }
    | FUNC '(' opt_args ')' {
          CHECK($$ = mk_name(pc, AST_CALL, $1, @$));
          $$->a = $3;
      }
    | IDENT '(' opt_args ')' {
          CHECK($$ = mk_name(pc, AST_CALL, $1, @$));
          $$->a = $3;
      }
    | KW_INT '(' opt_args ')' {
          CHECK($$ = mk_name(pc, AST_CALL, "int", @$));
          $$->a = $3;
      }
    | KW_IP '(' opt_args ')' {
          CHECK($$ = mk_name(pc, AST_CALL, "ip", @$));
          $$->a = $3;
      }
    ;

opt_args
    : %empty { $$ = NULL; }
    | args
    ;

args
    : arg
    | args ',' arg { $$ = ast_append($1, $3); }
    ;

arg
    : expr {
          NEW($$, AST_ARG, @1);
          $$->a = $1;
      }
    | IDENT ':' expr {
          CHECK($$ = mk_name(pc, AST_ARG, $1, @$));
          $$->a = $3;
      }
    ;

opt_list_items
    : %empty { $$ = NULL; }
    | list_items
    ;

list_items
    : expr
    | list_items ',' expr { $$ = ast_append($1, $3); }
    ;

%%

/* Called by bison only for "memory exhausted": an allocation failed (the
 * caller reports it) or the stack would pass YYMAXDEPTH. */
static void spu_yyerror(SPU_YYLTYPE *loc, void *scanner, struct parse_ctx *pc, const char *msg)
{
    (void)scanner;
    (void)msg;
    if (pc->nomem)
        return;
    parse_error(pc, *loc, "nesting too deep (the parser's stack is limited to %d entries)",
                YYMAXDEPTH);
}

/* Describe a token for a message: keywords quoted ('import'), punctuation
 * as bison names it (';'), names and numbers with their text when a
 * location is given, other literals by what they are ("string literal").
 * Bison's symbol names are unquoted with parse.error custom. */
static void describe(char *buf, size_t n, yysymbol_kind_t sym, struct parse_ctx *pc,
                     const SPU_YYLTYPE *loc)
{
    const char *name = yysymbol_name(sym);
    switch (sym) {
    case YYSYMBOL_IDENT:
    case YYSYMBOL_FUNC:
    case YYSYMBOL_WORD:
    case YYSYMBOL_INTLIT:
        if (loc && loc->line == loc->end_line && loc->end_col >= loc->col) {
            size_t len;
            const char *line = src_line(pc->src, loc->line, &len);
            size_t w = loc->end_col - loc->col + 1;
            if (line && loc->col - 1 + w <= len && w <= 40) {
                snprintf(buf, n, "%s '%.*s'", sym == YYSYMBOL_INTLIT ? "integer" : "name",
                         (int)w, line + loc->col - 1);
                return;
            }
        }
        /* fall through */
    case YYSYMBOL_YYEOF:
    case YYSYMBOL_STRLIT:
    case YYSYMBOL_REGEXLIT:
    case YYSYMBOL_IPLIT:
    case YYSYMBOL_START_SPG:
    case YYSYMBOL_START_SPR:
        snprintf(buf, n, "%s", name);
        return;
    default:
        snprintf(buf, n, name[0] == '\'' ? "%s" : "'%s'", name);
        return;
    }
}

static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner,
                                 struct parse_ctx *pc)
{
    (void)scanner;
    enum { MAXEXP = 5 };
    yysymbol_kind_t exp[MAXEXP];
    int n = yypcontext_expected_tokens(ctx, exp, MAXEXP);
    yysymbol_kind_t tok = yypcontext_token(ctx);
    const SPU_YYLTYPE *loc = yypcontext_location(ctx);
    char what[96], msg[512];
    describe(what, sizeof(what), tok, pc, loc);
    int len = snprintf(msg, sizeof(msg), "syntax error: unexpected %s", what);
    if (n > 0 && n < MAXEXP) {
        len += snprintf(msg + len, sizeof(msg) - (size_t)len, "; expected ");
        for (int i = 0; i < n && len < (int)sizeof(msg); i++) {
            char e[96];
            describe(e, sizeof(e), exp[i], pc, NULL);
            len += snprintf(msg + len, sizeof(msg) - (size_t)len, "%s%s",
                            i == 0 ? "" : (i == n - 1 ? " or " : ", "), e);
        }
    }
    parse_error(pc, *loc, "%s", msg);
    return 0;
}
