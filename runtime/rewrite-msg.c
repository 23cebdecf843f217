/* rewrite-msg.c - the rewrite actions (InsertString, DeleteString,
 * InsertCookie, ReplaceHeader) on the message of a grammar event, in
 * inline mode (docs/inline.md, "Rewrites").
 *
 * Nothing here parses the protocol: the grammar captured the message's
 * fields (`body`, `headers[]` with `name`/`value`, `content_length`), and
 * a field captured from the packet being processed is a view into that
 * packet's payload, so its address gives the byte offset to splice
 * (rewrite.h). An edit whose bytes are not in this packet (they came in
 * an earlier segment, already sent, or out of order, or were decoded: a
 * chunked or compressed body) cannot be applied: the packet's edits are
 * refused and it is sent unmodified (counted spu.rewrite.refused). */
#include "detect-int.h"

#include "bundle-view.h"
#include "err.h"
#include "flow.h"
#include "rewrite.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The headers[] elements: key and value of element i. */
struct hdrs {
    const struct spu_array *a;
    int32_t k, v;
};

static bool headers(const struct detect_worker *w, struct hdrs *h);
static const struct spu_value *hget(const struct hdrs *h, uint32_t i, int32_t which);

/* The field `name` of the event's record or, when it has none, of the
 * nearest enclosing record that has one (an html.document event's
 * message is the http response around it), or NULL. */
static const struct spu_value *field(const struct detect_worker *w, const char *name)
{
    const struct spu_bundle *b = w->cur.src;
    if (!b)
        return NULL;
    const struct spu_bview *v = spu_bundle_view(b);
    size_t n = strlen(name);
    for (const struct spu_record *r = w->cur.rec; r; r = r->parent) {
        uint32_t id = r->layout->id;
        if ((id & SPU_LAYOUT_STD) || id >= v->nlayouts)
            continue;
        const struct spu_blayout *l = &v->layouts[id];
        for (uint32_t f = 0; f < l->nfields && f < r->nslots; f++) {
            uint32_t nl;
            const char *s = spu_bundle_str(b, v->fields[l->first_field + f].name, &nl);
            if (s && nl == n && memcmp(s, name, n) == 0)
                return &r->slot[f];
        }
    }
    return NULL;
}

/* True when string `v` lies in the payload of the packet being processed;
 * *off is its offset there. */
static bool in_pkt(const struct detect_worker *w, const struct spu_value *v, uint32_t *off)
{
    if (!v || v->type != SPU_T_STR || !w->pl || w->plf != w->cur.f || !v->u.s)
        return false;
    uintptr_t a = (uintptr_t)v->u.s, lo = (uintptr_t)w->pl;
    if (a < lo || a - lo > w->pllen || w->pllen - (a - lo) < v->len)
        return false;
    *off = (uint32_t)(a - lo);
    return true;
}

static int refuse(struct detect_worker *w)
{
    struct flow *f = w->cur.f;
    if (f && f->rewrite)
        rw_flow_refuse(f->rewrite, w->cur.dir);
    return SPU_ESTATE;
}

static int splice(struct detect_worker *w, uint32_t off, uint32_t del, const void *ins,
                  uint32_t nins)
{
    return rw_flow_splice(w->cur.f->rewrite, w->cur.dir, off, del, ins, nins);
}

static bool has_crlf(const struct spu_value *v)
{
    return v->type == SPU_T_STR && v->len &&
           (memchr(v->u.s, '\r', v->len) || memchr(v->u.s, '\n', v->len));
}

static const uint8_t *find(const uint8_t *h, size_t hn, const uint8_t *n, size_t nn)
{
    if (nn == 0 || nn > hn)
        return NULL;
    return memmem(h, hn, n, nn);
}

static bool headers(const struct detect_worker *w, struct hdrs *h)
{
    const struct spu_value *hv = field(w, "headers");
    if (!hv || hv->type != SPU_T_ARR || !hv->u.arr)
        return false;
    h->a = hv->u.arr;
    h->k = h->v = -1;
    for (uint32_t i = 0; i < h->a->n; i++) {
        const struct spu_value *e = &h->a->v[i];
        if (e->type == SPU_T_REC && e->u.rec) {
            h->k = e->u.rec->layout->map_key;
            h->v = e->u.rec->layout->map_value;
            break;
        }
    }
    return h->k >= 0 && h->v >= 0;
}

