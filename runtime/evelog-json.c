/* evelog-json.c - VM values to JSON for EVE logs (see evelog-int.h). */
#include "evelog-int.h"

#include "bundle.h"
#include "eve.h"

#include <stdlib.h>
#include <string.h>

int evelog_std_names_init(struct evelog_std_names *sn)
{
    for (unsigned i = 0; i < SPU_REC__COUNT; i++) {
        sn->n[i] = spu_sig_parse(spu_std_records[i].fields, sn->f[i], SPU_MAX_SIG_PARAMS);
        if (sn->n[i] < 0)
            return SPU_EFORMAT;
    }
    return SPU_OK;
}

/* Whether every byte is in 1..0x7f (eight at a time: a byte 0 or above
 * 0x7f sets its high bit in x | ((x - ONES) & ~x)). */
static bool plain_ascii(const uint8_t *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x;
        memcpy(&x, p + i, 8);
        if ((x | ((x - ones) & ~x)) & high)
            return false;
    }
    for (; i < n; i++)
        if (p[i] == 0 || p[i] >= 0x80)
            return false;
    return true;
}

int evelog_set(json_t *obj, const char *key, size_t len, json_t *x)
{
    if (plain_ascii((const uint8_t *)key, len))
        return json_object_setn_new_nocheck(obj, key, len, x);
    char k[256];
    if (len >= sizeof(k)) {
        json_decref(x);
        return -1;
    }
    memcpy(k, key, len);
    k[len] = 0;
    return json_object_set_new(obj, k, x);
}

json_t *evelog_json_bytes(const uint8_t *p, uint32_t len)
{
    /* ASCII with NULs is valid UTF-8 too: json_stringn checks the rest */
    json_t *s = plain_ascii(p, len) ? json_stringn_nocheck((const char *)p, len)
                                    : json_stringn((const char *)p, len); /* NULL: not UTF-8 */
    if (s)
        return s;
    /* Like Suricata's jsonbuilder: ASCII kept, other bytes as \xNN. */
    size_t n = 0;
    for (uint32_t i = 0; i < len; i++)
        n += p[i] < 0x80 ? 1 : 4;
    char *buf = malloc(n ? n : 1);
    if (!buf)
        return NULL;
    static const char hex[] = "0123456789abcdef";
    size_t k = 0;
    for (uint32_t i = 0; i < len; i++) {
        if (p[i] < 0x80) {
            buf[k++] = (char)p[i];
        } else {
            buf[k++] = '\\';
            buf[k++] = 'x';
            buf[k++] = hex[p[i] >> 4];
            buf[k++] = hex[p[i] & 15];
        }
    }
    s = json_stringn_nocheck(buf, k);
    free(buf);
    return s;
}

const char *evelog_field_name(const struct spu_bundle *b, const struct evelog_std_names *sn,
                              const struct spu_record *r, uint32_t f, uint32_t *len)
{
    uint32_t id = r->layout->id;
    if (id & SPU_LAYOUT_STD) {
        uint32_t s = id & ~SPU_LAYOUT_STD;
        if (s >= SPU_REC__COUNT || (int)f >= sn->n[s])
            return NULL;
        *len = (uint32_t)strlen(sn->f[s][f].name);
        return sn->f[s][f].name;
    }
    const struct spu_bview *v = spu_bundle_view(b);
    if (id >= v->nlayouts || f >= v->layouts[id].nfields)
        return NULL;
    return spu_bundle_str(b, v->fields[v->layouts[id].first_field + f].name, len);
}

static json_t *record_json(const struct spu_bundle *b, const struct evelog_std_names *sn,
                           const struct spu_record *r, unsigned depth)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    for (uint32_t f = 0; f < r->nslots; f++) {
        if (r->slot[f].type == SPU_T_NULL)
            continue;
        uint32_t nl = 0;
        const char *name = evelog_field_name(b, sn, r, f, &nl);
        if (!name || nl == 0 || nl >= 256)
            continue;
        json_t *x = evelog_json_value(b, sn, &r->slot[f], depth - 1);
        if (!x) {
            json_decref(o);
            return NULL;
        }
        if (json_is_null(x))
            json_decref(x);
        else if (evelog_set(o, name, nl, x) != 0) {
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

json_t *evelog_json_value(const struct spu_bundle *b, const struct evelog_std_names *sn,
                          const struct spu_value *v, unsigned depth)
{
    char buf[64];
    switch (v->type) {
    case SPU_T_NULL:
        return json_null();
    case SPU_T_BOOL:
        return json_boolean(v->u.i != 0);
    case SPU_T_INT:
        return json_integer((json_int_t)v->u.i);
    case SPU_T_STR:
        return evelog_json_bytes(v->u.s, v->len);
    case SPU_T_IP:
        if (v->aux == 4)
            return json_string_nocheck(eve_ip(4, v->u.s + 12, buf, sizeof(buf)));
        return json_string_nocheck(eve_ip(6, v->u.s, buf, sizeof(buf)));
    case SPU_T_ARR: {
        if (!depth || !v->u.arr)
            return json_null();
        json_t *a = json_array();
        for (uint32_t i = 0; a && i < v->u.arr->n; i++) {
            json_t *x = evelog_json_value(b, sn, &v->u.arr->v[i], depth - 1);
            if (!x || json_array_append_new(a, x) != 0) {
                json_decref(a);
                return NULL;
            }
        }
        return a;
    }
    case SPU_T_REC:
        if (!depth || !v->u.rec || !v->u.rec->layout)
            return json_null();
        return record_json(b, sn, v->u.rec, depth);
    default:
        return json_null(); /* regexes and lists have no JSON form */
    }
}
