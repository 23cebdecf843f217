/* Unit tests for the importer (compiler/import*.c): Suricata/Snort rules
 * translated, compiled with the real back end and run on hand-made packet
 * records (one keyword per test, each with payloads that must and must
 * not alert); HTTP buffers are checked on the translated text (their
 * fields come from grammars/http.spg); skips and their reasons. */
#include <criterion/criterion.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builtin-api.h"
#include "helper-compile.h"
#include "helper-import.h"
#include "import.h"

/* The .spr of `rules` (all must translate unless `skips` >= 0, then that
 * many must be skipped); malloc'd. */
static char *translate(enum import_dialect d, const char *rules, int skips)
{
    return hi_translate(d, rules, skips >= 0 ? (unsigned)skips : 0);
}

struct pkt {
    const char *payload;
    int tcp_flags, dport, proto;
    const char *src;
};

/* Translate one rule, compile it, run it on a packet record; returns the
 * number of Alert() calls (0 or 1). */
static int alerts(const char *rule, struct pkt p)
{
    char *spr = translate(IMPORT_SURICATA, rule, -1);
    struct spu_bundle *b = hc_bundle(NULL, spr);
    cr_assert_not_null(b, "does not compile:\n%s", spr);
    struct spu_arena *a = spu_arena_new(0, 0);
    uint32_t ev = hc_event(b, "packet");
    struct spu_record *r = hc_record(a, b, ev);
    size_t len = strlen(p.payload);
    hc_set(b, ev, r, "src_ip", hc_ip(a, p.src ? p.src : "10.1.2.3"));
    hc_set(b, ev, r, "dst_ip", hc_ip(a, "192.0.2.1"));
    hc_set(b, ev, r, "src_port", spu_v_int(40000));
    hc_set(b, ev, r, "dst_port", spu_v_int(p.dport ? p.dport : 80));
    hc_set(b, ev, r, "proto", spu_v_int(p.proto ? p.proto : 6));
    hc_set(b, ev, r, "payload_len", spu_v_int((int64_t)len));
    hc_set(b, ev, r, "tcp_flags", spu_v_int(p.tcp_flags));
    hc_set(b, ev, r, "payload", spu_v_str(p.payload, (uint32_t)len));
    struct spu_error err;
    struct spu_vm *vm = spu_vm_new(NULL, &err);
    cr_assert_not_null(vm);
    struct hc_host host;
    hc_host_init(&host);
    struct spu_vm_result res;
    int rc = spu_vm_run_rule(vm, b, 0, r, &hc_host_ops, &host, &res);
    cr_assert_eq(rc, SPU_OK, "rule faulted:\n%s", spr);
    int n = 0;
    for (uint32_t i = 0; i < host.nact; i++)
        n += host.act[i].builtin == SPU_BI_Alert;
    hc_host_fini(&host);
    spu_vm_free(vm);
    spu_arena_free(a);
    spu_bundle_unref(b);
    free(spr);
    return n;
}

#define P(PAYLOAD, ...) ((struct pkt){.payload = (PAYLOAD), __VA_ARGS__})
#define R(OPTS) "alert tcp any any -> any any (msg:\"t\"; " OPTS " sid:1; rev:1;)"
#define RS(OPTS, SID) "alert tcp any any -> any any (msg:\"t\"; " OPTS " sid:" SID "; rev:1;)"

Test(import, content_plain_hex_nocase)
{
    cr_assert_eq(alerts(R("content:\"admin\";"), P("GET /admin HTTP/1.0")), 1);
    cr_assert_eq(alerts(R("content:\"ADMIN\";"), P("GET /admin HTTP/1.0")), 0);
    cr_assert_eq(alerts(R("content:\"ADMIN\"; nocase;"), P("GET /admin HTTP/1.0")), 1);
    cr_assert_eq(alerts(R("content:\"|47 45|T /\";"), P("GET / HTTP/1.0")), 1);
    cr_assert_eq(alerts(R("content:\"|0d 0a|\";"), P("GET / HTTP/1.0")), 0);
    /* escaped quote and semicolon inside a pattern */
    cr_assert_eq(alerts(R("content:\"a\\\"b\\;c\";"), P("xa\"b;cx")), 1);
}

