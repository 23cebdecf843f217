/*
 * import-bufs.c - Suricata's inspection buffers (sticky buffers, and the
 * content modifiers of Suricata 4 / Snort 2) and the spu expression that
 * gives the same bytes from the HTTP grammar's fields (grammars/http.spg,
 * docs/fields.md). %s is the request prefix: "" in a rule on
 * http.request, "request." in a rule on http.response.
 */
#include "import-int.h"

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
    {NULL, NULL, SIDE_PAYLOAD, NULL},
};

int imp_buf_find(const char *name, bool modifier)
{
    for (int i = 0; imp_bufs[i].name; i++) {
        const char *n = modifier ? imp_bufs[i].old : imp_bufs[i].name;
        if (n && strcmp(n, name) == 0)
            return i;
    }
    return -1;
}
