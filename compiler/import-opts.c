/*
 * import-opts.c - a rule's options read in order: attributes (msg, sid,
 * classtype, reference, metadata...), sticky buffers and content
 * modifiers, flow, flowbits, threshold/detection_filter, and Snort 3's
 * inline content modifiers; each matching keyword goes to import-match.c.
 */
#include "import-rule.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <errno.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- flow, flowbits, threshold ---- */

static int parse_flow(struct rule *r, const char *val)
{
    char v[128];
    snprintf(v, sizeof(v), "%s", val ? val : "");
    for (char *save = NULL, *w = strtok_r(v, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        while (*w == ' ')
            w++;
        char *e = w + strlen(w);
        while (e > w && e[-1] == ' ')
            *--e = '\0';
        if (strcmp(w, "to_server") == 0 || strcmp(w, "from_client") == 0)
            r->to_server = true;
        else if (strcmp(w, "to_client") == 0 || strcmp(w, "from_server") == 0)
            r->to_client = true;
        else if (strcmp(w, "established") == 0 || strcmp(w, "stateless") == 0 ||
                 strcmp(w, "not_established") == 0) {
            if (strcmp(w, "not_established") == 0)
                return imp_skip(r, "flow", "not_established");
        } else if (strcmp(w, "only_stream") == 0 || strcmp(w, "no_stream") == 0 ||
                   strcmp(w, "no_frag") == 0 || strcmp(w, "only_frag") == 0)
            return imp_skip(r, "flow", "stream/fragment selectors (only_stream, no_stream)");
        else
            return imp_skip(r, "flow", "unknown flow option");
    }
    if (r->to_server && r->to_client)
        return imp_skip(r, "flow", "both directions");
    return 0;
}

static int parse_flowbits(struct rule *r, const char *val)
{
    char v[300];
    snprintf(v, sizeof(v), "%s", val ? val : "");
    char *comma = strchr(v, ',');
    char *cmd = v;
    if (comma)
        *comma = '\0';
    while (*cmd == ' ')
        cmd++;
    char *e = cmd + strlen(cmd);
    while (e > cmd && e[-1] == ' ')
        *--e = '\0';
    if (strcmp(cmd, "noalert") == 0) {
        r->noalert = true;
        return 0;
    }
    int op = strcmp(cmd, "set") == 0        ? 's'
             : strcmp(cmd, "unset") == 0    ? 'u'
             : strcmp(cmd, "toggle") == 0   ? 't'
             : strcmp(cmd, "isset") == 0    ? 'i'
             : strcmp(cmd, "isnotset") == 0 ? 'n'
                                            : 0;
    if (!op)
        return imp_skip(r, "flowbits", "unknown command");
    if (!comma)
        return imp_skip(r, "flowbits", "no name");
    if (r->nfb == 16)
        return imp_skip(r, "flowbits", "too many");
    char *name = comma + 1;
    while (*name == ' ')
        name++;
    e = name + strlen(name);
    while (e > name && e[-1] == ' ')
        *--e = '\0';
    if (!*name || strlen(name) >= sizeof(r->fb[0].names))
        return imp_skip(r, "flowbits", "bad name");
    if (strchr(name, '&') && (op == 'i' || op == 'n'))
        return imp_skip(r, "flowbits", "'&' groups");
    if (strchr(name, '|') && op != 'i' && op != 'n')
        return imp_skip(r, "flowbits", "'|' group in set/unset/toggle");
    r->fb[r->nfb].op = op;
    snprintf(r->fb[r->nfb].names, sizeof(r->fb[0].names), "%s", name);
    r->nfb++;
    return 0;
}

static int parse_threshold(struct rule *r, const char *kw, const char *val, struct imp_thr *t)
{
    char v[256];
    snprintf(v, sizeof(v), "%s", val ? val : "");
    memset(t, 0, sizeof(*t));
    t->count = -1;
    t->seconds = -1;
    if (strcmp(kw, "detection_filter") == 0)
        t->type = THR_DETECTION;
    for (char *save = NULL, *w = strtok_r(v, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char key[32], arg[64];
        if (sscanf(w, " %31s %63s", key, arg) != 2)
            return imp_skip(r, kw, "bad option");
        if (strcmp(key, "type") == 0) {
            t->type = strcmp(arg, "limit") == 0       ? THR_LIMIT
                      : strcmp(arg, "threshold") == 0 ? THR_THRESHOLD
                      : strcmp(arg, "both") == 0      ? THR_BOTH
                                                      : THR_NONE;
            if (t->type == THR_NONE)
                return imp_skip(r, kw, "unknown type");
        } else if (strcmp(key, "track") == 0) {
            if (strcmp(arg, "by_src") == 0)
                t->by_dst = false;
            else if (strcmp(arg, "by_dst") == 0)
                t->by_dst = true;
            else
                return imp_skip(r, kw, "track other than by_src/by_dst");
        } else if (strcmp(key, "count") == 0) {
            if (!imp_parse_long(arg, &t->count) || t->count < 1)
                return imp_skip(r, kw, "bad count");
        } else if (strcmp(key, "seconds") == 0) {
            if (!imp_parse_long(arg, &t->seconds) || t->seconds < 1)
                return imp_skip(r, kw, "bad seconds");
        } else
            return imp_skip(r, kw, "unknown option");
    }
    if (t->type == THR_NONE || t->count < 0 || t->seconds < 0)
        return imp_skip(r, kw, "incomplete");
    return 0;
}

/* ---- the options ---- */

static bool is_ignored(const char *n)
{
    /* no effect on matching: alert output details only */
    return strcmp(n, "target") == 0;
}

/* Snort 3: content:"pattern"[,modifier [arg]]... - the pattern, then each
 * modifier as if it were its own option. */
static int snort3_content(struct rule *r, const char *val, int buf)
{
    char v[8192];
    if (!val || strlen(val) >= sizeof(v))
        return imp_skip(r, "content", "no pattern");
    snprintf(v, sizeof(v), "%s", val);
    /* the end of the quoted pattern */
    char *q = strchr(v, '"');
    if (!q)
        return imp_skip(r, "content", "no quoted pattern");
    char *e = q + 1;
    while (*e && *e != '"') {
        if (*e == '\\' && e[1])
            e++;
        e++;
    }
    if (!*e)
        return imp_skip(r, "content", "unterminated pattern");
    char *mods = e + 1;
    char save = *mods;
    *mods = '\0';
    int rc = imp_add_content(r, v, buf);
    *mods = save;
    if (rc)
        return rc;
    char *m = mods;
    while (*m == ' ')
        m++;
    if (!*m)
        return 0;
    if (*m != ',')
        return imp_skip(r, "content", "text after the pattern");
    for (char *sv = NULL, *w = strtok_r(m + 1, ",", &sv); w; w = strtok_r(NULL, ",", &sv)) {
        while (*w == ' ')
            w++;
        char *arg = strchr(w, ' ');
        if (arg) {
            *arg++ = '\0';
            while (*arg == ' ')
                arg++;
        }
        if (strcmp(w, "fast_pattern_offset") == 0 || strcmp(w, "fast_pattern_length") == 0)
            continue; /* the prefilter takes the whole pattern */
        struct imp_opt o = {.name = w, .val = arg};
        if (strcmp(w, "nocase") && strcmp(w, "offset") && strcmp(w, "depth") &&
            strcmp(w, "distance") && strcmp(w, "within") && strcmp(w, "fast_pattern"))
            return imp_skip(r, "content", "unknown Snort 3 content modifier");
        if ((rc = imp_content_mod(r, &o)) != 0)
            return rc;
    }
    return 0;
}

int imp_read_options(struct importer *im, const struct imp_rule *pr, struct rule *r)
{
    int cur = IMP_BUF_PAYLOAD;
    bool snort = im->dialect != IMPORT_SURICATA;
    for (unsigned i = 0; i < pr->nopts; i++) {
        const struct imp_opt *o = &pr->opts[i];
        const char *n = o->name;
        int b, rc = 0;
        if (strcmp(n, "msg") == 0) {
            if (!o->val || imp_unquote(o->val, r->msg, sizeof(r->msg)) < 0)
                return imp_skip(r, n, "bad message");
        } else if (strcmp(n, "sid") == 0 || strcmp(n, "rev") == 0 || strcmp(n, "gid") == 0 ||
                   strcmp(n, "priority") == 0) {
            long v;
            if (!imp_parse_long(o->val, &v) || v < 0)
                return imp_skip(r, n, "not a number");
            *(n[0] == 's'   ? &r->sid
              : n[0] == 'r' ? &r->rev
              : n[0] == 'g' ? &r->gid
                            : &r->priority) = v;
        } else if (strcmp(n, "classtype") == 0) {
            if (!o->val || strlen(o->val) >= sizeof(r->classtype) ||
                strspn(o->val,
                       "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
                    strlen(o->val) ||
                !isalpha((unsigned char)o->val[0]) || strcmp(o->val, "on") == 0 ||
                strcmp(o->val, "sid") == 0 || strcmp(o->val, "gid") == 0 ||
                strcmp(o->val, "rev") == 0 || strcmp(o->val, "msg") == 0 ||
                strcmp(o->val, "priority") == 0 || strcmp(o->val, "reference") == 0 ||
                strcmp(o->val, "metadata") == 0 || strcmp(o->val, "score") == 0 ||
                strcmp(o->val, "classtype") == 0)
                return imp_skip(r, n, "bad class name");
            snprintf(r->classtype, sizeof(r->classtype), "%s", o->val);
        } else if (strcmp(n, "reference") == 0) {
            if (o->val && r->nrefs < 32)
                r->refs[r->nrefs++] = strdup(o->val);
        } else if (strcmp(n, "metadata") == 0) {
            char tmp[1024];
            snprintf(tmp, sizeof(tmp), "%s", o->val ? o->val : "");
            for (char *save = NULL, *w = strtok_r(tmp, ",", &save); w && r->nmeta < 64;
                 w = strtok_r(NULL, ",", &save)) {
                while (*w == ' ')
                    w++;
                if (*w)
                    r->meta[r->nmeta++] = strdup(w);
            }
        } else if (is_ignored(n)) {
            continue;
        } else if (strcmp(n, "content") == 0 && im->dialect == IMPORT_SNORT3) {
            rc = snort3_content(r, o->val, cur);
        } else if (strcmp(n, "content") == 0) {
            rc = imp_add_content(r, o->val, cur);
        } else if (im->dialect == IMPORT_SNORT3 && strcmp(n, "service") == 0) {
            continue; /* which inspector: the buffers used say it */
        } else if (im->dialect == IMPORT_SNORT3 && strcmp(n, "bufferlen") == 0) {
            if (o->val && strstr(o->val, "relative"))
                return imp_skip(r, n, "relative");
            rc = imp_size_cond(r, cur, n, o->val, "StringLength(@)");
        } else if (strcmp(n, "uricontent") == 0) {
            rc = imp_add_content(r, o->val, imp_buf_find("http.uri", false));
        } else if (strcmp(n, "nocase") == 0 || strcmp(n, "offset") == 0 ||
                   strcmp(n, "depth") == 0 || strcmp(n, "distance") == 0 ||
                   strcmp(n, "within") == 0 || strcmp(n, "startswith") == 0 ||
                   strcmp(n, "endswith") == 0 || strcmp(n, "fast_pattern") == 0 ||
                   strcmp(n, "rawbytes") == 0) {
            rc = imp_content_mod(r, o);
        } else if (strcmp(n, "isdataat") == 0) {
            rc = imp_add_isdataat(r, o->val, cur);
        } else if (strcmp(n, "byte_test") == 0 || strcmp(n, "byte_jump") == 0) {
            rc = imp_add_byte(r, n, o->val, cur);
        } else if ((b = imp_buf_find(n, false)) >= 0 && !o->val && !strchr(n, '|')) {
            cur = b; /* sticky buffer (a '|' names a transform or a condition) */
        } else if ((b = imp_buf_find(n, true)) >= 0 && !o->val && im->dialect == IMPORT_SNORT3) {
            cur = b; /* Snort 3: http_uri etc. are sticky buffers */
        } else if ((b = imp_buf_find(n, true)) >= 0 && !o->val) {
            if (snort && (strcmp(n, "file_data") == 0)) {
                cur = b; /* sticky in Snort too */
                continue;
            }
            if (strcmp(n, "file_data") == 0) {
                cur = b;
                continue;
            }
            struct item *it = imp_last_content(r);
            if (!it)
                return imp_skip(r, n, "content modifier without a content");
            it->buf = b;
        } else if (strcmp(n, "dotprefix") == 0 && !o->val) {
            /* a transform of the whole sticky buffer: before its contents */
            for (unsigned k = 0; k < r->nitems + r->nconds; k++)
                if ((k < r->nitems ? r->items[k].buf : r->conds[k - r->nitems].buf) == cur)
                    return imp_skip(r, n, "after the buffer's first content");
            if ((b = imp_buf_transform(cur, n)) < 0)
                return imp_skip(r, n, "on a buffer other than dns.query, tls.sni, http.host");
            cur = b;
        } else if (strcmp(n, "pcre") == 0) {
            rc = imp_add_pcre(r, o->val, cur);
        } else if (strcmp(n, "bsize") == 0) {
            rc = imp_size_cond(r, cur, n, o->val, "StringLength(@)");
        } else if (strcmp(n, "urilen") == 0) {
            bool raw = o->val && strstr(o->val, "raw");
            rc = imp_size_cond(r, imp_buf_find(raw ? "http.uri.raw" : "http.uri", false), n, o->val,
                               "StringLength(@)");
        } else if (strcmp(n, "dsize") == 0) {
            rc = imp_size_cond(r, IMP_BUF_PAYLOAD, n, o->val, "payload_len");
        } else if ((strcmp(n, "tls.version") == 0 || strcmp(n, "ssl_version") == 0) &&
                   im->dialect == IMPORT_SURICATA) {
            rc = imp_add_tls_version(r, n, o->val);
        } else if (strcmp(n, "ssl_state") == 0 && im->dialect == IMPORT_SURICATA) {
            rc = imp_add_ssl_state(r, o->val);
        } else if (strcmp(n, "app-layer-protocol") == 0) {
            rc = imp_add_app_proto(r, o->val);
        } else if (strcmp(n, "flags") == 0) {
            rc = imp_add_flags(r, o->val);
        } else if (strcmp(n, "flow") == 0) {
            rc = parse_flow(r, o->val);
        } else if (strcmp(n, "flowbits") == 0) {
            rc = parse_flowbits(r, o->val);
        } else if (strcmp(n, "noalert") == 0) {
            r->noalert = true;
        } else if (strcmp(n, "threshold") == 0 || strcmp(n, "detection_filter") == 0) {
            if (r->thr.type != THR_NONE)
                return imp_skip(r, n, "two thresholds");
            rc = parse_threshold(r, n, o->val, &r->thr);
        } else {
            return imp_skip(r, n, "keyword not supported");
        }
        if (rc)
            return rc;
    }
    if (r->sid <= 0)
        return imp_skip(r, "sid", "missing");
    if (r->sid > 0xffffffffL || r->gid > 0xffffffffL || r->rev > 0xffffffffL)
        return imp_skip(r, "sid", "gid, sid or rev above 2^32 - 1");
    return 0;
}
