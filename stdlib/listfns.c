/* listfns.c - FindInList and FindInRegExList: membership of a value in one
 * of the running bundle's lists (c->lists, lists.h). The list argument is a
 * SPU_T_LIST value holding the list's index. */
#include "lists.h"
#include "stdlib-int.h"

static int find(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret, int regex_only)
{
    int rc = spu_arg_count(c, argc, 2);
    if (rc)
        return rc;
    if (args[1].type != SPU_T_LIST)
        return spu_arg_fault(c, "second argument is not a list");
    if (!c->lists || args[1].u.idx >= spu_lists_count(c->lists))
        return spu_arg_fault(c, "no such list");
    const struct spu_listset *s = spu_lists_get(c->lists, args[1].u.idx);
    if (regex_only && s && spu_listset_kind(s) != SPU_LIST_REGEX)
        return spu_arg_fault(c, "FindInRegExList needs a regex list");
    if (regex_only && args[0].type != SPU_T_STR && args[0].type != SPU_T_NULL)
        return spu_arg_fault(c, "argument is not a string");
    *ret = spu_v_bool(false);
    if (!s)
        return SPU_OK; /* a list not loaded (yet) holds nothing */
    int r = spu_listset_has(s, &args[0]);
    if (r < 0)
        return r == SPU_ENOMEM ? spu_arg_nomem(c) : spu_arg_fault(c, "list not usable");
    *ret = spu_v_bool(r > 0);
    return SPU_OK;
}

int spu_bi_find_in_list(struct spu_call *c, const struct spu_value *args, unsigned argc,
                        struct spu_value *ret)
{
    return find(c, args, argc, ret, 0);
}

int spu_bi_find_in_regex_list(struct spu_call *c, const struct spu_value *args, unsigned argc,
                              struct spu_value *ret)
{
    return find(c, args, argc, ret, 1);
}