Test(import, content_offset_depth)
{
    cr_assert_eq(alerts(R("content:\"GET\"; depth:3;"), P("GET /")), 1);
    cr_assert_eq(alerts(R("content:\"GET\"; depth:3;"), P(" GET /")), 0);
    cr_assert_eq(alerts(R("content:\"/x\"; offset:4; depth:2;"), P("GET /x")), 1);
    cr_assert_eq(alerts(R("content:\"/x\"; offset:5;"), P("GET /x")), 0);
}

Test(import, content_distance_within_chain)
{
    const char *r = R("content:\"user=\"; content:\"root\"; distance:0; within:4;");
    cr_assert_eq(alerts(r, P("user=root")), 1);
    cr_assert_eq(alerts(r, P("user=bob root")), 0);
    /* the chain retries the first content at its next occurrence */
    cr_assert_eq(alerts(r, P("user=bob&user=root")), 1);
    cr_assert_eq(alerts(R("content:\"a\"; content:\"b\"; distance:2;"), P("a.b")), 0);
    cr_assert_eq(alerts(R("content:\"a\"; content:\"b\"; distance:2;"), P("a..b")), 1);
}

Test(import, content_negation)
{
    cr_assert_eq(alerts(R("content:\"GET\"; content:!\"admin\";"), P("GET /index")), 1);
    cr_assert_eq(alerts(R("content:\"GET\"; content:!\"admin\";"), P("GET /admin")), 0);
    const char *r = R("content:\"pass=\"; content:!\"secret\"; distance:0; within:6;");
    cr_assert_eq(alerts(r, P("pass=hunter")), 1);
    cr_assert_eq(alerts(r, P("pass=secret")), 0);
    /* payload keywords never match an empty payload (Suricata skips it) */
    cr_assert_eq(alerts(R("content:!\"x\";"), P("")), 0);
    cr_assert_eq(alerts(R("content:!\"x\";"), P("y")), 1);
}

Test(import, startswith_endswith)
{
    cr_assert_eq(alerts(R("content:\"GET\"; startswith;"), P("GET /")), 1);
    cr_assert_eq(alerts(R("content:\"GET\"; startswith;"), P("xGET /")), 0);
    cr_assert_eq(alerts(R("content:\".exe\"; endswith;"), P("GET /a.exe")), 1);
    cr_assert_eq(alerts(R("content:\".exe\"; endswith;"), P("GET /a.exe?")), 0);
}

Test(import, fast_pattern_keeps_meaning)
{
    /* the prefilter term is implied by the chain: same verdicts */
    const char *r = R("content:\"abc\"; content:\"longer-one\"; fast_pattern; distance:0;");
    cr_assert_eq(alerts(r, P("abc longer-one")), 1);
    cr_assert_eq(alerts(r, P("longer-one abc")), 0);
    char *spr = translate(IMPORT_SURICATA, r, -1);
    cr_assert_not_null(strstr(spr, "contains(payload, \"longer-one\")"), "%s", spr);
    free(spr);
}

Test(import, pcre_plain_and_relative)
{
    cr_assert_eq(alerts(R("pcre:\"/^GET \\/[a-z]+$/i\";"), P("get /admin")), 1);
    cr_assert_eq(alerts(R("pcre:\"/^GET \\/[a-z]+$/\";"), P("get /admin")), 0);
    cr_assert_eq(alerts(R("pcre:!\"/admin/\";"), P("GET /index")), 1);
    const char *r = R("content:\"id=\"; pcre:\"/^[0-9]+(&|$)/R\";");
    cr_assert_eq(alerts(r, P("x?id=abc&id=42")), 1);
    cr_assert_eq(alerts(r, P("x?id=abc&id=4x")), 0);
    /* escapes stay PCRE's: \\ is a backslash, \; a semicolon */
    cr_assert_eq(alerts(R("pcre:\"/C:\\\\Win\\;/\";"), P("C:\\Win;")), 1);
    cr_assert_eq(alerts(R("pcre:\"/C:\\\\Win\\;/\";"), P("C:Win;")), 0);
    /* a content relative to a non-relative pcre follows the regex's end */
    const char *r2 = R("pcre:\"/k=[0-9]+/\"; content:\";\"; within:1;");
    cr_assert_eq(alerts(r2, P("k=12;")), 1);
    cr_assert_eq(alerts(r2, P("k=12 ;")), 0);
}

