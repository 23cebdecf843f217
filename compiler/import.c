/*
 * import.c - the importer's driver: rule files read line by line
 * (continuations with a trailing backslash, comments and disabled rules
 * skipped), each rule translated by import-rule.c, skips counted per
 * reason; the .spr written with its declarations (imports, variable lists,
 * flowbit variables, threshold sessions); classification.config and
 * threshold.config read; default variable files written.
 */
#include "import-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int import_dialect_of(const char *name)
{
    if (strcmp(name, "suricata") == 0)
        return IMPORT_SURICATA;
    if (strcmp(name, "snort2") == 0 || strcmp(name, "snort") == 0)
        return IMPORT_SNORT2;
    if (strcmp(name, "snort3") == 0)
        return IMPORT_SNORT3;
    return -1;
}

struct importer *importer_new(enum import_dialect d, struct spu_error *err)
{
    struct importer *im = calloc(1, sizeof(*im));
    if (!im)
        goto nomem;
    im->dialect = d;
    im->bodyf = open_memstream(&im->body, &im->body_len);
    if (!im->bodyf)
        goto nomem;
    for (int k = 0; k < 4; k++)
        im->cur_chunk[k] = -1;
    return im;
nomem:
    importer_free(im);
    spu_error_set(err, SPU_ENOMEM, "out of memory");
    return NULL;
}

