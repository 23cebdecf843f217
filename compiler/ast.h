/*
 * ast.h - the abstract syntax tree of both languages, and its annotations.
 *
 * The parser (parser.y) builds one tree per source file, rooted at a FILE
 * node; node kinds and the meaning of their slots are listed in ast.def.
 * Every node, string and list lives in the compilation's spu_arena and dies
 * with it: nothing in the tree is freed on its own.
 *
 * Semantic analysis (sema*.c) then fills `sema` in the nodes it checks:
 * types, what names resolve to, folded constants, FIRST-token sets of
 * grammar choices, normalised call arguments. docs/compiler-frontend.md
 * describes, kind by kind, what code generation can rely on.
 *
 * Used by the compiler's single thread.
 */
#ifndef SPUC_AST_H
#define SPUC_AST_H

#include "source.h"

#include <stdint.h>
#include <stdio.h>

struct spu_arena;
struct sema_type;
struct sema_const;
struct sema_choice;
struct sema_layout;
struct sema_field;
struct sema_local;
struct sema_unit;
struct sema_token;
struct sema_list;
struct sema_constdecl;
struct sema_session;
struct sema_event;
struct sema_proto;
struct sema_output;
struct sema_queue;

enum ast_kind {
#define AST(k, name, a, b, c, payload) AST_##k,
#include "ast.def"
#undef AST
    AST__COUNT
};

/* Operators (node->op of UNARY, BINARY, ASSIGN). */
#define AST_OP_LIST(X)                                                         \
    X(OR, "||")                                                                \
    X(AND, "&&")                                                               \
    X(EQ, "==")                                                                \
    X(NE, "!=")                                                                \
    X(MATCH, "~")                                                              \
    X(NMATCH, "!~")                                                            \
    X(IN, "in")                                                                \
    X(LT, "<")                                                                 \
    X(LE, "<=")                                                                \
    X(GT, ">")                                                                 \
    X(GE, ">=")                                                                \
    X(ADD, "+")                                                                \
    X(SUB, "-")                                                                \
    X(MUL, "*")                                                                \
    X(DIV, "/")                                                                \
    X(MOD, "%")                                                                \
    X(NOT, "!")                                                                \
    X(NEG, "-")                                                                \
    X(ASSIGN, "=")                                                             \
    X(ADD_ASSIGN, "+=")                                                        \
    X(SUB_ASSIGN, "-=")

enum ast_op {
    AST_OP_NONE = 0,
#define AST_OP_ENUM(n, s) AST_OP_##n,
    AST_OP_LIST(AST_OP_ENUM)
#undef AST_OP_ENUM
    AST_OP__COUNT
};

enum { AST_TRANSPORT_TCP = 1, AST_TRANSPORT_UDP = 2, AST_TRANSPORT_STREAM = 3 };
enum { AST_DIR_CLIENT = 0, AST_DIR_SERVER = 1 };
enum { AST_RESYNC_AT = 0, AST_RESYNC_AFTER = 1 };
enum { AST_REPEAT_UNTIL = 0, AST_REPEAT_WHILE = 1 };
enum { AST_OUTPUT_FILE = 1, AST_OUTPUT_UNIX = 2 };
/* `state KIND [NAME] in BACKEND;`: the state built-ins' tables (docs/spam.md) */
enum { AST_STATE_LIST = 1, AST_STATE_BUCKET = 2, AST_STATE_WINDOW = 3, AST_STATE_SCORE = 4 };
/* AST_LOG_ALERT: `log TYPE on EVENT alert { }`, an object for alerts only */
enum { AST_LOG_EVENT = 1, AST_LOG_TX = 2, AST_LOG_ALERT = 3 };
enum { AST_UNIT_NONE = 0, AST_UNIT_SIZE = 1, AST_UNIT_DURATION = 2, AST_UNIT_RATE = 3 };

/* Rule attributes (ATTR ival). */
#define AST_ATTR_LIST(X)                                                       \
    X(GID, "gid")                                                              \
    X(SID, "sid")                                                              \
    X(REV, "rev")                                                              \
    X(MSG, "msg")                                                              \
    X(CLASSTYPE, "classtype")                                                  \
    X(PRIORITY, "priority")                                                    \
    X(REFERENCE, "reference")                                                  \
    X(METADATA, "metadata")                                                    \
    X(SCORE, "score")

enum ast_attr {
#define AST_ATTR_ENUM(n, s) AST_ATTR_##n,
    AST_ATTR_LIST(AST_ATTR_ENUM)
#undef AST_ATTR_ENUM
    AST_ATTR__COUNT
};

/* node->flags */
enum {
    AST_F_NOCASE = 1u << 0, /* STR "..."i; LIST ... nocase */
    AST_F_FROM = 1u << 1,   /* LIST/REGEXLIST read from a file */
    AST_F_CIDR = 1u << 2,   /* IP written with a /prefix */
    AST_F_SUBS = 1u << 3    /* LOGENT with a { ... } block of element fields */
};

/* What a name (NAME, MEMBER, CALL, EL_REF, ...) was resolved to by sema.
 * docs/compiler-frontend.md gives the exact contract of each. */
