/*
 * nfa.h - Thompson construction: regex ASTs (regex.h) -> one NFA over byte
 * sets, the input of the subset construction in dfa.c.
 *
 * Several patterns go into one NFA: pattern i ends in an ACCEPT state with
 * label i, and the start state reaches every pattern's start by epsilon
 * moves. SEARCH adds an implicit leading `.*` (any byte, \n included), so
 * the automaton accepts wherever a match ends; REVERSE builds the automaton
 * of the reversed patterns (every concatenation read right to left), used
 * to find where a match that ends at a known position starts.
 *
 * Counted repetitions are expanded into copies (e{2,4} = e e (e (e)?)?), so
 * the size is bounded by a cap: a pattern whose NFA would exceed it fails
 * with SPU_ELIMIT ("pattern too complex") instead of exhausting memory.
 *
 * Ownership: the NFA owns its arrays; it borrows nothing after
 * spu_nfa_build returns. Used by spuc on the compiling thread.
 */
#ifndef SPU_NFA_H
#define SPU_NFA_H

#include <stdint.h>

#include "err.h"
#include "regex.h"

enum spu_nfa_kind {
    SPU_NFA_SET = 1,   /* on a byte in sets[arg], go to out */
    SPU_NFA_SPLIT = 2, /* epsilon to out and, unless SPU_NONE, to out2 */
    SPU_NFA_ACCEPT = 3 /* accept with label arg; no moves */
};

struct spu_nfa_state {
    uint32_t kind; /* enum spu_nfa_kind */
    uint32_t out;
    uint32_t out2;
    uint32_t arg; /* SET: index into sets; ACCEPT: label */
};

struct spu_nfa {
    struct spu_nfa_state *states;
    uint32_t nstates;
    struct spu_byteset *sets; /* distinct byte sets used by SET states */
    uint32_t nsets;
    uint32_t start;
    uint32_t nlabels; /* the number of patterns */
};

/* Build flags. */
enum {
    SPU_NFA_BUILD_SEARCH = 1u << 0, /* implicit leading .* */
    SPU_NFA_BUILD_REVERSE = 1u << 1 /* the reversed language */
};

/* Default cap on NFA states (spu_nfa_build with max_states 0). */
#define SPU_NFA_MAX_STATES 250000u

/* Build one NFA from `npats` (>= 1) patterns; pattern i gets label i.
 * Borrows the regexes. Returns new (spu_nfa_free), or NULL with `err`
 * filled: SPU_ELIMIT when more than `max_states` states would be needed
 * (0: SPU_NFA_MAX_STATES), SPU_EINVAL, SPU_ENOMEM. */
struct spu_nfa *spu_nfa_build(const struct spu_regex *const *pats, uint32_t npats,
                              unsigned flags, uint32_t max_states, struct spu_error *err);

/* Frees the NFA. NULL is a no-op. */
void spu_nfa_free(struct spu_nfa *nfa);

#endif
