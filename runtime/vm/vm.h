/*
 * vm.h - the interpreter of RULE and KEY programs.
 *
 * A struct spu_vm is one worker's context: the value stack, the locals,
 * the scratch arena (results of built-ins and CONCAT during one event),
 * the PCRE2 match data and match limits, the step budget. The bundle it
 * runs is immutable and shared (bundle.h); the VM never writes to it.
 * One thread uses a VM at a time (each worker owns one).
 *
 * Semantics are those of opcodes.def; what this interpreter adds:
 * - A fault stops the program: a wrong operand type, DIV/MOD by zero, the
 *   step budget spent (each LOOP charges the length of the loop body it
 *   closes, its distance back + 1, and each CALL 1: so the budget bounds the
 *   instructions a run executes, plus at most the program's length), a
 *   built-in
 *   returning an error, a regex past its match limit, the scratch arena
 *   full, a host callback failing. The run returns SPU_EFAULT and fills a
 *   struct spu_vm_result (fault kind, pc, program, rule); the worker goes
 *   on with the next rule.
 * - Integer arithmetic wraps (two's complement); INT64_MIN / -1 is
 *   INT64_MIN and INT64_MIN % -1 is 0. Arithmetic takes ints only (null is
 *   a type fault); LT/LE/GT/GE take ints and give false when either side
 *   is null.
 * - Flow and session variables: a slot never written reads as the typed
 *   zero of its declared field type (0 for int, false for bool, null for
 *   the others). Values stored are deep-copied into the arena the host
 *   returns with the slots; records, regexes and lists cannot be stored
 *   (type fault), so nothing stored points into a packet, a message or
 *   the bundle. A session is reached through its KEY program, run on the
 *   rule's event record at the first LOAD_SESS/STORE_SESS of the run;
 *   a null key makes LOAD_SESS push null and STORE_SESS drop the value.
 *   host->end_rule() is called after every rule run that touched a
 *   session.
 * - IN_LIST and the list built-ins (through struct spu_call.lists) test
 *   the bundle's lists (stdlib/lists.h); an array is in a list when one
 *   of its elements is.
 * - LOAD_ANC walks record->parent (at most SPU_VM_MAX_ANCESTORS levels),
 *   LOAD_PAIR reads record->pair; both match the record's layout id
 *   against operand c and give null when nothing matches.
 * - The event record must have the program's layout (same id), or be NULL
 *   (every field null); anything else faults before the first
 *   instruction (SPU_VMF_RECORD).
 *
 * The interpreter loop dispatches with computed goto under GCC/Clang and
 * a switch elsewhere; it neither allocates nor formats text. The case
 * bodies of the opcodes common to rules and grammars live in vm-ops.inc,
 * written against a few macros so the grammar interpreter includes the
 * same file (see its header).
 */
#ifndef SPU_VM_H
#define SPU_VM_H

#include "builtin-api.h"
#include "err.h"
#include "host.h"
#include "value.h"

#include <stddef.h>
#include <stdint.h>

struct spu_bundle;
struct spu_vm;

#define SPU_VM_FAULT_LIST(X)                                                                       \
    X(NONE, "none")                                                                                \
    X(TYPE, "operand of the wrong type")                                                           \
    X(DIV_ZERO, "division by zero")                                                                \
    X(BUDGET, "step budget spent")                                                                 \
    X(BUILTIN, "built-in failed")                                                                  \
    X(REGEX, "regex match limit")                                                                  \
    X(MEMORY, "scratch memory exhausted")                                                          \
    X(HOST, "host callback failed")                                                                \
    X(STORE, "flow or session storage refused")                                                    \
    X(RECORD, "event record does not fit the program")

enum spu_vm_fault {
#define SPU_VMF_ENUM(name, text) SPU_VMF_##name,
    SPU_VM_FAULT_LIST(SPU_VMF_ENUM)
#undef SPU_VMF_ENUM
        SPU_VMF__COUNT
};

/* Short text of a fault kind ("division by zero"); never NULL. */
const char *spu_vm_fault_name(unsigned fault);

#define SPU_VM_MAX_ANCESTORS 64u

struct spu_vm_config {
    /* The built-in functions, indexed by builtin id; NULL: spu_builtin_fns
     * (stdlib). Tests substitute their own. Borrowed for the VM's life. */
    const spu_builtin_fn *builtins;
    uint64_t budget;            /* steps per run; 0: 1000000 */
    size_t scratch_cap;         /* bytes; 0: 16 MiB */
    uint32_t regex_match_limit; /* PCRE2 match limit; 0: 100000 */
    uint32_t regex_depth_limit; /* PCRE2 depth limit; 0: 10000 */
};

struct spu_vm_result {
    int fault;          /* SPU_VMF_*; NONE after a clean run */
    uint32_t pc;        /* program-relative index of the faulting instruction */
    uint32_t prog;      /* program that faulted (a session's KEY program, maybe) */
    uint32_t rule;      /* rule index, or SPU_NONE for spu_vm_run_key */
    uint64_t steps;     /* budget charged by the run */
    const char *detail; /* static text or the built-in's reason; may be NULL */
};

/* Returns a new VM, or NULL with err set (out of memory). The config is
 * copied (NULL: all defaults); cfg->builtins is borrowed. */
struct spu_vm *spu_vm_new(const struct spu_vm_config *cfg, struct spu_error *err);

/* Frees the VM. NULL is a no-op. */
void spu_vm_free(struct spu_vm *vm);

/* The scratch arena (borrowed): results of built-ins and CONCAT, key
 * values, live until spu_vm_reset(). */
struct spu_arena *spu_vm_scratch(struct spu_vm *vm);

/* Forget the scratch memory: call after each event's rules ran. */
void spu_vm_reset(struct spu_vm *vm);

/* Run rule `rule` of bundle b (borrowed) on the event record `rec`
 * (borrowed, may be NULL). host/host_ctx serve actions, flow and session
 * state. Returns SPU_OK, SPU_EFAULT (res says why; res may be NULL), or
 * SPU_EINVAL when `rule` is out of range. */
int spu_vm_run_rule(struct spu_vm *vm, const struct spu_bundle *b, uint32_t rule,
                    const struct spu_record *rec, const struct spu_host *host, void *host_ctx,
                    struct spu_vm_result *res);

/* Run KEY program `prog` on `rec`: *out is the key (borrowing the record,
 * the bundle or the scratch arena). SPU_OK, SPU_EFAULT (*out null), or
 * SPU_EINVAL when prog is not a KEY program. host may be NULL when the
 * program reads no flow key or flow variable (those fault without one). */
int spu_vm_run_key(struct spu_vm *vm, const struct spu_bundle *b, uint32_t prog,
                   const struct spu_record *rec, const struct spu_host *host, void *host_ctx,
                   struct spu_value *out, struct spu_vm_result *res);

#endif
