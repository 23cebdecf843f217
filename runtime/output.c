/* output.c - per-producer buffers handed to one writer thread (see output.h). */
#include "output.h"

#include "err.h"
#include "spsc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BUF_SIZE (256u * 1024u)
#define NBUF 4

struct obuf {
    char *data;
    size_t len, cap;
    uint64_t lines;
};

struct output_producer {
    struct output *o;
    struct spsc *full;  /* producer -> writer */
    struct spsc *spare; /* writer -> producer */
    struct obuf *cur;
    struct obuf bufs[NBUF];
    struct {
        char type[32];
        _Atomic uint64_t n;
    } types[OUTPUT_MAX_TYPES]; /* records by event_type (producer writes) */
    _Atomic unsigned ntypes;
};

struct output {
    int fd;
    bool own_fd;
    char *path; /* owned; NULL for standard output */
    struct output_rotate rot;
    uint64_t file_bytes;  /* written to the current file (writer only) */
    int64_t file_opened;  /* CLOCK_MONOTONIC ns of the current file (writer only) */
    unsigned next_suffix; /* writer only: the next PATH.N to try */
    _Atomic unsigned reopen_req;
    unsigned reopen_seen; /* writer only */
    _Atomic uint64_t rotations, reopens;
    _Atomic uint64_t buf_bytes; /* line buffers allocated */
    unsigned n;
    struct output_producer *prod;
    pthread_t writer;
    bool started;
    _Atomic bool stop;
    _Atomic bool failed;
    /* 1 while the writer sleeps with nothing to do (the futex word): a
     * producer's hand-off, a reopen request or the stop wakes it when set
     * (writer_sleep re-checks after setting it), so no one pays a system
     * call while the writer runs. */
    _Atomic uint32_t sleeping;
    _Atomic uint64_t lines;
    _Atomic uint64_t bufs_handed;  /* buffers pushed by producers */
    _Atomic uint64_t bufs_written; /* of them, written by the writer */
    const struct output_tap *_Atomic tap;
    output_sink_fn sink; /* a second destination that may wait (eve-redis.c), or NULL */
    void *sink_ctx;
};

