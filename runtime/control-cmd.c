/* control-cmd.c - request checking and the command table (see control-cmd.h). */
#include "control-cmd.h"

#include "err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cmd_info {
    const char *name, *args, *help;
};

static const struct cmd_info cmds[CONTROL_CMD__COUNT] = {
#define CONTROL_CMD(id, field, name, args, need, help) {name, args, help},
#include "control.def"
#undef CONTROL_CMD
};

const char *control_cmd_name(enum control_cmd c)
{
    return (unsigned)c < CONTROL_CMD__COUNT ? cmds[c].name : "?";
}

const char *control_cmd_args(enum control_cmd c)
{
    return (unsigned)c < CONTROL_CMD__COUNT ? cmds[c].args : "";
}

const char *control_cmd_help(enum control_cmd c)
{
    return (unsigned)c < CONTROL_CMD__COUNT ? cmds[c].help : "";
}

int control_cmd_find(const char *name)
{
    for (unsigned i = 0; i < CONTROL_CMD__COUNT; i++)
        if (strcmp(cmds[i].name, name) == 0)
            return (int)i;
    return -1;
}

static control_fn handler_of(const struct control_handlers *h, enum control_cmd c)
{
    switch (c) {
#define CONTROL_CMD(id, field, name, args, need, help)                                             \
    case CONTROL_CMD_##id:                                                                         \
        return h->field;
#include "control.def"
#undef CONTROL_CMD
    default:
        return NULL;
    }
}

int control_cmd_available(const struct control_handlers *h, enum control_cmd c)
{
    return h && handler_of(h, c) != NULL;
}

/* One KEY:TYPE[?] of a spec; returns the spec after it, or NULL at the end. */
static const char *spec_next(const char *s, char *key, size_t klen, char *type, bool *optional)
{
    while (*s == ' ')
        s++;
    if (!*s)
        return NULL;
    const char *colon = strchr(s, ':');
    size_t n = (size_t)(colon - s);
    snprintf(key, klen, "%.*s", (int)n, s);
    *type = colon[1];
    *optional = colon[2] == '?';
    s = colon + 2 + (*optional ? 1 : 0);
    return s;
}

static const char *type_name(char t)
{
    switch (t) {
    case 's':
        return "a string";
    case 'i':
        return "a non-negative integer";
    case 'b':
        return "true or false";
    default:
        return "an array of strings";
    }
}

static bool type_ok(char t, const json_t *v)
{
    switch (t) {
    case 's':
        return json_is_string(v) && json_string_length(v) > 0;
    case 'i':
        return json_is_integer(v) && json_integer_value(v) >= 0;
    case 'b':
        return json_is_boolean(v);
    default: {
        if (!json_is_array(v))
            return false;
        size_t i;
        const json_t *e;
        json_array_foreach(v, i,
                           e) if (!json_is_string(e) || json_string_length(e) == 0) return false;
        return true;
    }
    }
}

int control_cmd_check_args(enum control_cmd c, const json_t *args, struct spu_error *err)
{
    const char *name = control_cmd_name(c);
    if (args && !json_is_object(args))
        return spu_error_set(err, SPU_EINVAL, "%s: \"arguments\" must be an object", name);
    char key[64], type;
    bool opt;
    const char *s = control_cmd_args(c);
    while ((s = spec_next(s, key, sizeof(key), &type, &opt))) {
        const json_t *v = args ? json_object_get(args, key) : NULL;
        if (!v) {
            if (!opt)
                return spu_error_set(err, SPU_EINVAL, "%s: missing argument \"%s\" (%s)", name, key,
                                     type_name(type));
            continue;
        }
        if (!type_ok(type, v))
            return spu_error_set(err, SPU_EINVAL, "%s: argument \"%s\" must be %s", name, key,
                                 type_name(type));
    }
    if (args) {
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)args, k, v)
        {
            /* every member must be named by the spec */
            bool known = false;
            s = control_cmd_args(c);
            while (!known && (s = spec_next(s, key, sizeof(key), &type, &opt)))
                known = strcmp(key, k) == 0;
            if (!known)
                return spu_error_set(err, SPU_EINVAL, "%s: unknown argument \"%s\"", name, k);
        }
    }
    return SPU_OK;
}

