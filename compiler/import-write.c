/*
 * import-write.c - one Suricata/Snort rule into one spu rule.
 *
 * The options are read in order into items (contents and isdataat, each
 * on a buffer), conditions (pcre, bsize, urilen, dsize) and state
 * (flow, flowbits, threshold). Then the event is chosen from the buffers
 * used (payload: `packet`; HTTP request fields: `http.request`; response
 * fields or to_client: `http.response`), and the rule is written:
 *
 *   rule gid G sid S rev R msg "..." classtype C ... on EVENT {
 *       if (HEADER && FLOW && FLOWBITS && contains(BUF, "fast pattern")
 *           && content_match(BUF, "p1", "mods", ...) && BUF ~ /pcre/ ...) {
 *           flow.fb_x = 1;     (flowbits set/unset/toggle)
 *           Alert();           (unless noalert; gated by a threshold)
 *       }
 *   }
 *
 * Anything whose meaning the translation cannot keep returns -1 with the
 * keyword and the reason (docs/import.md lists them).
 */
#include "import-rule.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing ---- */

/* The buffer's expression with the request prefix filled in. */
static void put_buf(FILE *out, const struct rule *r, int buf, bool response)
{
    bool to_server = r->to_server;
    const struct imp_buf *b = &imp_bufs[buf];
    if (b->side >= SIDE_DNSQ) {
        const char *x = r->tls_summary ? imp_tls_summary_expr(b->expr) : b->expr;
        fputs(x ? x : b->expr, out);
        return;
    }
    const char *pre = response ? "request." : "";
    if (b->side == SIDE_HDRS && response && !to_server)
        pre = "";
    const char *e = b->expr;
    if (strcmp(b->name, "file.data") == 0 && to_server)
        e = "%sbody";
    if (strcmp(b->name, "http.start") == 0 && *pre == '\0' && response)
        e = "version + \" \" + code + \" \" + reason + \"\\r\\n\" + "
            "header_block(headers, cookies: true) + \"\\r\\n\"";
    for (const char *p = e; *p; p++) {
        if (p[0] == '%' && p[1] == 's') {
            fputs(pre, out);
            p++;
        } else
            fputc(*p, out);
    }
}

/*
 * A reference TYPE as a word of the rule header: letters and digits kept,
 * any other byte as '_'. It is not imp_put_flowbit's one-to-one mapping,
 * on purpose: a flowbit name becomes a declared variable, so two names on
 * one identifier would merge two flowbits (a change of meaning) and
 * declare it twice (spuc refuses); a reference type is a label that names
 * nothing and is declared nowhere, so two types that meet ("url-x",
 * "url_x") only read alike, while _XX escapes would make the common
 * readable ones ("et-bug" -> "et_bug") unreadable in the written rule.
 */
static void put_ref_type(FILE *out, const char *name)
{
    for (const char *p = name; *p; p++)
        fputc(isalnum((unsigned char)*p) ? *p : '_', out);
}

void imp_put_flowbit(FILE *out, const char *name)
{
    for (const char *p = name; *p; p++) {
        if (isalnum((unsigned char)*p))
            fputc(*p, out);
        else
            fprintf(out, "_%02X", (unsigned)(unsigned char)*p);
    }
}

static void put_mods(FILE *out, const struct item *it)
{
    if (it->flags & IT_BYTE) {
        fprintf(out, ", \"%s\"", it->bmods);
        return;
    }
    char m[160] = "";
    size_t k = 0;
#define MOD(...) k += (size_t)snprintf(m + k, sizeof(m) - k, __VA_ARGS__)
    if (it->flags & IT_NOT)
        MOD("not ");
    if (it->flags & IT_NOCASE)
        MOD("nocase ");
    if (it->flags & IT_ISDATAAT)
        MOD("isdataat %ld ", it->at);
    if (it->flags & IT_PCRE)
        MOD(it->re_flags[0] ? "pcre:%s " : "pcre%s ", it->re_flags);
    if (it->flags & IT_RELATIVE)
        MOD("relative ");
    if (it->flags & IT_STARTS)
        MOD("startswith ");
    if (it->flags & IT_ENDS)
        MOD("endswith ");
    if (it->flags & IT_OFFSET)
        MOD("offset %ld ", it->offset);
    if (it->flags & IT_DEPTH)
        MOD("depth %ld ", it->depth);
    if (it->flags & IT_DISTANCE)
        MOD("distance %ld ", it->distance);
    if (it->flags & IT_WITHIN)
        MOD("within %ld ", it->within);
#undef MOD
    if (k && m[k - 1] == ' ')
        m[--k] = '\0';
    fprintf(out, ", \"%s\"", m);
}

