/*
 * apps.h - the applications of a running spurun: named bundles, each read
 * from a file, running or stopped, that the workers run through the rule
 * engine's published generations (detect.h, detect_engine_publish).
 *
 * Every change (load, reload, stop, start, unload) is made the same way:
 * the new bundle, if any, is read and verified on the calling thread (the
 * control thread, or the SIGHUP reload thread: never a worker or the
 * dispatcher), then the whole set is published as the next generation.
 * A bundle that fails to load or verify, or a set that cannot be
 * published, is refused with err; what runs is untouched. Changes are
 * serialized; each is logged (with the sessions that carry over or start
 * fresh) and answered as a JSON object for spuctl.
 *
 * struct apps_hold is how the control thread reaches the run's apps: the
 * run sets `a` once its engine runs and clears it before tearing it down,
 * both under `mu`; a handler holds `mu` for its whole change.
 */
#ifndef SPU_APPS_H
#define SPU_APPS_H

#include <jansson.h>
#include <pthread.h>

struct apps;
struct detect_engine;
struct logger;
struct spu_bundle;
struct spu_error;

struct apps_hold {
    pthread_mutex_t mu;
    struct apps *a; /* NULL: no run with applications */
};

/* The applications of engine e (borrowed; outlives them), logging to log
 * (borrowed, may be NULL). Returns new, or NULL when out of memory. */
struct apps *apps_new(struct detect_engine *e, struct logger *log);

/* The engine they run on (borrowed). */
struct detect_engine *apps_engine(struct apps *a);

/* Frees them, after waiting for a SIGHUP reload in progress. NULL: no-op. */
void apps_free(struct apps *a);

/* Record application `name` from `path`, running bundle b (referenced),
 * in the next slot: the engine was built with it (detect_engine_new's
 * order). Returns 0 or SPU_ENOMEM/SPU_EEXIST. */
int apps_adopt(struct apps *a, const char *name, const char *path, struct spu_bundle *b);

/* The changes. On success *res is a new object: {"name", "file",
 * "sha256", "state", "load_ms", "publish_ms", "notes": [...]}. */
int apps_load(struct apps *a, const char *name, const char *path, json_t **res,
              struct spu_error *err);
/* Reload from `path`, or from the application's file when path is NULL;
 * the new file becomes the application's file. */
int apps_reload(struct apps *a, const char *name, const char *path, json_t **res,
                struct spu_error *err);
int apps_stop(struct apps *a, const char *name, json_t **res, struct spu_error *err);
int apps_start(struct apps *a, const char *name, json_t **res, struct spu_error *err);
int apps_unload(struct apps *a, const char *name, json_t **res, struct spu_error *err);

/* The meta sessions of running application `name` (*res: an object by
 * session name, detect_engine_app_sessions). SPU_ENOTFOUND when it does
 * not run. */
int apps_sessions(struct apps *a, const char *name, json_t **res, struct spu_error *err);

/* The lists of application `name` (running or stopped): op "show" (all,
 * or the one named `list`: name, kind, nocase, file, size) or "reload"
 * (list `list` read again from its declaration and file, then swapped in
 * while traffic flows; a bad file is refused, the list in force stays).
 * *res: {"name", "lists": [...]}. add/remove are refused (SPU_EINVAL):
 * change the file and reload the list. */
int apps_list(struct apps *a, const char *name, const char *op, const char *list, json_t **res,
              struct spu_error *err);

/* Reload every application from its file, one at a time (those that fail
 * keep running as they were). *res: {"reloaded": N, "failed": N,
 * "apps": [result or {"name", "error"}]}. Returns 0, or the error of the
 * last failure (err). */
int apps_reload_all(struct apps *a, json_t **res, struct spu_error *err);

/* {"apps": [{"name", "file", "sha256", "state", "signed"}], "slots": N} (new). */
json_t *apps_status(struct apps *a);

/* SIGHUP (main thread): reload every application on a thread of its own,
 * unless one such reload is still running (then it is counted and
 * skipped). */
void apps_sighup(struct apps *a);

#endif
