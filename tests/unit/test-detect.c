/* test-detect.c - the rule engine (runtime/detect*.c) with its shared
 * stores (session.c, shun.c, classification.c): index selection with
 * 10,000 rules on grammar events from the gvm through the app_sink,
 * budget and division-by-zero faults, sessions shared by two workers'
 * contexts, LRU eviction and ttl, shuns seen by every worker. */
#include "classification.h"
#include "decode.h"
#include "detect.h"
#include "err.h"
#include "flow.h"
#include "gvm.h"
#include "helper-compile.h"
#include "helper-detect.h"
#include "output.h"
#include "pkt.h"
#include "rt-events.h"
#include "app-event.h"
#include "session.h"
#include "shun.h"
#include "state.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *t = calloc(1, 1 << 16);
    size_t n = fread(t, 1, (1 << 16) - 1, f);
    t[n] = 0;
    fclose(f);
    return t;
}

/* ---- an engine over one bundle, writing EVE to a temporary file ---- */

struct rig {
    struct spu_bundle *b;
    struct detect_engine *e;
    struct detect_worker *w[2];
    struct output *out;
    char path[64];
    char *eve; /* the EVE file's text after rig_close (free it) */
};

static void rig_open(struct rig *r, struct spu_bundle *b, const struct detect_cfg *cfg)
{
    struct spu_error err;
    spu_error_clear(&err);
    memset(r, 0, sizeof(*r));
    r->b = b;
    cr_assert_not_null(b);
    snprintf(r->path, sizeof(r->path), "/tmp/test-detect-XXXXXX");
    int fd = mkstemp(r->path);
    cr_assert(fd >= 0);
    close(fd);
    r->out = output_open(r->path, 2, &err);
    cr_assert_not_null(r->out, "%s", err.msg);
    const char *names[] = {"t"};
    r->e = detect_engine_new(cfg, &r->b, names, 1, 2, &err);
    cr_assert_not_null(r->e, "%s", err.msg);
    for (unsigned i = 0; i < 2; i++) {
        r->w[i] = detect_worker_new(r->e, i, output_producer(r->out, i), NULL, &err);
        cr_assert_not_null(r->w[i], "%s", err.msg);
    }
}

static long long fault_kind(struct rig *r, const char *name)
{
    json_t *s = detect_engine_stats(r->e, 0);
    long long v =
        (long long)json_integer_value(json_object_get(json_object_get(s, "fault_kinds"), name));
    json_decref(s);
    return v;
}

/* Evaluations of the rule with `sid` (0 when never evaluated). */
static long long evals(struct rig *r, long long sid)
{
    json_t *s = detect_engine_stats(r->e, 0);
    json_t *rules = json_object_get(s, "rules"), *x;
    size_t i;
    long long v = 0;
    json_array_foreach(rules, i, x)
    {
        if (json_integer_value(json_object_get(x, "signature_id")) == sid)
            v = (long long)json_integer_value(json_object_get(x, "evaluations"));
    }
    json_decref(s);
    return v;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Close everything; returns the EVE alert lines' "sid:worker" sorted and
 * joined by spaces (workers write their own buffers: file order is not
 * event order). */
static char *rig_close(struct rig *r)
{
    for (unsigned i = 0; i < 2; i++)
        detect_worker_free(r->w[i]);
    detect_engine_free(r->e);
    output_close(r->out, NULL);
    spu_bundle_unref(r->b);
    char *items[256];
    unsigned n = 0;
    FILE *f = fopen(r->path, "r");
    cr_assert_not_null(f);
    char line[8192];
    while (fgets(line, sizeof(line), f)) {
        json_t *j = json_loads(line, 0, NULL);
        cr_assert_not_null(j, "bad EVE line %s", line);
        json_t *a = json_object_get(j, "alert");
        if (a) {
            /* an alert is written as text: exactly what jansson writes
             * for the same members in the same order */
            char *again = json_dumps(j, JSON_COMPACT);
            cr_assert_not_null(again);
            cr_assert_eq(strlen(again) + 1, strlen(line), "%s", line);
            cr_assert_eq(memcmp(again, line, strlen(again)), 0, "%s", line);
            free(again);
            char item[64];
            snprintf(item, sizeof(item), "%lld:%lld",
                     (long long)json_integer_value(json_object_get(a, "signature_id")),
                     (long long)json_integer_value(
                         json_object_get(json_object_get(j, "spu"), "worker")));
            cr_assert_lt(n, 256);
            items[n++] = strdup(item);
        }
        json_decref(j);
    }
    fclose(f);
    r->eve = read_text(r->path);
    unlink(r->path);
    qsort(items, n, sizeof(items[0]), cmp_str);
    char *res = calloc(1, 256 * 64 + 1);
    for (unsigned i = 0; i < n; i++) {
        if (i)
            strcat(res, " ");
        strcat(res, items[i]);
        free(items[i]);
    }
    return res;
}

/* Close the rig and assert its alerts (as rig_close lists them) are
 * `want`, for the tests that look at nothing else of the EVE file. */
static void rig_close_expect(struct rig *r, const char *want)
{
    char *alerts = rig_close(r);
    free(r->eve);
    cr_assert_str_eq(alerts, want);
    free(alerts);
}

/* ---- the index on grammar events: 10,000 rules ---- */

struct feed_ctx {
    const struct app_sink *sink;
    struct spu_bundle *b;
    struct flow *f;
    unsigned events;
};

static void on_gvm_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                         unsigned dir)
{
    struct feed_ctx *fc = ctx;
    struct app_event ev = {fc->f, fc->b, 0, event, rec, tx_id, (int)dir, 1796000000000000000LL, 0};
    fc->sink->event(fc->sink->ctx, &ev);
    fc->events++;
}

/* Parse `text` (client side) with the gvm; every event goes through the
 * worker's app_sink. Returns the number of events. */
