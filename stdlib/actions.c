/* actions.c - the action built-ins (Alert, Log, SendMessage, Drop, Reject,
 * Pass, Shun, Redirect, Queue, InsertString, DeleteString, InsertCookie,
 * ReplaceHeader) and now().
 *
 * An action checks its arguments against its signature in builtins.def
 * (each declared argument must have the declared type or be null; Log takes
 * any number of extra values of any type), then hands them to the host
 * (host.h action()), which carries out the effect on traffic and output.
 * The result is true when the host accepted the action, false when it
 * reported an error (the rule goes on; counting it is the host's business).
 * Without a host (spuc folding constants) an action returns
 * SPU_EUNSUPPORTED. */
#include "stdlib-int.h"

#include "host.h"

#include <string.h>

static int type_ok(const struct spu_value *v, const char *type)
{
    if (v->type == SPU_T_NULL || strcmp(type, "any") == 0)
        return 1;
    if (strcmp(type, "int") == 0 || strcmp(type, "bool") == 0)
        return v->type == SPU_T_INT || v->type == SPU_T_BOOL;
    if (strcmp(type, "string") == 0)
        return v->type == SPU_T_STR;
    if (strcmp(type, "ip") == 0)
        return v->type == SPU_T_IP;
    return 0;
}

static int act(struct spu_call *c, uint32_t id, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    struct spu_sig_param sp[SPU_MAX_SIG_PARAMS];
    int np = spu_sig_parse(spu_builtins[id].params, sp, SPU_MAX_SIG_PARAMS);
    if (np < 0)
        return spu_arg_fault(c, "bad action signature");
    if (argc < (unsigned)np)
        return spu_arg_fault(c, "too few arguments");
    if (argc > (unsigned)np && !(spu_builtins[id].flags & SPU_BIF_VARIADIC))
        return spu_arg_fault(c, "too many arguments");
    for (int k = 0; k < np; k++)
        if (!type_ok(&args[k], sp[k].type))
            return spu_arg_fault(c, "action argument of the wrong type");
    if (!c->host || !c->host->action) {
        c->fault = "actions need a runtime host";
        return SPU_EUNSUPPORTED;
    }
    int rc = c->host->action(c->host_ctx, id, args, argc, c->rule);
    *ret = spu_v_bool(rc == SPU_OK);
    return SPU_OK;
}

#define ACTION_FN(sym, id)                                                     \
    int sym(struct spu_call *c, const struct spu_value *args, unsigned argc,  \
            struct spu_value *ret)                                             \
    {                                                                          \
        return act(c, id, args, argc, ret);                                    \
    }

ACTION_FN(spu_bi_alert, SPU_BI_Alert)
ACTION_FN(spu_bi_log, SPU_BI_Log)
ACTION_FN(spu_bi_send_message, SPU_BI_SendMessage)
ACTION_FN(spu_bi_drop, SPU_BI_Drop)
ACTION_FN(spu_bi_reject, SPU_BI_Reject)
ACTION_FN(spu_bi_pass, SPU_BI_Pass)
ACTION_FN(spu_bi_shun, SPU_BI_Shun)
ACTION_FN(spu_bi_redirect, SPU_BI_Redirect)
ACTION_FN(spu_bi_queue, SPU_BI_Queue)
ACTION_FN(spu_bi_insert_string, SPU_BI_InsertString)
ACTION_FN(spu_bi_delete_string, SPU_BI_DeleteString)
ACTION_FN(spu_bi_insert_cookie, SPU_BI_InsertCookie)
ACTION_FN(spu_bi_replace_header, SPU_BI_ReplaceHeader)

/* now(): the packet time of the current event in ms since the epoch, from
 * the host; null without one. */
int spu_bi_now(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    (void)args;
    (void)argc;
    *ret = spu_v_null();
    if (c->host && c->host->now_ms)
        *ret = spu_v_int(c->host->now_ms(c->host_ctx));
    return SPU_OK;
}
