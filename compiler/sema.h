/*
 * sema.h - semantic analysis of grammars and rules: the annotated program.
 *
 * sema_check() takes the parsed files of one compilation (grammars and
 * rules together), resolves every name, types every expression, computes
 * record layouts and FIRST-token sets, folds constants, and reports what is
 * wrong through diag. Its result is a struct sema_program (the symbol
 * tables below) plus the annotations it wrote into the AST nodes (struct
 * ast_sema, ast.h). Code generation consumes both; the contract is in
 * docs/compiler-frontend.md.
 *
 * Everything is allocated in the compilation's arena and lives as long as
 * it. Tables are in source order (files in the order given, imports after
 * the files that import them), so output built from them is deterministic.
 * Used by the compiler's single thread.
 */
#ifndef SPUC_SEMA_H
#define SPUC_SEMA_H

#include "ast.h"
#include "value.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct diag;
struct spu_arena;

/* ---- types ---- */

/* base: enum spu_type (value.h), or SEMA_T_NS for names that are not
 * values (a protocol, a session, a whole record used as a prefix). */
#define SEMA_T_NS SPU_T__COUNT
enum sema_list_kind { SEMA_LIST_NONE = 0, SEMA_LIST_STR = 1, SEMA_LIST_IP = 2, SEMA_LIST_REGEX = 3 };

struct sema_type {
    uint8_t base;
    uint8_t list_kind;                /* LIST: enum sema_list_kind */
    const struct sema_type *elem;     /* ARR: element type */
    const struct sema_layout *layout; /* REC: the record's layout */
};

/* Shared instances of the scalar types. */
extern const struct sema_type sema_t_null, sema_t_bool, sema_t_int, sema_t_str, sema_t_ip,
    sema_t_regex, sema_t_any, sema_t_ns;

/* Write a readable name of t ("string", "header[]", "list<ip>") into buf. */
const char *sema_type_str(const struct sema_type *t, char *buf, size_t n);

/* A folded constant. */
struct sema_const {
    uint8_t type;        /* SPU_T_NULL, BOOL, INT, STR, IP */
    int64_t i;           /* BOOL (0/1), INT */
    const uint8_t *s;    /* STR: bytes; IP: 16 bytes (IPv4 as ::ffff:a.b.c.d) */
    uint32_t len;        /* STR: length; IP: prefix length */
    uint16_t family;     /* IP: 4 or 6 */
};

/* ---- records ---- */

enum sema_layout_kind {
    SEMA_LAYOUT_UNIT,    /* a grammar unit's record */
    SEMA_LAYOUT_MESSAGE, /* a grammar message's record */
    SEMA_LAYOUT_STATE,   /* a protocol's `state { }` */
    SEMA_LAYOUT_FLOW,    /* the rules' `flow { }` variables */
    SEMA_LAYOUT_SESSION, /* one session's variables */
    SEMA_LAYOUT_RTEVENT, /* a runtime event's record (events.def) */
    SEMA_LAYOUT_STD,     /* a stdlib record (records.def) */
    SEMA_LAYOUT_TX       /* a protocol's transaction, for `log ... on transaction` */
};

enum sema_field_origin {
    SEMA_FIELD_CAPTURE, /* NAME: ELEMENT */
    SEMA_FIELD_APPEND,  /* NAME +: ELEMENT */
    SEMA_FIELD_DERIVED, /* NAME = EXPR */
    SEMA_FIELD_DECLARED /* state/flow/session variables, runtime and stdlib record fields */
};

struct sema_field {
    const char *name;
    uint32_t index;              /* slot in its layout */
    const struct sema_type *type;/* what reading the field gives (an ARR for array fields) */
    bool array;                  /* an array field: each capture appends (APPEND_FIELD) */
    enum sema_field_origin origin;
    const struct ast_node *decl; /* first capture/assignment/declaration, NULL for tables */
    const struct ast_node *loop; /* array fields: the outermost loop or repetition that makes
                                    them arrays (reads inside it see the current element) */
};

