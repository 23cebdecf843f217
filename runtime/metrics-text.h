/*
 * metrics-text.h - the Prometheus text exposition format (version 0.0.4) of
 * one EVE stats record, so that a scrape shows exactly what the stats record
 * says.
 *
 * Names are the record's dotted paths with '.' (and any character outside
 * [A-Za-z0-9_]) turned into '_': stats.decoder.pkts -> spu_stats_decoder_pkts,
 * spu.detect.alerts -> spu_detect_alerts. Arrays become labels: an array of
 * numbers is indexed by `worker` (spu.worker_queue_drops), an array of
 * objects takes each object's strings and identity numbers (worker, gid,
 * signature_id, rev) as labels and its other numbers as samples
 * (spu.detect.top_rules, spu.per_worker, spu.bundles). spu.detect.rules (one
 * entry per loaded rule) is left out: per-rule figures are exported for the
 * top N rules by cost only (--top-rules N). Booleans are 0/1.
 *
 * Pure functions, any thread.
 */
#ifndef SPU_METRICS_TEXT_H
#define SPU_METRICS_TEXT_H

#include <jansson.h>
#include <stdbool.h>

/* Render `record` (an EVE stats record; borrowed). `done` is exported as
 * spu_input_done (1 once the input is fully processed and the record is the
 * final one). Returns a new NUL-terminated string (free()), or NULL when out
 * of memory. */
char *metrics_text_render(const json_t *record, bool done);

#endif
