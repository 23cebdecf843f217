/* Unit tests for runtime/vm/arena.c: alignment, growth, caps, reset. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "arena.h"

Test(arena, allocations_are_aligned_and_distinct)
{
    struct spu_arena *a = spu_arena_new(64, 0);
    char *p = spu_arena_alloc(a, 3);
    char *q = spu_arena_alloc(a, 5);
    cr_assert(p && q && p != q);
    cr_assert_eq((uintptr_t)p % 16, 0);
    cr_assert_eq((uintptr_t)q % 16, 0);
    spu_arena_free(a);
}

Test(arena, large_allocation_gets_its_own_chunk)
{
    struct spu_arena *a = spu_arena_new(64, 0);
    char *big = spu_arena_zalloc(a, 10000);
    cr_assert_not_null(big);
    cr_assert_eq(big[9999], 0);
    cr_assert_geq(spu_arena_held(a), 10000);
    spu_arena_free(a);
}

Test(arena, cap_refuses_and_counts)
{
    struct spu_arena *a = spu_arena_new(256, 1024);
    int ok = 0;
    for (int i = 0; i < 100; i++)
        ok += spu_arena_alloc(a, 100) != NULL;
    cr_assert_lt(ok, 100);
    cr_assert_gt(ok, 0);
    cr_assert_leq(spu_arena_held(a), 1024);
    cr_assert_gt(spu_arena_refused(a), 0);
    spu_arena_free(a);
}

Test(arena, reset_keeps_memory_reusable)
{
    struct spu_arena *a = spu_arena_new(128, 0);
    for (int i = 0; i < 50; i++)
        cr_assert_not_null(spu_arena_alloc(a, 100));
    spu_arena_reset(a);
    cr_assert_eq(spu_arena_used(a), 0);
    cr_assert_leq(spu_arena_held(a), 128 + 64);
    cr_assert_not_null(spu_arena_alloc(a, 100));
    spu_arena_free(a);
}

Test(arena, grow_in_place_and_by_copy)
{
    struct spu_arena *a = spu_arena_new(1024, 0);
    char *p = spu_arena_alloc(a, 16);
    memcpy(p, "0123456789abcdef", 16);
    char *g = spu_arena_grow(a, p, 16, 64);
    cr_assert_eq(g, p); /* last allocation grows in place */
    char *other = spu_arena_alloc(a, 8);
    cr_assert_not_null(other);
    char *h = spu_arena_grow(a, g, 64, 2048); /* not last: moved */
    cr_assert_neq(h, g);
    cr_assert_eq(memcmp(h, "0123456789abcdef", 16), 0);
    spu_arena_free(a);
}

/* A block alone in its chunk is resized, not copied beside itself: held
 * stays near the final size however many times it doubles. */
Test(arena, regrow_releases_the_old_copy)
{
    struct spu_arena *a = spu_arena_new(1024, 0);
    size_t cap = 2048;
    unsigned char *p = spu_arena_alloc(a, cap); /* larger than a chunk: its own */
    memset(p, 7, cap);
    for (int i = 0; i < 10; i++) {
        cr_assert_not_null(spu_arena_alloc(a, 100)); /* others in between */
        p = spu_arena_regrow(a, p, cap, cap * 2);
        cr_assert_not_null(p);
        memset(p + cap, 7, cap);
        cap *= 2;
    }
    for (size_t i = 0; i < cap; i++)
        cr_assert_eq(p[i], 7);
    cr_assert_leq(spu_arena_held(a), cap + 4 * 1024, "held %zu for %zu", spu_arena_held(a), cap);
    /* not alone in its chunk: copied (the old bytes stay valid) */
    char *s = spu_arena_alloc(a, 16), *t = spu_arena_alloc(a, 16);
    memcpy(s, "0123456789abcdef", 16);
    char *u = spu_arena_regrow(a, s, 16, 4096);
    cr_assert_neq(u, s);
    cr_assert_eq(memcmp(u, "0123456789abcdef", 16), 0);
    cr_assert_not_null(t);
    /* over the cap: refused, p still valid */
    spu_arena_set_cap(a, spu_arena_held(a));
    cr_assert_null(spu_arena_regrow(a, p, cap, cap * 2));
    cr_assert_eq(p[cap - 1], 7);
    cr_assert_eq(spu_arena_refused(a), 1);
    spu_arena_free(a);
}

/* A buffer with a known limit moves into a mapping sized for it once it
 * passes 16 KiB, and then keeps its address up to the limit: its bytes are
 * not copied again. Without a limit it still grows (by mremap past 128 KiB)
 * and keeps every byte. */
