/* test-app.c - the application layer (runtime/app.c) driven as the TCP
 * layer drives it: characterization by pattern in either direction and by
 * port, unknown traffic left alone, events to the sink, transactions,
 * gaps, and the app_proto the flow record shows. */
#include "app.h"
#include "app-pub.h"
#include "bundle.h"
#include "bundle-view.h"
#include "flow.h"
#include "helper-compile.h"
#include "helper-grammars.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct spu_bundle *http_bundle(void)
{
    return hg_http_bundle();
}

/* What the sinks saw, one line per call. */
struct seen {
    char log[4096];
    size_t len;
    const struct spu_bundle *b; /* of the last event */
    unsigned slot;
};

static void on_event(void *ctx, const struct app_event *ev)
{
    struct seen *s = ctx;
    uint32_t n, len;
    const struct spu_bevent *e = spu_bundle_events(ev->bundle, &n);
    const char *name = spu_bundle_str(ev->bundle, e[ev->event].name, &len);
    s->len += (size_t)snprintf(s->log + s->len, sizeof(s->log) - s->len, "E %.*s tx=%llu dir=%d\n",
                               (int)len, name, (unsigned long long)ev->tx_id, ev->dir);
    s->b = ev->bundle;
    s->slot = ev->bundle_idx;
}

static void on_tx(void *ctx, const struct app_tx *tx)
{
    struct seen *s = ctx;
    s->len += (size_t)snprintf(s->log + s->len, sizeof(s->log) - s->len, "T %s %llu %s%s\n",
                               tx->proto_name, (unsigned long long)tx->tx_id,
                               tx->client ? "c" : "-", tx->server ? "s" : "-");
}

struct fixture {
    struct spu_bundle *b;
    struct app *app;
    const struct stream_consumer *c;
    struct seen seen;
    struct flow f;
};

/* x->app from cfg, its events (and, with on_txn, its transactions)
 * written to x->seen, and a TCP flow 10.0.0.1:40000 -> 10.0.0.2:port
 * (endpoint 0 is the client). */
static void open_app(struct fixture *x, struct app_cfg cfg,
                     void (*on_txn)(void *, const struct app_tx *), uint16_t port)
{
    struct app_sink sink = {&x->seen, on_event};
    struct app_tx_sink tx_sink = {&x->seen, on_txn};
    cfg.sink = &sink;
    cfg.tx_sink = on_txn ? &tx_sink : NULL;
    struct spu_error err = {0};
    x->app = app_new(&cfg, &err);
    cr_assert_not_null(x->app);
    x->c = app_consumer(x->app);
    x->f.key.proto = 6;
    x->f.key.ipver = 4;
    x->f.key.port[0] = 40000;
    x->f.key.port[1] = port;
    x->f.client = 0;
}

/* An app over the HTTP bundle on a flow to `port`. */
static void setup(struct fixture *x, uint16_t port)
{
    memset(x, 0, sizeof(*x));
    x->b = http_bundle();
    open_app(x, (struct app_cfg){.bundles = &x->b, .nbundles = 1}, on_tx, port);
    cr_assert(app_active(x->app));
}

static void feed(struct fixture *x, int dir, const char *s)
{
    x->c->data(x->c->ctx, &x->f, dir, (const uint8_t *)s, strlen(s), 1000000000);
}

static void finish(struct fixture *x)
{
    x->c->close(x->c->ctx, &x->f, STREAM_TOSERVER, STREAM_CLOSE_FIN, 2000000000);
    x->c->close(x->c->ctx, &x->f, STREAM_TOCLIENT, STREAM_CLOSE_FIN, 2000000000);
    x->c->destroy(x->c->ctx, &x->f, x->f.app);
    x->f.app = NULL;
}

static void teardown_fx(struct fixture *x)
{
    app_free(x->app);
    spu_bundle_unref(x->b);
}

static uint64_t counter(struct fixture *x, enum stats_counter id)
{
    return stats_get(app_stats(x->app), id);
}

