/*
 * builtin-api.h - how the VM calls built-ins and filters, and the one table
 * of them (expanded from builtins.def, filters.def, records.def).
 *
 * Built-ins are called by the rule VM and the grammar VM on the worker
 * thread that runs the program; they must be reentrant (no static mutable
 * state). Results that need memory are allocated in c->scratch and live until
 * the end of the current event. A built-in never reads outside the values it
 * is given; a bad argument type returns SPU_EFAULT with c->fault set.
 */
#ifndef SPU_BUILTIN_API_H
#define SPU_BUILTIN_API_H

#include "value.h"

#include <stddef.h>
#include <stdint.h>

struct spu_arena;
struct spu_lists;
struct spu_host;

/* The context of one call. Filled by the VM; built-ins read it. */
struct spu_call {
    struct spu_arena *scratch;      /* results: valid until the end of the event */
    const struct spu_lists *lists;  /* the running bundle's lists (FindInList) */
    const struct spu_host *host;    /* actions and clock; NULL in spuc (folding) */
    void *host_ctx;
    uint32_t rule;                  /* running rule index, or 0xffffffff in grammars */
    uint32_t builtin;               /* id of the builtin being called */
    const char *fault;              /* reason, set by a builtin returning an error */
};

typedef int (*spu_builtin_fn)(struct spu_call *c, const struct spu_value *args,
                              unsigned argc, struct spu_value *ret);

enum {
    SPU_BIF_PURE = 1u << 0,
    SPU_BIF_ACTION = 1u << 1,
    SPU_BIF_GRAMMAR = 1u << 2,
    SPU_BIF_RULE = 1u << 3,
    SPU_BIF_VARIADIC = 1u << 4
};

enum spu_builtin_id {
#define BUILTIN(name, sym, ret, flags, params) SPU_BI_##name,
#include "builtins.def"
#undef BUILTIN
    SPU_BI__COUNT
};

/* Names and signatures (builtin-table.c): what spuc needs. */
struct spu_builtin_info {
    const char *name;
    const char *ret;    /* return type text, as in builtins.def */
    unsigned flags;     /* SPU_BIF_* */
    const char *params; /* signature text */
};
extern const struct spu_builtin_info spu_builtins[SPU_BI__COUNT];

/* The C functions, indexed by id (builtin-fns.c). */
extern const spu_builtin_fn spu_builtin_fns[SPU_BI__COUNT];

/* Number of declared parameters of builtin `id` (without variadic extras). */
unsigned spu_builtin_arity(unsigned id);

/* ---- streaming filters (filters.def) ---- */

/* Output callback: receives decoded bytes; returns SPU_OK or an error that
 * stops the chain. */
typedef int (*spu_filter_out)(void *out_ctx, const uint8_t *p, size_t n);

struct spu_filter_ops {
    const char *name;
    size_t state_size;                         /* bytes for the state, caller-allocated */
    int (*init)(void *state);                  /* SPU_OK or SPU_ENOMEM */
    /* Decode n input bytes, emitting output through out(). SPU_OK, or
     * SPU_EFORMAT on undecodable input (the caller then passes the rest
     * through), or an error returned by out(). */
    int (*update)(void *state, const uint8_t *in, size_t n, spu_filter_out out, void *out_ctx);
    /* End of input: emit what is pending. SPU_OK or SPU_EFORMAT (truncated). */
    int (*finish)(void *state, spu_filter_out out, void *out_ctx);
    void (*fini)(void *state);                 /* release what init allocated */
};

enum spu_filter_id {
#define FILTER(name, prefix, doc) SPU_FLT_##name,
#include "filters.def"
#undef FILTER
    SPU_FLT__COUNT
};
extern const struct spu_filter_ops *const spu_filters[SPU_FLT__COUNT];

/* ---- stdlib record types (records.def) ---- */
enum spu_std_record_id {
#define RECORD(name, nfields, key, value, fields) SPU_REC_##name,
#include "records.def"
#undef RECORD
    SPU_REC__COUNT
};
struct spu_std_record {
    const char *fields;       /* signature text: "name:type, ..." */
    struct spu_layout layout; /* name, id = SPU_LAYOUT_STD | index, nfields, map */
};
extern const struct spu_std_record spu_std_records[SPU_REC__COUNT];

/* Fingerprint (SHA-256) of every table above plus events.def, written in
 * bundles and compared at load: a bundle built against other tables is
 * refused. */
void spu_stdlib_fingerprint(uint8_t out[32]);

/* ---- signatures: "name:type=default, ..." parsed once, shared by spuc and
 * the VM ---- */
struct spu_sig_param {
    char name[32];
    char type[32];      /* "string", "int", "url", "param[]", "any" ... */
    int has_default;
    char def[64];       /* default as written: true false null 42 "text" */
};
#define SPU_MAX_SIG_PARAMS 16
/* Parse `text` into up to `max` params; returns the count, or SPU_EFORMAT
 * (malformed) / SPU_ELIMIT (more than max). */
int spu_sig_parse(const char *text, struct spu_sig_param *out, unsigned max);

#endif
