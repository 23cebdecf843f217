/* header-block.c - header_block: the header lines of a parsed message
 * (an array of map records, as the grammars' `header map(name, value)`
 * units give) joined back into one buffer, the way Suricata builds its
 * http.header and http.header_names buffers:
 *
 *   header_block(headers)                 "Name: value\r\n" per header, in
 *                                         order, Cookie and Set-Cookie left
 *                                         out (http.header)
 *   header_block(headers, cookies: true)  every header (http.header.raw as
 *                                         far as parsed fields allow)
 *   header_block(headers, names: true)    "\r\n" "Name\r\n"... "\r\n"
 *                                         (http.header_names)
 *
 * null (no headers) gives null. The result lives in the scratch arena. */
#include "stdlib-int.h"

#include <string.h>

static int is_cookie(const struct spu_value *k)
{
    return k->type == SPU_T_STR &&
           ((k->len == 6 && spu_memcaseeq(k->u.s, (const uint8_t *)"cookie", 6)) ||
            (k->len == 10 && spu_memcaseeq(k->u.s, (const uint8_t *)"set-cookie", 10)));
}

int spu_bi_header_block(struct spu_call *c, const struct spu_value *args, unsigned argc,
                        struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 1);
    if (rc)
        return rc;
    if (args[0].type != SPU_T_NULL && args[0].type != SPU_T_ARR)
        return spu_arg_fault(c, "header_block() takes an array of map records");
    int cookies = 0, names = 0;
    if (argc > 1 && (rc = spu_arg_bool(c, &args[1], &cookies)))
        return rc;
    if (argc > 2 && (rc = spu_arg_bool(c, &args[2], &names)))
        return rc;
    *ret = spu_v_null();
    if (args[0].type == SPU_T_NULL || !args[0].u.arr)
        return SPU_OK;
    const struct spu_array *m = args[0].u.arr;
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, 256);
    if (names)
        spu_sb_put(&b, "\r\n", 2);
    for (uint32_t i = 0; i < m->n; i++) {
        const struct spu_value *e = &m->v[i];
        if (e->type != SPU_T_REC || !e->u.rec)
            continue;
        const struct spu_record *r = e->u.rec;
        int32_t ki = r->layout->map_key, vi = r->layout->map_value;
        if (ki < 0 || vi < 0 || (uint32_t)ki >= r->nslots || (uint32_t)vi >= r->nslots)
            continue;
        const struct spu_value *k = &r->slot[ki], *v = &r->slot[vi];
        if (k->type != SPU_T_STR || (!cookies && !names && is_cookie(k)))
            continue;
        spu_sb_put(&b, k->u.s, k->len);
        if (!names) {
            spu_sb_put(&b, ": ", 2);
            if (v->type == SPU_T_STR)
                spu_sb_put(&b, v->u.s, v->len);
        }
        spu_sb_put(&b, "\r\n", 2);
    }
    if (names)
        spu_sb_put(&b, "\r\n", 2);
    if (b.err)
        return spu_arg_nomem(c);
    *ret = spu_sb_value(&b);
    return SPU_OK;
}
