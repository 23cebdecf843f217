/* detect-state.c - the VM host's answers to the state built-ins
 * (host.h state(), stdlib/state-fns.c): requests to the engine's shared
 * state store, local networks, and Report() to the publisher. */
#include "detect-int.h"

#include "builtin-api.h"
#include "err.h"
#include "localnet.h"
#include "state.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The key as text: strings as they are, ints in decimal, addresses in
 * their usual notation (what Redis keys and EVE records show). */
static int key_text(const struct spu_value *v, char *buf, size_t cap, const char **p, size_t *n)
{
    switch (v->type) {
    case SPU_T_STR:
        *p = (const char *)v->u.s;
        *n = v->len;
        return SPU_OK;
    case SPU_T_INT:
    case SPU_T_BOOL:
        *n = (size_t)snprintf(buf, cap, "%" PRId64, v->u.i);
        *p = buf;
        return SPU_OK;
    case SPU_T_IP: {
        if (spu_ip_format(v->u.s, v->aux, buf, cap) != SPU_OK)
            return SPU_EINVAL;
        uint32_t host = v->aux == 4 ? 32 : 128;
        if (v->len < host)
            snprintf(buf + strlen(buf), cap - strlen(buf), "/%u", (unsigned)v->len);
        *p = buf;
        *n = strlen(buf);
        return SPU_OK;
    }
    default:
        return SPU_EINVAL;
    }
}

int64_t detect_state_score(struct detect_worker *w, const uint8_t ip[16], unsigned family)
{
    struct state_store *st = detect_store(w, SPU_ST_SCORE, NULL, 0);
    char kb[80];
    if (!st || spu_ip_format(ip, family, kb, sizeof(kb)) != SPU_OK)
        return 0;
    struct state_req r = {.kind = STATE_SCORE_GET, .key = kb, .klen = strlen(kb),
                          .now_ms = w->cur.ts_ns / 1000000};
    int64_t v = 0;
    return state_store_op(st, &r, &v) == SPU_OK ? v : 0;
}

int detect_host_state(void *ctx, uint32_t builtin, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret)
{
    struct detect_worker *w = ctx;
    const struct detect_cfg *cfg = &w->eng->cfg;
    int64_t now = w->cur.ts_ns / 1000000;
    if (builtin == SPU_BI_IsLocal) {
        *ret = spu_v_bool(argc == 1 && args[0].type == SPU_T_IP && cfg->local &&
                          localnet_has(cfg->local, args[0].u.s));
        return SPU_OK;
    }
    if (builtin == SPU_BI_Report) {
        int ok = argc == 1 && args[0].type == SPU_T_IP && cfg->report &&
                 cfg->report(cfg->report_ctx, args[0].u.s, args[0].aux, now) == SPU_OK;
        *ret = spu_v_bool(ok);
        return SPU_OK;
    }
    if (builtin == SPU_BI_SessionSet) {
        *ret = spu_v_bool(argc == 4 && detect_session_set(w, args) == SPU_OK);
        return SPU_OK;
    }
    char kb[80];
    struct state_req r = {.now_ms = now};
    const struct spu_value *key = NULL;
    uint32_t table;
    switch (builtin) {
    case SPU_BI_TokenBucket:
        table = SPU_ST_BUCKET;
        break;
    case SPU_BI_WindowCount:
        table = SPU_ST_WINDOW;
        break;
    case SPU_BI_ScoreAdd:
    case SPU_BI_Score:
        table = SPU_ST_SCORE;
        break;
    default:
        table = SPU_ST_LIST;
        break;
    }
    struct state_store *st =
        detect_store(w, table, table == SPU_ST_LIST && argc > 0 ? (const char *)args[0].u.s : NULL,
                     table == SPU_ST_LIST && argc > 0 ? args[0].len : 0);
    if (!st)
        return SPU_EUNSUPPORTED;
    switch (builtin) {
    case SPU_BI_TokenBucket: /* key, rate, burst, per, n */
        r.kind = STATE_BUCKET;
        key = &args[0];
        r.a = args[1].u.i;
        r.b = args[2].u.i;
        r.c = args[3].u.i;
        r.n = args[4].u.i;
        break;
    case SPU_BI_WindowCount: /* key, window, n */
        r.kind = STATE_COUNT;
        key = &args[0];
        r.a = args[1].u.i;
        r.n = args[2].u.i;
        break;
    case SPU_BI_ListAdd: /* list, key, ttl */
    case SPU_BI_ListHas:
    case SPU_BI_ListDel:
        r.kind = builtin == SPU_BI_ListAdd   ? STATE_LIST_ADD
                 : builtin == SPU_BI_ListHas ? STATE_LIST_HAS
                                             : STATE_LIST_DEL;
        r.name = (const char *)args[0].u.s;
        r.nlen = args[0].len;
        key = &args[1];
        r.a = builtin == SPU_BI_ListAdd ? args[2].u.i : 0;
        break;
    case SPU_BI_ScoreAdd: /* key, delta, ttl */
        r.kind = STATE_SCORE_ADD;
        key = &args[0];
        r.n = args[1].u.i;
        r.a = args[2].u.i;
        break;
    case SPU_BI_Score:
        r.kind = STATE_SCORE_GET;
        key = &args[0];
        break;
    default:
        return SPU_EINVAL;
    }
    if (key_text(key, kb, sizeof(kb), &r.key, &r.klen) != SPU_OK)
        return SPU_EINVAL;
    int64_t v = 0;
    int rc = state_store_op(st, &r, &v);
    if (rc != SPU_OK)
        return rc;
    if (builtin == SPU_BI_WindowCount || builtin == SPU_BI_ScoreAdd || builtin == SPU_BI_Score)
        *ret = spu_v_int(v);
    else
        *ret = spu_v_bool(v != 0);
    return SPU_OK;
}
