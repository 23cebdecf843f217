/* front.c - one compilation: files, imports, parse, sema (see front.h). */
#include "front.h"

#include "arena.h"
#include "ast.h"
#include "diag.h"
#include "grow.h"
#include "err.h"
#include "parse.h"
#include "sema.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct front_file {
    const struct src_file *src;
    struct ast_node *ast;
    bool imported;
    bool parsed;
    char *real; /* realpath, to load a file once; NULL for memory files */
};

struct front {
    struct spu_arena *arena;
    struct src_set *srcs;
    struct diag *diag;
    char **inc;
    unsigned ninc;
    bool default_inc;
    char *sys_inc; /* installed grammars, searched last */
    struct front_file *files;
    unsigned nfiles, cap;
    struct sema_program *prog;
    bool nomem;
};

struct front *front_new(FILE *diag_out, struct spu_error *err)
{
    struct front *f = calloc(1, sizeof(*f));
    if (!f)
        goto nomem;
    f->default_inc = true;
    f->arena = spu_arena_new(0, 0);
    f->srcs = src_set_new(err);
    if (!f->arena || !f->srcs)
        goto nomem;
    f->diag = diag_new(f->srcs, diag_out);
    if (!f->diag)
        goto nomem;
    return f;
nomem:
    front_free(f);
    spu_error_set(err, SPU_ENOMEM, "out of memory");
    return NULL;
}

void front_free(struct front *f)
{
    if (!f)
        return;
    for (unsigned i = 0; i < f->ninc; i++)
        free(f->inc[i]);
    free(f->inc);
    free(f->sys_inc);
    for (unsigned i = 0; i < f->nfiles; i++)
        free(f->files[i].real);
    free(f->files);
    diag_free(f->diag);
    src_set_free(f->srcs);
    spu_arena_free(f->arena);
    free(f);
}

struct diag *front_diag(struct front *f)
{
    return f->diag;
}

int front_add_include(struct front *f, const char *dir)
{
    char **n = realloc(f->inc, sizeof(*n) * (f->ninc + 1));
    if (!n)
        return SPU_ENOMEM;
    f->inc = n;
    f->inc[f->ninc] = strdup(dir);
    if (!f->inc[f->ninc])
        return SPU_ENOMEM;
    f->ninc++;
    return SPU_OK;
}

int front_set_system_include(struct front *f, const char *dir)
{
    char *d = strdup(dir);
    if (!d)
        return SPU_ENOMEM;
    free(f->sys_inc);
    f->sys_inc = d;
    return SPU_OK;
}

void front_set_default_include(struct front *f, bool on)
{
    f->default_inc = on;
}

static struct front_file *push_file(struct front *f, const struct src_file *src, char *real,
                                    bool imported)
{
    if (f->nfiles == f->cap) {
        unsigned ncap = (unsigned)spu_grow_cap(f->cap, (size_t)f->nfiles + 1, 8, UINT_MAX);
        struct front_file *n = ncap ? realloc(f->files, sizeof(*n) * ncap) : NULL;
        if (!n) {
            free(real);
            return NULL;
        }
        f->files = n;
        f->cap = ncap;
    }
    struct front_file *ff = &f->files[f->nfiles++];
    memset(ff, 0, sizeof(*ff));
    ff->src = src;
    ff->real = real;
    ff->imported = imported;
    return ff;
}

static const struct src_loc no_loc;

/* Load path unless the same file is already part of the compilation. */
static int load(struct front *f, const char *path, bool imported)
{
    char *real = realpath(path, NULL);
    for (unsigned i = 0; real && i < f->nfiles; i++)
        if (f->files[i].real && strcmp(f->files[i].real, real) == 0) {
            free(real);
            return SPU_OK;
        }
    struct spu_error err;
    spu_error_clear(&err);
    const struct src_file *src = src_load(f->srcs, path, SRC_LANG_NONE, &err);
    if (!src) {
        free(real);
        diag_error(f->diag, no_loc, "%s", err.msg);
        return err.code;
    }
    return push_file(f, src, real, imported) ? SPU_OK : SPU_ENOMEM;
}

int front_add_file(struct front *f, const char *path)
{
    if (src_lang_of_path(path) == SRC_LANG_NONE) {
        diag_error(f->diag, no_loc, "'%s': unknown file kind (expected a .spg grammar or a .spr "
                   "rule file)", path);
        return SPU_EINVAL;
    }
    return load(f, path, false);
}

int front_add_source(struct front *f, const char *name, const void *data, size_t len,
                     enum src_lang lang)
{
    const struct src_file *src = src_add(f->srcs, name, data, len, lang);
    if (!src)
        return SPU_ENOMEM;
    return push_file(f, src, NULL, false) ? SPU_OK : SPU_ENOMEM;
}

static bool declares(const struct ast_node *file, const char *proto)
{
    for (const struct ast_node *d = file ? file->a : NULL; d; d = d->next)
        if (d->kind == AST_PROTOCOL && strcmp(d->name, proto) == 0)
            return true;
    return false;
}