static unsigned feed(struct rig *r, unsigned wi, struct flow *f, const char *text)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    struct feed_ctx fc = {detect_worker_sink(r->w[wi]), r->b, f, 0};
    struct spu_gvm_hooks hooks = {.event = on_gvm_event};
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, r->b, 0, &hooks, &fc, &err);
    cr_assert_not_null(c, "%s", err.msg);
    spu_gvm_feed(c, SPU_DIR_CLIENT, (const uint8_t *)text, strlen(text));
    spu_gvm_eof(c, SPU_DIR_CLIENT);
    spu_gvm_conn_free(c);
    spu_gvm_free(g);
    return fc.events;
}

/* One transaction: `req` from the client, then `resp` from the server, on
 * one gvm connection (the response is paired with the request). Returns
 * the number of events. */
static unsigned feed_tx(struct rig *r, unsigned wi, struct flow *f, const char *req,
                        const char *resp)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    struct feed_ctx fc = {detect_worker_sink(r->w[wi]), r->b, f, 0};
    struct spu_gvm_hooks hooks = {.event = on_gvm_event};
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, r->b, 0, &hooks, &fc, &err);
    cr_assert_not_null(c, "%s", err.msg);
    spu_gvm_feed(c, SPU_DIR_CLIENT, (const uint8_t *)req, strlen(req));
    spu_gvm_feed(c, SPU_DIR_SERVER, (const uint8_t *)resp, strlen(resp));
    spu_gvm_eof(c, SPU_DIR_CLIENT);
    spu_gvm_eof(c, SPU_DIR_SERVER);
    spu_gvm_conn_free(c);
    spu_gvm_free(g);
    return fc.events;
}

#define NRULES 10000

Test(detect, index_10000_rules_on_gvm_events, .timeout = 120)
{
    char *grammar = read_text("tests/bench/web.spg");
    size_t cap = (size_t)NRULES * 160 + 4096, k = 0;
    char *rules = malloc(cap);
    k += (size_t)snprintf(
        rules + k, cap - k,
        "import web;\n"
        "rule sid 99 \"not GET\" on web.req { if (method != \"GET\") Alert(); }\n");
    for (unsigned i = 0; i < NRULES; i++)
        k += (size_t)snprintf(rules + k, cap - k,
                              "rule sid %u \"r%u\" on web.req { if (host == \"h%u.example\" && "
                              "uri ~ \"q%uz\") Alert(); }\n",
                              100000 + i, i, i, i % 100);
    struct rig r;
    rig_open(&r, hc_bundle(grammar, rules), NULL);
    free(grammar);
    free(rules);
    struct hd_conn c;
    hd_conn_init(&c, 7, 40000);
    /* host h4242 and its literal q42z: the tree reaches rule 104242 only,
     * the prefilter lets it through, the unindexed rule 99 runs too */
    cr_assert_eq(feed(&r, 0, &c.f, "GET /p/q42z.php\r\nHost: h4242.example\r\n\r\n"), 1);
    cr_assert_eq(hd_counter(r.e, "rules_run"), 2);
    cr_assert_eq(evals(&r, 104242), 1);
    cr_assert_eq(evals(&r, 99), 1);
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    /* same host, without the literal: the prefilter drops 104242 */
    cr_assert_eq(feed(&r, 1, &c.f, "POST /p/other.php\r\nHost: h4242.example\r\n\r\n"), 1);
    cr_assert_eq(hd_counter(r.e, "rules_run"), 3);
    cr_assert_eq(evals(&r, 104242), 1);
    cr_assert_eq(evals(&r, 99), 2);
    /* a host no rule names: only the unindexed rule */
    cr_assert_eq(feed(&r, 1, &c.f, "GET /q42z\r\nHost: nobody.example\r\n\r\n"), 1);
    cr_assert_eq(hd_counter(r.e, "rules_run"), 4);
    cr_assert_eq(hd_counter(r.e, "candidates"), 4);
    hd_end_flow(r.w[1], &c);
    rig_close_expect(&r, "104242:0 99:1");
}

/* ---- faults ---- */

Test(detect, budget_and_division_by_zero_are_counted)
{
    struct detect_cfg cfg = {.rule_budget = 20};
    struct rig r;
    rig_open(&r,
             hc_bundle(NULL, "rule sid 1 \"div\" on packet { int z = ttl - ttl; "
                             "if (len / z > 0) Alert(); }\n"
                             "rule sid 2 \"loop\" on packet { int n = 0; "
                             "for (p in split(\"a,b,c,d,e,f,g,h,i,j,k,l\", \",\")) n += 1; "
                             "if (n > 100) Alert(); }\n"
                             "rule sid 3 \"after\" on packet { if (ttl == 64) Alert(); }\n"),
             &cfg);
    struct hd_conn c;
    hd_conn_init(&c, 1, 40001);
    for (int i = 0; i < 5; i++)
        hd_raise(r.w[i & 1], &c, RT_EV_PACKET);
    cr_assert_eq(fault_kind(&r, "div_zero"), 5);
    cr_assert_eq(fault_kind(&r, "budget"), 5);
    cr_assert_eq(hd_counter(r.e, "faults"), 10);
    cr_assert_eq(hd_counter(r.e, "alerts"), 5);
    hd_end_flow(r.w[0], &c);
    rig_close_expect(&r, "3:0 3:0 3:0 3:1 3:1");
}

/* ---- sessions across two workers ---- */

static const char *syn_rules = "session src keyed by flow.src_ip ttl 10s { int syns; }\n"
                               "flow { int pkts; }\n"
                               "rule sid 10 \"third SYN of a source\" on tcp.syn {\n"
                               "    src.syns += 1;\n"
                               "    if (src.syns == 3) Alert();\n"
                               "}\n"
                               "rule sid 11 \"second packet of a flow\" on packet {\n"
                               "    flow.pkts += 1;\n"
                               "    if (flow.pkts == 2) Alert();\n"
                               "}\n";

