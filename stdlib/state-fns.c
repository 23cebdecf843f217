/* state-fns.c - the built-ins over shared state (TokenBucket, WindowCount,
 * ListAdd, ListHas, ListDel, ScoreAdd, Score, IsLocal, Report; docs/spam.md)
 * and SessionSet (a meta session's variable by an explicit key).
 *
 * Each checks its arguments against its signature in builtins.def, then
 * asks the host (host.h state()), which owns the store (in process memory
 * or Redis) and the sensor's configuration (--local-net, --report). A null
 * key gives null. Without a host (spuc folding) they return
 * SPU_EUNSUPPORTED; they are not PURE, so spuc never folds them. */
#include "stdlib-int.h"

#include "host.h"

#include <string.h>

static int type_ok(const struct spu_value *v, const char *type)
{
    if (strcmp(type, "any") == 0)
        return v->type == SPU_T_NULL || v->type == SPU_T_STR || v->type == SPU_T_INT ||
               v->type == SPU_T_IP || v->type == SPU_T_BOOL;
    if (v->type == SPU_T_NULL)
        return 1;
    if (strcmp(type, "int") == 0)
        return v->type == SPU_T_INT || v->type == SPU_T_BOOL;
    if (strcmp(type, "string") == 0)
        return v->type == SPU_T_STR;
    if (strcmp(type, "ip") == 0)
        return v->type == SPU_T_IP;
    return 0;
}

static int state_call(struct spu_call *c, uint32_t id, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret)
{
    struct spu_sig_param sp[SPU_MAX_SIG_PARAMS];
    int np = spu_sig_parse(spu_builtins[id].params, sp, SPU_MAX_SIG_PARAMS);
    if (np < 0)
        return spu_arg_fault(c, "bad state built-in signature");
    if (argc != (unsigned)np)
        return spu_arg_fault(c, "wrong number of arguments");
    for (int k = 0; k < np; k++)
        if (!type_ok(&args[k], sp[k].type))
            return spu_arg_fault(c, "state built-in argument of the wrong type");
    *ret = spu_v_null();
    for (int k = 0; k < np; k++)
        if (args[k].type == SPU_T_NULL)
            return SPU_OK;
    if (!c->host || !c->host->state) {
        c->fault = "state built-ins need a runtime host";
        return SPU_EUNSUPPORTED;
    }
    int rc = c->host->state(c->host_ctx, id, args, argc, ret);
    if (rc != SPU_OK && !c->fault)
        c->fault = "state store error";
    return rc;
}

#define STATE_FN(sym, id)                                                                          \
    int sym(struct spu_call *c, const struct spu_value *args, unsigned argc,                       \
            struct spu_value *ret)                                                                 \
    {                                                                                              \
        return state_call(c, id, args, argc, ret);                                                 \
    }

STATE_FN(spu_bi_token_bucket, SPU_BI_TokenBucket)
STATE_FN(spu_bi_window_count, SPU_BI_WindowCount)
STATE_FN(spu_bi_list_add, SPU_BI_ListAdd)
STATE_FN(spu_bi_list_has, SPU_BI_ListHas)
STATE_FN(spu_bi_list_del, SPU_BI_ListDel)
STATE_FN(spu_bi_score_add, SPU_BI_ScoreAdd)
STATE_FN(spu_bi_score, SPU_BI_Score)
STATE_FN(spu_bi_is_local, SPU_BI_IsLocal)
STATE_FN(spu_bi_report, SPU_BI_Report)
STATE_FN(spu_bi_session_set, SPU_BI_SessionSet)