void importer_free(struct importer *im)
{
    if (!im)
        return;
    if (im->bodyf)
        fclose(im->bodyf);
    free(im->body);
    free(im->chunks);
    imp_vars_free(&im->vars);
    imp_vars_free(&im->fbits);
    imp_vars_free(&im->once);
    for (unsigned i = 0; i < im->nclasses; i++)
        free(im->classes[i].name);
    free(im->classes);
    for (unsigned i = 0; i < im->nthr; i++)
        free(im->thr[i].suppress_ip);
    free(im->thr);
    for (unsigned i = 0; i < im->nreasons; i++)
        free(im->reasons[i].text);
    free(im->reasons);
    free(im->ids);
    free(im);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

/* ---- threshold sessions ---- */

const char *const imp_thr_keys[4] = {"flow.src_ip", "flow.dst_ip", "packet.src_ip",
                                     "packet.dst_ip"};
static const char *const thr_kind_names[4] = {"flow_src", "flow_dst", "packet_src", "packet_dst"};

bool imp_thr_session(struct importer *im, int kind, long gid, long sid, long seconds, char *sess,
                     size_t cap)
{
    int c = im->cur_chunk[kind];
    if (c < 0 || im->chunks[c].n == IMP_THR_PER_SESSION) {
        if (im->nchunks == IMP_THR_MAX_SESSIONS)
            return false;
        struct imp_thr_chunk *n = realloc(im->chunks, (im->nchunks + 1) * sizeof(*n));
        if (!n)
            return false;
        im->chunks = n;
        c = (int)im->nchunks++;
        memset(&n[c], 0, sizeof(n[c]));
        n[c].kind = kind;
        im->cur_chunk[kind] = c;
    }
    struct imp_thr_chunk *k = &im->chunks[c];
    k->gid[k->n] = gid;
    k->sid[k->n] = sid;
    k->n++;
    if (seconds > k->ttl)
        k->ttl = seconds;
    snprintf(sess, cap, "thr_%s_%d", thr_kind_names[kind], c);
    return true;
}

/* ---- (gid, sid) already written ---- */

static size_t id_slot(const uint64_t *ids, size_t cap, uint64_t key)
{
    size_t i = (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
    while (ids[i] && ids[i] != key)
        i = (i + 1) & (cap - 1);
    return i;
}

bool imp_id_used(const struct importer *im, long gid, long sid)
{
    uint64_t key = ((uint64_t)gid << 32) | (uint64_t)(uint32_t)sid;
    return im->idcap && im->ids[id_slot(im->ids, im->idcap, key)] == key;
}

bool imp_claim_id(struct importer *im, long gid, long sid)
{
    uint64_t key = ((uint64_t)gid << 32) | (uint64_t)(uint32_t)sid;
    if (2 * (im->nids + 1) > im->idcap) {
        size_t cap = im->idcap ? 2 * im->idcap : 1024;
        uint64_t *n = calloc(cap, sizeof(*n));
        if (!n)
            return false;
        for (size_t i = 0; i < im->idcap; i++)
            if (im->ids[i])
                n[id_slot(n, cap, im->ids[i])] = im->ids[i];
        free(im->ids);
        im->ids = n;
        im->idcap = cap;
    }
    size_t i = id_slot(im->ids, im->idcap, key);
    if (im->ids[i])
        return false;
    im->ids[i] = key;
    im->nids++;
    return true;
}

/* ---- rules ---- */

static int count_reason(struct importer *im, const char *kw, const char *why)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s: %s", kw ? kw : "?", why ? why : "?");
    for (unsigned i = 0; i < im->nreasons; i++)
        if (strcmp(im->reasons[i].text, buf) == 0) {
            im->reasons[i].count++;
            return SPU_OK;
        }
    struct imp_reason *nr = realloc(im->reasons, (im->nreasons + 1) * sizeof(*nr));
    if (!nr)
        return SPU_ENOMEM;
    im->reasons = nr;
    if (!(nr[im->nreasons].text = strdup(buf)))
        return SPU_ENOMEM;
    nr[im->nreasons++].count = 1;
    return SPU_OK;
}

static bool is_action(const char *p)
{
    static const char *const acts[] = {"alert ",     "drop ",      "reject ",     "pass ",
                                       "rejectsrc ", "rejectdst ", "rejectboth ", "sdrop ",
                                       "log ",       NULL};
    for (int i = 0; acts[i]; i++)
        if (strncmp(p, acts[i], strlen(acts[i])) == 0)
            return true;
    return false;
}

int importer_add_rules(struct importer *im, const char *name, const char *text, size_t len,
                       FILE *diag)
{
    size_t i = 0;
    int lineno = 0;
    char *acc = NULL;
    size_t acclen = 0, acccap = 0;
    int start_line = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && text[j] != '\n')
            j++;
        lineno++;
        size_t n = j - i;
        if (n && text[i + n - 1] == '\r')
            n--;
        if (acclen == 0)
            start_line = lineno;
        if (acclen + n + 2 > acccap) {
            size_t cap = (acclen + n + 2) * 2;
            char *na = realloc(acc, cap);
            if (!na) {
                free(acc);
                return SPU_ENOMEM;
            }
            acc = na;
            acccap = cap;
        }
        memcpy(acc + acclen, text + i, n);
        acclen += n;
        acc[acclen] = '\0';
        i = j + 1;
        if (acclen && acc[acclen - 1] == '\\') {
            acc[--acclen] = '\0'; /* continued on the next line */
            continue;
        }
        char *p = trim(acc);
        acclen = 0;
        if (!*p || *p == '#' || !is_action(p))
            continue;
        im->seen++;
        long sid = 0;
        const char *kw = NULL, *why = NULL;
        if (imp_translate_rule(im, p, &sid, &kw, &why) == 0) {
            im->translated++;
            continue;
        }
        if (diag)
            fprintf(diag, "%s:%d: sid %ld: %s: %s (skipped)\n", name, start_line, sid,
                    kw ? kw : "?", why ? why : "?");
        if (count_reason(im, kw, why)) {
            free(acc);
            return SPU_ENOMEM;
        }
    }
    free(acc);
    return SPU_OK;
}

/* ---- output ---- */