Test(detect, session_shared_by_two_workers)
{
    struct rig r;
    rig_open(&r, hc_bundle(NULL, syn_rules), NULL);
    /* three connections of one client, on two workers */
    struct hd_conn a, b, c;
    hd_conn_init(&a, 5, 40010);
    hd_conn_init(&b, 5, 40011);
    hd_conn_init(&c, 5, 40012);
    hd_raise(r.w[0], &a, RT_EV_TCP_SYN);
    hd_raise(r.w[1], &b, RT_EV_TCP_SYN);
    cr_assert_eq(hd_counter(r.e, "alerts"), 0);
    hd_raise(r.w[1], &c, RT_EV_TCP_SYN);
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    hd_raise(r.w[0], &a, RT_EV_TCP_SYN); /* the fourth: no second alert */
    cr_assert_eq(hd_counter(r.e, "alerts"), 1);
    /* flow variables stay per flow: a's second packet alerts, b's first not */
    hd_raise(r.w[0], &a, RT_EV_PACKET);
    hd_raise(r.w[1], &b, RT_EV_PACKET);
    hd_raise(r.w[0], &a, RT_EV_PACKET);
    cr_assert_eq(hd_counter(r.e, "alerts"), 2);
    hd_end_flow(r.w[0], &a);
    hd_end_flow(r.w[1], &b);
    hd_end_flow(r.w[1], &c);
    rig_close_expect(&r, "10:1 11:0");
}

/* ---- the session store: LRU and ttl ---- */

/* The first slot of a session entry. */
static struct spu_value *slot0(struct session_space *s, struct session_entry *e)
{
    uint32_t n;
    struct spu_arena *a;
    return session_entry_slots(s, e, &n, &a);
}

Test(detect, session_lru_bounds_entries)
{
    struct session_space *s = session_space_new("s", 1, 2, 0, 16, 0);
    cr_assert_not_null(s);
    for (int i = 0; i < 1000; i++) {
        struct spu_value k = spu_v_int(i);
        struct session_entry *e;
        cr_assert_eq(session_space_get(s, &k, i, SESSION_CREATE, &e), SPU_OK);
        cr_assert_not_null(e);
        uint32_t n;
        struct spu_arena *a;
        session_entry_slots(s, e, &n, &a)[0] = spu_v_int(i * 2);
        session_entry_release(s, e, i);
        /* the entry just used survives: eviction takes the least recent */
        cr_assert_eq(session_space_get(s, &k, i, SESSION_LOOKUP, &e), SPU_OK);
        cr_assert_not_null(e);
        cr_assert_eq(session_entry_slots(s, e, &n, &a)[0].u.i, i * 2);
        cr_assert_eq(n, 2);
        session_entry_release(s, e, i);
    }
    const struct session_stats *st = session_space_stats(s);
    cr_assert_leq(session_space_count(s), 16);
    cr_assert_eq(atomic_load(&st->created), 1000);
    cr_assert_eq(atomic_load(&st->evicted) + session_space_count(s), 1000);
    session_space_free(s);
}

/* Two spaces under one byte cap: each entry reserves its largest size;
 * past the cap the least recently used entries of the space go (counted
 * as memcap and evicted), the reservation never passes the cap, a space
 * with nothing to evict is refused, a held entry is never evicted, and
 * freeing the spaces gives every byte back. */
Test(detect, session_memcap_bounds_bytes)
{
    _Atomic int64_t resv = 0;
    const uint64_t cap = 64 * 1024;
    struct session_space *a = session_space_new("a", 1, 2, 0, 100000, 1024);
    struct session_space *b = session_space_new("b", 1, 4, 0, 100000, 2048);
    cr_assert(a && b);
    session_space_set_memcap(a, &resv, cap);
    session_space_set_memcap(b, &resv, cap);
    /* a's entries fill the cap, evicting a's least recent ones to make
     * room; then b, which has nothing of its own to evict (it cannot evict
     * a's), is refused */
    for (int i = 0; i < 1000; i++) {
        struct spu_value k = spu_v_int(i);
        struct session_entry *e;
        cr_assert_eq(session_space_get(a, &k, i, SESSION_CREATE, &e), SPU_OK);
        cr_assert_not_null(e);
        session_entry_release(a, e, i);
        cr_assert_leq(atomic_load(&resv), (int64_t)cap);
    }
    const struct session_stats *sa = session_space_stats(a), *sb = session_space_stats(b);
    cr_assert_gt(atomic_load(&sa->memcap), 900);
    cr_assert_eq(atomic_load(&sa->evicted) + session_space_count(a), 1000);
    cr_assert_gt(atomic_load(&resv), (int64_t)(cap - 1200));
    struct spu_value kb = spu_v_int(7);
    struct session_entry *eb;
    cr_assert_eq(session_space_get(b, &kb, 0, SESSION_CREATE, &eb), SPU_ELIMIT);
    cr_assert_eq(atomic_load(&sb->refused), 1);
    cr_assert_leq(atomic_load(&sa->memuse) + atomic_load(&sb->memuse), atomic_load(&resv));
    session_space_free(a);
    session_space_free(b);
    cr_assert_eq(atomic_load(&resv), 0);

    /* a cap of one entry: with it held, another in the same shard is refused */
    struct session_space *c = session_space_new("c", 1, 1, 0, 100, 1024);
    session_space_set_memcap(c, &resv, 1200);
    struct spu_value k1 = spu_v_int(1);
    struct session_entry *e1, *e2;
    cr_assert_eq(session_space_get(c, &k1, 0, SESSION_CREATE, &e1), SPU_OK);
    cr_assert_not_null(e1);
    int refused = 0;
    for (int i = 2; i < 200 && !refused; i++) {
        struct spu_value k = spu_v_int(i);
        int rc = session_space_get(c, &k, 0, SESSION_CREATE, &e2);
        if (rc == SPU_ELIMIT)
            refused = 1;
        else if (rc == SPU_OK && e2)
            session_entry_release(c, e2, 0);
    }
    cr_assert(refused, "a key of the held entry's shard is refused");
    cr_assert_gt(atomic_load(&session_space_stats(c)->refused), 0);
    session_entry_release(c, e1, 0);
    session_space_free(c);
    cr_assert_eq(atomic_load(&resv), 0);
}

