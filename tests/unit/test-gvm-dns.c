/* test-gvm-dns.c - grammars/dns.spg compiled by spuc and run by the grammar
 * VM on DNS messages built here byte by byte (RFC 1035 layouts), split in
 * every way: a query with EDNS, an answer with a CNAME chain through
 * compression pointers, AAAA, MX, TXT, SOA, SRV; malformed messages give
 * anomalies. */
#include "test-gvm.h"

#include "evelog.h"
#include "gvm.h"
#include "helper-compile.h"
#include "helper-file.h"

#include <jansson.h>

/* dns.spg and dnstcp.spg: protocol 0 is dns (UDP), 1 dnstcp. */
static struct spu_bundle *dns_bundle(void)
{
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    hf_append(m, "grammars/dns.spg");
    fputs("\n%%\n", m);
    hf_append(m, "grammars/dnstcp.spg");
    fclose(m);
    struct spu_bundle *b = hc_bundle(text, NULL);
    free(text);
    cr_assert_not_null(b, "dns.spg and dnstcp.spg do not compile");
    return b;
}

/* id 0x1234, RD, one question www.example.com A IN, one OPT record
 * (UDP size 4096, DO set) */
#define QUERY                                                                                      \
    "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01"                                             \
    "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01"                                          \
    "\x00\x00\x29\x10\x00\x00\x00\x80\x00\x00\x00"
/* the answer: QR RD RA, the question again (offset 12), www.example.com
 * CNAME web.example.com (web + pointer to offset 16), then web.example.com
 * (a pointer to the CNAME's data at offset 45) A 93.184.216.34 */
#define ANSWER                                                                                     \
    "\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00"                                             \
    "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01"                                          \
    "\xc0\x0c\x00\x05\x00\x01\x00\x00\x0e\x10\x00\x06\x03web\xc0\x10"                              \
    "\xc0\x2d\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x5d\xb8\xd8\x22"

