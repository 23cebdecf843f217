/* apps.c - the applications of a run, changed by name and published as
 * rule-engine generations (see apps.h). */
#include "apps.h"

#include "app-pub.h"
#include "bundle.h"
#include "detect.h"
#include "err.h"
#include "logger.h"
#include "lists.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APPS_MAX 64u
#define APPS_MAX_EDITS 65536u /* live list edits kept per application */

/* A value added to or removed from a list while running (spuctl list
 * add/remove): kept so that the list can be built again (its file
 * reloaded) with the edits still applied; the last edit of a value wins. */
struct list_edit {
    uint32_t list;
    bool add;
    bool lenient; /* a remove that undoes a live add: the file may not hold it */
    char *text;
    size_t len;
};

struct app {
    char *name; /* NULL: free slot */
    char *path;
    struct spu_bundle *b;
    bool running;
    uint64_t reloads_ok, reloads_failed; /* this application's reloads */
    struct list_edit *edits;             /* its bundle's lists, edited live */
    unsigned nedits;
};

static void edits_free(struct app *s)
{
    for (unsigned i = 0; i < s->nedits; i++)
        free(s->edits[i].text);
    free(s->edits);
    s->edits = NULL;
    s->nedits = 0;
}

struct apps {
    struct detect_engine *eng;
    struct logger *log;
    pthread_mutex_t mu; /* serializes changes */
    unsigned nslots;
    struct app slot[APPS_MAX];
    pthread_mutex_t smu; /* the status snapshot, for readers that must not wait on a change */
    json_t *status;
    pthread_t hup;
    bool hup_started;
    _Atomic bool hup_running;
    /* reload outcomes (under mu), every reload by command or SIGHUP;
     * readers see them in the snapshot `rstats` (under smu) */
    uint64_t reloads_ok, reloads_failed;
    json_t *rstats;
    struct app_pub *gpub; /* grammar sets (NULL: the rules only) */
};

static void snapshot(struct apps *a);

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct apps *apps_new(struct detect_engine *e, struct logger *log)
{
    struct apps *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->eng = e;
    a->log = log;
    a->nslots = detect_engine_slots(e);
    if (a->nslots > APPS_MAX)
        a->nslots = APPS_MAX;
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->smu, NULL);
    return a;
}

