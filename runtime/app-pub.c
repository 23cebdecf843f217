/* app-pub.c - grammar sets and their publication (see app-pub.h). */
#include "app-pub.h"

#include "bundle.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct app_gset {
    _Atomic unsigned refs;
    unsigned n;
    struct spu_bundle **b;
    unsigned *slot;
};

struct app_pub {
    pthread_mutex_t mu;      /* cur and its reference, against a pick-up */
    struct app_gset *cur;
    _Atomic uint64_t seq;
};

struct app_gset *app_gset_new(struct spu_bundle *const *b, const unsigned *slot, unsigned n,
                              struct spu_error *err)
{
    struct app_gset *s = calloc(1, sizeof(*s));
    if (s && n) {
        s->b = calloc(n, sizeof(*s->b));
        s->slot = calloc(n, sizeof(*s->slot));
    }
    if (!s || (n && (!s->b || !s->slot))) {
        if (s) {
            free(s->b);
            free(s->slot);
        }
        free(s);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    for (unsigned i = 0; i < n; i++) {
        s->b[i] = spu_bundle_ref(b[i]);
        s->slot[i] = slot ? slot[i] : i;
    }
    s->n = n;
    atomic_init(&s->refs, 1);
    return s;
}

struct app_gset *app_gset_ref(struct app_gset *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
    return s;
}

void app_gset_unref(struct app_gset *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned i = 0; i < s->n; i++)
        spu_bundle_unref(s->b[i]);
    free(s->b);
    free(s->slot);
    free(s);
}

unsigned app_gset_count(const struct app_gset *s)
{
    return s->n;
}

struct spu_bundle *app_gset_bundle(const struct app_gset *s, unsigned i)
{
    return s->b[i];
}

unsigned app_gset_slot(const struct app_gset *s, unsigned i)
{
    return s->slot[i];
}

struct app_pub *app_pub_new(struct app_gset *first, struct spu_error *err)
{
    struct app_pub *p = calloc(1, sizeof(*p));
    if (!p) {
        app_gset_unref(first);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->mu, NULL);
    p->cur = first;
    atomic_init(&p->seq, 1);
    return p;
}

void app_pub_free(struct app_pub *p)
{
    if (!p)
        return;
    app_gset_unref(p->cur);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

void app_pub_publish(struct app_pub *p, struct app_gset *s)
{
    pthread_mutex_lock(&p->mu);
    struct app_gset *old = p->cur;
    p->cur = s;
    atomic_fetch_add_explicit(&p->seq, 1, memory_order_release);
    pthread_mutex_unlock(&p->mu);
    app_gset_unref(old);
}

uint64_t app_pub_seq(const struct app_pub *p)
{
    return atomic_load_explicit(&((struct app_pub *)p)->seq, memory_order_acquire);
}

struct app_gset *app_pub_get(struct app_pub *p, uint64_t *seq)
{
    pthread_mutex_lock(&p->mu);
    struct app_gset *s = app_gset_ref(p->cur);
    *seq = atomic_load_explicit(&p->seq, memory_order_relaxed);
    pthread_mutex_unlock(&p->mu);
    return s;
}

uint64_t app_pub_publications(const struct app_pub *p)
{
    return app_pub_seq(p) - 1;
}
