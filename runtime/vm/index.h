/*
 * index.h - rule selection for one event: the lookup-tree walk, then the
 * literal prefilter (bundle-format.h: INODE, IEDGE, PATTERN).
 *
 * Exact semantics of spu_index_select(event E, record R):
 *
 * 1. Tree stage.
 *    - E has no tree (index_root == SPU_NONE): every rule of E is
 *      selected, marked SPU_SEL_UNINDEXED.
 *    - Otherwise the rules of E without SPU_RF_INDEXED are selected
 *      (SPU_SEL_UNINDEXED), and the walk starts at the root. At each node
 *      N reached (each node at most once per event):
 *      a. N's rules are selected (SPU_SEL_TREE);
 *      b. N's key is the value of E's level program levels[N.level], a KEY
 *         program run on R (each program at most once per event; a fault
 *         gives null and counts in key_faults). Its "keys" are: a string
 *         -> that string; an array -> each of its string elements;
 *         anything else -> none;
 *      c. for each key k, every edge of N that matches k is followed:
 *         EXACT: k equals the edge value (with SPU_IEF_NOCASE: k's ASCII
 *         lowercase equals it; NOCASE exact values are stored lowercase);
 *         PREFIX / SUFFIX: the edge value is a prefix / suffix of k
 *         (ASCII case-insensitively with NOCASE). Exact edges are found
 *         by binary search (they are sorted by bytes), the others by a
 *         scan;
 *      d. the `any` child, when there is one, is followed whatever the
 *         keys.
 * 2. Prefilter stage, only when a selected rule has SPU_RF_PREFILTERED:
 *    for each group (E, key program P) of PATTERN entries (prefilter.h),
 *    P runs on R (same cache and fault rule as above) and each of its keys
 *    is scanned once by the group's Hyperscan database. A selected rule
 *    with SPU_RF_PREFILTERED stays selected only if, in every group where
 *    it has patterns, at least one of its literals was found
 *    (SPU_SEL_PREFILTER added); otherwise it is dropped. Rules without the
 *    flag are untouched.
 * 3. The candidates are the selected rules, ascending, each once.
 *
 * A struct spu_index belongs to one worker thread: Hyperscan scratch,
 * work arrays sized to the bundle, the candidate buffer, counters. It
 * adapts itself when it sees another bundle (by checksum), resetting the
 * per-rule counters. Key programs run in the caller's VM (their results
 * may use its scratch arena: reset the VM after the event as usual).
 */
#ifndef SPU_INDEX_H
#define SPU_INDEX_H

#include "err.h"
#include "host.h"
#include "value.h"

#include <stdint.h>

struct spu_bundle;
struct spu_index;
struct spu_vm;

enum {
    SPU_SEL_TREE = 1u << 0,      /* reached through the lookup tree */
    SPU_SEL_UNINDEXED = 1u << 1, /* not indexed, or the event has no tree */
    SPU_SEL_PREFILTER = 1u << 2  /* passed the literal prefilter */
};

struct spu_cands {
    const uint32_t *rules; /* ascending rule indexes; borrowed until the next select */
    const uint8_t *how;    /* SPU_SEL_* of each */
    uint32_t n;
};

/* Counters since the index was created (all bundles). */
struct spu_index_stats {
    uint64_t events;
    uint64_t nodes;             /* tree nodes visited */
    uint64_t key_runs;          /* key programs run */
    uint64_t key_faults;        /* of which faulted (treated as null) */
    uint64_t scans;             /* Hyperscan scans */
    uint64_t scan_errors;       /* scans that failed (the group finds nothing) */
    uint64_t literal_hits;      /* literal matches reported */
    uint64_t prefilter_dropped; /* candidates dropped by the prefilter */
    uint64_t candidates;        /* rules returned */
};

/* How often one rule was selected, since the index last saw a new bundle. */
struct spu_index_rule_stats {
    uint64_t tree, unindexed, prefilter_pass, prefilter_drop;
};

/* Returns a new index context, or NULL with err set. */
struct spu_index *spu_index_new(struct spu_error *err);

/* Frees it. NULL is a no-op. */
void spu_index_free(struct spu_index *ix);

/* Select the candidate rules of event `ev` of bundle b (borrowed) for
 * record `rec` (borrowed; NULL: every field null). Key programs run in
 * `vm` with host/host_ctx (flow keys). Fills *out (borrowing ix until the
 * next call). Returns SPU_OK, SPU_EINVAL (ev out of range) or SPU_ENOMEM
 * (work arrays or Hyperscan scratch for a new bundle). */
int spu_index_select(struct spu_index *ix, struct spu_vm *vm, const struct spu_bundle *b,
                     uint32_t ev, const struct spu_record *rec, const struct spu_host *host,
                     void *host_ctx, struct spu_cands *out);

const struct spu_index_stats *spu_index_stats(const struct spu_index *ix);

/* Per-rule counters for the bundle last used (zeros for an unknown rule). */
struct spu_index_rule_stats spu_index_rule_stats(const struct spu_index *ix, uint32_t rule);

#endif
