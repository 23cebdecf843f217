/*
 * verify.h - the bundle verifier: everything inside the sections, after
 * spu_bview_parse() has checked the header and the section table.
 *
 * A bundle that passes can be run without any further check of its
 * indexes: every cross-reference is in range, every program is well
 * formed (STYLE.md convention 2), every tree is acyclic. The verifier is a
 * pure function of the bytes: no allocation survives it, nothing is
 * cached, any thread may call it. spurun calls it through
 * spu_bundle_load_*() and spuc on what it has just written.
 *
 * What is checked (details in verify.c and verify-code.c):
 * - sections: strings and u32 slices in range; constants well formed;
 *   layouts' field ranges inside FIELD, map key/value inside the layout;
 *   fields' `sub` a layout or a stdlib record; programs' kinds, code
 *   ranges inside CODE and not overlapping, layout/event/proto consistent
 *   with the kind (a MESSAGE's completion event is a grammar event of
 *   its protocol and record); DFAs (spu_dfa_check: ranges, every entry, decide tables); lists'
 * items of the list's kind; sinks' filters < SPU_FLT__COUNT and child arity; protocols' DFAs,
 * drivers, state layouts and transaction messages; events' rules (each rule listed once, by its own
 * event) and level KEY programs; rules' program (kind RULE on the rule's event), (gid, sid) unique,
 * INDEXED rules present in the event's tree and PREFILTERED rules exactly those with patterns;
 * sessions' KEY programs; lookup trees acyclic (children have larger indexes), owned by one event,
 * levels < the event's, exact edges strictly sorted (NOCASE exact edges lowercase), edge kinds in
 * order; patterns non-empty, on the rule's event, with a KEY program of that event.
 * - programs: see verify-code.c. KEY programs end with exactly one value
 *   on the stack at RET (the key); every other kind with none.
 *
 * Errors: SPU_EVERIFY with err->where = the section's name and
 * err->offset = the file offset of the offending entry (for code: of the
 * instruction), and a message naming the entry.
 */
#ifndef SPU_VERIFY_H
#define SPU_VERIFY_H

#include "bundle-view.h"
#include "err.h"

/* Verify every section of `v` (borrowed). SPU_OK, SPU_EVERIFY, or
 * SPU_ENOMEM (scratch memory for the checks). */
int spu_verify(const struct spu_bview *v, struct spu_error *err);

#endif