int importer_write(struct importer *im, FILE *out)
{
    fflush(im->bodyf);
    fprintf(out, "// Translated by spuc --import %s (docs/import.md): %u of %u rules.\n",
            im->dialect == IMPORT_SURICATA ? "suricata"
            : im->dialect == IMPORT_SNORT2 ? "snort2"
                                           : "snort3",
            im->translated, im->seen);
    if (im->uses_http)
        fputs("import http;\n", out);
    if (im->uses_dns)
        fputs("import dns;\n", out);
    if (im->uses_tls)
        fputs("import tls;\n", out);
    if (im->uses_smtp)
        fputs("import smtp;\nimport email;\n", out);
    if (im->vars.n) {
        fputs("\n// Rule variables, read when the bundle is loaded (vars/NAME holds the\n"
              "// variable's values, vars/NAME_except what it excludes; one per line).\n",
              out);
        for (unsigned i = 0; i < im->vars.n; i++)
            fprintf(out, "list %s from \"vars/%s\";\nlist %s_except from \"vars/%s_except\";\n",
                    im->vars.names[i], im->vars.names[i], im->vars.names[i], im->vars.names[i]);
    }
    if (im->fbits.n || im->once.n) {
        fputs("\n// flowbits: 1 when set; once_G_S: the SMTP transaction + 1 whose\n"
              "// attachment rule G:S matched (one alert per mail, as Suricata's)\nflow {\n",
              out);
        for (unsigned i = 0; i < im->fbits.n; i++) {
            fputs("    int fb_", out);
            imp_put_flowbit(out, im->fbits.names[i]);
            fputs(";\n", out);
        }
        for (unsigned i = 0; i < im->once.n; i++)
            fprintf(out, "    int %s;\n", im->once.names[i]);
        fputs("}\n", out);
    }
    if (im->nchunks) {
        fputs("\n// thresholds: per tracked address, two variables per rule G:S (count and\n"
              "// window start); ttl: the longest window of the session's rules\n",
              out);
        for (unsigned i = 0; i < im->nchunks; i++) {
            const struct imp_thr_chunk *k = &im->chunks[i];
            fprintf(out, "session thr_%s_%u keyed by %s ttl %lds {", thr_kind_names[k->kind], i,
                    imp_thr_keys[k->kind], k->ttl);
            for (unsigned j = 0; j < k->n; j++)
                fprintf(out, " int n_%ld_%ld; int t0_%ld_%ld;", k->gid[j], k->sid[j], k->gid[j],
                        k->sid[j]);
            fputs(" }\n", out);
        }
    }
    fputc('\n', out);
    fwrite(im->body, 1, im->body_len, out);
    return ferror(out) ? SPU_EIO : SPU_OK;
}

/* Resolve a default value into include/exclude lines (variables expanded,
 * one level of negation flips between the two). */
static void resolve(const char *spec, bool neg, bool port, FILE *inc, FILE *exc, int depth)
{
    if (depth > 8)
        return;
    char tmp[512];
    snprintf(tmp, sizeof(tmp), "%s", spec);
    char *p = trim(tmp);
    if (*p == '!') {
        resolve(p + 1, !neg, port, inc, exc, depth + 1);
        if (!neg)
            fputs(port ? "any\n" : "0.0.0.0/0\n::/0\n", inc);
        return;
    }
    if (*p == '[') {
        size_t n = strlen(p);
        if (n && p[n - 1] == ']')
            p[n - 1] = '\0';
        p++;
        for (char *save = NULL, *w = strtok_r(p, ",", &save); w; w = strtok_r(NULL, ",", &save))
            resolve(w, neg, port, inc, exc, depth + 1);
        return;
    }
    if (*p == '$') {
        const char *d = imp_var_default(p + 1);
        if (d)
            resolve(d, neg, port, inc, exc, depth + 1);
        return;
    }
    if (strcmp(p, "any") == 0)
        fputs(neg ? "" : (port ? "any\n" : "0.0.0.0/0\n::/0\n"), neg ? exc : inc);
    else
        fprintf(neg ? exc : inc, "%s\n", p);
}

static int write_if_absent(const char *path, const char *text, size_t n, struct spu_error *err)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return SPU_OK;
    FILE *f = fopen(path, "we");
    if (!f)
        return spu_error_set(err, SPU_EIO, "%s: %s", path, strerror(errno));
    fwrite(text, 1, n, f);
    if (fclose(f) != 0)
        return spu_error_set(err, SPU_EIO, "%s: write error", path);
    return SPU_OK;
}

