/*
 * run.h - one spurun run: open the source and the EVE output, start the
 * workers, dispatch until the capture ends or a stop is requested, then
 * drain the queues, end every flow, write the last stats event, flush and
 * close. Also the --bare baseline loop.
 *
 * Bundles: run_main() loads and verifies every -b bundle (runtime/vm/
 * bundle.h) before the capture is opened or any thread starts; a bundle
 * that fails to load ends the run with the loader's error (section and
 * offset). Loaded bundles are held for the run and listed in every stats
 * event (spu.bundles: name, file, SHA-256, signed). Running them on
 * traffic is the rule engine's and the grammar VM's part: they plug in
 * through worker_cfg.hooks (runtime events) and worker_cfg.consumer
 * (stream data); with none, workers run the no-bundle mode of issue 3.
 *
 * Called from main() on the main thread, which is also the dispatcher and
 * writes the stats events. Nothing here prints: progress and the summary go
 * to the caller through run_progress_fn and struct run_report.
 */
#ifndef SPU_RUN_H
#define SPU_RUN_H

#include <signal.h>
#include <stdint.h>

struct config;
struct spu_error;

struct run_report {
    uint64_t packets, bytes;
    double seconds;
    uint64_t flows;          /* flows ended (flow events) */
    uint64_t events;         /* EVE lines written */
    uint64_t queue_drops, kernel_drops, kernel_packets;
    uint64_t bytes_copied;   /* spu.stream.bytes_copied */
    uint64_t dispatch_ns;    /* time the dispatcher spent on packets (wall, waits for
                              * a full worker queue included) */
    uint64_t dispatch_cpu_ns;  /* CPU time of the dispatcher thread in its loop */
    uint64_t dispatch_wall_ns; /* wall time of that loop */
    uint64_t own_ns;           /* --split-read: CPU time that loop spent running
                                * worker 0, estimated from one batch in 16 (0 otherwise) */
    unsigned workers;
    int capture_error;       /* SPU_E* of a capture fault, or 0 */
    char top_rules[4096];    /* --top-rules summary (lines), or empty */
    char inline_counts[2048]; /* --inline: verdict counters (one line), then one line
                               * per queuing class (as many as fit), or empty */
};

struct run_progress {
    double fraction;         /* of the file(s) read, or -1 for live */
    uint64_t packets, bytes;
    double seconds;
};

typedef void (*run_progress_fn)(void *ctx, const struct run_progress *p);

/* Run as configured until the end of the capture or until *stop becomes
 * non-zero. Returns 0, or a negative SPU_E*: setup errors (nothing ran) and
 * capture faults (err says where; the report is filled, events flushed). */
int run_main(const struct config *c, volatile sig_atomic_t *stop, run_progress_fn progress,
             void *progress_ctx, struct run_report *rep, struct spu_error *err);

struct run_service;
struct output_tap;
struct apps_hold;
struct logger;

/* What a run may be given besides its configuration; every member but
 * `stop` may be NULL. */
struct run_env {
    volatile sig_atomic_t *stop;
    volatile sig_atomic_t *reopen; /* SIGUSR1: reopen the EVE file (reset by the run) */
    /* Called on the main thread after each reopen of the EVE file (SIGUSR1
     * or spuctl reopen): the caller reopens its own files (the log). */
    void (*reopened)(void *ctx);
    void *reopened_ctx;
    run_progress_fn progress;
    void *progress_ctx;
    struct run_service *svc;      /* control socket: queries, shutdown */
    const struct output_tap *tap; /* EVE subscribers (control_publish) */
    const char *read_path;        /* read this file instead of c->read_path */
    /* Called once the capture and the EVE output are open and before any
     * packet is read (privilege drop); a negative return ends the run. */
    int (*opened)(void *ctx, struct spu_error *err);
    void *opened_ctx;
    /* Applications (apps.h): the run publishes its set here for the
     * control socket's load/reload/... commands (NULL: none), reloads
     * every bundle from its file when *reload becomes non-zero (SIGHUP;
     * reset by the run), and logs their changes to log. */
    struct apps_hold *apps;
    volatile sig_atomic_t *reload;
    struct logger *log;
};

/* run_main with an environment: the control socket's service answered
 * between dispatch steps (a shutdown request stops the run as SIGTERM
 * does), the EVE tap, the capture file of a queued run. */
int run_main_env(const struct config *c, const struct run_env *env, struct run_report *rep,
                 struct spu_error *err);

/* --bare: read -r the same way, decode every packet's headers and hash its
 * flow key, nothing else. */
int run_bare(const struct config *c, volatile sig_atomic_t *stop, struct run_report *rep,
             struct spu_error *err);

#endif
