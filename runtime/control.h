/*
 * control.h - the control socket server of spurun: a Unix stream socket
 * (mode 0600) served by its own thread, one JSON request per line and one
 * JSON reply per line (control-cmd.h), answered by handlers the run
 * provides (struct control_handlers), and live EVE streams to subscribed
 * clients.
 *
 * Subscriptions tap the EVE writer: the output's writer thread hands every
 * buffer it wrote to control_publish(), which copies the lines of the
 * subscribed event types into each subscriber's bounded outbox and returns
 * at once; the control thread sends the outboxes. A subscriber whose
 * outbox is full (a client slower than the traffic) is dropped and
 * counted: the EVE writer never waits for a client.
 *
 * control_new/control_free: main thread. control_publish/control_counters:
 * any thread. Handlers run on the control thread.
 */
#ifndef SPU_CONTROL_H
#define SPU_CONTROL_H

#include "control-cmd.h"

#include <stddef.h>
#include <stdint.h>

struct spu_error;
struct control;

/* Largest request line; a longer one is answered with an error and the
 * connection is closed. */
#define CONTROL_LINE_MAX (64u * 1024u)
/* Bytes a subscriber may have waiting before it is dropped. */
#define CONTROL_SUB_MAX (4u * 1024u * 1024u)

/* The default socket path: /run/spu/spurun.sock for root, else
 * $XDG_RUNTIME_DIR/spu/spurun.sock. Returns 0, or SPU_ENOTFOUND when not
 * root and XDG_RUNTIME_DIR is unset (err says so). */
int control_default_path(char *buf, size_t len, struct spu_error *err);

/* Create the socket at `path` (its directory is created, mode 0700, when
 * missing), owned by the calling user, mode 0600, and start the thread.
 * A live socket at `path` (another spurun answers) is refused with
 * SPU_EEXIST; a stale one (nobody listens) is removed; anything else at
 * `path` is refused. `h` is copied. Returns new, or NULL with err filled. */
struct control *control_new(const char *path, const struct control_handlers *h,
                            struct spu_error *err);

/* Stop the thread, close every connection and remove the socket. NULL is
 * a no-op. */
void control_free(struct control *c);

/* The socket's path (borrowed). */
const char *control_path(const struct control *c);

/* Offer whole EVE lines (`len` bytes, each ending with a newline) to the
 * subscribers. Never blocks on a client. Any thread. */
void control_publish(struct control *c, const char *buf, size_t len);

struct control_counters {
    uint64_t connections;  /* accepted */
    uint64_t requests;     /* lines answered */
    uint64_t bad_requests; /* answered with an error */
    uint64_t subscribers;  /* subscribed now */
    uint64_t sub_dropped;  /* subscribers dropped for being slow */
    uint64_t sub_records;  /* records queued to subscribers */
};

/* A snapshot of the counters (any thread). */
void control_counters(struct control *c, struct control_counters *out);

#endif
