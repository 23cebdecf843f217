/*
 * cg-int.h - what spuc's code generator files share: the codegen context
 * of one compilation and the helpers the stages call on each other.
 *
 *   cg.c            the context: functions, program numbering, diagnostics,
 *                   constants, regexes, lists, key programs
 *   lower-expr.c    expressions of both languages -> IR (values, jumps)
 *   lower-rule.c    rule bodies, key programs (session keys, tree levels,
 *                   prefilter fields)
 *   lower-grammar.c grammar units, messages, direction drivers
 *   lower-log.c     EVE log declarations: entry programs, LOG/LOGENT sections
 *   predict.c       token, prediction, detect and resync DFAs
 *   opt.c           IR passes
 *   emit.c          IR -> bytecode (labels, constants, max stack)
 *   emit-bundle.c   every table of the bundle through the bundle builder
 *   index-build.c   per-event lookup trees from rule conditions
 *   patterns.c      prefilter literals
 *   ir-dump.c       --dump-ir
 *
 * Not for use outside the code generator (compile.h is its interface).
 * Used by the compiling thread only.
 */
#ifndef SPUC_CG_INT_H
#define SPUC_CG_INT_H

#include "ast.h"
#include "bundle-write.h"
#include "ir.h"
#include "sema.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct diag;
struct spu_arena;
struct cg_tree;

/* A regex of the REGEX section (rules' `~ /re/`, regexlists). */
struct cg_regex {
    const uint8_t *pat;
    uint32_t len;
    uint32_t flags; /* SPU_RE_* */
};

/* A DFA already added to the builder, by the text it was built from. */
struct cg_dfa {
    const char *key;
    uint32_t idx;
};

/* A KEY program: one value computed from an event's record. */
struct cg_key {
    uint32_t event;     /* SPU_NONE: flow keys only (session keys) */
    const char *canon;  /* structural key (cg_canon) */
    uint32_t func;
};

/* How lists are used, to choose the kind of a list read from a file. */
enum { CG_USE_STR = 1u, CG_USE_IP = 2u };

struct cg {
    const struct sema_program *prog;
    struct diag *diag;
    struct spu_arena *arena;
    struct spu_bw *bw;
    int status;       /* sticky: SPU_ENOMEM, or SPU_EINVAL for an internal error */
    unsigned errors;  /* diagnostics reported by the code generator */

    struct ir_func **funcs; /* program index = position */
    uint32_t nfuncs, capfuncs;
    uint32_t *proto_idx;    /* by protocol id: its bundle index (tcp/udp ones first) */
    uint32_t *proto_first;  /* by protocol id: the function of its first unit */
    uint32_t (*drivers)[2]; /* by protocol id, per direction, or SPU_NONE */
    uint32_t *rule_func;    /* by rule id */
    uint32_t *session_key;  /* by session id: its KEY function */

    struct cg_regex *regexes;
    uint32_t nregexes, capregexes;
    struct cg_dfa *dfas;
    uint32_t ndfas, capdfas;

    const struct sema_const **cidrs; /* anonymous one-block lists after sema's lists */
    uint32_t ncidrs, capcidrs;
    uint8_t *list_use;               /* by sema list id: CG_USE_* */

    struct cg_key *keys;
    uint32_t nkeys, capkeys;

    uint32_t *rule_flags;      /* by rule id: SPU_RF_* */
    struct cg_tree **trees;    /* by event id, or NULL (index-build.c) */
    uint32_t *levels;          /* by event id: U32 offset of its level programs */
    uint32_t *nlevels;
    struct cg_pattern *pats;   /* prefilter entries (patterns.c) */
    uint32_t npats, cappats;
    uint32_t *logent_func;     /* by sema log entry id: its KEY function (arena) */
};

/* ---- cg.c ---- */
int cg_init(struct cg *cg, const struct sema_program *prog, struct diag *diag,
            struct spu_bw *bw);
