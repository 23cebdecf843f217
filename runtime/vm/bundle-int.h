/*
 * bundle-int.h - the inside of a loaded bundle, for the VM library's own
 * hot paths (vm.c, index.c, disasm.c). Everything here is immutable after
 * spu_bundle_load_*() returns.
 */
#ifndef SPU_BUNDLE_INT_H
#define SPU_BUNDLE_INT_H

#include "bundle.h"

#include <stdatomic.h>

struct spu_bundle {
    atomic_uint refs;
    uint8_t *mem; /* read-only private mapping of the file */
    size_t map_len;
    struct spu_bview v;
    int trusted_sig;
    struct spu_value *kvals;    /* by CONST index */
    struct spu_layout *layouts; /* by LAYOUT index */
    char *names;                /* NUL-terminated layout names */
    pcre2_code **re;            /* by REGEX index */
    struct spu_prefilter *pf;
    struct spu_lists *lists; /* by LIST index (stdlib/lists.h) */
    uint32_t *unindexed;     /* per event: rules without INDEXED */
    uint32_t *unidx_off;     /* nevents + 1 offsets into unindexed */
};

#endif
