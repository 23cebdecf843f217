/*
 * helper-gasm.h - a small grammar assembler for the grammar VM's tests:
 * protocols, layouts, events, sinks and programs written as text, built
 * with the bundle writer and loaded (verified) as a struct spu_bundle;
 * plus a runner that feeds scripted streams to a connection split in
 * chosen ways and logs every hook call as text.
 *
 * Program text: one instruction per line (or separated by ';'), an
 * optional `label:` in front, `//` comments. Operands:
 *   12 -3            numbers, in the order of the opcode's format (the
 *                    slots not already set by a symbol below)
 *   "text"           a string constant (escapes \r \n \t \0 \\ \" \xHH)
 *   /re/is           a token DFA of one regex (flags i, s)
 *   [ /a/ | "b"i ]   a DFA of several patterns, labels 0, 1, ... in order
 *   CAP Y NOCASE SURE  flags (operand a; b for G_CALL)
 *   @prog $sink %event  programs, sinks, events by name
 *   .field           a field of the program's layout; .field@layout for
 *                    LOAD_ANC/LOAD_PAIR/MEMBER
 *   state.x          a state variable of the program's protocol
 *   name             a builtin (CALL) or a label (jumps)
 * Layout fields: "name other:int n:bool a:ip h:header[] r:request s:std:url";
 * a map layout is declared "header(name,value)".
 *
 * Test-only, single-threaded. A broken fixture aborts with a message on
 * stderr (the fuzz target includes this file too).
 */
#ifndef SPU_TEST_HELPER_GASM_H
#define SPU_TEST_HELPER_GASM_H

#include "bundle.h"
#include "gvm.h"

#include <stddef.h>
#include <stdint.h>

struct ga;

/* A builder with one protocol "t" over tcp (index 0), default limits. */
struct ga *ga_new(void);
void ga_free(struct ga *a);

/* Start another protocol (index returned) and make it current. Protocols
 * over stream must come after those over tcp/udp. */
uint32_t ga_proto(struct ga *a, const char *name, unsigned transport);
/* Set a limit of the current protocol: "token" "field" "message"
 * "pipeline" "depth" "iterations". */
void ga_limit(struct ga *a, const char *which, uint32_t v);
/* Resync pattern (/re/ or "lit") of direction dir, SPU_RESYNC_AT/AFTER. */
void ga_resync(struct ga *a, unsigned dir, const char *pattern, unsigned mode);
/* Transaction pairing: message names separated by spaces. */
void ga_tx(struct ga *a, const char *client, const char *server);
/* Layout of the current protocol; returns its index. */
uint32_t ga_layout(struct ga *a, const char *name, const char *fields);
/* The current protocol's state variables. */
void ga_state(struct ga *a, const char *fields);
uint32_t ga_event(struct ga *a, const char *name, const char *layout);
/* A sink: filters by name ("gunzip base64", or ""), child program name or
 * NULL, stored-bytes limit (SPU_NONE: the protocol's field limit), flags
 * (SPU_SINKF_SPAN). */
void ga_sink(struct ga *a, const char *name, const char *filters, const char *child,
             uint32_t limit, uint32_t flags);
/* A program of the current protocol. kind: "message", "unit", "stream"
 * (a unit that yields), "driver:client", "driver:server". layout may be
 * NULL for drivers. */
void ga_prog(struct ga *a, const char *kind, const char *name, const char *layout,
             unsigned nparams, const char *text);
/* The usual driver of direction dir over messages `msgs` (names separated
 * by spaces); conds, when not NULL, holds one program text per message
 * that pushes its `when` condition (NULL entries: none). */
void ga_driver(struct ga *a, unsigned dir, const char *msgs, const char *const *conds);

/* Write, load and verify. Aborts with the verifier's message on failure.
 * Returns new (spu_bundle_unref). */
struct spu_bundle *ga_build(struct ga *a);

/* ---- running ---- */

/* GA_DGRAM: one datagram (spu_gvm_datagram), never split. */
enum { GA_FEED = 'f', GA_GAP = 'g', GA_EOF = 'e', GA_STOP = 's', GA_DGRAM = 'd' };
struct ga_step {
    int kind;
    unsigned dir;
    const char *data; /* GA_FEED, GA_DGRAM */
    size_t len;       /* GA_FEED, GA_DGRAM bytes, GA_GAP length */
};
#define GA_C(s) {GA_FEED, SPU_DIR_CLIENT, (s), sizeof(s) - 1}
#define GA_S(s) {GA_FEED, SPU_DIR_SERVER, (s), sizeof(s) - 1}
#define GA_DC(s) {GA_DGRAM, SPU_DIR_CLIENT, (s), sizeof(s) - 1}
#define GA_DS(s) {GA_DGRAM, SPU_DIR_SERVER, (s), sizeof(s) - 1}

/* How each GA_FEED is cut into chunks. */
enum { GA_WHOLE, GA_BYTES, GA_AT, GA_RANDOM };
struct ga_split {
    int mode;
    size_t at;           /* GA_AT: first chunk length (clamped) */
    uint32_t seed;       /* GA_RANDOM */
    const char *stop_on; /* stop the connection from the hook of this event */
};

struct ga_result {
    char *log;   /* every hook call, one line each (malloc'd) */
    struct spu_gvm_stats conn, gvm;
    int last_rc; /* return of the last call */
    char err[2][200];
};

/* Run the steps on a new connection of protocol `proto`. Every chunk is a
 * fresh heap copy, scribbled over and freed right after its feed, so a
 * value left pointing into it shows in the log (and under ASan, fails).
 * The connection is freed at the end (after the steps). */
void ga_run(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps, size_t n,
            struct ga_split split, struct ga_result *out);
/* ga_run with the gvm made from cfg (NULL: defaults). */
void ga_run_cfg(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps, size_t n,
                struct ga_split split, const struct spu_gvm_config *cfg, struct ga_result *out);
/* The same with spu_gvm_set_store_skips(skips, nskips) on the bundle
 * (NULL: none). */
void ga_run_skips(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps, size_t n,
                  struct ga_split split, const struct spu_gvm_config *cfg, const uint8_t *skips,
                  uint32_t nskips, struct ga_result *out);
void ga_result_free(struct ga_result *r);

/* Text of a value and of a record (fields by name), as the log shows them. */
void ga_render(const struct spu_bundle *b, const struct spu_value *v, char **buf, size_t *len,
               size_t *cap);

#endif
