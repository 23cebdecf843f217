/* test-http-corpus.c - split invariance of grammars/http.spg on real
 * traffic: every TCP stream of the suricata-verify HTTP captures (those
 * with a tshark-http.json, ../shared/corpus) is reassembled by the packet
 * path (worker + TCP layer), recorded as the stream consumer sees it
 * (data, gaps, ends), and then parsed twice by the grammar VM: fed as the
 * TCP layer delivered it, and in 1-byte chunks. Both must give the same
 * events, records, transactions and anomalies. */
#include "capture.h"
#include "decode.h"
#include "flow.h"
#include "helper-compile.h"
#include "helper-grammars.h"
#include "helper-gasm.h"
#include "pkt.h"
#include "stream-tcp.h"
#include "worker.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SV "../shared/corpus/suricata-verify"

/* Captures whose bodies are labelled gzip but are not: the gunzip filter
 * reads them as raw deflate (stdlib/filter-zlib.c), decodes garbage for a
 * while and then fails; how much garbage it produced before failing
 * depends on where the chunks end (docs/grammar-vm.md, Sinks). Their
 * streams may differ; every other stream must not. */
static const char *const known_split_dependent[] = {
    "http-encoding-gzip-uncompressed", /* uncompressed JSON labelled gzip */
    "http-evader-204",                 /* text, then a gzip member, labelled gzip */
};

static int known(const char *test)
{
    for (size_t i = 0; i < sizeof(known_split_dependent) / sizeof(known_split_dependent[0]); i++)
        if (strcmp(test, known_split_dependent[i]) == 0)
            return 1;
    return 0;
}

/* One flow's deliveries, in order. */
struct rec_flow {
    struct ga_step *steps;
    size_t n, cap;
};

struct recorder {
    struct spu_bundle *b;
    const char *test;
    unsigned streams, differ, known;
    uint64_t bytes;
};

static struct rec_flow *rf_of(struct flow *f)
{
    void **slot = stream_slot(f);
    if (!*slot)
        *slot = calloc(1, sizeof(struct rec_flow));
    return *slot;
}

static void push(struct flow *f, int kind, int dir, const uint8_t *p, size_t n)
{
    struct rec_flow *r = rf_of(f);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 16;
        r->steps = realloc(r->steps, r->cap * sizeof(*r->steps));
    }
    char *copy = NULL;
    if (kind == GA_FEED) {
        copy = malloc(n);
        memcpy(copy, p, n);
    }
    /* stream directions: 0 to server = client bytes */
    r->steps[r->n++] = (struct ga_step){kind, dir == 0 ? SPU_DIR_CLIENT : SPU_DIR_SERVER, copy, n};
}

static void c_data(void *ctx, struct flow *f, int dir, const uint8_t *p, size_t n, int64_t ts)
{
    push(f, GA_FEED, dir, p, n);
}

static void c_gap(void *ctx, struct flow *f, int dir, uint64_t size, int64_t ts)
{
    push(f, GA_GAP, dir, NULL, (size_t)size);
}

static void c_close(void *ctx, struct flow *f, int dir, int reason, int64_t ts)
{
    push(f, GA_EOF, dir, NULL, 0);
}

/* The flow ends: parse its streams whole and byte by byte, compare. */
static void c_destroy(void *ctx, struct flow *f, void *app)
{
    struct recorder *rc = ctx;
    struct rec_flow *r = app;
    size_t bytes = 0;
    for (size_t i = 0; i < r->n; i++)
        bytes += r->steps[i].kind == GA_FEED ? r->steps[i].len : 0;
    if (bytes) {
        struct ga_result whole, ones;
        ga_run(rc->b, 0, r->steps, r->n, (struct ga_split){GA_WHOLE, 0, 0, NULL}, &whole);
        ga_run(rc->b, 0, r->steps, r->n, (struct ga_split){GA_BYTES, 0, 0, NULL}, &ones);
        rc->streams++;
        rc->bytes += bytes;
        if (strcmp(whole.log, ones.log) != 0 && known(rc->test)) {
            rc->known++;
        } else if (strcmp(whole.log, ones.log) != 0) {
            rc->differ++;
            size_t at = 0;
            while (whole.log[at] && whole.log[at] == ones.log[at])
                at++;
            at = at > 120 ? at - 120 : 0; /* show what leads to the difference */
            cr_log_error("%s: flow port %u: 1-byte chunks differ:\n  whole: %.300s\n  bytes: %.300s",
                         rc->test, (unsigned)f->key.port[1], whole.log + at, ones.log + at);
        }
        ga_result_free(&whole);
        ga_result_free(&ones);
    }
    for (size_t i = 0; i < r->n; i++)
        free((void *)r->steps[i].data);
    free(r->steps);
    free(r);
}

