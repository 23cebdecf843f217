/*
 * helper-compile.h - spuc's back end from the tests: compile grammar and
 * rule sources held in memory into a loaded bundle, make event records
 * by field name, run rules with a recording host (actions, flow
 * variables, one session entry per key).
 *
 * Test-only; single-threaded. Functions returning a pointer return NULL
 * on failure, after printing the compiler's diagnostics on stderr.
 */
#ifndef SPU_TEST_HELPER_COMPILE_H
#define SPU_TEST_HELPER_COMPILE_H

#include "bundle.h"
#include "compile.h"
#include "host.h"
#include "value.h"
#include "vm.h"

#include <stddef.h>
#include <stdint.h>

/* Compile: grammar and rules may be NULL (several grammars: separate them
 * with a line "%%"). *len receives the size; *diag (may be NULL) a new
 * string with the diagnostics. opts may be NULL. */
uint8_t *hc_compile(const char *grammar, const char *rules, const struct compile_opts *opts,
                    size_t *len, char **diag);

/* hc_compile, then load (list files relative to the current directory). */
struct spu_bundle *hc_bundle(const char *grammar, const char *rules);

/* Index of the rule with this sid (gid 1), or UINT32_MAX. */
uint32_t hc_rule(const struct spu_bundle *b, uint32_t sid);
/* Index of the event named `name`, or UINT32_MAX. */
uint32_t hc_event(const struct spu_bundle *b, const char *name);
/* A record for event ev (every field null), in arena a. */
struct spu_record *hc_record(struct spu_arena *a, const struct spu_bundle *b, uint32_t ev);
/* Set field `name` of rec (event ev); aborts when there is none. */
void hc_set(const struct spu_bundle *b, uint32_t ev, struct spu_record *rec, const char *name,
            struct spu_value v);
/* An IPv4 or IPv6 address value from text (bytes in arena a). */
struct spu_value hc_ip(struct spu_arena *a, const char *text);

/* A host that records actions and keeps flow variables and sessions. */
#define HC_MAX_ACTIONS 64
struct hc_action {
    uint32_t builtin, rule, argc;
    struct spu_value args[4];
};
struct hc_host {
    struct spu_arena *arena;
    struct spu_value flow[16];
    struct spu_value sess_key[4];
    struct spu_value sess[4][8];
    uint32_t nsess;
    struct hc_action act[HC_MAX_ACTIONS];
    uint32_t nact;
};
extern const struct spu_host hc_host_ops;
void hc_host_init(struct hc_host *h);
void hc_host_fini(struct hc_host *h);

/* Format a value as the tests expect it: null, true, 42, "text", ip:10.0.0.1/32,
 * array[3], record. Returns buf. */
const char *hc_fmt(const struct spu_value *v, char *buf, size_t n);

#endif
