/*
 * helper-bundle.h - hand-built bundles for the VM library's tests: a
 * standard skeleton (layouts, a protocol, events, a session, flow
 * variables) plus a one-line-per-instruction assembler.
 *
 * Assembler syntax, one instruction per line (or separated by ';'):
 *   OPNAME [operands...] [a=N] [b=N] [c=N]
 * Positional operands follow the opcode's format (bytecode.h):
 *   BOOL, GFLAGS: a                 IMM, CONST, REGEX, LIST, JUMP, DFA,
 *   LOCAL, FIELD, STATE, FLOWVAR,     MSG, EVENT: c
 *   FLOWKEY, LOOPSLOT: b            LFIELD, LOOPJUMP: b c
 *   BUILTIN: c a (c may be a name)  SESS: a b
 *   GCONST, GDFA: c a               UNIT, SINK: c a b
 * a=/b=/c= set a raw operand (to craft bad ones). Numbers may be negative.
 *
 * Test-only; single-threaded. A broken fixture aborts with a message on
 * stderr (no Criterion here: tests/tools/bundle-samples.c includes it too).
 */
#ifndef SPU_TEST_HELPER_BUNDLE_H
#define SPU_TEST_HELPER_BUNDLE_H

#include "bundle-write.h"

#include <stddef.h>
#include <stdint.h>

/* Skeleton indexes (see helper-bundle.c). */
enum {
    HB_L_HEADER = 0, /* map: name:string, value:string */
    HB_L_REQUEST =
        1,         /* method, uri: string; status: int; headers: header[]; url: url; flag: bool */
    HB_L_FLOW = 2, /* count: int, name: string, seen: bool, addr: ip */
    HB_L_VISITOR = 3,  /* denied: int, last: string */
    HB_L_RESPONSE = 4, /* code: int, text: string */
    HB_L_STATE = 5,    /* mode: int */
    HB_L_PACKET = 6,   /* src_ip: ip, len: int */
    HB_EV_REQUEST = 0,
    HB_EV_RESPONSE = 1,
    HB_EV_PACKET = 2,
    HB_PROTO = 0,
    HB_SESS = 0
};
enum { HB_F_METHOD, HB_F_URI, HB_F_STATUS, HB_F_HEADERS, HB_F_URL, HB_F_FLAG };

struct hb {
    struct spu_bw *bw;
    uint32_t ev_rules[3][256];
    uint32_t n_ev_rules[3];
    uint32_t sess_key_prog;
};

/* A builder holding the skeleton. Aborts the test on failure. */
struct hb *hb_new(void);
void hb_free(struct hb *h);

/* Assemble `text` into out (at most max); returns the count. Aborts the
 * test on a syntax error. */
size_t hb_asm(const char *text, struct spu_insn *out, size_t max);
/* Which operands (letters of "abc", in order) the positional numbers of an
 * instruction of format `fmt` (SPU_FMT_*) fill, in hb_asm and gasm texts. */
const char *hb_positions(unsigned fmt);

/* Add a program of `kind` running `text`. RULE/KEY programs run on event
 * `ev` (SPU_NONE for a flow-key KEY program); grammar programs belong to
 * HB_PROTO with record layout `layout`. Returns the program index. */
uint32_t hb_prog(struct hb *h, uint32_t kind, uint32_t ev, uint32_t layout, const char *name,
                 const char *text, uint16_t max_stack, uint16_t nlocals);

/* A rule (gid 1, sid, message "rule <sid>") on event `ev` running `text`.
 * Returns the rule index. */
uint32_t hb_rule_on(struct hb *h, uint32_t ev, uint32_t sid, const char *text, uint16_t max_stack,
                    uint16_t nlocals);
uint32_t hb_rule(struct hb *h, uint32_t sid, const char *text, uint16_t max_stack,
                 uint16_t nlocals);

/* Write each event's rule list, then the bundle (opts may be NULL).
 * Returns new malloc'd bytes; aborts the test on failure. */
uint8_t *hb_finish(struct hb *h, const struct spu_bw_opts *opts, size_t *len);

/* File offset of section `id` in bundle bytes (0 when absent). */
uint64_t hb_sec_off(const uint8_t *p, size_t len, unsigned id);

/* Index of section `id` in the section table (the test fails if absent). */
uint32_t hb_sec_index(const uint8_t *p, size_t len, unsigned id);

/* Recompute the checksum after damaging the bytes (unsigned bundles). */
void hb_rechecksum(uint8_t *p, size_t len);

#endif
