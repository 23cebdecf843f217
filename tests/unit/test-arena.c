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
