/* lists.c - list sets (dispatch by kind, text entries, list files) and the
 * per-bundle container with atomic slots (see lists.h for the contract). */
#include "lists-int.h"
#include "stdlib-int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct spu_lists {
    unsigned n;
    _Atomic(struct spu_listset *) slot[];
};

/* ---- sets ---- */

struct spu_listset *spu_listset_new(unsigned kind, unsigned flags, struct spu_error *err)
{
    if (kind != SPU_LIST_STR && kind != SPU_LIST_IP && kind != SPU_LIST_REGEX) {
        spu_error_set(err, SPU_EINVAL, "unknown list kind %u", kind);
        return NULL;
    }
    struct spu_listset *s = calloc(1, sizeof(*s));
    if (!s) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    s->kind = kind;
    s->flags = flags;
    return s;
}

void spu_listset_free(struct spu_listset *s)
{
    if (!s)
        return;
    spu_lstr_free(s);
    spu_lip_free(s);
    spu_lre_free(s);
    free(s);
}

int spu_listset_add_str(struct spu_listset *s, const void *p, size_t n)
{
    if (s->sealed)
        return SPU_ESTATE;
    if (s->kind != SPU_LIST_STR)
        return SPU_EINVAL;
    return spu_lstr_add(s, n ? p : (const uint8_t *)"", n);
}

int spu_listset_add_ip(struct spu_listset *s, const uint8_t ip[16], uint16_t family,
                       uint32_t prefix)
{
    if (s->sealed)
        return SPU_ESTATE;
    if (s->kind != SPU_LIST_IP || (family != 4 && family != 6) ||
        prefix > (family == 4 ? 32u : 128u))
        return SPU_EINVAL;
    return spu_lip_add(s, ip, family == 4 ? prefix + 96 : prefix);
}

int spu_listset_add_regex(struct spu_listset *s, const void *pattern, size_t n,
                          uint32_t re_flags, struct spu_error *err)
{
    if (s->sealed)
        return spu_error_set(err, SPU_ESTATE, "list already sealed");
    if (s->kind != SPU_LIST_REGEX)
        return spu_error_set(err, SPU_EINVAL, "not a regex list");
    return spu_lre_add(s, n ? pattern : (const uint8_t *)"", n, re_flags, err);
}

int spu_listset_add_value(struct spu_listset *s, const struct spu_value *v,
                          struct spu_error *err)
{
    int rc = SPU_EINVAL;
    if (v->type == SPU_T_STR && s->kind == SPU_LIST_STR)
        rc = spu_listset_add_str(s, v->u.s, v->len);
    else if (v->type == SPU_T_STR && s->kind == SPU_LIST_REGEX)
        return spu_listset_add_regex(s, v->u.s, v->len, 0, err);
    else if (v->type == SPU_T_IP && s->kind == SPU_LIST_IP)
        rc = spu_listset_add_ip(s, v->u.s, v->aux, v->len);
    if (rc == SPU_EINVAL)
        return spu_error_set(err, rc, "a %s does not fit a %s list", spu_type_name(v->type),
                             s->kind == SPU_LIST_STR ? "string"
                             : s->kind == SPU_LIST_IP ? "ip"
                                                      : "regex");
    return rc ? spu_error_set(err, rc, "%s", spu_strerror(rc)) : SPU_OK;
}

/* "/pattern/flags" -> pattern and flags; 0 when the text is not in that
 * form (then it is a bare pattern). */
static int slashed(const uint8_t *p, size_t n, size_t *plen, uint32_t *flags)
{
    if (n < 2 || p[0] != '/')
        return 0;
    size_t end = n;
    while (end > 1 && p[end - 1] != '/')
        end--;
    if (end <= 1)
        return 0;
    uint32_t f = 0;
    for (size_t i = end; i < n; i++) {
        switch (p[i]) {
        case 'i': f |= SPU_RE_I; break;
        case 's': f |= SPU_RE_S; break;
        case 'm': f |= SPU_RE_M; break;
        case 'x': f |= SPU_RE_X; break;
        default: return 0;
        }
    }
    *plen = end - 2;
    *flags = f;
    return 1;
}

