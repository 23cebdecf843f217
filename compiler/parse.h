/*
 * parse.h - parse one source file into an AST (lexer.l + parser.y).
 *
 * The scanner and the parser are reentrant: everything they share lives in
 * a struct parse_ctx, reached by the scanner through its extra data and by
 * the parser through %parse-param. Syntax errors are reported to the diag
 * sink and counted; the parser recovers at statement and declaration level
 * so that several errors are reported per run. The tree is allocated in the
 * given arena. Used by the compiler's single thread.
 */
#ifndef SPUC_PARSE_H
#define SPUC_PARSE_H

#include "ast.h"
#include "source.h"

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>

struct diag;
struct spu_arena;

struct parse_ctx {
    /* inputs (borrowed) */
    struct spu_arena *arena;
    struct diag *diag;
    const struct src_file *src;
    enum src_lang lang;
    /* scanner state */
    void *scanner;
    uint32_t line, col;   /* position of the next byte */
    bool started;         /* the start token was returned */
    int prev;             /* previous token (regex vs division, names after '.') */
    int decl_name;        /* previous token was `unit` or `message` */
    struct src_loc last;  /* location of the last token (syntax error text) */
    /* outputs */
    struct ast_node *root; /* FILE node, or NULL when parsing failed badly */
    bool nomem;            /* an allocation failed */
    jmp_buf fatal;         /* the scanner's fatal errors (out of memory) land here */
    unsigned discarded;    /* semantic values dropped by error recovery */
};

/* Parse f (its lang decides the language) into a FILE node. Returns
 * SPU_OK (pc->root set; syntax errors may have been reported: check the
 * diag counters), or SPU_ENOMEM. pc is filled by this call. */
int parse_file(struct parse_ctx *pc, struct spu_arena *arena, struct diag *diag,
               const struct src_file *f);

/* Helpers the generated scanner and parser call (parse.c). */
struct src_loc parse_loc_join(struct src_loc a, struct src_loc b);
void parse_error(struct parse_ctx *pc, struct src_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Decode a string literal's body (between the quotes) into arena bytes.
 * Reports bad escapes at their columns. Returns false when out of memory. */
bool parse_string_body(struct parse_ctx *pc, struct src_loc loc, const char *body, size_t n,
                       const uint8_t **out, uint32_t *outlen);

#endif
