/*
 * main.c - spuc, the compiler's command line: option parsing and the table
 * of modes. Everything else is in libspuc (the other compiler sources) and
 * the VM library: this file only turns arguments into calls and results
 * into an exit status.
 *
 *   spuc [OPTIONS] [MODE] FILES...
 *
 * Exit status: 0 success, 1 when any error was reported, 2 on a usage error.
 */
#include "ast.h"
#include "builtin-api.h"
#include "bundle-crypt.h"
#include "bundle-view.h"
#include "grow.h"
#include "bundle.h"
#include "compile.h"
#include "diag.h"
#include "disasm.h"
#include "err.h"
#include "front.h"
#include "import.h"
#include "sema.h"
#include "tools.h"
#include "verify.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct args {
    const char **incs, **files;
    int ninc, nfiles;
    const char *out;      /* -o */
    const char *name;     /* -n */
    const char *sign;     /* --sign KEYFILE */
    const char *gen_key;  /* --gen-key PREFIX */
    long max_errors;
    bool stable, no_opt;
    const char *import_dialect;  /* --import DIALECT */
    const char *dialect;         /* --dialect DIALECT: of .rules files */
    const char *classification;  /* --classification FILE (imports) */
    const char *threshold;       /* --threshold FILE (imports) */
};

/* A mode runs after the options were read; returns the exit status. */
struct mode {
    const char *flag;
    const char *help;
    bool needs_files;
    int (*run)(struct args *a);
};

/* ---- helpers ---- */

static bool is_bundle(const char *path)
{
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".spb") == 0;
}

static bool is_rules(const char *path)
{
    size_t n = strlen(path);
    return n > 6 && strcmp(path + n - 6, ".rules") == 0;
}

/* The directory part of path ("." when none) into buf. */
static const char *dir_of(const char *path, char *buf, size_t cap)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash)
        return ".";
    snprintf(buf, cap, "%.*s", (int)(slash - path), path);
    return buf[0] ? buf : "/";
}

/* Translate .rules files (docs/import.md); SPU_OK with the .spr text. */
static int import_rules(struct args *a, const char *dialect, const char **files, int n,
                        FILE *diag, char **text, size_t *len)
{
    int d = import_dialect_of(dialect ? dialect : "suricata");
    if (d < 0) {
        fprintf(stderr, "spuc: error: unknown rule dialect '%s' (suricata, snort2, snort3)\n",
                dialect);
        return SPU_EINVAL;
    }
    char dbuf[4096];
    struct import_opts o = {
        .dialect = (enum import_dialect)d,
        .classification = a->classification,
        .threshold = a->threshold,
        .spr_dir = dir_of(a->out, dbuf, sizeof(dbuf)),
    };
    struct spu_error err;
    spu_error_clear(&err);
    int rc = import_files(&o, files, n, diag, stderr, text, len, &err);
    if (rc != SPU_OK)
        fprintf(stderr, "spuc: error: %s\n", err.msg);
    return rc;
}

/* A front with the include directories and files of the command line;
 * NULL after printing why. *status: the exit status to return then. */
static struct front *open_front(struct args *a, int *status)
{
    struct spu_error err;
    spu_error_clear(&err);
    *status = 1;
    struct front *f = front_new(stderr, &err);
    if (!f) {
        fprintf(stderr, "spuc: error: %s\n", err.msg);
        return NULL;
    }
    if (a->max_errors >= 0)
        diag_set_max_errors(front_diag(f), (unsigned)a->max_errors);
    for (int i = 0; i < a->ninc; i++)
        if (front_add_include(f, a->incs[i]) != SPU_OK)
            goto fail;
    /* installed as PREFIX/bin/spuc: PREFIX/share/spu/grammars, wherever
     * PREFIX is (make install PREFIX=DIR runs from DIR) */
    char exe[PATH_MAX], sys[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            struct stat st;
            snprintf(sys, sizeof(sys), "%s/../share/spu/grammars", exe);
            if (stat(sys, &st) == 0 && S_ISDIR(st.st_mode) &&
                front_set_system_include(f, sys) != SPU_OK)
                goto fail;
        }
    }
    bool bad = false;
    /* .rules files: translated together (they share flowbits), then
     * compiled as one rule file named after the first */
    const char **rules = calloc((size_t)a->nfiles + 1, sizeof(*rules));
    int nrules = 0;
    if (!rules)
        goto fail;
    for (int i = 0; i < a->nfiles; i++)
        if (is_rules(a->files[i]))
            rules[nrules++] = a->files[i];
    if (nrules) {
        char *text = NULL;
        size_t len = 0;
        int rc = import_rules(a, a->dialect, rules, nrules, stderr, &text, &len);
        if (rc == SPU_OK) {
            char name[8300], dbuf[4096];
            const char *base = strrchr(rules[0], '/');
            snprintf(name, sizeof(name), "%s/%s.spr", dir_of(a->out, dbuf, sizeof(dbuf)),
                     base ? base + 1 : rules[0]);
            rc = front_add_source(f, name, text, len, SRC_LANG_RULES);
        }
        free(text);
        if (rc == SPU_ENOMEM) {
            free(rules);
            goto fail;
        }
        bad |= rc != SPU_OK;
    }
    free(rules);
    for (int i = 0; i < a->nfiles; i++) {
        if (is_rules(a->files[i]))
            continue;
        if (is_bundle(a->files[i])) {
            fprintf(stderr, "spuc: error: %s: a bundle cannot be compiled; give .spg and .spr "
                    "files\n", a->files[i]);
            bad = true;
            continue;
        }
        int rc = front_add_file(f, a->files[i]);
        if (rc == SPU_ENOMEM)
            goto fail;
        bad |= rc != SPU_OK;
    }
    if (!bad)
        return f;
