/*
 * test-evelog.c - EVE objects from `log` declarations (runtime/evelog.c):
 * a small HTTP grammar with log declarations compiled by spuc, run by the
 * grammar VM on a conversation; every event goes to evelog_event, every
 * completed transaction to evelog_tx, and the objects emitted are checked
 * as compact JSON with sorted keys.
 */
#include "evelog.h"

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
    "        spu.path = request.url.path;\n"
    "        spu.ok = response.status < 400;\n"
    "        response_headers = response.headers;\n"
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

static void on_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                     unsigned dir)
{
    struct out *o = ctx;
    struct spu_error err;
    cr_assert_eq(evelog_event(o->el, o->b, event, rec, emit, o, &err), SPU_OK);
}

static void on_tx(void *ctx, uint64_t tx_id, const struct spu_record *client,
                  const struct spu_record *server)
{
    struct out *o = ctx;
    struct spu_error err;
    cr_assert_eq(evelog_tx(o->el, o->b, 0, client, server, emit, o, &err), SPU_OK);
}

/* Feed the two streams (client first) and return what was emitted. */
static char *run(struct spu_bundle *b, const char *client, size_t clen, const char *server,
                 size_t slen)
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
    spu_gvm_feed(c, SPU_DIR_CLIENT, (const uint8_t *)client, clen);
    spu_gvm_feed(c, SPU_DIR_SERVER, (const uint8_t *)server, slen);
    spu_gvm_eof(c, SPU_DIR_CLIENT);
    spu_gvm_eof(c, SPU_DIR_SERVER);
    spu_gvm_conn_free(c);
    spu_gvm_free(g);
    struct evelog_stats st;
    evelog_get_stats(o.el, &st);
    cr_assert_eq(st.faults, 0);
    evelog_free(o.el);
    fclose(o.f);
    return o.text;
}

#define REQ1                                                                                       \
    "GET /a/b.html?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: t/1\r\n\r\n"
#define RSP1 "HTTP/1.1 200 OK\r\nServer: s\r\n\r\n"

/* A transaction gives one `http` object (request and response fields,
 * headers as objects through a block, a whole array of records without
 * one, a nested path, a bool), and the request event one `req` object (a
 * stdlib record array through a block, a keyword path written as a
 * string, the response not there yet so `state` is left out). */
Test(evelog, transaction_and_event)
{
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    char *log = run(b, REQ1, strlen(REQ1), RSP1, strlen(RSP1));
    cr_assert_str_eq(
        log,
        "{\"req\":{\"method\":\"GET\",\"params\":[{\"k\":\"x\"},{\"k\":\"y\"}],"
        "\"url\":{\"ext\":\"html\"}}}\n"
        "{\"http\":{\"hostname\":\"example.com\",\"http_method\":\"GET\","
        "\"http_user_agent\":\"t/1\",\"protocol\":\"HTTP/1.1\","
        "\"request_headers\":[{\"name\":\"Host\",\"value\":\"example.com\"},"
        "{\"name\":\"User-Agent\",\"value\":\"t/1\"}],"
        "\"response_headers\":[{\"name\":\"Server\",\"value\":\"s\"}],"
        "\"spu\":{\"ok\":true,\"path\":\"/a/b.html\"},\"status\":200,"
        "\"url\":\"/a/b.html?x=1&y=2\"}}\n");
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
    char *log = run(b, req, strlen(req), "", 0);
    cr_assert_str_eq(log,
                     "{\"req\":{\"method\":\"POST\"}}\n"
                     "{\"http\":{\"http_method\":\"POST\",\"protocol\":\"HTTP/1.0\","
                     "\"spu\":{\"ok\":false,\"path\":\"/up\"},\"url\":\"/up\"}}\n");
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