void cg_fini(struct cg *cg);
/* Report an error at loc (counted in cg->errors). */
void cg_error(struct cg *cg, struct src_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An internal inconsistency: reported, compile fails. */
void cg_bug(struct cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void *cg_alloc(struct cg *cg, size_t n); /* zeroed, arena; NULL sets status */
const char *cg_sprintf(struct cg *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a function; returns its index (the program id) or SPU_NONE. */
uint32_t cg_add_func(struct cg *cg, struct ir_func *f);
/* The function (program id) of grammar unit or message u. */
uint32_t cg_unit_func(const struct cg *cg, const struct sema_unit *u);
/* Constants for IR operands (arena). */
const struct ir_k *cg_k_int(struct cg *cg, int64_t v);
const struct ir_k *cg_k_str(struct cg *cg, const void *p, uint32_t len);
const struct ir_k *cg_k_const(struct cg *cg, const struct sema_const *c); /* STR, IP, INT */
const struct ir_k *cg_k_list(struct cg *cg, uint32_t list);
/* Index of a regex in the REGEX section (deduplicated). flags: the
 * letters after the closing slash. */
uint32_t cg_regex(struct cg *cg, const uint8_t *pat, uint32_t len, const char *flags);
/* A list holding one address block (the right side of `x in 10.0.0.0/8`). */
uint32_t cg_cidr_list(struct cg *cg, const struct sema_const *c);
/* The structural text of a side-effect-free expression over an event's
 * record (fields, members, constant subscripts, pure built-ins, flow keys),
 * for comparing expressions and naming KEY programs; NULL when n is not
 * such an expression. */
const char *cg_canon(struct cg *cg, const struct ast_node *n);
/* Source-like text of an expression (names as written), for program names. */
const char *cg_expr_text(struct cg *cg, const struct ast_node *n);
/* The KEY function computing `n` on event ev's record (created once per
 * (event, canon)); SPU_NONE on error. name: for the program. */
uint32_t cg_key(struct cg *cg, const struct sema_event *ev, const struct ast_node *n,
                const char *name);

/* ---- lower-expr.c ---- */
struct lx_loop;
struct lx {
    struct cg *cg;
    struct ir_func *f;
    bool grammar;
    struct lx_loop *loops; /* rules: enclosing for loops */
    /* grammars: by field index of the unit's record, the hidden local that
     * holds what the current iteration captured (SEMA_F_CURRENT reads), or
     * SPU_NONE; NULL when none */
    const uint32_t *current;
};
/* Push the value of expression n. */
void lx_expr(struct lx *x, const struct ast_node *n);
/* Jump to label `to` when the truth of n equals `when`; else fall through. */
void lx_cond(struct lx *x, const struct ast_node *n, bool when, uint32_t to);
/* Push a folded constant. */
void lx_const(struct lx *x, const struct sema_const *c, struct src_loc loc);
/* Pop into the variable an assignment target denotes (local, field, state,
 * flow or session variable). */
void lx_store(struct lx *x, const struct ast_node *tgt, bool append);

/* ---- lower-rule.c ---- */
int lower_rules(struct cg *cg);
int lower_sessions(struct cg *cg);
/* Lower expression n into a new KEY function on event ev (NULL: no record). */
struct ir_func *lower_key(struct cg *cg, const struct sema_event *ev, const struct ast_node *n,
                          const char *name);

/* ---- lower-log.c ---- */
/* A KEY function per log entry (cg->logent_func). */
int lower_logs(struct cg *cg);
/* The LOG and LOGENT sections (after the programs are emitted). */
void emit_logs(struct cg *cg);

/* ---- lower-grammar.c ---- */
/* Create the functions of every grammar unit, message and driver (so that
 * program ids are known), then lower their bodies. */
int lower_grammars_declare(struct cg *cg);
int lower_grammars(struct cg *cg);

/* ---- predict.c ---- */
/* DFA of one pattern node (STR or REGEX) in mode SPU_DFA_* (| BUILD_REVERSE). */
uint32_t cg_dfa_pattern(struct cg *cg, const struct ast_node *pat, uint32_t mode);
/* Anchored DFA of several patterns, pattern i labelled i. */
uint32_t cg_dfa_patterns(struct cg *cg, const struct ast_node *const *pats, uint32_t n);
/* The prediction DFA of a choice (label i: any token of alts[i]). */
uint32_t cg_dfa_choice(struct cg *cg, const struct sema_choice *ch, struct src_loc loc);
/* Readable text of a choice label ("\"GET\" or /[a-z]+/") for error messages. */
const char *cg_first_text(struct cg *cg, const struct sema_first *f);

/* ---- opt.c ---- */
struct opt_stats {
    uint32_t folded, dead, threaded, peephole, rounds;
};
/* Run every pass on f until none changes anything (bounded). */
int opt_func(struct cg *cg, struct ir_func *f, struct opt_stats *st);

/* ---- emit.c ---- */
/* IR -> bytecode into the builder's CODE; fills the PROG entry of f (which
 * must be added as program `id`). */
int emit_func(struct cg *cg, uint32_t id, const struct ir_func *f);
/* Max stack depth of f (the verifier's walk); SPU_EINVAL when the depths
 * do not merge (a code generator bug, reported). */
int emit_max_stack(struct cg *cg, const struct ir_func *f, const struct spu_insn *code,
                   uint32_t n, uint32_t *max);

/* ---- emit-bundle.c ---- */
struct cg_meta {
    const char *key;
    const char *value;
};
int emit_bundle(struct cg *cg, const char *name, const struct cg_meta *meta, uint32_t nmeta);

/* ---- index-build.c ---- */
/* Lookup trees of every event with an `index`; sets SPU_RF_INDEXED. */
int index_build(struct cg *cg);
/* Write event ev's tree (INODE/IEDGE); *root = SPU_NONE when none. */
int index_write(struct cg *cg, uint32_t ev, uint32_t *root);
/* The terms of a rule's leading `if (C1 && C2 ...)` when the rule is
 * eligible for selection (index.h): it has nothing but that `if` with no
 * `else`, and its condition calls no action. n receives the count. */
const struct ast_node **index_terms(struct cg *cg, const struct sema_rule *r, uint32_t *n);

/* ---- patterns.c ---- */
struct cg_pattern {
    uint32_t event, key_func, rule;
    const uint8_t *lit;
    uint32_t len;
    uint32_t flags; /* SPU_IEF_NOCASE */
};
/* Prefilter literals of every eligible rule; sets SPU_RF_PREFILTERED. */
int patterns_build(struct cg *cg);

/* ---- ir-dump.c ---- */
void ir_dump(FILE *out, const struct cg *cg);
void ir_dump_func(FILE *out, const struct cg *cg, uint32_t id);

#endif