fail:
    front_free(f);
    return NULL;
}

static int status_of(int rc)
{
    if (rc == SPU_ENOMEM)
        fprintf(stderr, "spuc: error: out of memory\n");
    return rc == SPU_OK ? 0 : 1;
}

static int read_sign_key(const struct args *a, uint8_t sk[SPU_SECRET_KEY_SIZE])
{
    struct spu_error err;
    spu_error_clear(&err);
    if (spu_key_read(a->sign, sk, SPU_SECRET_KEY_SIZE, &err) != SPU_OK) {
        char buf[600];
        fprintf(stderr, "spuc: error: %s\n", spu_error_str(&err, buf, sizeof(buf)));
        return SPU_EIO;
    }
    return SPU_OK;
}

/* Compile the files of the command line into bytes (out may be NULL). */
static int compile_files(struct args *a, FILE *ir_out, uint8_t **out, size_t *len)
{
    int status;
    struct front *f = open_front(a, &status);
    if (!f)
        return SPU_EPARSE;
    uint8_t sk[SPU_SECRET_KEY_SIZE];
    int rc = a->sign ? read_sign_key(a, sk) : SPU_OK;
    if (rc == SPU_OK)
        rc = front_check(f);
    if (rc == SPU_OK) {
        struct compile_opts o = {
            .name = a->name,
            .sign_key = a->sign ? sk : NULL,
            .hs_cache = a->sign != NULL,
            .no_opt = a->no_opt,
            .ir_out = ir_out,
        };
        rc = compile_bundle(f, &o, out, len, NULL);
    }
    front_free(f);
    return rc;
}

static int write_file(const char *path, const uint8_t *p, size_t n, int mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return SPU_EINVAL;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0)
        goto fail;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            goto fail;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0)
        goto fail;
    return SPU_OK;
fail:
    fprintf(stderr, "spuc: error: cannot write %s: %s\n", path, strerror(errno));
    unlink(tmp);
    return SPU_EIO;
}

/* The bundle a bundle-reading mode works on: the .spb file given, or the
 * sources compiled in memory. *bytes is malloc'd. */
static int bundle_bytes(struct args *a, uint8_t **bytes, size_t *len)
{
    if (a->nfiles == 1 && is_bundle(a->files[0])) {
        FILE *in = fopen(a->files[0], "rb");
        if (!in) {
            fprintf(stderr, "spuc: error: cannot read %s: %s\n", a->files[0], strerror(errno));
            return SPU_EIO;
        }
        size_t cap = 1 << 16, n = 0;
        uint8_t *p = malloc(cap);
        while (p) {
            size_t r = fread(p + n, 1, cap - n, in);
            n += r;
            if (n < cap)
                break;
            size_t ncap = spu_grow_cap(cap, cap + 1, 1 << 16, SIZE_MAX);
            uint8_t *np = ncap ? realloc(p, ncap) : NULL;
            if (!np) {
                free(p);
                p = NULL;
                break;
            }
            p = np;
            cap = ncap;
        }
        bool bad = ferror(in);
        fclose(in);
        if (!p || bad) {
            free(p);
            fprintf(stderr, "spuc: error: cannot read %s\n", a->files[0]);
            return p ? SPU_EIO : SPU_ENOMEM;
        }
        *bytes = p;
        *len = n;
        return SPU_OK;
    }
    return compile_files(a, NULL, bytes, len);
}