Test(import, isdataat)
{
    cr_assert_eq(alerts(R("content:\"cmd=\"; isdataat:!1,relative;"), P("cmd=")), 1);
    cr_assert_eq(alerts(R("content:\"cmd=\"; isdataat:!1,relative;"), P("cmd=x")), 0);
    cr_assert_eq(alerts(R("isdataat:10;"), P("0123456789a")), 1);
    cr_assert_eq(alerts(R("isdataat:10;"), P("0123456789")), 0);
}

Test(import, byte_test_and_jump)
{
    const char *bt = R("content:\"len=\"; byte_test:4,>=,1000,0,relative,string,dec;");
    cr_assert_eq(alerts(bt, P("len=1500")), 1);
    cr_assert_eq(alerts(bt, P("len=0999")), 0);
    cr_assert_eq(alerts(R("byte_test:1,!&,0x40,0;"), P("A")), 0); /* 'A' = 0x41 */
    cr_assert_eq(alerts(R("byte_test:1,!&,0x40,0;"), P("1")), 1); /* '1' = 0x31 */
    const char *bj =
        R("content:\"L=\"; byte_jump:2,0,relative,string,dec; content:\"END\"; within:3;");
    cr_assert_eq(alerts(bj, P("L=03xyzEND")), 1);
    cr_assert_eq(alerts(bj, P("L=02xyzEND")), 0);
}

Test(import, dsize)
{
    cr_assert_eq(alerts(R("dsize:5;"), P("12345")), 1);
    cr_assert_eq(alerts(R("dsize:>5;"), P("12345")), 0);
    cr_assert_eq(alerts(R("dsize:<6;"), P("12345")), 1);
    cr_assert_eq(alerts(R("dsize:2<>5;"), P("12345")), 0); /* exclusive */
    cr_assert_eq(alerts(R("dsize:2<>6;"), P("12345")), 1);
}

Test(import, tcp_flags)
{
    cr_assert_eq(alerts(R("flags:S;"), P("", .tcp_flags = 0x02)), 1);
    cr_assert_eq(alerts(R("flags:S;"), P("", .tcp_flags = 0x12)), 0);
    cr_assert_eq(alerts(R("flags:S,12;"), P("", .tcp_flags = 0xc2)), 1); /* CWR, ECE ignored */
    cr_assert_eq(alerts(R("flags:+S;"), P("", .tcp_flags = 0x12)), 1);
    cr_assert_eq(alerts(R("flags:*FR;"), P("", .tcp_flags = 0x14)), 1);
    cr_assert_eq(alerts(R("flags:*FR;"), P("", .tcp_flags = 0x10)), 0);
    cr_assert_eq(alerts(R("flags:!A;"), P("", .tcp_flags = 0x10)), 0);
    cr_assert_eq(alerts(R("flags:0;"), P("", .tcp_flags = 0)), 1);
}

Test(import, header_addresses_ports_protocol)
{
    const char *hdr = "alert tcp 10.0.0.0/8 any -> any [80,8080] (msg:\"t\"; sid:1;)";
    cr_assert_eq(alerts(hdr, P("x", .dport = 8080)), 1);
    cr_assert_eq(alerts(hdr, P("x", .dport = 81)), 0);
    cr_assert_eq(alerts(hdr, P("x", .src = "192.168.1.1")), 0);
    const char *neg =
        "alert tcp ![10.0.0.0/8,192.168.0.0/16] any -> any !1:1023 (msg:\"t\"; sid:1;)";
    cr_assert_eq(alerts(neg, P("x", .src = "172.16.0.1", .dport = 2000)), 1);
    cr_assert_eq(alerts(neg, P("x", .src = "172.16.0.1", .dport = 80)), 0);
    cr_assert_eq(alerts(neg, P("x", .src = "10.0.0.1", .dport = 2000)), 0);
    cr_assert_eq(alerts("alert udp any any -> any any (msg:\"t\"; sid:1;)", P("x")), 0);
    cr_assert_eq(alerts("alert udp any any -> any any (msg:\"t\"; sid:1;)", P("x", .proto = 17)),
                 1);
    /* both directions */
    const char *bi = "alert tcp 192.0.2.1 any <> any 40000 (msg:\"t\"; sid:1;)";
    cr_assert_eq(alerts(bi, P("x")), 1);
}

