/* Unit tests for the importer's mail and protocol keywords
 * (compiler/import-write.c, import-bufs.c, import-proto.c): Suricata's
 * smtp.* and email.* sticky buffers and file.data on an smtp rule
 * (events smtp.mail and email.attachment of grammars/smtp.spg and
 * email.spg, loops over multi-valued buffers), tls.version, ssl_version
 * and ssl_state (the hello events of grammars/tls.spg), app-layer-protocol;
 * each translation compiles with the shipped grammars, and the skips that
 * keep meaning. Alerts on real captures: tests/e2e/import-mail.sh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helper-import.h"

static char *translate(const char *rules, unsigned skips)
{
    return hi_translate(IMPORT_SURICATA, rules, skips);
}

static const char *const grammars[] = {"grammars/email.spg", "grammars/smtp.spg",
                                       "grammars/tls.spg", NULL};

static void compiles(const char *spr)
{
    hi_compiles(spr, grammars);
}

static void expect_all(const char *spr, const char *const *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_expect_not_null(strstr(spr, want[i]), "missing %s in\n%s", want[i], spr);
}

static void expect_reason(const char *rule, const char *want)
{
    char *diag = hi_skip_reason(rule);
    cr_expect_not_null(strstr(diag, want), "want \"%s\", got: %s", want, diag);
    free(diag);
}

/* email.*: the value of the mail's first header of that name; smtp.*:
 * the envelope as written; both on smtp.mail, the client's direction. */
Test(import_mail, headers_and_envelope_on_the_mail)
{
    char *spr = translate(
        "alert smtp $EXTERNAL_NET any -> $SMTP_SERVERS any (msg:\"h\"; flow:established,to_server; "
        "email.from; content:\"toto <toto@gmail.com>\"; email.subject; content:\"test\"; "
        "nocase; email.to; content:\"linuxbox\"; endswith; email.cc; content:\"jam\"; sid:1;)\n"
        "alert smtp any any -> any any (msg:\"d\"; email.date; content:\"2023\"; "
        "email.message_id; content:\"<alpine\"; startswith; email.x_mailer; content:\"Outlook\"; "
        "bsize:>10; sid:2;)\n"
        "alert smtp any any -> any any (msg:\"e\"; smtp.helo; content:\"linuxbox\"; "
        "smtp.mail_from; content:\"<toto@\"; startswith; fast_pattern; sid:3;)\n",
        0);
    const char *want[] = {
        "import smtp;\nimport email;",
        "on smtp.mail",
        "(flow.src_ip in EXTERNAL_NET",
        "(flow.dst_ip in SMTP_SERVERS",
        "content_match(mail.headers[\"from\"], \"toto <toto@gmail.com>\", \"\")",
        "content_match(mail.headers[\"subject\"], \"test\", \"nocase\")",
        "content_match(mail.headers[\"to\"], \"linuxbox\", \"endswith\")",
        "content_match(mail.headers[\"cc\"], \"jam\", \"\")",
        "content_match(mail.headers[\"date\"], \"2023\", \"\")",
        "content_match(mail.headers[\"message-id\"], \"<alpine\", \"startswith\")",
        "StringLength(mail.headers[\"x-mailer\"]) > 10",
        "contains(mail_from, \"<toto@\")",
        "content_match(helo, \"linuxbox\", \"\")",
    };
    expect_all(spr, want, sizeof(want) / sizeof(want[0]));
    cr_expect_null(strstr(spr, "for ("), "%s", spr);
    compiles(spr);
    free(spr);
}

/* smtp.rcpt_to, email.received and email.url hold several values: the
 * rule loops over them, matches if one does and alerts once. */
Test(import_mail, multi_valued_buffers_loop)
{
    char *spr = translate(
        "alert smtp any any -> any any (msg:\"r\"; smtp.rcpt_to; content:\"<victim@\"; "
        "email.subject; content:\"x\"; sid:1;)\n"
        "alert smtp any any -> any any (msg:\"v\"; email.received; content:\"from client.local\"; "
        "startswith; sid:2;)\n"
        "alert smtp any any -> any any (msg:\"u\"; email.url; content:\"google.com\"; "
        "startswith; endswith; bsize:10; sid:3;)\n",
        0);
    const char *want[] = {
        "for (rc in rcpt_to) {",
        "content_match(rc, \"<victim@\", \"\")",
        "content_match(mail.headers[\"subject\"], \"x\", \"\")",
        "for (rv in mail.received) {",
        "content_match(rv, \"from client.local\", \"startswith\")",
        "for (u in mail.web_urls) {",
        "content_match(u, \"google.com\", \"startswith endswith\")",
        "StringLength(u) == 10",
        "break;",
    };
    expect_all(spr, want, sizeof(want) / sizeof(want[0]));
    compiles(spr);
    free(spr);
}

/* file.data on an smtp rule: each attachment's decoded content; its pcre
 * and relative chain stay in that buffer. */
