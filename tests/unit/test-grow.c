/* Unit tests for runtime/vm/grow.c: the doubling, the minimum, the exact
 * need, the limit and the overflow of spu_grow_cap. */
#include <criterion/criterion.h>
#include <stdint.h>

#include "grow.h"

struct grow_case {
    size_t cap, need, min, max, want;
    const char *why;
};

static void check(const struct grow_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t got = spu_grow_cap(c[i].cap, c[i].need, c[i].min, c[i].max);
        cr_assert_eq(got, c[i].want, "cap %zu need %zu min %zu max %zu: %zu, want %zu (%s)",
                     c[i].cap, c[i].need, c[i].min, c[i].max, got, c[i].want, c[i].why);
    }
}

#define CHECK(...)                                                                                 \
    do {                                                                                           \
        const struct grow_case cases_[] = {__VA_ARGS__};                                           \
        check(cases_, sizeof(cases_) / sizeof(cases_[0]));                                         \
    } while (0)

Test(grow, an_empty_buffer_starts_at_the_minimum)
{
    CHECK({0, 1, 16, SIZE_MAX, 16, "one element"}, {0, 16, 16, SIZE_MAX, 16, "the minimum"},
          {0, 17, 16, SIZE_MAX, 32, "one past it"}, {0, 1000, 16, SIZE_MAX, 1024, "doubled"},
          {0, 1, 0, SIZE_MAX, 1, "no minimum"}, {0, 5, 0, SIZE_MAX, 8, "powers of two"});
}

Test(grow, doubles_from_the_current_capacity_until_need)
{
    CHECK({100, 101, 16, SIZE_MAX, 200, "once"}, {100, 201, 16, SIZE_MAX, 400, "twice"},
          {100, 3000, 16, SIZE_MAX, 3200, "five times"},
          {3, 4, 32, SIZE_MAX, 32, "a capacity under the minimum starts there"},
          {3, 33, 32, SIZE_MAX, 64, "and doubles from it"});
}

Test(grow, exact_need_is_enough)
{
    CHECK({64, 128, 1, SIZE_MAX, 128, "need is twice cap"},
          {100, 200, 16, SIZE_MAX, 200, "not doubled past it"},
          {4096, 4096, 4096, SIZE_MAX, 4096, "need is cap"},
          {500, 10, 16, SIZE_MAX, 500, "large enough already"});
}

Test(grow, the_limit_caps_and_refuses)
{
    CHECK({600, 601, 16, 1000, 1000, "the doubling stops at the limit"},
          {600, 1000, 16, 1000, 1000, "need is the limit"},
          {600, 1001, 16, 1000, 0, "past the limit: refused"},
          {0, 10, 4096, 1000, 1000, "a minimum over the limit"},
          {UINT32_MAX - 1, UINT32_MAX, 4, UINT32_MAX, UINT32_MAX, "a uint32_t count"});
}

Test(grow, no_overflow_near_size_max)
{
    size_t half = SIZE_MAX / 2 + 1; /* doubling it wraps to 0 */
    size_t max24 = SIZE_MAX / 24;   /* elements of 24 bytes */
    CHECK({half, half + 1, 16, SIZE_MAX, SIZE_MAX, "doubling would wrap"},
          {SIZE_MAX - 1, SIZE_MAX, 16, SIZE_MAX, SIZE_MAX, "the largest"},
          {half / 2, half, 16, SIZE_MAX, half, "the last doubling that fits"},
          {max24 / 2 + 1, max24 / 2 + 2, 16, max24, max24, "times the size still fits"},
          {16, max24 + 1, 16, max24, 0, "more than can be allocated"});
}
