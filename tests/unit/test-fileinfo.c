/* test-fileinfo.c - fileinfo records of HTTP response bodies as spurun
 * writes them (runtime/app.c running http.spg's `log fileinfo on
 * http.file`): name, size, hashes, libmagic's type, state, tx_id inside
 * and out, the packet count, the direction of the file; the same record
 * however the body is split; --filestore keeps the file as DIR/SHA256
 * within its cap. */
#include "app.h"
#include "bundle.h"
#include "flow.h"
#include "helper-grammars.h"
#include "output.h"
#include "stream.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct fixture {
    struct spu_bundle *b;
    struct output *out;
    struct app *app;
    const struct stream_consumer *c;
    struct flow f;
    char path[64];
    _Atomic uint64_t used; /* --filestore: bytes stored */
};

/* A TCP flow 10.0.0.1:40000 -> 10.0.0.2:80, records written to a file. */
static void setup(struct fixture *x, const char *store, uint64_t cap, bool no_magic)
{
    memset(x, 0, sizeof(*x));
    x->b = hg_http_bundle();
    strcpy(x->path, "/tmp/test-fileinfo-XXXXXX");
    int fd = mkstemp(x->path);
    cr_assert(fd >= 0);
    close(fd);
    struct spu_error err = {0};
    x->out = output_open(x->path, 1, &err);
    cr_assert_not_null(x->out);
    struct app_cfg cfg = {&x->b, 1, NULL, NULL, output_producer(x->out, 0), 0, NULL,
                          store, cap, &x->used, 0, NULL, NULL, no_magic, 0};
    x->app = app_new(&cfg, &err);
    cr_assert_not_null(x->app);
    x->c = app_consumer(x->app);
    x->f.key.proto = 6;
    x->f.key.ipver = 4;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    memcpy(x->f.key.addr[0], a, 4);
    memcpy(x->f.key.addr[1], b, 4);
    x->f.key.port[0] = 40000;
    x->f.key.port[1] = 80;
    x->f.client = 0;
}

static void feed(struct fixture *x, int dir, const char *s, size_t n, size_t step)
{
    for (size_t i = 0; i < n; i += step)
        x->c->data(x->c->ctx, &x->f, dir, (const uint8_t *)s + i, n - i < step ? n - i : step,
                   1000000000);
}

/* Ends the flow, closes the output; returns the fileinfo records. */
static json_t *finish(struct fixture *x)
{
    x->c->close(x->c->ctx, &x->f, STREAM_TOSERVER, STREAM_CLOSE_FIN, 2000000000);
    x->c->close(x->c->ctx, &x->f, STREAM_TOCLIENT, STREAM_CLOSE_FIN, 2000000000);
    x->c->destroy(x->c->ctx, &x->f, x->f.app);
    app_free(x->app);
    cr_assert_eq(output_close(x->out, NULL), 0);
    spu_bundle_unref(x->b);
    json_t *files = json_array();
    FILE *f = fopen(x->path, "r");
    cr_assert_not_null(f);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        cr_assert_not_null(o, "invalid line: %s", line);
        if (strcmp(json_string_value(json_object_get(o, "event_type")), "fileinfo") == 0)
            json_array_append(files, o);
        json_decref(o);
    }
    free(line);
    fclose(f);
    unlink(x->path);
    return files;
}

static const char REQ[] = "GET /dir/hello.txt?x=1 HTTP/1.1\r\nHost: a.example\r\n\r\n"
                          "GET /empty HTTP/1.1\r\nHost: a.example\r\n\r\n";