void apps_free(struct apps *a)
{
    if (!a)
        return;
    if (a->hup_started)
        pthread_join(a->hup, NULL);
    for (unsigned i = 0; i < APPS_MAX; i++) {
        free(a->slot[i].name);
        free(a->slot[i].path);
        edits_free(&a->slot[i]);
        spu_bundle_unref(a->slot[i].b);
    }
    json_decref(a->status);
    json_decref(a->rstats);
    pthread_mutex_destroy(&a->smu);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

int apps_adopt(struct apps *a, const char *name, const char *path, struct spu_bundle *b)
{
    pthread_mutex_lock(&a->mu);
    unsigned i = 0;
    while (i < a->nslots && a->slot[i].name)
        i++;
    int rc = SPU_OK;
    if (i == a->nslots) {
        rc = SPU_EEXIST;
    } else {
        struct app *s = &a->slot[i];
        s->name = strdup(name);
        s->path = strdup(path);
        if (!s->name || !s->path) {
            free(s->name);
            free(s->path);
            s->name = s->path = NULL;
            rc = SPU_ENOMEM;
        } else {
            s->b = spu_bundle_ref(b);
            s->running = true;
        }
    }
    snapshot(a);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

static struct app *find(struct apps *a, const char *name)
{
    for (unsigned i = 0; i < a->nslots; i++)
        if (a->slot[i].name && strcmp(a->slot[i].name, name) == 0)
            return &a->slot[i];
    return NULL;
}

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return false;
    return true;
}

static void hex_sha(const struct spu_bundle *b, char out[65])
{
    const uint8_t *ck = spu_bundle_checksum(b);
    for (unsigned j = 0; j < 32; j++)
        snprintf(out + 2 * j, 3, "%02x", ck[j]);
}

static json_t *app_json(const struct app *s);

/* Refresh the status snapshot (a->mu held). */
static void snapshot(struct apps *a)
{
    json_t *l = json_array();
    json_t *per = json_array();
    for (unsigned i = 0; i < a->nslots; i++) {
        const struct app *s = &a->slot[i];
        if (!s->name)
            continue;
        json_array_append_new(l, app_json(s));
        json_array_append_new(per, json_pack("{s:s, s:I, s:I}", "app", s->name, "ok",
                                             (json_int_t)s->reloads_ok, "failed",
                                             (json_int_t)s->reloads_failed));
    }
    json_t *rs = json_pack("{s:I, s:I, s:o}", "ok", (json_int_t)a->reloads_ok, "failed",
                           (json_int_t)a->reloads_failed, "apps", per);
    pthread_mutex_lock(&a->smu);
    json_decref(a->status);
    a->status = l;
    json_decref(a->rstats);
    a->rstats = rs;
    pthread_mutex_unlock(&a->smu);
}

/* Publish the set as it stands (a->mu held). */
static int publish(struct apps *a, json_t *notes, struct spu_error *err)
{
    struct detect_app arr[APPS_MAX];
    for (unsigned i = 0; i < a->nslots; i++) {
        const struct app *s = &a->slot[i];
        arr[i] = (struct detect_app){s->name, s->name && s->running ? s->b : NULL};
    }
    int rc = detect_engine_publish(a->eng, arr, a->nslots, notes, err);
    if (rc != SPU_OK || !a->gpub)
        return rc;
    /* then the grammars: new flows characterize with the running bundles;
     * the rules of the generation just published know their events */
    struct spu_bundle *b[APPS_MAX];
    unsigned slot[APPS_MAX], n = 0;
    for (unsigned i = 0; i < a->nslots; i++)
        if (arr[i].b) {
            b[n] = arr[i].b;
            slot[n++] = i;
        }
    struct spu_error e = {0};
    struct app_gset *gs = app_gset_new(b, slot, n, &e);
    if (!gs) {
        /* the rules run; flows keep the grammars they had */
        LOGGER(a->log, LOGGER_ERROR, "apps: grammars not published: %s", e.msg);
        if (notes)
            json_array_append_new(notes, json_string("grammars not published: out of memory"));
        return SPU_OK;
    }
    app_pub_publish(a->gpub, gs);
    return SPU_OK;
}

void apps_set_grammars(struct apps *a, struct app_pub *p)
{
    pthread_mutex_lock(&a->mu);
    a->gpub = p;
    pthread_mutex_unlock(&a->mu);
}

static json_t *app_json(const struct app *s)
{
    char sha[65] = "";
    if (s->b)
        hex_sha(s->b, sha);
    return json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", s->name, "file", s->path, "sha256", sha,
                     "state", s->running ? "running" : "stopped", "signed",
                     s->b ? spu_bundle_signed(s->b) : 0);
}

/* The answer to a change, and its log lines. */
static json_t *answer(struct apps *a, const char *what, const struct app *s, int64_t t0,
                      int64_t t1, int64_t t2, json_t *notes)
{
    json_t *r = app_json(s);
    json_object_set_new(r, "load_ms", json_real((double)(t1 - t0) / 1e6));
    json_object_set_new(r, "publish_ms", json_real((double)(t2 - t1) / 1e6));
    json_object_set_new(r, "notes", notes);
    LOGGER(a->log, LOGGER_NOTICE, "apps: %s %s (%s): %s, read in %.3f ms, published in %.3f ms",
           what, s->name, s->path, s->running ? "running" : "stopped", (double)(t1 - t0) / 1e6,
           (double)(t2 - t1) / 1e6);
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n)
    {
        LOGGER(a->log, LOGGER_NOTICE, "apps: %s: %s", s->name, json_string_value(n));
    }
    return r;
}

static int refused(struct apps *a, const char *what, const char *name, struct spu_error *err)
{
    LOGGER(a->log, LOGGER_WARNING, "apps: %s %s refused: %s%s%s", what, name, err->where,
           *err->where ? ": " : "", err->msg);
    return err->code ? err->code : SPU_EINVAL;
}

/* Load and verify `path` (a->mu held, never on the packet path). */
static struct spu_bundle *read_bundle(const char *name, const char *path, struct spu_error *err)
{
    struct spu_bundle *b = spu_bundle_load_file(path, NULL, err);
    if (!b) {
        int code = err->code ? err->code : SPU_EFORMAT;
        struct spu_error e = *err;
        spu_error_at(err, code, path, e.offset, "bundle %s: %s%s%s", name, e.where,
                     *e.where ? ": " : "", e.msg);
    }
    return b;
}

