/*
 * fuzz-gvm.c - libFuzzer target: the streaming grammar VM on hostile
 * streams.
 *
 * At init, every grammar of tests/unit/gvm/ and grammars/ (paths from the
 * repository root, where tests/fuzz/run.sh runs; SPU_FUZZ_GVM_DIRS, a
 * colon-separated list, replaces them) is compiled alone by spuc's front
 * and back end and loaded; a grammar that does not compile is skipped
 * (reported once on stderr). Each protocol with a driver is a target.
 *
 * Input: byte 0 picks the protocol; then a script of steps, each a
 * control byte c:
 *   c & 1          the direction (client, server)
 *   (c >> 1) & 3   0: feed 1 + (c >> 3) bytes, 1: feed 16 * (1 + (c >> 3))
 *                  bytes (both taken from the input that follows, fewer at
 *                  its end), 2: a gap of 1 + (c >> 3) bytes, 3: the
 *                  direction's end (c >> 3 != 0) or spu_gvm_conn_stop (0)
 * At the end of the input both directions end and the connection is
 * freed. Each chunk is a fresh heap copy freed right after its feed, and
 * every hook reads every byte of the records it gets, so a value left
 * pointing into a fed chunk fails under ASan. After each call the held
 * bytes must stay within the token limits of both directions. Nothing may
 * crash, leak or grow without bound.
 */
#include "bundle-format.h"
#include "bundle.h"
#include "compile.h"
#include "err.h"
#include "front.h"
#include "gvm.h"
#include "value.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TARGETS 64

struct target {
    struct spu_bundle *b;
    uint32_t proto;
    uint32_t token_limit;
};

static struct target targets[MAX_TARGETS];
static unsigned ntargets;
static struct spu_gvm *gvm;

/* Compile one grammar file; NULL when it does not compile or load. */
static struct spu_bundle *compile_file(const char *path)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct front *f = front_new(NULL, &err);
    uint8_t *out = NULL;
    size_t len = 0;
    struct spu_bundle *b = NULL;
    if (f && front_add_file(f, path) == SPU_OK && front_check(f) == SPU_OK &&
        compile_bundle(f, NULL, &out, &len, NULL) == SPU_OK)
        b = spu_bundle_load_mem(out, len, NULL, &err);
    if (!b)
        fprintf(stderr, "fuzz-gvm: %s: skipped (does not compile or load)\n", path);
    free(out);
    front_free(f);
    return b;
}