Test(detect, session_ttl_expires)
{
    struct session_space *s = session_space_new("s", 1, 1, 1000, 0, 0);
    struct spu_value k = spu_v_str("abc", 3);
    struct session_entry *e;
    cr_assert_eq(session_space_get(s, &k, 0, SESSION_CREATE, &e), SPU_OK);
    slot0(s, e)[0] = spu_v_int(7);
    session_entry_release(s, e, 0);
    cr_assert_eq(session_space_get(s, &k, 900, SESSION_LOOKUP, &e), SPU_OK);
    cr_assert_not_null(e, "still alive 900 ms later");
    session_entry_release(s, e, 900);
    cr_assert_eq(session_space_get(s, &k, 2000, SESSION_LOOKUP, &e), SPU_OK);
    cr_assert_null(e, "expired 1100 ms after its last use");
    cr_assert_eq(atomic_load(&session_space_stats(s)->expired), 1);
    cr_assert_eq(session_space_count(s), 0);
    struct spu_value bad = spu_v_null();
    cr_assert_eq(session_space_get(s, &bad, 0, SESSION_CREATE, &e), SPU_EINVAL);
    session_space_free(s);
}

/* Another worker's get waits for a held entry (however long the holder is
 * descheduled, up to SESSION_WAIT_MS) and then sees what the holder
 * stored: no update is lost; past the bound the get is refused, counted. */
struct holder {
    struct session_space *s;
    struct session_entry *e;
    int ms;
};

static void *release_later(void *arg)
{
    struct holder *h = arg;
    struct timespec t = {h->ms / 1000, (long)(h->ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
    slot0(h->s, h->e)[0] = spu_v_int(1);
    session_entry_release(h->s, h->e, 0);
    return NULL;
}

Test(detect, session_waits_for_its_holder)
{
    struct session_space *s = session_space_new("s", 1, 1, 60000, 0, 0);
    struct spu_value k = spu_v_str("sid", 3);
    struct holder h = {s, NULL, 300};
    cr_assert_eq(session_space_get(s, &k, 0, SESSION_CREATE, &h.e), SPU_OK);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, release_later, &h), 0);
    struct session_entry *e = NULL;
    cr_assert_eq(session_space_get(s, &k, 0, SESSION_CREATE, &e), SPU_OK, "waited for the holder");
    cr_assert_eq(slot0(s, e)[0].u.i, 1, "the holder's store is seen");
    pthread_join(t, NULL);
    /* held past the bound (e is held until the get gives up: no race
     * with a holder's clock): refused after waiting SESSION_WAIT_MS, counted */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct session_entry *e2 = NULL;
    cr_assert_eq(session_space_get(s, &k, 0, SESSION_CREATE, &e2), SPU_ESTATE);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    cr_assert_null(e2);
    long waited = (t1.tv_sec - t0.tv_sec) * 1000L + (t1.tv_nsec - t0.tv_nsec) / 1000000L;
    cr_assert_geq(waited, (long)SESSION_WAIT_MS - 1, "gave up after %ld ms", waited);
    cr_assert_eq(atomic_load(&session_space_stats(s)->busy), 1);
    session_entry_release(s, e, 0);
    session_space_free(s);
}

/* A read that finds no entry holds the absent key (an absent-key hold) until
 * the rule ends, so that the read and the write after it are one update:
 * another worker's read of the key waits and sees the first worker's
 * store (two workers each counting the first failed login from zero
 * lost one of them). An absent-key hold is neither counted nor kept. */
static void *confirm_later(void *arg)
{
    struct holder *h = arg;
    struct timespec t = {0, (long)h->ms * 1000000L};
    nanosleep(&t, NULL);
    if (session_entry_confirm(h->s, h->e) == SPU_OK)
        slot0(h->s, h->e)[0] = spu_v_int(1);
    session_entry_release(h->s, h->e, 0);
    return NULL;
}

Test(detect, session_absent_key_is_held)
{
    struct session_space *s = session_space_new("s", 1, 1, 60000, 0, 0);
    struct spu_value k = spu_v_str("sid", 3), k2 = spu_v_str("other", 5);
    struct holder h = {s, NULL, 200};
    cr_assert_eq(session_space_get(s, &k, 0, SESSION_HOLD_ABSENT, &h.e), SPU_OK);
    cr_assert_not_null(h.e);
    cr_assert(session_entry_is_absent(h.e));
    cr_assert_eq(atomic_load(&session_space_stats(s)->entries), 0, "an absent-key hold is not counted");
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, confirm_later, &h), 0);
    struct session_entry *e = NULL;
    cr_assert_eq(session_space_get(s, &k, 0, SESSION_HOLD_ABSENT, &e), SPU_OK);
    cr_assert_not_null(e);
    cr_assert(!session_entry_is_absent(e), "waited for the holder, which created it");
    cr_assert_eq(slot0(s, e)[0].u.i, 1, "the holder's store is seen");
    session_entry_release(s, e, 0);
    pthread_join(t, NULL);
    /* held and given back without a store: the key is absent again */
    cr_assert_eq(session_space_get(s, &k2, 0, SESSION_HOLD_ABSENT, &e), SPU_OK);
    cr_assert(session_entry_is_absent(e));
    session_entry_release(s, e, 0);
    cr_assert_eq(session_space_get(s, &k2, 0, SESSION_LOOKUP, &e), SPU_OK);
    cr_assert_null(e);
    cr_assert_eq(atomic_load(&session_space_stats(s)->entries), 1);
    cr_assert_eq(atomic_load(&session_space_stats(s)->created), 1);
    session_space_free(s);
}

/* ---- shun ---- */

Test(detect, shun_table_expires)
{
    struct shun_table *t = shun_new(16);
    uint8_t ip[16] = {0}, other[16] = {0};
    ip[15] = 1;
    other[15] = 2;
    cr_assert(!shun_check(t, ip, 0));
    cr_assert_eq(shun_add(t, ip, 0, 1000), SPU_OK);
    cr_assert(shun_check(t, ip, 500));
    cr_assert(!shun_check(t, other, 500));
    cr_assert(!shun_check(t, ip, 1000));
    shun_free(t);
}