static int view_of(const struct args *a, const uint8_t *p, size_t n, struct spu_bview *v)
{
    struct spu_error err;
    spu_error_clear(&err);
    int rc = spu_bview_parse(p, n, v, &err);
    if (rc == SPU_OK)
        rc = spu_verify(v, &err);
    if (rc != SPU_OK) {
        char buf[600];
        fprintf(stderr, "spuc: error: %s: %s\n", a->nfiles ? a->files[0] : "bundle",
                spu_error_str(&err, buf, sizeof(buf)));
    }
    return rc;
}

/* ---- modes ---- */

static int run_check(struct args *a)
{
    return status_of(compile_files(a, NULL, NULL, NULL));
}

static int run_compile(struct args *a)
{
    uint8_t *p = NULL;
    size_t n = 0;
    int rc = compile_files(a, NULL, &p, &n);
    if (rc == SPU_OK)
        rc = write_file(a->out, p, n, 0644);
    free(p);
    return status_of(rc);
}

static int run_dump_ir(struct args *a)
{
    return status_of(compile_files(a, stdout, NULL, NULL));
}

static int run_dump(struct args *a)
{
    uint8_t *p = NULL;
    size_t n = 0;
    int rc = bundle_bytes(a, &p, &n);
    if (rc == SPU_OK) {
        struct spu_error err;
        spu_error_clear(&err);
        struct spu_bundle *b = spu_bundle_load_mem(p, n, NULL, &err);
        if (!b) {
            char buf[600];
            fprintf(stderr, "spuc: error: %s: %s\n", a->files[0],
                    spu_error_str(&err, buf, sizeof(buf)));
            rc = err.code ? err.code : SPU_EFORMAT;
        } else {
            rc = spu_disasm(stdout, b, a->stable ? SPU_DIS_STABLE : 0);
            spu_bundle_unref(b);
        }
    }
    free(p);
    return status_of(rc);
}

static int run_view(struct args *a, int (*fn)(FILE *, const struct spu_bview *))
{
    uint8_t *p = NULL;
    size_t n = 0;
    int rc = bundle_bytes(a, &p, &n);
    struct spu_bview v;
    if (rc == SPU_OK)
        rc = view_of(a, p, n, &v);
    if (rc == SPU_OK)
        rc = fn(stdout, &v);
    free(p);
    return status_of(rc);
}

static int run_dot(struct args *a)
{
    return run_view(a, spuc_dot);
}

static int run_fields(struct args *a)
{
    return run_view(a, spuc_fields);
}

