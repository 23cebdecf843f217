/* Unit tests for runtime/vm/grow.c: the doubling, the minimum, the exact
 * need, the limit and the overflow of spu_grow_cap. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "grow.h"

Test(grow, an_empty_buffer_starts_at_the_minimum)
{
    cr_assert_eq(spu_grow_cap(0, 1, 16, SIZE_MAX), 16);
    cr_assert_eq(spu_grow_cap(0, 16, 16, SIZE_MAX), 16);
    cr_assert_eq(spu_grow_cap(0, 17, 16, SIZE_MAX), 32);
    cr_assert_eq(spu_grow_cap(0, 1000, 16, SIZE_MAX), 1024);
    /* no minimum: powers of two from 1 */
    cr_assert_eq(spu_grow_cap(0, 1, 0, SIZE_MAX), 1);
    cr_assert_eq(spu_grow_cap(0, 5, 0, SIZE_MAX), 8);
}

Test(grow, doubles_from_the_current_capacity_until_need)
{
    cr_assert_eq(spu_grow_cap(100, 101, 16, SIZE_MAX), 200);
    cr_assert_eq(spu_grow_cap(100, 200, 16, SIZE_MAX), 200);
    cr_assert_eq(spu_grow_cap(100, 201, 16, SIZE_MAX), 400);
    cr_assert_eq(spu_grow_cap(100, 3000, 16, SIZE_MAX), 3200);
    /* a capacity under the minimum starts from the minimum */
    cr_assert_eq(spu_grow_cap(3, 4, 32, SIZE_MAX), 32);
    cr_assert_eq(spu_grow_cap(3, 33, 32, SIZE_MAX), 64);
}

Test(grow, exact_need_is_enough)
{
    cr_assert_eq(spu_grow_cap(64, 128, 1, SIZE_MAX), 128);
    cr_assert_eq(spu_grow_cap(4096, 4096, 4096, SIZE_MAX), 4096);
    /* a buffer already large enough keeps its capacity */
    cr_assert_eq(spu_grow_cap(500, 10, 16, SIZE_MAX), 500);
}

Test(grow, the_limit_caps_and_refuses)
{
    cr_assert_eq(spu_grow_cap(600, 601, 16, 1000), 1000, "the doubling stops at the limit");
    cr_assert_eq(spu_grow_cap(600, 1000, 16, 1000), 1000);
    cr_assert_eq(spu_grow_cap(600, 1001, 16, 1000), 0, "past the limit: refused");
    cr_assert_eq(spu_grow_cap(0, 10, 4096, 1000), 1000, "a minimum over the limit");
    cr_assert_eq(spu_grow_cap(0, 0, 0, 0), 0);
    cr_assert_eq(spu_grow_cap(UINT32_MAX - 1, UINT32_MAX, 4, UINT32_MAX), UINT32_MAX);
}

Test(grow, no_overflow_near_size_max)
{
    size_t half = SIZE_MAX / 2 + 1; /* doubling it wraps to 0 */
    cr_assert_eq(spu_grow_cap(half, half + 1, 16, SIZE_MAX), SIZE_MAX);
    cr_assert_eq(spu_grow_cap(SIZE_MAX - 1, SIZE_MAX, 16, SIZE_MAX), SIZE_MAX);
    cr_assert_eq(spu_grow_cap(half / 2, half, 16, SIZE_MAX), half);
    /* elements of 24 bytes: the capacity times the size still fits */
    size_t max = SIZE_MAX / 24;
    size_t n = spu_grow_cap(max / 2 + 1, max / 2 + 2, 16, max);
    cr_assert_eq(n, max);
    cr_assert_leq(n, SIZE_MAX / 24);
    cr_assert_eq(spu_grow_cap(16, max + 1, 16, max), 0);
}
