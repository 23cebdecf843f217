/* value.c - value helpers, records and arrays (see value.h). */
#include "value.h"

#include "arena.h"
#include "err.h"
#include "grow.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const type_names[] = {
#define SPU_TYPE_NAME(n, s) s,
    SPU_TYPE_LIST(SPU_TYPE_NAME)
#undef SPU_TYPE_NAME
};

const char *spu_type_name(unsigned t)
{
    return t < SPU_T__COUNT ? type_names[t] : "?";
}

bool spu_value_truth(const struct spu_value *v)
{
    switch (v->type) {
    case SPU_T_NULL:
        return false;
    case SPU_T_BOOL:
    case SPU_T_INT:
        return v->u.i != 0;
    default:
        return true;
    }
}

bool spu_value_eq(const struct spu_value *a, const struct spu_value *b)
{
    if (a->type == SPU_T_NULL || b->type == SPU_T_NULL)
        return a->type == b->type;
    if ((a->type == SPU_T_BOOL || a->type == SPU_T_INT) &&
        (b->type == SPU_T_BOOL || b->type == SPU_T_INT))
        return a->u.i == b->u.i;
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case SPU_T_STR:
        return a->len == b->len && (a->len == 0 || memcmp(a->u.s, b->u.s, a->len) == 0);
    case SPU_T_IP:
        return a->aux == b->aux && memcmp(a->u.s, b->u.s, 16) == 0 && a->len == b->len;
    case SPU_T_REGEX:
    case SPU_T_LIST:
        return a->u.idx == b->u.idx;
    case SPU_T_REC:
        return a->u.rec == b->u.rec;
    case SPU_T_ARR:
        return a->u.arr == b->u.arr;
    default:
        return false;
    }
}

struct spu_record *spu_record_new(struct spu_arena *a, const struct spu_layout *layout)
{
    size_t n = layout->nfields;
    struct spu_record *r =
        spu_arena_zalloc(a, sizeof(*r) + n * sizeof(struct spu_value));
    if (!r)
        return NULL;
    r->layout = layout;
    r->nslots = (uint32_t)n;
    return r;
}

int spu_array_push(struct spu_arena *a, struct spu_value *slot, struct spu_value v)
{
    struct spu_array *arr = NULL;
    if (slot->type == SPU_T_ARR)
        arr = (struct spu_array *)slot->u.arr;
    if (!arr || arr->n == arr->cap) {
        size_t ncap = spu_grow_cap(arr ? arr->cap : 0, arr ? (size_t)arr->n + 1 : 1, 4, UINT32_MAX);
        if (!ncap)
            return SPU_ELIMIT;
        struct spu_array *na =
            spu_arena_alloc(a, sizeof(*na) + (size_t)ncap * sizeof(struct spu_value));
        if (!na)
            return SPU_ELIMIT;
        na->n = arr ? arr->n : 0;
        na->cap = (uint32_t)ncap;
        if (arr && arr->n)
            memcpy(na->v, arr->v, arr->n * sizeof(struct spu_value));
        arr = na;
        *slot = spu_v_arr(arr);
    }
    arr->v[arr->n++] = v;
    return SPU_OK;
}

bool spu_value_digest(const struct spu_value *v, struct spu_digest *out)
{
    if (v->type != SPU_T_STR || !(v->flags & SPU_VF_DIGEST) || !v->u.s)
        return false;
    memcpy(out, v->u.s + v->len, sizeof(*out));
    return true;
}

int spu_str_dup(struct spu_arena *a, struct spu_value *v, uint32_t n)
{
    bool dg = (v->flags & SPU_VF_DIGEST) != 0;
    size_t extra = dg ? SPU_DIGEST_SIZE : 0;
    uint8_t *p = spu_arena_alloc(a, (size_t)n + extra ? (size_t)n + extra : 1);
    if (!p)
        return SPU_ENOMEM;
    if (n)
        memcpy(p, v->u.s, n);
    if (dg)
        memcpy(p + n, v->u.s + v->len, SPU_DIGEST_SIZE);
    v->u.s = p;
    v->len = n;
    return SPU_OK;
}