Test(detect, shun_reaches_every_worker)
{
    struct rig r;
    rig_open(
        &r,
        hc_bundle(NULL,
                  "rule sid 20 \"shun on SYN\" on tcp.syn { Shun(duration: 60000); Alert(); }\n"
                  "rule sid 21 \"every packet\" on packet { Alert(); }\n"),
        NULL);
    struct hd_conn a, b;
    hd_conn_init(&a, 9, 40020);
    hd_conn_init(&b, 9, 40021);
    hd_raise(r.w[0], &a, RT_EV_PACKET);
    hd_raise(r.w[0], &a, RT_EV_TCP_SYN);
    /* the same source on the other worker is ignored from now on */
    hd_raise(r.w[1], &b, RT_EV_PACKET);
    hd_raise(r.w[1], &b, RT_EV_TCP_SYN);
    cr_assert_eq(hd_counter(r.e, "shuns"), 1);
    cr_assert_eq(hd_counter(r.e, "shunned_events"), 2);
    /* after the duration it is inspected again */
    b.p.ts_ns += 61000000000LL;
    hd_raise(r.w[1], &b, RT_EV_PACKET);
    hd_end_flow(r.w[0], &a);
    hd_end_flow(r.w[1], &b);
    rig_close_expect(&r, "20:0 21:0 21:1");
}

/* ---- verdicts: pass suppresses the event's alerts ---- */

Test(detect, pass_wins_over_alert)
{
    struct rig r;
    rig_open(&r,
             hc_bundle(NULL,
                       "rule sid 30 \"alert\" on packet { Alert(); }\n"
                       "rule sid 31 \"pass port 80\" on packet { if (dst_port == 80) Pass(); }\n"
                       "rule sid 32 \"drop\" on flow.start { Drop(); Alert(); }\n"),
             NULL);
    struct hd_conn a;
    hd_conn_init(&a, 3, 40030);
    hd_raise(r.w[0], &a, RT_EV_FLOW_START);
    hd_raise(r.w[0], &a, RT_EV_PACKET);
    hd_raise(r.w[0], &a, RT_EV_PACKET); /* the flow is passed: not inspected */
    cr_assert_eq(hd_counter(r.e, "suppressed_by_pass"), 1);
    cr_assert_eq(hd_counter(r.e, "passed_events"), 1);
    cr_assert_eq(hd_counter(r.e, "verdict_drop"), 1);
    hd_end_flow(r.w[0], &a);
    rig_close_expect(&r, "32:0");
}

/* ---- classification.config ---- */

Test(detect, classification_parse)
{
    struct spu_error err;
    spu_error_clear(&err);
    const char *t = "# c\n\nconfig classification: a-b,Some thing, with comma,2\n";
    struct classification *c = classification_parse(t, strlen(t), "x", &err);
    cr_assert_not_null(c, "%s", err.msg);
    const struct class_entry *e = classification_find(c, "A-B", 3);
    cr_assert_not_null(e);
    cr_assert_str_eq(e->desc, "Some thing, with comma");
    cr_assert_eq(e->priority, 2);
    classification_free(c);
    const char *bad = "config classification: a,b\n";
    cr_assert_null(classification_parse(bad, strlen(bad), "x", &err));
    cr_assert_eq(err.code, SPU_EPARSE);
    struct classification *shipped = classification_load("rules/classification.config", &err);
    cr_assert_not_null(shipped, "%s", err.msg);
    cr_assert_geq(classification_count(shipped), 20);
    classification_free(shipped);
}

/* ---- explain: index path and prefilter literals ---- */

/* The first EVE record of `type` in text (new), or NULL. */
static json_t *first_record(const char *text, const char *type)
{
    const char *p = text;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        json_t *j = json_loadb(p, n, 0, NULL);
        if (j && strcmp(json_string_value(json_object_get(j, "event_type")), type) == 0)
            return j;
        json_decref(j);
        p = nl ? nl + 1 : NULL;
    }
    return NULL;
}

Test(detect, explain_names_path_and_literals)
{
    char *grammar = read_text("tests/bench/web.spg");
    struct detect_cfg cfg = {.explain = 1};
    struct rig r;
    rig_open(&r,
             hc_bundle(grammar,
                       "import web;\n"
                       "rule sid 40 \"php under /x/\" on web.req { if (host == \"a.example\" "
                       "&& url.directory == \"/x/\" && uri ~ \"zz\") Alert(); }\n"
                       "rule sid 41 \"other host\" on web.req { if (host == \"b.example\") "
                       "Alert(); }\n"
                       "rule sid 42 \"any\" on web.req { if (method != \"PUT\") Log(uri); }\n"),
             &cfg);
    free(grammar);
    struct hd_conn c;
    hd_conn_init(&c, 7, 40040);
    feed(&r, 0, &c.f, "GET /x/zz.php\r\nHost: a.example\r\n\r\n");
    cr_assert_eq(hd_counter(r.e, "explained"), 1);
    hd_end_flow(r.w[0], &c);
    char *alerts = rig_close(&r);
    cr_assert_str_eq(alerts, "40:0");
    free(alerts);
    json_t *x = first_record(r.eve, "explain");
    cr_assert_not_null(x);
    json_t *ex = json_object_get(json_object_get(x, "spu"), "explain");
    char *dump = json_dumps(json_object_get(ex, "selected"), JSON_COMPACT);
    cr_assert_str_eq(dump, "[{\"gid\":1,\"signature_id\":40,"
                           "\"path\":[{\"level\":\"web.req host\",\"value\":\"a.example\"},"
                           "{\"level\":\"web.req url.directory\",\"value\":\"/x/\"}],"
                           "\"literals\":[{\"field\":\"web.req uri\",\"literal\":\"zz\"}],"
                           "\"how\":[\"tree\",\"prefilter\"]},"
                           "{\"gid\":1,\"signature_id\":42,\"how\":[\"unindexed\"]}]");
    free(dump);
    json_t *l = first_record(r.eve, "log");
    cr_assert_not_null(l);
    dump = json_dumps(json_object_get(json_object_get(l, "spu"), "log"), JSON_COMPACT);
    cr_assert_str_eq(dump, "{\"gid\":1,\"signature_id\":42,\"rev\":1,\"values\":[\"/x/zz.php\"]}");
    free(dump);
    /* the event's three records have one envelope (one writer): the same
     * members in the same order but event_type, then their own */
    json_t *a = first_record(r.eve, "alert");
    cr_assert_not_null(a);
    const json_t *recs[] = {l, x};
    const char *own[] = {"spu", "spu"};
    for (unsigned i = 0; i < 2; i++) {
        void *ia = json_object_iter(a), *ib = json_object_iter((json_t *)recs[i]);
        unsigned n = 0;
        for (; ia && strcmp(json_object_iter_key(ia), "alert") != 0;
             ia = json_object_iter_next(a, ia), ib = json_object_iter_next((json_t *)recs[i], ib)) {
            cr_assert_not_null(ib);
            const char *k = json_object_iter_key(ia);
            cr_assert_str_eq(json_object_iter_key(ib), k);
            if (strcmp(k, "event_type") != 0)
                cr_assert(json_equal(json_object_iter_value(ia), json_object_iter_value(ib)), "%s",
                          k);
            n++;
        }
        cr_assert_geq(n, 10); /* timestamp, flow_id, ..., community_id */
        cr_assert_str_eq(json_object_iter_key(ib), own[i]);
    }
    json_decref(a);
    json_decref(x);
    json_decref(l);
    free(r.eve);
}

