/*
 * grow.h - the next capacity of a buffer that grows by doubling.
 *
 * Every growable array and text buffer of spu (compiler, runtime, stdlib)
 * takes its new capacity from here, so that the doubling, its starting
 * size and the overflow check are written once. The caller still owns the
 * allocation (realloc, an arena): this only says how many elements.
 */
#ifndef SPU_GROW_H
#define SPU_GROW_H

#include <stddef.h>
#include <stdint.h> /* SIZE_MAX, UINT32_MAX: the usual limits */

/* The capacity, in elements, for a buffer of `cap` elements that must
 * hold `need`: the first of max(cap, min, 1), twice that, four times...
 * that is at least need; `max` when the doubling would pass it. 0 when
 * need > max: the caller's limit, or what can be allocated (pass
 * SIZE_MAX / the element size). No arithmetic here overflows. */
size_t spu_grow_cap(size_t cap, size_t need, size_t min, size_t max);

#endif
