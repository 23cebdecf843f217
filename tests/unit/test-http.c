/* test-http.c - grammars/http.spg compiled by spuc and run by the grammar
 * VM: each HTTP feature of issue 4 on a conversation fed whole, in 1-byte
 * chunks and split at every point (split_invariant), gaps and limits. */
#include "test-gvm.h"

#include "helper-compile.h"
#include "helper-grammars.h"

#include <zlib.h>

static struct spu_bundle *http_bundle(void)
{
    return hg_http_bundle();
}

#define EOFS {GA_EOF, SPU_DIR_CLIENT, NULL, 0}, {GA_EOF, SPU_DIR_SERVER, NULL, 0}
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HAS(log, s) cr_assert_not_null(strstr((log), (s)), "missing %s in\n%s", (s), (log))
#define HASNT(log, s) cr_assert_null(strstr((log), (s)), "unexpected %s in\n%s", (s), (log))
/* no anomaly line (they start "A PROTO.") */
#define NO_ANOMALY(log) HASNT(log, "A http."); HASNT(log, "A html.")


/* The log of a conversation, checked split invariant. */
static char *conv(const struct ga_step *steps, size_t n)
{
    struct spu_bundle *b = http_bundle();
    char *log = split_invariant(b, 0, steps, n);
    spu_bundle_unref(b);
    return log;
}

/* Three requests in one segment (GET, POST with a body, HEAD), answered
 * in one segment: chunked, 204, and a HEAD response whose Content-Length
 * announces no body. Each pairs with its request in order. */
