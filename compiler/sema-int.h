/*
 * sema-int.h - what the sema-*.c files share: the checker state, the
 * expression context and helpers. Not for use outside sema.
 *
 *   sema.c          driver, symbol tables, vectors, names
 *   sema-types.c    types, layouts, stdlib and runtime records, constants
 *   sema-expr.c     expressions of both languages: typing, calls, folding
 *   sema-grammar.c  protocols and their items, declarations of units,
 *                   enclosing and pairing, index declarations
 *   sema-unit.c     unit and message bodies: names, elements, records,
 *                   sinks, events, statements
 *   sema-first.c    FIRST-token sets of grammar choices
 *   sema-rule.c     rule files: lists, consts, flow, sessions, rules
 *   sema-log.c      EVE log declarations of grammars
 *   sema-dump.c     --dump-symbols
 */
#ifndef SPUC_SEMA_INT_H
#define SPUC_SEMA_INT_H

#include "builtin-api.h"
#include "diag.h"
#include "sema.h"

#include <stdbool.h>

/* A parsed builtin signature, with types resolved. */
struct sema_sig {
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    const struct sema_type *ptype[SPU_MAX_SIG_PARAMS];
    const struct sema_type *ret;
    int n; /* < 0: the table's signature is malformed */
};

struct sema {
    struct spu_arena *arena;
    struct diag *diag;
    struct sema_program *prog;
    bool nomem;
    struct ast_node *const *files;
    unsigned nfiles;
    struct sema_layout *std[SPU_REC__COUNT];
    struct sema_sig sigs[SPU_BI__COUNT];
    struct sema_event **rt_events; /* by events.def position, created on use */
    unsigned nrt;
    unsigned depth;                /* units being checked at once (lazy checks nest) */
};

/* A local variable in scope: a chain from innermost to outermost. */
struct scope {
    struct sema_local *local;
    struct scope *up;
};

/* An enclosing loop (grammar: statements and repetitions; rules: for). */
struct loop {
    const struct ast_node *node;
    struct loop *up;
};

struct ectx;
typedef const struct sema_type *(*sema_name_fn)(struct ectx *c, struct ast_node *n);
typedef const struct sema_type *(*sema_member_fn)(struct ectx *c, struct ast_node *n,
                                                  struct ast_node *obj);

/* The context an expression is typed in. */
struct ectx {
    struct sema *s;
    enum src_lang lang;
    sema_name_fn name;      /* resolve a NAME */
    sema_member_fn member;  /* resolve MEMBER of a NS_FLOW/NS_SESSION/NS_PROTO object */
    bool no_actions;        /* action builtins refused (grammars, consts, keys) */
    bool const_only;        /* consts: the value must fold */
    const char *want;       /* what an unknown name was expected to be ("list"), or NULL */
    /* grammars */
    struct sema_proto *proto;
    struct sema_unit *unit;
    /* rules */
    const struct sema_event *event;
    bool key_mode;          /* session key: canonical names only */
    bool key_pair;          /* a key declared 'on EVENT': it may read the pair (request.X) */
    /* locals */
    struct scope *scope;
    struct scope *block;    /* scope at the start of the current block */
    uint32_t *nlocals;
    struct loop *loops;
    const struct src_file *file;
};

/* ---- sema.c ---- */
void *sema_alloc(struct sema *s, size_t n);          /* zeroed; sets nomem on failure */
/* Arena vectors: sema_vgrow returns arr, or a copy with room for element
 * n (capacity follows n: 4, then powers of two), or NULL (out of memory). */
void *sema_vgrow(struct sema *s, void *arr, uint32_t n, size_t elsize);
#define SEMA_PUSH(s, arr, n, item)                                             \
    do {                                                                       \
        void *na_ = sema_vgrow((s), (arr), (n), sizeof(*(arr)));               \
        if (na_) {                                                             \
            (arr) = na_;                                                       \
            (arr)[(n)++] = (item);                                             \
        }                                                                      \
    } while (0)