/* startswith with offset/depth, or the fast-pattern pick: Suricata's
 * choice when no content says fast_pattern is the longest positive one. */
static int pick_fast_pattern(const struct rule *r)
{
    int best = -1;
    for (unsigned i = 0; i < r->nitems; i++) {
        const struct item *it = &r->items[i];
        if (it->flags & (IT_NOT | IT_ISDATAAT | IT_PCRE | IT_BYTE))
            continue;
        if (it->flags & IT_FP)
            return (int)i;
        if (best < 0 || it->plen > r->items[best].plen)
            best = (int)i;
    }
    return best;
}

static int check_items(struct rule *r)
{
    for (unsigned i = 0; i < r->nitems; i++) {
        const struct item *it = &r->items[i];
        if ((it->flags & IT_STARTS) &&
            (it->flags & (IT_OFFSET | IT_DEPTH | IT_DISTANCE | IT_WITHIN)))
            return imp_skip(r, "startswith", "combined with offset/depth/distance/within");
        if ((it->flags & IT_ENDS) && (it->flags & IT_NOT) &&
            (it->flags & ~(IT_ENDS | IT_NOT | IT_NOCASE)))
            return imp_skip(r, "endswith", "negated with a window");
    }
    return 0;
}

/* Open an `if` term: " && " between terms. */
static void term(FILE *out, int *n)
{
    fputs(*n ? "\n        && " : "", out);
    (*n)++;
}

static int write_header_terms(struct importer *im, FILE *out, const struct imp_rule *pr,
                              struct rule *r, bool packet, bool response, int *nt)
{
    /* the packet's source in each event's terms */
    const char *sa = packet ? "src_ip" : response ? "flow.dst_ip" : "flow.src_ip";
    const char *da = packet ? "dst_ip" : response ? "flow.src_ip" : "flow.dst_ip";
    const char *sp = packet ? "src_port" : response ? "flow.dst_port" : "flow.src_port";
    const char *dp = packet ? "dst_port" : response ? "flow.src_port" : "flow.dst_port";
    bool both = strcmp(pr->dir, "<>") == 0;
    if (!both && strcmp(pr->dir, "->") != 0)
        return imp_skip(r, "header", "direction other than -> and <>");
    const char *spec[4] = {pr->src, pr->sport, pr->dst, pr->dport};
    char *txt[2] = {NULL, NULL};
    size_t len[2];
    for (int pass = 0; pass < (both ? 2 : 1); pass++) {
        FILE *m = open_memstream(&txt[pass], &len[pass]);
        if (!m)
            return imp_skip(r, "header", "out of memory");
        const char *subj[4] = {pass ? da : sa, pass ? dp : sp, pass ? sa : da, pass ? sp : dp};
        int k = 0, rc = 0;
        for (int j = 0; j < 4 && rc == 0; j++) {
            if (strcmp(spec[j], "any") == 0)
                continue;
            fputs(k++ ? " && " : "", m);
            fputs("(", m);
            const char *why = NULL;
            rc = (j % 2 ? imp_port_expr : imp_addr_expr)(m, spec[j], subj[j], &im->vars, &why);
            fputs(")", m);
            if (rc)
                r->why = why;
        }
        fclose(m);
        if (rc) {
            free(txt[0]);
            free(txt[1]);
            return imp_skip(r, "header", r->why);
        }
    }
    if (txt[0][0]) {
        term(out, nt);
        if (both)
            fprintf(out, "((%s) || (%s))", txt[0], txt[1]);
        else
            fputs(txt[0], out);
    }
    free(txt[0]);
    free(txt[1]);
    return 0;
}

