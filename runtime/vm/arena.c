/* arena.c - chunked bump allocator (see arena.h). */
#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ARENA_ALIGN 16u
#define ARENA_DEFAULT_CHUNK (16u * 1024u)
/* A buffer regrown past this size moves (once) into a mapping of its own,
 * which then grows by mremap: the kernel moves the pages, nothing is
 * copied again however large the buffer gets. */
#define ARENA_MAP_MIN (128u * 1024u)
#define ARENA_MAP_EARLY (16u * 1024u) /* the same, for a buffer whose limit is past that */
#define ARENA_MAP_MOST (8u << 20) /* address space reserved for one at most */
#define ARENA_CACHE_MAPS 64u /* idle mappings a cache keeps at most */
#define ARENA_CACHE_CLASSES 7u /* heap chunks a cache keeps: 1 KiB .. 64 KiB, powers of 2 */

struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes in data[] */
    size_t used;
    /* a mapping: its length and the most of it ever written (header
     * included), in 4 KiB units; 0: from malloc. (The header stays 32
     * bytes: what a chunk costs counts against the arena's cap.) */
    uint32_t map4k, touched4k;
    _Alignas(16) unsigned char data[];
};

#define MAPLEN(c) ((size_t)(c)->map4k << 12)
#define TOUCHED(c) ((size_t)(c)->touched4k << 12)
_Static_assert(sizeof(struct chunk) == 32, "a chunk's header is 32 bytes");

struct spu_arena_cache {
    struct chunk *heap[ARENA_CACHE_CLASSES]; /* idle heap chunks of 1 KiB << i */
    struct chunk *maps; /* idle mappings, their pages already faulted in */
    size_t heap_bytes, map_bytes; /* map_bytes: the pages they have faulted in */
    size_t nmaps;
    size_t heap_max, map_max; /* bounds of the two, in bytes */
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
    struct spu_arena_cache *cache; /* where released chunks go, or NULL */
};

static void chunk_drop(struct chunk *c)
{
    if (MAPLEN(c))
        munmap(c, MAPLEN(c));
    else
        free(c);
}

/* The cache's list for a heap chunk of `size` usable bytes, or -1: only
 * the sizes arenas' chunks double through are kept. */
static int heap_class(size_t size)
{
    if (size < 1024 || size > (1024u << (ARENA_CACHE_CLASSES - 1)) || (size & (size - 1)))
        return -1;
    return __builtin_ctzl(size) - 10;
}

/* A chunk the arena no longer holds: kept by the cache while it has room. */
static void chunk_release(struct spu_arena_cache *k, struct chunk *c)
{
    if (k && MAPLEN(c) && k->map_bytes + TOUCHED(c) <= k->map_max && k->nmaps < ARENA_CACHE_MAPS) {
        c->next = k->maps;
        k->maps = c;
        k->map_bytes += TOUCHED(c);
        k->nmaps++;
        return;
    }
    int i = k && !MAPLEN(c) ? heap_class(c->size) : -1;
    if (i >= 0 && k->heap_bytes + sizeof(*c) + c->size <= k->heap_max) {
        c->next = k->heap[i];
        k->heap[i] = c;
        k->heap_bytes += sizeof(*c) + c->size;
        return;
    }
    chunk_drop(c);
}

/* An idle heap chunk of exactly `size` usable bytes, or NULL. */
static struct chunk *cache_take_heap(struct spu_arena_cache *k, size_t size)
{
    int i = k ? heap_class(size) : -1;
    if (i < 0 || !k->heap[i])
        return NULL;
    struct chunk *c = k->heap[i];
    k->heap[i] = c->next;
    k->heap_bytes -= sizeof(*c) + c->size;
    return c;
}

/* An idle mapping: the smallest that holds `len` bytes, else the largest
 * (the caller grows it). NULL when there is none. */
static struct chunk *cache_take_map(struct spu_arena_cache *k, size_t len)
{
    if (!k || !k->maps)
        return NULL;
    struct chunk **best = NULL;
    for (struct chunk **l = &k->maps; *l; l = &(*l)->next) {
        size_t m = MAPLEN(*l);
        if (!best)
            best = l;
        else if (m >= len ? (MAPLEN(*best) < len || m < MAPLEN(*best)) : MAPLEN(*best) < m)
            best = l;
    }
    struct chunk *c = *best;
    *best = c->next;
    k->map_bytes -= TOUCHED(c);
    k->nmaps--;
    return c;
}