/* ---- actions: SendMessage, Redirect, rewrites, Drop on one alert ---- */

Test(detect, actions_are_recorded)
{
    char msgs[64] = "/tmp/test-detect-msg-XXXXXX";
    int fd = mkstemp(msgs);
    cr_assert(fd >= 0);
    close(fd);
    char rules[1024];
    snprintf(rules, sizeof(rules),
             "output msgs file \"%s\";\n"
             "rule sid 50 \"act\" on flow.start {\n"
             "    SendMessage(\"msgs\", \"open \" + str(dst_port));\n"
             "    Redirect(\"http://blocked.example/\");\n"
             "    InsertString(\"a\", \"b\");\n"
             "    Drop();\n"
             "    Alert(severity: 1, message: \"why\");\n"
             "}\n",
             msgs);
    struct rig r;
    rig_open(&r, hc_bundle(NULL, rules), NULL);
    struct hd_conn c;
    hd_conn_init(&c, 8, 40050);
    hd_raise(r.w[1], &c, RT_EV_FLOW_START);
    cr_assert_eq(hd_counter(r.e, "messages"), 1);
    cr_assert_eq(hd_counter(r.e, "verdict_drop"), 1);
    cr_assert_eq(hd_counter(r.e, "rewrites"), 1);
    hd_end_flow(r.w[1], &c);
    char *alerts = rig_close(&r);
    cr_assert_str_eq(alerts, "50:1");
    free(alerts);
    json_t *a = first_record(r.eve, "alert");
    json_t *spu = json_object_get(a, "spu");
    cr_assert_str_eq(json_string_value(json_object_get(spu, "verdict")), "drop");
    cr_assert_str_eq(json_string_value(json_object_get(spu, "redirect")),
                     "http://blocked.example/");
    cr_assert_str_eq(json_string_value(json_object_get(spu, "message")), "why");
    cr_assert_eq(json_array_size(json_object_get(spu, "rewrites")), 1);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(a, "alert"), "severity")), 1);
    json_decref(a);
    free(r.eve);
    char *sent = read_text(msgs);
    cr_assert_str_eq(sent, "open 80\n");
    free(sent);
    unlink(msgs);
}

/* ---- flow variables stay within their cap when rewritten ---- */

Test(detect, flow_state_is_compacted)
{
    struct detect_cfg cfg = {.flow_state_cap = 1024};
    struct rig r;
    rig_open(&r,
             hc_bundle(
                 NULL,
                 "flow { string last; int n; }\n"
                 "rule sid 60 \"keep\" on packet {\n"
                 "    flow.last = \"a long enough string value to use the arena up \" + str(len);\n"
                 "    flow.n += 1;\n"
                 "    if (flow.n == 200) Alert();\n"
                 "}\n"),
             &cfg);
    struct hd_conn c;
    hd_conn_init(&c, 2, 40060);
    for (int i = 0; i < 200; i++)
        hd_raise(r.w[0], &c, RT_EV_PACKET);
    cr_assert_eq(hd_counter(r.e, "faults"), 0);
    hd_end_flow(r.w[0], &c);
    char *alerts = rig_close(&r);
    cr_assert_str_eq(alerts, "60:0");
    free(alerts);
    free(r.eve);
}

/* ---- a meta session keyed by a cookie, across connections and workers ---- */

Test(detect, cookie_session_across_connections)
{
    char *grammar = read_text("tests/bench/web.spg");
    struct rig r;
    rig_open(&r,
             hc_bundle(grammar,
                       "import web;\n"
                       "session visitor keyed by web.req.headers[\"cookie\"] ttl 30m max 100 "
                       "{ int failed; string first_uri; }\n"
                       "rule sid 70 \"third failed login of a visitor\" on web.req {\n"
                       "    if (uri ~ \"/login\") {\n"
                       "        if (visitor.first_uri == null) visitor.first_uri = uri;\n"
                       "        visitor.failed += 1;\n"
                       "        if (visitor.failed == 3) Log(visitor.first_uri, visitor.failed);\n"
                       "        if (visitor.failed == 3) Alert();\n"
                       "    }\n"
                       "}\n"),
             NULL);
    free(grammar);
    /* three connections (two on worker 0, one on worker 1) with one
     * cookie, one connection with another */
    struct hd_conn a, b, c, d;
    hd_conn_init(&a, 11, 40070);
    hd_conn_init(&b, 12, 40071);
    hd_conn_init(&c, 13, 40072);
    hd_conn_init(&d, 14, 40073);
    feed(&r, 0, &a.f, "POST /login?u=1\r\nHost: s\r\nCookie: SID=abc\r\n\r\n");
    feed(&r, 1, &b.f, "POST /login?u=2\r\nHost: s\r\nCookie: SID=abc\r\n\r\n");
    feed(&r, 1, &d.f, "POST /login?u=9\r\nHost: s\r\nCookie: SID=other\r\n\r\n");
    feed(&r, 0, &c.f, "POST /login?u=3\r\nHost: s\r\nCookie: SID=abc\r\n\r\n");
    feed(&r, 1, &d.f, "GET /index\r\nHost: s\r\nCookie: SID=other\r\n\r\n");
    hd_end_flow(r.w[0], &a);
    hd_end_flow(r.w[1], &b);
    hd_end_flow(r.w[0], &c);
    hd_end_flow(r.w[1], &d);
    json_t *s = detect_engine_stats(r.e, 0);
    json_t *v = json_object_get(json_object_get(s, "sessions"), "visitor");
    cr_assert_eq(json_integer_value(json_object_get(v, "entries")), 2);
    cr_assert_eq(json_integer_value(json_object_get(v, "created")), 2);
    json_decref(s);
    char *alerts = rig_close(&r);
    cr_assert_str_eq(alerts, "70:0");
    free(alerts);
    json_t *l = first_record(r.eve, "log");
    char *dump = json_dumps(
        json_object_get(json_object_get(json_object_get(l, "spu"), "log"), "values"), JSON_COMPACT);
    cr_assert_str_eq(dump, "[\"/login?u=1\",3]", "the first connection's value was kept");
    free(dump);
    json_decref(l);
    free(r.eve);
}

