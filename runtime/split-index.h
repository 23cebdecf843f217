/*
 * split-index.h - the walk of the capture shared by the readers of
 * spurun --split-read.
 *
 * Without it every reader walks every record of the file: reads its
 * header, counts it, hashes its frame, and keeps the few that are its
 * own. The index does that walk once for all: it reads the capture (the
 * only thing that does, one thread at a time) in chunks of records, and
 * for each record keeps what a reader needs without touching the record:
 * the capture's description of it (where, size, time, link type) and,
 * for the common frame, the flow hash (dispatch_fast_hash). Each reader
 * has a cursor; it reads the chunks in order, and a reader that enters a
 * chunk with few built beyond it builds the next one first, so that the
 * walk stays ahead of the readers (a try-lock: a reader that finds another
 * one building reads on; one that has nothing left to read, because the
 * next chunk is being built or the ring is full while a reader lags, gets
 * nothing for now and waits for the index to move: split_cursor_wait;
 * whoever moves it wakes the waiting readers). The chunks form a ring: a
 * slot is built again, and its records released to the capture, once
 * every cursor has passed it. The end of the capture and a capture fault
 * are kept with the last chunk, so every reader gets every record before
 * the fault and then the same fault.
 *
 * The capture is borrowed; nothing else may read it or release its
 * records while the index is in use (capture_stats from another thread:
 * split_index_capture_stats instead).
 */
#ifndef SPU_SPLIT_INDEX_H
#define SPU_SPLIT_INDEX_H

#include "capture.h"
#include "err.h"

#include <stdbool.h>
#include <stdint.h>

/* One record of the capture as the readers see it. */
struct split_rec {
    struct capture_pkt cp;
    int64_t clock; /* the packet clock after it: the newest time so far */
    uint32_t hash; /* the flow hash of a common frame, when fast */
    bool fast;     /* a common frame (dispatch_fast_hash knew it) */
};

/* The rest of a chunk for one reader: records [from, count) of recs, of
 * which the reader must handle only those listed in own[] (ascending
 * record numbers in recs: the common frames its worker owns and every
 * record that is not a common frame); the others it only counts (bytes:
 * the sum of their caplen and the listed ones'; end_clock: the clock
 * after the last). */
struct split_span {
    const struct split_rec *recs;
    unsigned from, count;
    const uint32_t *own;
    unsigned nown;
    uint64_t bytes;
    int64_t end_clock;
};

struct split_index;
struct split_cursor;

/* Returns new over cap for ncursors readers, chunks of chunk_recs records
 * in a ring of nchunks (0, 0: 2048 and 8). seed: the flow hash's. NULL
 * when out of memory. */
struct split_index *split_index_new(struct capture *cap, unsigned ncursors, uint32_t seed,
                                    unsigned chunk_recs, unsigned nchunks);

/* Releases the records still held to the capture and frees (the cursors
 * too). NULL is a no-op. */
void split_index_free(struct split_index *x);

/* Reader i's cursor (one thread each), i < ncursors. */
struct split_cursor *split_index_cursor(struct split_index *x, unsigned i);

/* Up to max records in capture order, all of one chunk, into out[]
 * (pointers valid until the next call on this cursor). Returns how many,
 * 0 with *eof false when the next chunk is being built by another reader
 * or waits for a lagging one (call again, after split_cursor_wait), 0
 * with *eof true at the end, or the capture's fault (negative, err filled) once every
 * record before it was returned. */
int split_cursor_next(struct split_cursor *c, const struct split_rec **out, unsigned max,
                      bool *eof, struct spu_error *err);

/* The rest of the current chunk at once (see struct split_span), valid
 * until the next call; returns, ends and waits as split_cursor_next (the
 * count: records in the span). Both may be mixed on a cursor. */
int split_cursor_span(struct split_cursor *c, struct split_span *sp, bool *eof,
                      struct spu_error *err);

/* After a call on c that returned 0 with *eof false: waits until the
 * index has moved since (a chunk built, a reader on to its next chunk or
 * done), or max_ns. Returns at once if it has moved already. */
void split_cursor_wait(struct split_cursor *c, long max_ns);

/* This reader is done (ended, stopped or failed): the ring no longer waits
 * for it. */
void split_cursor_done(struct split_cursor *c);

/* The capture's counters as of the last chunk built (any thread). */
void split_index_capture_stats(struct split_index *x, struct capture_stats *s);

/* Chunks built so far, for tests. */
uint64_t split_index_chunks(const struct split_index *x);

#endif