static int run_gen_key(struct args *a)
{
    uint8_t pk[SPU_PUBLIC_KEY_SIZE], sk[SPU_SECRET_KEY_SIZE];
    if (spu_key_generate(pk, sk) != SPU_OK) {
        fprintf(stderr, "spuc: error: cannot generate a key pair\n");
        return 1;
    }
    char hex[2 * SPU_SECRET_KEY_SIZE + 2];
    char path[4096];
    for (size_t i = 0; i < SPU_SECRET_KEY_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", sk[i]);
    hex[2 * SPU_SECRET_KEY_SIZE] = '\n';
    snprintf(path, sizeof(path), "%s.key", a->gen_key);
    int rc = write_file(path, (const uint8_t *)hex, 2 * SPU_SECRET_KEY_SIZE + 1, 0600);
    for (size_t i = 0; i < SPU_PUBLIC_KEY_SIZE; i++)
        snprintf(hex + 2 * i, 3, "%02x", pk[i]);
    hex[2 * SPU_PUBLIC_KEY_SIZE] = '\n';
    snprintf(path, sizeof(path), "%s.pub", a->gen_key);
    if (rc == SPU_OK)
        rc = write_file(path, (const uint8_t *)hex, 2 * SPU_PUBLIC_KEY_SIZE + 1, 0644);
    if (rc == SPU_OK)
        printf("spuc: wrote %s.key (secret: spuc --sign) and %s.pub (public: spurun)\n",
               a->gen_key, a->gen_key);
    return status_of(rc);
}

static int run_dump_ast(struct args *a)
{
    int status;
    struct front *f = open_front(a, &status);
    if (!f)
        return status;
    int rc = front_check(f);
    if (rc != SPU_ENOMEM)
        front_dump_ast(f, stdout);
    status = rc == SPU_ENOMEM ? status_of(rc) : diag_errors(front_diag(f)) ? 1 : 0;
    front_free(f);
    return status;
}

static int run_dump_symbols(struct args *a)
{
    int status;
    struct front *f = open_front(a, &status);
    if (!f)
        return status;
    int rc = front_check(f);
    if (front_program(f))
        sema_dump(stdout, front_program(f));
    status = rc == SPU_ENOMEM ? status_of(rc) : diag_errors(front_diag(f)) ? 1 : 0;
    front_free(f);
    return status;
}

static int run_builtins(struct args *a)
{
    static const struct {
        unsigned flag;
        const char *name;
    } flags[] = {{SPU_BIF_PURE, "pure"},
                 {SPU_BIF_ACTION, "action"},
                 {SPU_BIF_RULE, "rules"},
                 {SPU_BIF_GRAMMAR, "grammars"}};
    (void)a;
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

/* spuc --import DIALECT FILES [-o OUT.spr]: the translation only. */
static int run_import(struct args *a)
{
    char *text = NULL;
    size_t len = 0;
    int rc = import_rules(a, a->import_dialect, a->files, a->nfiles, stderr, &text, &len);
    if (rc == SPU_OK) {
        if (a->out)
            rc = write_file(a->out, (const uint8_t *)text, len, 0644);
        else if (fwrite(text, 1, len, stdout) != len)
            rc = SPU_EIO;
    }
    free(text);
    return rc == SPU_OK ? 0 : 1;
}

static const struct mode modes[] = {
    {"--check", "parse, check and generate code, report diagnostics; write nothing (the "
                "default without -o)", true, run_check},
    {"--compile", "compile the files into the bundle named by -o (the default with -o)", true,
     run_compile},
    {"--dump", "print a bundle (a .spb file, or the bundle of the files given)", true, run_dump},
    {"--dump-ir", "print the code generator's IR of the files (after optimization)", true,
     run_dump_ir},
    {"--dot", "print the lookup trees of a bundle (or of the files) for Graphviz", true, run_dot},
    {"--fields", "print every event with its fields and types (Markdown)", true, run_fields},
    {"--dump-ast", "print the checked syntax trees of the files", true, run_dump_ast},
    {"--dump-symbols", "print the symbol tables: protocols, records, events, rules...", true,
     run_dump_symbols},
    {"--builtins", "print the built-in functions and their signatures", false, run_builtins},
    {"--gen-key", "write a signing key pair PREFIX.key and PREFIX.pub (needs PREFIX)", false,
     run_gen_key},
    {"--import", "translate Suricata/Snort rules (needs DIALECT: suricata, snort2, snort3) "
                 "into spu rules, to -o FILE.spr or stdout; summary on stderr", true,
     run_import},
};
#define NMODES (sizeof(modes) / sizeof(modes[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: spuc [OPTIONS] [MODE] FILES...\n"
                 "Compile spu protocol grammars (.spg) and rules (.spr) into a bundle (.spb).\n\n"
                 "modes:\n");
    for (size_t i = 0; i < NMODES; i++)
        fprintf(out, "  %-16s %s\n", modes[i].flag, modes[i].help);
    fprintf(out, "\noptions:\n"
                 "  -o FILE          write the bundle to FILE\n"
                 "  -n NAME          the bundle's name (shown by spurun and in events)\n"
                 "  --sign KEYFILE   sign the bundle with an Ed25519 secret key (--gen-key)\n"
                 "  -I DIR           look for imported grammars (NAME.spg) in DIR; repeatable;\n"
                 "                   then in the importing file's directory and ./grammars\n"
                 "  --max-errors N   stop after N errors (default 50, 0: no limit)\n"
                 "  --stable         --dump: leave out checksums, sizes and offsets\n"
                 "  --no-opt         skip the optimizer (to read the IR as lowered)\n"
                 "  --dialect D      .rules files are D (suricata, the default; snort2; snort3)\n"
                 "  --classification FILE, --threshold FILE\n"
                 "                   classification.config / threshold.config for .rules files\n"
                 "  -h, --help       this help\n"
                 "  --version        the version\n"
                 "\nexamples:\n"
                 "  spuc -o web.spb grammars/http.spg rules/web.spr\n"
                 "                   compile a grammar and rules into one bundle\n"
                 "  spuc -n web -o web.spb rules/web.spr\n"
                 "                   the same, `import http;` found in -I, ./grammars or\n"
                 "                   the installed PREFIX/share/spu/grammars\n"
                 "  spuc --dump web.spb      what a bundle holds\n"
                 "  spuc --fields web.spb    every event and its fields\n");
}

/* The value of option `a` (attached or the next argument), or NULL. */
static const char *value_of(int argc, char **argv, int *i, const char *a, size_t flen)
{
    if (a[flen])
        return a + flen;
    return *i + 1 < argc ? argv[++*i] : NULL;
}