static void add_bundle(struct spu_bundle *b)
{
    uint32_t n;
    const struct spu_bproto *p = spu_bundle_protos(b, &n);
    for (uint32_t i = 0; i < n && ntargets < MAX_TARGETS; i++) {
        if (p[i].driver[0] == SPU_NONE && p[i].driver[1] == SPU_NONE)
            continue;
        spu_bundle_ref(b);
        targets[ntargets].b = b;
        targets[ntargets].proto = i;
        targets[ntargets].token_limit = p[i].lim_token;
        ntargets++;
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every .spg of dir, in name order (the target list must not depend on
 * the directory's order). */
static void add_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".spg") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        if (names[i])
            snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        struct spu_bundle *b = names[i] ? compile_file(path) : NULL;
        if (b) {
            add_bundle(b);
            spu_bundle_unref(b);
        }
        free(names[i]);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dirs = getenv("SPU_FUZZ_GVM_DIRS");
    char *list = strdup(dirs ? dirs : "tests/unit/gvm:grammars");
    for (char *save = NULL, *p = strtok_r(list, ":", &save); p; p = strtok_r(NULL, ":", &save))
        add_dir(p);
    free(list);
    struct spu_error err;
    gvm = spu_gvm_new(NULL, &err);
    if (!gvm || ntargets == 0) {
        fprintf(stderr, "fuzz-gvm: no grammar to fuzz (run from the repository root)\n");
        abort();
    }
    return 0;
}

/* Read every byte a value reaches (ASan catches a view into a freed chunk). */
static unsigned touch(const struct spu_value *v, unsigned depth)
{
    unsigned h = 0;
    if (depth > 64)
        return 0;
    switch (v->type) {
    case SPU_T_STR:
        for (uint32_t i = 0; i < v->len; i++)
            h = h * 31 + v->u.s[i];
        break;
    case SPU_T_ARR:
        for (uint32_t i = 0; i < v->u.arr->n; i++)
            h += touch(&v->u.arr->v[i], depth + 1);
        break;
    case SPU_T_REC:
        for (uint32_t i = 0; i < v->u.rec->nslots; i++)
            h += touch(&v->u.rec->slot[i], depth + 1);
        break;
    default:
        break;
    }
    return h;
}

static unsigned touch_rec(const struct spu_record *r)
{
    unsigned h = 0;
    for (unsigned up = 0; r && up < 16; r = r->parent, up++) {
        struct spu_value v = {.type = SPU_T_REC, .u.rec = r};
        h += touch(&v, 0);
        if (r->pair) {
            struct spu_value p = {.type = SPU_T_REC, .u.rec = r->pair};
            h += touch(&p, 0);
        }
    }
    return h;
}

struct run {
    unsigned sum;
    int stop_in_hook;
    struct spu_gvm_conn *conn;
};

static void on_event(void *ctx, uint32_t ev, const struct spu_record *rec, uint64_t tx,
                     unsigned dir)
{
    struct run *r = ctx;
    r->sum += touch_rec(rec) + ev + (unsigned)tx + dir;
    /* stopping from a hook is allowed; the input decides when */
    if (r->stop_in_hook && (r->sum & 0xff) == 0)
        spu_gvm_conn_stop(r->conn);
}

static void on_anomaly(void *ctx, const char *name, size_t len)
{
    struct run *r = ctx;
    for (size_t i = 0; i < len; i++)
        r->sum += (unsigned char)name[i];
}

static void on_tx(void *ctx, uint64_t id, const struct spu_record *c, const struct spu_record *s)
{
    struct run *r = ctx;
    r->sum += touch_rec(c) + touch_rec(s) + (unsigned)id;
}

static int64_t on_now(void *ctx)
{
    return 1700000000000;
}

static const struct spu_gvm_hooks hooks = {on_event, on_anomaly, on_tx, on_now, NULL, NULL};

static void check_held(const struct spu_gvm_conn *c, const struct target *t)
{
    struct spu_gvm_stats st;
    spu_gvm_conn_stats(c, &st);
    if (st.held_bytes > 2 * (uint64_t)t->token_limit)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct target *t = &targets[data[0] % ntargets];
    struct run r = {0, (data[0] >> 7) & 1, NULL};
    struct spu_error err;
    struct spu_gvm_conn *c = spu_gvm_conn_new(gvm, t->b, t->proto, &hooks, &r, &err);
    if (!c)
        return 0;
    r.conn = c;
    size_t i = 1;
    while (i < size) {
        uint8_t ctl = data[i++];
        unsigned dir = ctl & 1, op = (ctl >> 1) & 3, arg = ctl >> 3;
        if (op <= 1) {
            size_t n = op == 0 ? 1 + arg : 16 * (1 + (size_t)arg);
            if (n > size - i)
                n = size - i;
            uint8_t *chunk = malloc(n ? n : 1);
            if (!chunk)
                break;
            memcpy(chunk, data + i, n);
            spu_gvm_feed(c, dir, chunk, n);
            memset(chunk, 0xA5, n);
            free(chunk);
            i += n;
        } else if (op == 2) {
            spu_gvm_gap(c, dir, 1 + arg);
        } else if (arg) {
            spu_gvm_eof(c, dir);
        } else {
            spu_gvm_conn_stop(c);
        }
        check_held(c, t);
    }
    spu_gvm_eof(c, SPU_DIR_CLIENT);
    spu_gvm_eof(c, SPU_DIR_SERVER);
    check_held(c, t);
    spu_gvm_conn_free(c);
    return 0;
}
