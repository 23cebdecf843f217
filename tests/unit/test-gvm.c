/* test-gvm.c - the grammar VM's objects and entry points: connections,
 * hooks, counters, stop, bad calls (runtime/vm/gvm.c). */
#include "test-gvm.h"

#include "bundle.h"
#include "gvm.h"

Test(gvm, demo_conversation)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {
        GA_C("HELLO bob\r\n"), GA_S("+OK hi bob\r\n"), GA_C("NOOP\r\n"), GA_S("-ERR what\r\n"),
        GA_C("BYE\r\n"),       GA_S("+OK bye\r\n"),    GA_C("HELLO again\r\n"),
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(log,
                     "E t.command tx=0 dir=0 command{verb=\"HELLO\" arg=\"bob\"}\n"
                     "E t.reply tx=0 dir=1 reply{ok=\"+OK\" text=\" hi bob\"}\n"
                     "T 0 command{verb=\"HELLO\" arg=\"bob\"} reply{ok=\"+OK\" text=\" hi bob\"}\n"
                     "E t.command tx=1 dir=0 command{verb=\"NOOP\"}\n"
                     "E t.reply tx=1 dir=1 reply{ok=\"-ERR\" text=\" what\"}\n"
                     "T 1 command{verb=\"NOOP\"} reply{ok=\"-ERR\" text=\" what\"}\n"
                     "E t.command tx=2 dir=0 command{verb=\"BYE\"}\n"
                     "T 2 command{verb=\"BYE\"} reply{ok=\"+OK\" text=\" bye\"}\n");
    free(log);
    spu_bundle_unref(b);
}

/* ---- the API ---- */

struct counts {
    int events, anomalies, tx;
};
static void cnt_event(void *ctx, uint32_t ev, const struct spu_record *rec, uint64_t tx,
                      unsigned dir)
{
    (void)ev;
    (void)rec;
    (void)tx;
    (void)dir;
    ((struct counts *)ctx)->events++;
}
static void cnt_anomaly(void *ctx, const char *name, size_t len)
{
    (void)name;
    (void)len;
    ((struct counts *)ctx)->anomalies++;
}
static void cnt_tx(void *ctx, uint64_t id, const struct spu_record *c, const struct spu_record *s)
{
    (void)id;
    (void)c;
    (void)s;
    ((struct counts *)ctx)->tx++;
}
static const struct spu_gvm_hooks cnt_hooks = {cnt_event, cnt_anomaly, cnt_tx, NULL, NULL, NULL};

static int feed_str(struct spu_gvm_conn *c, unsigned dir, const char *s)
{
    return spu_gvm_feed(c, dir, (const uint8_t *)s, strlen(s));
}

Test(gvm, bad_calls)
{
    struct spu_error err;
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    struct ga *a = ga_new();
    demo_grammar(a);
    ga_proto(a, "s", SPU_TRANSPORT_STREAM);
    ga_layout(a, "u", "");
    ga_prog(a, "unit", "u", "u", 0, "RET");
    struct spu_bundle *b = build(a);
    cr_assert_null(spu_gvm_conn_new(g, b, 7, NULL, NULL, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    cr_assert_null(spu_gvm_conn_new(g, b, 1, NULL, NULL, &err)); /* no drivers */
    cr_assert_eq(err.code, SPU_EINVAL);
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, b, 0, NULL, NULL, &err);
    cr_assert_not_null(c);
    cr_assert_eq(spu_gvm_feed(c, 2, (const uint8_t *)"x", 1), SPU_EINVAL);
    cr_assert_eq(spu_gvm_gap(c, 5, 1), SPU_EINVAL);
    cr_assert_eq(spu_gvm_eof(c, 9), SPU_EINVAL);
    cr_assert_str_eq(spu_gvm_conn_last_error(c, 3), "");
    cr_assert_str_eq(spu_gvm_conn_last_error(c, 0), "");
    /* hooks may be absent */
    cr_assert_eq(feed_str(c, 0, "HELLO x\r\nBAD"), SPU_OK);
    cr_assert_eq(feed_str(c, 0, " x\r\n"), SPU_OK);
    cr_assert_eq(spu_gvm_eof(c, 0), SPU_DONE);
    cr_assert_eq(feed_str(c, 0, "NOOP\r\n"), SPU_DONE); /* after its end */
    cr_assert_eq(spu_gvm_eof(c, 0), SPU_DONE);
    spu_gvm_conn_free(c);
    spu_gvm_conn_free(NULL);
    spu_bundle_unref(b);
    spu_gvm_free(g);
    spu_gvm_free(NULL);
}

/* A direction with no messages ignores its data. */
Test(gvm, direction_without_messages)
{
    struct spu_error err;
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    struct spu_bundle *b = build(msg_ga("x", "G_LIT \"a\"; G_EVENT %t.m; RET"));
    struct counts n = {0, 0, 0};
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, b, 0, &cnt_hooks, &n, &err);
    cr_assert_eq(feed_str(c, SPU_DIR_SERVER, "aaa"), SPU_DONE);
    cr_assert_eq(spu_gvm_gap(c, SPU_DIR_SERVER, 4), SPU_DONE);
    cr_assert_eq(feed_str(c, SPU_DIR_CLIENT, "aa"), SPU_OK);
    cr_assert_eq(n.events, 2);
    struct spu_gvm_stats st;
    spu_gvm_conn_stats(c, &st);
    cr_assert_eq(st.bytes, 2);
    cr_assert_eq(st.gaps, 0);
    spu_gvm_conn_free(c);
    spu_bundle_unref(b);
    spu_gvm_free(g);
}

