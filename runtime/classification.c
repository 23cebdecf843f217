/* classification.c - classification.config reader (see classification.h). */
#include "classification.h"

#include "err.h"
#include "grow.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FILE (4u << 20)

struct classification {
    struct class_entry *e;
    size_t n, cap;
    char *text; /* owned copy the entries point into */
};

void classification_free(struct classification *c)
{
    if (!c)
        return;
    free(c->e);
    free(c->text);
    free(c);
}

static char *trim(char *s, char *end)
{
    while (s < end && isspace((unsigned char)*s))
        s++;
    while (end > s && isspace((unsigned char)end[-1]))
        end--;
    *end = 0;
    return s;
}

struct classification *classification_parse(const char *text, size_t len, const char *origin,
                                            struct spu_error *err)
{
    static const char prefix[] = "config classification:";
    struct classification *c = calloc(1, sizeof(*c));
    if (!c || !(c->text = malloc(len + 1))) {
        free(c);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(c->text, text, len);
    c->text[len] = 0;
    unsigned lineno = 0;
    for (char *line = c->text, *next; line && line < c->text + len; line = next) {
        lineno++;
        char *nl = memchr(line, '\n', (size_t)(c->text + len - line));
        char *end = nl ? nl : c->text + len;
        next = nl ? nl + 1 : NULL;
        char *s = trim(line, end);
        if (!*s || *s == '#')
            continue;
        if (strncasecmp(s, prefix, sizeof(prefix) - 1) != 0) {
            spu_error_at(err, SPU_EPARSE, origin, lineno, "line %u: expected '%s'", lineno, prefix);
            goto fail;
        }
        s += sizeof(prefix) - 1;
        char *c1 = strchr(s, ','), *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
        if (!c1 || !c2) {
            spu_error_at(err, SPU_EPARSE, origin, lineno,
                         "line %u: expected NAME,DESCRIPTION,PRIORITY", lineno);
            goto fail;
        }
        char *name = trim(s, c1), *desc = trim(c1 + 1, c2), *prio = trim(c2 + 1, end);
        char *pe;
        long p = strtol(prio, &pe, 10);
        if (!*name || !*prio || *pe || p < 1 || p > 255) {
            spu_error_at(err, SPU_EPARSE, origin, lineno, "line %u: bad class name or priority",
                         lineno);
            goto fail;
        }
        if (classification_find(c, name, strlen(name))) {
            spu_error_at(err, SPU_EEXIST, origin, lineno, "line %u: class '%s' given twice", lineno,
                         name);
            goto fail;
        }
        if (c->n == c->cap) {
            size_t nc = spu_grow_cap(c->cap, c->n + 1, 32, SIZE_MAX / sizeof(*c->e));
            struct class_entry *ne = nc ? realloc(c->e, nc * sizeof(*ne)) : NULL;
            if (!ne) {
                spu_error_set(err, SPU_ENOMEM, "out of memory");
                goto fail;
            }
            c->e = ne;
            c->cap = nc;
        }
        c->e[c->n++] = (struct class_entry){name, desc, (int)p};
    }
    return c;
fail:
    classification_free(c);
    return NULL;
}

struct classification *classification_load(const char *path, struct spu_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        spu_error_at(err, SPU_EIO, path, 0, "cannot open the classification file");
        return NULL;
    }
    char *buf = malloc(MAX_FILE);
    size_t n = buf ? fread(buf, 1, MAX_FILE, f) : 0;
    int bad = !buf || ferror(f) || n == MAX_FILE;
    fclose(f);
    if (bad) {
        free(buf);
        spu_error_at(err, SPU_EIO, path, 0, "cannot read the classification file (max 4 MiB)");
        return NULL;
    }
    struct classification *c = classification_parse(buf, n, path, err);
    free(buf);
    return c;
}

const struct class_entry *classification_find(const struct classification *c, const char *name,
                                              size_t len)
{
    if (!c)
        return NULL;
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->e[i].name) == len && strncasecmp(c->e[i].name, name, len) == 0)
            return &c->e[i];
    return NULL;
}

size_t classification_count(const struct classification *c)
{
    return c ? c->n : 0;
}