int spu_listset_add_text(struct spu_listset *s, const void *text, size_t n,
                         struct spu_error *err)
{
    const uint8_t *p = n ? text : (const uint8_t *)"";
    if (s->kind == SPU_LIST_STR) {
        int rc = spu_listset_add_str(s, p, n);
        return rc ? spu_error_set(err, rc, "%s", spu_strerror(rc)) : SPU_OK;
    }
    if (s->kind == SPU_LIST_REGEX) {
        size_t plen;
        uint32_t flags;
        if (slashed(p, n, &plen, &flags))
            return spu_listset_add_regex(s, p + 1, plen, flags, err);
        return spu_listset_add_regex(s, p, n, 0, err);
    }
    /* ip: the address, then nothing or whitespace and a comment */
    size_t k = 0;
    while (k < n && !spu_isspace(p[k]) && p[k] != '#')
        k++;
    size_t j = k;
    while (j < n && spu_isspace(p[j]))
        j++;
    uint8_t ip[16];
    uint16_t fam;
    uint32_t prefix;
    if ((j < n && p[j] != '#') || memchr(p, '\0', k) ||
        spu_ip_parse((const char *)p, k, ip, &fam, &prefix) != SPU_OK)
        return spu_error_set(err, SPU_EPARSE, "not an address or CIDR block: '%.*s'",
                             (int)(n > 60 ? 60 : n), (const char *)p);
    int rc = spu_listset_add_ip(s, ip, fam, prefix);
    return rc ? spu_error_set(err, rc, "%s", spu_strerror(rc)) : SPU_OK;
}

int spu_listset_remove_text(struct spu_listset *s, const void *text, size_t n,
                            struct spu_error *err)
{
    const uint8_t *p = n ? text : (const uint8_t *)"";
    if (s->sealed)
        return spu_error_set(err, SPU_ESTATE, "list already sealed");
    if (s->kind == SPU_LIST_REGEX)
        return spu_error_set(err, SPU_EINVAL,
                             "a regex list's entries cannot be removed (edit its file and reload it)");
    int rc;
    if (s->kind == SPU_LIST_STR) {
        rc = spu_lstr_remove(s, p, n);
    } else {
        uint8_t ip[16];
        uint16_t fam;
        uint32_t prefix;
        if (memchr(p, '\0', n) || spu_ip_parse((const char *)p, n, ip, &fam, &prefix) != SPU_OK)
            return spu_error_set(err, SPU_EPARSE, "not an address or CIDR block: '%.*s'",
                                 (int)(n > 60 ? 60 : n), (const char *)p);
        rc = spu_lip_remove(s, ip, fam == 4 ? prefix + 96 : prefix);
    }
    if (rc == SPU_ENOTFOUND)
        return spu_error_set(err, rc, "'%.*s' is not in the list", (int)(n > 60 ? 60 : n),
                             (const char *)p);
    return rc ? spu_error_set(err, rc, "%s", spu_strerror(rc)) : SPU_OK;
}

int spu_listset_load_file(struct spu_listset *s, const char *path, struct spu_error *err)
{
    if (s->sealed)
        return spu_error_set(err, SPU_ESTATE, "list already sealed");
    FILE *f = fopen(path, "re");
    if (!f) {
        char eb[128];
        return spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot open: %s",
                            strerror_r(errno, eb, sizeof(eb)));
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    int lineno = 0, rc = SPU_OK;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        const uint8_t *p = (const uint8_t *)line;
        size_t n = (size_t)got;
        if (n > SPU_LIST_MAX_LINE) {
            rc = spu_error_at(err, SPU_ELIMIT, path, UINT64_MAX, "line longer than %d bytes",
                              SPU_LIST_MAX_LINE);
            break;
        }
        if (lineno == 1 && n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
            p += 3;
            n -= 3;
        }
        spu_trim(&p, &n);
        if (n == 0 || p[0] == '#')
            continue;
        struct spu_error e;
        spu_error_clear(&e);
        rc = spu_listset_add_text(s, p, n, &e);
        if (rc) {
            spu_error_at(err, rc, path, UINT64_MAX, "%s", e.msg);
            break;
        }
    }
    if (rc == SPU_OK && ferror(f))
        rc = spu_error_at(err, SPU_EIO, path, UINT64_MAX, "read error");
    if (rc && err) {
        err->line = lineno;
        err->col = 1;
    }
    free(line);
    fclose(f);
    return rc;
}

int spu_listset_seal(struct spu_listset *s, struct spu_error *err)
{
    if (s->sealed)
        return SPU_OK;
    int rc = SPU_OK;
    if (s->kind == SPU_LIST_IP)
        rc = spu_lip_seal(s);
    else if (s->kind == SPU_LIST_REGEX)
        rc = spu_lre_seal(s);
    if (rc)
        return spu_error_set(err, rc, "%s", spu_strerror(rc));
    s->sealed = 1;
    return SPU_OK;
}

unsigned spu_listset_kind(const struct spu_listset *s)
{
    return s->kind;
}

