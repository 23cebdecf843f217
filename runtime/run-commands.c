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

/* A command's handler: rc is the run; a is the run's applications, held
 * under rc->apps->mu, for the rows that need them (NULL for the others). */
typedef int (*run_cmd_fn)(struct run_commands *rc, struct apps *a, const json_t *args,
                          json_t **result, struct spu_error *err);

static const char *arg_str(const json_t *args, const char *key)
{
    return json_string_value(json_object_get(args, key));
}

static int cmd_stats(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                     struct spu_error *err)
{
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

static int cmd_flows(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                     struct spu_error *err)
{
    return run_service_query(rc->svc, RUN_QUERY_FLOWS, rc->timeout_ms, result, err);
}

static int cmd_memory(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                      struct spu_error *err)
{
    return run_service_query(rc->svc, RUN_QUERY_MEMORY, rc->timeout_ms, result, err);
}

static int cmd_reopen(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                      struct spu_error *err)
{
    int r = run_service_query(rc->svc, RUN_QUERY_REOPEN, rc->timeout_ms, result, err);
    if (r == SPU_OK)
        LOGGER(rc->log, LOGGER_NOTICE, "control: EVE file reopened");
    return r;
}

static int cmd_shutdown(struct run_commands *rc, struct apps *a, const json_t *args,
                        json_t **result, struct spu_error *err)
{
    LOGGER(rc->log, LOGGER_NOTICE, "control: shutdown requested");
    run_service_shutdown(rc->svc);
    *result = json_string("shutting down");
    return SPU_OK;
}

static int cmd_pcap(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                    struct spu_error *err)
{
    const char *file = arg_str(args, "file");
    int r = run_service_pcap_add(rc->svc, file, result, err);
    if (r == SPU_OK)
        LOGGER(rc->log, LOGGER_NOTICE, "control: queued %s", file);
    else
        LOGGER(rc->log, LOGGER_WARNING, "control: pcap refused: %s", err->msg);
    return r;
}

static int cmd_pcap_status(struct run_commands *rc, struct apps *a, const json_t *args,
                           json_t **result, struct spu_error *err)
{
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

static int cmd_subscribe(struct run_commands *rc, struct apps *a, const json_t *args,
                         json_t **result, struct spu_error *err)
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

/* ---- applications (apps.h): a is the run's, held under rc->apps->mu ---- */

static int cmd_load(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                    struct spu_error *err)
{
    return apps_load(a, arg_str(args, "name"), arg_str(args, "bundle"), result, err);
}

static int cmd_reload(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                      struct spu_error *err)
{
    return apps_reload(a, arg_str(args, "name"), arg_str(args, "bundle"), result, err);
}

static int cmd_stop(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                    struct spu_error *err)
{
    return apps_stop(a, arg_str(args, "name"), result, err);
}

static int cmd_start(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                     struct spu_error *err)
{
    return apps_start(a, arg_str(args, "name"), result, err);
}

static int cmd_unload(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                      struct spu_error *err)
{
    return apps_unload(a, arg_str(args, "name"), result, err);
}

static int cmd_sessions(struct run_commands *rc, struct apps *a, const json_t *args,
                        json_t **result, struct spu_error *err)
{
    return apps_sessions(a, arg_str(args, "name"), result, err);
}

static int cmd_list(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                    struct spu_error *err)
{
    return apps_list_values(a, arg_str(args, "name"), arg_str(args, "op"), arg_str(args, "list"),
                            json_object_get(args, "values"), result, err);
}

/* Shuns (shun-cmd.h) live on the engine of the run's applications. */
static int cmd_shun(struct run_commands *rc, struct apps *a, const json_t *args, json_t **result,
                    struct spu_error *err)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t now_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return shun_cmd(detect_engine_shuns(apps_engine(a)), arg_str(args, "op"), arg_str(args, "addr"),
                    (int64_t)json_integer_value(json_object_get(args, "seconds")), now_ms, result,
                    err);
}

/* ---- the table ---- */

/* What a command's row says it needs. */
enum run_cmd_need {
    NEED_RUN,  /* only rc */
    NEED_APPS, /* the run's applications: offered only when rc->apps is set */
};

static const char NO_APPS[] = "no capture is running (applications live in a run)";
static const char NO_ENGINE[] = "no rule engine is running (shuns live in a run)";

/*
 * RUN_COMMANDS(X): one row per command spurun answers,
 *   X(ID, field, need, handler, refusal)
 * ID and field as in control.def (which gives name, argument spec, help);
 * need is NEED_RUN or NEED_APPS; refusal is the error a NEED_APPS command
 * replies while no run holds applications (NULL for NEED_RUN). Adding a
 * command: its control.def row, its handler above, its row here.
 */
#define RUN_COMMANDS(X)                                                                            \
    X(STATS, stats, NEED_RUN, cmd_stats, NULL)                                                     \
    X(FLOWS, flows, NEED_RUN, cmd_flows, NULL)                                                     \
    X(MEMORY, memory, NEED_RUN, cmd_memory, NULL)                                                  \
    X(REOPEN, reopen, NEED_RUN, cmd_reopen, NULL)                                                  \
    X(SHUTDOWN, shutdown, NEED_RUN, cmd_shutdown, NULL)                                            \
    X(PCAP, pcap, NEED_RUN, cmd_pcap, NULL)                                                        \
    X(PCAP_STATUS, pcap_status, NEED_RUN, cmd_pcap_status, NULL)                                   \
    X(SUBSCRIBE, subscribe, NEED_RUN, cmd_subscribe, NULL)                                         \
    X(LOAD, load, NEED_APPS, cmd_load, NO_APPS)                                                    \
    X(RELOAD, reload, NEED_APPS, cmd_reload, NO_APPS)                                              \
    X(STOP, stop, NEED_APPS, cmd_stop, NO_APPS)                                                    \
    X(START, start, NEED_APPS, cmd_start, NO_APPS)                                                 \
    X(UNLOAD, unload, NEED_APPS, cmd_unload, NO_APPS)                                              \
    X(SESSIONS, sessions, NEED_APPS, cmd_sessions, NO_APPS)                                        \
    X(LIST, list, NEED_APPS, cmd_list, NO_APPS)                                                    \
    X(SHUN, shun, NEED_APPS, cmd_shun, NO_ENGINE)

struct run_cmd {
    enum run_cmd_need need;
    run_cmd_fn fn;
    const char *refusal;
};

static const struct run_cmd rows[CONTROL_CMD__COUNT] = {
#define ROW(id, field, need, fn, refusal) [CONTROL_CMD_##id] = {need, fn, refusal},
    RUN_COMMANDS(ROW)
#undef ROW
};

/* Run row c: NEED_APPS rows hold rc->apps->mu for the whole call. */
static int run_row(struct run_commands *rc, enum control_cmd c, const json_t *args, json_t **result,
                   struct spu_error *err)
{
    const struct run_cmd *row = &rows[c];
    if (row->need == NEED_RUN)
        return row->fn(rc, NULL, args, result, err);
    pthread_mutex_lock(&rc->apps->mu);
    struct apps *a = rc->apps->a;
    int r =
        a ? row->fn(rc, a, args, result, err) : spu_error_set(err, SPU_ESTATE, "%s", row->refusal);
    pthread_mutex_unlock(&rc->apps->mu);
    return r;
}

/* The control socket calls a handler with its ctx only: one entry point
 * per row, generated, that names its row. */
#define ENTRY(id, field, need, fn, refusal)                                                        \
    static int entry_##field(void *ctx, const json_t *args, json_t **result,                       \
                             struct spu_error *err)                                                \
    {                                                                                              \
        return run_row(ctx, CONTROL_CMD_##id, args, result, err);                                  \
    }
RUN_COMMANDS(ENTRY)
#undef ENTRY

void run_commands_handlers(struct run_commands *rc, struct control_handlers *h)
{
    memset(h, 0, sizeof(*h));
    h->ctx = rc;
#define SET(id, field, need, fn, refusal)                                                          \
    if (need == NEED_RUN || rc->apps)                                                              \
        h->field = entry_##field;
    RUN_COMMANDS(SET)
#undef SET
}