Test(arena, regrow_upto_keeps_the_buffer_in_place)
{
    struct spu_arena *a = spu_arena_new(1024, 0);
    size_t cap = 2048, most = 1u << 20;
    unsigned char *p = spu_arena_alloc(a, cap), *at = NULL;
    memset(p, 1, cap);
    while (cap < most) {
        size_t next = cap * 2 > most ? most : cap * 2;
        p = spu_arena_regrow_upto(a, p, cap, next, most);
        cr_assert_not_null(p);
        memset(p + cap, (int)(next % 251), next - cap);
        if (next >= 32 * 1024) {
            if (!at)
                at = p;
            cr_assert_eq(p, at, "moved at %zu", next);
        }
        cap = next;
    }
    cr_assert_eq(p[0], 1);
    cr_assert_eq(p[most - 1], (unsigned char)(most % 251));
    cr_assert_eq(spu_arena_used(a), most);
    cr_assert_leq(spu_arena_held(a), most + 2 * 1024);
    /* a mapped buffer regrown a little without a limit (a digest
     * appended) stays where it is */
    unsigned char *m = spu_arena_alloc(a, 4096);
    m = spu_arena_regrow_upto(a, m, 4096, 20000, most);
    cr_assert_not_null(m);
    memset(m, 4, 20000);
    unsigned char *m2 = spu_arena_regrow(a, m, 20000, 20048);
    cr_assert_eq(m2, m);
    cr_assert_eq(m2[19999], 4);
    /* past its limit: it still grows, every byte kept */
    p = spu_arena_regrow(a, p, cap, 3 * most);
    cr_assert_not_null(p);
    cr_assert_eq(p[0], 1);
    cr_assert_eq(p[most - 1], (unsigned char)(most % 251));
    memset(p + most, 9, 2 * most);
    /* no limit given: by mremap, bytes kept */
    unsigned char *q = spu_arena_alloc(a, 4096);
    memset(q, 3, 4096);
    for (size_t n = 4096; n < 4 * most; n *= 2) {
        q = spu_arena_regrow(a, q, n, n * 2);
        cr_assert_not_null(q);
        memset(q + n, 3, n);
    }
    for (size_t i = 0; i < 4 * most; i += 4093)
        cr_assert_eq(q[i], 3);
    spu_arena_free(a);
}

/* Arenas attached to a cache give it their chunks when reset or freed and
 * take them back instead of asking malloc or the kernel; the cache keeps
 * a bounded amount. */
Test(arena, cache_keeps_released_chunks_bounded)
{
    struct spu_arena_cache *k = spu_arena_cache_new(256 * 1024, 256 * 1024);
    struct spu_arena *a = spu_arena_new(2048, 0);
    spu_arena_set_cache(a, k);
    spu_arena_set_growth(a, 16384);
    for (int i = 0; i < 40; i++)
        cr_assert_not_null(spu_arena_alloc(a, 1000));
    cr_assert_eq(spu_arena_cache_held(k), 0);
    spu_arena_reset(a); /* every chunk but the first goes to the cache */
    size_t kept = spu_arena_cache_held(k);
    cr_assert_gt(kept, 0);
    for (int i = 0; i < 40; i++)
        cr_assert_not_null(spu_arena_alloc(a, 1000));
    cr_assert_lt(spu_arena_cache_held(k), kept, "the chunks were taken back");
    /* a large buffer: its mapping goes to the cache and is reused */
    size_t n = 64 * 1024, most = 1u << 20;
    unsigned char *p = spu_arena_alloc(a, 20000);
    p = spu_arena_regrow_upto(a, p, 20000, n, most);
    cr_assert_not_null(p);
    memset(p, 5, n);
    spu_arena_reset(a);
    cr_assert_geq(spu_arena_cache_held(k), n);
    size_t before = spu_arena_cache_held(k);
    unsigned char *r = spu_arena_alloc(a, 20000);
    r = spu_arena_regrow_upto(a, r, 20000, n, most);
    cr_assert_not_null(r);
    cr_assert_lt(spu_arena_cache_held(k), before, "the mapping was taken back");
    /* the bound: a cache of 256 KiB keeps no 1 MiB mapping */
    memset(r, 6, n);
    r = spu_arena_regrow_upto(a, r, n, most, most);
    memset(r, 6, most);
    spu_arena_free(a);
    cr_assert_leq(spu_arena_cache_held(k), 256 * 1024);
    spu_arena_cache_free(k);
    spu_arena_cache_free(NULL);
}

Test(arena, strings)
{
    struct spu_arena *a = spu_arena_new(0, 0);
    cr_assert_str_eq(spu_arena_strdup(a, "abc"), "abc");
    cr_assert_str_eq(spu_arena_strndup(a, "abcdef", 2), "ab");
    cr_assert_str_eq(spu_arena_sprintf(a, "%d-%s", 7, "x"), "7-x");
    cr_assert_not_null(spu_arena_memdup(a, "", 0));
    spu_arena_free(NULL);
    spu_arena_free(a);
}

/* With growth, each new chunk doubles the next up to the maximum, and a
 * reset starts again from the first size: chunks of 256, 512, 1024, 1024
 * usable bytes, each opened by an allocation too big for the one before. */
Test(arena, growth_doubles_chunks_up_to_the_max_and_reset_restarts)
{
    struct spu_arena *a = spu_arena_new(256, 0);
    spu_arena_set_growth(a, 1024);
    size_t held0 = 0, step[4];
    for (int i = 0; i < 4; i++) {
        cr_assert_not_null(spu_arena_alloc(a, i < 2 ? 200 : 1000));
        step[i] = spu_arena_held(a) - held0;
        held0 = spu_arena_held(a);
    }
    size_t hdr = step[0] - 256;
    cr_assert_eq(step[1], 512 + hdr);
    cr_assert_eq(step[2], 1024 + hdr);
    cr_assert_eq(step[3], 1024 + hdr);
    spu_arena_reset(a);
    cr_assert_eq(spu_arena_held(a), 256 + hdr); /* the first chunk stays */
    cr_assert_not_null(spu_arena_alloc(a, 200));
    cr_assert_not_null(spu_arena_alloc(a, 200)); /* a new chunk, of 512 again */
    cr_assert_eq(spu_arena_held(a), 256 + 512 + 2 * hdr);
    spu_arena_free(a);
    /* without growth every chunk keeps the first size */
    a = spu_arena_new(256, 0);
    cr_assert_not_null(spu_arena_alloc(a, 200));
    cr_assert_not_null(spu_arena_alloc(a, 200));
    cr_assert_eq(spu_arena_held(a), 2 * (256 + hdr));
    spu_arena_free(a);
}