static const struct spu_value *hget(const struct hdrs *h, uint32_t i, int32_t which)
{
    const struct spu_value *e = &h->a->v[i];
    if (e->type != SPU_T_REC || !e->u.rec || (uint32_t)which >= e->u.rec->nslots)
        return NULL;
    return &e->u.rec->slot[which];
}

static bool name_is(const struct spu_value *k, const uint8_t *name, uint32_t n)
{
    return k && k->type == SPU_T_STR && k->len == n && strncasecmp((const char *)k->u.s,
                                                                   (const char *)name, n) == 0;
}

/* Insert a header line "name: value" before the first header. */
static int add_header(struct detect_worker *w, const struct hdrs *h, const char *name,
                      uint32_t nn, const uint8_t *val, uint32_t vn)
{
    uint32_t off;
    if (!h->a->n || !in_pkt(w, hget(h, 0, h->k), &off))
        return refuse(w);
    size_t len = (size_t)nn + 2 + vn + 2;
    if (len > RW_MAX_INSERT)
        return refuse(w);
    char *line = malloc(len);
    if (!line)
        return refuse(w);
    memcpy(line, name, nn);
    memcpy(line + nn, ": ", 2);
    if (vn)
        memcpy(line + nn + 2, val, vn);
    memcpy(line + nn + 2 + vn, "\r\n", 2);
    int rc = splice(w, off, 0, line, (uint32_t)len);
    free(line);
    return rc;
}

/* Where the message's body lies in the payload: the `body` field when it
 * is a view into the packet; else (a body the grammar stored while
 * parsing it, as an HTML one) the `content_length` bytes that follow the
 * end of the header block, i.e. the line ending after the last header's
 * value and the empty line after it. False when not all in this packet. */
static bool body_at(const struct detect_worker *w, uint32_t *off, uint32_t *len)
{
    const struct spu_value *body = field(w, "body");
    if (in_pkt(w, body, off)) {
        *len = body->len;
        return true;
    }
    const struct spu_value *cl = field(w, "content_length");
    struct hdrs h;
    uint32_t vo;
    if (!cl || cl->type != SPU_T_STR || cl->len == 0 || cl->len > 9 || !headers(w, &h) ||
        !h.a->n || !in_pkt(w, hget(&h, h.a->n - 1, h.v), &vo))
        return false;
    uint32_t n = 0;
    for (uint32_t i = 0; i < cl->len; i++) {
        if (cl->u.s[i] < '0' || cl->u.s[i] > '9')
            return false;
        n = n * 10 + (uint32_t)(cl->u.s[i] - '0');
    }
    uint32_t e = vo + hget(&h, h.a->n - 1, h.v)->len;
    for (int line = 0; line < 2; line++) {
        while (e < w->pllen && (w->pl[e] == ' ' || w->pl[e] == '\t' || w->pl[e] == '\r'))
            e++;
        if (e >= w->pllen || w->pl[e] != '\n')
            return false;
        e++;
    }
    if (n > w->pllen - e)
        return false;
    *off = e;
    *len = n;
    return true;
}

/* Bytes [off, off + n) of the payload lie in the message's body: a change
 * of their length changes the Content-Length. */
static bool in_body(const struct detect_worker *w, uint32_t off, uint32_t n)
{
    uint32_t bo, bl;
    return body_at(w, &bo, &bl) && off >= bo && off + n <= bo + bl;
}

static void body_grew(struct detect_worker *w, uint32_t off, uint32_t n, int64_t by)
{
    if (in_body(w, off, n)) {
        w->cur.rw_body += by;
        w->cur.rw_fix = true;
    }
}