Test(import_mail, file_data_is_each_attachment)
{
    char *spr = translate(
        "alert smtp any any -> any any (msg:\"f\"; file_data; content:\"if was\"; sid:1;)\n"
        "alert smtp $EXTERNAL_NET any -> $SMTP_SERVERS any (msg:\"g\"; flow:to_server,established; "
        "file.data; content:\"undefinedfilename\"; fast_pattern; content:\"errordict\"; "
        "pcre:\"/errordict\\s+\\x2Finvalidfileaccess/smi\"; sid:2;)\n"
        "alert smtp any any -> any any (msg:\"z\"; file.data; content:\"070707\"; startswith; "
        "content:\"/jetty\"; within:100; sid:3;)\n",
        0);
    const char *want[] = {
        "on email.attachment",
        /* one alert per mail, as Suricata's: the transaction matched */
        "    int once_1_1;\n",
        "(flow.once_1_1 == null || flow.once_1_1 != transfer.txn + 1)",
        "flow.once_1_1 = transfer.txn + 1;",
        "content_match(data, \"if was\", \"\")",
        "contains(data, \"undefinedfilename\")",
        "content_match(data, \"undefinedfilename\", \"\", \"errordict\", \"\")",
        "data ~ /errordict\\s+\\x2Finvalidfileaccess/smi",
        "content_match(data, \"070707\", \"startswith\", \"/jetty\", \"within 100\")",
    };
    expect_all(spr, want, sizeof(want) / sizeof(want[0]));
    cr_expect_null(strstr(spr, "body"), "%s", spr);
    cr_expect_null(strstr(spr, "import http;"), "%s", spr);
    compiles(spr);
    free(spr);
}

Test(import_mail, skips_that_keep_meaning)
{
    /* the attachment's event comes before the mail's URLs are known */
    expect_reason("alert smtp any any -> any any (msg:\"x\"; file.data; content:\"a\"; "
                  "email.subject; content:\"b\"; sid:1;)\n",
                  "file.data: on SMTP together with smtp.* or email.* buffers");
    /* two loops */
    expect_reason("alert smtp any any -> any any (msg:\"x\"; email.url; content:\"a\"; "
                  "smtp.rcpt_to; content:\"b\"; sid:2;)\n",
                  "two multi-valued SMTP/mail buffers");
    /* payload with the mail */
    expect_reason("alert smtp any any -> any any (msg:\"x\"; content:\"a\"; email.subject; "
                  "content:\"b\"; sid:3;)\n",
                  "payload content together with SMTP/mail buffers");
    /* the mail is the client's */
    expect_reason("alert smtp any any -> any any (msg:\"x\"; flow:to_client; email.subject; "
                  "content:\"b\"; sid:4;)\n",
                  "flow: to_client with buffers the client sends");
    expect_reason("alert smtp any any -> any any (msg:\"x\"; flow:to_client; file.data; "
                  "content:\"b\"; sid:5;)\n",
                  "flow: to_client with buffers the client sends");
    /* another protocol */
    expect_reason("alert http any any -> any any (msg:\"x\"; email.subject; content:\"b\"; "
                  "sid:6;)\n",
                  "protocol: buffers of another protocol than the rule's");
    expect_reason("alert smtp any any -> any any (msg:\"x\"; http.uri; content:\"b\"; sid:7;)\n",
                  "protocol: HTTP buffers on an smtp rule");
    expect_reason("alert smtp any any -> any any (msg:\"x\"; email.subject; content:\"a\"; "
                  "tls.sni; content:\"b\"; sid:8;)\n",
                  "SMTP/mail buffers together with another protocol's");
    /* no transform on the mail's buffers */
    expect_reason("alert smtp any any -> any any (msg:\"x\"; email.subject; dotprefix; "
                  "content:\".b\"; sid:9;)\n",
                  "dotprefix: on a buffer other than");
    /* file.data on HTTP is still the response body */
    char *spr = translate("alert http any any -> any any (msg:\"h\"; flow:to_client; file.data; "
                          "content:\"x\"; sid:10;)\n",
                          0);
    cr_expect_not_null(strstr(spr, "content_match(body, \"x\", \"\")"), "%s", spr);
    cr_expect_not_null(strstr(spr, "on http.response"), "%s", spr);
    free(spr);
}

/* tls.version: the client's hello version (to_server) or the server's
 * chosen one (to_client: supported_versions when present); "1.3" also
 * the drafts, a hex value exactly. ssl_version: any of a list. */
