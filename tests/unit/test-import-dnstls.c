/* Unit tests for the importer's DNS and TLS keywords (compiler/import*.c,
 * import-bufs.c): each keyword's translation (event, field, loop over the
 * instances of a multi-valued buffer), that it compiles with the shipped
 * grammars (grammars/dns.spg, dnstcp.spg, tls.spg), and the skips that
 * keep meaning (buffers of two messages, wrong direction, payload mixed
 * in). Alerts on real captures: tests/e2e/import-dns-tls.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper-import.h"

static char *translate(const char *rules, unsigned skips)
{
    return hi_translate(IMPORT_SURICATA, rules, skips);
}

static const char *const grammars[] = {"grammars/dns.spg", "grammars/dnstcp.spg",
                                       "grammars/tls.spg", NULL};

static void compiles(const char *spr)
{
    hi_compiles(spr, grammars);
}

/* Translate `rules` (none skipped), expect each string of `want` (NULL
 * terminated) in the translation and `absent` (when not NULL) nowhere in
 * it, and compile it. */
static void check(const char *rules, const char *const *want, const char *absent)
{
    char *spr = translate(rules, 0);
    for (size_t i = 0; want[i]; i++)
        cr_expect_not_null(strstr(spr, want[i]), "missing %s in\n%s", want[i], spr);
    if (absent)
        cr_expect_null(strstr(spr, absent), "%s in\n%s", absent, spr);
    compiles(spr);
    free(spr);
}

Test(import_dnstls, dns_query_each_name)
{
    check("alert dns $HOME_NET any -> any any (msg:\"d\"; dns.query; "
          "content:\"evil.com\"; nocase; endswith; sid:1;)\n"
          "alert udp any any -> any 53 (msg:\"d4\"; dns_query; content:\"x\"; "
          "sid:2;)\n",
          (const char *const[]){
              "import dns;",
              "on dns.query",
              "for (q in queries) {",
              "content_match(q.rrname, \"evil.com\", \"nocase endswith\")",
              "content_match(q.rrname, \"x\", \"\")",
              "(flow.dst_port == 53)",
              "break;",
              NULL,
          },
          "import tls;");
}

Test(import_dnstls, dotprefix)
{
    check("alert dns any any -> any any (msg:\"d\"; dns.query; dotprefix; "
          "content:\".evil.com\"; endswith; sid:1;)\n"
          "alert tls any any -> any any (msg:\"t\"; tls.sni; dotprefix; "
          "content:\".evil.com\"; endswith; bsize:9; sid:2;)\n",
          (const char *const[]){
              "content_match(\".\" + q.rrname, \".evil.com\", \"endswith\")",
              "content_match(\".\" + sni, \".evil.com\", \"endswith\")",
              "StringLength(\".\" + sni) == 9",
              NULL,
          },
          NULL);
    /* a transform after the buffer's first content, or on a buffer
     * without one, is skipped */
    free(translate("alert dns any any -> any any (msg:\"d\"; dns.query; content:\"a\"; "
                   "dotprefix; content:\".b\"; sid:1;)\n"
                   "alert tls any any -> any any (msg:\"t\"; tls.cert_subject; dotprefix; "
                   "content:\".b\"; sid:2;)\n",
                   2));
}

Test(import_dnstls, tls_client_hello)
{
    check("alert tls $HOME_NET any -> $EXTERNAL_NET any (msg:\"s\"; "
          "flow:established,to_server; tls.sni; content:\"a.example\"; "
          "startswith; sid:1;)\n"
          "alert tls any any -> any any (msg:\"j\"; ja3.hash; "
          "content:\"e7d705a3286e19ea42f587b344ee6865\"; sid:2;)\n"
          "alert tls any any -> any any (msg:\"j4\"; ja3_hash; content:\"ab\"; "
          "tls_sni; content:\"b\"; sid:3;)\n",
          (const char *const[]){
              "import tls;",
              "on tls.client_hello",
              "(flow.src_ip in HOME_NET && !(flow.src_ip in HOME_NET_except))",
              "(flow.dst_ip in EXTERNAL_NET",
              "content_match(sni, \"a.example\", \"startswith\")",
              "content_match(ja3_hash, \"e7d705a3286e19ea42f587b344ee6865\", \"\")",
              "content_match(ja3_hash, \"ab\", \"\")",
              "content_match(sni, \"b\", \"\")",
              NULL,
          },
          "for (");
}