Test(import, attributes_and_variables_in_text)
{
    char *spr =
        translate(IMPORT_SURICATA,
                  "alert tcp $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:\"ET x \\\"q\\\"\"; "
                  "content:\"a\"; reference:url,example.com/a; reference:cve,2020-1; "
                  "classtype:trojan-activity; priority:2; gid:3; sid:20001; rev:7; "
                  "metadata:created_at 2020_01_01, former_category X;)\n",
                  -1);
    const char *want[] = {
        "rule gid 3 sid 20001 rev 7",
        "msg \"ET x \\\"q\\\"\"",
        "classtype trojan-activity priority 2",
        "reference url \"example.com/a\"",
        "reference cve \"2020-1\"",
        "metadata \"created_at 2020_01_01\"",
        "metadata \"former_category X\"",
        "list HOME_NET from \"vars/HOME_NET\";",
        "list EXTERNAL_NET_except from \"vars/EXTERNAL_NET_except\";",
        "src_ip in HOME_NET && !(src_ip in HOME_NET_except)",
        "(str(dst_port) in HTTP_PORTS || \"any\" in HTTP_PORTS) && !(str(dst_port) in "
        "HTTP_PORTS_except)",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(spr, want[i]), "missing %s in\n%s", want[i], spr);
    free(spr);
}

Test(import, http_sticky_buffers_and_modifiers)
{
    char *spr = translate(IMPORT_SURICATA,
                          "alert http any any -> any any (msg:\"t\"; flow:established,to_server; "
                          "http.method; content:\"POST\"; http.uri; content:\"/a.php\"; endswith; "
                          "http.header_names; content:!\"Referer\"; http.user_agent; "
                          "content:\"curl\"; sid:1;)\n"
                          "alert http any any -> any any (msg:\"t\"; flow:established,to_client; "
                          "http.stat_code; content:\"200\"; file.data; content:\"MZ\"; "
                          "within:2; http.uri; content:\"x\"; sid:2;)\n"
                          "alert tcp any any -> any any (msg:\"t\"; content:\"/cgi\"; http_uri; "
                          "content:\"Mozilla\"; http_header; pcre:\"/bot/V\"; sid:3;)\n",
                          -1);
    const char *want[] = {
        "import http;",
        "on http.request",
        "content_match(method, \"POST\", \"\")",
        "content_match(normalized_uri, \"/a.php\", \"endswith\")",
        "content_match(header_block(headers, names: true), \"Referer\", \"not\")",
        "content_match(user_agent, \"curl\", \"\")",
        "on http.response",
        "content_match(code, \"200\", \"\")",
        "content_match(body, \"MZ\", \"within 2\")",
        "content_match(request.normalized_uri, \"x\", \"\")",
        "content_match(header_block(headers), \"Mozilla\", \"\")",
        "user_agent ~ /bot/",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(spr, want[i]), "missing %s in\n%s", want[i], spr);
    free(spr);
}

