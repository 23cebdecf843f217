/* source.c - loaded source files and their line index (see source.h). */
#include "source.h"

#include "err.h"
#include "grow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct src_set {
    struct src_file **files;
    uint32_t n, cap;
};

struct src_set *src_set_new(struct spu_error *err)
{
    struct src_set *s = calloc(1, sizeof(*s));
    if (!s)
        spu_error_set(err, SPU_ENOMEM, "out of memory");
    return s;
}

static void file_free(struct src_file *f)
{
    if (!f)
        return;
    free((char *)f->path);
    free((char *)f->dir);
    free((char *)f->text);
    free(f->line_off);
    free(f);
}

void src_set_free(struct src_set *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; i < s->n; i++)
        file_free(s->files[i]);
    free(s->files);
    free(s);
}

enum src_lang src_lang_of_path(const char *path)
{
    size_t n = strlen(path);
    if (n > 4 && strcmp(path + n - 4, ".spg") == 0)
        return SRC_LANG_GRAMMAR;
    if (n > 4 && strcmp(path + n - 4, ".spr") == 0)
        return SRC_LANG_RULES;
    return SRC_LANG_NONE;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Index line starts: a line ends at \n (a preceding \r is part of the
 * terminator when the line is printed). */
static int index_lines(struct src_file *f)
{
    uint32_t n = 1;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            n++;
    f->line_off = malloc(sizeof(uint32_t) * n);
    if (!f->line_off)
        return SPU_ENOMEM;
    uint32_t k = 0;
    f->line_off[k++] = 0;
    for (size_t i = 0; i < f->len; i++)
        if (f->text[i] == '\n')
            f->line_off[k++] = (uint32_t)(i + 1);
    f->nlines = n;
    return SPU_OK;
}

static struct src_file *add_file(struct src_set *s, const char *path, char *text, size_t len,
                                 enum src_lang lang)
{
    struct src_file *f = calloc(1, sizeof(*f));
    if (!f) {
        free(text);
        return NULL;
    }
    f->text = text;
    f->len = len;
    f->path = strdup(path);
    f->dir = dir_of(path);
    f->lang = lang != SRC_LANG_NONE ? lang : src_lang_of_path(path);
    if (!f->path || !f->dir || index_lines(f) != SPU_OK)
        goto fail;
    if (s->n == s->cap) {
        uint32_t ncap = (uint32_t)spu_grow_cap(s->cap, (size_t)s->n + 1, 8, UINT32_MAX - 1);
        struct src_file **nf = ncap ? realloc(s->files, sizeof(*nf) * ncap) : NULL;
        if (!nf)
            goto fail;
        s->files = nf;
        s->cap = ncap;
    }
    s->files[s->n++] = f;
    f->id = s->n;
    return f;
fail:
    file_free(f);
    return NULL;
}

const struct src_file *src_load(struct src_set *s, const char *path, enum src_lang lang,
                                struct spu_error *err)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        spu_error_set(err, SPU_EIO, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    if (!buf)
        goto nomem;
    for (;;) {
        if (cap - len < 2) {
            if (cap > ((size_t)1 << 30)) {
                free(buf);
                fclose(fp);
                spu_error_set(err, SPU_ELIMIT, "'%s' is too large", path);
                return NULL;
            }
            size_t ncap = spu_grow_cap(cap, len + 2, 4096, SIZE_MAX);
            char *nb = realloc(buf, ncap);
            if (!nb)
                goto nomem;
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + len, 1, cap - len - 1, fp);
        len += got;
        if (got == 0)
            break;
    }
    if (ferror(fp)) {
        free(buf);
        fclose(fp);
        spu_error_set(err, SPU_EIO, "cannot read '%s': %s", path, strerror(errno));
        return NULL;
    }
    fclose(fp);
    buf[len] = '\0';
    const struct src_file *f = add_file(s, path, buf, len, lang);
    if (!f)
        spu_error_set(err, SPU_ENOMEM, "out of memory");
    return f;
nomem:
    free(buf);
    fclose(fp);
    spu_error_set(err, SPU_ENOMEM, "out of memory");
    return NULL;
}

const struct src_file *src_add(struct src_set *s, const char *name, const void *data, size_t len,
                               enum src_lang lang)
{
    char *buf = malloc(len + 1);
    if (!buf)
        return NULL;
    if (len)
        memcpy(buf, data, len);
    buf[len] = '\0';
    return add_file(s, name, buf, len, lang);
}

const struct src_file *src_get(const struct src_set *s, uint32_t id)
{
    if (!s || id == 0 || id > s->n)
        return NULL;
    return s->files[id - 1];
}

uint32_t src_count(const struct src_set *s)
{
    return s ? s->n : 0;
}

const char *src_line(const struct src_file *f, uint32_t line, size_t *len)
{
    if (!f || line == 0 || line > f->nlines)
        return NULL;
    size_t start = f->line_off[line - 1];
    size_t end = line < f->nlines ? f->line_off[line] - 1 : f->len;
    if (end > start && f->text[end - 1] == '\r')
        end--;
    *len = end - start;
    return f->text + start;
}
