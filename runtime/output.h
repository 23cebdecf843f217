/*
 * output.h - the EVE writer: whole JSON lines from many threads into one file.
 *
 * Each producing thread (a worker, the dispatcher, the main thread for
 * stats) has its own struct output_producer and formats its own lines into
 * a private buffer. A full buffer is handed to the single writer thread
 * through that producer's SPSC ring and a spare one taken back from another
 * ring, so producers never lock and never wait on the disk unless every one
 * of their buffers is queued (then they wait: records are never dropped).
 * The writer writes whole buffers, which only ever hold whole lines, so no
 * line is torn. output_close() flushes every producer's pending buffer,
 * lets the writer drain everything, joins it and closes the file.
 *
 * With nothing queued the writer sleeps: a hand-off, a reopen request or
 * the close wakes it (a system call only when it sleeps), and it sets a
 * timer only for rotation by age, until the current file comes of age.
 *
 * output_open/output_close: main thread. output_producer_*: the producer's
 * own thread only (one thread per producer index).
 */
#ifndef SPU_OUTPUT_H
#define SPU_OUTPUT_H

#include <stddef.h>
#include <stdint.h>

struct spu_error;
struct output;
struct output_producer;

/* Open `path` for appending ("-" = standard output) and start the writer,
 * with `nproducers` producer slots. Returns new, or NULL with err filled. */
struct output *output_open(const char *path, unsigned nproducers, struct spu_error *err);

/* Rotation of the file by size or age (0 = not by that). */
struct output_rotate {
    uint64_t bytes;   /* a file holds at most this many bytes (unless one line is longer) */
    uint64_t seconds; /* a file is rotated once it is this old and not empty,
                       * with lines arriving or not */
};

/* output_open, with rotation: when the file reaches rot->bytes or
 * rot->seconds, the writer renames it to PATH.N (the next N from 1 that is
 * free) and opens PATH anew. A rotation falls between two lines: every
 * line is whole in exactly one file. rot may be NULL; ignored for "-". */
struct output *output_open_rotating(const char *path, unsigned nproducers,
                                    const struct output_rotate *rot, struct spu_error *err);

/* Ask the writer to close and reopen the path before its next write (after
 * logrotate moved the file away; SIGUSR1). Any thread; lines are never torn:
 * the switch happens between buffers of whole lines. */
void output_reopen(struct output *o);

/* Bytes of line buffers allocated (any thread; a snapshot). The pool is
 * fixed at open (NBUF buffers per producer), growing only for a line longer
 * than a buffer; a producer whose buffers are all queued waits for the
 * writer (back-pressure) rather than allocating. output_memcap: the fixed
 * pool's size. */
uint64_t output_memuse(const struct output *o);
uint64_t output_memcap(const struct output *o);

/* Records handed to the output, by event type (the "event_type" of each
 * line, counted by its producer; past OUTPUT_MAX_TYPES types per producer
 * the last slot counts the rest). */
#define OUTPUT_MAX_TYPES 64
struct output_type_count {
    char type[32];
    uint64_t records;
};

/* Sum every producer's counts into out, at most `max` types (any thread;
 * a snapshot). Returns how many. */
unsigned output_type_counts(struct output *o, struct output_type_count *out, unsigned max);

/* Rotations and reopens done so far (any thread; a snapshot). */
uint64_t output_rotations(const struct output *o);
uint64_t output_reopens(const struct output *o);
/* A second destination: the writer thread calls fn(ctx, data, len) with
 * each buffer of whole lines after writing it to the file, before the tap
 * below. Unlike the tap it may wait (eve-redis.c: back-pressure), and the
 * producers then wait too. Set before any line is produced. */
typedef int (*output_sink_fn)(void *ctx, const char *data, size_t len);
void output_set_sink(struct output *o, output_sink_fn fn, void *ctx);

/* Producer slot `idx` (< nproducers); borrowed, lives until output_close. */
struct output_producer *output_producer(struct output *o, unsigned idx);

/* Append one line (without its newline; one is added). The line is copied.
 * Returns 0, or SPU_ENOMEM. */
int output_producer_line(struct output_producer *p, const char *line, size_t len);

/* Hand the partly filled buffer to the writer now (e.g. at an interval or
 * when the producer goes idle). */
void output_producer_flush(struct output_producer *p);

/* Wait until the writer has written every buffer handed off before the
 * call (flush the producers whose lines must be in first). Any thread; at
 * once when nothing is pending. Counters read after it (rotations, records
 * by type) include those lines. */
void output_wait_written(struct output *o);

/* Flush all producers (their threads must have stopped producing), drain,
 * stop the writer, close the file and free. *lines (may be NULL) gets the
 * number of lines written in all. Returns 0 or SPU_EIO when a write
 * failed. NULL is a no-op returning 0. */
int output_close(struct output *o, uint64_t *lines);

/* A tap on the writer: fn(ctx, buf, len) is called on the writer thread
 * with every buffer just written (whole lines, each ending with a
 * newline). It must return quickly and never block (control_publish
 * copies and returns). */
struct output_tap {
    void (*fn)(void *ctx, const char *buf, size_t len);
    void *ctx;
};

/* Install `tap` (borrowed: it must outlive the output; NULL removes it).
 * Main thread, any time. */
void output_set_tap(struct output *o, const struct output_tap *tap);

/* Lines and bytes written so far (any thread; a snapshot). */
uint64_t output_lines(const struct output *o);

#endif