/* A message as a JSON string: error texts quote the request and may be cut
 * inside a UTF-8 sequence by the error buffer's size, which jansson refuses;
 * then every non-ASCII byte becomes '?'. */
static json_t *message_string(const char *msg)
{
    json_t *j = json_string(msg);
    if (j)
        return j;
    size_t n = strlen(msg);
    char *t = malloc(n + 1);
    if (!t)
        return NULL;
    for (size_t i = 0; i < n; i++)
        t[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
    t[n] = 0;
    j = json_string(t);
    free(t);
    return j;
}

json_t *control_reply_error(const char *kind, const char *msg, const json_t *id)
{
    json_t *r = json_object();
    if (!r)
        return NULL;
    json_object_set_new(r, "return", json_string("NOK"));
    json_object_set_new(r, "error", json_string(kind));
    json_object_set_new(r, "message", message_string(msg));
    if (id)
        json_object_set(r, "id", (json_t *)id);
    return r;
}

json_t *control_cmd_handle(const struct control_handlers *h, const char *line, size_t len, int *cmd,
                           json_t **args_out)
{
    *cmd = -1;
    if (args_out)
        *args_out = NULL;
    json_error_t je;
    json_t *req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
    if (!req) {
        char msg[300];
        snprintf(msg, sizeof(msg), "not JSON: %s (column %d)", je.text, je.column);
        return control_reply_error("parse", msg, NULL);
    }
    json_t *reply = NULL;
    const json_t *id = json_object_get(req, "id");
    const json_t *jc = json_object_get(req, "command");
    if (!json_is_object(req) || !json_is_string(jc)) {
        reply = control_reply_error("bad-request",
                                    "a request is an object with a \"command\" string", id);
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach(req, k, v)
    {
        if (strcmp(k, "command") && strcmp(k, "arguments") && strcmp(k, "id")) {
            char msg[200];
            snprintf(msg, sizeof(msg), "unknown request member \"%.100s\"", k);
            reply = control_reply_error("bad-request", msg, id);
            goto out;
        }
    }
    int c = control_cmd_find(json_string_value(jc));
    if (c < 0) {
        char msg[200];
        snprintf(msg, sizeof(msg), "unknown command \"%.100s\"", json_string_value(jc));
        reply = control_reply_error("unknown-command", msg, id);
        goto out;
    }
    *cmd = c;
    struct spu_error err;
    spu_error_clear(&err);
    const json_t *args = json_object_get(req, "arguments");
    if (control_cmd_check_args((enum control_cmd)c, args, &err) != SPU_OK) {
        reply = control_reply_error("bad-arguments", err.msg, id);
        goto out;
    }
    if (args_out && args)
        *args_out = json_incref((json_t *)args);
    control_fn fn = h ? handler_of(h, (enum control_cmd)c) : NULL;
    if (!fn) {
        char msg[200];
        snprintf(msg, sizeof(msg), "%s: not available in this build", control_cmd_name(c));
        reply = control_reply_error("not-available", msg, id);
        goto out;
    }
    json_t *empty = NULL;
    if (!args)
        args = empty = json_object();
    json_t *result = NULL;
    int rc = fn(h->ctx, args, &result, &err);
    json_decref(empty);
    if (rc < 0) {
        json_decref(result);
        reply = control_reply_error("failed", err.msg[0] ? err.msg : spu_strerror(rc), id);
        goto out;
    }
    reply = json_object();
    json_object_set_new(reply, "return", json_string("OK"));
    json_object_set_new(reply, "message", result ? result : json_string("ok"));
    if (id)
        json_object_set(reply, "id", (json_t *)id);
out:
    json_decref(req);
    return reply;
}