Test(import, flowbits)
{
    char *spr = translate(IMPORT_SURICATA,
                          RS("content:\"a\"; flowbits:set,ET.x; flowbits:noalert;", "1") "\n" RS(
                              "content:\"b\"; flowbits:isset,ET.x; flowbits:unset,ET.x;",
                              "2") "\n" RS("flowbits:isnotset,ET.x;", "3"),
                          -1);
    const char *want[] = {"flow {\n    int fb_ET_2Ex;\n}", "flow.fb_ET_2Ex = 1;",
                          "flow.fb_ET_2Ex == 1", "flow.fb_ET_2Ex = 0;", "!(flow.fb_ET_2Ex == 1)"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(spr, want[i]), "missing %s in\n%s", want[i], spr);
    /* noalert: the first rule sets without alerting */
    char *first = strstr(spr, "sid 1 rev 1");
    char *second = first ? strstr(first + 1, "rule gid") : NULL;
    cr_assert(first && second);
    cr_expect_null(memmem(first, (size_t)(second - first), "Alert()", 7));
    free(spr);
}

Test(import, threshold_as_session)
{
    char *spr = translate(IMPORT_SURICATA,
                          "alert http any any -> any any (msg:\"t\"; flow:to_server; "
                          "http.uri; content:\"x\"; threshold:type limit, track by_src, "
                          "count 1, seconds 60; sid:5;)",
                          -1);
    const char *want[] = {"session thr_flow_src_0 keyed by flow.src_ip ttl 60s { int n_1_5; int "
                          "t0_1_5; }",
                          "now() - thr_flow_src_0.t0_1_5 >= 60000",
                          "if (thr_flow_src_0.n_1_5 <= 1) {"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(spr, want[i]), "missing %s in\n%s", want[i], spr);
    free(spr);
}

Test(import, skipped_with_reason)
{
    const char *rules = R(
        "content:\"a\"; byte_extract:1,0,len;") "\n"
                                                "alert ssh any any -> any any (msg:\"t\"; "
                                                "ssh.proto; content:\"x\"; sid:2;)\n"
                                                "alert http any any -> any any (msg:\"t\"; "
                                                "content:\"a\"; http.uri; "
                                                "content:\"b\"; sid:3;)\n"
                                                "# alert tcp any any -> any any (msg:\"disabled\"; "
                                                "sid:4;)\n" R("content:\"ok\";") "\n" R(
                                                    "content:\"again\";") "\n"
                                                                          "alert smtp any any -> "
                                                                          "any any (msg:\"t\"; "
                                                                          "http.uri; "
                                                                          "content:\"x\"; "
                                                                          "sid:6;)\n";
    struct spu_error err;
    struct importer *im = importer_new(IMPORT_SURICATA, &err);
    char *diag = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&diag, &n);
    cr_assert_eq(importer_add_rules(im, "t.rules", rules, strlen(rules), m), SPU_OK);
    fclose(m);
    cr_assert_eq(importer_translated(im), 1);
    cr_assert_eq(importer_skipped(im), 5);
    cr_expect_not_null(strstr(diag, "t.rules:6: sid 1: sid: (gid, sid) already used"), "%s", diag);
    cr_expect_not_null(strstr(diag, "t.rules:7: sid 6: protocol: HTTP buffers on an smtp rule"),
                       "%s", diag);
    cr_expect_not_null(strstr(diag, "t.rules:1: sid 1: byte_extract: keyword not supported"), "%s",
                       diag);
    cr_expect_not_null(strstr(diag, "t.rules:2: sid 2: ssh.proto: keyword not supported"), "%s",
                       diag);
    cr_expect_not_null(strstr(diag, "t.rules:3: sid 3: content: payload content together with "
                                    "HTTP buffers"),
                       "%s", diag);
    free(diag);
    importer_free(im);
}

Test(import, snort2_uricontent_and_modifiers)
{
    char *spr = translate(IMPORT_SNORT2,
                          "alert tcp $EXTERNAL_NET any -> $HOME_NET $HTTP_PORTS (msg:\"t\"; "
                          "flow:to_server,established; uricontent:\"/x.cgi\"; nocase; "
                          "content:\"cmd=\"; http_client_body; sid:9;)",
                          -1);
    cr_expect_not_null(strstr(spr, "content_match(normalized_uri, \"/x.cgi\", \"nocase\")"), "%s",
                       spr);
    cr_expect_not_null(strstr(spr, "content_match(body, \"cmd=\", \"\")"), "%s", spr);
    free(spr);
}