static int insert_string(struct detect_worker *w, const struct spu_value *args, unsigned argc)
{
    uint32_t off, blen;
    if (args[0].type != SPU_T_STR || args[1].type != SPU_T_STR)
        return SPU_EINVAL;
    /* `after` is itself bytes of the packet (a field, or part of one by
     * StringCopy): the text goes right after them */
    if (in_pkt(w, &args[0], &off)) {
        int rc = splice(w, off + args[0].len, 0, args[1].u.s, args[1].len);
        if (rc == SPU_OK)
            body_grew(w, off, args[0].len, args[1].len);
        return rc;
    }
    if (!body_at(w, &off, &blen))
        return refuse(w);
    const uint8_t *bs = w->pl + off;
    /* `after` immediately followed by `before` when given: the text goes
     * between them */
    uint32_t nb = argc > 2 && args[2].type == SPU_T_STR ? args[2].len : 0;
    uint8_t *pat = malloc((size_t)args[0].len + nb + 1);
    if (!pat)
        return refuse(w);
    memcpy(pat, args[0].u.s, args[0].len);
    if (nb)
        memcpy(pat + args[0].len, args[2].u.s, nb);
    /* the first occurrence that has no edit yet (several rules, or one
     * rule in a loop, may insert after the same text) */
    const uint8_t *p = bs, *end = bs + blen, *m;
    uint32_t at = 0;
    for (; (m = find(p, (size_t)(end - p), pat, args[0].len + nb)); p = m + 1) {
        at = off + (uint32_t)(m - bs) + args[0].len;
        if (rw_flow_splice_free(w->cur.f->rewrite, at, 0))
            break;
    }
    free(pat);
    if (!m)
        return SPU_ENOTFOUND;
    int rc = splice(w, at, 0, args[1].u.s, args[1].len);
    if (rc == SPU_OK) {
        w->cur.rw_body += args[1].len;
        w->cur.rw_fix = true;
    }
    return rc;
}

static int delete_string(struct detect_worker *w, const struct spu_value *args)
{
    uint32_t off, blen;
    if (args[0].type != SPU_T_STR || args[0].len == 0)
        return SPU_EINVAL;
    /* bytes of the packet (a field, or part of one): exactly those go */
    if (in_pkt(w, &args[0], &off)) {
        int rc = splice(w, off, args[0].len, NULL, 0);
        if (rc == SPU_OK)
            body_grew(w, off, args[0].len, -(int64_t)args[0].len);
        return rc;
    }
    if (!body_at(w, &off, &blen))
        return refuse(w);
    const uint8_t *bs = w->pl + off, *p = bs, *end = bs + blen;
    unsigned n = 0;
    for (const uint8_t *m; (m = find(p, (size_t)(end - p), args[0].u.s, args[0].len));
         p = m + args[0].len) {
        int rc = splice(w, off + (uint32_t)(m - bs), args[0].len, NULL, 0);
        if (rc != SPU_OK)
            return rc;
        w->cur.rw_body -= args[0].len;
        w->cur.rw_fix = true;
        n++;
    }
    return n ? SPU_OK : SPU_ENOTFOUND;
}

static int replace_header(struct detect_worker *w, const struct spu_value *args)
{
    struct hdrs h;
    if (args[0].type != SPU_T_STR || args[0].len == 0 || has_crlf(&args[0]) ||
        has_crlf(&args[1]) || (args[1].type != SPU_T_STR && args[1].type != SPU_T_NULL))
        return SPU_EINVAL;
    if (!headers(w, &h))
        return refuse(w);
    unsigned n = 0;
    for (uint32_t i = 0; i < h.a->n; i++) {
        const struct spu_value *k = hget(&h, i, h.k), *v = hget(&h, i, h.v);
        if (!name_is(k, args[0].u.s, args[0].len))
            continue;
        uint32_t ko, vo;
        if (!in_pkt(w, k, &ko) || !in_pkt(w, v, &vo) || vo < ko)
            return refuse(w);
        int rc;
        if (args[1].type == SPU_T_STR) {
            rc = splice(w, vo, v->len, args[1].u.s, args[1].len);
        } else {
            /* the whole line: up to the line feed after the value */
            uint32_t e = vo + v->len;
            while (e < w->pllen && (w->pl[e] == ' ' || w->pl[e] == '\t' || w->pl[e] == '\r'))
                e++;
            if (e >= w->pllen || w->pl[e] != '\n')
                return refuse(w);
            rc = splice(w, ko, e + 1 - ko, NULL, 0);
        }
        if (rc != SPU_OK)
            return rc;
        n++;
    }
    if (n)
        return SPU_OK;
    if (args[1].type != SPU_T_STR)
        return SPU_ENOTFOUND;
    return add_header(w, &h, (const char *)args[0].u.s, args[0].len, args[1].u.s, args[1].len);
}

