/* filters.c - the table of streaming filters, indexed by filter id
 * (filters.def). The ops themselves live in filter-*.c. */
#include "stdlib-int.h"

const struct spu_filter_ops *const spu_filters[SPU_FLT__COUNT] = {
#define FILTER(name, prefix, doc) [SPU_FLT_##name] = &prefix##_ops,
#include "filters.def"
#undef FILTER
};