static void write_fbit_test(FILE *out, const struct fbit_op *f, int *nt)
{
    term(out, nt);
    bool is = f->op == 'i';
    char tmp[256];
    snprintf(tmp, sizeof(tmp), "%s", f->names);
    int k = 0;
    fputs(strchr(tmp, '|') ? "(" : "", out);
    for (char *save = NULL, *w = strtok_r(tmp, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
        while (*w == ' ')
            w++;
        fputs(k++ ? (is ? " || " : " && ") : "", out);
        fputs(is ? "flow.fb_" : "!(flow.fb_", out);
        imp_put_flowbit(out, w);
        fputs(is ? " == 1" : " == 1)", out);
    }
    fputs(strchr(f->names, '|') ? ")" : "", out);
}

static int write_buffers(FILE *out, struct rule *r, bool response, int *nt)
{
    int fp = pick_fast_pattern(r);
    if (fp >= 0) {
        const struct item *it = &r->items[fp];
        term(out, nt);
        fputs("contains(", out);
        put_buf(out, r, it->buf, response);
        fputs(", ", out);
        imp_put_str(out, it->pat, it->plen);
        fputs((it->flags & IT_NOCASE) ? ", nocase: true)" : ")", out);
    }
    /* one content_match per buffer, items in rule order; a pcre that is
     * not relative and that nothing later in its buffer follows is a
     * plain regex test (compiled into the bundle) */
    bool done[MAX_ITEMS] = {false};
    for (unsigned i = 0; i < r->nitems; i++) {
        const struct item *it = &r->items[i];
        if (!it->alt)
            continue;
        bool later = false;
        for (unsigned j = i + 1; j < r->nitems; j++)
            later |= r->items[j].buf == it->buf;
        if (later)
            continue;
        done[i] = true;
        term(out, nt);
        for (const char *p = it->alt; *p; p++) {
            if (*p == '@')
                put_buf(out, r, it->buf, response);
            else
                fputc(*p, out);
        }
    }
    for (unsigned i = 0; i < r->nitems; i++) {
        if (done[i])
            continue;
        int buf = r->items[i].buf;
        unsigned n = 0;
        for (unsigned j = i; j < r->nitems; j++)
            n += r->items[j].buf == buf && !done[j];
        if (n > 15)
            return imp_skip(r, "content", "more than 15 contents in one buffer");
        /* a chain's first item with distance/within/relative counts from
         * the buffer's start, as in Suricata (no earlier match in it) */
        if (buf == IMP_BUF_PAYLOAD) {
            /* Suricata inspects no payload keyword on an empty payload */
            term(out, nt);
            fputs("payload_len > 0", out);
        }
        term(out, nt);
        fputs("content_match(", out);
        put_buf(out, r, buf, response);
        for (unsigned j = i; j < r->nitems; j++) {
            if (r->items[j].buf != buf || done[j])
                continue;
            done[j] = true;
            fputs(", ", out);
            imp_put_str(out, r->items[j].pat, r->items[j].plen);
            put_mods(out, &r->items[j]);
        }
        fputs(")", out);
    }
    for (unsigned i = 0; i < r->nconds; i++) {
        term(out, nt);
        for (const char *p = r->conds[i].text; *p; p++) {
            if (*p == '@')
                put_buf(out, r, r->conds[i].buf, response);
            else
                fputc(*p, out);
        }
    }
    return 0;
}

static void put_quoted(FILE *out, const char *s)
{
    imp_put_str(out, (const uint8_t *)s, strlen(s));
}

/* The event a DNS/TLS rule runs on (NULL after imp_skip()): the one
 * message its buffers name; TLS buffers of several messages run on
 * tls.handshake, which carries them all but the chain. */
static const char *app_event(struct rule *r, unsigned sides, const char **loop, bool *server)
{
    *loop = NULL;
    *server = false;
    unsigned tls = sides & (1u << SIDE_TLS_CH | 1u << SIDE_TLS_SH | 1u << SIDE_TLS_CERT |
                            1u << SIDE_TLS_CERTS);
    if ((sides & 1u << SIDE_DNSQ) && tls) {
        imp_skip(r, "content", "DNS and TLS buffers in one rule");
        return NULL;
    }
    if (sides & 1u << SIDE_DNSQ) {
        *loop = imp_side_loop(SIDE_DNSQ);
        return imp_side_event(SIDE_DNSQ);
    }
    for (int s = SIDE_TLS_CH; s <= SIDE_TLS_CERTS; s++) {
        if (tls == 1u << s) {
            *loop = imp_side_loop((enum imp_side)s);
            *server = imp_side_from_server((enum imp_side)s);
            return imp_side_event((enum imp_side)s);
        }
    }
    if (tls == (1u << SIDE_TLS_CERT | 1u << SIDE_TLS_CERTS)) {
        *loop = imp_side_loop(SIDE_TLS_CERTS);
        *server = true;
        return imp_side_event(SIDE_TLS_CERTS);
    }
    if (tls & 1u << SIDE_TLS_CERTS) {
        imp_skip(r, "tls.certs", "with buffers of another TLS message");
        return NULL;
    }
    /* the summary has the version as text and no hello of its own */
    for (unsigned i = 0; i < r->nconds; i++) {
        const char *n = imp_bufs[r->conds[i].buf].name;
        if (strncmp(n, "tls.version|", 12) == 0 || strncmp(n, "ssl_state|", 10) == 0) {
            imp_skip(r, n[0] == 's' ? "ssl_state" : "tls.version",
                     "with buffers of another TLS message");
            return NULL;
        }
    }
    r->tls_summary = true;
    *server = true;
    return "tls.handshake";
}

/* The event a rule on the mail runs on (NULL after imp_skip()):
 * smtp.mail for the envelope and the headers, email.attachment for
 * file.data; *loop for a multi-valued buffer (the rule matches if one
 * value does, and alerts once). */
static const char *mail_event(struct rule *r, unsigned sides, const char **loop)
{
    *loop = NULL;
    if (sides & 1u << SIDE_MAIL_FILE) {
        if (sides != 1u << SIDE_MAIL_FILE) {
            imp_skip(r, "file.data", "on SMTP together with smtp.* or email.* buffers");
            return NULL;
        }
        return imp_side_event(SIDE_MAIL_FILE);
    }
    for (int s = SIDE_SMTP; s <= SIDE_MAIL_URL; s++) {
        const char *l = imp_side_loop((enum imp_side)s);
        if (!(sides & 1u << s) || !l)
            continue;
        if (*loop) {
            imp_skip(r, "content", "two multi-valued SMTP/mail buffers in one rule");
            return NULL;
        }
        *loop = l;
    }
    return imp_side_event(SIDE_SMTP);
}

/* Buffers whose meaning depends on the rule as a whole: file.data on an
 * smtp rule is each attachment's content; tls.version and ssl_version
 * test the version of the side the rule's direction (else its other TLS
 * buffers) names. 0, or -1 after imp_skip(). */
static int resolve_buffers(struct rule *r, const char *proto)
{
    int fd = imp_buf_find("file.data", false), mfd = imp_buf_find("file.data|smtp", false);
    int vc = imp_buf_find("tls.version|client", false);
    int vs = imp_buf_find("tls.version|server", false);
    bool smtp = strcmp(proto, "smtp") == 0, version = false, ch = false, sh = false;
    for (unsigned i = 0; i < r->nitems + r->nconds; i++) {
        int *b = i < r->nitems ? &r->items[i].buf : &r->conds[i - r->nitems].buf;
        if (smtp && *b == fd)
            *b = mfd;
        if (*b == vc)
            version = true;
        else if (*b > IMP_BUF_PAYLOAD && imp_bufs[*b].side >= SIDE_TLS_CH &&
                 imp_bufs[*b].side <= SIDE_TLS_CERTS) {
            ch |= imp_bufs[*b].side == SIDE_TLS_CH;
            sh |= imp_bufs[*b].side != SIDE_TLS_CH;
        }
    }
    if (!version)
        return 0;
    bool server;
    if (r->to_client || r->to_server)
        server = r->to_client;
    else if (ch != sh)
        server = sh;
    else
        return imp_skip(r, "tls.version",
                        ch ? "with buffers of both sides"
                           : "without a direction (Suricata tests each side's own version)");
    for (unsigned i = 0; server && i < r->nconds; i++)
        if (r->conds[i].buf == vc)
            r->conds[i].buf = vs;
    return 0;
}

int imp_write_rule(struct importer *im, const struct imp_rule *pr, struct rule *r, FILE *out)
{
    /* Suricata 7's http1 is HTTP/1, the only HTTP spu parses */
    const char *proto = strcmp(pr->proto, "http1") == 0 ? "http" : pr->proto;
    if (resolve_buffers(r, proto))
        return -1;
    bool http = false, resp = r->to_client, payload = false;
    unsigned app = 0;  /* the DNS/TLS sides used, bit per side */
    unsigned mail = 0; /* the SMTP/mail sides used */
    for (unsigned i = 0; i < r->nitems + r->nconds; i++) {
        int b = i < r->nitems ? r->items[i].buf : r->conds[i - r->nitems].buf;
        if (b == IMP_BUF_PAYLOAD)
            payload = true;
        else if (imp_bufs[b].side >= SIDE_SMTP)
            mail |= 1u << imp_bufs[b].side;
        else if (imp_bufs[b].side >= SIDE_DNSQ)
            app |= 1u << imp_bufs[b].side;
        else {
            http = true;
            if (imp_bufs[b].side == SIDE_RESP &&
                !(strcmp(imp_bufs[b].name, "file.data") == 0 && r->to_server))
                resp = true;
        }
    }
    if (http && payload)
        return imp_skip(r, "content", "payload content together with HTTP buffers");
    if (app && payload)
        return imp_skip(r, "content", "payload content together with DNS/TLS buffers");
    if (app && http)
        return imp_skip(r, "content", "HTTP buffers together with DNS/TLS buffers");
    if (mail && payload)
        return imp_skip(r, "content", "payload content together with SMTP/mail buffers");
    if (mail && (http || app))
        return imp_skip(r, "content", "SMTP/mail buffers together with another protocol's");
    const char *app_ev = NULL, *loop = NULL;
    if (app) {
        bool server = false;
        app_ev = app_event(r, app, &loop, &server);
        if (!app_ev)
            return -1;
        if (server && r->to_server)
            return imp_skip(r, "flow", "to_server with buffers the server sends");
        if (!server && r->to_client)
            return imp_skip(r, "flow", "to_client with buffers the client sends");
        resp = server;
    }
    if (http && r->to_server && resp && !r->to_client) {
        for (unsigned i = 0; i < r->nitems + r->nconds; i++) {
            int b = i < r->nitems ? r->items[i].buf : r->conds[i - r->nitems].buf;
            if (b != IMP_BUF_PAYLOAD && imp_bufs[b].side == SIDE_RESP &&
                strcmp(imp_bufs[b].name, "file.data") != 0)
                return imp_skip(r, "flow", "to_server with response buffers");
        }
    }
    static const char *const known[] = {"tcp",  "udp", "ip",  "icmp",    "http",      "smtp",
                                        "dns", "tls", "tcp-pkt", "tcp-stream", NULL};
    bool ok = false;
    for (int i = 0; known[i]; i++)
        ok |= strcmp(proto, known[i]) == 0;
    if (!ok)
        return imp_skip(r, "protocol", "application protocol not parsed by spu");
    if (http && strcmp(proto, "udp") == 0)
        return imp_skip(r, "protocol", "HTTP buffers on udp");
    if (http && strcmp(proto, "smtp") == 0)
        return imp_skip(r, "protocol", "HTTP buffers on an smtp rule");
    if ((http || app) && (strcmp(proto, "dns") == 0 || strcmp(proto, "tls") == 0) &&
        !(app_ev && strncmp(app_ev, proto, 3) == 0))
        return imp_skip(r, "protocol", "buffers of another protocol than the rule's");
    if (app_ev && (strcmp(proto, "http") == 0 || strcmp(proto, "smtp") == 0 ||
                   strcmp(proto, "icmp") == 0 || (strcmp(proto, "udp") == 0 && app_ev[0] == 't')))
        return imp_skip(r, "protocol", "buffers of another protocol than the rule's");
    const char *mail_ev = NULL;
    if (mail) {
        /* the mail comes from the client, on an smtp connection */
        if (strcmp(proto, "smtp") && strcmp(proto, "tcp") && strcmp(proto, "ip"))
            return imp_skip(r, "protocol", "buffers of another protocol than the rule's");
        if (r->to_client)
            return imp_skip(r, "flow", "to_client with buffers the client sends");
        if (!(mail_ev = mail_event(r, mail, &loop)))
            return -1;
        resp = false;
    }
    bool packet = !http && !app && !mail;
    if (check_items(r))
        return -1;
    im->uses_http |= http;
    im->uses_dns |= app_ev && app_ev[0] == 'd';
    im->uses_tls |= app_ev && app_ev[0] == 't';
    im->uses_smtp |= mail != 0;

    const char *event = packet    ? "packet"
                        : app_ev  ? app_ev
                        : mail_ev ? mail_ev
                        : resp    ? "http.response"
                                  : "http.request";
    fprintf(out, "rule gid %ld sid %ld rev %ld", r->gid ? r->gid : 1, r->sid, r->rev ? r->rev : 1);
    fputs("\n     msg ", out);
    put_quoted(out, r->msg);
    if (r->classtype[0])
        fprintf(out, "\n     classtype %s", r->classtype);
    long prio = r->priority ? r->priority : imp_class_priority(im, r->classtype);
    if (prio > 0)
        fprintf(out, " priority %ld", prio);
    for (unsigned i = 0; i < r->nrefs; i++) {
        char *comma = r->refs[i] ? strchr(r->refs[i], ',') : NULL;
        if (!comma)
            return imp_skip(r, "reference", "not TYPE,VALUE");
        *comma = '\0';
        char *t = r->refs[i];
        while (*t == ' ')
            t++;
        char *e = t + strlen(t);
        while (e > t && e[-1] == ' ')
            e--;
        if (e == t) {
            *comma = ',';
            return imp_skip(r, "reference", "empty type");
        }
        /* the type is a word of the rule header: a letter first, and none
         * of the header's own keywords (ET has reference:rev,...) */
        static const char *const reserved[] = {"gid",       "sid",      "rev",       "msg",
                                               "classtype", "priority", "reference", "metadata",
                                               "score",     "on",       NULL};
        fputs("\n     reference ", out);
        if (!isalpha((unsigned char)*t))
            fputs("ref_", out);
        char save = *e;
        *e = '\0';
        put_ref_type(out, t);
        for (int k = 0; reserved[k]; k++)
            if (strcmp(t, reserved[k]) == 0)
                fputc('_', out);
        *e = save;
        fputc(' ', out);
        put_quoted(out, comma + 1);
        *comma = ',';
    }
    for (unsigned i = 0; i < r->nmeta; i++) {
        fputs("\n     metadata ", out);
        put_quoted(out, r->meta[i]);
    }
    fprintf(out, "\n     on %s\n{\n", event);

    /* the condition */
    char *cond = NULL;
    size_t clen = 0;
    FILE *c = open_memstream(&cond, &clen);
    if (!c)
        return imp_skip(r, "rule", "out of memory");
    int nt = 0, rc = 0;
    if (packet) {
        if (strcmp(proto, "tcp") == 0 || strcmp(proto, "http") == 0 || strcmp(proto, "smtp") == 0 ||
            strncmp(proto, "tcp-", 4) == 0)
            term(c, &nt), fputs("proto == 6", c);
        else if (strcmp(proto, "udp") == 0)
            term(c, &nt), fputs("proto == 17", c);
        else if (strcmp(proto, "icmp") == 0)
            term(c, &nt), fputs("(proto == 1 || proto == 58)", c);
        if (strcmp(proto, "http") == 0 || strcmp(proto, "smtp") == 0 || strcmp(proto, "tls") == 0)
            term(c, &nt), fprintf(c, "flow.app_proto == \"%s\"", proto);
        if (strcmp(proto, "tls") == 0)
            term(c, &nt), fputs("proto == 6", c);
        if (strcmp(proto, "dns") == 0) /* over UDP, or TCP (grammars/dnstcp.spg) */
            term(c, &nt), fputs("(flow.app_proto == \"dns\" || flow.app_proto == \"dnstcp\")", c);
        if (r->to_server)
            term(c, &nt), fputs("src_ip == flow.src_ip && src_port == flow.src_port", c);
        if (r->to_client)
            term(c, &nt), fputs("src_ip == flow.dst_ip && src_port == flow.dst_port", c);
    }
    if (r->alproto[0])
        term(c, &nt), fputs(r->alproto, c);
    rc = write_header_terms(im, c, pr, r, packet, resp, &nt);
    for (unsigned i = 0; rc == 0 && i < r->nfb; i++) {
        if (r->fb[i].op == 'i' || r->fb[i].op == 'n')
            write_fbit_test(c, &r->fb[i], &nt);
    }
    /* file.data on SMTP: Suricata matches a rule once per transaction,
     * spu raises an event per attachment */
    char once[64] = "";
    if (mail_ev && strcmp(mail_ev, "email.attachment") == 0) {
        snprintf(once, sizeof(once), "once_%ld_%ld", r->gid ? r->gid : 1, r->sid);
        term(c, &nt);
        fprintf(c, "(flow.%s == null || flow.%s != transfer.txn + 1)", once, once);
    }
    if (rc == 0)
        rc = write_buffers(c, r, resp, &nt);
    fclose(c);
    if (rc) {
        free(cond);
        return rc;
    }
    /* a buffer with several instances (each query name, each certificate):
     * the rule matches if one does, and alerts once */
    const char *pad = loop ? "    " : "";
    if (loop)
        fprintf(out, "    for (%s) {\n", loop);
    const char *ind = nt ? (loop ? "            " : "        ") : (loop ? "        " : "    ");
    if (nt)
        fprintf(out, "%s    if (%s) {\n", pad, cond);
    free(cond);

    /* the actions */
    if (once[0]) {
        if (imp_vars_add(&im->once, once, false))
            return imp_skip(r, "rule", "out of memory");
        fprintf(out, "%sflow.%s = transfer.txn + 1;\n", ind, once);
    }
    for (unsigned i = 0; i < r->nfb; i++) {
        const struct fbit_op *f = &r->fb[i];
        if (f->op == 'i' || f->op == 'n')
            continue;
        if (imp_vars_add(&im->fbits, f->names, false))
            return imp_skip(r, "flowbits", "out of memory");
        if (f->op != 't') {
            fputs(ind, out);
            fputs("flow.fb_", out);
            imp_put_flowbit(out, f->names);
        }
        if (f->op == 's')
            fputs(" = 1;\n", out);
        else if (f->op == 'u')
            fputs(" = 0;\n", out);
        else {
            fputs(ind, out);
            fputs("if (flow.fb_", out);
            imp_put_flowbit(out, f->names);
            fputs(" == 1) flow.fb_", out);
            imp_put_flowbit(out, f->names);
            fputs(" = 0; else flow.fb_", out);
            imp_put_flowbit(out, f->names);
            fputs(" = 1;\n", out);
        }
    }
    for (unsigned i = 0; i < r->nfb; i++) {
        const struct fbit_op *f = &r->fb[i];
        if (f->op != 'i' && f->op != 'n')
            continue;
        char tmp[256];
        snprintf(tmp, sizeof(tmp), "%s", f->names);
        for (char *save = NULL, *w = strtok_r(tmp, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
            while (*w == ' ')
                w++;
            if (imp_vars_add(&im->fbits, w, false))
                return imp_skip(r, "flowbits", "out of memory");
        }
    }
    const struct imp_thr_entry *te = imp_thr_find(im, r->gid ? r->gid : 1, r->sid);
    struct imp_thr thr = te && te->thr.type != THR_NONE ? te->thr : r->thr;
    bool suppressed = te && te->suppress && !te->suppress_ip;
    if (!r->noalert && !suppressed) {
        const char *act = strcmp(pr->action, "alert") == 0    ? NULL
                          : strcmp(pr->action, "drop") == 0   ? "Drop"
                          : strcmp(pr->action, "reject") == 0 ? "Reject"
                          : strcmp(pr->action, "pass") == 0   ? "Pass"
                                                              : "?";
        if (act && act[0] == '?')
            return imp_skip(r, "action", "unknown action");
        char gate[256] = "";
        if (te && te->suppress && te->suppress_ip) {
            char *g = NULL;
            size_t gl = 0;
            FILE *gm = open_memstream(&g, &gl);
            const char *why = NULL;
            const char *subj = te->suppress_by_dst ? (packet ? "dst_ip"
                                                      : resp ? "flow.src_ip"
                                                             : "flow.dst_ip")
                                                   : (packet ? "src_ip"
                                                      : resp ? "flow.dst_ip"
                                                             : "flow.src_ip");
            int arc = gm ? imp_addr_expr(gm, te->suppress_ip, subj, &im->vars, &why) : -1;
            if (gm)
                fclose(gm);
            if (arc || !g || strlen(g) + 8 >= sizeof(gate)) {
                free(g);
                return imp_skip(r, "suppress", why ? why : "bad address");
            }
            snprintf(gate, sizeof(gate), "!(%s)", g);
            free(g);
        }
        char inner[32];
        snprintf(inner, sizeof(inner), "%s%s", ind, gate[0] ? "    " : "");
        if (gate[0])
            fprintf(out, "%sif (%s) {\n", ind, gate);
        if (thr.type != THR_NONE) {
            /* the tracked address: the packet's own on a packet rule; on
             * HTTP events the flow end that sent the message */
            int kind = packet ? (thr.by_dst ? 3 : 2) : (thr.by_dst != resp) ? 1 : 0;
            long g = r->gid ? r->gid : 1;
            char sess[64], n[128], t0[128];
            if (!imp_thr_session(im, kind, g, r->sid, thr.seconds, sess, sizeof(sess)))
                return imp_skip(r, "threshold", "more threshold sessions than a bundle holds");
            snprintf(n, sizeof(n), "%s.n_%ld_%ld", sess, g, r->sid);
            snprintf(t0, sizeof(t0), "%s.t0_%ld_%ld", sess, g, r->sid);
            const char *s = inner;
            fprintf(out,
                    "%s// %s: count %ld in %ld s, by_%s\n"
                    "%sif (%s == null || now() - %s >= %ld) {\n"
                    "%s    %s = now();\n%s    %s = 0;\n%s}\n"
                    "%s%s += 1;\n",
                    s,
                    thr.type == THR_LIMIT       ? "threshold type limit"
                    : thr.type == THR_THRESHOLD ? "threshold type threshold"
                    : thr.type == THR_BOTH      ? "threshold type both"
                                                : "detection_filter",
                    thr.count, thr.seconds, thr.by_dst ? "dst" : "src", s, t0, t0,
                    thr.seconds * 1000, s, t0, s, n, s, s, n);
            if (thr.type == THR_LIMIT)
                fprintf(out, "%sif (%s <= %ld) {\n", s, n, thr.count);
            else if (thr.type == THR_THRESHOLD)
                fprintf(out, "%sif (%s >= %ld) {\n%s    %s = 0;\n", s, n, thr.count, s, n);
            else if (thr.type == THR_BOTH)
                fprintf(out, "%sif (%s == %ld) {\n", s, n, thr.count);
            else
                fprintf(out, "%sif (%s > %ld) {\n", s, n, thr.count);
            fprintf(out, "%s    Alert();\n", s);
            if (act)
                fprintf(out, "%s    %s();\n", s, act);
            fprintf(out, "%s}\n", s);
        } else {
            if (!act || strcmp(act, "Pass") != 0)
                fprintf(out, "%sAlert();\n", inner);
            if (act)
                fprintf(out, "%s%s();\n", inner, act);
        }
        if (gate[0])
            fprintf(out, "%s}\n", ind);
    }
    if (loop)
        fprintf(out, "%sbreak;\n", ind);
    if (nt)
        fprintf(out, "%s    }\n", pad);
    if (loop)
        fputs("    }\n", out);
    fputs("}\n\n", out);
    return 0;
}

int imp_translate_rule(struct importer *im, char *line, long *sid, const char **keyword,
                       const char **why)
{
    struct imp_rule *p = malloc(sizeof(*p));
    struct rule *r = calloc(1, sizeof(*r));
    *sid = 0;
    if (!p || !r) {
        free(p);
        free(r);
        *keyword = "rule";
        *why = "out of memory";
        return -1;
    }
    int rc = imp_split_rule(line, p, why);
    if (rc) {
        *keyword = "syntax";
    } else {
        for (unsigned i = 0; i < p->nopts; i++)
            if (strcmp(p->opts[i].name, "sid") == 0)
                imp_parse_long(p->opts[i].val, sid);
        rc = imp_read_options(im, p, r);
        if (r->sid)
            *sid = r->sid;
        if (rc == 0) {
            char *txt = NULL;
            size_t n = 0;
            FILE *m = open_memstream(&txt, &n);
            if (!m) {
                rc = imp_skip(r, "rule", "out of memory");
            } else {
                if (imp_id_used(im, r->gid ? r->gid : 1, r->sid))
                    rc = imp_skip(r, "sid", "(gid, sid) already used by an earlier rule");
                else
                    rc = imp_write_rule(im, p, r, m);
                fclose(m);
                if (rc == 0 && !imp_claim_id(im, r->gid ? r->gid : 1, r->sid))
                    rc = imp_skip(r, "rule", "out of memory");
                if (rc == 0)
                    fwrite(txt, 1, n, im->bodyf);
                free(txt);
            }
        }
        *keyword = r->kw;
        *why = r->why;
    }
    imp_free_rule(r);
    free(r);
    free(p);
    return rc;
}
