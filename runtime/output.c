/* output.c - per-producer buffers handed to one writer thread (see output.h). */
#include "output.h"

#include "err.h"
#include "spsc.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
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
};

struct output {
    int fd;
    bool own_fd;
    unsigned n;
    struct output_producer *prod;
    pthread_t writer;
    bool started;
    _Atomic bool stop;
    _Atomic bool failed;
    _Atomic uint64_t lines;
    const struct output_tap *_Atomic tap;
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

/* Write every queued buffer; returns how many were written. */
static unsigned drain_once(struct output *o)
{
    unsigned done = 0;
    for (unsigned i = 0; i < o->n; i++) {
        struct output_producer *p = &o->prod[i];
        void *b;
        while (spsc_pop(p->full, &b, 1) == 1) {
            struct obuf *ob = b;
            if (!write_all(o->fd, ob->data, ob->len))
                atomic_store(&o->failed, true);
            const struct output_tap *t = atomic_load_explicit(&o->tap, memory_order_acquire);
            if (t && ob->len)
                t->fn(t->ctx, ob->data, ob->len);
            atomic_fetch_add_explicit(&o->lines, ob->lines, memory_order_relaxed);
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

static void *writer_main(void *arg)
{
    struct output *o = arg;
    for (;;) {
        bool stopping = atomic_load(&o->stop);
        if (drain_once(o) == 0) {
            if (stopping)
                break;
            nap(500000);
        }
    }
    return NULL;
}

struct output *output_open(const char *path, unsigned nproducers, struct spu_error *err)
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
        o->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (o->fd < 0) {
            spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot open: %s", strerror(errno));
            free(o);
            return NULL;
        }
        o->own_fd = true;
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
    o->started = true;
    return o;
nomem:
    spu_error_set(err, SPU_ENOMEM, "output: out of memory");
    output_close(o, NULL);
    return NULL;
}

struct output_producer *output_producer(struct output *o, unsigned idx)
{
    return idx < o->n ? &o->prod[idx] : NULL;
}

static void hand_off(struct output_producer *p)
{
    void *b = p->cur;
    while (spsc_push(p->full, &b, 1) != 1)
        nap(20000);
    void *s;
    while (spsc_pop(p->spare, &s, 1) != 1)
        nap(20000);
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
        b->data = nd;
        b->cap = len + 1;
    }
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
    free(o);
    return rc;
}