struct spu_arena_cache *spu_arena_cache_new(size_t heap_max, size_t map_max)
{
    struct spu_arena_cache *k = calloc(1, sizeof(*k));
    if (k)
        k->heap_max = heap_max, k->map_max = map_max;
    return k;
}

void spu_arena_cache_free(struct spu_arena_cache *k)
{
    if (!k)
        return;
    struct chunk *lists[ARENA_CACHE_CLASSES + 1] = {k->maps};
    memcpy(lists + 1, k->heap, sizeof(k->heap));
    for (unsigned i = 0; i <= ARENA_CACHE_CLASSES; i++)
        for (struct chunk *c = lists[i], *n; c; c = n) {
            n = c->next;
            chunk_drop(c);
        }
    free(k);
}

size_t spu_arena_cache_held(const struct spu_arena_cache *k)
{
    return k ? k->heap_bytes + k->map_bytes : 0;
}

void spu_arena_set_cache(struct spu_arena *a, struct spu_arena_cache *k)
{
    a->cache = k;
}

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
        chunk_release(a->cache, c);
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
            chunk_release(a->cache, c);
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
    struct chunk *c = cache_take_heap(a->cache, size);
    if (!c && !(c = malloc(sizeof(*c) + size)))
        return NULL;
    c->map4k = 0;
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

static size_t page_round(size_t n)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t p = ps > 0 ? (size_t)ps : 4096u;
    return (n + p - 1) / p * p;
}

/* Grow mapping c to hold len bytes: in place when it has them, else by
 * mremap. NULL on failure (c is then unmapped when `drop`, else kept). */
static struct chunk *map_grow(struct chunk *c, size_t len, int drop)
{
    if (len <= MAPLEN(c))
        return c;
    void *q = mremap(c, MAPLEN(c), len, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) {
        if (drop)
            chunk_drop(c);
        return NULL;
    }
    struct chunk *nc = q;
    nc->map4k = (uint32_t)(len >> 12);
    return nc;
}

/* c (alone in its chunk, `on` bytes used) grown to n usable bytes in a
 * mapping: grown in place or by mremap when c is one already, else its
 * bytes copied once into a mapping (an idle one from the cache when there
 * is one) of `most` usable bytes of address space, so that it need not
 * move again. NULL on failure, c untouched. */
static struct chunk *chunk_remap(struct spu_arena *a, struct chunk *c, size_t on, size_t n,
                                 size_t most)
{
    size_t len = page_round(sizeof(*c) + n);
    if (len < n || (len >> 12) > UINT32_MAX)
        return NULL; /* (the heap may still have it) */
    if (MAPLEN(c))
        return map_grow(c, len > MAPLEN(c) ? page_round(sizeof(*c) + (most > n ? most : n)) : len, 0);
    size_t want = most > n ? page_round(sizeof(*c) + most) : len;
    struct chunk *nc = cache_take_map(a->cache, want);
    if (nc)
        nc = map_grow(nc, len, 1);
    if (!nc) {
        void *q = mmap(NULL, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                       -1, 0);
        if (q == MAP_FAILED)
            return NULL;
        nc = q;
        nc->map4k = (uint32_t)(want >> 12);
        nc->touched4k = 0;
    }
    nc->next = c->next;
    nc->size = c->size;
    nc->used = c->used;
    memcpy(nc->data, c->data, on);
    free(c);
    return nc;
}

void *spu_arena_regrow(struct spu_arena *a, void *p, size_t old, size_t new_size)
{
    return spu_arena_regrow_upto(a, p, old, new_size, new_size);
}

void *spu_arena_regrow_upto(struct spu_arena *a, void *p, size_t old, size_t new_size, size_t most)
{
    if (most > ARENA_MAP_MOST)
        most = ARENA_MAP_MOST;
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
    /* a buffer that may grow large moves into its mapping early, while
     * there is little to copy (and the heap does not trim and refault) */
    size_t map_min = most >= ARENA_MAP_MIN ? ARENA_MAP_EARLY : ARENA_MAP_MIN;
    struct chunk *nc = MAPLEN(c) || n >= map_min ? chunk_remap(a, c, on, n, most) : NULL;
    if (!nc && !MAPLEN(c)) /* also when no mapping could be had (max_map_count) */
        nc = realloc(c, sizeof(*nc) + n);
    if (!nc)
        return NULL;
    *link = nc;
    nc->size = n;
    nc->used = n;
    if (nc->map4k && TOUCHED(nc) < page_round(sizeof(*nc) + n))
        nc->touched4k = (uint32_t)(page_round(sizeof(*nc) + n) >> 12);
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