size_t spu_listset_size(const struct spu_listset *s)
{
    switch (s->kind) {
    case SPU_LIST_STR:
        return s->nents;
    case SPU_LIST_IP:
        return s->nblocks;
    default:
        return s->nres;
    }
}

static int has_one(const struct spu_listset *s, const struct spu_value *v)
{
    static const uint8_t empty[1] = {0};
    if (v->type == SPU_T_STR) {
        const uint8_t *p = v->u.s ? v->u.s : empty;
        if (s->kind == SPU_LIST_STR)
            return spu_lstr_has(s, p, v->len);
        if (s->kind == SPU_LIST_REGEX)
            return spu_lre_has(s, p, v->len);
        uint8_t ip[16];
        uint16_t fam;
        uint32_t prefix;
        if (memchr(p, '\0', v->len) ||
            spu_ip_parse((const char *)p, v->len, ip, &fam, &prefix) != SPU_OK)
            return 0;
        return spu_lip_has(s, ip, fam == 4 ? prefix + 96 : prefix);
    }
    if (v->type != SPU_T_IP || !v->u.s || (v->aux != 4 && v->aux != 6))
        return 0;
    uint32_t host = v->aux == 4 ? 32 : 128;
    uint32_t prefix = v->len > host ? host : v->len;
    if (s->kind == SPU_LIST_IP)
        return spu_lip_has(s, v->u.s, v->aux == 4 ? prefix + 96 : prefix);
    char text[64] = {0}; /* zeroed: PCRE2 JIT may read past the end (valgrind) */
    if (spu_ip_format(v->u.s, v->aux, text, 48) != SPU_OK)
        return 0;
    size_t n = strlen(text);
    if (prefix < host)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "/%u", (unsigned)prefix);
    if (s->kind == SPU_LIST_STR)
        return spu_lstr_has(s, (const uint8_t *)text, n);
    return spu_lre_has(s, (const uint8_t *)text, n);
}

int spu_listset_has(const struct spu_listset *s, const struct spu_value *v)
{
    if (!s->sealed)
        return SPU_ESTATE;
    if (v->type != SPU_T_ARR)
        return has_one(s, v);
    for (uint32_t i = 0; v->u.arr && i < v->u.arr->n; i++) {
        int r = has_one(s, &v->u.arr->v[i]);
        if (r)
            return r;
    }
    return 0;
}

/* ---- the container ---- */

struct spu_lists *spu_lists_new(unsigned n, struct spu_error *err)
{
    struct spu_lists *l = malloc(sizeof(*l) + (size_t)n * sizeof(l->slot[0]));
    if (!l) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    l->n = n;
    for (unsigned i = 0; i < n; i++)
        atomic_init(&l->slot[i], NULL);
    return l;
}

void spu_lists_free(struct spu_lists *l)
{
    if (!l)
        return;
    for (unsigned i = 0; i < l->n; i++)
        spu_listset_free(atomic_load_explicit(&l->slot[i], memory_order_relaxed));
    free(l);
}

unsigned spu_lists_count(const struct spu_lists *l)
{
    return l->n;
}

int spu_lists_install(struct spu_lists *l, unsigned idx, struct spu_listset *s)
{
    if (idx >= l->n)
        return SPU_ERANGE;
    if (!s || !s->sealed)
        return SPU_ESTATE;
    if (atomic_load_explicit(&l->slot[idx], memory_order_relaxed))
        return SPU_EEXIST;
    atomic_store_explicit(&l->slot[idx], s, memory_order_release);
    return SPU_OK;
}

struct spu_listset *spu_lists_swap(struct spu_lists *l, unsigned idx, struct spu_listset *s,
                                   int *rc)
{
    int r = idx >= l->n ? SPU_ERANGE : (!s || !s->sealed) ? SPU_ESTATE : SPU_OK;
    if (rc)
        *rc = r;
    if (r)
        return NULL;
    return atomic_exchange_explicit(&l->slot[idx], s, memory_order_acq_rel);
}

const struct spu_listset *spu_lists_get(const struct spu_lists *l, unsigned idx)
{
    if (idx >= l->n)
        return NULL;
    /* the slot is only read here; the cast drops the const of the
     * container, not of the set */
    return atomic_load_explicit((_Atomic(struct spu_listset *) *)&l->slot[idx],
                                memory_order_acquire);
}

int spu_lists_has(const struct spu_lists *l, unsigned idx, const struct spu_value *v)
{
    if (idx >= l->n)
        return SPU_ERANGE;
    const struct spu_listset *s = spu_lists_get(l, idx);
    return s ? spu_listset_has(s, v) : 0;
}
