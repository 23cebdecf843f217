/*
 * test-evelog.c - EVE objects from `log` declarations (runtime/evelog.c):
 * a small HTTP grammar with log declarations compiled by spuc, run by the
 * grammar VM on a conversation; every event goes to evelog_event, every
 * completed transaction to evelog_tx, and the objects emitted are checked
 * as compact JSON with sorted keys.
 */
#include "evelog.h"

#include "arena.h"
#include "bundle.h"
#include "evelog-int.h"
#include "gvm.h"
#include "helper-compile.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char grammar[] =
    "protocol web over tcp {\n"
    "    ports 8080;\n"
    "    transaction request -> response;\n"
    "    token crlf = /\\r?\\n/;\n"
    "    unit header map(name, value) {\n"
    "        name: /[A-Za-z0-9-]+/; \":\"; /[ \\t]*/;\n"
    "        value: /[^\\r\\n]*/; crlf;\n"
    "    }\n"
    "    message request from client {\n"
    "        method: /[A-Z]+/; \" \"; uri: /[^ \\r\\n]+/; \" \";\n"
    "        version: /HTTP\\/[0-9]\\.[0-9]/; crlf;\n"
    "        headers: header* until crlf;\n"
    "        host = headers[\"host\"];\n"
    "        url = split_url(uri);\n"
    "        event web.request;\n"
    "    }\n"
    "    message response from server {\n"
    "        version: /HTTP\\/[0-9]\\.[0-9]/; \" \";\n"
    "        code: /[0-9][0-9][0-9]/; status = int(code); \" \";\n"
    "        reason: /[^\\r\\n]*/; crlf;\n"
    "        headers: header* until crlf;\n"
    "        event web.response;\n"
    "    }\n"
    "    log http on transaction web {\n"
    "        hostname = request.host;\n"
    "        url = request.uri;\n"
    "        http_method = request.method;\n"
    "        protocol = request.version;\n"
    "        status = response.status;\n"
    "        http_user_agent = request.headers[\"user-agent\"];\n"
    "        request_headers = request.headers { name = name; value = value; };\n"
    "        \"/spu.path\" = request.url.path;\n"
    "        \"/spu.ok\" = response.status < 400;\n"
    "        response_headers = response.headers;\n"
    "        \"/spu.request\" = request;\n"
    "    }\n"
    "    log rsp on web.response {\n"
    "        status = status;\n"
    "        method = request.method;\n"
    "        bad = status % (status - status);\n"
    "    }\n"
    "    log ack on web.request alert {\n"
    "        m = method;\n"
    "    }\n"
    "    log req on web.request {\n"
    "        method = method;\n"
    "        \"state\" = response.status;\n"
    "        params = url.params { k = name; };\n"
    "        url.ext = url.ext;\n"
    "    }\n"
    "}\n";

struct out {
    char *text;
    size_t len;
    FILE *f;
    struct evelog *el;
    struct spu_bundle *b;
};

static void emit(void *ctx, const char *type, json_t *obj)
{
    struct out *o = ctx;
    char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_not_null(s);
    cr_assert_not_null(json_object_get(obj, type));
    fprintf(o->f, "%s\n", s);
    free(s);
    json_decref(obj);
}

/* 1: the events go to evelog_alert_event, as an alert's would */
static int as_alert;

static void on_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                     unsigned dir)
{
    struct out *o = ctx;
    struct spu_error err;
    int rc = as_alert ? evelog_alert_event(o->el, o->b, event, rec, emit, o, &err)
                      : evelog_event(o->el, o->b, event, rec, emit, o, &err);
    cr_assert_eq(rc, SPU_OK);
}

static void on_tx(void *ctx, uint64_t tx_id, const struct spu_record *client,
                  const struct spu_record *server)
{
    struct out *o = ctx;
    struct spu_error err;
    cr_assert_eq(evelog_tx(o->el, o->b, 0, client, server, emit, o, &err), SPU_OK);
}

/* Entries left out by the last run because their program faulted. */
static uint64_t last_faults;

struct step {
    unsigned dir; /* SPU_DIR_CLIENT or SPU_DIR_SERVER */
    const char *data;
};