Test(import_dnstls, tls_certificate)
{
    check("alert tls $EXTERNAL_NET any -> $HOME_NET any (msg:\"c\"; "
          "flow:established,to_client; tls.cert_subject; content:\"CN=x\"; "
          "tls.cert_issuer; content:\"O=y\"; tls.cert_serial; content:\"00:01\"; "
          "tls.cert_fingerprint; content:\"3a:0b\"; sid:1;)\n"
          "alert tls any any -> any any (msg:\"certs\"; tls.certs; "
          "content:\"|06 03 55 04 03|\"; content:\"x\"; distance:0; sid:2;)\n",
          (const char *const[]){
              "on tls.certificate",
              /* the packet's source is the server: flow.dst_ip */
              "(flow.dst_ip in EXTERNAL_NET",
              "(flow.src_ip in HOME_NET",
              "content_match(leaf.subject, \"CN=x\", \"\")",
              "content_match(leaf.issuerdn, \"O=y\", \"\")",
              "content_match(leaf.serial, \"00:01\", \"\")",
              "content_match(leaf.fingerprint, \"3a:0b\", \"\")",
              "for (c in chain) {",
              "content_match(c.der, \"\\x06\\x03U\\x04\\x03\", \"\", \"x\", \"distance 0\")",
              NULL,
          },
          NULL);
}

Test(import_dnstls, tls_messages_mixed_run_on_the_handshake)
{
    check("alert tls any any -> any any (msg:\"m\"; tls.sni; content:\"a\"; "
          "tls.cert_subject; content:\"CN=b\"; ja3s.hash; content:\"c\"; sid:1;)\n",
          (const char *const[]){
              "on tls.handshake",
              "content_match(sni, \"a\", \"\")",
              "content_match(subject, \"CN=b\", \"\")",
              "content_match(ja3s_hash, \"c\", \"\")",
              NULL,
          },
          NULL);
}

Test(import_dnstls, payload_only_dns_and_tls_rules)
{
    check("alert tls any any -> any any (msg:\"p\"; content:\"|16 03|\"; depth:2; "
          "sid:1;)\n"
          "alert dns any any -> any any (msg:\"p\"; content:\"|01 00|\"; sid:2;)\n",
          (const char *const[]){
              "on packet",
              "flow.app_proto == \"tls\"",
              "(flow.app_proto == \"dns\" || flow.app_proto == \"dnstcp\")",
              NULL,
          },
          NULL);
}

Test(import_dnstls, skips_that_keep_meaning)
{
    const char *rules[] = {
        /* the chain is not in the handshake summary */
        "alert tls any any -> any any (msg:\"x\"; tls.certs; content:\"a\"; tls.sni; "
        "content:\"b\"; sid:1;)\n",
        /* two protocols */
        "alert tls any any -> any any (msg:\"x\"; dns.query; content:\"a\"; tls.sni; "
        "content:\"b\"; sid:2;)\n",
        /* payload with a TLS buffer */
        "alert tls any any -> any any (msg:\"x\"; content:\"a\"; tls.sni; content:\"b\"; sid:3;)\n",
        /* the server's certificate with to_server, the ClientHello with to_client */
        "alert tls any any -> any any (msg:\"x\"; flow:to_server; tls.cert_subject; "
        "content:\"b\"; sid:4;)\n",
        "alert tls any any -> any any (msg:\"x\"; flow:to_client; tls.sni; content:\"b\"; "
        "sid:5;)\n",
        /* DNS buffers on a TLS rule, TLS on udp */
        "alert tls any any -> any any (msg:\"x\"; dns.query; content:\"b\"; sid:6;)\n",
        "alert udp any any -> any any (msg:\"x\"; tls.sni; content:\"b\"; sid:7;)\n",
        /* HTTP buffers with DNS */
        "alert tcp any any -> any any (msg:\"x\"; http.uri; content:\"a\"; dns.query; "
        "content:\"b\"; sid:8;)\n",
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
        free(translate(rules[i], 1));
}