/* Counters per connection and per gvm; memory held returns to zero. A
 * connection costs nothing until it parses. */
Test(gvm, counters_and_memory)
{
    struct spu_error err;
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    struct spu_bundle *b = demo_bundle();
    struct counts n = {0, 0, 0};
    struct spu_gvm_conn *c1 = spu_gvm_conn_new(g, b, 0, &cnt_hooks, &n, &err);
    struct spu_gvm_conn *c2 = spu_gvm_conn_new(g, b, 0, &cnt_hooks, &n, &err);
    struct spu_gvm_stats st, gs;
    spu_gvm_conn_stats(c1, &st);
    cr_assert_eq(st.arena_bytes + st.held_bytes + st.bytes, 0);
    cr_assert_eq(feed_str(c1, 0, "HELLO a\r\n?\r\nNOOP\r\nHELLO bb"), SPU_OK);
    cr_assert_eq(feed_str(c2, 1, "+OK\r\n"), SPU_OK);
    cr_assert_eq(spu_gvm_gap(c2, 0, 100), SPU_OK);
    spu_gvm_conn_stats(c1, &st);
    cr_assert_eq(st.bytes, 26);
    cr_assert_eq(st.messages, 2); /* the failed one consumed nothing */
    cr_assert_eq(st.errors, 1);
    cr_assert_eq(st.resyncs, 1);
    cr_assert_eq(st.anomalies, 1);
    cr_assert_eq(st.held_bytes, 0);
    cr_assert_gt(st.arena_bytes, 0); /* two commands wait, one is in progress */
    spu_gvm_stats(g, &gs);
    cr_assert_eq(gs.bytes, 31);
    cr_assert_eq(gs.messages, 3);
    cr_assert_eq(gs.gaps, 1);
    cr_assert_eq(gs.anomalies, 2);
    cr_assert_geq(gs.arena_bytes, st.arena_bytes);
    spu_gvm_conn_free(c1);
    spu_gvm_conn_free(c2);
    spu_gvm_stats(g, &gs);
    cr_assert_eq(gs.arena_bytes, 0);
    cr_assert_eq(gs.held_bytes, 0);
    cr_assert_eq(gs.messages, 3);
    /* freeing a connection calls no hook */
    cr_assert_eq(n.tx, 1);
    spu_bundle_unref(b);
    spu_gvm_free(g);
}

/* Stopping outside any hook is immediate: waiting transactions complete
 * alone, later data is refused. */
Test(gvm, stop_outside_a_hook)
{
    struct spu_error err;
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    struct spu_bundle *b = demo_bundle();
    struct counts n = {0, 0, 0};
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, b, 0, &cnt_hooks, &n, &err);
    cr_assert_eq(feed_str(c, 0, "NOOP\r\nNOOP\r\nHELLO"), SPU_OK);
    cr_assert_eq(spu_gvm_conn_stopped(c), 0);
    spu_gvm_conn_stop(c);
    cr_assert_eq(spu_gvm_conn_stopped(c), 1);
    /* the two commands waiting, and the one in progress, aborted */
    cr_assert_eq(n.tx, 3);
    cr_assert_eq(n.events, 3);
    cr_assert_eq(feed_str(c, 1, "+OK\r\n"), SPU_DONE);
    cr_assert_eq(spu_gvm_gap(c, 0, 1), SPU_DONE);
    cr_assert_eq(spu_gvm_eof(c, 1), SPU_DONE);
    spu_gvm_conn_stop(c);
    spu_gvm_conn_free(c);
    spu_bundle_unref(b);
    spu_gvm_free(g);
}

/* Connections on an old and a new bundle side by side (a reload): each
 * parses with its own bundle, which lives as long as its connections. */
Test(gvm, two_bundles)
{
    struct spu_error err;
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    struct spu_bundle *b1 = demo_bundle(), *b2 = web_bundle();
    struct counts n1 = {0, 0, 0}, n2 = {0, 0, 0};
    struct spu_gvm_conn *c1 = spu_gvm_conn_new(g, b1, 0, &cnt_hooks, &n1, &err);
    spu_bundle_unref(b1); /* the connection keeps it */
    struct spu_gvm_conn *c2 = spu_gvm_conn_new(g, b2, 0, &cnt_hooks, &n2, &err);
    struct spu_gvm_conn *c3 = spu_gvm_conn_new(g, b2, 0, &cnt_hooks, &n2, &err);
    cr_assert_eq(feed_str(c1, 0, "NOOP\r\n"), SPU_OK);
    cr_assert_eq(feed_str(c2, 0, "GET / HTTP/1.0\r\n\r\n"), SPU_OK);
    spu_gvm_conn_free(c1);
    cr_assert_eq(feed_str(c3, 0, "GET / HTTP/1.0\r\n\r\n"), SPU_OK);
    cr_assert_eq(n1.events, 1);
    cr_assert_eq(n2.events, 2);
    spu_gvm_conn_free(c2);
    spu_gvm_conn_free(c3);
    spu_bundle_unref(b2);
    spu_gvm_free(g);
}
