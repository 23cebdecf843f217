/*
 * dfa-run.h - running token DFAs over byte streams, one chunk at a time:
 * longest match, prediction, search; plus the check that untrusted DFA data
 * must pass before it is run, and a text dump.
 *
 * A struct spu_dfa is a read-only view (pointers and counts, no ownership)
 * over tables that live elsewhere: a bundle's DFADATA section (built with
 * spu_dfa_from_bundle after spu_dfa_check accepted it) or an image made by
 * spuc (compiler/dfa.h, spu_dfa_image_view). The tables (bundle-format.h,
 * struct spu_bdfa): classmap[256] byte -> class; trans[state*nclasses +
 * class] -> state; accept[state] = lowest label accepted there or SPU_NONE;
 * decide[state] = the only label still reachable from that state (itself
 * included) or SPU_NONE. State 0 is dead: it accepts nothing and never
 * leaves.
 *
 * A scan is a small resumable struct spu_dfa_scan that holds no pointer:
 * the grammar VM keeps it across chunks (only the bytes of an unfinished
 * token need holding, and that is the VM's business). Each scan function
 * feeds one chunk and returns SPU_DONE when its result is final, or
 * SPU_NEED_MORE when the chunk was consumed and the result still depends
 * on bytes to come; spu_dfa_finish() says the input ended. After SPU_DONE,
 * further calls change nothing and return SPU_DONE again; scan a new token
 * with spu_dfa_scan_init(). Positions are counted from the scan's start
 * (spu_dfa_scan_init), across all chunks. The scan loops do not allocate
 * and cost a class lookup and a transition load per byte, except across
 * the runs of a view that has its run table (spu_dfa_runs_new): memchr.
 *
 * Thread use: views are immutable and shared by every worker; a scan
 * belongs to one thread.
 */
#ifndef SPU_DFA_RUN_H
#define SPU_DFA_RUN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bundle-format.h"
#include "err.h"

struct spu_dfa {
    uint32_t nstates;
    uint32_t nclasses;
    uint32_t start;
    uint32_t nlabels;
    uint32_t flags;           /* SPU_DFA_ANCHORED or SPU_DFA_SEARCH */
    const uint8_t *classmap;  /* 256 class ids */
    const uint32_t *trans;    /* nstates * nclasses */
    const uint32_t *accept;   /* nstates */
    const uint32_t *decide;   /* nstates */
    const struct spu_dfa_run *runs; /* NULL, or nstates entries (spu_dfa_runs_new):
                                     * views start without */
};

/* A run state: one that every byte but at most three (its exits) leads
 * back to itself, as the state after the first byte of the tokens
 * [^\r\n]* or [^<]+ (header values, HTML text). spu_dfa_longest crosses
 * a run with memchr over the exits instead of stepping byte by byte (same
 * results: the bytes crossed are exactly those the table would keep in
 * that state). nexit is
 * SPU_DFA_NORUN for any other state, 0 for a state no byte leaves. */
#define SPU_DFA_NORUN 0xffu
struct spu_dfa_run {
    uint8_t nexit;
    uint8_t exit[3];
};

/* The run table of d (nstates entries; the dead state is no run), for
 * d->runs; free it with spu_dfa_runs_free after the last scan that uses
 * it. NULL when memory ran out (scans then step every byte). */
struct spu_dfa_run *spu_dfa_runs_new(const struct spu_dfa *d);
void spu_dfa_runs_free(struct spu_dfa_run *r);

/* Validate raw DFA data from an untrusted bundle: `h` is the DFA's
 * descriptor, `data` the DFADATA section as `nwords` uint32 words. Checks,
 * without ever reading outside data[0..nwords): flags (exactly one of
 * ANCHORED and SEARCH), 1 <= nstates, 1 <= nclasses <= 256, nlabels >= 1,
 * start < nstates, every table inside the section, every class id <
 * nclasses, every transition < nstates, every accept/decide label <
 * nlabels or SPU_NONE, state 0 dead (all transitions to 0, accepts and
 * decides nothing), and decide consistent: a state deciding L accepts only
 * L (or nothing) and every successor is dead or decides L. Returns SPU_OK,
 * or SPU_EVERIFY with `err` (may be NULL) naming "dfadata" and the byte
 * offset of the offending word (or the descriptor). Borrows everything. */
int spu_dfa_check(const struct spu_bdfa *h, const uint32_t *data, size_t nwords,
                  struct spu_error *err);

/* Make a view over bundle data that spu_dfa_check accepted. Only bounds
 * are re-checked here (O(1)): SPU_EFORMAT when a table lies outside the
 * section. The view borrows `data`. */
int spu_dfa_from_bundle(struct spu_dfa *d, const struct spu_bdfa *h, const uint32_t *data,
                        size_t nwords);

/* ---- scans ---- */

struct spu_dfa_scan {
    uint32_t state;    /* current DFA state */
    uint32_t label;    /* label of the longest accepted prefix so far, or SPU_NONE */
    uint32_t choice;   /* once done: the result label (see each function), or SPU_NONE */
    uint32_t done;     /* 1 once the result is final */
    uint64_t len;      /* length of that prefix (valid when label != SPU_NONE) */
    uint64_t consumed; /* bytes stepped through since the scan started */
};

/* Start a scan at the DFA's start state (records an empty match when the
 * start state accepts). */