/* Feed the steps in order, then both ends; returns what was emitted. */
static char *run_steps(struct spu_bundle *b, const struct step *steps, size_t n)
{
    struct out o = {0};
    struct spu_error err;
    o.f = open_memstream(&o.text, &o.len);
    o.el = evelog_new(&err);
    o.b = b;
    cr_assert_not_null(o.el);
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    struct spu_gvm_hooks hooks = {.event = on_event, .tx_complete = on_tx};
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, b, 0, &hooks, &o, &err);
    cr_assert_not_null(c);
    for (size_t i = 0; i < n; i++)
        spu_gvm_feed(c, steps[i].dir, (const uint8_t *)steps[i].data, strlen(steps[i].data));
    spu_gvm_eof(c, SPU_DIR_CLIENT);
    spu_gvm_eof(c, SPU_DIR_SERVER);
    spu_gvm_conn_free(c);
    spu_gvm_free(g);
    struct evelog_stats st;
    evelog_get_stats(o.el, &st);
    last_faults = st.faults;
    evelog_free(o.el);
    fclose(o.f);
    return o.text;
}

/* The client's bytes, then the server's. */
static char *run(struct spu_bundle *b, const char *client, const char *server)
{
    struct step steps[] = {{SPU_DIR_CLIENT, client}, {SPU_DIR_SERVER, server}};
    return run_steps(b, steps, 2);
}

#define REQ1 "GET /a/b.html?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n\r\n"
#define RSP1 "HTTP/1.1 200 OK\r\nServer: s\r\n\r\n"

/* One conversation, three objects:
 * - `req` on the request event: a stdlib record array shaped by a block,
 *   a nested path, a keyword path written as a string (`state`: the
 *   response is not there yet, so it is left out);
 * - `rsp` on the response event: the paired request read by name; its
 *   entry `bad` faults (modulo by zero) and is left out and counted;
 * - `http` on the transaction: request and response fields, headers as
 *   objects through a block, a whole array of records without one, and
 *   spu's extras beside it from the root ("/spu..."): a bool, a stdlib
 *   record's field, the whole request record (nested records, arrays). */
Test(evelog, transaction_and_event)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    char *log = run(b, REQ1, RSP1);
    cr_assert_str_eq(
        log,
        "{\"req\":{\"method\":\"GET\",\"params\":[{\"k\":\"x\"},{\"k\":\"y\"}],"
        "\"url\":{\"ext\":\"html\"}}}\n"
        "{\"rsp\":{\"method\":\"GET\",\"status\":200}}\n"
        "{\"http\":{\"hostname\":\"example.com\",\"http_method\":\"GET\","
        "\"http_user_agent\":\"t/1\",\"protocol\":\"HTTP/1.1\","
        "\"request_headers\":[{\"name\":\"Host\",\"value\":\"example.com\"},"
        "{\"name\":\"User-Agent\",\"value\":\"t/1\"}],"
        "\"response_headers\":[{\"name\":\"Server\",\"value\":\"s\"}],\"status\":200,"
        "\"url\":\"/a/b.html?x=1&y=2\"},"
        "\"spu\":{\"ok\":true,\"path\":\"/a/b.html\",\"request\":{"
        "\"headers\":[{\"name\":\"Host\",\"value\":\"example.com\"},"
        "{\"name\":\"User-Agent\",\"value\":\"t/1\"}],\"host\":\"example.com\","
        "\"method\":\"GET\",\"uri\":\"/a/b.html?x=1&y=2\",\"url\":{\"directory\":\"/a/\","
        "\"ext\":\"html\",\"filename\":\"b.html\",\"params\":[{\"name\":\"x\",\"value\":\"1\"},"
        "{\"name\":\"y\",\"value\":\"2\"}],\"path\":\"/a/b.html\",\"port\":0,"
        "\"query\":\"x=1&y=2\"},\"version\":\"HTTP/1.1\"}}}\n");
    cr_assert_eq(last_faults, 1); /* rsp.bad: modulo by zero, left out */
    free(log);
    spu_bundle_unref(b);
}

/* `log ack on web.request alert { }` is an object for alerts only: the
 * records of the event (above) leave it out, an alert's gets it beside the
 * event's own objects. */
