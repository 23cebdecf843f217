/*
 * control-cmd.h - requests and replies of the control socket, and the
 * command table (control.def) whose handlers the run provides.
 *
 * A request is one line holding a JSON object:
 *   {"command": "pcap", "arguments": {"file": "/tmp/x.pcap"}, "id": 7}
 * "arguments" may be left out when the command takes none; "id" (any JSON
 * value) is echoed in the reply. A reply is one line too:
 *   {"return": "OK", "message": RESULT, "id": 7}
 *   {"return": "NOK", "error": KIND, "message": "text", "id": 7}
 * KIND is one of "parse" (not JSON), "bad-request" (not an object, no
 * command), "unknown-command", "bad-arguments", "not-available" (the run
 * gives no handler for it), "failed" (the handler said no; the message
 * says why).
 *
 * This module only checks requests and calls handlers: it knows nothing of
 * sockets (control.c) or of the run (the handlers' ctx). Handlers run on
 * the control thread.
 */
#ifndef SPU_CONTROL_CMD_H
#define SPU_CONTROL_CMD_H

#include <jansson.h>
#include <stddef.h>

struct spu_error;

enum control_cmd {
#define CONTROL_CMD(id, field, name, args, need, help) CONTROL_CMD_##id,
#include "control.def"
#undef CONTROL_CMD
    CONTROL_CMD__COUNT
};

/* A handler: `args` is the request's checked "arguments" object (borrowed;
 * an empty object when there were none). On success it returns 0 and may
 * set *result to a new JSON value (taken over by the caller; NULL replies
 * "ok"). On failure it returns a negative SPU_E* with err filled. */
typedef int (*control_fn)(void *ctx, const json_t *args, json_t **result, struct spu_error *err);

/* One field per command of control.def; NULL = not available. */
struct control_handlers {
    void *ctx;
#define CONTROL_CMD(id, field, name, args, need, help) control_fn field;
#include "control.def"
#undef CONTROL_CMD
};

/* Name, argument spec and help of a command (static strings). */
const char *control_cmd_name(enum control_cmd c);
const char *control_cmd_args(enum control_cmd c);
const char *control_cmd_help(enum control_cmd c);

/* The command called `name`, or -1. */
int control_cmd_find(const char *name);

/* Whether h provides a handler for c. */
int control_cmd_available(const struct control_handlers *h, enum control_cmd c);

/* Check `args` (may be NULL = none) against the spec of c. Returns 0, or
 * SPU_EINVAL with err saying which argument is wrong and why. */
int control_cmd_check_args(enum control_cmd c, const json_t *args, struct spu_error *err);

/* Answer one request line (without its newline). Returns the reply object
 * (new; never NULL unless out of memory). *cmd is set to the command (or
 * -1 when none was recognised) and *args (may be NULL) to a new reference
 * to its checked arguments (NULL when none or not checked), so the caller
 * can act on a successful subscribe. */
json_t *control_cmd_handle(const struct control_handlers *h, const char *line, size_t len, int *cmd,
                           json_t **args);

/* An error reply (new) of the given kind and message, echoing id (may be
 * NULL). */
json_t *control_reply_error(const char *kind, const char *msg, const json_t *id);

#endif