static int insert_cookie(struct detect_worker *w, const struct spu_value *args)
{
    struct hdrs h;
    if (args[0].type != SPU_T_STR || args[1].type != SPU_T_STR || args[0].len == 0 ||
        has_crlf(&args[0]) || has_crlf(&args[1]) || memchr(args[0].u.s, ';', args[0].len) ||
        (args[1].len && memchr(args[1].u.s, ';', args[1].len)) ||
        args[0].len + args[1].len > 2048)
        return SPU_EINVAL;
    if (!headers(w, &h))
        return refuse(w);
    char c[2056];
    int n = snprintf(c, sizeof(c), "%.*s=%.*s", (int)args[0].len, (const char *)args[0].u.s,
                     (int)args[1].len, args[1].len ? (const char *)args[1].u.s : "");
    if (w->cur.dir == 1) /* to the client: one more Set-Cookie */
        return add_header(w, &h, "Set-Cookie", 10, (const uint8_t *)c, (uint32_t)n);
    for (uint32_t i = 0; i < h.a->n; i++) {
        const struct spu_value *k = hget(&h, i, h.k), *v = hget(&h, i, h.v);
        if (!name_is(k, (const uint8_t *)"cookie", 6))
            continue;
        uint32_t vo;
        if (!in_pkt(w, v, &vo))
            return refuse(w);
        char more[2060];
        int m = snprintf(more, sizeof(more), "%s%s", v->len ? "; " : "", c);
        return splice(w, vo + v->len, 0, more, (uint32_t)m);
    }
    return add_header(w, &h, "Cookie", 6, (const uint8_t *)c, (uint32_t)n);
}

int rewrite_msg_action(struct detect_worker *w, uint32_t builtin, const struct spu_value *args,
                       unsigned argc)
{
    struct flow *f = w->cur.f;
    if (!f || w->cur.dir < 0 || !w->cur.rec || argc < 1)
        return SPU_EINVAL;
    if (!f->rewrite && !(f->rewrite = rw_flow_new()))
        return SPU_ENOMEM;
    /* bytes missing before the message: its position is not known */
    if (f->sd[w->cur.dir].flags & SD_GAP)
        return refuse(w);
    switch (builtin) {
    case SPU_BI_InsertString:
        return argc >= 2 ? insert_string(w, args, argc) : SPU_EINVAL;
    case SPU_BI_DeleteString:
        return delete_string(w, args);
    case SPU_BI_ReplaceHeader:
        return argc >= 2 ? replace_header(w, args) : SPU_EINVAL;
    case SPU_BI_InsertCookie:
        return argc >= 2 ? insert_cookie(w, args) : SPU_EINVAL;
    }
    return SPU_EINVAL;
}

void rewrite_msg_end(struct detect_worker *w)
{
    w->cur.rw_fix = false;
    if (w->cur.rw_body == 0 || !w->cur.f || !w->cur.f->rewrite)
        return;
    const struct spu_value *cl = field(w, "content_length");
    if (!cl || cl->type == SPU_T_NULL) {
        /* a chunked body: chunk sizes are not adjusted (docs/inline.md) */
        struct hdrs h;
        if (headers(w, &h))
            for (uint32_t i = 0; i < h.a->n; i++)
                if (name_is(hget(&h, i, h.k), (const uint8_t *)"transfer-encoding", 17)) {
                    refuse(w);
                    return;
                }
        return; /* the body ends with the connection */
    }
    uint32_t off;
    if (!in_pkt(w, cl, &off) || cl->len == 0 || cl->len > 18) {
        refuse(w);
        return;
    }
    int64_t old = 0;
    for (uint32_t i = 0; i < cl->len; i++) {
        if (cl->u.s[i] < '0' || cl->u.s[i] > '9') {
            refuse(w);
            return;
        }
        old = old * 10 + (cl->u.s[i] - '0');
    }
    int64_t now = old + w->cur.rw_body;
    if (now < 0) {
        refuse(w);
        return;
    }
    char num[24];
    int n = snprintf(num, sizeof(num), "%lld", (long long)now);
    if (splice(w, off, cl->len, num, (uint32_t)n) != SPU_OK)
        refuse(w);
}