void spu_dfa_scan_init(struct spu_dfa_scan *s, const struct spu_dfa *d);

/* Longest match, anchored at the scan's start. Steps until the DFA dies
 * (then the longest accepted prefix is final) or the chunk ends. At a chunk
 * end, a state whose transitions all lead to the dead state is final too,
 * so a token that cannot be extended completes without waiting for the
 * next byte. DONE: choice = label = the longest match's label (lowest label
 * on a tie), len its length; choice SPU_NONE: no match. Bytes stepped past
 * `len` (at most the one that killed the DFA when the match is not final
 * earlier) belong to what follows the token. */
int spu_dfa_longest(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                    size_t n);

/* Longest match read backward: the chunk is stepped from p[n-1] down to
 * p[0], and successive chunks continue leftward. Run on a REVERSE DFA
 * (compiler/dfa.h) from the end e of a known match over the bytes before
 * it: len is then the distance from e back to the leftmost start of a
 * match ending at e. Same results and finality as spu_dfa_longest. */
int spu_dfa_longest_rev(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                        size_t n);

/* Prediction for a choice point (the first tokens of the alternatives, one
 * label each, as G_PREDICT uses it). The walk is the longest match's, but
 * it may stop early; label/len keep their longest-match meaning and choice
 * is the prediction. Two flavours, which differ only in how early they
 * may stop:
 *
 * spu_dfa_predict: stops as soon as the state's decide names a single
 * label L and no other label has been accepted on the way (label is
 * SPU_NONE or L): choice = L even though L's token may be incomplete or
 * may yet fail; the chosen alternative re-scans it and reports the error.
 * For choices where "nothing matches" is itself an error: `(A | B)` and
 * `until`. (Stopping while a different label M was already accepted could
 * contradict the longest match, which would be M if L's token fails, so
 * the walk goes on in that case.)
 *
 * spu_dfa_predict_sure: stops early only when the outcome is certain: L
 * was accepted and L is the only label still reachable. choice is then
 * always the longest match's label. For choices where "nothing matches"
 * is a valid outcome (`E?`, `E*`, `E+` with E's first token alone in the
 * DFA: its start state decides that label, so spu_dfa_predict would
 * choose E before reading a byte).
 *
 * Otherwise both behave as spu_dfa_longest: choice is the longest match's
 * label, SPU_NONE when no alternative matches. A scan must use one flavour
 * for all its chunks. */
int spu_dfa_predict(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                    size_t n);
int spu_dfa_predict_sure(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                         size_t n);

/* Search: stop at the first position where a match ends. On a SEARCH DFA
 * (implicit leading .*) that is the earliest end of a match starting
 * anywhere at or after the scan's start; on an ANCHORED DFA it is the
 * shortest match at the start (protocol detection). DONE: choice = label =
 * the label accepted there (lowest on a tie), len = consumed = the match
 * end; DONE with choice SPU_NONE: no match can occur any more (the DFA
 * died). NEED_MORE: no match yet, every byte of the chunk consumed. An
 * empty match at the scan's start is reported at once (len 0).
 *
 * Where the match starts: resync `at` needs it. A SEARCH DFA forgets
 * starts, so spuc also builds the REVERSE DFA of the same patterns; run
 * spu_dfa_longest_rev from the match end backward over the bytes that
 * precede it (then spu_dfa_finish when they run out): the start is
 * end - len, the leftmost start of a match ending at the earliest end
 * among the bytes scanned. Which bytes to hold while searching: whenever
 * the search scan's state is the DFA's start state (s->state == d->start),
 * the bytes before the current position may be dropped, because some match
 * ending at the earliest end then starts at or after that position (the
 * start state is where the search began, so the search from there alone
 * finds the same end). For resync `after`, the end is the restart point
 * and nothing needs holding. */
int spu_dfa_search(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                   size_t n);

/* spu_dfa_search over p[0..n), which also tells where the search last
 * stood in the start state: *idle gets the scan position (counted as
 * `consumed`) of the last byte this call stepped from the start state, or
 * the position of the call's start when the scan is there and finishes
 * before any byte; unchanged otherwise. The bytes before *idle may be
 * dropped (see spu_dfa_search). Same results as spu_dfa_search called on
 * each byte in turn, checking the state before each call. A run start
 * state (d->runs) is crossed with memchr. */
int spu_dfa_search_idle(const struct spu_dfa *d, struct spu_dfa_scan *s, const uint8_t *p,
                        size_t n, uint64_t *idle);

/* The input ended (stream end, or the bytes available to a backward scan
 * ran out): the result so far is final. choice = label (for a search that
 * has not matched: SPU_NONE); a scan already done keeps its result.
 * Returns SPU_DONE. */
int spu_dfa_finish(const struct spu_dfa *d, struct spu_dfa_scan *s);

/* One-shot longest match over a complete buffer (the input ends at n).
 * Returns the label or SPU_NONE; *len (may be NULL) gets the length. */
uint32_t spu_dfa_match(const struct spu_dfa *d, const uint8_t *p, size_t n, size_t *len);

/* ---- diagnostics ---- */

/* Text dump for spuc --dump: a header line, the classes as byte ranges,
 * then one line per state with its accept and decide labels and its live
 * transitions (those to the dead state are left out). Deterministic.
 * Returns SPU_OK or SPU_EIO. Borrows both. */
int spu_dfa_dump(const struct spu_dfa *d, FILE *out);

#endif