/* Every capture through a worker whose consumer records. */
static void run_capture(struct recorder *rc, const char *path)
{
    static struct stream_cfg scfg;
    static struct stats_gauges gauges;
    static _Atomic int64_t clk;
    stream_cfg_default(&scfg);
    scfg.midstream = true;
    struct stream_consumer cons = {rc, c_data, c_gap, c_close, c_destroy, NULL};
    struct worker_cfg wc;
    memset(&wc, 0, sizeof(wc));
    wc.seed = 7;
    wc.stream = &scfg;
    wc.flow_memcap = 64 << 20;
    wc.flow_bits = 10;
    wc.gauges = &gauges;
    wc.clock = &clk;
    wc.consumer = &cons;
    struct worker *w = worker_new(&wc, 16, 16);
    cr_assert_not_null(w);
    struct capture_opts co = {NULL, false, 1, NULL};
    struct spu_error err = {0};
    struct capture *cap = capture_open_file(path, &co, &err);
    cr_assert_not_null(cap, "%s: %s", path, err.msg);
    struct capture_pkt cp[64];
    bool eof = false;
    uint64_t cnt = 0;
    while (!eof) {
        int n = capture_next(cap, cp, 64, &eof, &err);
        if (n < 0)
            break; /* a damaged capture ends here, as in spurun */
        for (int i = 0; i < n; i++) {
            struct pkt p;
            memset(&p, 0, sizeof(p));
            p.data = cp[i].data;
            p.caplen = cp[i].caplen;
            p.wirelen = cp[i].wirelen;
            p.ts_ns = p.clock_ns = cp[i].ts_ns;
            p.linktype = (uint16_t)cp[i].linktype;
            p.pcap_cnt = ++cnt;
            p.flags = PKT_NOCSUM;
            worker_process(w, &p);
            capture_release(cap, cp[i].source, cp[i].cookie);
        }
    }
    worker_shutdown_flows(w);
    worker_free(w);
    capture_close(cap);
}

static struct spu_bundle *http_bundle(void)
{
    return hg_http_bundle();
}

/* Walk the corpus for tests with a tshark-http.json. */
static void walk(struct recorder *rc, const char *dir, unsigned *ncaps)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "%s", dir);
    struct dirent **list;
    closedir(d);
    int n = scandir(dir, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        struct stat st;
        if (list[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            char tj[1100], pc[1100];
            snprintf(tj, sizeof(tj), "%s/tshark-http.json", path);
            snprintf(pc, sizeof(pc), "%s/input.pcap", path);
            if (access(tj, R_OK) == 0 && access(pc, R_OK) == 0) {
                rc->test = list[i]->d_name;
                run_capture(rc, pc);
                (*ncaps)++;
            }
            walk(rc, path, ncaps);
        }
        free(list[i]);
    }
    free(list);
}

Test(http_corpus, one_byte_chunks_change_nothing, .timeout = 600)
{
    struct recorder rc = {0};
    rc.b = http_bundle();
    unsigned ncaps = 0;
    walk(&rc, SV, &ncaps);
    cr_log_info("%u captures, %u streams, %llu bytes, %u known split-dependent", ncaps,
                rc.streams, (unsigned long long)rc.bytes, rc.known);
    cr_expect_gt(ncaps, 600, "the corpus has 658 HTTP captures with tshark-http.json");
    cr_expect_eq(rc.differ, 0, "%u of %u streams parse differently in 1-byte chunks", rc.differ,
                 rc.streams);
    spu_bundle_unref(rc.b);
}
