/*
 * split-read.h - the readers of spurun --split-read beside the main thread.
 *
 * With --split-read every worker reads the capture file itself and keeps
 * the packets the flow hash gives it (dispatch.h, "Split reading"),
 * through a shared index of the file that one of them at a time extends
 * (split-index.h). The
 * main thread reads for worker 0 in its own loop (it also serves the
 * control socket, stats and progress); each other worker gets a
 * split_reader: a thread that steps its own dispatcher over its own
 * capture until the end of the file, a fault, or a stop request, then
 * ends its worker (worker_finish).
 */
#ifndef SPU_SPLIT_READ_H
#define SPU_SPLIT_READ_H

#include "err.h"

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct capture;
struct dispatcher;
struct worker;
struct split_reader;

/* Starts a thread that runs d (which must have been made with cfg.split,
 * owning worker w, over cap or, cap NULL, over a cursor of the shared
 * split index: dispatch_use_index) until the end; takes ownership of cap
 * and d
 * (freed by split_reader_free) whether or not it succeeds. *stop is
 * polled between batches. NULL with err filled when the thread cannot
 * start. */
struct split_reader *split_reader_start(struct capture *cap, struct dispatcher *d,
                                        struct worker *w, volatile sig_atomic_t *stop,
                                        struct spu_error *err);

/* Asks the thread to stop after its current batch (the run was stopped
 * through the control socket); the packets it read are processed. */
void split_reader_halt(struct split_reader *s);

/* Whether the thread has ended its worker (true also after a fault). */
bool split_reader_done(const struct split_reader *s);

/* Waits for the thread; returns SPU_OK, or the capture fault that ended it
 * with err filled (every packet before the fault was processed). */
int split_reader_join(struct split_reader *s, struct spu_error *err);

/* CPU time the thread spent running its worker (estimated as in
 * dispatch_own_cpu_ns), after join. */
uint64_t split_reader_own_cpu_ns(const struct split_reader *s);

/* Joins if needed, frees the dispatcher and closes the capture. NULL is a
 * no-op. */
void split_reader_free(struct split_reader *s);

#endif
