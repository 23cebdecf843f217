/*
 * tlsfp.c - TLS client and server fingerprints computed from fields the
 * TLS grammar parsed (grammars/tls.spg): the JA3 and JA3S strings
 * (Salesforce's definition: decimal values joined by '-', fields by ',',
 * GREASE values of RFC 8701 left out). The grammar hashes them with md5().
 */
#include "stdlib-int.h"

#include <inttypes.h>
#include <stdio.h>

/* RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa. */
static int grease(int64_t v)
{
    return (v & 0x0f0f) == 0x0a0a && ((v >> 8) & 0xff) == (v & 0xff);
}

static int put_int(struct spu_sb *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof(t), "%" PRId64, v);
    return spu_sb_put(b, t, (size_t)n);
}

/* The ints of an array (or one int) joined by '-', GREASE left out.
 * SPU_OK, 1 when v is not a list of ints, or an error. */
static int put_list(struct spu_call *c, struct spu_sb *b, const struct spu_value *v)
{
    if (v->type == SPU_T_NULL)
        return SPU_OK;
    if (v->type == SPU_T_INT)
        return grease(v->u.i) ? SPU_OK : put_int(b, v->u.i) ? spu_arg_nomem(c) : SPU_OK;
    if (v->type != SPU_T_ARR)
        return 1;
    int first = 1;
    for (uint32_t i = 0; v->u.arr && i < v->u.arr->n; i++) {
        const struct spu_value *e = &v->u.arr->v[i];
        if (e->type != SPU_T_INT)
            return 1;
        if (grease(e->u.i))
            continue;
        if ((!first && spu_sb_put(b, "-", 1)) || put_int(b, e->u.i))
            return spu_arg_nomem(c);
        first = 0;
    }
    return SPU_OK;
}

static int fingerprint(struct spu_call *c, const struct spu_value *args, unsigned argc,
                       unsigned nlists, struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 1 + nlists);
    if (rc)
        return rc;
    *ret = spu_v_null();
    for (unsigned i = 0; i <= nlists; i++)
        if (args[i].type == SPU_T_LIST)
            return spu_arg_fault(c, "ja3: a list declaration is not a list of ints");
    if (args[0].type == SPU_T_NULL)
        return SPU_OK;
    int64_t version;
    if ((rc = spu_arg_int(c, &args[0], 0, &version)))
        return rc;
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, 128);
    if (put_int(&b, version))
        return spu_arg_nomem(c);
    for (unsigned i = 1; i <= nlists; i++) {
        if (spu_sb_put(&b, ",", 1))
            return spu_arg_nomem(c);
        if ((rc = put_list(c, &b, &args[i])) != SPU_OK)
            return rc == 1 ? SPU_OK : rc; /* not lists of ints: null */
    }
    *ret = spu_sb_value(&b);
    return SPU_OK;
}

/* ja3(version, ciphers, extensions, groups, formats): the JA3 string of a
 * ClientHello; null when version is null or a list is not ints. */
int spu_bi_ja3(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    return fingerprint(c, args, argc, 4, ret);
}

/* ja3s(version, cipher, extensions): the JA3S string of a ServerHello. */
int spu_bi_ja3s(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    return fingerprint(c, args, argc, 2, ret);
}