int main(int argc, char **argv)
{
    struct args a = {.max_errors = -1};
    const struct mode *mode = NULL;
    int status = 2;
    a.incs = calloc((size_t)argc, sizeof(*a.incs));
    a.files = calloc((size_t)argc, sizeof(*a.files));
    if (!a.incs || !a.files) {
        fprintf(stderr, "spuc: error: out of memory\n");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
            usage(stdout);
            status = 0;
            goto out;
        }
        if (strcmp(s, "--version") == 0) {
            printf("spuc %s\n", SPUC_VERSION);
            status = 0;
            goto out;
        }
        if (strncmp(s, "-I", 2) == 0 || strncmp(s, "-o", 2) == 0 || strncmp(s, "-n", 2) == 0) {
            const char *v = value_of(argc, argv, &i, s, 2);
            if (!v || !*v) {
                fprintf(stderr, "spuc: error: %.2s needs a value\n", s);
                goto out;
            }
            if (s[1] == 'I')
                a.incs[a.ninc++] = v;
            else if (s[1] == 'o')
                a.out = v;
            else
                a.name = v;
            continue;
        }
        if (strcmp(s, "--sign") == 0 || strcmp(s, "--gen-key") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (!v) {
                fprintf(stderr, "spuc: error: %s needs a value\n", s);
                goto out;
            }
            if (s[2] == 's') {
                a.sign = v;
                continue;
            }
            a.gen_key = v;
        }
        if (strcmp(s, "--import") == 0 || strcmp(s, "--dialect") == 0 ||
            strcmp(s, "--classification") == 0 || strcmp(s, "--threshold") == 0) {
            const char *v = i + 1 < argc ? argv[++i] : NULL;
            if (!v) {
                fprintf(stderr, "spuc: error: %s needs a value\n", s);
                goto out;
            }
            if (s[2] == 'i') {
                a.import_dialect = v;
                for (size_t k = 0; k < NMODES; k++)
                    if (modes[k].run == run_import)
                        mode = &modes[k];
            } else if (s[2] == 'd')
                a.dialect = v;
            else if (s[2] == 'c')
                a.classification = v;
            else
                a.threshold = v;
            continue;
        }
        if (strcmp(s, "--max-errors") == 0) {
            char *end = NULL;
            a.max_errors = i + 1 < argc ? strtol(argv[++i], &end, 10) : -1;
            if (a.max_errors < 0 || !end || *end) {
                fprintf(stderr, "spuc: error: --max-errors needs a number\n");
                goto out;
            }
            continue;
        }
        if (strcmp(s, "--stable") == 0 || strcmp(s, "--no-opt") == 0) {
            if (s[2] == 's')
                a.stable = true;
            else
                a.no_opt = true;
            continue;
        }
        if (s[0] == '-' && s[1] == '-') {
            size_t k;
            for (k = 0; k < NMODES && strcmp(s, modes[k].flag) != 0; k++)
                ;
            if (k == NMODES) {
                fprintf(stderr, "spuc: error: unknown option '%s' (see spuc --help)\n", s);
                goto out;
            }
            if (mode && mode != &modes[k]) {
                fprintf(stderr, "spuc: error: %s and %s cannot be combined\n", mode->flag, s);
                goto out;
            }
            mode = &modes[k];
            continue;
        }
        if (s[0] == '-' && s[1] != '\0') {
            fprintf(stderr, "spuc: error: unknown option '%s' (see spuc --help)\n", s);
            goto out;
        }
        a.files[a.nfiles++] = s;
    }
    if (!mode)
        mode = a.out ? &modes[1] : &modes[0];
    if (mode->run == run_compile && !a.out) {
        fprintf(stderr, "spuc: error: --compile needs -o FILE\n");
        goto out;
    }
    if (a.out && mode->run != run_compile && mode->run != run_import) {
        fprintf(stderr, "spuc: error: -o and %s cannot be combined\n", mode->flag);
        goto out;
    }
    if (mode->needs_files && a.nfiles == 0) {
        usage(stderr);
        goto out;
    }
    bool bundle_mode = mode->run == run_dump || mode->run == run_dot || mode->run == run_fields;
    for (int i = 0; i < a.nfiles; i++)
        if (is_bundle(a.files[i]) && (!bundle_mode || a.nfiles != 1)) {
            fprintf(stderr, "spuc: error: %s: %s\n", a.files[i],
                    bundle_mode ? "give one bundle, or source files"
                                : "a bundle is read by --dump, --dot and --fields only");
            goto out;
        }
    status = mode->run(&a);
out:
    free(a.incs);
    free(a.files);
    return status;
}