Test(import, snort3_inline_modifiers_sticky_buffers_service_header)
{
    char *spr =
        translate(IMPORT_SNORT3,
                  "alert http ( msg:\"t\"; flow:to_server,established; http_uri; "
                  "content:\"/a,b.php\",fast_pattern,nocase; content:\"x=\",distance 0,within 8; "
                  "bufferlen:10<=>40; service:http; sid:11; rev:2; )\n"
                  "alert tcp $HOME_NET 2589 -> $EXTERNAL_NET any ( msg:\"p\"; "
                  "content:\"2|00 00|Drives\",depth 16; sid:12; rev:1; )\n",
                  -1);
    const char *want[] = {
        "on http.request",
        "contains(normalized_uri, \"/a,b.php\", nocase: true)",
        "content_match(normalized_uri, \"/a,b.php\", \"nocase\", \"x=\", \"distance 0 within 8\")",
        "StringLength(normalized_uri) >= 10 && StringLength(normalized_uri) <= 40",
        "content_match(payload, \"2\\x00\\x00Drives\", \"depth 16\")",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(spr, want[i]), "missing %s in\n%s", want[i], spr);
    free(spr);
    /* and the payload rule runs */
    char *one =
        translate(IMPORT_SNORT3,
                  "alert tcp any any -> any any ( msg:\"p\"; content:\"GET\",depth 3,nocase; "
                  "sid:13; )\n",
                  -1);
    struct spu_bundle *b = hc_bundle(NULL, one);
    cr_assert_not_null(b, "%s", one);
    spu_bundle_unref(b);
    free(one);
}

