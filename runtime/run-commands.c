/* run-commands.c - the control commands spurun answers (see run-commands.h). */
#include "run-commands.h"

#include "apps.h"
#include "control.h"
#include "err.h"
#include "logger.h"
#include "detect.h"
#include "run-service.h"
#include "shun-cmd.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

static int cmd_stats(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    int r = run_service_query(rc->svc, RUN_QUERY_STATS, rc->timeout_ms, result, err);
    if (r < 0)
        return r;
    struct control *ctl = atomic_load(&rc->ctl);
    if (ctl) {
        struct control_counters k;
        control_counters(ctl, &k);
        json_object_set_new(*result, "control",
                            json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "connections",
                                      (json_int_t)k.connections, "requests", (json_int_t)k.requests,
                                      "bad_requests", (json_int_t)k.bad_requests, "subscribers",
                                      (json_int_t)k.subscribers, "subscribers_dropped",
                                      (json_int_t)k.sub_dropped, "records_streamed",
                                      (json_int_t)k.sub_records));
    }
    return SPU_OK;
}

static int cmd_flows(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    return run_service_query(rc->svc, RUN_QUERY_FLOWS, rc->timeout_ms, result, err);
}

static int cmd_memory(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    return run_service_query(rc->svc, RUN_QUERY_MEMORY, rc->timeout_ms, result, err);
}

static int cmd_reopen(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    int r = run_service_query(rc->svc, RUN_QUERY_REOPEN, rc->timeout_ms, result, err);
    if (r == SPU_OK)
        LOGGER(rc->log, LOGGER_NOTICE, "control: EVE file reopened");
    return r;
}

static int cmd_shutdown(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    LOGGER(rc->log, LOGGER_NOTICE, "control: shutdown requested");
    run_service_shutdown(rc->svc);
    *result = json_string("shutting down");
    return SPU_OK;
}

static int cmd_pcap(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    const char *file = json_string_value(json_object_get(args, "file"));
    int r = run_service_pcap_add(rc->svc, file, result, err);
    if (r == SPU_OK)
        LOGGER(rc->log, LOGGER_NOTICE, "control: queued %s", file);
    else
        LOGGER(rc->log, LOGGER_WARNING, "control: pcap refused: %s", err->msg);
    return r;
}

static int cmd_pcap_status(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    *result = run_service_pcap_status(rc->svc);
    return *result ? SPU_OK : spu_error_set(err, SPU_ENOMEM, "out of memory");
}

/* Event types are dotted lowercase names ("http", "flow", "smtp.command"). */
static bool type_name_ok(const char *s)
{
    if (!*s || strlen(s) > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' ||
              *s == '-'))
            return false;
    return true;
}

static int cmd_subscribe(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    const json_t *types = json_object_get(args, "types");
    size_t i;
    const json_t *t;
    json_array_foreach(types, i, t)
    {
        if (!type_name_ok(json_string_value(t)))
            return spu_error_set(err, SPU_EINVAL, "subscribe: '%.64s' is not an event type name",
                                 json_string_value(t));
    }
    json_t *ty = types ? json_incref((json_t *)types) : json_array();
    *result =
        json_pack("{s:o, s:I}", "types", ty, "max_pending_bytes", (json_int_t)CONTROL_SUB_MAX);
    return *result ? SPU_OK : spu_error_set(err, SPU_ENOMEM, "out of memory");
}

/* ---- applications (apps.h) ---- */

enum app_op { OP_LOAD, OP_RELOAD, OP_STOP, OP_START, OP_UNLOAD, OP_SESSIONS, OP_LIST };

static int app_cmd(struct run_commands *rc, enum app_op op, const json_t *args, json_t **result,
                   struct spu_error *err)
{
    const char *name = json_string_value(json_object_get(args, "name"));
    const char *bundle = json_string_value(json_object_get(args, "bundle"));
    pthread_mutex_lock(&rc->apps->mu);
    struct apps *a = rc->apps->a;
    int r;
    if (!a) {
        r = spu_error_set(err, SPU_ESTATE, "no capture is running (applications live in a run)");
    } else {
        switch (op) {
        case OP_LOAD:
            r = apps_load(a, name, bundle, result, err);
            break;
        case OP_RELOAD:
            r = apps_reload(a, name, bundle, result, err);
            break;
        case OP_STOP:
            r = apps_stop(a, name, result, err);
            break;
        case OP_START:
            r = apps_start(a, name, result, err);
            break;
        case OP_SESSIONS:
            r = apps_sessions(a, name, result, err);
            break;
        case OP_LIST:
            r = apps_list_values(a, name, json_string_value(json_object_get(args, "op")),
                                 json_string_value(json_object_get(args, "list")),
                                 json_object_get(args, "values"), result, err);
            break;
        default:
            r = apps_unload(a, name, result, err);
            break;
        }
    }
    pthread_mutex_unlock(&rc->apps->mu);
    return r;
}

static int cmd_load(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    return app_cmd(ctx, OP_LOAD, args, result, err);
}

static int cmd_reload(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    return app_cmd(ctx, OP_RELOAD, args, result, err);
}

static int cmd_stop(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    return app_cmd(ctx, OP_STOP, args, result, err);
}

static int cmd_start(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    return app_cmd(ctx, OP_START, args, result, err);
}

static int cmd_unload(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    return app_cmd(ctx, OP_UNLOAD, args, result, err);
}

static int cmd_sessions(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    return app_cmd(ctx, OP_SESSIONS, args, result, err);
}

static int cmd_list(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    return app_cmd(ctx, OP_LIST, args, result, err);
}

/* ---- shuns (shun-cmd.h): on the engine of the run's applications ---- */

static int cmd_shun(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    struct run_commands *rc = ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    pthread_mutex_lock(&rc->apps->mu);
    struct apps *a = rc->apps->a;
    int r = !a ? spu_error_set(err, SPU_ESTATE, "no rule engine is running (shuns live in a run)")
               : shun_cmd(detect_engine_shuns(apps_engine(a)),
                          json_string_value(json_object_get(args, "op")),
                          json_string_value(json_object_get(args, "addr")),
                          (int64_t)json_integer_value(json_object_get(args, "seconds")), now_ms,
                          result, err);
    pthread_mutex_unlock(&rc->apps->mu);
    return r;
}

void run_commands_handlers(struct run_commands *rc, struct control_handlers *h)
{
    memset(h, 0, sizeof(*h));
    h->ctx = rc;
    h->stats = cmd_stats;
    h->flows = cmd_flows;
    h->memory = cmd_memory;
    h->reopen = cmd_reopen;
    h->shutdown = cmd_shutdown;
    h->pcap = cmd_pcap;
    h->pcap_status = cmd_pcap_status;
    h->subscribe = cmd_subscribe;
    if (rc->apps) {
        h->load = cmd_load;
        h->reload = cmd_reload;
        h->stop = cmd_stop;
        h->start = cmd_start;
        h->unload = cmd_unload;
        h->sessions = cmd_sessions;
        h->list = cmd_list;
        h->shun = cmd_shun;
    }
}
