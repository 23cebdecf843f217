/*
 * disasm.h - a readable text dump of a loaded bundle: header, sections,
 * constants, layouts, protocols, events, DFAs, regexes, lists, sinks,
 * sessions, outputs, meta, rules with their attributes, lookup trees,
 * prefilter patterns, and every program with its instructions, operands
 * shown by name:
 *
 *   prog 3 "rule 1001": RULE on demo.request, locals 0, max_stack 2
 *     0000  LOAD_FIELD    uri
 *     0001  MATCH_RE      /^GET \/admin/i
 *     0002  JZ            -> 4
 *
 * Used by `spuc --dump BUNDLE` and by golden tests. The bundle is
 * verified (it was loaded), so every index shown is valid. Strings are
 * quoted with C escapes (\" \\ \xHH) and cut after 80 bytes ("...").
 * Writes to a FILE* the caller owns; any thread (the bundle is
 * immutable).
 */
#ifndef SPU_DISASM_H
#define SPU_DISASM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct spu_bundle;

enum {
    /* Leave out what changes when unrelated tables change (checksum,
     * stdlib fingerprint, file size, section offsets): for golden files. */
    SPU_DIS_STABLE = 1u << 0
};

/* Dump the whole bundle. Returns SPU_OK or SPU_EIO (write error). */
int spu_disasm(FILE *out, const struct spu_bundle *b, unsigned flags);

/* Dump one program (header line and instructions). */
int spu_disasm_prog(FILE *out, const struct spu_bundle *b, uint32_t prog);

/* Format instruction `pc` of program `prog` (mnemonic and operands, no
 * index) into buf; returns buf ("" when out of range). */
const char *spu_disasm_insn(const struct spu_bundle *b, uint32_t prog, uint32_t pc, char *buf,
                            size_t len);

#endif
