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

/* Publish the grammars of the running applications to p (borrowed; it
 * outlives a) after each change, as the set of their bundles with their
 * slots (app-pub.h), so that the application layer parses new flows with
 * them and moves flows at their next message boundary. Without it
 * (NULL, the default) only the rules change. */
struct app_pub;
void apps_set_grammars(struct apps *a, struct app_pub *p);

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
 * *res: {"name", "lists": [...]}. add/remove: apps_list_values. */
int apps_list(struct apps *a, const char *name, const char *op, const char *list, json_t **res,
              struct spu_error *err);

/* apps_list with the ops that change a list live: "add" and "remove" put
 * `values` (a JSON array of strings, borrowed; entries written as in the
 * list's file) into list `list` or take them out, then the list is built
 * again (declaration, file read now, every live edit of it, the last edit
 * of a value winning) and swapped in while traffic flows; the rules see
 * the new list from their next event. A remove of a value the list does
 * not hold, a bad address, a remove from a regex list (patterns are not
 * kept as text) or a file that no longer reads refuse the whole request
 * (the list and its edits stay as they were). "reload" keeps the live
 * edits. An application reload drops them (the new bundle's lists are
 * its own); at most 65536 are kept per application. */
int apps_list_values(struct apps *a, const char *name, const char *op, const char *list,
                     const json_t *values, json_t **res, struct spu_error *err);

/* Reload every application from its file, one at a time (those that fail
 * keep running as they were). *res: {"reloaded": N, "failed": N,
 * "apps": [result or {"name", "error"}]}. Returns 0, or the error of the
 * last failure (err). */
int apps_reload_all(struct apps *a, json_t **res, struct spu_error *err);

/* {"apps": [{"name", "file", "sha256", "state", "signed"}], "slots": N} (new). */
json_t *apps_status(struct apps *a);

/* Reload outcomes since the start (new; never waits on a change in
 * progress: a snapshot taken after each change): {"ok": N, "failed": N,
 * "apps": [{"app", "ok", "failed"}]}, every reload (spuctl reload, SIGHUP)
 * counted once, by application while it is loaded; a reload of an unknown
 * name counts as failed in the totals only. */
json_t *apps_reload_stats(struct apps *a);

/* SIGHUP (main thread): reload every application on a thread of its own,
 * unless one such reload is still running (then it is counted and
 * skipped). */
void apps_sighup(struct apps *a);

#endif