Test(evelog, alert_only_log)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    cr_assert(evelog_has_alert(b, 0) || evelog_has_alert(b, 1));
    as_alert = 1;
    char *log = run(b, REQ1, RSP1);
    as_alert = 0;
    cr_assert(strstr(log, "{\"ack\":{\"m\":\"GET\"}}\n{\"req\":{\"method\":\"GET\","), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* A request without a response: its transaction completes at the end of
 * the streams with the server side absent, whose fields are left out
 * (`response.status < 400` is false on null, as in rules; a null url.ext
 * creates no `url` object). */
Test(evelog, transaction_without_response)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    const char req[] = "POST /up HTTP/1.0\r\n\r\n";
    char *log = run(b, req, "");
    cr_assert_str_eq(
        log, "{\"req\":{\"method\":\"POST\"}}\n"
             "{\"http\":{\"http_method\":\"POST\",\"protocol\":\"HTTP/1.0\",\"url\":\"/up\"},"
             "\"spu\":{\"ok\":false,\"path\":\"/up\",\"request\":{\"method\":\"POST\","
             "\"uri\":\"/up\",\"url\":{\"directory\":\"/\",\"filename\":\"up\",\"path\":\"/up\","
             "\"port\":0},\"version\":\"HTTP/1.0\"}}}\n");
    cr_assert_eq(last_faults, 0);
    free(log);
    spu_bundle_unref(b);
}

static void emit_none(void *ctx, const char *type, json_t *obj)
{
    cr_assert_fail("nothing may be emitted (%s)", type);
}

/* Which triggers have logs; indexes out of range and a record of another
 * layout are refused with SPU_EINVAL and emit nothing. */
Test(evelog, triggers_and_bad_arguments)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    uint32_t req = hc_event(b, "web.request"), rsp = hc_event(b, "web.response");
    cr_assert(evelog_has_event(b, req));
    cr_assert(evelog_has_event(b, rsp));
    cr_assert(!evelog_has_event(b, 1000));
    cr_assert(evelog_has_tx(b, 0));
    cr_assert(!evelog_has_tx(b, 1));
    struct spu_error err;
    struct evelog *el = evelog_new(&err);
    cr_assert_not_null(el);
    struct spu_arena *a = spu_arena_new(0, 0);
    struct spu_record *rrec = hc_record(a, b, rsp);
    cr_assert_eq(evelog_event(el, b, 1000, NULL, emit_none, NULL, &err), SPU_EINVAL);
    cr_assert_eq(evelog_event(el, b, req, rrec, emit_none, NULL, &err), SPU_EINVAL);
    cr_assert_not_null(strstr(err.msg, "layout"));
    cr_assert_eq(evelog_tx(el, b, 7, NULL, NULL, emit_none, NULL, &err), SPU_EINVAL);
    struct evelog_stats st;
    evelog_get_stats(el, &st);
    cr_assert_eq(st.records, 0);
    spu_arena_free(a);
    evelog_free(el);
    spu_bundle_unref(b);
}

/* tests/unit/gvm/mail.spg (run from the repository root) with log
 * declarations added inside its protocol. */
static char *mail_grammar(void)
{
    FILE *f = fopen("tests/unit/gvm/mail.spg", "rb");
    cr_assert_not_null(f);
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, k, m);
    fclose(f);
    fclose(m);
    char *end = strrchr(text, '}'); /* the protocol's closing brace */
    cr_assert_not_null(end);
    *end = 0;
    char *g = NULL;
    size_t gn = 0;
    m = open_memstream(&g, &gn);
    fprintf(m,
            "%s\n"
            "    log smtp on transaction mail {\n"
            "        command = command.verb;\n"
            "        arg = command.arg;\n"
            "        data_bytes = StringLength(data.content);\n"
            "        reply.code = reply.status;\n"
            "        reply.lines = reply.lines;\n"
            "        \"/email.status\" = reply.text;\n"
            "    }\n"
            "    log email on mail.body {\n"
            "        subject = subject;\n"
            "        from = headers[\"from\"];\n"
            "        headers = headers { name = name; };\n"
            "    }\n"
            "}\n",
            text);
    fclose(m);
    free(text);
    return g;
}

/* Several client message kinds in one transaction kind (command, data ->
 * reply): each transaction record names the side that came (the data
 * message's transaction has no `command`); a server greeting has no client
 * side; "/email.status" writes a sibling of the `smtp` object. An event of
 * a sub-stream (the mail's body) makes its own object, its header records
 * shaped by a block. */