/* ---- a session keyed on the response by the paired request's cookie ---- */

Test(detect, session_keyed_by_paired_request)
{
    char *grammar = read_text("tests/bench/web.spg");
    struct rig r;
    rig_open(&r,
             hc_bundle(grammar,
                       "import web;\n"
                       "session denied keyed by req.headers[\"cookie\"] on web.resp ttl 30m "
                       "max 100 { int n; }\n"
                       "rule sid 71 \"third refused login of a visitor\" on web.resp {\n"
                       "    if (req.uri ~ \"/login\" && status == 401) {\n"
                       "        denied.n += 1;\n"
                       "        if (denied.n == 3) Alert();\n"
                       "    }\n"
                       "}\n"),
             NULL);
    free(grammar);
    const char *no = "HTTP/1.1 401 Unauthorized\r\n", *yes = "HTTP/1.1 200 OK\r\n";
    struct hd_conn a, b, c, d, e;
    hd_conn_init(&a, 21, 40080);
    hd_conn_init(&b, 22, 40081);
    hd_conn_init(&c, 23, 40082);
    hd_conn_init(&d, 24, 40083);
    hd_conn_init(&e, 25, 40084);
    /* cookie abc: refused on workers 0 and 1, accepted once (not
     * counted), refused a third time; cookie other: refused twice */
    cr_assert_eq(feed_tx(&r, 0, &a.f, "POST /login\r\nHost: s\r\nCookie: SID=abc\r\n\r\n", no),
                 2);
    feed_tx(&r, 1, &b.f, "POST /login\r\nHost: s\r\nCookie: SID=abc\r\n\r\n", no);
    feed_tx(&r, 1, &c.f, "POST /login\r\nHost: s\r\nCookie: SID=abc\r\n\r\n", yes);
    feed_tx(&r, 0, &d.f, "POST /login\r\nHost: s\r\nCookie: SID=other\r\n\r\n", no);
    feed_tx(&r, 1, &d.f, "POST /login\r\nHost: s\r\nCookie: SID=other\r\n\r\n", no);
    json_t *s = detect_engine_stats(r.e, 0);
    json_t *v = json_object_get(json_object_get(s, "sessions"), "denied");
    cr_assert_eq(json_integer_value(json_object_get(v, "entries")), 2);
    json_decref(s);
    feed_tx(&r, 0, &e.f, "POST /login\r\nHost: s\r\nCookie: SID=abc\r\n\r\n", no);
    hd_end_flow(r.w[0], &a);
    hd_end_flow(r.w[1], &b);
    hd_end_flow(r.w[1], &c);
    hd_end_flow(r.w[1], &d);
    hd_end_flow(r.w[0], &e);
    cr_assert_eq(hd_counter(r.e, "faults"), 0);
    char *alerts = rig_close(&r);
    cr_assert_str_eq(alerts, "71:0", "one alert, on the third refusal of cookie abc");
    free(alerts);
    free(r.eve);
}

/* ---- SendMessage to a Unix datagram socket ---- */

Test(detect, send_message_to_unix_socket)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/test-detect-%d.sock", (int)getpid());
    unlink(sa.sun_path);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    cr_assert(fd >= 0);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char rules[512];
    snprintf(
        rules, sizeof(rules),
        "output mon unix \"%s\";\n"
        "rule sid 80 \"tell\" on tcp.syn { SendMessage(\"mon\", \"syn \" + str(src_port)); }\n",
        sa.sun_path);
    struct rig r;
    rig_open(&r, hc_bundle(NULL, rules), NULL);
    struct hd_conn c;
    hd_conn_init(&c, 4, 40080);
    hd_raise(r.w[0], &c, RT_EV_TCP_SYN);
    char buf[64] = {0};
    ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
    cr_assert_eq(n, 10);
    cr_assert_str_eq(buf, "syn 40080\n");
    cr_assert_eq(hd_counter(r.e, "messages"), 1);
    cr_assert_eq(hd_counter(r.e, "message_errors"), 0);
    hd_end_flow(r.w[0], &c);
    char *alerts = rig_close(&r);
    cr_assert_str_eq(alerts, "");
    free(alerts);
    free(r.eve);
    close(fd);
    unlink(sa.sun_path);
}

/* ---- the store under two threads: no update is lost ---- */

struct bump_arg {
    struct session_space *s;
    int key;
};

static void *bump(void *p)
{
    struct bump_arg *a = p;
    for (int i = 0; i < 20000; i++) {
        /* one hot key and a few others, like two workers sharing a client */
        struct spu_value k = spu_v_int(i % 4 == 0 ? a->key : 1000 + i % 64);
        struct session_entry *e = NULL;
        if (session_space_get(a->s, &k, 0, SESSION_CREATE, &e) != SPU_OK || !e)
            return (void *)1;
        uint32_t n;
        struct spu_arena *ar;
        struct spu_value *slot = session_entry_slots(a->s, e, &n, &ar);
        slot[0] = spu_v_int(slot[0].type == SPU_T_INT ? slot[0].u.i + 1 : 1);
        session_entry_release(a->s, e, 0);
    }
    return NULL;
}

