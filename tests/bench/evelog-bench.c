/*
 * evelog-bench - the cost of building EVE objects from a bundle's log
 * declarations (runtime/evelog.c), apart from parsing: the grammar VM
 * parses CLIENT and SERVER once (client bytes first, then server bytes, as
 * one connection of protocol 0); inside each event and transaction hook
 * the logger builds the objects REPS times and each object is formatted
 * with jansson as the EVE writer would. Prints one line of key=value
 * figures. Single-threaded tool.
 *
 *   evelog-bench [-r REPS] BUNDLE CLIENT SERVER
 *
 * Output: records_per_rep=N reps=N ns_per_record=X ns_per_record_with_dump=X bytes_per_record=X
 */
#include "bundle.h"
#include "evelog.h"
#include "gvm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bench {
    struct spu_bundle *b;
    struct evelog *el;
    long reps;
    int dump;            /* format each object (json_dumps) */
    uint64_t records;    /* objects built */
    uint64_t bytes;      /* formatted bytes */
    double ns_build, ns_dump;
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void emit(void *ctx, const char *type, json_t *obj)
{
    struct bench *bc = ctx;
    bc->records++;
    if (bc->dump) {
        char *s = json_dumps(obj, JSON_COMPACT);
        if (s)
            bc->bytes += strlen(s);
        free(s);
    }
    json_decref(obj);
}

static void timed(struct bench *bc, uint32_t event, const struct spu_record *rec,
                  const struct spu_record *client, const struct spu_record *server, int tx)
{
    struct spu_error err;
    for (int pass = 0; pass < 2; pass++) {
        bc->dump = pass;
        double t0 = now_ns();
        for (long i = 0; i < bc->reps; i++) {
            if (tx)
                evelog_tx(bc->el, bc->b, 0, client, server, emit, bc, &err);
            else
                evelog_event(bc->el, bc->b, event, rec, emit, bc, &err);
        }
        *(pass ? &bc->ns_dump : &bc->ns_build) += now_ns() - t0;
    }
}

static void on_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                     unsigned dir)
{
    struct bench *bc = ctx;
    if (evelog_has_event(bc->b, event)) /* only what makes records is timed */
        timed(bc, event, rec, NULL, NULL, 0);
}

static void on_tx(void *ctx, uint64_t tx_id, const struct spu_record *client,
                  const struct spu_record *server)
{
    timed(ctx, 0, NULL, client, server, 1);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0;
    *n = 0;
    for (;;) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 65536;
            char *nb = realloc(buf, cap);
            if (!nb)
                break;
            buf = nb;
        }
        size_t k = fread(buf + *n, 1, cap - *n, f);
        if (k == 0)
            break;
        *n += k;
    }
    fclose(f);
    return buf;
}

int main(int argc, char **argv)
{
    struct bench bc = {.reps = 1000};
    int opt;
    while ((opt = getopt(argc, argv, "r:")) != -1) {
        if (opt == 'r')
            bc.reps = strtol(optarg, NULL, 10);
        else
            return 2;
    }
    if (argc - optind != 3 || bc.reps < 1) {
        fprintf(stderr, "usage: evelog-bench [-r REPS] BUNDLE CLIENT SERVER\n");
        return 2;
    }
    struct spu_error err;
    bc.b = spu_bundle_load_file(argv[optind], NULL, &err);
    if (!bc.b) {
        fprintf(stderr, "evelog-bench: %s: %s: %s\n", argv[optind], err.where, err.msg);
        return 1;
    }
    size_t cn = 0, sn = 0;
    char *c = slurp(argv[optind + 1], &cn), *s = slurp(argv[optind + 2], &sn);
    bc.el = evelog_new(&err);
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    struct spu_gvm_hooks hooks = {.event = on_event, .tx_complete = on_tx};
    struct spu_gvm_conn *conn = g ? spu_gvm_conn_new(g, bc.b, 0, &hooks, &bc, &err) : NULL;
    int rc = 1;
    if (c && s && bc.el && conn) {
        spu_gvm_feed(conn, SPU_DIR_CLIENT, (const uint8_t *)c, cn);
        spu_gvm_feed(conn, SPU_DIR_SERVER, (const uint8_t *)s, sn);
        spu_gvm_eof(conn, SPU_DIR_CLIENT);
        spu_gvm_eof(conn, SPU_DIR_SERVER);
        uint64_t per = bc.records / 2; /* both passes built as many */
        printf("records_per_rep=%llu reps=%ld ns_per_record=%.0f ns_per_record_with_dump=%.0f "
               "bytes_per_record=%.0f\n",
               (unsigned long long)(per / (uint64_t)bc.reps), bc.reps,
               per ? bc.ns_build / (double)per : 0.0, per ? bc.ns_dump / (double)per : 0.0,
               per ? (double)bc.bytes / (double)per : 0.0);
        rc = 0;
    } else {
        fprintf(stderr, "evelog-bench: cannot read the streams or set up the parse\n");
    }
    spu_gvm_conn_free(conn);
    spu_gvm_free(g);
    evelog_free(bc.el);
    free(c);
    free(s);
    spu_bundle_unref(bc.b);
    return rc;
}