static void write_tmp(char *path, const char *text)
{
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

Test(import, classification_and_threshold_files)
{
    char cls[] = "/tmp/spu-import-cls-XXXXXX", thr[] = "/tmp/spu-import-thr-XXXXXX";
    write_tmp(cls, "# c\nconfig classification: trojan-activity,A Network Trojan was detected,1\n");
    write_tmp(thr, "threshold gen_id 1, sig_id 1, type limit, track by_src, count 2, seconds 30\n"
                   "suppress gen_id 1, sig_id 2, track by_dst, ip 10.0.0.0/8\n"
                   "suppress gen_id 1, sig_id 3\n");
    struct spu_error err;
    spu_error_clear(&err);
    struct importer *im = importer_new(IMPORT_SURICATA, &err);
    cr_assert_eq(importer_read_classification(im, cls, &err), SPU_OK, "%s", err.msg);
    cr_assert_eq(importer_read_threshold(im, thr, &err), SPU_OK, "%s", err.msg);
    const char *rules =
        "alert http any any -> any any (msg:\"a\"; flow:to_server; http.uri; content:\"x\"; "
        "classtype:trojan-activity; sid:1;)\n"
        "alert http any any -> any any (msg:\"b\"; flow:to_server; http.uri; content:\"y\"; "
        "sid:2;)\n"
        "alert http any any -> any any (msg:\"c\"; flow:to_server; http.uri; content:\"z\"; "
        "flowbits:set,seen; sid:3;)\n";
    cr_assert_eq(importer_add_rules(im, "t.rules", rules, strlen(rules), NULL), SPU_OK);
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    cr_assert_eq(importer_write(im, m), SPU_OK);
    fclose(m);
    importer_free(im);
    unlink(cls);
    unlink(thr);
    const char *want[] = {"classtype trojan-activity priority 1",
                          "session thr_flow_src_0 keyed by flow.src_ip ttl 30s",
                          "if (thr_flow_src_0.n_1_1 <= 2) {",
                          "if (!(flow.dst_ip in cidr(\"10.0.0.0/8\"))) {"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        cr_expect_not_null(strstr(text, want[i]), "missing %s in\n%s", want[i], text);
    /* sid 3 suppressed: its flowbit is still set, it never alerts */
    char *r3 = strstr(text, "sid 3 rev 1");
    cr_assert_not_null(r3);
    cr_expect_not_null(strstr(r3, "flow.fb_seen = 1;"));
    cr_expect_null(strstr(r3, "Alert()"), "%s", r3);
    free(text);
    /* a bad line is an error with its place */
    char bad[] = "/tmp/spu-import-bad-XXXXXX";
    write_tmp(bad, "threshold gen_id 1, sig_id 1, type limit\n");
    im = importer_new(IMPORT_SURICATA, &err);
    cr_assert_neq(importer_read_threshold(im, bad, &err), SPU_OK);
    cr_expect_not_null(strstr(err.msg, ":1: incomplete entry"), "%s", err.msg);
    importer_free(im);
    unlink(bad);
}

/* the clock of the threshold test (test-only state) */
static int64_t test_now;
static int64_t test_now_ms(void *ctx)
{
    (void)ctx;
    return test_now;
}

Test(import, thresholds_share_sessions_sixteen_rules_each)
{
    char rules[40000] = "";
    size_t k = 0;
    for (int i = 1; i <= 40; i++)
        k += (size_t)snprintf(rules + k, sizeof(rules) - k,
                              "alert http any any -> any any (msg:\"t\"; flow:to_server; "
                              "http.uri; content:\"x\"; threshold:type limit, track by_src, "
                              "count 1, seconds %d; sid:%d;)\n",
                              i, i);
    char *spr = translate(IMPORT_SURICATA, rules, -1);
    cr_expect_not_null(strstr(spr, "session thr_flow_src_0 keyed by flow.src_ip ttl 16s"), "%s",
                       spr);
    cr_expect_not_null(strstr(spr, "session thr_flow_src_2 keyed by flow.src_ip ttl 40s"));
    cr_expect_null(strstr(spr, "thr_flow_src_3"));
    free(spr);
}

Test(import, threshold_on_packet_rule_tracks_the_packet_source)
{
    /* no flow direction: the session is keyed by the packet's own source */
    char *spr = translate(IMPORT_SURICATA,
                          R("content:\"x\"; threshold:type threshold, track by_src, count 2, "
                            "seconds 60;"),
                          -1);
    cr_assert_not_null(strstr(spr, "thr_packet_src_0 keyed by packet.src_ip"), "%s", spr);
    struct spu_bundle *b = hc_bundle(NULL, spr);
    cr_assert_not_null(b, "%s", spr);
    struct spu_arena *a = spu_arena_new(0, 0);
    uint32_t ev = hc_event(b, "packet");
    struct spu_error err;
    struct spu_vm *vm = spu_vm_new(NULL, &err);
    struct hc_host host;
    hc_host_init(&host);
    struct spu_host ops = hc_host_ops;
    ops.now_ms = test_now_ms;
    /* (source, time in s) -> alert? : every 2nd match of a source in its window */
    static const struct {
        const char *src;
        int64_t t;
        int want;
    } seq[] = {{"10.0.0.1", 0, 0}, {"10.0.0.2", 1, 0},  {"10.0.0.1", 2, 1}, {"10.0.0.1", 3, 0},
               {"10.0.0.2", 4, 1}, {"10.0.0.1", 70, 0}, {"10.0.0.1", 71, 1}};
    for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
        struct spu_record *r = hc_record(a, b, ev);
        hc_set(b, ev, r, "src_ip", hc_ip(a, seq[i].src));
        hc_set(b, ev, r, "proto", spu_v_int(6));
        hc_set(b, ev, r, "payload_len", spu_v_int(1));
        hc_set(b, ev, r, "payload", spu_v_str("x", 1));
        test_now = seq[i].t * 1000;
        uint32_t before = host.nact;
        struct spu_vm_result res;
        cr_assert_eq(spu_vm_run_rule(vm, b, 0, r, &ops, &host, &res), SPU_OK);
        cr_expect_eq(host.nact - before, (uint32_t)seq[i].want, "step %zu (%s at %lld s)", i,
                     seq[i].src, (long long)seq[i].t);
    }
    hc_host_fini(&host);
    spu_vm_free(vm);
    spu_arena_free(a);
    spu_bundle_unref(b);
    free(spr);
}