Test(http, pipelining)
{
    struct ga_step steps[] = {
        GA_C("GET /a/b.html?x=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: ua/1\r\n\r\n"
             "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
             "HEAD /h HTTP/1.0\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n"
             "HTTP/1.1 204 No Content\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E http.request tx=0 dir=0 request{method=\"GET\" uri=\"/a/b.html?x=1\"");
    HAS(log, "host=\"example.com\" hostname=\"example.com\" user_agent=\"ua/1\"");
    HAS(log, "directory=\"/a/\" filename=\"b.html\" ext=\"html\" query=\"x=1\"");
    HAS(log, "E http.request tx=1 dir=0 request{method=\"POST\"");
    HAS(log, "body=\"hello\"");
    HAS(log, "E http.request tx=2 dir=0 request{method=\"HEAD\"");
    HAS(log, "E http.response tx=0 dir=1 response{");
    HAS(log, "version=\"HTTP/1.1\" code=\"200\" status=200 reason=\"OK\" "
             "headers=[header{name=\"Transfer-Encoding\" value=\"chunked\"}]");
    HAS(log, "body=\"abcdefg\"");
    HAS(log, "code=\"204\" status=204 reason=\"No Content\"");
    HAS(log, "T 2 request{method=\"HEAD\"");
    NO_ANOMALY(log);
    free(log);
}

/* A chunked request body with extensions and trailers. */
Test(http, chunked_request)
{
    struct ga_step steps[] = {
        GA_C("POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
             "5;name=v\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "body=\"hello world\"");
    HAS(log, "E http.response tx=0 dir=1");
    NO_ANOMALY(log);
    free(log);
}

/* gzip and deflate bodies are decoded (compressed here with zlib). */
static size_t deflate_buf(const char *in, uint8_t *out, size_t cap, int wbits)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    cr_assert_eq(deflateInit2(&z, 6, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)strlen(in);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    cr_assert_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t n = cap - z.avail_out;
    deflateEnd(&z);
    return n;
}

static char *encoded_response(const char *coding, int wbits)
{
    uint8_t z[256];
    size_t zn = deflate_buf("<html>compressed body</html>", z, sizeof(z), wbits);
    static char rsp[1024];
    int h = snprintf(rsp, sizeof(rsp),
                     "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
                     coding, zn);
    memcpy(rsp + h, z, zn);
    struct ga_step steps[] = {
        GA_C("GET / HTTP/1.1\r\nAccept-Encoding: gzip, deflate\r\n\r\n"),
        {GA_FEED, SPU_DIR_SERVER, rsp, (size_t)h + zn},
        EOFS,
    };
    return conv(steps, N(steps));
}

Test(http, gzip_body)
{
    char *log = encoded_response("gzip", 15 + 16);
    HAS(log, "body=\"<html>compressed body</html>\"");
    NO_ANOMALY(log);
    free(log);
}

Test(http, deflate_body)
{
    char *log = encoded_response("deflate", 15);
    HAS(log, "body=\"<html>compressed body</html>\"");
    NO_ANOMALY(log);
    free(log);
}

/* Expect: 100-continue: the interim 100 belongs to the response of the
 * same transaction; the final status is 201. */
Test(http, continue_100)
{
    struct ga_step steps[] = {
        GA_C("PUT /f HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"),
        GA_S("HTTP/1.1 100 Continue\r\n\r\n"),
        GA_C("data"),
        GA_S("HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"),
        GA_C("GET /next HTTP/1.1\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E http.request tx=0 dir=0 request{method=\"PUT\"");
    HAS(log, "body=\"data\"");
    HAS(log, "interims=[interim{line=\"HTTP/1.1 100\"}] version=\"HTTP/1.1\" code=\"201\" "
             "status=201");
    HAS(log, "T 0 request{method=\"PUT\"");
    HAS(log, "E http.request tx=1 dir=0 request{method=\"GET\" uri=\"/next\"");
    HAS(log, "T 1 request{method=\"GET\"");
    HAS(log, "body=\"ok\" version=\"HTTP/1.1\" code=\"200\"");
    NO_ANOMALY(log);
    free(log);
}

/* CONNECT answered 2xx becomes a tunnel: what follows (TLS here) is not
 * parsed and raises nothing. */
Test(http, connect_tunnel)
{
    struct ga_step steps[] = {
        GA_C("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
        GA_S("HTTP/1.1 200 Connection established\r\n\r\n"),
        GA_C("\x16\x03\x01\x00\x05hello"),
        GA_S("\x16\x03\x03\x00\x02hi"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E http.request tx=0 dir=0 request{method=\"CONNECT\" uri=\"example.com:443\"");
    HAS(log, "E http.response tx=0 dir=1 response{");
    HAS(log, "code=\"200\" status=200 reason=\"Connection established\"");
    NO_ANOMALY(log);
    HASNT(log, "tx=1");
    HASNT(log, "T 1 ");
    free(log);
}

/* HTTP/0.9: a simple request (no version, no headers) and its bare
 * document as the response body, up to the end of the connection. */
Test(http, http09)
{
    struct ga_step steps[] = {
        GA_C("GET /old.html\r\n"),
        GA_S("<html>old</html>\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E http.request tx=0 dir=0 request{method=\"GET\" uri=\"/old.html\" "
             "proto_version=\"HTTP/0.9\"");
    HAS(log, "E http.response tx=0 dir=1 response{proto_version=\"HTTP/0.9\" "
             "body=\"<html>old</html>\\x0a\"}");
    NO_ANOMALY(log);
    free(log);
}

/* Folded header lines join their value; names match without regard to
 * case; a repeated header keeps every value. */
Test(http, headers_folded_repeated_case)
{
    struct ga_step steps[] = {
        GA_C("GET / HTTP/1.1\r\nHOST: h.example\r\nUser-Agent: Mozilla/5.0\r\n"
             " (folded)\r\n\tmore\r\nCookie: a=1; b=2\r\n\r\n"),
        GA_S("HTTP/1.1 302 Found\r\nset-cookie: s=1\r\nSet-Cookie: t=2\r\n"
             "content-LENGTH: 2\r\nLocation: /x\r\n\r\nhi"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "host=\"h.example\"");
    HAS(log, "user_agent=\"Mozilla/5.0 (folded)\\x09more\"");
    HAS(log, "cookies=[param{name=\"a\" value=\"1\"}, param{name=\"b\" value=\"2\"}]");
    HAS(log, "set_cookie=[\"s=1\", \"t=2\"]");
    HAS(log, "location=\"/x\"");
    HAS(log, "body=\"hi\"");
    NO_ANOMALY(log);
    free(log);
}

/* A gap inside a response body: anomaly, the response ends incomplete
 * (its event still raised, flagged), and the next response after the gap
 * is found again by the resync pattern (at its status line). */
Test(http, gap_in_body)
{
    struct ga_step steps[] = {
        GA_C("GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123"),
        {GA_GAP, SPU_DIR_SERVER, NULL, 10},
        GA_S("xxxxxxHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "A http.gap\n");
    HAS(log, "code=\"200\"");
    HAS(log, "code=\"404\" status=404 reason=\"Not Found\"");
    HAS(log, "E http.request tx=1 dir=0 request{method=\"GET\" uri=\"/2\"");
    free(log);
}

/* A body over its 1MB limit: stored up to the limit, anomaly
 * field_truncated, the rest consumed, the next response parsed. */
Test(http, body_limit)
{
    size_t big = (1u << 20) + 100;
    char *rsp = malloc(big + 256);
    int h = snprintf(rsp, 256, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", big);
    memset(rsp + h, 'b', big);
    static const char next[] = "HTTP/1.1 204 No Content\r\n\r\n";
    memcpy(rsp + h + big, next, sizeof(next) - 1);
    struct ga_step steps[] = {
        GA_C("GET /big HTTP/1.1\r\n\r\nGET /small HTTP/1.1\r\n\r\n"),
        {GA_FEED, SPU_DIR_SERVER, rsp, (size_t)h + big + sizeof(next) - 1},
        EOFS,
    };
    struct spu_bundle *b = http_bundle();
    struct ga_split whole = {GA_WHOLE, 0, 0, NULL};
    struct ga_result r;
    ga_run(b, 0, steps, N(steps), whole, &r);
    HAS(r.log, "A http.field_truncated\n");
    HAS(r.log, "code=\"204\" status=204");
    HAS(r.log, "T 1 request{method=\"GET\" uri=\"/small\"");
    cr_assert_lt(r.conn.arena_bytes, 4u << 20);
    ga_result_free(&r);
    /* cut in random places, the same */
    struct ga_split rnd = {GA_RANDOM, 0, 12345, NULL};
    struct ga_result r2;
    ga_run(b, 0, steps, N(steps), whole, &r);
    ga_run(b, 0, steps, N(steps), rnd, &r2);
    cr_assert_str_eq(r2.log, r.log);
    ga_result_free(&r);
    ga_result_free(&r2);
    spu_bundle_unref(b);
    free(rsp);
}

/* More requests waiting than limits.pipeline (32): the oldest completes
 * alone, anomaly pipeline_overflow, memory stays bounded. */
Test(http, pipeline_limit)
{
    static char reqs[40 * 32];
    size_t n = 0;
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(reqs + n, sizeof(reqs) - n, "GET /%02d HTTP/1.1\r\n\r\n", i);
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, reqs, n}};
    struct spu_bundle *b = http_bundle();
    struct ga_result r;
    ga_run(b, 0, steps, 1, (struct ga_split){GA_WHOLE, 0, 0, NULL}, &r);
    HAS(r.log, "A http.pipeline_overflow\n");
    HAS(r.log, "T 0 request{method=\"GET\" uri=\"/00\"");
    HAS(r.log, "E http.request tx=39 dir=0 request{method=\"GET\" uri=\"/39\"");
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* A text/html response body is parsed for links and forms (hidden inputs
 * included): the html.document event, whose parent is the response. */
Test(http, html_links_and_forms)
{
    struct ga_step steps[] = {
        GA_C("GET /login HTTP/1.1\r\nHost: shop\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
             "Transfer-Encoding: chunked\r\n\r\n"
             "39\r\n<html><!-- <a href=\"/no\"> --><body><A HREF='/a?x=1'>a</A>\r\n"
             "48\r\n<p>1 < 2</p><form method=post action=\"/do\"><input type=\"hidden\" name=tok\r\n"
             "2b\r\n value=\"s3cr3t\"/><input name=\"user\"></form>\r\n"
             "0\r\n\r\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E html.document tx=0 dir=1 document{links=[anchor{");
    HAS(log, "href=\"/a?x=1\"");
    HASNT(log, "href=\"/no\"");
    HAS(log, "forms=[form{");
    HAS(log, "action=\"/do\" method=\"post\"");
    HAS(log, "name=\"tok\" type=\"hidden\" value=\"s3cr3t\"");
    HAS(log, "name=\"user\"");
    NO_ANOMALY(log);
    free(log);
}

/* A request line without a version followed by header lines is not
 * HTTP/0.9: its headers are parsed (anomaly request_line_missing_protocol)
 * and a line without a colon is kept as a header with no value. */
Test(http, missing_protocol_with_headers)
{
    struct ga_step steps[] = {
        GA_C("GET /\r\nFakeHeader\r\nHost: localhost\r\nUser-Agent: myscript\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "A http.request_line_missing_protocol\n");
    HAS(log, "header{name=\"FakeHeader\" value=\"\"}");
    HAS(log, "user_agent=\"myscript\"");
    HASNT(log, "HTTP/0.9");
    HAS(log, "code=\"200\" status=200");
    HAS(log, "T 0 request{method=\"GET\" uri=\"/\"");
    free(log);
}

/* A URI with blanks in it: the last word is the version when it looks
 * like one, the words before it are the URI. */
Test(http, uri_with_blanks)
{
    struct ga_step steps[] = {
        GA_C("GET /uri afterspace HTTP/1.1\r\nHost: h\r\n\r\n"
             "GET /shell?cd /tmp; wget http://x/y HTTP/1.0\r\n\r\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "E http.request tx=0 dir=0 request{method=\"GET\" uri=\"/uri afterspace\" "
             "version=\"HTTP/1.1\"");
    HAS(log, "E http.request tx=1 dir=0 request{method=\"GET\" uri=\"/shell?cd /tmp; wget "
             "http://x/y\" version=\"HTTP/1.0\"");
    NO_ANOMALY(log);
    free(log);
}

/* The corpus's http-connect-simple: a tunnel that carries HTTP after the
 * 200; nothing of it is parsed, no second transaction. */
Test(http, connect_then_plain_http)
{
    struct ga_step steps[] = {
        GA_C("CONNECT abc:443 HTTP/1.1\r\nUser-Agent: Victor/1.0\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nServer: VictorServer/1.0\r\n\r\n"),
        GA_C("GET / HTTP/1.1\r\nUser-Agent: Victor/1.0\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nServer: VictorServer/1.0\r\n\r\n"),
        EOFS,
    };
    char *log = conv(steps, N(steps));
    HAS(log, "T 0 request{method=\"CONNECT\"");
    HASNT(log, "T 1 ");
    free(log);
}