int spu_value_copy(struct spu_arena *a, const struct spu_value *v, struct spu_value *out)
{
    *out = *v;
    switch (v->type) {
    case SPU_T_STR: {
        if (spu_str_dup(a, out, v->len) != SPU_OK)
            goto fail;
        return SPU_OK;
    }
    case SPU_T_IP: {
        void *p = spu_arena_memdup(a, v->u.s, 16);
        if (!p)
            goto fail;
        out->u.s = p;
        return SPU_OK;
    }
    case SPU_T_ARR: {
        const struct spu_array *src = v->u.arr;
        struct spu_array *d =
            spu_arena_alloc(a, sizeof(*d) + (size_t)src->n * sizeof(struct spu_value));
        if (!d)
            goto fail;
        d->n = d->cap = src->n;
        for (uint32_t i = 0; i < src->n; i++)
            if (spu_value_copy(a, &src->v[i], &d->v[i]) != SPU_OK)
                goto fail;
        out->u.arr = d;
        return SPU_OK;
    }
    case SPU_T_REC: {
        const struct spu_record *src = v->u.rec;
        struct spu_record *d = spu_record_new(a, src->layout);
        if (!d)
            goto fail;
        d->parent = src->parent;
        d->pair = src->pair;
        d->flags = src->flags;
        for (uint32_t i = 0; i < src->nslots && i < d->nslots; i++)
            if (spu_value_copy(a, &src->slot[i], &d->slot[i]) != SPU_OK)
                goto fail;
        out->u.rec = d;
        return SPU_OK;
    }
    default:
        return SPU_OK;
    }
fail:
    *out = spu_v_null();
    return SPU_ELIMIT;
}

struct spu_value spu_map_get(const struct spu_array *arr, const uint8_t *key, size_t klen)
{
    for (uint32_t i = 0; arr && i < arr->n; i++) {
        const struct spu_value *e = &arr->v[i];
        if (e->type != SPU_T_REC)
            continue;
        const struct spu_record *r = e->u.rec;
        const struct spu_layout *l = r->layout;
        if (l->map_key < 0 || l->map_value < 0 || (uint32_t)l->map_key >= r->nslots ||
            (uint32_t)l->map_value >= r->nslots)
            continue;
        const struct spu_value *k = &r->slot[l->map_key];
        if (k->type == SPU_T_STR && k->len == klen &&
            (klen == 0 || strncasecmp((const char *)k->u.s, (const char *)key, klen) == 0))
            return r->slot[l->map_value];
    }
    return spu_v_null();
}

int spu_ip_parse(const char *text, size_t len, uint8_t out[16], uint16_t *family,
                 uint32_t *prefix)
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return SPU_EFORMAT;
    memcpy(buf, text, len);
    buf[len] = '\0';
    long plen = -1;
    char *slash = strchr(buf, '/');
    if (slash) {
        *slash = '\0';
        char *end;
        plen = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1)
            return SPU_EFORMAT;
    }
    memset(out, 0, 16);
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        if (plen > 32)
            return SPU_EFORMAT;
        *family = 4;
        *prefix = plen < 0 ? 32u : (uint32_t)plen;
        return SPU_OK;
    }
    if (inet_pton(AF_INET6, buf, out) == 1) {
        if (plen > 128)
            return SPU_EFORMAT;
        *family = 6;
        *prefix = plen < 0 ? 128u : (uint32_t)plen;
        return SPU_OK;
    }
    return SPU_EFORMAT;
}

int spu_ip_format(const uint8_t ip[16], uint16_t family, char *buf, size_t len)
{
    const char *r = family == 4 ? inet_ntop(AF_INET, ip + 12, buf, (socklen_t)len)
                                : inet_ntop(AF_INET6, ip, buf, (socklen_t)len);
    return r ? SPU_OK : SPU_ERANGE;
}
