/* fuzz-stdlib.c - libFuzzer target for the stdlib's parsers of untrusted
 * data: every pure built-in on the input (string parameters get the input
 * or its halves, int/bool parameters small values from its first bytes),
 * and every streaming filter, whose output for the input cut at two points
 * must equal its output in one piece (a difference aborts). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builtin-api.h"
#include "err.h"
#include "value.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct buf {
    uint8_t *p;
    size_t len, cap;
};

static int sink(void *ctx, const uint8_t *p, size_t n)
{
    struct buf *b = ctx;
    if (b->len + n > b->cap) {
        size_t cap = (b->len + n) * 2;
        uint8_t *np = realloc(b->p, cap);
        if (!np)
            return SPU_ENOMEM;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    /* a sink bounds what it keeps; so does this one (inflated bombs) */
    return b->len > (8u << 20) ? SPU_ELIMIT : SPU_OK;
}

static int run_filter(const struct spu_filter_ops *ops, const uint8_t *in, size_t n,
                      size_t cut1, size_t cut2, struct buf *out)
{
    _Alignas(16) uint8_t state[512];
    if (ops->state_size > sizeof(state) || ops->init(state) != SPU_OK)
        return SPU_ENOMEM;
    int rc = ops->update(state, in, cut1, sink, out);
    if (rc == SPU_OK)
        rc = ops->update(state, in + cut1, cut2 - cut1, sink, out);
    if (rc == SPU_OK)
        rc = ops->update(state, in + cut2, n - cut2, sink, out);
    if (rc == SPU_OK)
        rc = ops->finish(state, sink, out);
    ops->fini(state);
    return rc;
}

static void fuzz_filters(const uint8_t *data, size_t size)
{
    size_t cut1 = size ? data[0] % (size + 1) : 0;
    size_t cut2 = size > 1 ? cut1 + data[1] % (size - cut1 + 1) : cut1;
    for (unsigned f = 0; f < SPU_FLT__COUNT; f++) {
        struct buf whole = {0}, parts = {0};
        int r1 = run_filter(spu_filters[f], data, size, 0, 0, &whole);
        int r2 = run_filter(spu_filters[f], data, size, cut1, cut2, &parts);
        /* below the sink's bound, splitting must not change anything,
         * except where gunzip/inflate stop on bad data (filter-zlib.c:
         * the decoder call that meets bad data sends nothing, so the cuts decide
         * how much came out): then one output is a prefix of the other */
        int cut_stop = r1 != SPU_OK && (f == SPU_FLT_gunzip || f == SPU_FLT_inflate);
        size_t same = whole.len < parts.len ? whole.len : parts.len;
        if (whole.len <= (8u << 20) &&
            (r1 != r2 || (!cut_stop && whole.len != parts.len) ||
             (same && memcmp(whole.p, parts.p, same) != 0)))
            abort();
        free(whole.p);
        free(parts.p);
    }
}

static void fuzz_builtins(const uint8_t *data, size_t size)
{
    struct spu_arena *a = spu_arena_new(0, 64u << 20);
    struct spu_call c = {.scratch = a, .rule = 0};
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    struct spu_value args[SPU_MAX_SIG_PARAMS];
    size_t half = size / 2;
    for (unsigned id = 0; id < SPU_BI__COUNT; id++) {
        if (!(spu_builtins[id].flags & SPU_BIF_PURE))
            continue;
        int n = spu_sig_parse(spu_builtins[id].params, p, SPU_MAX_SIG_PARAMS);
        for (int k = 0; k < n; k++) {
            int64_t small = size > (size_t)k ? (int64_t)(int8_t)data[k] : 0;
            if (strcmp(p[k].type, "int") == 0)
                args[k] = spu_v_int(small);
            else if (strcmp(p[k].type, "bool") == 0)
                args[k] = spu_v_bool(small & 1);
            else if (n > 1 && k == 1)
                args[k] = spu_v_str(data + half, (uint32_t)(size - half));
            else
                args[k] = spu_v_str(data, (uint32_t)(n > 1 ? half : size));
        }
        struct spu_value ret;
        c.builtin = id;
        spu_builtin_fns[id](&c, args, (unsigned)n, &ret);
        spu_arena_reset(a);
    }
    spu_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy, so reads past the end are caught */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    fuzz_builtins(copy, size);
    fuzz_filters(copy, size);
    free(copy);
    return 0;
}