struct sema_layout {
    const char *name;
    enum sema_layout_kind kind;
    uint32_t id;                 /* index in sema_program.layouts; STD: SPU_LAYOUT_STD | id */
    struct sema_field **fields;
    uint32_t nfields;
    int32_t map_key, map_value;  /* field indexes for map units/records, else -1 */
    const struct sema_proto *proto; /* UNIT, MESSAGE, STATE */
    const struct sema_unit *unit;   /* UNIT, MESSAGE */
};

/* Field `name` of l, or NULL. */
const struct sema_field *sema_layout_field(const struct sema_layout *l, const char *name);

/* ---- grammars ---- */

/* A token that may begin a choice: a literal, a regex or a named token. */
enum sema_tok_kind { SEMA_TOK_LIT, SEMA_TOK_REGEX, SEMA_TOK_TOKEN };
struct sema_tok {
    enum sema_tok_kind kind;
    const struct ast_node *node;     /* the STR or REGEX node (for TOKEN: the token's pattern) */
    const struct sema_token *token;  /* TOKEN */
};
/* The first tokens of one choice: any of them starts it. */
struct sema_first {
    struct sema_tok *toks;
    uint32_t n;
};
/* The prediction of a choice element: alternative i (label i) begins with
 * any token of alts[i]. EL_ALT: one per alternative in source order; EL_OPT
 * and EL_STAR/EL_PLUS without until: one (the element); with until: two,
 * the terminator first (label 0), then the element (label 1). */
struct sema_choice {
    uint32_t n;
    struct sema_first *alts;
};

struct sema_local {
    const char *name;
    const struct sema_type *type;
    uint32_t slot;               /* local index (parameters first) */
    bool param;
    const struct ast_node *decl;
};

struct sema_token {
    const char *name;
    const struct ast_node *decl;    /* TOKEN node */
    const struct ast_node *pattern; /* STR or REGEX */
    const struct sema_proto *proto;
};

struct sema_unit {
    const char *name;
    const struct ast_node *decl;    /* UNIT or MESSAGE */
    const struct sema_proto *proto;
    bool is_message;
    int dir;                        /* messages: AST_DIR_* */
    const struct ast_node *when;    /* messages: selection condition or NULL */
    struct sema_local **params;
    uint32_t nparams;
    uint32_t nlocals;               /* slots used by parameters and locals */
    struct sema_layout *layout;     /* its record */
    bool stream;                    /* contains `yield`: produces content */
    struct sema_event **events;     /* events raised from here, in order */
    uint32_t nevents;
    const struct sema_event *completion; /* messages: the event of the last `event` statement */
    struct sema_unit **callees;     /* units it calls or parses a sub-stream with: its
                                       records enclose theirs */
    uint32_t ncallees;
    struct sema_first first;        /* FIRST tokens of its body, when it begins with one */
    bool first_ok;
    const struct ast_node *first_bad; /* else: what it begins with instead */
    uint32_t id;                    /* index in its protocol's units */
    int state;                      /* sema-internal progress */
    int first_state;                /* sema-internal progress */
};

enum sema_event_kind { SEMA_EVENT_GRAMMAR = 1, SEMA_EVENT_RUNTIME = 2 };

struct sema_index {
    const struct ast_node *decl;    /* INDEX node */
    const struct ast_node **paths;  /* typed expressions over the event's fields */
    uint32_t npaths;
};

struct sema_event {
    const char *name;
    enum sema_event_kind kind;
    const struct sema_proto *proto;  /* GRAMMAR */
    const struct sema_unit *unit;    /* GRAMMAR: the unit that raises it */
    int rt_id;                       /* RUNTIME: position in events.def, else -1 */
    const struct sema_layout *layout;
    const struct ast_node *decl;     /* GRAMMAR: the first `event` statement */
    struct sema_index *index;        /* `index E by ...`, or NULL */
    uint32_t id;                     /* index in sema_program.events */
};

/* Limits, in the order of the grammar language's table. */
#define SEMA_LIMIT_LIST(X)                                                     \
    X(TOKEN, "token", 4096)                                                    \
    X(FIELD, "field", 65536)                                                   \
    X(MESSAGE, "message", 1048576)                                             \
    X(PIPELINE, "pipeline", 32)                                                \
    X(DEPTH, "depth", 8)                                                       \
    X(ITERATIONS, "iterations", 100000)

