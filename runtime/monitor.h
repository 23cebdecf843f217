/*
 * monitor.h - `spurun --monitor redis://HOST:PORT/STREAM` (docs/spam.md):
 * the central monitor of the spam-source deployment. It reads the records
 * that sensors publish on the stream (report.h), raises one monitor.counts
 * event per record in the rule engine (the -b bundles, rules/spam.spr) with
 * the shared state store (--state), and writes the alerts to its EVE
 * output; its lists (the blacklist) reach the sensors through the store.
 *
 * It reads from the end of the stream as it was at start-up; after a
 * reconnection it goes on from the last record read, or from the start
 * when the stream was recreated (its newest id is older than that record).
 * Runs on the calling (main) thread until *stop.
 */
#ifndef SPU_MONITOR_H
#define SPU_MONITOR_H

#include <signal.h>
#include <stdint.h>

struct config;
struct spu_error;

struct monitor_report {
    uint64_t records, bad_records, events, reconnects, errors;
};

/* SPU_OK at *stop, or a setup error (nothing ran) with err. */
int monitor_run(const struct config *c, volatile sig_atomic_t *stop, struct monitor_report *rep,
                struct spu_error *err);

#endif