static void nap(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

static bool write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_path(const char *path)
{
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

/* Close the current file and open `path` again (after an outside rename);
 * with `rotate`, first rename the current file to the next free PATH.N.
 * Writer thread only, between whole buffers or at a line boundary. A failed
 * open keeps writing to the old descriptor and is counted as a failure. */
static void switch_file(struct output *o, bool rotate)
{
    if (!o->path)
        return;
    if (rotate) {
        size_t n = strlen(o->path) + 16;
        char *to = malloc(n);
        if (!to) {
            atomic_store(&o->failed, true);
            return;
        }
        struct stat st;
        do
            snprintf(to, n, "%s.%u", o->path, o->next_suffix++);
        while (lstat(to, &st) == 0);
        int rc = rename(o->path, to);
        free(to);
        if (rc != 0) {
            atomic_store(&o->failed, true);
            return;
        }
    }
    int fd = open_path(o->path);
    if (fd < 0) {
        atomic_store(&o->failed, true);
        return;
    }
    if (close(o->fd) != 0)
        atomic_store(&o->failed, true);
    o->fd = fd;
    o->file_bytes = 0;
    o->file_opened = mono_ns();
    atomic_fetch_add(rotate ? &o->rotations : &o->reopens, 1);
}

/* Write one buffer of whole lines, rotating by size or time where needed;
 * a rotation falls between two lines, so every line is whole in exactly
 * one file. */
static bool write_buffer(struct output *o, const char *p, size_t n)
{
    bool ok = true;
    if (o->rot.seconds && o->file_bytes &&
        mono_ns() - o->file_opened >= (int64_t)o->rot.seconds * 1000000000)
        switch_file(o, true);
    while (n) {
        size_t take = n;
        if (o->rot.bytes && o->file_bytes + n > o->rot.bytes) {
            size_t room = o->file_bytes < o->rot.bytes ? (size_t)(o->rot.bytes - o->file_bytes) : 0;
            /* the longest run of whole lines that fits */
            take = 0;
            for (size_t i = room < n ? room : n; i > 0; i--)
                if (p[i - 1] == '\n') {
                    take = i;
                    break;
                }
            if (take == 0) {
                if (o->file_bytes) {
                    switch_file(o, true);
                    continue;
                }
                /* a line longer than the limit: alone in its own file */
                const char *nl = memchr(p, '\n', n);
                take = nl ? (size_t)(nl - p) + 1 : n;
            }
        }
        if (!write_all(o->fd, p, take))
            ok = false;
        o->file_bytes += take;
        p += take;
        n -= take;
        if (n)
            switch_file(o, true);
    }
    return ok;
}

/* The event_type of an EVE line (near its start), into name. */
static void line_type(const char *p, size_t len, char *name, size_t cap)
{
    static const char key[] = "\"event_type\":\"";
    const size_t klen = sizeof(key) - 1;
    const char *t = memmem(p, len < 512 ? len : 512, key, klen);
    snprintf(name, cap, "other");
    if (!t)
        return;
    t += klen;
    const char *q = memchr(t, '"', (size_t)(p + len - t));
    if (q && q > t && (size_t)(q - t) < cap) {
        memcpy(name, t, (size_t)(q - t));
        name[q - t] = 0;
    }
}

/* Count one record of the producer by type. Producer thread: it alone
 * writes its table; a new slot's name is written before ntypes publishes
 * it (release), counts are relaxed. */
static void count_type(struct output_producer *p, const char *line, size_t len)
{
    char name[32];
    line_type(line, len, name, sizeof(name));
    unsigned n = atomic_load_explicit(&p->ntypes, memory_order_relaxed);
    unsigned i = 0;
    while (i < n && strcmp(p->types[i].type, name) != 0)
        i++;
    if (i == n && n >= OUTPUT_MAX_TYPES - 1) {
        /* the last slot is "other": every type past the table */
        snprintf(name, sizeof(name), "other");
        for (i = 0; i < n && strcmp(p->types[i].type, name) != 0; i++)
            ;
    }
    if (i == n) {
        snprintf(p->types[i].type, sizeof(p->types[i].type), "%s", name);
        atomic_store_explicit(&p->ntypes, n + 1, memory_order_release);
    }
    atomic_store_explicit(&p->types[i].n,
                          atomic_load_explicit(&p->types[i].n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

unsigned output_type_counts(struct output *o, struct output_type_count *out, unsigned max)
{
    unsigned n = 0;
    for (unsigned pi = 0; pi < o->n; pi++) {
        struct output_producer *p = &o->prod[pi];
        unsigned pn = atomic_load_explicit(&p->ntypes, memory_order_acquire);
        for (unsigned i = 0; i < pn; i++) {
            unsigned j = 0;
            while (j < n && strcmp(out[j].type, p->types[i].type) != 0)
                j++;
            if (j == n) {
                if (n == max)
                    continue;
                snprintf(out[j].type, sizeof(out[j].type), "%s", p->types[i].type);
                out[j].records = 0;
                n++;
            }
            out[j].records += atomic_load_explicit(&p->types[i].n, memory_order_relaxed);
        }
    }
    return n;
}

/* Write every queued buffer; returns how many were written. */
static unsigned drain_once(struct output *o)
{
    unsigned req = atomic_load(&o->reopen_req);
    if (req != o->reopen_seen) {
        o->reopen_seen = req;
        switch_file(o, false);
    }
    unsigned done = 0;
    for (unsigned i = 0; i < o->n; i++) {
        struct output_producer *p = &o->prod[i];
        void *b;
        while (spsc_pop(p->full, &b, 1) == 1) {
            struct obuf *ob = b;
            if (!write_buffer(o, ob->data, ob->len))
                atomic_store(&o->failed, true);
            if (o->sink && ob->len)
                o->sink(o->sink_ctx, ob->data, ob->len);
            const struct output_tap *t = atomic_load_explicit(&o->tap, memory_order_acquire);
            if (t && ob->len)
                t->fn(t->ctx, ob->data, ob->len);
            atomic_fetch_add_explicit(&o->lines, ob->lines, memory_order_relaxed);
            atomic_fetch_add_explicit(&o->bufs_written, 1, memory_order_release);
            ob->len = 0;
            ob->lines = 0;
            void *back = ob;
            while (spsc_push(p->spare, &back, 1) != 1)
                nap(10000);
            done++;
        }
    }
    return done;
}

/* Any thread, after publishing work for the writer (a buffer, a reopen
 * request, the stop): wake it if it sleeps. The fence pairs with
 * writer_sleep's: either the writer sees the work or this sees its flag. */
static void writer_wake(struct output *o)
{
    atomic_thread_fence(memory_order_seq_cst);
    if (atomic_load_explicit(&o->sleeping, memory_order_relaxed)) {
        atomic_store_explicit(&o->sleeping, 0, memory_order_relaxed);
        syscall(SYS_futex, (uint32_t *)&o->sleeping, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

/* Work the writer would do now: a queued buffer, a reopen request, the stop. */
static bool writer_has_work(struct output *o)
{
    if (atomic_load(&o->stop) || atomic_load(&o->reopen_req) != o->reopen_seen)
        return true;
    for (unsigned i = 0; i < o->n; i++)
        if (spsc_count(o->prod[i].full))
            return true;
    return false;
}

/* Writer, with nothing queued: sleep until woken or, when timeout_ns >= 0,
 * that long. Returns early (spuriously, by a signal) as futexes do. */
static void writer_sleep(struct output *o, int64_t timeout_ns)
{
    atomic_store_explicit(&o->sleeping, 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
    if (!writer_has_work(o)) {
        struct timespec ts = {(time_t)(timeout_ns / 1000000000), (long)(timeout_ns % 1000000000)};
        syscall(SYS_futex, (uint32_t *)&o->sleeping, FUTEX_WAIT_PRIVATE, 1,
                timeout_ns >= 0 ? &ts : NULL, NULL, 0);
    }
    atomic_store_explicit(&o->sleeping, 0, memory_order_relaxed);
}

/* Writer, idle: rotate a file that came of age while no line arrived;
 * returns how long until the current file comes of age (-1: never, for
 * an empty file or without rotation by age). */
static int64_t age_check(struct output *o)
{
    if (!o->rot.seconds || !o->file_bytes)
        return -1;
    int64_t left = o->file_opened + (int64_t)o->rot.seconds * 1000000000 - mono_ns();
    if (left > 0)
        return left;
    switch_file(o, true);
    return -1;
}

static void *writer_main(void *arg)
{
    struct output *o = arg;
    for (;;) {
        bool stopping = atomic_load(&o->stop);
        if (drain_once(o) == 0) {
            if (stopping)
                break;
            writer_sleep(o, age_check(o));
        }
    }
    return NULL;
}

struct output *output_open(const char *path, unsigned nproducers, struct spu_error *err)
{
    return output_open_rotating(path, nproducers, NULL, err);
}

struct output *output_open_rotating(const char *path, unsigned nproducers,
                                    const struct output_rotate *rot, struct spu_error *err)
{
    if (nproducers == 0) {
        spu_error_set(err, SPU_EINVAL, "output: no producers");
        return NULL;
    }
    struct output *o = calloc(1, sizeof(*o));
    if (!o) {
        spu_error_set(err, SPU_ENOMEM, "output: out of memory");
        return NULL;
    }
    o->n = nproducers;
    if (strcmp(path, "-") == 0) {
        o->fd = STDOUT_FILENO;
    } else {
        o->fd = open_path(path);
        if (o->fd < 0) {
            spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot open: %s", strerror(errno));
            free(o);
            return NULL;
        }
        o->own_fd = true;
        o->path = strdup(path);
        if (!o->path)
            goto nomem;
        struct stat st;
        if (fstat(o->fd, &st) == 0)
            o->file_bytes = (uint64_t)st.st_size;
        o->file_opened = mono_ns();
        o->next_suffix = 1;
        if (rot)
            o->rot = *rot;
    }
    o->prod = calloc(nproducers, sizeof(*o->prod));
    if (!o->prod)
        goto nomem;
    for (unsigned i = 0; i < nproducers; i++) {
        struct output_producer *p = &o->prod[i];
        p->o = o;
        p->full = spsc_new(NBUF);
        p->spare = spsc_new(NBUF);
        if (!p->full || !p->spare)
            goto nomem;
        for (unsigned b = 0; b < NBUF; b++) {
            p->bufs[b].data = malloc(BUF_SIZE);
            if (!p->bufs[b].data)
                goto nomem;
            p->bufs[b].cap = BUF_SIZE;
            atomic_fetch_add(&o->buf_bytes, BUF_SIZE);
            if (b > 0) {
                void *ptr = &p->bufs[b];
                spsc_push(p->spare, &ptr, 1);
            }
        }
        p->cur = &p->bufs[0];
    }
    if (pthread_create(&o->writer, NULL, writer_main, o) != 0) {
        spu_error_set(err, SPU_EIO, "output: cannot start the writer thread");
        output_close(o, NULL);
        return NULL;
    }
    pthread_setname_np(o->writer, "spu-eve");
    o->started = true;
    return o;
nomem:
    spu_error_set(err, SPU_ENOMEM, "output: out of memory");
    output_close(o, NULL);
    return NULL;
}

void output_set_sink(struct output *o, output_sink_fn fn, void *ctx)
{
    o->sink_ctx = ctx;
    o->sink = fn;
}

struct output_producer *output_producer(struct output *o, unsigned idx)
{
    return idx < o->n ? &o->prod[idx] : NULL;
}

static void hand_off(struct output_producer *p)
{
    void *b = p->cur;
    atomic_fetch_add_explicit(&p->o->bufs_handed, 1, memory_order_relaxed);
    while (spsc_push(p->full, &b, 1) != 1)
        nap(20000);
    writer_wake(p->o);
    void *s;
    while (spsc_pop(p->spare, &s, 1) != 1)
        spsc_wait_items(p->spare, 1, 1000000L); /* the writer's push wakes us */
    p->cur = s;
}

int output_producer_line(struct output_producer *p, const char *line, size_t len)
{
    struct obuf *b = p->cur;
    if (b->len + len + 1 > b->cap && b->len > 0) {
        hand_off(p);
        b = p->cur;
    }
    if (len + 1 > b->cap) {
        char *nd = realloc(b->data, len + 1);
        if (!nd)
            return SPU_ENOMEM;
        atomic_fetch_add(&p->o->buf_bytes, len + 1 - b->cap);
        b->data = nd;
        b->cap = len + 1;
    }
    count_type(p, line, len);
    memcpy(b->data + b->len, line, len);
    b->data[b->len + len] = '\n';
    b->len += len + 1;
    b->lines++;
    return SPU_OK;
}

void output_producer_flush(struct output_producer *p)
{
    if (p->cur && p->cur->len)
        hand_off(p);
}

uint64_t output_memuse(const struct output *o)
{
    return atomic_load(&((struct output *)o)->buf_bytes);
}

uint64_t output_memcap(const struct output *o)
{
    return (uint64_t)o->n * NBUF * BUF_SIZE;
}

void output_wait_written(struct output *o)
{
    if (!o || !o->started)
        return;
    uint64_t want = atomic_load(&o->bufs_handed);
    while (atomic_load_explicit(&o->bufs_written, memory_order_acquire) < want)
        nap(200000);
}

void output_reopen(struct output *o)
{
    atomic_fetch_add(&o->reopen_req, 1);
    writer_wake(o);
}

uint64_t output_rotations(const struct output *o)
{
    return atomic_load(&((struct output *)o)->rotations);
}

uint64_t output_reopens(const struct output *o)
{
    return atomic_load(&((struct output *)o)->reopens);
}

void output_set_tap(struct output *o, const struct output_tap *tap)
{
    atomic_store_explicit(&o->tap, tap, memory_order_release);
}

uint64_t output_lines(const struct output *o)
{
    return atomic_load_explicit(&((struct output *)o)->lines, memory_order_relaxed);
}

int output_close(struct output *o, uint64_t *lines)
{
    if (lines)
        *lines = 0;
    if (!o)
        return SPU_OK;
    if (o->started) {
        for (unsigned i = 0; i < o->n; i++)
            output_producer_flush(&o->prod[i]);
        atomic_store(&o->stop, true);
        writer_wake(o);
        pthread_join(o->writer, NULL);
    }
    int rc = atomic_load(&o->failed) ? SPU_EIO : SPU_OK;
    if (lines)
        *lines = atomic_load(&o->lines);
    if (o->own_fd && close(o->fd) != 0)
        rc = SPU_EIO;
    if (o->prod) {
        for (unsigned i = 0; i < o->n; i++) {
            struct output_producer *p = &o->prod[i];
            for (unsigned b = 0; b < NBUF; b++)
                free(p->bufs[b].data);
            spsc_free(p->full);
            spsc_free(p->spare);
        }
        free(o->prod);
    }
    free(o->path);
    free(o);
    return rc;
}