enum sema_limit {
#define SEMA_LIMIT_ENUM(n, s, d) SEMA_LIMIT_##n,
    SEMA_LIMIT_LIST(SEMA_LIMIT_ENUM)
#undef SEMA_LIMIT_ENUM
    SEMA_LIMIT__COUNT
};
const char *sema_limit_name(enum sema_limit l);

struct sema_proto {
    const char *name;
    const struct ast_node *decl;     /* PROTOCOL node */
    const char *path;                /* the file declaring it */
    int transport;                   /* AST_TRANSPORT_* */
    uint32_t *ports;
    uint32_t nports;
    const struct ast_node **detect[2]; /* patterns per direction (STR, REGEX or a token's) */
    uint32_t ndetect[2];
    const struct ast_node *resync[2];  /* pattern per direction or NULL */
    int resync_mode[2];                /* AST_RESYNC_* */
    int64_t limits[SEMA_LIMIT__COUNT]; /* defaults filled */
    struct sema_layout *state;         /* NULL when none */
    struct sema_unit **tx_client, **tx_server; /* transaction pairing */
    uint32_t ntx_client, ntx_server;
    struct sema_token **tokens;
    uint32_t ntokens;
    struct sema_unit **units;          /* units and messages, in declaration order */
    uint32_t nunits;
    struct sema_event **events;        /* events of this protocol */
    uint32_t nevents;
    const char **imports;              /* grammars this file imports */
    uint32_t nimports;
    uint32_t id;
};

/* ---- EVE log declarations ---- */

/* One `path = EXPR;` (or `path = EXPR { subs };`) of a log declaration. */
struct sema_logent {
    const char *path;                 /* dotted, below the TYPE object; "/a.b": from the root */
    const char *abs;                  /* from the record's root (blocks: the element's object) */
    const char *name;                 /* log.TYPE.path (subs: their parent's name.path) */
    const struct ast_node *decl;      /* LOGENT */
    const struct ast_node *value;     /* typed over `layout` */
    const struct sema_layout *layout; /* the record the value is computed on */
    const struct sema_event *event;   /* that record's event (log on EVENT, top level), or NULL */
    const struct sema_layout *sub_layout; /* subs: the element records' layout */
    struct sema_logent **subs;
    uint32_t nsubs;
    uint32_t id;                      /* position in sema_program.logents */
};

struct sema_log {
    const char *type;                 /* EVE event_type */
    const struct ast_node *decl;      /* LOG */
    int kind;                         /* AST_LOG_EVENT, AST_LOG_TX or AST_LOG_ALERT */
    const struct sema_event *event;   /* EVENT */
    const struct sema_proto *proto;   /* TX: the protocol; EVENT: the event's */
    const struct sema_layout *layout; /* EVENT: the event's record; TX: the transaction layout */
    struct sema_logent **entries;
    uint32_t nentries;
    uint32_t id;
};

/* ---- rules ---- */

struct sema_list {
    const char *name;
    const struct ast_node *decl;    /* LIST, REGEXLIST, or INLIST for inline lists */
    enum sema_list_kind kind;
    bool from_file, nocase;
    const uint8_t *path;            /* from_file: as written */
    uint32_t path_len;
    const char *base;               /* from_file: directory of the rule file */
    const struct sema_const **items;/* STR/IP lists: folded items */
    const struct ast_node **regexes;/* REGEX lists: REGEX nodes */
    uint32_t nitems;
    uint32_t id;
};

struct sema_constdecl {
    const char *name;
    const struct ast_node *decl;
    const struct sema_type *type;
    const struct sema_const *value; /* NULL when the value is not constant (an error) */
};

struct sema_session {
    const char *name;
    const struct ast_node *decl;
    const struct ast_node *key;       /* typed in the context of key_event */
    const struct sema_event *key_event; /* NULL: the key uses only flow.* fields */
    struct sema_layout *layout;
    int64_t ttl_ms, max;
    uint32_t id;
};

