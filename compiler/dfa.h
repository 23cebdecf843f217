/*
 * dfa.h - token DFAs for spuc: patterns (regex.h ASTs) -> NFA (nfa.h) ->
 * subset construction -> Hopcroft minimization -> byte-class compression ->
 * a struct spu_dfa_image laid out exactly as a bundle stores it
 * (bundle-format.h, struct spu_bdfa + DFADATA words).
 *
 * One DFA may hold several patterns (the first tokens of the alternatives
 * of a choice point): pattern i has label i; a state's accept is the
 * lowest label accepted there (SPU_NONE if none), and its decide is the
 * only accept label reachable from it, itself included (SPU_NONE if
 * several or none); minimization never merges states whose accept or
 * decide differ. Modes: SPU_DFA_ANCHORED (the match starts at the scan's
 * start; the default), SPU_DFA_SEARCH (an implicit leading .*: accepts
 * wherever a match ends), and SPU_DFA_ANCHORED | SPU_DFA_BUILD_REVERSE
 * (the anchored DFA of the reversed patterns, read backward by
 * spu_dfa_longest_rev to find where a search match starts).
 *
 * The image is minimal and canonical: state 0 is the dead state, the other
 * states are numbered breadth-first from the start over the classes in
 * order, and classes are numbered by their lowest byte, two bytes sharing
 * a class exactly when every state treats them alike. Equal input gives a
 * byte-identical image, and so do patterns with the same language.
 *
 * Costs are capped (struct spu_dfa_limits): a pattern that would need too
 * many NFA states, DFA states or table words fails with SPU_ELIMIT and a
 * "pattern too complex" message instead of exhausting memory.
 *
 * Ownership: an image owns its tables. Used by spuc on the compiling
 * thread.
 */
#ifndef SPU_DFA_H
#define SPU_DFA_H

#include <stddef.h>
#include <stdint.h>

#include "bundle-format.h"
#include "dfa-run.h"
#include "err.h"
#include "regex.h"

struct spu_dfa_image {
    uint32_t nstates;
    uint32_t nclasses;
    uint32_t start;
    uint32_t nlabels;
    uint32_t flags; /* SPU_DFA_ANCHORED or SPU_DFA_SEARCH (a reverse DFA is ANCHORED) */
    uint8_t classmap[256];
    uint32_t *trans;  /* nstates * nclasses: trans[state * nclasses + class] */
    uint32_t *accept; /* nstates */
    uint32_t *decide; /* nstates */
};

/* Build flag beside SPU_DFA_ANCHORED / SPU_DFA_SEARCH; spuc only, never
 * stored in a bundle. */
enum { SPU_DFA_BUILD_REVERSE = 1u << 16 };

#define SPU_DFA_MAX_STATES 100000u           /* default DFA state cap (before minimization) */
#define SPU_DFA_MAX_WORK (1ull << 22)        /* default cap on construction table words */
#define SPU_DFA_MAX_WORK_LIMIT (1ull << 30)  /* largest accepted max_work */

/* The construction's memory is a small multiple of max_work words (16 MiB
 * of tables each for transitions and reversed transitions at the default). */
struct spu_dfa_limits {
    uint32_t max_nfa_states; /* 0: SPU_NFA_MAX_STATES */
    uint32_t max_dfa_states; /* 0: SPU_DFA_MAX_STATES */
    uint64_t max_work;       /* NFA-state sets + transition cells; 0: SPU_DFA_MAX_WORK */
};

/* Build one DFA from `npats` (>= 1) patterns (pattern i gets label i) in
 * the mode `flags` (0 means SPU_DFA_ANCHORED). `lim` may be NULL for the
 * defaults. Borrows the regexes. Returns new (spu_dfa_image_free), or NULL
 * with `err` filled: SPU_ELIMIT "pattern too complex ...", SPU_EINVAL,
 * SPU_ENOMEM. */
struct spu_dfa_image *spu_dfa_build(const struct spu_regex *const *pats, uint32_t npats,
                                    uint32_t flags, const struct spu_dfa_limits *lim,
                                    struct spu_error *err);

/* Frees the image and its tables. NULL is a no-op. */
void spu_dfa_image_free(struct spu_dfa_image *img);

/* A run-time view (dfa-run.h) over the image's tables; it borrows `img`,
 * which must outlive it. */
void spu_dfa_image_view(const struct spu_dfa_image *img, struct spu_dfa *d);

/* DFADATA words the image occupies: 64 (class map) + nstates * nclasses +
 * 2 * nstates. */
size_t spu_dfa_image_words(const struct spu_dfa_image *img);

/* Write the image for a bundle: fills `h` (its table indexes relative to
 * DFADATA word `base`, where the caller will place the words) and writes
 * spu_dfa_image_words() words to `words` (capacity `cap` words): class map
 * (256 class bytes packed little-endian, four per word), transitions,
 * accept, decide. Returns SPU_OK, or SPU_ERANGE when `cap` is too small or
 * the indexes would not fit in 32 bits. h->source is left zero for the
 * caller to fill. Borrows everything. */
int spu_dfa_image_pack(const struct spu_dfa_image *img, uint32_t base, struct spu_bdfa *h,
                       uint32_t *words, size_t cap);

#endif
