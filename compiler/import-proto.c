/*
 * import-proto.c - the keywords about a flow's protocol rather than a
 * buffer's bytes: Suricata's tls.version and ssl_version (the version of
 * a hello: the client's or the server's, as the rule's direction says,
 * resolved by import-write.c), ssl_state (which handshake message the
 * data carried: the event of that message), and app-layer-protocol (the
 * flow's application protocol, flow.app_proto).
 */
#include "import-rule.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

/* "1.3" in Suricata's tls.version also matches the drafts (0x7fNN) */
#define TLS13 0x0304

/* One version as a condition on "@" (the hello's version field). */
static int version_term(char *out, size_t cap, long v)
{
    if (v == TLS13)
        return snprintf(out, cap, "@ == %d || @ / 256 == 127", TLS13);
    return snprintf(out, cap, "@ == %ld", v);
}

/* tls.version:1.0|1.1|1.2|1.3|0xNNNN (hex: that exact value), and
 * ssl_version:[sslv3|tls1.0|tls1.1|tls1.2|tls1.3][,...] (any of them). */
int imp_add_tls_version(struct rule *r, const char *kw, const char *val)
{
    static const struct {
        const char *tls, *ssl;
        long v;
    } names[] = {
        {NULL, "sslv3", 0x0300}, {"1.0", "tls1.0", 0x0301}, {"1.1", "tls1.1", 0x0302},
        {"1.2", "tls1.2", 0x0303}, {"1.3", "tls1.3", TLS13},
    };
    bool ssl = strcmp(kw, "ssl_version") == 0;
    char v[128];
    if (!val || strlen(val) >= sizeof(v))
        return imp_skip(r, kw, "no value");
    snprintf(v, sizeof(v), "%s", val);
    char cond[512] = "";
    size_t k = 0;
    int n = 0;
    for (char *save = NULL, *w = strtok_r(v, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        while (isspace((unsigned char)*w))
            w++;
        char *e = w + strlen(w);
        while (e > w && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (*w == '!')
            return imp_skip(r, kw, "negated versions");
        if (ssl && strcmp(w, "sslv2") == 0)
            return imp_skip(r, kw, "sslv2 (spu's TLS grammar parses SSLv3 and later)");
        if (!ssl && n)
            return imp_skip(r, kw, "more than one version");
        long ver = -1;
        bool exact = false;
        for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const char *name = ssl ? names[i].ssl : names[i].tls;
            if (name && strcmp(w, name) == 0)
                ver = names[i].v;
        }
        if (ver < 0 && !ssl && (w[0] == '0' && (w[1] == 'x' || w[1] == 'X'))) {
            char *end;
            ver = strtol(w + 2, &end, 16);
            if (end == w + 2 || *end || ver < 0 || ver > 0xffff)
                return imp_skip(r, kw, "bad version");
            exact = true; /* raw: no draft mapping */
        }
        if (ver < 0)
            return imp_skip(r, kw, "unknown version");
        char t[96];
        if (exact)
            snprintf(t, sizeof(t), "@ == %ld", ver);
        else
            version_term(t, sizeof(t), ver);
        k += (size_t)snprintf(cond + k, sizeof(cond) - k, "%s%s", n++ ? " || " : "", t);
        if (k >= sizeof(cond))
            return imp_skip(r, kw, "too many versions");
    }
    if (!n)
        return imp_skip(r, kw, "no value");
    /* the client's hello until import-write.c knows the rule's direction */
    return imp_add_cond(r, imp_buf_find("tls.version|client", false), kw, "(%s)", cond);
}

/* ssl_state:client_hello or server_hello: the data carried that hello,
 * which is its event; the other states (key exchanges, unknown), lists and
 * negation name no one message spu raises an event for. */
int imp_add_ssl_state(struct rule *r, const char *val)
{
    char v[64];
    if (!val || strlen(val) >= sizeof(v))
        return imp_skip(r, "ssl_state", "no value");
    snprintf(v, sizeof(v), "%s", val);
    char *w = v, *e = v + strlen(v);
    while (isspace((unsigned char)*w))
        w++;
    while (e > w && isspace((unsigned char)e[-1]))
        *--e = '\0';
    if (strcmp(w, "client_hello") == 0 || strcmp(w, "server_hello") == 0) {
        const char *name = w[0] == 'c' ? "ssl_state|client_hello" : "ssl_state|server_hello";
        /* every hello has its version: a test that only names the event */
        return imp_add_cond(r, imp_buf_find(name, false), "ssl_state", "@ >= 0");
    }
    if (strpbrk(w, "!|,"))
        return imp_skip(r, "ssl_state", "negation or several states");
    return imp_skip(r, "ssl_state", "a state other than client_hello/server_hello");
}

/* app-layer-protocol:NAME[,MODE] for the protocols spu parses. spu gives a
 * flow one protocol (flow.app_proto, null until it is known), so the modes
 * that pick a direction or the final protocol all read it. A negation is
 * skipped: Suricata's `!http` matches flows of protocols spu does not
 * parse, whose flow.app_proto stays null. */
int imp_add_app_proto(struct rule *r, const char *val)
{
    const char *kw = "app-layer-protocol";
    char v[64];
    if (!val || strlen(val) >= sizeof(v))
        return imp_skip(r, kw, "no value");
    snprintf(v, sizeof(v), "%s", val);
    char *mode = strchr(v, ',');
    if (mode) {
        *mode++ = '\0';
        while (isspace((unsigned char)*mode))
            mode++;
        char *e = mode + strlen(mode);
        while (e > mode && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (strcmp(mode, "direction") && strcmp(mode, "to_server") && strcmp(mode, "to_client") &&
            strcmp(mode, "either") && strcmp(mode, "final"))
            return imp_skip(r, kw, "mode other than direction/to_server/to_client/either/final");
    }
    char *w = v, *e = v + strlen(v);
    while (isspace((unsigned char)*w))
        w++;
    while (e > w && isspace((unsigned char)e[-1]))
        *--e = '\0';
    if (*w == '!')
        return imp_skip(r, kw, "negated (it matches protocols spu does not parse)");
    if (strchr(w, '|'))
        return imp_skip(r, kw, "several protocols");
    const char *t = strcmp(w, "http") == 0 || strcmp(w, "http1") == 0
                        ? "flow.app_proto == \"http\""
                    : strcmp(w, "smtp") == 0 ? "flow.app_proto == \"smtp\""
                    : strcmp(w, "tls") == 0  ? "flow.app_proto == \"tls\""
                    : strcmp(w, "dns") == 0
                        ? "(flow.app_proto == \"dns\" || flow.app_proto == \"dnstcp\")"
                        : NULL;
    if (!t)
        return imp_skip(r, kw, "application protocol not parsed by spu");
    if (r->alproto[0] && strcmp(r->alproto, t) != 0)
        return imp_skip(r, kw, "two different protocols");
    snprintf(r->alproto, sizeof(r->alproto), "%s", t);
    return 0;
}
