/*
 * fuzz-bundle.c - libFuzzer target: the input is a bundle.
 *
 * The checksum is recomputed first (as an attacker would), so mutations
 * reach the section checks and the verifier instead of stopping at the
 * checksum. A bundle that loads is then exercised: the disassembler, the
 * index for every event, and every RULE and KEY program on an empty
 * record of its layout, with stdlib's built-ins, a fake host and a small
 * step budget, and the EVE logs on empty records (runtime/evelog). Nothing
 * may crash, leak or read out of bounds.
 */
#include "arena.h"
#include "builtin-api.h"
#include "bundle-crypt.h"
#include "bundle-view.h"
#include "bundle.h"
#include "disasm.h"
#include "evelog.h"
#include "index.h"
#include "vm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fz_host {
    struct spu_arena *arena;
    struct spu_value flow[64];
    struct spu_value sess[64];
};

static int fz_action(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                     uint32_t rule)
{
    return SPU_OK;
}

static int fz_flowkey(void *ctx, uint32_t key, struct spu_value *out)
{
    *out = spu_v_int(key);
    return SPU_OK;
}

static struct spu_value *fz_flowvars(void *ctx, uint32_t *n, struct spu_arena **arena)
{
    struct fz_host *h = ctx;
    *n = 64;
    *arena = h->arena;
    return h->flow;
}

static struct spu_value *fz_session(void *ctx, uint32_t sess, const struct spu_value *key,
                                    int create, uint32_t *n, struct spu_arena **arena)
{
    struct fz_host *h = ctx;
    *n = 64;
    *arena = h->arena;
    return h->sess;
}

static void fz_end_rule(void *ctx, uint32_t rule) {}

static const struct spu_host fz_ops = {
    .action = fz_action,
    .flowkey = fz_flowkey,
    .flowvars = fz_flowvars,
    .session = fz_session,
    .end_rule = fz_end_rule,
};

static void fix_checksum(uint8_t *p, size_t len)
{
    struct spu_bview v;
    uint64_t zo = 0, zl = 0;
    if (spu_bview_parse(p, len, &v, NULL) == SPU_OK && v.sec[SPU_SEC_SIG].present) {
        zo = v.sec[SPU_SEC_SIG].off;
        zl = v.sec[SPU_SEC_SIG].size;
    }
    spu_bundle_digest(p, len, zo, zl, ((struct spu_bhdr *)p)->checksum);
}

static void fz_emit(void *ctx, const char *type, json_t *obj)
{
    json_decref(obj);
}

/* The EVE logs (LOG, LOGENT) on empty records: every event, and every
 * protocol's transactions with both sides absent. */
static void exercise_logs(struct spu_bundle *b, struct spu_arena *a)
{
    struct spu_error err;
    struct evelog *el = evelog_new(&err);
    if (!el)
        return;
    uint32_t nev, nproto;
    const struct spu_bevent *evs = spu_bundle_events(b, &nev);
    spu_bundle_protos(b, &nproto);
    for (uint32_t e = 0; e < nev; e++)
        evelog_event(el, b, e, spu_record_new(a, spu_bundle_layout(b, evs[e].layout)), fz_emit,
                     NULL, &err);
    for (uint32_t p = 0; p < nproto; p++)
        evelog_tx(el, b, p, NULL, NULL, fz_emit, NULL, &err);
    evelog_free(el);
}

static void exercise(struct spu_bundle *b)
{
    struct spu_error err;
    /* stdlib's built-ins (the default table), on whatever the programs pass */
    struct spu_vm_config cfg = {.budget = 200};
    struct spu_vm *vm = spu_vm_new(&cfg, &err);
    struct spu_index *ix = spu_index_new(&err);
    struct fz_host host;
    memset(&host, 0, sizeof(host));
    host.arena = spu_arena_new(0, 1 << 20);
    struct spu_arena *a = spu_arena_new(0, 0);
    FILE *null = fopen("/dev/null", "w");
    if (!vm || !ix || !host.arena || !a || !null)
        goto out;
    spu_disasm(null, b, 0);
    uint32_t nev, nprog;
    const struct spu_bevent *evs = spu_bundle_events(b, &nev);
    const struct spu_bprog *progs = spu_bundle_progs(b, &nprog);
    for (uint32_t e = 0; e < nev; e++) {
        struct spu_record *rec = spu_record_new(a, spu_bundle_layout(b, evs[e].layout));
        struct spu_cands c;
        spu_index_select(ix, vm, b, e, rec, &fz_ops, &host, &c);
        spu_vm_reset(vm);
    }
    uint32_t nrules;
    const struct spu_brule *rules = spu_bundle_rules(b, &nrules);
    for (uint32_t r = 0; r < nrules; r++) {
        const struct spu_layout *l = spu_bundle_layout(b, progs[rules[r].prog].layout);
        struct spu_record *rec = spu_record_new(a, l);
        struct spu_vm_result res;
        spu_vm_run_rule(vm, b, r, rec, &fz_ops, &host, &res);
        spu_vm_reset(vm);
    }
    for (uint32_t p = 0; p < nprog; p++) {
        if (progs[p].kind != SPU_PROG_KEY)
            continue;
        const struct spu_layout *l =
            progs[p].layout == SPU_NONE ? NULL : spu_bundle_layout(b, progs[p].layout);
        struct spu_record *rec = l ? spu_record_new(a, l) : NULL;
        struct spu_value out;
        spu_vm_run_key(vm, b, p, rec, &fz_ops, &host, &out, NULL);
        spu_vm_reset(vm);
    }
    exercise_logs(b, a);
out:
    if (null)
        fclose(null);
    spu_arena_free(a);
    spu_arena_free(host.arena);
    spu_index_free(ix);
    spu_vm_free(vm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < SPU_BHDR_SIZE || size > (1u << 20))
        return 0;
    uint8_t *p = malloc(size);
    if (!p)
        return 0;
    memcpy(p, data, size);
    fix_checksum(p, size);
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, size, NULL, &err);
    free(p);
    if (b) {
        exercise(b);
        spu_bundle_unref(b);
    }
    return 0;
}
