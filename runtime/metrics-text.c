/* metrics-text.c - an EVE stats record as Prometheus text (see metrics-text.h). */
#include "metrics-text.h"

#include "grow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sample {
    char *name;   /* owned */
    char *labels; /* owned: `a="x",b="y"` or "" */
    double value;
    bool gauge;
    size_t seq; /* insertion order: keeps the sort stable */
};

struct samples {
    struct sample *v;
    size_t n, cap;
    bool oom;
};

/* Leaf names whose value goes up and down; every other number counts. */
static bool is_gauge(const char *leaf)
{
    static const char *const g[] = {"memuse",       "active",  "entries",    "max_pkt_size",
                                    "avg_pkt_size", "workers", "flow_bytes", "checksum_validation",
                                    "signed",       "cap",     "input_done", "in_use",
                                    "reserved"};
    for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++)
        if (strcmp(leaf, g[i]) == 0)
            return true;
    return false;
}

/* Keys of an array element that name it rather than measure it. */
static bool is_identity(const char *key)
{
    return !strcmp(key, "worker") || !strcmp(key, "gid") || !strcmp(key, "signature_id") ||
           !strcmp(key, "rev");
}

static void add(struct samples *s, const char *name, const char *labels, double v, bool gauge)
{
    if (s->oom)
        return;
    if (s->n == s->cap) {
        size_t nc = spu_grow_cap(s->cap, s->n + 1, 256, SIZE_MAX / sizeof(*s->v));
        struct sample *nv = nc ? realloc(s->v, nc * sizeof(*nv)) : NULL;
        if (!nv) {
            s->oom = true;
            return;
        }
        s->v = nv;
        s->cap = nc;
    }
    struct sample *x = &s->v[s->n];
    x->name = strdup(name);
    x->labels = strdup(labels);
    if (!x->name || !x->labels) {
        free(x->name);
        free(x->labels);
        s->oom = true;
        return;
    }
    x->value = v;
    x->gauge = gauge;
    x->seq = s->n++;
}

/* Append `key` to the metric name in `buf` (length *len) as _key, sanitized. */
static size_t name_push(char *buf, size_t len, size_t cap, const char *key)
{
    if (len + 1 < cap)
        buf[len++] = '_';
    for (const char *k = key; *k && len + 1 < cap; k++) {
        char c = *k;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        buf[len++] = ok ? c : '_';
    }
    buf[len] = 0;
    return len;
}

static bool number_of(const json_t *v, double *out)
{
    if (json_is_integer(v))
        *out = (double)json_integer_value(v);
    else if (json_is_real(v))
        *out = json_real_value(v);
    else if (json_is_boolean(v))
        *out = json_is_true(v) ? 1 : 0;
    else
        return false;
    return true;
}

