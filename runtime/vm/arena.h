/*
 * arena.h - chunked bump allocator with an optional byte cap.
 *
 * One arena per lifetime: a compilation (spuc: AST, IR and symbols die
 * together), a message being parsed, one event's scratch values. Memory is
 * freed all at once by spu_arena_reset() or spu_arena_free(); there is no
 * per-object free. A cap bounds what the arena may hold (0 = no cap); an
 * allocation past the cap fails with NULL and counts in `refused`, so the
 * caller can raise an anomaly instead of growing without bound.
 * Not thread-safe: an arena belongs to one thread at a time.
 */
#ifndef SPU_ARENA_H
#define SPU_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct spu_arena;

/* Returns new; chunk_size is the default chunk (0 = 16 KiB); cap in bytes,
 * 0 for none. NULL when out of memory. */
struct spu_arena *spu_arena_new(size_t chunk_size, size_t cap);

/* Frees the arena and everything allocated from it. NULL is a no-op. */
void spu_arena_free(struct spu_arena *a);

/* Forget every allocation but keep the first chunk for reuse. */
void spu_arena_reset(struct spu_arena *a);

/* Returns memory aligned to 16 bytes, or NULL (out of memory or over cap).
 * The memory is not zeroed (spu_arena_zalloc zeroes). */
void *spu_arena_alloc(struct spu_arena *a, size_t size);
void *spu_arena_zalloc(struct spu_arena *a, size_t size);

/* Copies n bytes (returns new, borrowed from the arena); memdup of 0 bytes
 * returns a valid non-NULL pointer. strdup adds a NUL. */
void *spu_arena_memdup(struct spu_arena *a, const void *p, size_t n);
char *spu_arena_strdup(struct spu_arena *a, const char *s);
char *spu_arena_strndup(struct spu_arena *a, const char *s, size_t n);
char *spu_arena_sprintf(struct spu_arena *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Grow the most recent allocation `p` of `old` bytes to `new_size` in place
 * when possible, else allocate and copy. Returns NULL on failure (p stays
 * valid). */
void *spu_arena_grow(struct spu_arena *a, void *p, size_t old, size_t new_size);

/* Like spu_arena_grow, for a buffer nothing else points into: when `p`
 * cannot grow in place but is alone in its chunk (a block larger than the
 * chunk size gets one of its own), the chunk is resized with realloc, so the
 * old bytes are not kept beside the new ones. A buffer grown by doubling
 * then holds about its size, not the sum of its copies. Past 128 KiB the
 * buffer moves once into a mapping of its own, grown by mremap from then
 * on, so its bytes are not copied again. On success `p` is
 * invalid (use the result); on failure (NULL) it stays valid. */
void *spu_arena_regrow(struct spu_arena *a, void *p, size_t old, size_t new_size);
/* The same for a buffer known to grow to `most` bytes at most (its limit):
 * the mapping it moves into reserves address space for that many (up to
 * 8 MiB; pages are faulted in as they are written), so it is not moved
 * again. The arena's accounting counts only new_size. */
void *spu_arena_regrow_upto(struct spu_arena *a, void *p, size_t old, size_t new_size,
                            size_t most);

/* A cache of idle chunks, shared by the arenas of one thread (a worker's
 * message arenas): a chunk an arena releases (reset, free) is kept there,
 * up to heap_max bytes of heap chunks (sizes 1-64 KiB, powers of 2) and
 * map_max bytes (pages written) of mappings (the large buffers
 * spu_arena_regrow grew, at most 64), and a new chunk of the same size, or
 * a large buffer, is taken from it before the heap or the kernel is asked.
 * Memory kept idle is bounded by heap_max + map_max. Not thread-safe; it
 * must outlive the arenas attached to it. */
struct spu_arena_cache;
struct spu_arena_cache *spu_arena_cache_new(size_t heap_max, size_t map_max);
void spu_arena_cache_free(struct spu_arena_cache *k);
/* Bytes held idle (chunk headers and mapping lengths included). */
size_t spu_arena_cache_held(const struct spu_arena_cache *k);
/* Attach (k) or detach (NULL) a cache. */
void spu_arena_set_cache(struct spu_arena *a, struct spu_arena_cache *k);

/* Accounting: bytes handed out (sum of sizes, rounded) and bytes held
 * (chunks from malloc, the figure that counts against memory caps). */
size_t spu_arena_used(const struct spu_arena *a);
size_t spu_arena_held(const struct spu_arena *a);
size_t spu_arena_cap(const struct spu_arena *a);
void spu_arena_set_cap(struct spu_arena *a, size_t cap);
/* Each new chunk doubles the size of the next, up to chunk_max (0: every
 * chunk is the size given to spu_arena_new); a reset starts again from
 * that size. For arenas that are mostly small but sometimes large. */
void spu_arena_set_growth(struct spu_arena *a, size_t chunk_max);
/* Number of allocations refused because of the cap since creation. */
uint64_t spu_arena_refused(const struct spu_arena *a);

#endif
