/* grow.c - see grow.h. */
#include "grow.h"

size_t spu_grow_cap(size_t cap, size_t need, size_t min, size_t max)
{
    if (need > max)
        return 0;
    size_t n = cap > min ? cap : min;
    if (n == 0)
        n = 1;
    if (n >= max)
        return max;
    while (n < need) {
        if (n > max / 2)
            return max;
        n *= 2;
    }
    return n;
}