Test(gvm_dns, query_and_cname_answer)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step steps[] = {GA_C(QUERY), GA_S(ANSWER)};
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert(strstr(log, "E dns.query tx=0 dir=0 msg{id=4660 flags=256 qr=0 opcode=0 rcode=0 "
                          "rd=true qdcount=1 ancount=0 nscount=0 arcount=1 queries=[question{"
                          "name=dname{label=[\"www\", \"example\", \"com\"] "
                          "text=\"www.example.com\"} type=1 class=1 rrname=\"www.example.com\""),
              "%s", log);
    cr_assert(strstr(log, "rrtype=\"OPT\" udp_size=4096 ext_rcode=0 edns_version=0 "
                          "dnssec_ok=true}]"), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=0 dir=1 msg{id=4660 flags=33152 qr=1"), "%s", log);
    cr_assert(strstr(log, "rrname=\"www.example.com\" tn=type_name{text=\"CNAME\"} "
                          "rrtype=\"CNAME\" rdata=\"web.example.com\""), "%s", log);
    cr_assert(strstr(log, "rrname=\"web.example.com\" tn=type_name{text=\"A\"} rrtype=\"A\" "
                          "addr=\"]\\xb8\\xd8\\x22\" rdata=\"93.184.216.34\"}]"), "%s", log);
    cr_assert(strstr(log, "\nT 0 query{m=msg{id=4660"), "%s", log);
    cr_assert(!strstr(log, "A dns."), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* ---- EVE records from the log declarations ---- */

struct eve_out {
    FILE *f;
    char *text;
    size_t len;
    struct evelog *el;
    struct spu_bundle *b;
};

static void eve_emit(void *ctx, const char *type, json_t *obj)
{
    struct eve_out *o = ctx;
    char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_not_null(s);
    fprintf(o->f, "%s\n", s);
    free(s);
    json_decref(obj);
}

static void eve_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                      unsigned dir)
{
    struct eve_out *o = ctx;
    struct spu_error err;
    cr_assert_eq(evelog_event(o->el, o->b, event, rec, eve_emit, o, &err), SPU_OK);
}

static void eve_anomaly(void *ctx, const char *name, size_t len)
{
    struct eve_out *o = ctx;
    fprintf(o->f, "anomaly %.*s\n", (int)len, name);
}

/* The EVE objects of a client datagram and a server datagram. */
static char *eve_run(const char *c, size_t cn, const char *s, size_t sn)
{
    struct spu_bundle *b = dns_bundle();
    struct eve_out o = {0};
    struct spu_error err;
    o.f = open_memstream(&o.text, &o.len);
    o.el = evelog_new(&err);
    o.b = b;
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    struct spu_gvm_hooks hooks = {.event = eve_event, .anomaly = eve_anomaly};
    struct spu_gvm_conn *conn = spu_gvm_conn_new(g, b, 0, &hooks, &o, &err);
    cr_assert_not_null(conn);
    spu_gvm_feed(conn, SPU_DIR_CLIENT, (const uint8_t *)c, cn);
    if (s)
        spu_gvm_feed(conn, SPU_DIR_SERVER, (const uint8_t *)s, sn);
    spu_gvm_eof(conn, SPU_DIR_CLIENT);
    spu_gvm_eof(conn, SPU_DIR_SERVER);
    spu_gvm_conn_free(conn);
    spu_gvm_free(g);
    evelog_free(o.el);
    fclose(o.f);
    spu_bundle_unref(b);
    return o.text;
}
#define EVE_RUN(c, s) eve_run((c), sizeof(c) - 1, (s), sizeof(s) - 1)

Test(gvm_dns, eve_records)
{
    char *out = EVE_RUN(QUERY, ANSWER);
    cr_assert_str_eq(out,
                     "{\"dns\":{\"id\":4660,\"opcode\":0,\"rrname\":\"www.example.com\","
                     "\"rrtype\":\"A\",\"type\":\"query\",\"version\":2}}\n"
                     "{\"dns\":{\"answers\":[{\"rdata\":\"web.example.com\","
                     "\"rrname\":\"www.example.com\",\"rrtype\":\"CNAME\",\"ttl\":3600},"
                     "{\"rdata\":\"93.184.216.34\",\"rrname\":\"web.example.com\","
                     "\"rrtype\":\"A\",\"ttl\":60}],\"flags\":\"8180\",\"id\":4660,"
                     "\"opcode\":0,\"qr\":true,\"ra\":true,\"rcode\":\"NOERROR\","
                     "\"rd\":true,\"rrname\":\"www.example.com\",\"rrtype\":\"A\","
                     "\"type\":\"answer\",\"version\":2}}\n");
    free(out);
}

/* example.com ANY, answered with AAAA, MX, TXT (two strings), SRV under
 * _sip._tcp, and an SOA in the authority section; all names compressed
 * against the question's (offset 12) */
#define QUERY_ANY                                                                                  \
    "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"                                             \
    "\x07" "example\x03" "com\x00\x00\xff\x00\x01"
#define ANSWER_ANY                                                                                 \
    "\x00\x01\x85\x80\x00\x01\x00\x04\x00\x01\x00\x00"                                             \
    "\x07" "example\x03" "com\x00\x00\xff\x00\x01"                                                 \
    "\xc0\x0c\x00\x1c\x00\x01\x00\x00\x00\x78\x00\x10"                                             \
    "\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"                             \
    "\xc0\x0c\x00\x0f\x00\x01\x00\x00\x00\x78\x00\x09\x00\x0a\x04mail\xc0\x0c"                     \
    "\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x78\x00\x0c\x05hello\x05world"                           \
    "\x04_sip\x04_tcp\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x78\x00\x0c"                             \
    "\x00\x01\x00\x02\x13\xc4\x03sip\xc0\x0c"                                                      \
    "\xc0\x0c\x00\x06\x00\x01\x00\x00\x0e\x10\x00\x26\x02ns\xc0\x0c\x0ahostmaster\xc0\x0c"         \
    "\x00\x00\x00\x01\x00\x00\x1c\x20\x00\x00\x0e\x10\x00\x09\x3a\x80\x00\x00\x01\x2c"

Test(gvm_dns, record_types)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step steps[] = {GA_C(QUERY_ANY), GA_S(ANSWER_ANY)};
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert(!strstr(log, "A dns."), "%s", log);
    free(log);
    spu_bundle_unref(b);
    char *out = EVE_RUN(QUERY_ANY, ANSWER_ANY);
    cr_assert_str_eq(
        out,
        "{\"dns\":{\"id\":1,\"opcode\":0,\"rrname\":\"example.com\",\"rrtype\":\"ANY\","
        "\"type\":\"query\",\"version\":2}}\n"
        "{\"dns\":{\"aa\":true,\"answers\":["
        "{\"rdata\":\"2001:0db8:0000:0000:0000:0000:0000:0001\",\"rrname\":\"example.com\","
        "\"rrtype\":\"AAAA\",\"ttl\":120},"
        "{\"rdata\":\"mail.example.com\",\"rrname\":\"example.com\",\"rrtype\":\"MX\",\"ttl\":120},"
        "{\"rdata\":\"helloworld\",\"rrname\":\"example.com\",\"rrtype\":\"TXT\",\"ttl\":120},"
        "{\"rrname\":\"_sip._tcp.example.com\",\"rrtype\":\"SRV\",\"srv\":{\"name\":"
        "\"sip.example.com\",\"port\":5060,\"priority\":1,\"weight\":2},\"ttl\":120}],"
        "\"authorities\":[{\"rrname\":\"example.com\",\"rrtype\":\"SOA\",\"soa\":{\"expire\":604800,"
        "\"minimum\":300,\"mname\":\"ns.example.com\",\"refresh\":7200,\"retry\":3600,"
        "\"rname\":\"hostmaster.example.com\",\"serial\":1},\"ttl\":3600}],"
        "\"flags\":\"8580\",\"id\":1,\"opcode\":0,\"qr\":true,\"ra\":true,\"rcode\":\"NOERROR\","
        "\"rd\":true,\"rrname\":\"example.com\",\"rrtype\":\"ANY\",\"type\":\"answer\","
        "\"version\":2}}\n");
    free(out);
}

/* A question whose name points at itself: depth_limit, no hang, and the
 * query event still comes, flagged incomplete. */
Test(gvm_dns, compression_loop)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step steps[] = {GA_C("\x00\x02\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
                                   "\xc0\x0c\x00\x01\x00\x01")};
    char *log = split_invariant(b, 0, steps, 1);
    cr_assert(strstr(log, "A dns.depth_limit\n"), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* A CNAME whose name runs past its rdlength: a parse error inside the
 * record's window; a pointer forward is refused. */
Test(gvm_dns, malformed_lengths)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step s1[] = {GA_S("\x00\x03\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00"
                                "\x01" "a\x00\x00\x05\x00\x01\x00\x00\x00\x01\x00\x02\x05" "abcde\x00")};
    char *log = split_invariant(b, 0, s1, 1);
    cr_assert(strstr(log, "A dns.parse_error\n"), "%s", log);
    cr_assert(!strstr(log, "rdata="), "%s", log);
    free(log);
    struct ga_step s2[] = {GA_S("\x00\x04\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00"
                                "\xc0\x20\x00\x01\x00\x01\x00\x00\x00\x01\x00\x04\x01\x02\x03\x04")};
    log = split_invariant(b, 0, s2, 1);
    cr_assert(strstr(log, "A dns.parse_error\n"), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* A message cut short: incomplete at the end of the stream. */
Test(gvm_dns, truncated)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step steps[] = {GA_C("\x00\x05\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www"),
                              {GA_EOF, SPU_DIR_CLIENT, NULL, 0}};
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert(strstr(log, "A dns.incomplete\n"), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* DNS over TCP: two queries in one segment, each after its length, the
 * answers likewise; the messages are parsed by dns.msg as sub-streams and
 * raise the same events as over UDP, in every split. */
Test(gvm_dns, over_tcp)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step steps[] = {
        GA_C("\x00\x2c" QUERY "\x00\x1d" QUERY_ANY),
        GA_S("\x00\x43" ANSWER),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    char *log = split_invariant(b, 1, steps, 4);
    cr_assert(strstr(log, "E dns.query tx=0 dir=0 msg{id=4660 "), "%s", log);
    cr_assert(strstr(log, "E dns.query tx=1 dir=0 msg{id=1 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=0 dir=1 msg{id=4660 "), "%s", log);
    cr_assert(strstr(log, "rdata=\"93.184.216.34\""), "%s", log);
    cr_assert(strstr(log, "T 0 query{len=44 m=\"\"} response{len=67 m=\"\"}\n"
                          "T 1 query{len=29 m=\"\"} null\n"), "%s", log);
    cr_assert(!strstr(log, "A dns"), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* DNS over TCP pairs by id too: the key `transaction by id` gives in the
 * sub-stream of each message re-pairs the dnstcp message that opened it.
 * Two queries in flight on one connection answered in the reverse order,
 * then an answer no query waits for; in every split. */
Test(gvm_dns, over_tcp_paired_by_id)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step steps[] = {
        GA_C("\x00\x2c" QUERY "\x00\x1d" QUERY_ANY),
        GA_S("\x00\xba" ANSWER_ANY "\x00\x43" ANSWER
             "\x00\x0c\x77\x77\x81\x80\x00\x00\x00\x00\x00\x00\x00\x00"),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    char *log = split_invariant(b, 1, steps, 4);
    cr_assert(strstr(log, "E dns.query tx=0 dir=0 msg{id=4660 "), "%s", log);
    cr_assert(strstr(log, "E dns.query tx=1 dir=0 msg{id=1 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=1 dir=1 msg{id=1 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=0 dir=1 msg{id=4660 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=2 dir=1 msg{id=30583 "), "%s", log);
    cr_assert(strstr(log, "T 1 query{len=29 m=\"\"} response{len=186 m=\"\"}\n"), "%s", log);
    cr_assert(strstr(log, "T 0 query{len=44 m=\"\"} response{len=67 m=\"\"}\n"), "%s", log);
    cr_assert(strstr(log, "T 2 null response{len=12 m=\"\"}\n"), "%s", log);
    cr_assert(!strstr(log, "A dns"), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* Over UDP each datagram is one message (spu_gvm_datagram): a query cut
 * short, an answer whose CNAME overruns its rdlength and a query with
 * bytes after its end each raise an anomaly, and the datagram after each
 * still parses whole: nothing bleeds from one datagram into the next. */
Test(gvm_dns, datagram_bounds)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step steps[] = {
        GA_DC("\x00\x05\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www"),
        GA_DC(QUERY),
        GA_DS("\x00\x03\x81\x80\x00\x00\x00\x01\x00\x00\x00\x00"
              "\x01" "a\x00\x00\x05\x00\x01\x00\x00\x00\x01\x00\x02\x05" "abcde\x00"),
        GA_DS(ANSWER),
        GA_DC(QUERY "\x01\x02\x03"),
        GA_DC(QUERY_ANY),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    struct ga_split whole = {GA_WHOLE, 0, 0, NULL};
    char *log = run_log(b, 0, steps, sizeof(steps) / sizeof(steps[0]), whole);
    if (getenv("SPU_TEST_LOG"))
        fputs(log, stderr);
    const char *t = strstr(log, "A dns.truncated\n");
    cr_assert(t, "%s", log);
    const char *q = strstr(t, "E dns.query tx=1 dir=0 msg{id=4660 ");
    cr_assert(q, "%s", log);
    const char *pe = strstr(q, "A dns.parse_error\n");
    cr_assert(pe, "%s", log);
    const char *a = strstr(pe, "E dns.answer tx=1 dir=1 msg{id=4660 ");
    cr_assert(a, "%s", log);
    cr_assert(strstr(a, "rdata=\"93.184.216.34\""), "%s", log);
    const char *q2 = strstr(a, "E dns.query tx=");
    cr_assert(q2 && strstr(q2, "A dns.truncated\n"), "%s", log);
    cr_assert(strstr(q2, "E dns.query tx=") && strstr(q2, "msg{id=1 "), "%s", log);
    free(log);
    spu_bundle_unref(b);
}

/* Transactions are paired by id (`transaction by id` in dns.msg): two
 * queries answered in the reverse order each get the answer of their id,
 * over datagrams and over a stream split in every way; an answer no query
 * waits for stands alone with anomaly dns.unsolicited_answer. */
Test(gvm_dns, paired_by_id)
{
    struct spu_bundle *b = dns_bundle();
    struct ga_step dg[] = {
        GA_DC(QUERY), GA_DC(QUERY_ANY), GA_DS(ANSWER_ANY), GA_DS(ANSWER),
        GA_DS("\x77\x77\x81\x80\x00\x00\x00\x00\x00\x00\x00\x00"),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    struct ga_split whole = {GA_WHOLE, 0, 0, NULL};
    char *log = run_log(b, 0, dg, sizeof(dg) / sizeof(dg[0]), whole);
    if (getenv("SPU_TEST_LOG"))
        fputs(log, stderr);
    cr_assert(strstr(log, "E dns.query tx=0 dir=0 msg{id=4660 "), "%s", log);
    cr_assert(strstr(log, "E dns.query tx=1 dir=0 msg{id=1 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=1 dir=1 msg{id=1 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=0 dir=1 msg{id=4660 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=2 dir=1 msg{id=30583 "), "%s", log);
    cr_assert(strstr(log, "A dns.unsolicited_answer\n"), "%s", log);
    /* each transaction holds the query and the answer of one id */
    cr_assert(strstr(log, "\nT 1 query{m=msg{id=1 ") && strstr(log, "} response{m=msg{id=1 "),
              "%s", log);
    cr_assert(strstr(log, "\nT 0 query{m=msg{id=4660 ") &&
                  strstr(log, "} response{m=msg{id=4660 "), "%s", log);
    cr_assert(strstr(log, "\nT 2 null response{m=msg{id=30583 "), "%s", log);
    cr_assert(!strstr(log, "id=4660 flags=256 qr=0 opcode=0 rcode=0 rd=true qdcount=1 ancount=0 "
                           "nscount=0 arcount=1 queries=[question{name=dname{label=[\"www\", "
                           "\"example\", \"com\"] text=\"www.example.com\"} type=1 class=1 "
                           "rrname=\"www.example.com\" tn=type_name{text=\"A\"} rrtype=\"A\"}] "
                           "additionals=[rr{name=dname{label=null text=\"\"} type=41 class=4096 "
                           "ttl=32768 rdlength=0 rrname=\"\" tn=type_name{text=\"OPT\"} "
                           "rrtype=\"OPT\" udp_size=4096 ext_rcode=0 edns_version=0 "
                           "dnssec_ok=true}] rn=rcode_name{text=\"NOERROR\"} "
                           "rcode_text=\"NOERROR\"}} response{m=msg{id=1 "), "%s", log);
    free(log);
    struct ga_step st[] = {GA_C(QUERY QUERY_ANY), GA_S(ANSWER_ANY ANSWER)};
    log = split_invariant(b, 0, st, 2);
    cr_assert(strstr(log, "E dns.answer tx=1 dir=1 msg{id=1 "), "%s", log);
    cr_assert(strstr(log, "E dns.answer tx=0 dir=1 msg{id=4660 "), "%s", log);
    cr_assert(!strstr(log, "A dns."), "%s", log);
    free(log);
    spu_bundle_unref(b);
}