int apps_load(struct apps *a, const char *name, const char *path, json_t **res,
              struct spu_error *err)
{
    if (!name_ok(name)) {
        spu_error_set(err, SPU_EINVAL, "load: '%.64s' is not an application name", name);
        return refused(a, "load", name, err);
    }
    pthread_mutex_lock(&a->mu);
    int rc = SPU_OK;
    unsigned i = 0;
    while (i < a->nslots && a->slot[i].name)
        i++;
    if (find(a, name)) {
        rc = spu_error_set(err, SPU_EEXIST, "application %s is loaded already (reload it)", name);
    } else if (i == a->nslots) {
        rc = spu_error_set(err, SPU_ESTATE, "%u applications loaded already", a->nslots);
    }
    if (rc != SPU_OK) {
        pthread_mutex_unlock(&a->mu);
        return refused(a, "load", name, err);
    }
    int64_t t0 = mono_ns();
    struct spu_bundle *b = read_bundle(name, path, err);
    int64_t t1 = mono_ns();
    struct app *s = &a->slot[i];
    json_t *notes = json_array();
    if (b) {
        s->name = strdup(name);
        s->path = strdup(path);
        s->b = b;
        s->running = true;
        if (!s->name || !s->path)
            rc = spu_error_set(err, SPU_ENOMEM, "out of memory");
        else
            rc = publish(a, notes, err);
        if (rc != SPU_OK) {
            free(s->name);
            free(s->path);
            spu_bundle_unref(s->b);
            memset(s, 0, sizeof(*s));
        }
    } else {
        rc = err->code ? err->code : SPU_EFORMAT;
    }
    if (rc == SPU_OK)
        *res = answer(a, "loaded", s, t0, t1, mono_ns(), notes);
    else
        json_decref(notes);
    snapshot(a);
    pthread_mutex_unlock(&a->mu);
    return rc == SPU_OK ? rc : refused(a, "load", name, err);
}

/* Count a reload's outcome (a->mu held; s NULL: no such application). */
static void count_reload(struct apps *a, struct app *s, bool ok)
{
    if (ok)
        a->reloads_ok++;
    else
        a->reloads_failed++;
    if (s && ok)
        s->reloads_ok++;
    else if (s)
        s->reloads_failed++;
}

/* Reload one application (a->mu held). */
static int reload_one(struct apps *a, struct app *s, const char *path, json_t **res,
                         struct spu_error *err)
{
    const char *file = path ? path : s->path;
    int64_t t0 = mono_ns();
    struct spu_bundle *b = read_bundle(s->name, file, err);
    int64_t t1 = mono_ns();
    if (!b)
        return err->code ? err->code : SPU_EFORMAT;
    char *np = strdup(file);
    if (!np) {
        spu_bundle_unref(b);
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    }
    struct spu_bundle *old = s->b;
    s->b = b;
    json_t *notes = json_array();
    int rc = publish(a, notes, err);
    if (rc != SPU_OK) {
        s->b = old;
        spu_bundle_unref(b);
        free(np);
        json_decref(notes);
        return rc;
    }
    spu_bundle_unref(old);
    free(s->path);
    s->path = np;
    edits_free(s); /* the new bundle's lists are its declarations and files */
    *res = answer(a, "reloaded", s, t0, t1, mono_ns(), notes);
    return SPU_OK;
}

static int reload_locked(struct apps *a, struct app *s, const char *path, json_t **res,
                         struct spu_error *err)
{
    int rc = reload_one(a, s, path, res, err);
    count_reload(a, s, rc == SPU_OK);
    return rc;
}

int apps_reload(struct apps *a, const char *name, const char *path, json_t **res,
                struct spu_error *err)
{
    pthread_mutex_lock(&a->mu);
    struct app *s = find(a, name);
    int rc = s ? reload_locked(a, s, path, res, err)
               : spu_error_set(err, SPU_ENOTFOUND, "no application %.64s", name);
    if (!s)
        count_reload(a, NULL, false);
    snapshot(a);
    pthread_mutex_unlock(&a->mu);
    return rc == SPU_OK ? rc : refused(a, "reload", name, err);
}

/* stop/start: running = to. */
static int set_running(struct apps *a, const char *what, const char *name, bool to, json_t **res,
                       struct spu_error *err)
{
    pthread_mutex_lock(&a->mu);
    struct app *s = find(a, name);
    int rc = SPU_OK;
    if (!s)
        rc = spu_error_set(err, SPU_ENOTFOUND, "no application %.64s", name);
    else if (s->running == to)
        rc = spu_error_set(err, SPU_ESTATE, "application %s is %s already", name,
                           to ? "running" : "stopped");
    int64_t t0 = mono_ns();
    json_t *notes = NULL;
    if (rc == SPU_OK) {
        s->running = to;
        notes = json_array();
        rc = publish(a, notes, err);
        if (rc != SPU_OK) {
            s->running = !to;
            json_decref(notes);
        }
    }
    if (rc == SPU_OK)
        *res = answer(a, what, s, t0, t0, mono_ns(), notes);
    snapshot(a);
    pthread_mutex_unlock(&a->mu);
    return rc == SPU_OK ? rc : refused(a, what, name, err);
}