struct sema_output {
    const char *name;
    const struct ast_node *decl;
    int kind;                        /* AST_OUTPUT_* */
    const uint8_t *path;
    uint32_t path_len;
    uint32_t id;
};

/* `queue CLASS rate RATE [burst B] [priority P];` (docs/rule-language.md) */
struct sema_queue {
    const char *name;
    const struct ast_node *decl;
    int64_t rate_bps;                /* bits per second */
    int64_t burst;                   /* bytes */
    int64_t priority;                /* 0-7, lower goes first */
    uint32_t id;
};

/* `state KIND [NAME] in BACKEND;`: where a table of the state built-ins
 * lives, overriding spurun --state (docs/spam.md). */
struct sema_state {
    const struct ast_node *decl;
    int kind;                        /* AST_STATE_* */
    const char *name;                /* LIST: the list's name, else NULL */
    const uint8_t *backend;          /* "memory" or "redis://HOST:PORT" */
    uint32_t blen;
};

struct sema_ref_attr {
    const char *type;
    const uint8_t *value;
    uint32_t len;
};

struct sema_rule {
    const struct ast_node *decl;     /* RULE node */
    const char *path;                /* the rule file */
    int64_t gid, sid, rev, priority, score; /* priority 0 when unset */
    const uint8_t *msg;
    uint32_t msg_len;
    const char *classtype;           /* NULL when unset */
    struct sema_ref_attr *refs;
    uint32_t nrefs;
    const uint8_t **meta;            /* metadata strings */
    uint32_t *meta_len;
    uint32_t nmeta;
    const struct sema_event *event;
    uint32_t nlocals;                /* local slots used by the body */
    uint32_t id;
};

struct sema_program {
    struct sema_proto **protos;
    uint32_t nprotos;
    struct sema_event **events;      /* grammar events, then the runtime events rules use */
    uint32_t nevents;
    struct sema_layout **layouts;    /* every non-stdlib layout, by id */
    uint32_t nlayouts;
    struct sema_layout *flow;        /* `flow { }` variables, or NULL */
    struct sema_list **lists;        /* named lists and regexlists, then inline lists */
    uint32_t nlists;
    struct sema_constdecl **consts;
    uint32_t nconsts;
    struct sema_session **sessions;
    uint32_t nsessions;
    struct sema_output **outputs;
    uint32_t noutputs;
    struct sema_queue **queues;
    uint32_t nqueues;
    struct sema_rule **rules;
    uint32_t nrules;
    /* `message ends on E, ...`: events after whose rules a message's spam
     * score (the `score` of its rules) is complete (docs/spam.md) */
    struct sema_event **msg_ends;
    uint32_t nmsg_ends;
    struct sema_state **states;      /* `state` declarations, once per kind and list */
    uint32_t nstates;
    struct sema_log **logs;          /* log declarations, in source order */
    uint32_t nlogs;
    struct sema_logent **logents;    /* every entry (subs after their parent) */
    uint32_t nlogents;
};

/* Check the parsed files (FILE nodes; NULL entries are skipped). Returns the
 * program (errors reported to diag: check diag_errors()), or NULL when out
 * of memory. All borrowed from/allocated in `arena`. */
struct sema_program *sema_check(struct spu_arena *arena, struct diag *diag,
                                struct ast_node *const *files, unsigned nfiles);

/* Print the symbol tables (protocols, layouts, events, FIRST sets, lists,
 * sessions, rules): `spuc --dump-symbols`. Stable, for golden tests. */
void sema_dump(FILE *out, const struct sema_program *p);

/* Print one FIRST set ("\"GET\" | /[a-z]+/ | crlf"). */
void sema_first_print(FILE *out, const struct sema_first *f);
/* Print a constant as source text. */
void sema_const_print(FILE *out, const struct sema_const *c);
/* Print bytes as a quoted string literal, escaped. */
void sema_bytes_print(FILE *out, const uint8_t *p, uint32_t n);
/* Print a STR node as "lit" or "lit"i, a REGEX node as /re/flags. */
void sema_pattern_print(FILE *out, const struct ast_node *pattern);

#endif
