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

/* ---- the table: control.def's rows, each answered by cmd_<field> ---- */

/* What a command needs of the run (control.def's NEED column). */
enum run_cmd_need {
    NEED_RUN,    /* only rc */
    NEED_APPS,   /* the run's applications: offered only when rc->apps is set */
    NEED_ENGINE, /* their rule engine: as NEED_APPS */
};

struct run_cmd {
    enum run_cmd_need need;
    run_cmd_fn fn;
};

static const struct run_cmd rows[CONTROL_CMD__COUNT] = {
#define CONTROL_CMD(id, field, name, spec, need, help)                                             \
    [CONTROL_CMD_##id] = {NEED_##need, cmd_##field},
#include "control.def"
#undef CONTROL_CMD
};

/* The error of a NEED_APPS or NEED_ENGINE row while no run holds
 * applications. */
static const char *refusal(enum run_cmd_need need)
{
    return need == NEED_ENGINE ? "no rule engine is running (shuns live in a run)"
                               : "no capture is running (applications live in a run)";
}

/* Run row c: NEED_APPS and NEED_ENGINE rows hold rc->apps->mu for the
 * whole call. */
static int run_row(struct run_commands *rc, enum control_cmd c, const json_t *args, json_t **result,
                   struct spu_error *err)
{
    const struct run_cmd *row = &rows[c];
    if (row->need == NEED_RUN)
        return row->fn(rc, NULL, args, result, err);
    pthread_mutex_lock(&rc->apps->mu);
    struct apps *a = rc->apps->a;
    int r = a ? row->fn(rc, a, args, result, err)
              : spu_error_set(err, SPU_ESTATE, "%s", refusal(row->need));
    pthread_mutex_unlock(&rc->apps->mu);
    return r;
}

/* The control socket calls a handler with its ctx only: one entry point
 * per row, generated, that names its row. */
#define CONTROL_CMD(id, field, name, spec, need, help)                                             \
    static int entry_##field(void *ctx, const json_t *args, json_t **result,                       \
                             struct spu_error *err)                                                \
    {                                                                                              \
        return run_row(ctx, CONTROL_CMD_##id, args, result, err);                                  \
    }
#include "control.def"
#undef CONTROL_CMD

void run_commands_handlers(struct run_commands *rc, struct control_handlers *h)
{
    memset(h, 0, sizeof(*h));
    h->ctx = rc;
#define CONTROL_CMD(id, field, name, spec, need, help)                                             \
    if (NEED_##need == NEED_RUN || rc->apps)                                                       \
        h->field = entry_##field;
#include "control.def"
#undef CONTROL_CMD
}