int apps_stop(struct apps *a, const char *name, json_t **res, struct spu_error *err)
{
    return set_running(a, "stopped", name, false, res, err);
}

int apps_start(struct apps *a, const char *name, json_t **res, struct spu_error *err)
{
    return set_running(a, "started", name, true, res, err);
}

int apps_unload(struct apps *a, const char *name, json_t **res, struct spu_error *err)
{
    pthread_mutex_lock(&a->mu);
    struct app *s = find(a, name);
    int rc = SPU_OK;
    if (!s) {
        rc = spu_error_set(err, SPU_ENOTFOUND, "no application %.64s", name);
    } else {
        struct app keep = *s;
        memset(s, 0, sizeof(*s));
        json_t *notes = json_array();
        int64_t t0 = mono_ns();
        rc = publish(a, notes, err);
        if (rc != SPU_OK) {
            *s = keep;
            json_decref(notes);
        } else {
            keep.running = false;
            *res = answer(a, "unloaded", &keep, t0, t0, mono_ns(), notes);
            free(keep.name);
            free(keep.path);
            edits_free(&keep);
            spu_bundle_unref(keep.b);
        }
    }
    snapshot(a);
    pthread_mutex_unlock(&a->mu);
    return rc == SPU_OK ? rc : refused(a, "unload", name, err);
}

int apps_sessions(struct apps *a, const char *name, json_t **res, struct spu_error *err)
{
    json_t *r = detect_engine_app_sessions(a->eng, name);
    if (!r)
        return spu_error_set(err, SPU_ENOTFOUND, "no running application %.64s", name);
    *res = json_pack("{s:s, s:o}", "name", name, "sessions", r);
    return SPU_OK;
}

static json_t *list_json(const struct spu_bundle *b, uint32_t i)
{
    uint32_t n;
    const struct spu_blist *l = &spu_bundle_lists_raw(b, &n)[i];
    uint32_t nl, pl;
    const char *name = spu_bundle_str(b, l->name, &nl);
    const char *path = spu_bundle_str(b, l->path, &pl);
    const struct spu_listset *set = spu_lists_get(spu_bundle_lists(b), i);
    static const char *const kinds[] = {"?", "string", "ip", "regex"};
    json_t *o = json_object();
    json_object_set_new(o, "list", json_stringn(name, nl));
    json_object_set_new(o, "kind", json_string(kinds[l->kind <= 3 ? l->kind : 0]));
    json_object_set_new(o, "nocase", json_boolean(l->flags & SPU_LISTF_NOCASE));
    if (l->flags & SPU_LISTF_FILE)
        json_object_set_new(o, "file", json_stringn(path, pl));
    json_object_set_new(o, "size", json_integer(set ? (json_int_t)spu_listset_size(set) : 0));
    return o;
}

/* The rebuild's edits: those of list `list` in order; the ones from
 * index `fresh` on are this request's, whose removals must find their
 * value (earlier ones may have been overtaken by the file). */
struct edit_ctx {
    const struct app *s;
    uint32_t list;
    unsigned fresh;
};

static int apply_edits(void *ctx, struct spu_listset *set, struct spu_error *err)
{
    const struct edit_ctx *ec = ctx;
    for (unsigned i = 0; i < ec->s->nedits; i++) {
        const struct list_edit *e = &ec->s->edits[i];
        if (e->list != ec->list)
            continue;
        int rc = e->add ? spu_listset_add_text(set, e->text, e->len, err)
                        : spu_listset_remove_text(set, e->text, e->len, err);
        if (rc == SPU_ENOTFOUND && (i < ec->fresh || e->lenient))
            rc = SPU_OK;
        if (rc != SPU_OK)
            return rc;
    }
    return SPU_OK;
}