int importer_write_vars(struct importer *im, const char *dir, struct spu_error *err)
{
    if (im->vars.n == 0)
        return SPU_OK;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return spu_error_set(err, SPU_EIO, "%s: %s", dir, strerror(errno));
    for (unsigned i = 0; i < im->vars.n; i++) {
        const char *name = im->vars.names[i];
        const char *def = imp_var_default(name);
        char *inc = NULL, *exc = NULL;
        size_t ni = 0, ne = 0;
        FILE *fi = open_memstream(&inc, &ni), *fe = open_memstream(&exc, &ne);
        if (!fi || !fe) {
            if (fi)
                fclose(fi);
            if (fe)
                fclose(fe);
            free(inc);
            free(exc);
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        }
        fprintf(fi, "# %s: %s\n", name,
                def ? "Suricata's default; edit to configure" : "no Suricata default: set it");
        fprintf(fe, "# what %s excludes (Suricata's default)\n", name);
        if (def)
            resolve(def, false, im->vars.is_port[i], fi, fe, 0);
        fclose(fi);
        fclose(fe);
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        int rc = write_if_absent(path, inc, ni, err);
        snprintf(path, sizeof(path), "%s/%s_except", dir, name);
        if (rc == SPU_OK)
            rc = write_if_absent(path, exc, ne, err);
        free(inc);
        free(exc);
        if (rc)
            return rc;
    }
    return SPU_OK;
}

static int by_count(const void *a, const void *b)
{
    const struct imp_reason *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

void importer_summary(const struct importer *im, FILE *out)
{
    fprintf(out, "rules: %u, translated: %u, skipped: %u\n", im->seen, im->translated,
            im->seen - im->translated);
    if (im->nreasons) /* qsort's base must not be NULL, even for 0 items */
        qsort(im->reasons, im->nreasons, sizeof(im->reasons[0]), by_count);
    for (unsigned i = 0; i < im->nreasons; i++)
        fprintf(out, "  %6u  %s\n", im->reasons[i].count, im->reasons[i].text);
}

unsigned importer_translated(const struct importer *im)
{
    return im->translated;
}

unsigned importer_skipped(const struct importer *im)
{
    return im->seen - im->translated;
}

static int read_all(const char *path, char **out, size_t *len, struct spu_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return spu_error_set(err, SPU_EIO, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    if (!m) {
        fclose(f);
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    }
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, got, m);
    int bad = ferror(f);
    fclose(f);
    fclose(m);
    if (bad) {
        free(buf);
        return spu_error_set(err, SPU_EIO, "%s: read error", path);
    }
    *out = buf;
    *len = n;
    return SPU_OK;
}

int import_files(const struct import_opts *o, const char *const *files, int nfiles, FILE *diag,
                 FILE *summary, char **text, size_t *len, struct spu_error *err)
{
    struct importer *im = importer_new(o->dialect, err);
    if (!im)
        return SPU_ENOMEM;
    int rc = SPU_OK;
    if (o->classification)
        rc = importer_read_classification(im, o->classification, err);
    if (rc == SPU_OK && o->threshold)
        rc = importer_read_threshold(im, o->threshold, err);
    for (int i = 0; rc == SPU_OK && i < nfiles; i++) {
        char *buf = NULL;
        size_t n = 0;
        rc = read_all(files[i], &buf, &n, err);
        if (rc == SPU_OK && (rc = importer_add_rules(im, files[i], buf, n, diag)) != SPU_OK)
            spu_error_set(err, rc, "out of memory");
        free(buf);
    }
    if (rc == SPU_OK) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/vars", o->spr_dir && *o->spr_dir ? o->spr_dir : ".");
        rc = importer_write_vars(im, dir, err);
    }
    if (rc == SPU_OK) {
        FILE *m = open_memstream(text, len);
        if (!m)
            rc = spu_error_set(err, SPU_ENOMEM, "out of memory");
        else {
            rc = importer_write(im, m);
            fclose(m);
            if (rc)
                spu_error_set(err, rc, "cannot write the translation");
        }
    }
    if (rc == SPU_OK && summary)
        importer_summary(im, summary);
    importer_free(im);
    return rc;
}