Test(import_mail, tls_version_by_direction)
{
    char *spr = translate(
        "alert tls any any -> any any (msg:\"c\"; flow:established,to_server; tls.version:1.0; "
        "sid:1;)\n"
        "alert tls any any -> any any (msg:\"s\"; flow:to_client; tls.version:1.3; sid:2;)\n"
        "alert tls any any -> any any (msg:\"x\"; flow:to_client; tls.version:0x7f1c; sid:3;)\n"
        "alert tls any any -> any any (msg:\"n\"; tls.version:1.2; tls.sni; content:\"a\"; "
        "sid:4;)\n"
        "alert tls any any -> any any (msg:\"v\"; flow:to_client; ssl_version:sslv3,tls1.0; "
        "sid:5;)\n"
        "alert tls any any -> any any (msg:\"j\"; tls.version:1.2; ja3s.hash; content:\"ab\"; "
        "sid:6;)\n",
        0);
    const char *want[] = {
        "on tls.client_hello",
        "(version == 769)",
        "on tls.server_hello",
        "(selected == 772 || selected / 256 == 127)",
        "(selected == 32540)",
        "(version == 771)",
        "content_match(sni, \"a\", \"\")",
        "(selected == 768 || selected == 769)",
        "(selected == 771)",
    };
    expect_all(spr, want, sizeof(want) / sizeof(want[0]));
    compiles(spr);
    free(spr);
    expect_reason("alert tls any any -> any any (msg:\"x\"; tls.version:1.2; sid:1;)\n",
                  "tls.version: without a direction");
    expect_reason("alert tls any any -> any any (msg:\"x\"; flow:to_client; tls.version:1.2; "
                  "tls.cert_subject; content:\"CN=a\"; sid:2;)\n",
                  "tls.version: with buffers of another TLS message");
    expect_reason("alert tls any any -> any any (msg:\"x\"; flow:to_server; ssl_version:sslv2; "
                  "sid:3;)\n",
                  "ssl_version: sslv2");
    expect_reason("alert tls any any -> any any (msg:\"x\"; flow:to_server; ssl_version:!tls1.2; "
                  "sid:4;)\n",
                  "ssl_version: negated versions");
    expect_reason("alert tls any any -> any any (msg:\"x\"; flow:to_server; tls.version:2.0; "
                  "sid:5;)\n",
                  "tls.version: unknown version");
    /* ET's JARM rules: the version with payload content */
    expect_reason("alert tls $EXTERNAL_NET any -> $HOME_NET any (msg:\"x\"; "
                  "flow:established,to_client; tls.version:1.2; content:\"|00 16|\"; sid:6;)\n",
                  "payload content together with DNS/TLS buffers");
}

/* ssl_state: which hello the data carried is the event the rule runs on. */
Test(import_mail, ssl_state_names_the_hello)
{
    char *spr = translate(
        "alert tls any any -> any any (msg:\"c\"; ssl_state:client_hello; tls.sni; "
        "content:\"x\"; sid:1;)\n"
        "alert tls any any -> any any (msg:\"s\"; flow:to_client; ssl_state:server_hello; "
        "ja3s.hash; content:\"ab\"; sid:2;)\n",
        0);
    const char *want[] = {
        "on tls.client_hello",
        "version >= 0",
        "content_match(sni, \"x\", \"\")",
        "on tls.server_hello",
        "content_match(ja3s_hash, \"ab\", \"\")",
    };
    expect_all(spr, want, sizeof(want) / sizeof(want[0]));
    compiles(spr);
    free(spr);
    expect_reason("alert tls any any -> any any (msg:\"x\"; ssl_state:client_keyx; sid:1;)\n",
                  "ssl_state: a state other than client_hello/server_hello");
    expect_reason("alert tls any any -> any any (msg:\"x\"; ssl_state:!client_hello; sid:2;)\n",
                  "ssl_state: negation or several states");
    expect_reason("alert tls any any -> any any (msg:\"x\"; flow:to_client; "
                  "ssl_state:client_hello; sid:3;)\n",
                  "flow: to_client with buffers the client sends");
}

/* app-layer-protocol: the flow's protocol, on any event; a negation would
 * match protocols spu does not parse, so it is skipped. */
Test(import_mail, app_layer_protocol)
{
    char *spr = translate("alert tcp any any -> any any (msg:\"p\"; flow:to_server; "
                          "app-layer-protocol:smtp; content:\"MAIL FROM\"; sid:1;)\n"
                          "alert tcp any any -> any any (msg:\"d\"; app-layer-protocol:dns,final; "
                          "content:\"x\"; sid:2;)\n",
                          0);
    const char *want[] = {
        "on packet",
        "flow.app_proto == \"smtp\"",
        "content_match(payload, \"MAIL FROM\", \"\")",
        "(flow.app_proto == \"dns\" || flow.app_proto == \"dnstcp\")",
    };
    expect_all(spr, want, sizeof(want) / sizeof(want[0]));
    compiles(spr);
    free(spr);
    expect_reason("alert tcp any any -> any 80 (msg:\"x\"; app-layer-protocol:!http; sid:1;)\n",
                  "app-layer-protocol: negated");
    expect_reason("alert tcp any any -> any any (msg:\"x\"; app-layer-protocol:ssh; sid:2;)\n",
                  "app-layer-protocol: application protocol not parsed by spu");
    expect_reason("alert tcp any any -> any any (msg:\"x\"; app-layer-protocol:http,original; "
                  "sid:3;)\n",
                  "app-layer-protocol: mode other than");
}