/* A copy of s's edits in c (c->edits, c->nedits), to restore on a refusal. */
static int edits_copy(const struct app *s, struct app *c, struct spu_error *err)
{
    c->edits = s->nedits ? malloc(s->nedits * sizeof(*c->edits)) : NULL;
    if (s->nedits && !c->edits)
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    for (unsigned i = 0; i < s->nedits; i++) {
        c->edits[i] = s->edits[i];
        if (!(c->edits[i].text = malloc(s->edits[i].len + 1))) {
            c->nedits = i;
            edits_free(c);
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        }
        memcpy(c->edits[i].text, s->edits[i].text, s->edits[i].len + 1);
    }
    c->nedits = s->nedits;
    return SPU_OK;
}

/* Append this request's edits (a->mu held); the last edit of a value wins,
 * so an earlier one of the same value goes. */
static int edits_add(struct app *s, uint32_t list, bool add, const json_t *values,
                     struct spu_error *err)
{
    size_t i;
    json_t *v;
    json_array_foreach(values, i, v)
    {
        const char *t = json_string_value(v);
        size_t n = json_string_length(v);
        if (!t)
            return spu_error_set(err, SPU_EINVAL, "list %s: values must be strings",
                                 add ? "add" : "remove");
        bool undoes_add = false;
        for (unsigned k = 0; k < s->nedits; k++) {
            struct list_edit *e = &s->edits[k];
            if (e->list == list && e->len == n && memcmp(e->text, t, n) == 0) {
                undoes_add = e->add && !add;
                free(e->text);
                memmove(e, e + 1, (s->nedits - k - 1) * sizeof(*e));
                s->nedits--;
                break;
            }
        }
        if (s->nedits >= APPS_MAX_EDITS)
            return spu_error_set(err, SPU_ELIMIT,
                                 "%u live list edits already: put the values in the list's file",
                                 APPS_MAX_EDITS);
        struct list_edit *ne = realloc(s->edits, (s->nedits + 1) * sizeof(*ne));
        if (!ne)
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        s->edits = ne;
        char *copy = malloc(n + 1);
        if (!copy)
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        memcpy(copy, t, n + 1);
        s->edits[s->nedits++] = (struct list_edit){list, add, undoes_add, copy, n};
    }
    return SPU_OK;
}

int apps_list(struct apps *a, const char *name, const char *op, const char *list, json_t **res,
              struct spu_error *err)
{
    return apps_list_values(a, name, op, list, NULL, res, err);
}

int apps_list_values(struct apps *a, const char *name, const char *op, const char *list,
                     const json_t *values, json_t **res, struct spu_error *err)
{
    pthread_mutex_lock(&a->mu);
    struct app *s = find(a, name);
    int rc = SPU_OK;
    uint32_t n = 0;
    const struct spu_blist *ls = s ? spu_bundle_lists_raw(s->b, &n) : NULL;
    uint32_t idx = n;
    for (uint32_t i = 0; list && i < n; i++) {
        uint32_t nl;
        const char *ln = spu_bundle_str(s->b, ls[i].name, &nl);
        if (strlen(list) == nl && memcmp(ln, list, nl) == 0)
            idx = i;
    }
    bool show = strcmp(op, "show") == 0, reload = strcmp(op, "reload") == 0;
    bool add = strcmp(op, "add") == 0, remove = strcmp(op, "remove") == 0;
    if (!s)
        rc = spu_error_set(err, SPU_ENOTFOUND, "no application %.64s", name);
    else if (!show && !reload && !add && !remove)
        rc = spu_error_set(err, SPU_EINVAL, "list %.16s: not an operation (show, add, remove, reload)",
                           op);
    else if ((list || !show) && idx == n)
        rc = spu_error_set(err, SPU_ENOTFOUND, "application %s has no list %.64s", name,
                           list ? list : "(none named)");
    else if ((add || remove) && json_array_size(values) == 0)
        rc = spu_error_set(err, SPU_EINVAL, "list %s %s: no value given", op, list);
    struct app saved = {0};
    bool saved_ok = false;
    if (rc == SPU_OK && (add || remove)) {
        rc = edits_copy(s, &saved, err);
        saved_ok = rc == SPU_OK;
    }
    if (rc == SPU_OK && (add || remove))
        rc = edits_add(s, idx, add, values, err);
    if (rc == SPU_OK && !show) {
        int64_t t0 = mono_ns();
        /* this request's edits are the last ones: those of its values */
        struct edit_ctx ec = {s, idx, s->nedits - (unsigned)json_array_size(values)};
        if (reload)
            ec.fresh = s->nedits;
        struct spu_listset *ns = spu_bundle_list_rebuild_with(s->b, idx, apply_edits, &ec, err);
        if (!ns) {
            rc = err->code ? err->code : SPU_EFORMAT;
        } else {
            struct spu_listset *old = spu_lists_swap(spu_bundle_lists(s->b), idx, ns, &rc);
            if (rc == SPU_OK) {
                detect_engine_sync(a->eng);
                spu_listset_free(old);
                LOGGER(a->log, LOGGER_NOTICE,
                       "apps: %s: list %s %s: %zu entries in %.3f ms (%u live edits)", name, list,
                       reload ? "reloaded" : add ? "added to" : "removed from",
                       spu_listset_size(ns), (double)(mono_ns() - t0) / 1e6, s->nedits);
            } else {
                spu_listset_free(ns);
                spu_error_set(err, rc, "list %s: cannot swap", list);
            }
        }
    }
    if (saved_ok) {
        /* refused: the edits as they were before this request */
        if (rc != SPU_OK) {
            edits_free(s);
            s->edits = saved.edits;
            s->nedits = saved.nedits;
        } else {
            edits_free(&saved);
        }
    }
    if (rc == SPU_OK) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < n; i++)
            if (idx == n || i == idx)
                json_array_append_new(arr, list_json(s->b, i));
        *res = json_pack("{s:s, s:o}", "name", name, "lists", arr);
    }
    pthread_mutex_unlock(&a->mu);
    return rc == SPU_OK ? rc : refused(a, "list", name, err);
}