/* the body "hello world\n" (md5 6f5902ac...), then an empty body: no file */
static const char RSP[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n"
                          "hello world\n"
                          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";

static json_t *run_cfg(size_t step, uint64_t pcap_cnt, const char *store, uint64_t cap,
                       bool no_magic)
{
    struct fixture x;
    setup(&x, store, cap, no_magic);
    if (x.c->packet)
        x.c->packet(x.c->ctx, pcap_cnt);
    feed(&x, STREAM_TOSERVER, REQ, sizeof(REQ) - 1, step);
    feed(&x, STREAM_TOCLIENT, RSP, sizeof(RSP) - 1, step);
    return finish(&x);
}

static json_t *run_store(size_t step, uint64_t pcap_cnt, const char *store, uint64_t cap)
{
    return run_cfg(step, pcap_cnt, store, cap, false);
}

static json_t *run(size_t step, uint64_t pcap_cnt)
{
    return run_store(step, pcap_cnt, NULL, 0);
}

Test(fileinfo, response_body_is_a_file)
{
    json_t *files = run(sizeof(RSP), 7);
    cr_assert_eq(json_array_size(files), 1, "one file (the empty body is none)");
    json_t *r = json_array_get(files, 0);
    json_t *fi = json_object_get(r, "fileinfo");
    cr_assert_str_eq(json_string_value(json_object_get(fi, "filename")), "/dir/hello.txt");
    cr_assert_eq(json_integer_value(json_object_get(fi, "size")), 12);
    cr_assert_str_eq(json_string_value(json_object_get(fi, "md5")),
                     "6f5902ac237024bdd0c176cb93063dc4");
    cr_assert_str_eq(json_string_value(json_object_get(fi, "sha1")),
                     "22596363b3de40b06f981fb85d82312e8c0ed511");
    cr_assert_str_eq(json_string_value(json_object_get(fi, "sha256")),
                     "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447");
    cr_assert_str_eq(json_string_value(json_object_get(fi, "state")), "CLOSED");
    cr_assert(json_is_false(json_object_get(fi, "stored")), "no --filestore");
    cr_assert_eq(json_integer_value(json_object_get(fi, "tx_id")), 0);
    const char *magic = json_string_value(json_object_get(fi, "magic"));
    cr_assert_not_null(magic, "libmagic types the file");
    cr_assert(strstr(magic, "text") != NULL, "magic: %s", magic);
    /* the envelope: the file went from the server to the client */
    cr_assert_eq(json_integer_value(json_object_get(r, "tx_id")), 0);
    cr_assert_eq(json_integer_value(json_object_get(r, "pcap_cnt")), 7);
    cr_assert_str_eq(json_string_value(json_object_get(r, "src_ip")), "10.0.0.2");
    cr_assert_eq(json_integer_value(json_object_get(r, "src_port")), 80);
    cr_assert_eq(json_integer_value(json_object_get(r, "dest_port")), 40000);
    cr_assert_str_eq(json_string_value(json_object_get(r, "app_proto")), "http");
    json_t *http = json_object_get(r, "http");
    cr_assert_str_eq(json_string_value(json_object_get(http, "url")), "/dir/hello.txt?x=1");
    cr_assert_eq(json_integer_value(json_object_get(http, "status")), 200);
    json_decref(files);
}

/* --no-magic: the same record without magic (libmagic never runs). */
Test(fileinfo, no_magic)
{
    json_t *with = run(sizeof(RSP), 7);
    json_t *without = run_cfg(sizeof(RSP), 7, NULL, 0, true);
    cr_assert_eq(json_array_size(without), 1);
    json_t *a = json_object_get(json_array_get(with, 0), "fileinfo");
    json_t *b = json_object_get(json_array_get(without, 0), "fileinfo");
    cr_assert_not_null(json_object_get(a, "magic"));
    cr_assert_null(json_object_get(b, "magic"), "no magic with --no-magic");
    json_object_del(a, "magic");
    char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, JSON_SORT_KEYS);
    cr_assert_str_eq(sa, sb, "the rest of the record is the same");
    free(sa);
    free(sb);
    json_decref(with);
    json_decref(without);
}

/* One byte at a time: the same record. */
Test(fileinfo, split_invariant)
{
    json_t *whole = run(sizeof(RSP), 3);
    json_t *bytes = run(1, 3);
    cr_assert_eq(json_array_size(bytes), 1);
    json_t *a = json_object_get(json_array_get(whole, 0), "fileinfo");
    json_t *b = json_object_get(json_array_get(bytes, 0), "fileinfo");
    char *sa = json_dumps(a, JSON_SORT_KEYS), *sb = json_dumps(b, JSON_SORT_KEYS);
    cr_assert_str_eq(sa, sb);
    free(sa);
    free(sb);
    json_decref(whole);
    json_decref(bytes);
}

#define HELLO_SHA256 "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"

/* --filestore DIR: the body as DIR/SHA256, stored true; under a cap
 * smaller than the body, nothing stored and stored false. */
Test(fileinfo, filestore_within_cap)
{
    char dir[] = "/tmp/test-filestore-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", dir, HELLO_SHA256);

    json_t *small = run_store(sizeof(RSP), 1, dir, 11);
    json_t *fi = json_object_get(json_array_get(small, 0), "fileinfo");
    cr_assert(json_is_false(json_object_get(fi, "stored")), "12 bytes over a cap of 11");
    cr_assert_neq(access(path, F_OK), 0);
    json_decref(small);

    json_t *files = run_store(sizeof(RSP), 1, dir, 12);
    fi = json_object_get(json_array_get(files, 0), "fileinfo");
    cr_assert(json_is_true(json_object_get(fi, "stored")));
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "stored as %s", path);
    char buf[64] = {0};
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    cr_assert_eq(n, 12);
    cr_assert_str_eq(buf, "hello world\n");
    json_decref(files);
    unlink(path);
    cr_assert_eq(rmdir(dir), 0, "nothing else left in the directory");
}
