/* test-app-anomaly.c - applayer anomaly records as spurun writes them
 * (runtime/app.c): the same anomaly of one flow is written at most
 * anomaly_repeat times, the rest counted (spu.app.anomalies_folded) and
 * told by one more record at the flow's end (spu.folded); 0 writes every
 * one. Driven by http.spg's pipeline limit (32 requests waiting): each
 * request past it raises http.pipeline_overflow. */
#include "app.h"
#include "bundle.h"
#include "flow.h"
#include "helper-grammars.h"
#include "output.h"
#include "stats.h"
#include "stream.h"

#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct result {
    int written;    /* pipeline_overflow records without spu.folded */
    int summaries;  /* ... with it */
    int64_t folded; /* the summaries' spu.folded, added */
    uint64_t counted_folded, counted_all; /* the app's counters */
    bool summary_last; /* the summary is the last overflow record */
};

/* `nreq` requests with no response on one flow, anomaly_repeat `repeat`. */
static struct result run(unsigned repeat, int nreq)
{
    struct spu_bundle *b = hg_http_bundle();
    char path[] = "/tmp/test-app-anomaly-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    close(fd);
    struct spu_error err = {0};
    struct output *out = output_open(path, 1, &err);
    cr_assert_not_null(out);
    struct app_cfg cfg = {.bundles = &b, .nbundles = 1, .out = output_producer(out, 0),
                          .no_magic = true, .anomaly_repeat = repeat};
    struct app *app = app_new(&cfg, &err);
    cr_assert_not_null(app);
    const struct stream_consumer *c = app_consumer(app);
    struct flow f;
    memset(&f, 0, sizeof(f));
    f.key.proto = 6;
    f.key.ipver = 4;
    uint8_t ca[4] = {10, 0, 0, 1}, sa[4] = {10, 0, 0, 2};
    memcpy(f.key.addr[0], ca, 4);
    memcpy(f.key.addr[1], sa, 4);
    f.key.port[0] = 40000;
    f.key.port[1] = 80;
    for (int i = 0; i < nreq; i++) {
        char req[64];
        int n = snprintf(req, sizeof(req), "GET /%d HTTP/1.1\r\n\r\n", i);
        c->data(c->ctx, &f, STREAM_TOSERVER, (const uint8_t *)req, (size_t)n, 1000000000);
    }
    struct result r = {0};
    r.counted_folded = stats_get(app_stats(app), CNT_SPU_APP_ANOMALIES_FOLDED);
    c->close(c->ctx, &f, STREAM_TOSERVER, STREAM_CLOSE_FIN, 2000000000);
    c->close(c->ctx, &f, STREAM_TOCLIENT, STREAM_CLOSE_FIN, 2000000000);
    c->destroy(c->ctx, &f, f.app);
    r.counted_all = stats_get(app_stats(app), CNT_SPU_APP_ANOMALIES);
    app_free(app);
    cr_assert_eq(output_close(out, NULL), 0);
    spu_bundle_unref(b);
    FILE *fp = fopen(path, "r");
    cr_assert_not_null(fp);
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        cr_assert_not_null(o, "invalid line: %s", line);
        const char *ev = json_string_value(json_object_get(json_object_get(o, "anomaly"), "event"));
        if (ev && strcmp(ev, "pipeline_overflow") == 0) {
            json_t *fo = json_object_get(json_object_get(o, "spu"), "folded");
            if (fo) {
                r.summaries++;
                r.folded += json_integer_value(fo);
                r.summary_last = true;
            } else {
                r.written++;
                r.summary_last = false;
                cr_expect_str_eq(json_string_value(json_object_get(o, "app_proto")), "http");
            }
        }
        json_decref(o);
    }
    free(line);
    fclose(fp);
    unlink(path);
    return r;
}

Test(app_anomaly, repeats_are_folded)
{
    /* 100 requests, 32 may wait: 68 overflows, 5 written, 63 folded */
    struct result r = run(5, 100);
    cr_expect_eq(r.written, 5);
    cr_expect_eq(r.summaries, 1);
    cr_expect_eq(r.folded, 63);
    cr_expect(r.summary_last, "the count comes after the records it folds");
    cr_expect_eq(r.counted_folded, 63);
    cr_expect_geq(r.counted_all, 68, "every anomaly is still counted");
}

Test(app_anomaly, under_the_bound_nothing_is_folded)
{
    struct result r = run(10, 40);
    cr_expect_eq(r.written, 8);
    cr_expect_eq(r.summaries, 0);
    cr_expect_eq(r.counted_folded, 0);
}

Test(app_anomaly, zero_writes_every_one)
{
    struct result r = run(0, 100);
    cr_expect_eq(r.written, 68);
    cr_expect_eq(r.summaries, 0);
    cr_expect_eq(r.counted_folded, 0);
}