const char *sema_strndup(struct sema *s, const char *p, size_t n);
const char *sema_sprintf(struct sema *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define sema_error(s, loc, ...) diag_error((s)->diag, (loc), __VA_ARGS__)
#define sema_warning(s, loc, ...) diag_warning((s)->diag, (loc), __VA_ARGS__)
#define sema_note(s, loc, ...) diag_note((s)->diag, (loc), __VA_ARGS__)
/* Report a duplicate declaration with a note at the previous one. */
void sema_dup(struct sema *s, struct src_loc loc, struct src_loc prev, const char *what,
              const char *name);

/* ---- sema-types.c ---- */
void sema_types_init(struct sema *s);
const struct sema_type *sema_type_arr(struct sema *s, const struct sema_type *elem);
const struct sema_type *sema_type_rec(struct sema *s, const struct sema_layout *l);
const struct sema_type *sema_type_list(struct sema *s, enum sema_list_kind k);
const struct sema_type *sema_type_scalar(unsigned base);
/* Parse a table type ("string", "param[]", "url", "any", "list"); NULL if unknown. */
const struct sema_type *sema_type_parse(struct sema *s, const char *text);
bool sema_type_eq(const struct sema_type *a, const struct sema_type *b);
/* May a value of type src be stored where dst is expected? */
bool sema_assignable(const struct sema_type *dst, const struct sema_type *src);
struct sema_layout *sema_layout_new(struct sema *s, const char *name,
                                    enum sema_layout_kind kind);
struct sema_field *sema_layout_add(struct sema *s, struct sema_layout *l, const char *name,
                                   const struct sema_type *type, bool array,
                                   enum sema_field_origin origin, const struct ast_node *decl);
/* The record layout of a runtime event (events.def position), created once. */
struct sema_event *sema_rt_event(struct sema *s, unsigned rt_id);
int sema_rt_event_find(const char *name);
int sema_flowkey_find(const char *name, const struct sema_type **type);
const char *sema_flowkey_name(unsigned id);
const struct sema_const *sema_const_int(struct sema *s, int64_t v);
const struct sema_const *sema_const_bool(struct sema *s, bool v);
const struct sema_const *sema_const_str(struct sema *s, const uint8_t *p, uint32_t len);
const struct sema_const *sema_const_null(struct sema *s);
const struct sema_const *sema_const_ip(struct sema *s, const uint8_t ip[16], uint16_t family,
                                       uint32_t prefix);
const struct sema_type *sema_const_type(const struct sema_const *c);

/* ---- sema-expr.c ---- */
/* Type an expression (annotates n and below). Never NULL: an error gives
 * the `any` type so that one mistake is reported once. */
const struct sema_type *sema_expr(struct ectx *c, struct ast_node *n);
/* Type a condition (any type; truth value). */
void sema_cond(struct ectx *c, struct ast_node *n);
/* Check a regex literal's flags (per language) and syntax: a token's
 * (a grammar element, token, detect or resync pattern) with regex.c, which
 * builds its DFA; an expression's (`~ /re/`, regexlists) with PCRE2, which
 * runs it. */
void sema_regex(struct sema *s, const struct ast_node *re, enum src_lang lang, bool token);
/* Look up a local in scope. */
struct sema_local *sema_scope_find(const struct ectx *c, const char *name);
/* Declare a local in the current block; reports duplicates. */
struct sema_local *sema_scope_add(struct ectx *c, const char *name,
                                  const struct sema_type *type, const struct ast_node *decl,
                                  bool param);
/* A block in its own scope: stmt checks each statement and returns true when
 * it ends control flow; the statements after such a one are marked
 * unreachable (one warning). True when the block ends control flow. */
bool sema_block(struct ectx *c, struct ast_node *blk,
                bool (*stmt)(struct ectx *c, struct ast_node *st));
/* The type a VAR declares (explicit, or from its initialiser), checked. */
const struct sema_type *sema_var_type(struct ectx *c, struct ast_node *var);
/* A VAR statement: its type checked, the local added to the current scope
 * and the node bound to it (rules and grammar units alike). */
void sema_var_declare(struct ectx *c, struct ast_node *var);
/* Find a builtin by name, or -1. */
int sema_builtin_find(const char *name);
/* Check arguments of a call to grammar unit u (count and types). */
void sema_unit_args(struct ectx *c, const struct sema_unit *u, struct ast_node *args,
                    struct src_loc loc);
/* Report a type mismatch of an assignment. */
void sema_assign_mismatch(struct sema *s, struct src_loc loc, const char *what,
                          const struct sema_type *dst, const struct sema_type *src);

/* ---- sema-grammar.c ---- */
void sema_grammars(struct sema *s);
struct sema_unit *sema_proto_unit(const struct sema_proto *p, const char *name);
struct sema_token *sema_proto_token(const struct sema_proto *p, const char *name);
/* Is `name` an integer element (u8 u16 u24 u32 u40 u48 u56 u64, with the
 * suffix le for little-endian)? Sets the G_UINT flags. */
bool sema_uint_name(const char *name, unsigned *flags);
struct sema_proto *sema_find_proto(const struct sema *s, const char *name);
struct sema_event *sema_find_event(const struct sema *s, const char *name);
/* Is `anc` a unit whose record can enclose records of `u` (u reachable
 * from anc through calls and sub-stream parses)? */
bool sema_unit_encloses(const struct sema_unit *anc, const struct sema_unit *u);
/* Is `other` the paired message of u's transactions? */
bool sema_unit_pairs(const struct sema_unit *u, const struct sema_unit *other);

/* ---- sema-unit.c ---- */
/* Check unit u now if it was not yet (lazy, for references from other
 * units and from rules). */
void sema_unit_ensure(struct sema *s, struct sema_unit *u);

/* ---- sema-first.c ---- */
/* Compute and attach the FIRST sets of a choice element (EL_ALT, EL_OPT,
 * EL_STAR, EL_PLUS), reporting choices that do not begin with a token. */
void sema_choice(struct sema *s, struct sema_proto *p, struct ast_node *el);
/* FIRST set of a unit's body; false (and reported once) when it does not
 * begin with a token. */
bool sema_unit_first(struct sema *s, struct sema_unit *u);

/* ---- sema-rule.c ---- */
void sema_rules(struct sema *s);
/* How names and members resolve in a rule on c->event (fields of its
 * record, enclosing and paired records, consts, lists, sessions,
 * protocols): also used for the values of `log ... on EVENT`. */
const struct sema_type *sema_rule_name(struct ectx *c, struct ast_node *n);
const struct sema_type *sema_rule_member(struct ectx *c, struct ast_node *n,
                                         struct ast_node *obj);

/* ---- sema-log.c ---- */
/* Check every `log` declaration of the grammars (after sema_grammars). */
void sema_logs(struct sema *s);

#endif
