/* arena.c - chunked bump allocator (see arena.h). */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_ALIGN 16u
#define ARENA_DEFAULT_CHUNK (16u * 1024u)

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

struct spu_arena {
    struct chunk *head; /* current chunk, newest first */
    size_t chunk_size;
    size_t chunk_first; /* chunk_size at creation (and after a reset) */
    size_t chunk_max;   /* chunk sizes double up to it (0: they stay) */
    size_t cap;
    size_t used;
    size_t held;
    uint64_t refused;
    void *last;       /* most recent allocation, for grow-in-place */
    size_t last_size; /* its rounded size */
};

static size_t round_up(size_t n)
{
    return (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
}

struct spu_arena *spu_arena_new(size_t chunk_size, size_t cap)
{
    struct spu_arena *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->chunk_size = chunk_size ? round_up(chunk_size) : ARENA_DEFAULT_CHUNK;
    a->chunk_first = a->chunk_size;
    a->cap = cap;
    return a;
}

void spu_arena_free(struct spu_arena *a)
{
    if (!a)
        return;
    struct chunk *c = a->head;
    while (c) {
        struct chunk *n = c->next;
        free(c);
        c = n;
    }
    free(a);
}

void spu_arena_reset(struct spu_arena *a)
{
    if (!a)
        return;
    /* keep the oldest chunk (the last in the list): usually the one sized
     * for the common case */
    struct chunk *keep = NULL, *c = a->head;
    while (c) {
        struct chunk *n = c->next;
        if (!n)
            keep = c;
        else
            free(c);
        c = n;
    }
    a->head = keep;
    a->used = 0;
    a->held = keep ? sizeof(*keep) + keep->size : 0;
    if (keep)
        keep->used = 0;
    a->last = NULL;
    a->last_size = 0;
    /* growth starts again after the kept (first) chunk */
    a->chunk_size = a->chunk_first;
    if (keep && a->chunk_max && a->chunk_size < a->chunk_max)
        a->chunk_size = a->chunk_size * 2 < a->chunk_max ? a->chunk_size * 2 : a->chunk_max;
}

static struct chunk *new_chunk(struct spu_arena *a, size_t need)
{
    size_t size = need > a->chunk_size ? round_up(need) : a->chunk_size;
    if (a->cap && a->held + sizeof(struct chunk) + size > a->cap) {
        /* a smaller chunk that just fits may still be allowed */
        size = round_up(need);
        if (a->held + sizeof(struct chunk) + size > a->cap)
            return NULL;
    }
    struct chunk *c = malloc(sizeof(*c) + size);
    if (!c)
        return NULL;
    c->size = size;
    c->used = 0;
    c->next = a->head;
    a->head = c;
    a->held += sizeof(*c) + size;
    if (a->chunk_max && a->chunk_size < a->chunk_max)
        a->chunk_size = a->chunk_size * 2 < a->chunk_max ? a->chunk_size * 2 : a->chunk_max;
    return c;
}

void *spu_arena_alloc(struct spu_arena *a, size_t size)
{
    size_t n = round_up(size ? size : 1);
    if (n < size) /* overflow */
        return NULL;
    struct chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        c = new_chunk(a, n);
        if (!c) {
            a->refused++;
            return NULL;
        }
    }
    void *p = c->data + c->used;
    c->used += n;
    a->used += n;
    a->last = p;
    a->last_size = n;
    return p;
}

void *spu_arena_zalloc(struct spu_arena *a, size_t size)
{
    void *p = spu_arena_alloc(a, size);
    if (p)
        memset(p, 0, size);
    return p;
}

void *spu_arena_memdup(struct spu_arena *a, const void *p, size_t n)
{
    void *d = spu_arena_alloc(a, n);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

char *spu_arena_strndup(struct spu_arena *a, const char *s, size_t n)
{
    char *d = spu_arena_alloc(a, n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *spu_arena_strdup(struct spu_arena *a, const char *s)
{
    return spu_arena_strndup(a, s, strlen(s));
}

char *spu_arena_sprintf(struct spu_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *d = spu_arena_alloc(a, (size_t)n + 1);
    if (!d)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(d, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return d;
}

void *spu_arena_grow(struct spu_arena *a, void *p, size_t old, size_t new_size)
{
    if (new_size <= old)
        return p;
    struct chunk *c = a->head;
    size_t n = round_up(new_size);
    if (p && p == a->last && c && (unsigned char *)p + a->last_size == c->data + c->used &&
        c->used - a->last_size + n <= c->size) {
        c->used = c->used - a->last_size + n;
        a->used = a->used - a->last_size + n;
        a->last_size = n;
        return p;
    }
    void *d = spu_arena_alloc(a, new_size);
    if (d && old)
        memcpy(d, p, old);
    return d;
}

void *spu_arena_regrow(struct spu_arena *a, void *p, size_t old, size_t new_size)
{
    if (new_size <= old || !p)
        return spu_arena_grow(a, p, old, new_size);
    struct chunk *h = a->head;
    size_t n = round_up(new_size);
    if (n < new_size) /* overflow */
        return NULL;
    if (p == a->last && h && (unsigned char *)p + a->last_size == h->data + h->used &&
        h->used - a->last_size + n <= h->size)
        return spu_arena_grow(a, p, old, new_size); /* in place */
    size_t on = round_up(old);
    struct chunk **link = &a->head, *c = a->head;
    while (c && (void *)c->data != p)
        link = &c->next, c = c->next;
    if (!c || c->used != on) /* not the only block of its chunk */
        return spu_arena_grow(a, p, old, new_size);
    if (a->cap && a->held - c->size + n > a->cap) {
        a->refused++;
        return NULL;
    }
    size_t was = c->size;
    struct chunk *nc = realloc(c, sizeof(*nc) + n);
    if (!nc)
        return NULL;
    *link = nc;
    nc->size = n;
    nc->used = n;
    a->held = a->held - was + n;
    a->used = a->used - on + n;
    if (a->last == p || nc == a->head) {
        a->last = nc->data;
        a->last_size = n;
    }
    return nc->data;
}

size_t spu_arena_used(const struct spu_arena *a) { return a->used; }
size_t spu_arena_held(const struct spu_arena *a) { return a->held; }
size_t spu_arena_cap(const struct spu_arena *a) { return a->cap; }
void spu_arena_set_cap(struct spu_arena *a, size_t cap) { a->cap = cap; }
void spu_arena_set_growth(struct spu_arena *a, size_t chunk_max) { a->chunk_max = round_up(chunk_max); }
uint64_t spu_arena_refused(const struct spu_arena *a) { return a->refused; }