/* HTTP on port 4444 is recognised by its request line. */
Test(app, pattern_on_any_port)
{
    struct fixture x;
    setup(&x, 4444);
    feed(&x, STREAM_TOSERVER, "GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    feed(&x, STREAM_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    cr_assert_str_eq(x.f.app_proto, "http");
    finish(&x);
    /* the response's body "ok" is a file (fileinfo) */
    cr_assert_str_eq(x.seen.log, "E http.request tx=0 dir=0\n"
                                 "E http.file tx=0 dir=1\n"
                                 "E http.response tx=0 dir=1\n"
                                 "T http 0 cs\n");
    cr_assert_eq(counter(&x, CNT_SPU_APP_FLOWS_PATTERN), 1);
    cr_assert_eq(counter(&x, CNT_SPU_APP_TX), 1);
    teardown_fx(&x);
}

/* The server speaks first here: its status line decides, and the request
 * bytes that came before it (held meanwhile) are parsed from the start;
 * a request line split across chunks is recognised when complete. */
Test(app, pattern_in_either_direction)
{
    struct fixture x;
    setup(&x, 5555);
    feed(&x, STREAM_TOSERVER, "PO");
    cr_assert_null(x.f.app_proto);
    feed(&x, STREAM_TOCLIENT, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    cr_assert_str_eq(x.f.app_proto, "http");
    feed(&x, STREAM_TOSERVER, "ST /f HTTP/1.0\r\nContent-Length: 1\r\n\r\nz");
    finish(&x);
    cr_assert_str_eq(x.seen.log, "E http.response tx=0 dir=1\n"
                                 "E http.request tx=0 dir=0\n"
                                 "T http 0 cs\n");
    teardown_fx(&x);
}

/* TLS on port 4444: no pattern matches in either direction and no
 * protocol claims the port, so the flow is left alone. */
Test(app, unknown_left_alone)
{
    struct fixture x;
    setup(&x, 4444);
    feed(&x, STREAM_TOSERVER, "\x16\x03\x01\x00\x05hello");
    feed(&x, STREAM_TOCLIENT, "\x16\x03\x03\x00\x02hi");
    feed(&x, STREAM_TOSERVER, "GET / HTTP/1.1\r\n\r\n");
    cr_assert_null(x.f.app_proto);
    finish(&x);
    cr_assert_str_eq(x.seen.log, "");
    cr_assert_eq(counter(&x, CNT_SPU_APP_FLOWS_UNKNOWN), 1);
    cr_assert_eq(counter(&x, CNT_SPU_APP_BYTES), 0);
    teardown_fx(&x);
}

/* Port 80 with a request line no pattern knows (method BREW):
 * once both directions have spoken, the port decides, and the grammar
 * parses what it can. */
Test(app, port_decides_when_patterns_fail)
{
    struct fixture x;
    setup(&x, 80);
    feed(&x, STREAM_TOSERVER, "BREW /pot HTTP/1.1\r\n\r\n");
    cr_assert_null(x.f.app_proto);
    feed(&x, STREAM_TOCLIENT, "X");
    cr_assert_str_eq(x.f.app_proto, "http");
    finish(&x);
    cr_assert_not_null(strstr(x.seen.log, "E http.request tx=0 dir=0\n"));
    cr_assert_eq(counter(&x, CNT_SPU_APP_FLOWS_PORT), 1);
    teardown_fx(&x);
}

/* A gap inside a request body: the request ends incomplete, the next
 * request after the gap is parsed, both get responses. */
Test(app, gap_resyncs)
{
    struct fixture x;
    setup(&x, 80);
    feed(&x, STREAM_TOSERVER, "POST /a HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
    x.c->gap(x.c->ctx, &x.f, STREAM_TOSERVER, 8, 1000000000);
    feed(&x, STREAM_TOSERVER, "GET /b HTTP/1.1\r\n\r\n");
    feed(&x, STREAM_TOCLIENT, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    finish(&x);
    cr_assert_str_eq(x.seen.log, "E http.request tx=0 dir=0\n"
                                 "E http.request tx=1 dir=0\n"
                                 "E http.response tx=0 dir=1\n"
                                 "T http 0 cs\n"
                                 "E http.response tx=1 dir=1\n"
                                 "T http 1 cs\n");
    cr_assert_eq(counter(&x, CNT_SPU_APP_GAPS), 1);
    teardown_fx(&x);
}

/* A request whose server never sent a byte (so the TCP layer never closes
 * that direction): the flow's end completes the transaction alone. */
Test(app, unanswered_request_completes_at_flow_end)
{
    struct fixture x;
    setup(&x, 80);
    feed(&x, STREAM_TOSERVER, "GET /lonely HTTP/1.1\r\nHost: a\r\n\r\n");
    x.c->destroy(x.c->ctx, &x.f, x.f.app);
    x.f.app = NULL;
    cr_assert_str_eq(x.seen.log, "E http.request tx=0 dir=0\n"
                                 "T http 0 c-\n");
    teardown_fx(&x);
}


/* A session picked up midstream whose first packet came from the server:
 * the flow's "client" is port 80. No pattern matches the directions as
 * they are, the port on the client side decides, and the directions are
 * swapped for the grammar (and the records' endpoints). */
Test(app, midstream_reversed_by_port)
{
    struct fixture x;
    setup(&x, 80);
    x.f.client = 1; /* endpoint 1 (port 80) sent first */
    feed(&x, STREAM_TOCLIENT, "GET /r HTTP/1.1\r\nHost: a\r\n\r\n");
    feed(&x, STREAM_TOSERVER, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    cr_assert_str_eq(x.f.app_proto, "http");
    finish(&x);
    cr_assert_str_eq(x.seen.log, "E http.request tx=0 dir=1\n"
                                 "E http.response tx=0 dir=0\n"
                                 "T http 0 cs\n");
    teardown_fx(&x);
}

/* Grammar sets published while a keep-alive flow runs (issue 6): a set
 * published in the middle of a request leaves the flow on its bundle
 * until the exchange ends; at the next message boundary the flow moves
 * to the new set's http (its events then come from that bundle, with its
 * slot, and the transaction ids go on); a new flow starts on the current
 * set; the old set is freed with the last flow that used it (ASan and
 * valgrind see it), and a set without http leaves a flow where it is. */
Test(app, grammar_sets_move_at_boundaries)
{
    struct fixture x;
    memset(&x, 0, sizeof(x));
    struct spu_bundle *b1 = http_bundle(), *b2 = http_bundle();
    struct spu_error err = {0};
    struct app_pub *pub = app_pub_new(app_gset_new(&b1, NULL, 1, &err), &err);
    cr_assert_not_null(pub);
    open_app(&x, (struct app_cfg){.pub = pub}, on_tx, 80);
    feed(&x, STREAM_TOSERVER, "GET /a HTTP/1.1\r\nHo");
    unsigned slot2 = 3;
    app_pub_publish(pub, app_gset_new(&b2, &slot2, 1, &err));
    feed(&x, STREAM_TOSERVER, "st: a\r\n\r\n");
    cr_assert_eq(x.seen.b, b1, "a request begun on b1 ends on b1");
    feed(&x, STREAM_TOCLIENT, "HTTP/1.1 204 No Content\r\n\r\n");
    cr_assert_eq(x.seen.b, b1);
    cr_assert_eq(counter(&x, CNT_SPU_APP_GRAMMAR_MOVES), 0);
    /* the boundary: the next request parses with b2, as slot 3 */
    feed(&x, STREAM_TOSERVER, "GET /b HTTP/1.1\r\nHost: a\r\n\r\n");
    cr_assert_eq(x.seen.b, b2);
    cr_assert_eq(x.seen.slot, 3);
    cr_assert_eq(counter(&x, CNT_SPU_APP_GRAMMAR_MOVES), 1);
    feed(&x, STREAM_TOCLIENT, "HTTP/1.1 204 No Content\r\n\r\n");
    /* a set without any grammar: the flow keeps b2 */
    app_pub_publish(pub, app_gset_new(NULL, NULL, 0, &err));
    feed(&x, STREAM_TOSERVER, "GET /c HTTP/1.1\r\nHost: a\r\n\r\n");
    cr_assert_eq(x.seen.b, b2);
    feed(&x, STREAM_TOCLIENT, "HTTP/1.1 204 No Content\r\n\r\n");
    finish(&x);
    cr_assert_str_eq(x.seen.log, "E http.request tx=0 dir=0\n"
                                 "E http.response tx=0 dir=1\n"
                                 "T http 0 cs\n"
                                 "E http.request tx=1 dir=0\n"
                                 "E http.response tx=1 dir=1\n"
                                 "T http 1 cs\n"
                                 "E http.request tx=2 dir=0\n"
                                 "E http.response tx=2 dir=1\n"
                                 "T http 2 cs\n");
    /* a new flow under the empty set is not characterized */
    struct flow f2 = x.f;
    f2.app = NULL;
    f2.app_proto = NULL;
    x.c->data(x.c->ctx, &f2, STREAM_TOSERVER, (const uint8_t *)"GET / HTTP/1.0\r\n\r\n", 18, 1);
    cr_assert_null(f2.app_proto);
    cr_assert_eq(counter(&x, CNT_SPU_APP_GRAMMAR_SETS), 2);
    app_free(x.app);
    app_pub_free(pub);
    spu_bundle_unref(b1);
    spu_bundle_unref(b2);
}

/* Grammar buffers against --app-memcap: a flow whose parse holds more
 * than the cap allows is no longer inspected (counted), its bytes are
 * accounted out at once and nothing stays accounted when flows end; under
 * a roomy cap the same flow parses and its bytes go back to 0 at its end. */
Test(app, grammar_buffers_capped)
{
    static const char *req = "POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 50000\r\n\r\nzzzz";
    for (int roomy = 0; roomy < 2; roomy++) {
        struct fixture x;
        memset(&x, 0, sizeof(x));
        x.b = http_bundle();
        _Atomic int64_t used = 0;
        struct app_cfg cfg = {.bundles = &x.b, .nbundles = 1, .memuse = &used};
        cfg.memcap = roomy ? 64u << 20 : 64;
        open_app(&x, cfg, NULL, 80);
        feed(&x, STREAM_TOSERVER, req);
        if (roomy) {
            cr_assert_gt(atomic_load(&used), 64, "a body being read holds bytes");
            cr_assert_eq(counter(&x, CNT_SPU_APP_MEMCAP), 0);
        } else {
            cr_assert_leq(atomic_load(&used), 64);
            cr_assert_eq(counter(&x, CNT_SPU_APP_MEMCAP), 1);
            feed(&x, STREAM_TOSERVER, "zzzz"); /* ignored: the flow is no longer inspected */
            cr_assert_eq(counter(&x, CNT_SPU_APP_MEMCAP), 1);
        }
        finish(&x);
        cr_assert_eq(atomic_load(&used), 0);
        teardown_fx(&x);
    }
}

/* A connection whose grammar keeps connection state (SMTP: the HELO name,
 * the envelope) is never at a boundary where it may move: after a new set
 * is published it goes on with the bundle it started with. */
Test(app, stateful_connection_stays)
{
    struct fixture x;
    memset(&x, 0, sizeof(x));
    struct spu_bundle *b1 = hg_smtp_bundle(), *b2 = hg_smtp_bundle();
    struct spu_error err = {0};
    struct app_pub *pub = app_pub_new(app_gset_new(&b1, NULL, 1, &err), &err);
    cr_assert_not_null(pub);
    open_app(&x, (struct app_cfg){.pub = pub}, NULL, 25);
    feed(&x, STREAM_TOCLIENT, "220 mx ESMTP\r\n");
    feed(&x, STREAM_TOSERVER, "EHLO client.example\r\n");
    feed(&x, STREAM_TOCLIENT, "250 mx\r\n");
    cr_assert_str_eq(x.f.app_proto, "smtp");
    app_pub_publish(pub, app_gset_new(&b2, NULL, 1, &err));
    feed(&x, STREAM_TOSERVER, "MAIL FROM:<a@example.org>\r\n");
    feed(&x, STREAM_TOCLIENT, "250 ok\r\n");
    feed(&x, STREAM_TOSERVER, "QUIT\r\n");
    cr_assert_eq(x.seen.b, b1, "the session goes on with its bundle");
    cr_assert_eq(counter(&x, CNT_SPU_APP_GRAMMAR_MOVES), 0);
    finish(&x);
    app_free(x.app);
    app_pub_free(pub);
    spu_bundle_unref(b1);
    spu_bundle_unref(b2);
}

/* The length of each transaction's response body as the tx sink sees it
 * ("B<len>"; -1: none). */
static void on_tx_body(void *ctx, const struct app_tx *tx)
{
    struct seen *s = ctx;
    long len = -1;
    const struct spu_bview *v = spu_bundle_view(tx->bundle);
    uint32_t l = tx->server ? tx->server->layout->id : UINT32_MAX;
    for (uint32_t f = 0; l < v->nlayouts && f < v->layouts[l].nfields; f++) {
        const struct spu_bfield *fd = &v->fields[v->layouts[l].first_field + f];
        const char *nm = spu_bview_str(v, fd->name);
        if (nm && fd->name.len == 4 && !memcmp(nm, "body", 4) &&
            tx->server->slot[f].type == SPU_T_STR)
            len = (long)tx->server->slot[f].len;
    }
    s->len += (size_t)snprintf(s->log + s->len, sizeof(s->log) - s->len, "B%ld\n", len);
}

/* Response bodies are kept only while a loaded rule reads them: none with
 * the grammars alone (their size is still known: the file event is
 * raised); a reload to a set with a rule reading them keeps the bodies of
 * the transactions after it, on the flow that moves to the new set at its
 * next message and on a new flow; with --force-magic (magic() reads the
 * bytes) they are kept without any rule. */
Test(app, bodies_kept_while_rules_read_them)
{
    struct spu_bundle *b1 = http_bundle();
    struct spu_bundle *b2 = hg_http_bundle_rules(
        "import http;\nrule sid 1 \"b\" on http.file { if (body ~ \"hello\") Alert(); }\n");
    cr_assert_not_null(b2);
    struct spu_error err = {0};
    struct app_pub *pub = app_pub_new(app_gset_new(&b1, NULL, 1, &err), &err);
    cr_assert_not_null(pub);
    struct fixture x;
    memset(&x, 0, sizeof(x));
    open_app(&x, (struct app_cfg){.pub = pub, .no_magic = true}, on_tx_body, 80);
    static const char req[] = "GET /f.txt HTTP/1.1\r\nHost: a\r\n\r\n";
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
    feed(&x, STREAM_TOSERVER, req);
    feed(&x, STREAM_TOCLIENT, resp);
    app_pub_publish(pub, app_gset_new(&b2, NULL, 1, &err));
    feed(&x, STREAM_TOSERVER, req); /* the flow moves to b2 here */
    feed(&x, STREAM_TOCLIENT, resp);
    finish(&x);
    struct flow f2 = x.f;
    f2.app = NULL;
    f2.app_proto = NULL;
    f2.key.port[0] = 40001;
    x.c->data(x.c->ctx, &f2, STREAM_TOSERVER, (const uint8_t *)req, strlen(req), 3);
    x.c->data(x.c->ctx, &f2, STREAM_TOCLIENT, (const uint8_t *)resp, strlen(resp), 4);
    x.c->destroy(x.c->ctx, &f2, f2.app);
    cr_assert_str_eq(x.seen.log, "E http.request tx=0 dir=0\n"
                                 "E http.file tx=0 dir=1\n"
                                 "E http.response tx=0 dir=1\n"
                                 "B0\n"
                                 "E http.request tx=1 dir=0\n"
                                 "E http.file tx=1 dir=1\n"
                                 "E http.response tx=1 dir=1\n"
                                 "B11\n"
                                 "E http.request tx=0 dir=0\n"
                                 "E http.file tx=0 dir=1\n"
                                 "E http.response tx=0 dir=1\n"
                                 "B11\n");
    app_free(x.app);
    app_pub_free(pub);
    /* --force-magic: kept without a rule */
    memset(&x, 0, sizeof(x));
    x.b = http_bundle();
    open_app(&x, (struct app_cfg){.bundles = &x.b, .nbundles = 1}, on_tx_body, 80);
    feed(&x, STREAM_TOSERVER, req);
    feed(&x, STREAM_TOCLIENT, resp);
    finish(&x);
    cr_assert_not_null(strstr(x.seen.log, "B11\n"), "%s", x.seen.log);
    teardown_fx(&x);
    spu_bundle_unref(b1);
    spu_bundle_unref(b2);
}
