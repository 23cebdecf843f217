/*
 * metrics.h - the --metrics ADDR:PORT endpoint: Prometheus text over HTTP,
 * served by libmicrohttpd's own thread (no HTTP code of ours).
 *
 * The server never reads the packet path itself: the main thread renders a
 * stats record (metrics-text.h) and publishes the text; each scrape of
 * /metrics gets the latest published text, under a mutex held only to copy
 * it. Any other path answers 404.
 *
 * metrics_server_new/_free/_publish: main thread. The handler runs on the
 * library's thread.
 */
#ifndef SPU_METRICS_H
#define SPU_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct spu_error;
struct metrics_server;

/* Listen on "ADDR:PORT" ("127.0.0.1:9100", "[::1]:9100", ":9100" or "9100"
 * for every address; port 0 picks a free one). Returns new, or NULL with err
 * filled (bad address, port in use). */
struct metrics_server *metrics_server_new(const char *addr_port, struct spu_error *err);

/* The port it listens on (useful with port 0). */
uint16_t metrics_server_port(const struct metrics_server *m);

/* Replace the text served; takes ownership of `text` (malloc'd, or NULL:
 * nothing changes). */
void metrics_server_publish(struct metrics_server *m, char *text);

/* Scrapes answered so far. */
uint64_t metrics_server_scrapes(const struct metrics_server *m);

/* Stop the server and free; NULL is a no-op. */
void metrics_server_free(struct metrics_server *m);

#endif