int apps_reload_all(struct apps *a, json_t **res, struct spu_error *err)
{
    pthread_mutex_lock(&a->mu);
    json_t *list = json_array();
    unsigned ok = 0, failed = 0;
    int last = SPU_OK;
    for (unsigned i = 0; i < a->nslots; i++) {
        struct app *s = &a->slot[i];
        if (!s->name)
            continue;
        json_t *r = NULL;
        struct spu_error e;
        spu_error_clear(&e);
        if (reload_locked(a, s, NULL, &r, &e) == SPU_OK) {
            ok++;
            json_array_append_new(list, r);
        } else {
            failed++;
            last = refused(a, "reload", s->name, &e);
            *err = e;
            char buf[600];
            json_array_append_new(list, json_pack("{s:s, s:s}", "name", s->name, "error",
                                                  spu_error_str(&e, buf, sizeof(buf))));
        }
    }
    snapshot(a);
    pthread_mutex_unlock(&a->mu);
    *res = json_pack("{s:i, s:i, s:o}", "reloaded", (int)ok, "failed", (int)failed, "apps", list);
    return last;
}

json_t *apps_status(struct apps *a)
{
    pthread_mutex_lock(&a->smu);
    json_t *l = a->status ? json_deep_copy(a->status) : json_array();
    pthread_mutex_unlock(&a->smu);
    return json_pack("{s:o, s:i}", "apps", l, "slots", (int)a->nslots);
}

json_t *apps_reload_stats(struct apps *a)
{
    pthread_mutex_lock(&a->smu);
    json_t *o = a->rstats ? json_deep_copy(a->rstats) : NULL;
    pthread_mutex_unlock(&a->smu);
    return o ? o : json_pack("{s:i, s:i, s:[]}", "ok", 0, "failed", 0, "apps");
}

static void *hup_main(void *arg)
{
    struct apps *a = arg;
    json_t *res = NULL;
    struct spu_error err;
    spu_error_clear(&err);
    apps_reload_all(a, &res, &err);
    LOGGER(a->log, LOGGER_NOTICE, "apps: SIGHUP: %lld reloaded, %lld failed",
           (long long)json_integer_value(json_object_get(res, "reloaded")),
           (long long)json_integer_value(json_object_get(res, "failed")));
    json_decref(res);
    atomic_store(&a->hup_running, false);
    return NULL;
}

void apps_sighup(struct apps *a)
{
    if (atomic_load(&a->hup_running)) {
        LOGGER(a->log, LOGGER_WARNING, "apps: SIGHUP while a reload runs: skipped");
        return;
    }
    if (a->hup_started)
        pthread_join(a->hup, NULL);
    a->hup_started = false;
    atomic_store(&a->hup_running, true);
    if (pthread_create(&a->hup, NULL, hup_main, a) != 0) {
        atomic_store(&a->hup_running, false);
        LOGGER(a->log, LOGGER_ERROR, "apps: SIGHUP: cannot start the reload thread");
        return;
    }
    a->hup_started = true;
}

struct detect_engine *apps_engine(struct apps *a)
{
    return a->eng;
}