Test(detect, session_store_two_threads)
{
    struct session_space *s = session_space_new("hot", 3, 1, 0, 1024, 0);
    struct bump_arg a = {s, 7};
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, bump, &a);
    for (int i = 0; i < 2; i++) {
        void *rv;
        pthread_join(t[i], &rv);
        cr_assert_null(rv);
    }
    struct spu_value k = spu_v_int(7);
    struct session_entry *e;
    cr_assert_eq(session_space_get(s, &k, 0, SESSION_LOOKUP, &e), SPU_OK);
    uint32_t n;
    struct spu_arena *ar;
    cr_assert_eq(session_entry_slots(s, e, &n, &ar)[0].u.i, 10000);
    session_entry_release(s, e, 0);
    cr_assert_eq(session_space_count(s), 49); /* the hot key and 48 others */
    session_space_free(s);
}

/* ---- spam score per message (docs/spam.md) ---- */

Test(detect, message_spam_score)
{
    char *grammar = read_text("tests/bench/web.spg");
    struct spu_error err;
    spu_error_clear(&err);
    struct state_cfg scfg = {NULL, 0};
    struct state_store *st = state_store_new(&scfg, &err);
    cr_assert_not_null(st, "%s", err.msg);
    /* what the monitor's ScoreAdd would have given 192.0.2.7 */
    struct state_req sr = {STATE_SCORE_ADD, NULL, 0, "192.0.2.7", 9, 0, 0, 0, 5,
                           1796000000000LL};
    int64_t v = 0;
    cr_assert_eq(state_store_op(st, &sr, &v), SPU_OK);
    struct detect_cfg cfg = {.state = st, .spam_threshold = 10};
    struct rig r;
    rig_open(&r,
             hc_bundle(grammar,
                       "import web;\n"
                       "message ends on web.req;\n"
                       "rule sid 1 \"post\" score 4 on web.req { if (method == \"POST\") Alert(); }\n"
                       /* two alerts of one rule: its score counts once */
                       "rule sid 2 \"host\" score 7 on web.req {\n"
                       "    if (host == \"spam.example\") { Alert(); Alert(); } }\n"
                       "rule sid 9 \"spam\" on spam.message {\n"
                       "    if (total == 11 && threshold == 10 && source_score == 0\n"
                       "        && rules == \"1:1:4,1:2:7\") Alert();\n"
                       "    if (total == 12 && source_score == 5 && rules == \"1:2:7\") Alert();\n"
                       "}\n"),
             &cfg);
    free(grammar);
    struct hd_conn c, d;
    hd_conn_init(&c, 3, 40000);
    hd_conn_init(&d, 7, 40001);
    /* 4 + 7 = 11: spam */
    feed(&r, 0, &c.f, "POST /\r\nHost: spam.example\r\n\r\n");
    /* 7 alone; then 4 alone: the first message's scores are gone */
    feed(&r, 0, &c.f, "GET /\r\nHost: spam.example\r\n\r\n");
    feed(&r, 0, &c.f, "POST /\r\nHost: ok.example\r\n\r\n");
    /* 7 plus the source's 5 = 12: spam */
    feed(&r, 1, &d.f, "GET /\r\nHost: spam.example\r\n\r\n");
    /* no rule: the source's 5 alone */
    feed(&r, 1, &d.f, "GET /\r\nHost: ok.example\r\n\r\n");
    cr_assert_eq(hd_counter(r.e, "messages_scored"), 5);
    cr_assert_eq(hd_counter(r.e, "spam_messages"), 2);
    hd_end_flow(r.w[0], &c);
    hd_end_flow(r.w[1], &d);
    char *alerts = rig_close(&r);
    cr_assert_str_eq(alerts, "1:0 1:0 2:0 2:0 2:0 2:0 2:1 2:1 9:0 9:1");
    /* the spam alerts list the total and the rules */
    cr_assert_not_null(strstr(r.eve, "\"spam\":{\"total\":11,\"threshold\":10,\"source_score\":0,"
                                     "\"rules\":[{\"gid\":1,\"sid\":1,\"score\":4},"
                                     "{\"gid\":1,\"sid\":2,\"score\":7}]}"),
                       "%s", r.eve);
    cr_assert_not_null(strstr(r.eve, "\"spam\":{\"total\":12,\"threshold\":10,\"source_score\":5,"
                                     "\"rules\":[{\"gid\":1,\"sid\":2,\"score\":7}]}"),
                       "%s", r.eve);
    free(r.eve);
    free(alerts);
    state_store_free(st);
}

/* ---- per-declaration state backends (docs/spam.md) ---- */

Test(detect, state_declaration_routes_to_its_store)
{
    /* no --state: only the declared tables have a store; the others fault */
    struct rig r;
    rig_open(&r,
             hc_bundle(NULL, "state list bl in memory;\n"
                             "state score in memory;\n"
                             "rule sid 1 \"declared\" on packet {\n"
                             "    if (ListAdd(\"bl\", src_ip) && ListHas(\"bl\", src_ip)\n"
                             "        && ScoreAdd(src_ip, 3) == 3) Alert(); }\n"
                             "rule sid 2 \"undeclared list\" on packet {\n"
                             "    if (ListHas(\"other\", src_ip)) Alert(); }\n"
                             "rule sid 3 \"undeclared bucket\" on packet {\n"
                             "    if (TokenBucket(src_ip, 1, 1)) Alert(); }\n"),
             NULL);
    struct hd_conn c;
    hd_conn_init(&c, 9, 40009);
    hd_raise(r.w[0], &c, RT_EV_PACKET);
    cr_assert_eq(hd_counter(r.e, "faults"), 2);
    json_t *s = detect_engine_stats(r.e, 0);
    json_t *st = json_object_get(s, "state_stores");
    cr_assert_eq(json_array_size(st), 1, "one store for both declarations");
    json_t *o = json_array_get(st, 0);
    cr_assert_str_eq(json_string_value(json_object_get(o, "url")), "memory");
    cr_assert_eq(json_integer_value(json_object_get(o, "ops")), 3);
    cr_assert_eq(json_integer_value(json_object_get(o, "entries")), 2);
    json_decref(s);
    hd_end_flow(r.w[0], &c);
    rig_close_expect(&r, "1:0");
}
