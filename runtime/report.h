/*
 * report.h - the sensor's count publisher (docs/spam.md): Report(addr) in
 * a rule counts one connection of addr; a thread publishes the counts per
 * source to a Redis stream at least every second (every 500 ms by
 * default), one record per source with connections in the interval:
 *
 *   XADD STREAM MAXLEN ~ 100000 * sensor NAME src ADDR count N window MS ts MS
 *
 * (ts: the event time of the last connection counted; window: from the
 * first to the last, at least 1). While Redis is unreachable the counts
 * stay in the table and add up (at most 65,536 sources; past that a
 * source's connections are dropped and counted), and go out together
 * after the reconnection. report_add() is called by any worker.
 */
#ifndef SPU_REPORT_H
#define SPU_REPORT_H

#include <stdint.h>

struct spu_error;
struct report;

struct report_stats {
    uint64_t counted, records, dropped, errors, reconnects, flushes;
};

/* url: redis://HOST:PORT/STREAM. Returns new (its thread started), or NULL
 * with err. */
struct report *report_new(const char *url, const char *sensor, unsigned interval_ms,
                          struct spu_error *err);
/* Publish what is left, stop the thread, free. NULL: no-op. */
void report_free(struct report *r);

/* detect_cfg.report: count one connection. SPU_OK or SPU_ELIMIT (full). */
int report_add(void *ctx, const uint8_t ip[16], uint16_t family, int64_t ts_ms);

void report_stats(struct report *r, struct report_stats *out);

#endif
