/* run-service.c - queries to the main thread and the pcap queue (see run-service.h). */
#include "run-service.h"

#include "err.h"
#include "grow.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PCAP_MAX 100000u

enum pcap_state { PCAP_QUEUED, PCAP_RUNNING, PCAP_DONE, PCAP_FAILED };
static const char *const state_names[] = {"queued", "running", "done", "failed"};

struct pcap_entry {
    char *path;
    enum pcap_state state;
    char msg[256];
    uint64_t packets, events;
    double seconds;
};

struct run_service {
    bool queue_mode;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    _Atomic bool asked; /* a query waits for the main thread */
    _Atomic bool stopping;
    enum run_query q;
    uint64_t req_seq, ans_seq;
    json_t *answer; /* for ans_seq */
    json_t *kept[RUN_QUERY__COUNT];
    struct pcap_entry *files;
    unsigned nfiles, cap, next; /* next: the first not yet taken */
};

struct run_service *run_service_new(bool queue_mode)
{
    struct run_service *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->queue_mode = queue_mode;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &ca);
    pthread_condattr_destroy(&ca);
    return s;
}

void run_service_free(struct run_service *s)
{
    if (!s)
        return;
    json_decref(s->answer);
    for (unsigned i = 0; i < RUN_QUERY__COUNT; i++)
        json_decref(s->kept[i]);
    for (unsigned i = 0; i < s->nfiles; i++)
        free(s->files[i].path);
    free(s->files);
    pthread_cond_destroy(&s->cond);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static struct timespec deadline_in(unsigned ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (long)(ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

int run_service_query(struct run_service *s, enum run_query q, unsigned timeout_ms, json_t **out,
                      struct spu_error *err)
{
    *out = NULL;
    struct timespec dl = deadline_in(timeout_ms);
    pthread_mutex_lock(&s->mu);
    uint64_t seq = ++s->req_seq;
    s->q = q;
    atomic_store(&s->asked, true);
    pthread_cond_broadcast(&s->cond);
    int rc = 0;
    while (s->ans_seq != seq && rc != ETIMEDOUT)
        rc = pthread_cond_timedwait(&s->cond, &s->mu, &dl);
    if (s->ans_seq == seq) {
        *out = s->answer;
        s->answer = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (!*out)
        return spu_error_set(err, SPU_ESTATE, "spurun did not answer within %u ms (busy)",
                             timeout_ms);
    return SPU_OK;
}

void run_service_shutdown(struct run_service *s)
{
    pthread_mutex_lock(&s->mu);
    atomic_store(&s->stopping, true);
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

bool run_service_stopping(struct run_service *s)
{
    return atomic_load_explicit(&s->stopping, memory_order_relaxed);
}

/* Store an answer for the current request; mu held. */
static void answer_now(struct run_service *s, json_t *a, const char *state)
{
    if (!a)
        a = json_object();
    if (a)
        json_object_set_new(a, "state", json_string(state));
    json_decref(s->answer);
    s->answer = a;
    s->ans_seq = s->req_seq;
    atomic_store(&s->asked, false);
    pthread_cond_broadcast(&s->cond);
}

bool run_service_serve(struct run_service *s, run_answer_fn fn, void *ctx)
{
    if (atomic_load_explicit(&s->asked, memory_order_acquire)) {
        pthread_mutex_lock(&s->mu);
        enum run_query q = s->q;
        uint64_t seq = s->req_seq;
        pthread_mutex_unlock(&s->mu);
        /* built outside the lock: the control thread only waits */
        json_t *a = fn ? fn(ctx, q) : (s->kept[q] ? json_deep_copy(s->kept[q]) : json_object());
        pthread_mutex_lock(&s->mu);
        if (s->req_seq == seq)
            answer_now(s, a, fn ? "running" : "idle");
        else
            json_decref(a); /* that caller gave up; the new query is served next time */
        pthread_mutex_unlock(&s->mu);
    }
    return run_service_stopping(s);
}

void run_service_keep(struct run_service *s, enum run_query q, json_t *answer)
{
    pthread_mutex_lock(&s->mu);
    json_decref(s->kept[q]);
    s->kept[q] = answer;
    pthread_mutex_unlock(&s->mu);
}

int run_service_pcap_add(struct run_service *s, const char *path, json_t **result,
                         struct spu_error *err)
{
    if (!s->queue_mode)
        return spu_error_set(err, SPU_ESTATE,
                             "spurun was started with a source (-r/-i): capture files are "
                             "queued only when it runs without one");
    if (access(path, R_OK) != 0)
        return spu_error_set(err, SPU_ENOTFOUND, "%s: %s", path, strerror(errno));
    char *copy = strdup(path);
    if (!copy)
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    pthread_mutex_lock(&s->mu);
    int rc = SPU_OK;
    if (atomic_load(&s->stopping)) {
        rc = spu_error_set(err, SPU_ESTATE, "spurun is shutting down");
    } else if (s->nfiles == PCAP_MAX) {
        rc = spu_error_set(err, SPU_ELIMIT, "at most %u capture files per run", PCAP_MAX);
    } else if (s->nfiles == s->cap) {
        unsigned cap = (unsigned)spu_grow_cap(s->cap, (size_t)s->nfiles + 1, 16, PCAP_MAX);
        struct pcap_entry *nf = realloc(s->files, cap * sizeof(*nf));
        if (!nf)
            rc = spu_error_set(err, SPU_ENOMEM, "out of memory");
        else {
            s->files = nf;
            s->cap = cap;
        }
    }
    if (rc == SPU_OK) {
        struct pcap_entry *e = &s->files[s->nfiles];
        memset(e, 0, sizeof(*e));
        e->path = copy;
        copy = NULL;
        unsigned id = s->nfiles++;
        *result = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id, "file", e->path, "position",
                            (json_int_t)(id - s->next));
        pthread_cond_broadcast(&s->cond);
    }
    pthread_mutex_unlock(&s->mu);
    free(copy);
    return rc;
}

json_t *run_service_pcap_status(struct run_service *s)
{
    json_t *o = json_object();
    json_t *files = json_array();
    unsigned count[4] = {0};
    json_t *running = json_null();
    pthread_mutex_lock(&s->mu);
    for (unsigned i = 0; i < s->nfiles; i++) {
        struct pcap_entry *e = &s->files[i];
        count[e->state]++;
        json_t *f = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)i, "file", e->path, "state",
                              state_names[e->state]);
        if (e->state == PCAP_DONE || e->state == PCAP_FAILED) {
            json_object_set_new(f, "packets", json_integer((json_int_t)e->packets));
            json_object_set_new(f, "events", json_integer((json_int_t)e->events));
            json_object_set_new(f, "seconds", json_real(e->seconds));
        }
        if (e->state == PCAP_FAILED)
            json_object_set_new(f, "error", json_string(e->msg));
        if (e->state == PCAP_RUNNING) {
            json_decref(running);
            running = json_integer(i);
        }
        json_array_append_new(files, f);
    }
    bool stopping = atomic_load(&s->stopping);
    pthread_mutex_unlock(&s->mu);
    json_object_set_new(o, "queue_mode", json_boolean(s->queue_mode));
    json_object_set_new(o, "queued", json_integer(count[PCAP_QUEUED]));
    json_object_set_new(o, "running", running);
    json_object_set_new(o, "done", json_integer(count[PCAP_DONE]));
    json_object_set_new(o, "failed", json_integer(count[PCAP_FAILED]));
    json_object_set_new(o, "idle", json_boolean(count[PCAP_QUEUED] + count[PCAP_RUNNING] == 0));
    json_object_set_new(o, "stopping", json_boolean(stopping));
    json_object_set_new(o, "files", files);
    return o;
}

int run_service_next_pcap(struct run_service *s, volatile sig_atomic_t *stop, const char **path,
                          unsigned *id)
{
    for (;;) {
        run_service_serve(s, NULL, NULL);
        pthread_mutex_lock(&s->mu);
        if (*stop || atomic_load(&s->stopping)) {
            pthread_mutex_unlock(&s->mu);
            return SPU_DONE;
        }
        if (s->next < s->nfiles) {
            struct pcap_entry *e = &s->files[s->next];
            e->state = PCAP_RUNNING;
            *path = e->path;
            *id = s->next++;
            pthread_mutex_unlock(&s->mu);
            return SPU_OK;
        }
        if (!atomic_load(&s->asked)) {
            /* a signal only sets *stop: look again at least every 100 ms */
            struct timespec dl = deadline_in(100);
            pthread_cond_timedwait(&s->cond, &s->mu, &dl);
        }
        pthread_mutex_unlock(&s->mu);
    }
}

void run_service_pcap_done(struct run_service *s, unsigned id, int rc, const char *msg,
                           uint64_t packets, uint64_t events, double seconds)
{
    pthread_mutex_lock(&s->mu);
    if (id < s->nfiles) {
        struct pcap_entry *e = &s->files[id];
        e->state = rc < 0 ? PCAP_FAILED : PCAP_DONE;
        snprintf(e->msg, sizeof(e->msg), "%s", msg ? msg : "");
        e->packets = packets;
        e->events = events;
        e->seconds = seconds;
    }
    pthread_mutex_unlock(&s->mu);
}