static bool declared_anywhere(const struct front *f, const char *proto)
{
    for (unsigned i = 0; i < f->nfiles; i++)
        if (f->files[i].parsed && declares(f->files[i].ast, proto))
            return true;
    return false;
}

static int parse_one(struct front *f, struct front_file *ff)
{
    struct parse_ctx pc;
    ff->parsed = true;
    int rc = parse_file(&pc, f->arena, f->diag, ff->src);
    if (rc != SPU_OK)
        return rc;
    ff->ast = pc.root;
    return SPU_OK;
}

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Find NAME.spg for an import written in file `from`. */
static int resolve_import(struct front *f, unsigned from, const struct ast_node *im)
{
    const char *dirs[64];
    unsigned nd = 0;
    for (unsigned i = 0; i < f->ninc && nd < 62; i++)
        dirs[nd++] = f->inc[i];
    if (f->default_inc) {
        dirs[nd++] = f->files[from].src->dir;
        dirs[nd++] = "grammars";
        if (f->sys_inc)
            dirs[nd++] = f->sys_inc;
    }
    for (unsigned i = 0; i < nd; i++) {
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof(path), "%s/%s.spg", dirs[i], im->name) >= sizeof(path))
            continue;
        if (!is_file(path))
            continue;
        unsigned before = f->nfiles;
        int rc = load(f, path, true);
        if (rc != SPU_OK)
            return rc;
        if (f->nfiles > before) {
            rc = parse_one(f, &f->files[f->nfiles - 1]);
            if (rc != SPU_OK)
                return rc;
        }
        /* a file already in the compilation under another name may declare it */
        if (!declared_anywhere(f, im->name)) {
            diag_error(f->diag, im->loc, "'%s' does not declare protocol '%s'", path, im->name);
            return SPU_OK;
        }
        return SPU_OK;
    }
    char where[512];
    size_t k = 0;
    where[0] = '\0';
    for (unsigned i = 0; i < nd && k + 4 < sizeof(where); i++)
        k += (size_t)snprintf(where + k, sizeof(where) - k, "%s%s", i ? ", " : "", dirs[i]);
    if (nd)
        diag_error(f->diag, im->loc, "cannot find grammar '%s' (looked for %s.spg in %s)",
                   im->name, im->name, where);
    else
        diag_error(f->diag, im->loc, "cannot find grammar '%s' (no include directory)",
                   im->name);
    return SPU_OK;
}

int front_parse(struct front *f)
{
    for (unsigned i = 0; i < f->nfiles && !diag_stop(f->diag); i++) {
        if (f->files[i].parsed)
            continue;
        int rc = parse_one(f, &f->files[i]);
        if (rc != SPU_OK)
            return rc;
    }
    /* imports, including those of imported grammars (f->nfiles grows) */
    for (unsigned i = 0; i < f->nfiles && !diag_stop(f->diag); i++) {
        const struct ast_node *file = f->files[i].ast;
        for (const struct ast_node *d = file ? file->a : NULL; d; d = d->next) {
            if (d->kind != AST_IMPORT || declared_anywhere(f, d->name))
                continue;
            int rc = resolve_import(f, i, d);
            if (rc != SPU_OK)
                return rc;
        }
    }
    return diag_errors(f->diag) ? SPU_EPARSE : SPU_OK;
}

int front_check(struct front *f)
{
    int rc = front_parse(f);
    if (rc != SPU_OK) /* after syntax errors, sema would mostly report their echoes */
        return rc;
    struct ast_node **asts = malloc(sizeof(*asts) * (f->nfiles ? f->nfiles : 1));
    if (!asts)
        return SPU_ENOMEM;
    for (unsigned i = 0; i < f->nfiles; i++)
        asts[i] = f->files[i].ast;
    f->prog = sema_check(f->arena, f->diag, asts, f->nfiles);
    free(asts);
    if (!f->prog)
        return SPU_ENOMEM;
    return diag_errors(f->diag) ? SPU_EPARSE : SPU_OK;
}

const struct sema_program *front_program(const struct front *f)
{
    return f->prog;
}

unsigned front_file_count(const struct front *f)
{
    return f->nfiles;
}

const struct ast_node *front_file_ast(const struct front *f, unsigned i)
{
    return i < f->nfiles ? f->files[i].ast : NULL;
}

bool front_file_imported(const struct front *f, unsigned i)
{
    return i < f->nfiles && f->files[i].imported;
}

const struct src_file *front_file_src(const struct front *f, unsigned i)
{
    return i < f->nfiles ? f->files[i].src : NULL;
}

void front_dump_ast(const struct front *f, FILE *out)
{
    for (unsigned i = 0; i < f->nfiles; i++)
        if (!f->files[i].imported && f->files[i].ast)
            ast_dump(out, f->files[i].ast);
}
