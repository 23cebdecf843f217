/*
 * import-lex.c - the lexical side of Suricata/Snort rules: a rule split
 * into header words and `name[:value];` options (quotes and backslash
 * escapes respected), quoted values undone, content patterns with |hex|
 * blocks turned into bytes, and bytes written back as spu string literals.
 */
#include "import-int.h"

#include <ctype.h>
#include <string.h>

static char *skip_ws(char *p)
{
    while (*p && isspace((unsigned char)*p))
        p++;
    return p;
}

static void trim_end(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
}

/* One header word; brackets group (address lists may hold spaces). */
static char *header_word(char **pp)
{
    char *p = skip_ws(*pp);
    if (!*p)
        return NULL;
    char *w = p;
    int depth = 0;
    while (*p && (depth > 0 || !isspace((unsigned char)*p))) {
        if (*p == '[')
            depth++;
        else if (*p == ']')
            depth--;
        p++;
    }
    if (*p)
        *p++ = '\0';
    *pp = p;
    return w;
}

int imp_split_rule(char *line, struct imp_rule *r, const char **why)
{
    memset(r, 0, sizeof(*r));
    char *open = strchr(line, '(');
    if (!open) {
        *why = "no '(' after the rule header";
        return -1;
    }
    *open = '\0';
    char *p = line;
    char **words[] = {&r->action, &r->proto, &r->src, &r->sport, &r->dir, &r->dst, &r->dport};
    for (unsigned i = 0; i < 7; i++) {
        *words[i] = header_word(&p);
        if (*words[i])
            continue;
        if (i == 2) {
            /* Snort 3 service rules: `alert http (...)`, any to any */
            static char any[] = "any", to[] = "->";
            r->src = r->sport = r->dst = r->dport = any;
            r->dir = to;
            break;
        }
        *why = "incomplete rule header";
        return -1;
    }
    if (*skip_ws(p)) {
        *why = "extra words in the rule header";
        return -1;
    }
    p = open + 1;
    char *end = strrchr(p, ')');
    if (!end) {
        *why = "no ')' closing the options";
        return -1;
    }
    *end = '\0';
    if (*skip_ws(end + 1)) {
        *why = "text after the options";
        return -1;
    }
    while (*(p = skip_ws(p))) {
        if (r->nopts == IMP_MAX_OPTS) {
            *why = "too many options";
            return -1;
        }
        struct imp_opt *o = &r->opts[r->nopts++];
        o->name = p;
        while (*p && *p != ':' && *p != ';')
            p++;
        char sep = *p;
        if (!sep) {
            *why = "option without ';'";
            return -1;
        }
        *p++ = '\0';
        trim_end(o->name);
        if (sep == ';')
            continue;
        p = skip_ws(p);
        o->val = p;
        bool quoted = false;
        while (*p && (quoted || *p != ';')) {
            if (*p == '\\' && p[1])
                p++;
            else if (*p == '"')
                quoted = !quoted;
            p++;
        }
        if (!*p) {
            *why = quoted ? "unterminated quoted value" : "option without ';'";
            return -1;
        }
        *p++ = '\0';
        trim_end(o->val);
    }
    return 0;
}

int imp_unquote(const char *val, char *out, size_t cap)
{
    const char *p = val;
    bool neg = false;
    size_t k = 0;
    while (*p == ' ')
        p++;
    if (*p == '!') {
        neg = true; /* the caller looks at the '!' itself */
        p++;
        while (*p == ' ')
            p++;
    }
    (void)neg;
    size_t n = strlen(p);
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        p++;
        n -= 2;
    }
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\\' && i + 1 < n &&
            (p[i + 1] == '"' || p[i + 1] == ';' || p[i + 1] == '\\' || p[i + 1] == ':'))
            c = p[++i];
        if (k + 1 >= cap)
            return -1;
        out[k++] = c;
    }
    out[k] = '\0';
    return (int)k;
}

int imp_unquote_raw(const char *val, char *out, size_t cap)
{
    const char *p = val;
    while (*p == ' ')
        p++;
    if (*p == '!') {
        p++;
        while (*p == ' ')
            p++;
    }
    size_t n = strlen(p);
    if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
        p++;
        n -= 2;
    }
    if (n + 1 > cap)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return (int)n;
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)tolower((unsigned char)c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int imp_content_bytes(const char *s, uint8_t *out, size_t cap)
{
    size_t k = 0;
    bool hex = false;
    int hi = -1;
    for (const char *p = s; *p; p++) {
        if (*p == '|') {
            if (hex && hi >= 0)
                return -1;
            hex = !hex;
            continue;
        }
        if (hex) {
            if (*p == ' ')
                continue;
            int v = hexv(*p);
            if (v < 0)
                return -1;
            if (hi < 0) {
                hi = v;
                continue;
            }
            if (k >= cap)
                return -1;
            out[k++] = (uint8_t)(hi * 16 + v);
            hi = -1;
            continue;
        }
        if (k >= cap)
            return -1;
        out[k++] = (uint8_t)*p;
    }
    return hex ? -1 : (int)k;
}

void imp_put_str(FILE *out, const uint8_t *p, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            fputc(c, out);
        else
            fprintf(out, "\\x%02x", c);
    }
    fputc('"', out);
}