Test(evelog, smtp_like_transactions_and_substream_event)
{
    char *g = mail_grammar();
    struct spu_bundle *b = hc_bundle(g, NULL);
    free(g);
    cr_assert_not_null(b);
    struct step steps[] = {
        {SPU_DIR_SERVER, "220 mx\r\n"},
        {SPU_DIR_CLIENT, "EHLO a\r\n"},
        {SPU_DIR_SERVER, "250-mx\r\n250 PIPELINING\r\n"},
        {SPU_DIR_CLIENT, "MAIL FROM:<a@b>\r\nDATA\r\n"},
        {SPU_DIR_SERVER, "250 ok\r\n354 go\r\n"},
        {SPU_DIR_CLIENT, "Subject: hi\r\n there\r\nFrom: a\r\n\r\nbody\r\n..dot\r\n.\r\n"
                         "QUIT\r\n"},
        {SPU_DIR_SERVER, "250 queued\r\n221 bye\r\n"},
    };
    char *log = run_steps(b, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(
        log,
        "{\"email\":{\"status\":\"mx\"},\"smtp\":{\"reply\":{\"code\":220}}}\n"
        "{\"email\":{\"status\":\"PIPELINING\"},\"smtp\":{\"arg\":\"a\",\"command\":\"EHLO\","
        "\"reply\":{\"code\":250,\"lines\":[\"mx\"]}}}\n"
        "{\"email\":{\"status\":\"ok\"},\"smtp\":{\"arg\":\"FROM:<a@b>\",\"command\":\"MAIL\","
        "\"reply\":{\"code\":250}}}\n"
        "{\"email\":{\"status\":\"go\"},\"smtp\":{\"command\":\"DATA\",\"reply\":{\"code\":354}}}\n"
        "{\"email\":{\"from\":\"a\",\"headers\":[{\"name\":\"Subject\"},{\"name\":\"From\"}],"
        "\"subject\":\"hithere\"}}\n"
        "{\"email\":{\"status\":\"queued\"},\"smtp\":{\"data_bytes\":42,\"reply\":{\"code\":250}}}"
        "\n"
        "{\"email\":{\"status\":\"bye\"},\"smtp\":{\"command\":\"QUIT\",\"reply\":{\"code\":221}}}"
        "\n");
    cr_assert_eq(last_faults, 0);
    free(log);
    spu_bundle_unref(b);
}

/* Strings: valid UTF-8 kept ("/é"), otherwise bytes above 0x7f as \xNN
 * and the rest kept ("/a", 0xff, 0x01: the control byte is escaped by the
 * JSON encoder). */
Test(evelog, string_bytes)
{
    json_t *s = evelog_json_bytes((const uint8_t *)"/\xc3\xa9", 3);
    cr_assert_str_eq(json_string_value(s), "/\xc3\xa9");
    json_decref(s);
    s = evelog_json_bytes((const uint8_t *)"/a\xff\x01", 4);
    cr_assert_str_eq(json_string_value(s), "/a\\xff\x01");
    char *d = json_dumps(s, JSON_ENCODE_ANY);
    cr_assert_str_eq(d, "\"/a\\\\xff\\u0001\"");
    free(d);
    json_decref(s);
}

/* The fast ways (ASCII without NUL: no UTF-8 check, no key copy) give what
 * jansson's checked ones give, at every length around the word size. */
Test(evelog, ascii_strings_and_keys_as_the_checked_calls)
{
    char buf[40];
    for (size_t n = 0; n < sizeof(buf); n++) {
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)('a' + i % 26);
        json_t *s = evelog_json_bytes((const uint8_t *)buf, (uint32_t)n);
        json_t *w = json_stringn(buf, n);
        cr_assert(json_equal(s, w), "length %zu", n);
        json_decref(s);
        json_decref(w);
        if (n == 0)
            continue;
        /* a NUL, then a byte above 0x7f, at the end: the checked ways */
        for (int k = 0; k < 2; k++) {
            buf[n - 1] = k ? '\x80' : '\0';
            s = evelog_json_bytes((const uint8_t *)buf, (uint32_t)n);
            cr_assert_not_null(s);
            cr_assert_eq(json_string_length(s), k ? n + 3 : n, "length %zu", n);
            json_decref(s);
        }
    }
    json_t *o = json_object();
    cr_assert_eq(evelog_set(o, "name.x", 4, json_integer(1)), 0);
    cr_assert_eq(evelog_set(o, "a\0b", 3, json_integer(2)), 0); /* up to the NUL */
    cr_assert_eq(evelog_set(o, "caf\xc3\xa9", 5, json_integer(3)), 0);
    cr_assert_eq(evelog_set(o, "bad\xff", 4, json_integer(4)), -1); /* not UTF-8: refused */
    char *d = json_dumps(o, JSON_COMPACT);
    cr_assert_str_eq(d, "{\"name\":1,\"a\":2,\"caf\xc3\xa9\":3}");
    free(d);
    json_decref(o);
}
