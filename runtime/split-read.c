/* split-read.c - a worker's own reading thread (see split-read.h). */
#include "split-read.h"

#include "capture.h"
#include "dispatch.h"
#include "worker.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

/* the longest wait for the shared index to move (it wakes the reader as
 * soon as it does); the stop flag is polled in between */
#define INDEX_WAIT_NS 2000000L

struct split_reader {
    struct capture *cap;
    struct dispatcher *d;
    struct worker *w;
    volatile sig_atomic_t *stop;
    pthread_t thread;
    bool started, joined;
    _Atomic bool done, halt;
    int rc;
    struct spu_error err;
    uint64_t own_cpu_ns;
};

static void *reader_main(void *arg)
{
    struct split_reader *s = arg;
    unsigned idle = 0;
    while (!*s->stop && !atomic_load_explicit(&s->halt, memory_order_relaxed)) {
        int st = dispatch_step(s->d, &s->err);
        if (st == SPU_DONE)
            break;
        if (st < 0) {
            s->rc = st;
            break;
        }
        /* the shared index had nothing for it yet: waits until it moves */
        bool waited = st == 0 && dispatch_wait(s->d, INDEX_WAIT_NS);
        if (st == 0 && !waited && ++idle > 8) {
            /* --realtime: the next packet is not due yet */
            struct timespec ts = {0, 50000};
            nanosleep(&ts, NULL);
        } else if (st > 0) {
            idle = 0;
        }
    }
    s->own_cpu_ns = dispatch_own_cpu_ns(s->d);
    worker_finish(s->w);
    dispatch_finish(s->d);
    atomic_store_explicit(&s->done, true, memory_order_release);
    return NULL;
}

struct split_reader *split_reader_start(struct capture *cap, struct dispatcher *d,
                                        struct worker *w, volatile sig_atomic_t *stop,
                                        struct spu_error *err)
{
    struct split_reader *s = calloc(1, sizeof(*s));
    if (!s) {
        dispatch_free(d);
        capture_close(cap);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    s->cap = cap;
    s->d = d;
    s->w = w;
    s->stop = stop;
    if (pthread_create(&s->thread, NULL, reader_main, s) != 0) {
        split_reader_free(s);
        spu_error_set(err, SPU_EIO, "cannot start a reading thread");
        return NULL;
    }
    s->started = true;
    worker_name_thread(w, s->thread);
    return s;
}

void split_reader_halt(struct split_reader *s)
{
    atomic_store_explicit(&s->halt, true, memory_order_relaxed);
}

bool split_reader_done(const struct split_reader *s)
{
    return atomic_load_explicit(&s->done, memory_order_acquire);
}

int split_reader_join(struct split_reader *s, struct spu_error *err)
{
    if (s->started && !s->joined) {
        pthread_join(s->thread, NULL);
        s->joined = true;
    }
    if (s->rc < 0)
        *err = s->err;
    return s->rc < 0 ? s->rc : SPU_OK;
}

uint64_t split_reader_own_cpu_ns(const struct split_reader *s)
{
    return s->own_cpu_ns;
}

void split_reader_free(struct split_reader *s)
{
    if (!s)
        return;
    if (s->started && !s->joined)
        pthread_join(s->thread, NULL);
    dispatch_free(s->d);
    capture_close(s->cap);
    free(s);
}
