/*
 * import-bufs.c - Suricata's inspection buffers (sticky buffers, and the
 * content modifiers of Suricata 4 / Snort 2) and the spu expression that
 * gives the same bytes from the HTTP grammar's fields (grammars/http.spg,
 * docs/fields.md), the DNS, TLS and mail grammars. %s is the request
 * prefix: "" in a rule on http.request, "request." in a rule on
 * http.response.
 */
#include "import-int.h"

#include <stdio.h>
#include <string.h>

const struct imp_buf imp_bufs[] = {
    {"pkt_data", NULL, SIDE_PAYLOAD, "payload"},
    {"http.uri", "http_uri", SIDE_REQ, "%snormalized_uri"},
    {"http.uri.raw", "http_raw_uri", SIDE_REQ, "%suri"},
    {"http.method", "http_method", SIDE_REQ, "%smethod"},
    {"http.host", "http_host", SIDE_REQ, "lower(%shost)"},
    {"http.host.raw", "http_raw_host", SIDE_REQ, "%shost"},
    {"http.user_agent", "http_user_agent", SIDE_REQ, "%suser_agent"},
    {"http.cookie", "http_cookie", SIDE_REQ, "%scookie"},
    {"http.request_body", "http_client_body", SIDE_REQ, "%sbody"},
    {"http.response_body", "http_server_body", SIDE_RESP, "body"},
    {"file.data", "file_data", SIDE_RESP, "body"},
    {"http.stat_code", "http_stat_code", SIDE_RESP, "code"},
    {"http.stat_msg", "http_stat_msg", SIDE_RESP, "reason"},
    {"http.protocol", NULL, SIDE_REQ, "%sproto_version"},
    {"http.request_line", NULL, SIDE_REQ, "%smethod + \" \" + %suri + \" \" + %sversion"},
    {"http.response_line", NULL, SIDE_RESP, "version + \" \" + code + \" \" + reason"},
    {"http.header", "http_header", SIDE_HDRS, "header_block(%sheaders)"},
    {"http.header.raw", "http_raw_header", SIDE_HDRS, "header_block(%sheaders, cookies: true)"},
    {"http.header_names", NULL, SIDE_HDRS, "header_block(%sheaders, names: true)"},
    /* the request line and headers; on a response rule, the status line */
    {"http.start", NULL, SIDE_HDRS,
     "%smethod + \" \" + %suri + \" \" + %sversion + \"\\r\\n\" + "
     "header_block(%sheaders, cookies: true) + \"\\r\\n\""},
    {"http.accept", NULL, SIDE_REQ, "%sheaders[\"accept\"]"},
    {"http.accept_enc", NULL, SIDE_REQ, "%sheaders[\"accept-encoding\"]"},
    {"http.accept_lang", NULL, SIDE_REQ, "%sheaders[\"accept-language\"]"},
    {"http.referer", NULL, SIDE_REQ, "%sreferer"},
    {"http.connection", NULL, SIDE_HDRS, "%sheaders[\"connection\"]"},
    {"http.content_type", NULL, SIDE_HDRS, "%sheaders[\"content-type\"]"},
    {"http.content_len", NULL, SIDE_HDRS, "%sheaders[\"content-length\"]"},
    {"http.server", NULL, SIDE_RESP, "headers[\"server\"]"},
    {"http.location", NULL, SIDE_RESP, "location"},
    /* grammars/dns.spg: the query names, dotted, no trailing dot (as
     * Suricata's buffer); the rule matches if any name does */
    {"dns.query", NULL, SIDE_DNSQ, "q.rrname"},
    /* grammars/tls.spg */
    {"tls.sni", NULL, SIDE_TLS_CH, "sni"},
    {"ja3.hash", NULL, SIDE_TLS_CH, "ja3_hash"},
    {"ja3.string", NULL, SIDE_TLS_CH, "ja3_string"},
    {"ja3s.hash", NULL, SIDE_TLS_SH, "ja3s_hash"},
    {"ja3s.string", NULL, SIDE_TLS_SH, "ja3s_string"},
    {"tls.cert_subject", NULL, SIDE_TLS_CERT, "leaf.subject"},
    {"tls.cert_issuer", NULL, SIDE_TLS_CERT, "leaf.issuerdn"},
    {"tls.cert_serial", NULL, SIDE_TLS_CERT, "leaf.serial"},
    {"tls.cert_fingerprint", NULL, SIDE_TLS_CERT, "leaf.fingerprint"},
    {"tls.certs", NULL, SIDE_TLS_CERTS, "c.der"},
    /* the version of a hello (tls.version, ssl_version: the rule's
     * direction picks the side, import-write.c), and a message seen
     * (ssl_state); conditions only, never sticky buffers (a '|' in the
     * name) */
    {"tls.version|client", NULL, SIDE_TLS_CH, "version"},
    {"tls.version|server", NULL, SIDE_TLS_SH, "selected"},
    {"ssl_state|client_hello", NULL, SIDE_TLS_CH, "version"},
    {"ssl_state|server_hello", NULL, SIDE_TLS_SH, "version"},
    /* grammars/smtp.spg and email.spg, on `smtp.mail` (the mail with its
     * envelope; its record `transfer`, the mail's `message` as `mail`):
     * Suricata's smtp.* buffers are the envelope's parameters as written
     * (<a@b>), its email.* buffers the value of the mail's first header
     * of that name (the outer mail's), email.received each Received
     * header, email.url each URL of the text (http ones without their
     * scheme, as Suricata stores them by default) */
    {"smtp.helo", NULL, SIDE_SMTP, "helo"},
    {"smtp.mail_from", NULL, SIDE_SMTP, "mail_from"},
    {"smtp.rcpt_to", NULL, SIDE_SMTP_RCPT, "rc"},
    {"email.from", NULL, SIDE_MAIL, "mail.headers[\"from\"]"},
    {"email.to", NULL, SIDE_MAIL, "mail.headers[\"to\"]"},
    {"email.cc", NULL, SIDE_MAIL, "mail.headers[\"cc\"]"},
    {"email.subject", NULL, SIDE_MAIL, "mail.headers[\"subject\"]"},
    {"email.date", NULL, SIDE_MAIL, "mail.headers[\"date\"]"},
    {"email.message_id", NULL, SIDE_MAIL, "mail.headers[\"message-id\"]"},
    {"email.x_mailer", NULL, SIDE_MAIL, "mail.headers[\"x-mailer\"]"},
    {"email.received", NULL, SIDE_MAIL_RCVD, "rv"},
    {"email.url", NULL, SIDE_MAIL_URL, "u"},
    /* file.data on an smtp rule: each attachment's decoded content (the
     * MIME parts with a file name: Suricata's files of an SMTP mail) */
    {"file.data|smtp", NULL, SIDE_MAIL_FILE, "data"},
    /* the transform dotprefix: "." before the buffer */
    {"dns.query|dotprefix", NULL, SIDE_DNSQ, "\".\" + q.rrname"},
    {"tls.sni|dotprefix", NULL, SIDE_TLS_CH, "\".\" + sni"},
    {"http.host|dotprefix", NULL, SIDE_REQ, "\".\" + lower(%shost)"},
    {NULL, NULL, SIDE_PAYLOAD, NULL},
};

