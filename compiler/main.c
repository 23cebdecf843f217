/*
 * main.c - spuc, the compiler's command line: option parsing and the table
 * of modes. Everything else is in libspuc (the other compiler sources): this file only
 * turns arguments into calls and results into an exit status.
 *
 *   spuc [-I DIR]... [MODE] FILES...
 *
 * Exit status: 0 success, 1 when any error was reported, 2 on a usage error.
 */
#include "ast.h"
#include "builtin-api.h"
#include "diag.h"
#include "err.h"
#include "front.h"
#include "sema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPUC_VERSION "0.1.0"

/* A mode runs after the files were added; returns the exit status. */
struct mode {
    const char *flag;
    const char *help;
    bool needs_files;
    int (*run)(struct front *f);
};

static int status_of(struct front *f, int rc)
{
    if (rc == SPU_ENOMEM) {
        fprintf(stderr, "spuc: error: out of memory\n");
        return 1;
    }
    return diag_errors(front_diag(f)) ? 1 : 0;
}

static int run_check(struct front *f)
{
    return status_of(f, front_check(f));
}

static int run_dump_ast(struct front *f)
{
    int rc = front_check(f);
    if (rc != SPU_ENOMEM)
        front_dump_ast(f, stdout);
    return status_of(f, rc);
}

static int run_dump_symbols(struct front *f)
{
    int rc = front_check(f);
    if (front_program(f))
        sema_dump(stdout, front_program(f));
    return status_of(f, rc);
}

static int run_builtins(struct front *f)
{
    static const struct {
        unsigned flag;
        const char *name;
    } flags[] = {{SPU_BIF_PURE, "pure"},
                 {SPU_BIF_ACTION, "action"},
                 {SPU_BIF_RULE, "rules"},
                 {SPU_BIF_GRAMMAR, "grammars"}};
    (void)f;
    for (unsigned i = 0; i < SPU_BI__COUNT; i++) {
        const struct spu_builtin_info *b = &spu_builtins[i];
        const char *more = "";
        if (b->flags & SPU_BIF_VARIADIC)
            more = b->params[0] ? ", ..." : "...";
        printf("%s(%s%s) -> %s  [", b->name, b->params, more, b->ret);
        const char *sep = "";
        for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
            if (b->flags & flags[k].flag) {
                printf("%s%s", sep, flags[k].name);
                sep = " ";
            }
        printf("]\n");
    }
    return 0;
}

static const struct mode modes[] = {
    {"--check", "parse and check the files, report diagnostics (the default)", true, run_check},
    {"--dump-ast", "print the checked syntax trees of the files", true, run_dump_ast},
    {"--dump-symbols", "print the symbol tables: protocols, records, events, rules...", true,
     run_dump_symbols},
    {"--builtins", "print the built-in functions and their signatures", false, run_builtins},
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: spuc [-I DIR]... [--max-errors N] [MODE] FILES...\n"
                 "Compile spu protocol grammars (.spg) and rules (.spr).\n\n"
                 "modes:\n");
    for (size_t i = 0; i < NMODES; i++)
        fprintf(out, "  %-16s %s\n", modes[i].flag, modes[i].help);
    fprintf(out, "\noptions:\n"
                 "  -I DIR           look for imported grammars (NAME.spg) in DIR; repeatable;\n"
                 "                   then in the importing file's directory and ./grammars\n"
                 "  --max-errors N   stop after N errors (default 50, 0: no limit)\n"
                 "  -h, --help       this help\n"
                 "  --version        the version\n");
}

int main(int argc, char **argv)
{
    const struct mode *mode = &modes[0];
    const char **incs = calloc((size_t)argc, sizeof(*incs));
    const char **files = calloc((size_t)argc, sizeof(*files));
    int ninc = 0, nfiles = 0, status = 2;
    long max_errors = -1;
    bool mode_set = false;
    struct front *f = NULL;
    if (!incs || !files) {
        fprintf(stderr, "spuc: error: out of memory\n");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            status = 0;
            goto out;
        }
        if (strcmp(a, "--version") == 0) {
            printf("spuc %s\n", SPUC_VERSION);
            status = 0;
            goto out;
        }
        if (strcmp(a, "-I") == 0 || strncmp(a, "-I", 2) == 0) {
            const char *dir = a[2] ? a + 2 : (i + 1 < argc ? argv[++i] : NULL);
            if (!dir) {
                fprintf(stderr, "spuc: error: -I needs a directory\n");
                goto out;
            }
            incs[ninc++] = dir;
            continue;
        }
        if (strcmp(a, "--max-errors") == 0) {
            char *end;
            max_errors = i + 1 < argc ? strtol(argv[++i], &end, 10) : -1;
            if (max_errors < 0 || *end) {
                fprintf(stderr, "spuc: error: --max-errors needs a number\n");
                goto out;
            }
            continue;
        }
        if (a[0] == '-' && a[1] == '-') {
            size_t k;
            for (k = 0; k < NMODES && strcmp(a, modes[k].flag) != 0; k++)
                ;
            if (k == NMODES) {
                fprintf(stderr, "spuc: error: unknown option '%s' (see spuc --help)\n", a);
                goto out;
            }
            if (mode_set && mode != &modes[k]) {
                fprintf(stderr, "spuc: error: %s and %s cannot be combined\n", mode->flag, a);
                goto out;
            }
            mode = &modes[k];
            mode_set = true;
            continue;
        }
        if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "spuc: error: unknown option '%s' (see spuc --help)\n", a);
            goto out;
        }
        files[nfiles++] = a;
    }
    if (mode->needs_files && nfiles == 0) {
        usage(stderr);
        goto out;
    }
    struct spu_error err;
    spu_error_clear(&err);
    f = front_new(stderr, &err);
    if (!f) {
        fprintf(stderr, "spuc: error: %s\n", err.msg);
        status = 1;
        goto out;
    }
    if (max_errors >= 0)
        diag_set_max_errors(front_diag(f), (unsigned)max_errors);
    status = 1;
    for (int i = 0; i < ninc; i++)
        if (front_add_include(f, incs[i]) != SPU_OK)
            goto out;
    bool bad = false;
    for (int i = 0; i < nfiles; i++) {
        int rc = front_add_file(f, files[i]);
        if (rc == SPU_ENOMEM)
            goto out;
        bad |= rc != SPU_OK;
    }
    status = bad ? 1 : mode->run(f);
out:
    front_free(f);
    free(incs);
    free(files);
    return status;
}