#define SEMA_REF_LIST(X)                                                       \
    X(NONE, "none")                                                            \
    X(LOCAL, "local")           /* local or parameter: sym.local */            \
    X(FIELD, "field")           /* field of the current record: sym.field */   \
    X(ANC_FIELD, "anc-field")   /* field of an enclosing record (layout) */    \
    X(PAIR_FIELD, "pair-field") /* field of the paired message (layout) */     \
    X(MEMBER, "member")         /* field of the record value of `object` */    \
    X(STATE, "state")           /* per-connection grammar variable */          \
    X(FLOWVAR, "flowvar")       /* flow { } variable: sym.field */             \
    X(FLOWKEY, "flowkey")       /* connection field: index = FLOWKEY id */     \
    X(SESSVAR, "sessvar")       /* session variable: sym.session, sym2 */      \
    X(CONST, "const")           /* const: sym.konst (cval set) */              \
    X(LIST, "list")             /* list or regexlist: sym.list */              \
    X(BUILTIN, "builtin")       /* CALL: index = builtin id */                 \
    X(TOKEN, "token")           /* EL_REF / pattern: sym.token */              \
    X(UNIT, "unit")             /* EL_REF / parse target: sym.unit */          \
    X(UINT, "uint")             /* EL_REF u8..u64[le]: index = G_UINT flags */ \
    X(NS_RECORD, "ns-record")   /* NAME/MEMBER naming a whole record */        \
    X(NS_STATE, "ns-state")     /* the keyword state */                        \
    X(NS_FLOW, "ns-flow")       /* the keyword flow */                         \
    X(NS_SESSION, "ns-session") /* a session name: sym.session */              \
    X(NS_PROTO, "ns-proto")     /* a protocol name: sym.proto */

enum sema_ref {
#define SEMA_REF_ENUM(n, s) SEMA_REF_##n,
    SEMA_REF_LIST(SEMA_REF_ENUM)
#undef SEMA_REF_ENUM
    SEMA_REF__COUNT
};

/* Which record a NS_RECORD name denotes. */
enum sema_base { SEMA_BASE_CUR = 0, SEMA_BASE_ANC = 1, SEMA_BASE_PAIR = 2 };

/* sema flags (node->sema.flags) */
enum {
    SEMA_F_CURRENT = 1u << 0,     /* FIELD read inside the loop that makes it an array: the
                                     value captured by the current iteration (the last element) */
    SEMA_F_UNREACHABLE = 1u << 1, /* statement after return/stop/error/break/continue */
    SEMA_F_ARRAY = 1u << 2,       /* CAPTURE/APPEND target is an array field: append */
    SEMA_F_IN_LOOP = 1u << 3,     /* CAPTURE inside a repetition or loop */
    SEMA_F_STREAM = 1u << 4,      /* EL_REF of a stream unit (produces its yielded content) */
    SEMA_F_CHECKED = 1u << 5,     /* the node went through sema */
    SEMA_F_MORE = 1u << 6         /* condition more(): data left in the window (G_AWAIT) */
};

struct ast_sema {
    const struct sema_type *type;     /* expressions: static type; elements: what they produce */
    enum sema_ref ref;
    enum sema_base base;              /* NS_RECORD, ANC_FIELD, PAIR_FIELD, FIELD */
    union {
        const struct sema_field *field;
        const struct sema_local *local;
        const struct sema_unit *unit;
        const struct sema_token *token;
        const struct sema_list *list;
        const struct sema_constdecl *konst;
        const struct sema_session *session;
        const struct sema_event *event;
        const struct sema_proto *proto;
        const struct sema_output *output;
        const struct sema_queue *queue;
    } sym;
    const struct sema_layout *layout; /* the layout of the record a field belongs to */
    uint32_t index;                   /* field index, local slot, builtin id, FLOWKEY id */
    uint32_t flags;                   /* SEMA_F_* */
    const struct sema_const *cval;    /* folded constant value, or NULL */
    struct sema_choice *choice;       /* EL_ALT/EL_OPT/EL_STAR/EL_PLUS: FIRST-token sets */
    struct ast_node **args;           /* CALL: arguments in parameter order, defaults filled */
    uint32_t nargs;
};

struct ast_node {
    enum ast_kind kind;
    struct src_loc loc;
    struct ast_node *next;   /* next sibling in a list */
    struct ast_node *tail;   /* list heads during parsing: the last element */
    struct ast_node *a, *b, *c;
    const char *name;
    const uint8_t *bytes;
    uint32_t len;
    uint32_t flags;          /* AST_F_* */
    int op;                  /* enum ast_op */
    int64_t ival, ival2;
    struct ast_sema sema;
};

/* Returns a new zeroed node from `a`, or NULL when out of memory. */
struct ast_node *ast_new(struct spu_arena *a, enum ast_kind kind, struct src_loc loc);

/* Append `item` (may be NULL: ignored) to the list headed by `list` (may be
 * NULL: item becomes the head). Returns the head. O(1). */
struct ast_node *ast_append(struct ast_node *list, struct ast_node *item);

/* Append the list `more` (may be NULL) to `list`. Returns the head. O(|more|). */
struct ast_node *ast_concat(struct ast_node *list, struct ast_node *more);

/* Number of nodes in a list. */
unsigned ast_count(const struct ast_node *list);

const char *ast_kind_name(enum ast_kind kind);
const char *ast_op_text(int op);
const char *ast_attr_name(int attr);
const char *sema_ref_name(enum sema_ref ref);

/* Child slot i (0..2) of n, and whether the slot holds a list. */
struct ast_node *ast_child(const struct ast_node *n, unsigned i);
const char *ast_slot_name(enum ast_kind kind, unsigned i, int *is_list);

/* Print the tree under `n` (a FILE node, or any node) with its annotations,
 * one node per line, indented by depth. Stable: used by golden tests. */
void ast_dump(FILE *out, const struct ast_node *n);

#endif