/* label `key="value"` appended to lab (escaped as the format says). */
static void label_add(char *lab, size_t cap, const char *key, const char *val)
{
    size_t l = strlen(lab);
    char tmp[600];
    size_t t = 0;
    for (const char *p = val; *p && t + 3 < sizeof(tmp); p++) {
        if (*p == '\\' || *p == '"') {
            tmp[t++] = '\\';
            tmp[t++] = *p;
        } else if (*p == '\n') {
            tmp[t++] = '\\';
            tmp[t++] = 'n';
        } else {
            tmp[t++] = *p;
        }
    }
    tmp[t] = 0;
    char k[64];
    size_t kn = 0;
    for (const char *p = key; *p && kn + 1 < sizeof(k); p++)
        k[kn++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                          (*p >= '0' && *p <= '9') || *p == '_'
                      ? *p
                      : '_';
    k[kn] = 0;
    snprintf(lab + l, cap - l, "%s%s=\"%s\"", l ? "," : "", k, tmp);
}

static void walk(struct samples *s, const json_t *v, char *name, size_t nlen, size_t ncap,
                 const char *leaf);

/* An array element that is an object: strings and identity numbers are its
 * labels, every other number a sample named after the array. */
static void walk_object_elem(struct samples *s, const json_t *o, size_t idx, char *name,
                             size_t nlen, size_t ncap)
{
    char lab[2048] = "";
    const char *k;
    json_t *x;
    double d;
    bool named = false;
    json_object_foreach((json_t *)o, k, x)
    {
        if (json_is_string(x)) {
            label_add(lab, sizeof(lab), k, json_string_value(x));
            named = true;
        } else if (is_identity(k) && json_is_integer(x)) {
            char b[32];
            snprintf(b, sizeof(b), "%lld", (long long)json_integer_value(x));
            label_add(lab, sizeof(lab), k, b);
            named = true;
        }
    }
    if (!named) {
        char b[32];
        snprintf(b, sizeof(b), "%zu", idx);
        label_add(lab, sizeof(lab), "index", b);
    }
    json_object_foreach((json_t *)o, k, x)
    {
        if (json_is_string(x) || (is_identity(k) && json_is_integer(x)))
            continue;
        if (!number_of(x, &d))
            continue; /* nested arrays and objects inside an element: not exported */
        name_push(name, nlen, ncap, k);
        add(s, name, lab, d, is_gauge(k));
        name[nlen] = 0;
    }
}

static void walk(struct samples *s, const json_t *v, char *name, size_t nlen, size_t ncap,
                 const char *leaf)
{
    double d;
    if (number_of(v, &d)) {
        add(s, name, "", d, is_gauge(leaf));
        return;
    }
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            size_t l = name_push(name, nlen, ncap, k);
            walk(s, x, name, l, ncap, k);
            name[nlen] = 0;
        }
        return;
    }
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (json_is_object(x)) {
                walk_object_elem(s, x, i, name, nlen, ncap);
            } else if (number_of(x, &d)) {
                char lab[64] = "", b[32];
                snprintf(b, sizeof(b), "%zu", i);
                label_add(lab, sizeof(lab), "worker", b);
                add(s, name, lab, d, is_gauge(leaf));
            }
        }
    }
}

static int by_name(const void *a, const void *b)
{
    const struct sample *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

char *metrics_text_render(const json_t *record, bool done)
{
    struct samples s = {0};
    char name[512];
    const json_t *st = json_object_get(record, "stats");
    if (st) {
        size_t l = (size_t)snprintf(name, sizeof(name), "spu_stats");
        walk(&s, st, name, l, sizeof(name), "stats");
    }
    const json_t *spu = json_object_get(record, "spu");
    if (spu) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)spu, k, x)
        {
            if (!strcmp(k, "thread") || !strcmp(k, "worker"))
                continue;
            size_t l = (size_t)snprintf(name, sizeof(name), "spu");
            l = name_push(name, l, sizeof(name), k);
            if (!strcmp(k, "detect") && json_is_object(x)) {
                /* every counter of the rule engine but the all-rules list */
                const char *dk;
                json_t *dx;
                json_object_foreach(x, dk, dx)
                {
                    if (!strcmp(dk, "rules"))
                        continue;
                    size_t dl = name_push(name, l, sizeof(name), dk);
                    walk(&s, dx, name, dl, sizeof(name), dk);
                    name[l] = 0;
                }
                continue;
            }
            walk(&s, x, name, l, sizeof(name), k);
        }
    }
    add(&s, "spu_input_done", "", done ? 1 : 0, true);
    char *out = NULL;
    size_t outlen = 0;
    FILE *m = s.oom ? NULL : open_memstream(&out, &outlen);
    if (m) {
        if (s.n)
            qsort(s.v, s.n, sizeof(*s.v), by_name);
        for (size_t i = 0; i < s.n; i++) {
            const struct sample *x = &s.v[i];
            if (i == 0 || strcmp(x->name, s.v[i - 1].name) != 0)
                fprintf(m, "# TYPE %s %s\n", x->name, x->gauge ? "gauge" : "counter");
            if (*x->labels)
                fprintf(m, "%s{%s} %.17g\n", x->name, x->labels, x->value);
            else
                fprintf(m, "%s %.17g\n", x->name, x->value);
        }
        if (fclose(m) != 0) {
            free(out);
            out = NULL;
        }
    }
    for (size_t i = 0; i < s.n; i++) {
        free(s.v[i].name);
        free(s.v[i].labels);
    }
    free(s.v);
    return out;
}