static const char *const aliases[][2] = {
    {"dns_query", "dns.query"},
    {"tls_sni", "tls.sni"},
    {"ja3_hash", "ja3.hash"},
    {"ja3_string", "ja3.string"},
    {"ja3s_hash", "ja3s.hash"},
    {"ja3s_string", "ja3s.string"},
    {"tls_cert_subject", "tls.cert_subject"},
    {"tls_cert_issuer", "tls.cert_issuer"},
    {"tls_cert_serial", "tls.cert_serial"},
    {"tls_cert_fingerprint", "tls.cert_fingerprint"},
};

const char *imp_buf_alias(const char *name)
{
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
        if (strcmp(aliases[i][0], name) == 0)
            return aliases[i][1];
    return NULL;
}

int imp_buf_transform(int buf, const char *transform)
{
    char n[64];
    snprintf(n, sizeof(n), "%s|%s", imp_bufs[buf].name, transform);
    return imp_buf_find(n, false);
}

const char *imp_side_event(enum imp_side s)
{
    switch (s) {
    case SIDE_DNSQ:
        return "dns.query";
    case SIDE_TLS_CH:
        return "tls.client_hello";
    case SIDE_TLS_SH:
        return "tls.server_hello";
    case SIDE_TLS_CERT:
    case SIDE_TLS_CERTS:
        return "tls.certificate";
    case SIDE_SMTP:
    case SIDE_SMTP_RCPT:
    case SIDE_MAIL:
    case SIDE_MAIL_RCVD:
    case SIDE_MAIL_URL:
        return "smtp.mail";
    case SIDE_MAIL_FILE:
        return "email.attachment";
    default:
        return NULL;
    }
}

const char *imp_side_loop(enum imp_side s)
{
    switch (s) {
    case SIDE_DNSQ:
        return "q in queries";
    case SIDE_TLS_CERTS:
        return "c in chain";
    case SIDE_SMTP_RCPT:
        return "rc in rcpt_to";
    case SIDE_MAIL_RCVD:
        return "rv in mail.received";
    case SIDE_MAIL_URL:
        return "u in mail.web_urls";
    default:
        return NULL;
    }
}

bool imp_side_from_server(enum imp_side s)
{
    return s == SIDE_TLS_SH || s == SIDE_TLS_CERT || s == SIDE_TLS_CERTS;
}

/* tls.handshake (raised when the server's plaintext ends) carries the
 * ClientHello's, ServerHello's and leaf certificate's fields under these
 * names; the chain is not in it. */
const char *imp_tls_summary_expr(const char *expr)
{
    if (strncmp(expr, "leaf.", 5) == 0)
        return expr + 5;
    if (strncmp(expr, "c.", 2) == 0)
        return NULL;
    return expr;
}

int imp_buf_find(const char *name, bool modifier)
{
    if (!modifier && imp_buf_alias(name))
        name = imp_buf_alias(name);
    for (int i = 0; imp_bufs[i].name; i++) {
        const char *n = modifier ? imp_bufs[i].old : imp_bufs[i].name;
        if (n && strcmp(n, name) == 0)
            return i;
    }
    return -1;
}
