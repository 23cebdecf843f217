/* helper-gasm.c - a grammar assembler and stream runner for tests (see
 * helper-gasm.h). */
#include "helper-gasm.h"
#include "helper-bundle.h"

#include "bundle-write.h"
#include "bundle.h"
#include "bytecode.h"
#include "dfa.h"
#include "regex.h"
#include "value.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((format(printf, 2, 3))) static void ga_check(int ok, const char *fmt, ...)
{
    if (ok)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "helper-gasm: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

static char *ga_strdup(const char *s)
{
    char *d = strdup(s ? s : "");
    ga_check(d != NULL, "out of memory");
    return d;
}

#define GA_MAX 256

struct ga_name {
    char *name;
    uint32_t idx;
    uint32_t proto;
};

struct ga_progsrc {
    char *name, *kind, *layout, *text;
    unsigned nparams;
    uint32_t proto;
    uint32_t idx;
};

struct ga_sinksrc {
    char *name, *filters, *child;
    uint32_t limit, flags, idx;
};

struct ga {
    struct spu_bw *bw;
    uint32_t cur; /* current protocol */
    uint32_t nprotos;
    struct ga_name layouts[GA_MAX], events[GA_MAX];
    uint32_t nlayouts, nevents;
    struct ga_progsrc progs[GA_MAX];
    uint32_t nprogs;
    struct ga_sinksrc sinks[GA_MAX];
    uint32_t nsinks;
    char *tx[GA_MAX][2];
};

/* ---- protocols, layouts, events ---- */

static struct spu_bproto *proto_at(struct ga *a, uint32_t i)
{
    struct spu_bproto *p = spu_bw_at(a->bw, SPU_SEC_PROTO, i);
    ga_check(p != NULL, "no protocol %u", i);
    return p;
}

uint32_t ga_proto(struct ga *a, const char *name, unsigned transport)
{
    struct spu_bproto p;
    memset(&p, 0, sizeof(p));
    p.name = spu_bw_cstr(a->bw, name);
    p.transport = transport;
    for (int d = 0; d < 2; d++) {
        p.detect[d] = p.resync[d] = p.resync_rev[d] = p.driver[d] = SPU_NONE;
        p.resync_mode[d] = SPU_RESYNC_AFTER;
    }
    p.state_layout = SPU_NONE;
    p.lim_token = 4096;
    p.lim_field = 65536;
    p.lim_message = 1u << 20;
    p.lim_pipeline = 32;
    p.lim_depth = 8;
    p.lim_iterations = 100000;
    a->cur = spu_bw_proto(a->bw, &p);
    a->nprotos++;
    if (transport != SPU_TRANSPORT_STREAM)
        spu_bw_globals(a->bw)->nprotos_entry++;
    return a->cur;
}

struct ga *ga_new(void)
{
    struct ga *a = calloc(1, sizeof(*a));
    ga_check(a != NULL, "out of memory");
    struct spu_error err;
    a->bw = spu_bw_new(&err);
    ga_check(a->bw != NULL, "spu_bw_new: %s", err.msg);
    spu_bw_globals(a->bw)->name = spu_bw_cstr(a->bw, "gasm");
    spu_bw_globals(a->bw)->flow_layout = SPU_NONE;
    ga_proto(a, "t", SPU_TRANSPORT_TCP);
    return a;
}

void ga_free(struct ga *a)
{
    if (!a)
        return;
    spu_bw_free(a->bw);
    for (uint32_t i = 0; i < a->nlayouts; i++)
        free(a->layouts[i].name);
    for (uint32_t i = 0; i < a->nevents; i++)
        free(a->events[i].name);
    for (uint32_t i = 0; i < a->nprogs; i++) {
        free(a->progs[i].name);
        free(a->progs[i].kind);
        free(a->progs[i].layout);
        free(a->progs[i].text);
    }
    for (uint32_t i = 0; i < a->nsinks; i++) {
        free(a->sinks[i].name);
        free(a->sinks[i].filters);
        free(a->sinks[i].child);
    }
    for (uint32_t i = 0; i < GA_MAX; i++) {
        free(a->tx[i][0]);
        free(a->tx[i][1]);
    }
    free(a);
}

void ga_limit(struct ga *a, const char *which, uint32_t v)
{
    struct spu_bproto *p = proto_at(a, a->cur);
    if (!strcmp(which, "token"))
        p->lim_token = v;
    else if (!strcmp(which, "field"))
        p->lim_field = v;
    else if (!strcmp(which, "message"))
        p->lim_message = v;
    else if (!strcmp(which, "pipeline"))
        p->lim_pipeline = v;
    else if (!strcmp(which, "depth"))
        p->lim_depth = v;
    else if (!strcmp(which, "iterations"))
        p->lim_iterations = v;
    else
        ga_check(0, "unknown limit %s", which);
}

static uint32_t find(const struct ga_name *t, uint32_t n, const char *name, size_t len)
{
    for (uint32_t i = 0; i < n; i++)
        if (strlen(t[i].name) == len && !memcmp(t[i].name, name, len))
            return t[i].idx;
    return SPU_NONE;
}

static uint32_t layout_idx(struct ga *a, const char *name, size_t len)
{
    uint32_t i = find(a->layouts, a->nlayouts, name, len);
    ga_check(i != SPU_NONE, "unknown layout %.*s", (int)len, name);
    return i;
}

static uint32_t add_layout(struct ga *a, const char *decl, const char *fields, uint32_t proto)
{
    char name[64], key[64] = "", val[64] = "";
    const char *paren = strchr(decl, '(');
    size_t nl = paren ? (size_t)(paren - decl) : strlen(decl);
    ga_check(nl < sizeof(name), "layout name too long");
    memcpy(name, decl, nl);
    name[nl] = '\0';
    if (paren)
        ga_check(sscanf(paren, "(%63[^,],%63[^)])", key, val) == 2, "bad map %s", decl);
    uint32_t first = spu_bw_count(a->bw, SPU_SEC_FIELD), nf = 0, kf = SPU_NONE, vf = SPU_NONE;
    char *copy = ga_strdup(fields), *save = NULL;
    for (char *tok = strtok_r(copy, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        struct spu_bfield f;
        memset(&f, 0, sizeof(f));
        char *colon = strchr(tok, ':');
        const char *type = colon ? colon + 1 : "str";
        if (colon)
            *colon = '\0';
        size_t tl = strlen(type);
        if (tl > 2 && !strcmp(type + tl - 2, "[]")) {
            f.flags = SPU_FF_ARRAY;
            tl -= 2;
        }
        f.sub = SPU_NONE;
        if (tl == 3 && !strncmp(type, "str", 3)) {
            f.type = SPU_T_STR;
        } else if (tl == 3 && !strncmp(type, "int", 3)) {
            f.type = SPU_T_INT;
        } else if (tl == 4 && !strncmp(type, "bool", 4)) {
            f.type = SPU_T_BOOL;
        } else if (tl == 2 && !strncmp(type, "ip", 2)) {
            f.type = SPU_T_IP;
        } else if (tl == 3 && !strncmp(type, "any", 3)) {
            f.type = SPU_T_ANY;
        } else if (tl > 4 && !strncmp(type, "std:", 4)) {
            f.type = SPU_T_REC;
            f.sub = SPU_NONE;
            for (unsigned r = 0; r < SPU_REC__COUNT; r++)
                if (strlen(spu_std_records[r].layout.name) == tl - 4 &&
                    !strncmp(spu_std_records[r].layout.name, type + 4, tl - 4))
                    f.sub = SPU_LAYOUT_STD | r;
            ga_check(f.sub != SPU_NONE, "unknown stdlib record %s", type);
        } else {
            f.type = SPU_T_REC;
            f.sub = layout_idx(a, type, tl);
        }
        f.name = spu_bw_cstr(a->bw, tok);
        if (!strcmp(tok, key))
            kf = nf;
        if (!strcmp(tok, val))
            vf = nf;
        spu_bw_field(a->bw, &f);
        nf++;
    }
    free(copy);
    struct spu_blayout l = {spu_bw_cstr(a->bw, name), first, nf, 0, SPU_NONE, SPU_NONE, proto};
    if (paren) {
        ga_check(kf != SPU_NONE && vf != SPU_NONE, "map fields of %s", decl);
        l.flags = SPU_LF_MAP;
        l.map_key = kf;
        l.map_value = vf;
    }
    uint32_t idx = spu_bw_layout(a->bw, &l);
    ga_check(a->nlayouts < GA_MAX, "too many layouts");
    a->layouts[a->nlayouts++] = (struct ga_name){ga_strdup(name), idx, proto};
    return idx;
}

uint32_t ga_layout(struct ga *a, const char *name, const char *fields)
{
    return add_layout(a, name, fields, a->cur);
}

void ga_state(struct ga *a, const char *fields)
{
    char name[32];
    snprintf(name, sizeof(name), "state%u", a->cur);
    proto_at(a, a->cur)->state_layout = add_layout(a, name, fields, a->cur);
}

uint32_t ga_event(struct ga *a, const char *name, const char *layout)
{
    struct spu_bevent e;
    memset(&e, 0, sizeof(e));
    e.name = spu_bw_cstr(a->bw, name);
    e.kind = SPU_EV_GRAMMAR;
    e.proto = a->cur;
    e.runtime_id = SPU_NONE;
    e.layout = layout_idx(a, layout, strlen(layout));
    e.index_root = SPU_NONE;
    uint32_t idx = spu_bw_event(a->bw, &e);
    ga_check(a->nevents < GA_MAX, "too many events");
    a->events[a->nevents++] = (struct ga_name){ga_strdup(name), idx, a->cur};
    return idx;
}

void ga_sink(struct ga *a, const char *name, const char *filters, const char *child,
             uint32_t limit, uint32_t flags)
{
    ga_check(a->nsinks < GA_MAX, "too many sinks");
    struct ga_sinksrc *s = &a->sinks[a->nsinks];
    s->name = ga_strdup(name);
    s->filters = ga_strdup(filters);
    s->child = child ? ga_strdup(child) : NULL;
    s->limit = limit;
    s->flags = flags;
    s->idx = a->nsinks++;
}

void ga_prog(struct ga *a, const char *kind, const char *name, const char *layout,
             unsigned nparams, const char *text)
{
    ga_check(a->nprogs < GA_MAX, "too many programs");
    struct ga_progsrc *p = &a->progs[a->nprogs];
    p->name = ga_strdup(name);
    p->kind = ga_strdup(kind);
    p->layout = layout ? ga_strdup(layout) : NULL;
    p->text = ga_strdup(text);
    p->nparams = nparams;
    p->proto = a->cur;
    p->idx = a->nprogs++;
}

void ga_tx(struct ga *a, const char *client, const char *server)
{
    free(a->tx[a->cur][0]);
    free(a->tx[a->cur][1]);
    a->tx[a->cur][0] = ga_strdup(client);
    a->tx[a->cur][1] = ga_strdup(server);
}

void ga_driver(struct ga *a, unsigned dir, const char *msgs, const char *const *conds)
{
    size_t cap = 4096, len = 0;
    char *t = malloc(cap);
    ga_check(t != NULL, "out of memory");
    len += (size_t)snprintf(t + len, cap - len, "G_LOOP_INIT 0\nLtop: G_AWAIT\nJZ Lend\n");
    char *copy = ga_strdup(msgs), *save = NULL;
    unsigned k = 0;
    for (char *m = strtok_r(copy, " ", &save); m; m = strtok_r(NULL, " ", &save), k++) {
        const char *cond = conds && conds[k] ? conds[k] : "PUSH_BOOL 1";
        len += (size_t)snprintf(t + len, cap - len,
                                "%s\nJZ Lnext%u\nG_MESSAGE @%s\nG_LOOP 0 Ltop\nLnext%u: ", cond, k,
                                m, k);
        ga_check(len < cap, "driver too long");
    }
    len += (size_t)snprintf(t + len, cap - len, "G_ERROR \"no message applies\"\nLend: RET\n");
    ga_check(len < cap, "driver too long");
    free(copy);
    ga_prog(a, dir == SPU_DIR_CLIENT ? "driver:client" : "driver:server",
            dir == SPU_DIR_CLIENT ? "driver.client" : "driver.server", NULL, 0, t);
    free(t);
}

/* ---- patterns and DFAs ---- */

struct pat {
    char text[512];
    size_t len;
    int lit;
    unsigned flags;
};

static uint32_t build_dfa(struct ga *a, struct pat *p, uint32_t n, uint32_t mode)
{
    struct spu_regex *re[16];
    struct spu_error err;
    ga_check(n >= 1 && n <= 16, "1 to 16 patterns");
    char src[1024];
    size_t sl = 0;
    for (uint32_t i = 0; i < n; i++) {
        re[i] = p[i].lit ? spu_regex_literal(p[i].text, p[i].len, p[i].flags, &err)
                         : spu_regex_parse(p[i].text, p[i].len, p[i].flags, &err);
        ga_check(re[i] != NULL, "pattern '%.*s': %s", (int)p[i].len, p[i].text, err.msg);
        sl += (size_t)snprintf(src + sl, sizeof(src) - sl, "%s%.*s", i ? "|" : "", (int)p[i].len,
                               p[i].text);
        if (sl >= sizeof(src))
            sl = sizeof(src) - 1;
    }
    struct spu_dfa_image *img =
        spu_dfa_build((const struct spu_regex *const *)re, n, mode, NULL, &err);
    ga_check(img != NULL, "dfa: %s", err.msg);
    struct spu_bw_dfa d = {img->nstates, img->nclasses, img->start, img->nlabels, img->flags,
                           img->classmap, img->trans, img->accept, img->decide, src, sl};
    uint32_t idx = spu_bw_dfa(a->bw, &d);
    spu_dfa_image_free(img);
    for (uint32_t i = 0; i < n; i++)
        spu_regex_free(re[i]);
    return idx;
}

static int hexval(int ch)
{
    return isdigit(ch) ? ch - '0' : (tolower(ch) - 'a' + 10);
}

/* Parse "..." at *s (escapes); returns the length. */
static size_t parse_string(const char **s, char *out, size_t cap)
{
    const char *p = *s + 1;
    size_t n = 0;
    while (*p && *p != '"') {
        int ch = (unsigned char)*p++;
        if (ch == '\\') {
            int e = (unsigned char)*p++;
            switch (e) {
            case 'r': ch = '\r'; break;
            case 'n': ch = '\n'; break;
            case 't': ch = '\t'; break;
            case '0': ch = 0; break;
            case 'x':
                ch = hexval(p[0]) * 16 + hexval(p[1]);
                p += 2;
                break;
            default: ch = e; break;
            }
        }
        ga_check(n < cap, "string too long");
        out[n++] = (char)ch;
    }
    ga_check(*p == '"', "unterminated string");
    *s = p + 1;
    return n;
}

static void parse_pat(const char **s, struct pat *pt)
{
    memset(pt, 0, sizeof(*pt));
    if (**s == '"') {
        pt->lit = 1;
        pt->len = parse_string(s, pt->text, sizeof(pt->text));
        if (**s == 'i') {
            pt->flags = SPU_RX_ICASE;
            (*s)++;
        }
        return;
    }
    ga_check(**s == '/', "pattern expected at '%s'", *s);
    const char *p = *s + 1;
    while (*p && *p != '/') {
        if (*p == '\\' && p[1]) {
            ga_check(pt->len + 2 < sizeof(pt->text), "regex too long");
            pt->text[pt->len++] = *p++;
        }
        ga_check(pt->len + 1 < sizeof(pt->text), "regex too long");
        pt->text[pt->len++] = *p++;
    }
    ga_check(*p == '/', "unterminated regex");
    p++;
    while (*p == 'i' || *p == 's') {
        pt->flags |= *p == 'i' ? SPU_RX_ICASE : SPU_RX_DOTALL;
        p++;
    }
    *s = p;
}

void ga_resync(struct ga *a, unsigned dir, const char *pattern, unsigned mode)
{
    struct pat pt;
    const char *s = pattern;
    parse_pat(&s, &pt);
    uint32_t fwd = build_dfa(a, &pt, 1, SPU_DFA_SEARCH);
    uint32_t rev = build_dfa(a, &pt, 1, SPU_DFA_ANCHORED | SPU_DFA_BUILD_REVERSE);
    struct spu_bproto *p = proto_at(a, a->cur);
    p->resync[dir] = fwd;
    p->resync_rev[dir] = mode == SPU_RESYNC_AT ? rev : SPU_NONE;
    p->resync_mode[dir] = mode;
}

/* ---- the assembler ---- */

static uint32_t prog_idx(struct ga *a, const char *name, size_t len)
{
    for (uint32_t i = 0; i < a->nprogs; i++)
        if (strlen(a->progs[i].name) == len && !memcmp(a->progs[i].name, name, len))
            return a->progs[i].idx;
    ga_check(0, "unknown program %.*s", (int)len, name);
    return SPU_NONE;
}

static uint32_t field_idx(struct ga *a, uint32_t layout, const char *name, size_t len)
{
    const struct spu_blayout *l = spu_bw_at(a->bw, SPU_SEC_LAYOUT, layout);
    ga_check(l != NULL, "no layout %u", layout);
    uint32_t first = l->first_field, n = l->nfields;
    for (uint32_t i = 0; i < n; i++) {
        const struct spu_bfield *f = spu_bw_at(a->bw, SPU_SEC_FIELD, first + i);
        uint32_t fl = f->name.len;
        /* names were added with spu_bw_cstr, which shares equal strings:
         * the same name has the same offset */
        char want[64];
        ga_check(len < sizeof(want), "field name too long");
        memcpy(want, name, len);
        want[len] = '\0';
        struct spu_bstr s = spu_bw_cstr(a->bw, want); /* dedup: same offset if equal */
        if (s.off == f->name.off && s.len == fl)
            return i;
    }
    ga_check(0, "no field %.*s in layout %u", (int)len, name, layout);
    return SPU_NONE;
}

static int isident(int ch)
{
    return isalnum(ch) || ch == '_' || ch == '.';
}

struct label {
    char name[32];
    uint32_t at;
};

struct asmctx {
    struct ga *a;
    const struct ga_progsrc *src;
    uint32_t layout;
    struct label labels[128];
    uint32_t nlabels;
    uint32_t maxlocal, maxloop;
};

static uint32_t label_at(struct asmctx *x, const char *name, size_t len)
{
    for (uint32_t i = 0; i < x->nlabels; i++)
        if (strlen(x->labels[i].name) == len && !memcmp(x->labels[i].name, name, len))
            return x->labels[i].at;
    ga_check(0, "%s: unknown label %.*s", x->src->name, (int)len, name);
    return 0;
}

/* Split the text into lines (by '\n' and ';' outside strings, regexes
 * and brackets), without comments; returns the number of non-empty ones. */
static size_t split_lines(const char *text, char lines[][512], size_t max)
{
    size_t n = 0, k = 0;
    int in_str = 0, in_re = 0, depth = 0;
    char cur[512];
    for (const char *p = text;; p++) {
        int ch = *p;
        int end = ch == '\0' || (!in_str && !in_re && !depth && (ch == '\n' || ch == ';'));
        if (!in_str && !in_re && ch == '/' && p[1] == '/') {
            while (*p && *p != '\n')
                p++;
            ch = *p;
            end = 1;
        }
        if (end) {
            cur[k] = '\0';
            char *s = cur;
            while (isspace((unsigned char)*s))
                s++;
            if (*s) {
                ga_check(n < max, "too many lines");
                snprintf(lines[n++], 512, "%s", s);
            }
            k = 0;
            if (ch == '\0')
                break;
            continue;
        }
        if (in_str) {
            if (ch == '\\' && p[1]) {
                cur[k++] = (char)ch;
                ch = *++p;
            } else if (ch == '"') {
                in_str = 0;
            }
        } else if (in_re) {
            if (ch == '\\' && p[1]) {
                cur[k++] = (char)ch;
                ch = *++p;
            } else if (ch == '/') {
                in_re = 0;
            }
        } else if (ch == '"') {
            in_str = 1;
        } else if (ch == '/') {
            in_re = 1;
        } else if (ch == '[') {
            depth++;
        } else if (ch == ']') {
            depth--;
        }
        ga_check(k + 2 < sizeof(cur), "line too long");
        cur[k++] = (char)ch;
    }
    return n;
}

static void set_slot(struct spu_insn *in, char which, int64_t v, unsigned *used)
{
    if (which == 'a') {
        in->a = (uint8_t)v;
        *used |= 1;
    } else if (which == 'b') {
        in->b = (uint16_t)v;
        *used |= 2;
    } else {
        in->c = (uint32_t)v;
        *used |= 4;
    }
}

static unsigned slot_bit(char which)
{
    return which == 'a' ? 1u : which == 'b' ? 2u : 4u;
}

static struct spu_insn assemble(struct asmctx *x, const char *line)
{
    struct ga *a = x->a;
    const char *s = line;
    char word[64];
    size_t wl = 0;
    while (isident((unsigned char)s[wl]) && wl < sizeof(word) - 1) {
        word[wl] = s[wl];
        wl++;
    }
    word[wl] = '\0';
    int op = -1;
    for (int i = 0; i < SPU_OP__COUNT; i++)
        if (!strcmp(spu_opinfo[i].name, word))
            op = i;
    ga_check(op >= 0, "%s: unknown opcode '%s'", x->src->name, word);
    s += wl;
    struct spu_insn in = {(uint8_t)op, 0, 0, 0};
    unsigned fmt = spu_opinfo[op].fmt, used = 0;
    const char *pos = hb_positions(fmt);
    for (;;) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (!*s)
            break;
        if (*s == '"') {
            char buf[512];
            size_t n = parse_string(&s, buf, sizeof(buf));
            set_slot(&in, 'c', spu_bw_const_str(a->bw, buf, n, 0), &used);
        } else if (*s == '/' || *s == '[') {
            struct pat pats[16];
            uint32_t np = 0;
            if (*s == '[') {
                s++;
                for (;;) {
                    while (*s == ' ')
                        s++;
                    ga_check(np < 16, "too many patterns");
                    parse_pat(&s, &pats[np++]);
                    while (*s == ' ')
                        s++;
                    if (*s == '|') {
                        s++;
                        continue;
                    }
                    ga_check(*s == ']', "']' expected in '%s'", line);
                    s++;
                    break;
                }
            } else {
                parse_pat(&s, &pats[np++]);
            }
            set_slot(&in, 'c', build_dfa(a, pats, np, SPU_DFA_ANCHORED), &used);
        } else if (*s == '@' || *s == '$' || *s == '%') {
            char kind = *s++;
            size_t n = 0;
            while (isident((unsigned char)s[n]))
                n++;
            uint32_t v = SPU_NONE;
            if (kind == '@') {
                v = prog_idx(a, s, n);
            } else if (kind == '$') {
                for (uint32_t i = 0; i < a->nsinks; i++)
                    if (strlen(a->sinks[i].name) == n && !memcmp(a->sinks[i].name, s, n))
                        v = a->sinks[i].idx;
            } else {
                v = find(a->events, a->nevents, s, n);
            }
            ga_check(v != SPU_NONE, "unknown %c%.*s", kind, (int)n, s);
            set_slot(&in, 'c', v, &used);
            s += n;
        } else if (*s == '.') {
            s++;
            size_t n = 0;
            while (isalnum((unsigned char)s[n]) || s[n] == '_')
                n++;
            uint32_t lay = x->layout;
            const char *fname = s;
            s += n;
            if (*s == '@') {
                s++;
                size_t m = 0;
                while (isalnum((unsigned char)s[m]) || s[m] == '_')
                    m++;
                lay = layout_idx(a, s, m);
                set_slot(&in, 'c', lay, &used);
                s += m;
            }
            set_slot(&in, 'b', field_idx(a, lay, fname, n), &used);
        } else if (isdigit((unsigned char)*s) || *s == '-') {
            char *end;
            long long v = strtoll(s, &end, 0);
            s = end;
            while (*pos && (used & slot_bit(*pos)))
                pos++;
            ga_check(*pos != '\0', "%s: too many operands in '%s'", x->src->name, line);
            set_slot(&in, *pos++, v, &used);
        } else {
            size_t n = 0;
            while (isident((unsigned char)s[n]))
                n++;
            ga_check(n > 0, "%s: bad operand at '%s'", x->src->name, s);
            char w[64];
            snprintf(w, sizeof(w), "%.*s", (int)n, s);
            s += n;
            unsigned flag = !strcmp(w, "CAP")      ? SPU_GF_CAPTURE
                            : !strcmp(w, "Y")      ? SPU_GF_YIELD
                            : !strcmp(w, "NOCASE") ? SPU_GF_NOCASE
                            : !strcmp(w, "SURE")   ? SPU_GF_SURE
                                                   : 0;
            if (flag) {
                if (fmt == SPU_FMT_UNIT)
                    in.b |= (uint16_t)flag;
                else
                    in.a |= (uint8_t)flag;
            } else if (!strncmp(w, "state.", 6)) {
                uint32_t sl = proto_at(a, x->src->proto)->state_layout;
                ga_check(sl != SPU_NONE, "no state in this protocol");
                set_slot(&in, 'b', field_idx(a, sl, w + 6, strlen(w + 6)), &used);
            } else if (fmt == SPU_FMT_BUILTIN) {
                int bi = -1;
                for (int i = 0; i < SPU_BI__COUNT; i++)
                    if (!strcmp(spu_builtins[i].name, w))
                        bi = i;
                ga_check(bi >= 0, "unknown builtin %s", w);
                set_slot(&in, 'c', (uint32_t)bi, &used);
            } else {
                set_slot(&in, 'c', label_at(x, w, strlen(w)), &used);
            }
        }
    }
    if (op == SPU_OP_LOAD_LOCAL || op == SPU_OP_STORE_LOCAL)
        x->maxlocal = in.b + 1u > x->maxlocal ? in.b + 1u : x->maxlocal;
    if (fmt == SPU_FMT_LOOPSLOT || fmt == SPU_FMT_LOOPJUMP)
        x->maxloop = in.b + 1u > x->maxloop ? in.b + 1u : x->maxloop;
    return in;
}

static void assemble_prog(struct ga *a, struct ga_progsrc *src)
{
    char(*lines)[512] = malloc(1024 * sizeof(*lines));
    ga_check(lines != NULL, "out of memory");
    size_t n = split_lines(src->text, lines, 1024);
    struct asmctx x;
    memset(&x, 0, sizeof(x));
    x.a = a;
    x.src = src;
    x.layout = src->layout ? layout_idx(a, src->layout, strlen(src->layout)) : SPU_NONE;
    /* labels first */
    char *body[1024];
    for (size_t i = 0; i < n; i++) {
        char *l = lines[i];
        size_t k = 0;
        while (isalnum((unsigned char)l[k]) || l[k] == '_')
            k++;
        body[i] = l;
        if (k && l[k] == ':') {
            ga_check(x.nlabels < 128 && k < 32, "labels");
            memcpy(x.labels[x.nlabels].name, l, k);
            x.labels[x.nlabels].name[k] = '\0';
            x.labels[x.nlabels++].at = (uint32_t)i;
            body[i] = l + k + 1;
            while (isspace((unsigned char)*body[i]))
                body[i]++;
        }
    }
    struct spu_insn *code = calloc(n ? n : 1, sizeof(*code));
    ga_check(code != NULL, "out of memory");
    for (size_t i = 0; i < n; i++) {
        ga_check(*body[i] != '\0', "%s: a label needs an instruction on its line", src->name);
        code[i] = assemble(&x, body[i]);
    }
    struct spu_bprog *p = spu_bw_at(a->bw, SPU_SEC_PROG, src->idx);
    p->code_off = spu_bw_code(a->bw, code, n);
    p->code_len = (uint32_t)n;
    uint32_t nl = x.maxlocal > src->nparams ? x.maxlocal : src->nparams;
    p->nlocals = (uint16_t)nl;
    p->nparams = (uint16_t)src->nparams;
    p->nloops = (uint16_t)x.maxloop;
    p->max_stack = 64;
    free(code);
    free(lines);
}

static void add_tx(struct ga *a, uint32_t proto, int side)
{
    const char *names = a->tx[proto][side];
    if (!names)
        return;
    uint32_t ids[64], n = 0;
    char *copy = ga_strdup(names), *save = NULL;
    for (char *m = strtok_r(copy, " ", &save); m; m = strtok_r(NULL, " ", &save))
        ids[n++] = prog_idx(a, m, strlen(m));
    free(copy);
    uint32_t off = spu_bw_u32(a->bw, ids, n);
    struct spu_bproto *p = proto_at(a, proto);
    if (side) {
        p->tx_server = off;
        p->ntx_server = n;
    } else {
        p->tx_client = off;
        p->ntx_client = n;
    }
}

struct spu_bundle *ga_build(struct ga *a)
{
    /* program headers first: programs refer to each other by index */
    for (uint32_t i = 0; i < a->nprogs; i++) {
        struct ga_progsrc *src = &a->progs[i];
        struct spu_bprog p;
        memset(&p, 0, sizeof(p));
        p.name = spu_bw_cstr(a->bw, src->name);
        p.event = SPU_NONE;
        p.proto = src->proto;
        p.layout = src->layout ? layout_idx(a, src->layout, strlen(src->layout)) : SPU_NONE;
        if (!strcmp(src->kind, "message")) {
            p.kind = SPU_PROG_MESSAGE;
        } else if (!strcmp(src->kind, "unit") || !strcmp(src->kind, "stream")) {
            p.kind = SPU_PROG_UNIT;
            p.flags = src->kind[0] == 's' ? SPU_PF_STREAM : 0;
        } else if (!strncmp(src->kind, "driver:", 7)) {
            p.kind = SPU_PROG_DRIVER;
            unsigned d = !strcmp(src->kind + 7, "server") ? SPU_DIR_SERVER : SPU_DIR_CLIENT;
            proto_at(a, src->proto)->driver[d] = i;
        } else {
            ga_check(0, "unknown program kind %s", src->kind);
        }
        src->idx = spu_bw_prog(a->bw, &p);
        ga_check(src->idx == i, "program numbering");
    }
    for (uint32_t i = 0; i < a->nsinks; i++) {
        struct ga_sinksrc *s = &a->sinks[i];
        uint32_t ids[16], n = 0;
        char *copy = ga_strdup(s->filters), *save = NULL;
        for (char *f = strtok_r(copy, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
            uint32_t id = SPU_NONE;
            for (unsigned k = 0; k < SPU_FLT__COUNT; k++)
                if (!strcmp(spu_filters[k]->name, f))
                    id = k;
            ga_check(id != SPU_NONE && n < 16, "unknown filter %s", f);
            ids[n++] = id;
        }
        free(copy);
        struct spu_bsink bs;
        memset(&bs, 0, sizeof(bs));
        bs.filters = spu_bw_u32(a->bw, ids, n);
        bs.nfilters = n;
        bs.child = s->child ? prog_idx(a, s->child, strlen(s->child)) : SPU_NONE;
        bs.nargs = s->child ? a->progs[bs.child].nparams : 0;
        bs.limit = s->limit;
        bs.flags = s->flags;
        ga_check(spu_bw_sink(a->bw, &bs) == s->idx, "sink numbering");
    }
    for (uint32_t i = 0; i < a->nprogs; i++)
        assemble_prog(a, &a->progs[i]);
    /* completion event: the last G_EVENT of a message */
    for (uint32_t i = 0; i < a->nprogs; i++) {
        struct spu_bprog *p = spu_bw_at(a->bw, SPU_SEC_PROG, i);
        if (p->kind != SPU_PROG_MESSAGE)
            continue;
        for (uint32_t k = 0; k < p->code_len; k++) {
            const struct spu_insn *in = spu_bw_at(a->bw, SPU_SEC_CODE, p->code_off + k);
            if (in->op == SPU_OP_G_EVENT)
                p->event = in->c;
        }
    }
    for (uint32_t pr = 0; pr < a->nprotos; pr++) {
        add_tx(a, pr, 0);
        add_tx(a, pr, 1);
    }
    uint8_t *out = NULL;
    size_t len = 0;
    struct spu_error err;
    int rc = spu_bw_write(a->bw, NULL, &out, &len, &err);
    ga_check(rc == SPU_OK, "spu_bw_write: %s", err.msg);
    struct spu_bundle *b = spu_bundle_load_mem(out, len, NULL, &err);
    free(out);
    char msg[512];
    ga_check(b != NULL, "load: %s", spu_error_str(&err, msg, sizeof(msg)));
    return b;
}

/* ---- rendering ---- */

static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void put(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(*buf ? *buf + *len : NULL, *buf ? *cap - *len : 0, fmt, ap);
        va_end(ap);
        ga_check(n >= 0, "vsnprintf");
        if (*buf && *len + (size_t)n < *cap) {
            *len += (size_t)n;
            return;
        }
        size_t ncap = (*cap ? *cap * 2 : 256) + (size_t)n;
        char *nb = realloc(*buf, ncap);
        ga_check(nb != NULL, "out of memory");
        *buf = nb;
        *cap = ncap;
    }
}

/* Append a string value's bytes as put("%c") and put("\\x%02x") would,
 * without printf per byte (the split sweeps render millions of them). */
static void put_escaped(char **buf, size_t *len, size_t *cap, const uint8_t *s, uint32_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (*len + 4 * (size_t)n + 1 > *cap) {
        size_t ncap = (*cap ? *cap * 2 : 256) + 4 * (size_t)n + 1;
        char *nb = realloc(*buf, ncap);
        ga_check(nb != NULL, "out of memory");
        *buf = nb;
        *cap = ncap;
    }
    char *o = *buf + *len;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t ch = s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
            *o++ = (char)ch;
        } else {
            *o++ = '\\';
            *o++ = 'x';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o = '\0';
    *len = (size_t)(o - *buf);
}

static void render_rec(const struct spu_bundle *b, const struct spu_record *r, char **buf,
                       size_t *len, size_t *cap)
{
    const struct spu_bview *v = spu_bundle_view(b);
    uint32_t id = r->layout ? r->layout->id : SPU_NONE;
    put(buf, len, cap, "%s{", r->layout ? r->layout->name : "?");
    struct spu_sig_param std[SPU_MAX_SIG_PARAMS];
    int nstd = 0;
    if (id != SPU_NONE && (id & SPU_LAYOUT_STD) && (id & ~SPU_LAYOUT_STD) < SPU_REC__COUNT)
        nstd = spu_sig_parse(spu_std_records[id & ~SPU_LAYOUT_STD].fields, std,
                             SPU_MAX_SIG_PARAMS);
    int first = 1;
    for (uint32_t i = 0; i < r->nslots; i++) {
        if (r->slot[i].type == SPU_T_NULL)
            continue;
        uint32_t nl = 1;
        const char *name = "?";
        if (!(id & SPU_LAYOUT_STD) && id < v->nlayouts) {
            const struct spu_bfield *f = &v->fields[v->layouts[id].first_field + i];
            name = spu_bundle_str(b, f->name, &nl);
        } else if ((int)i < nstd) {
            name = std[i].name;
            nl = (uint32_t)strlen(name);
        }
        put(buf, len, cap, "%s%.*s=", first ? "" : " ", (int)nl, name);
        first = 0;
        ga_render(b, &r->slot[i], buf, len, cap);
    }
    put(buf, len, cap, "}%s", r->flags & SPU_VF_INCOMPLETE ? "!I" : "");
}

void ga_render(const struct spu_bundle *b, const struct spu_value *x, char **buf, size_t *len,
               size_t *cap)
{
    switch (x->type) {
    case SPU_T_NULL:
        put(buf, len, cap, "null");
        break;
    case SPU_T_BOOL:
        put(buf, len, cap, "%s", x->u.i ? "true" : "false");
        break;
    case SPU_T_INT:
        put(buf, len, cap, "%lld", (long long)x->u.i);
        break;
    case SPU_T_STR:
        put(buf, len, cap, "\"");
        put_escaped(buf, len, cap, x->u.s, x->len);
        put(buf, len, cap, "\"%s%s", x->flags & SPU_VF_TRUNCATED ? "!T" : "",
            x->flags & SPU_VF_INCOMPLETE ? "!I" : "");
        break;
    case SPU_T_IP: {
        char t[64];
        ga_check(spu_ip_format(x->u.s, x->aux, t, sizeof(t)) == SPU_OK, "ip");
        put(buf, len, cap, "%s", t);
        break;
    }
    case SPU_T_REC:
        render_rec(b, x->u.rec, buf, len, cap);
        break;
    case SPU_T_ARR:
        put(buf, len, cap, "[");
        for (uint32_t i = 0; i < x->u.arr->n; i++) {
            if (i)
                put(buf, len, cap, ", ");
            ga_render(b, &x->u.arr->v[i], buf, len, cap);
        }
        put(buf, len, cap, "]");
        break;
    default:
        put(buf, len, cap, "<%s>", spu_type_name(x->type));
        break;
    }
}

/* ---- running ---- */

struct runlog {
    const struct spu_bundle *b;
    struct spu_gvm_conn *conn;
    const char *stop_on;
    char *buf;
    size_t len, cap;
};

static void on_event(void *ctx, uint32_t ev, const struct spu_record *rec, uint64_t tx,
                     unsigned dir)
{
    struct runlog *l = ctx;
    const struct spu_bview *v = spu_bundle_view(l->b);
    uint32_t nl = 0;
    const char *name = spu_bundle_str(l->b, v->events[ev].name, &nl);
    put(&l->buf, &l->len, &l->cap, "E %.*s tx=%llu dir=%u ", (int)nl, name,
        (unsigned long long)tx, dir);
    struct spu_value rv = spu_v_rec(rec);
    ga_render(l->b, &rv, &l->buf, &l->len, &l->cap);
    for (const struct spu_record *p = rec ? rec->parent : NULL; p; p = p->parent)
        put(&l->buf, &l->len, &l->cap, " <%s", p->layout ? p->layout->name : "?");
    put(&l->buf, &l->len, &l->cap, "\n");
    if (l->stop_on && strlen(l->stop_on) == nl && !memcmp(l->stop_on, name, nl))
        spu_gvm_conn_stop(l->conn);
}

static void on_anomaly(void *ctx, const char *name, size_t len)
{
    struct runlog *l = ctx;
    put(&l->buf, &l->len, &l->cap, "A %.*s\n", (int)len, name);
}

static void on_tx(void *ctx, uint64_t tx, const struct spu_record *cl, const struct spu_record *sv)
{
    struct runlog *l = ctx;
    struct spu_value a = spu_v_rec(cl), b = spu_v_rec(sv);
    put(&l->buf, &l->len, &l->cap, "T %llu ", (unsigned long long)tx);
    ga_render(l->b, &a, &l->buf, &l->len, &l->cap);
    put(&l->buf, &l->len, &l->cap, " ");
    ga_render(l->b, &b, &l->buf, &l->len, &l->cap);
    put(&l->buf, &l->len, &l->cap, "\n");
}

static int64_t on_now(void *ctx)
{
    (void)ctx;
    return 1700000000000;
}

static uint32_t rnd(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static int feed_chunk(struct spu_gvm_conn *conn, unsigned dir, const char *p, size_t n,
                      int datagram)
{
    uint8_t *copy = malloc(n ? n : 1);
    ga_check(copy != NULL, "out of memory");
    memcpy(copy, p, n);
    int rc = datagram ? spu_gvm_datagram(conn, dir, copy, n) : spu_gvm_feed(conn, dir, copy, n);
    memset(copy, 0xA5, n);
    free(copy);
    return rc;
}

void ga_run(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps, size_t n,
            struct ga_split split, struct ga_result *out)
{
    ga_run_cfg(b, proto, steps, n, split, NULL, out);
}

void ga_run_cfg(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps, size_t n,
                struct ga_split split, const struct spu_gvm_config *cfg, struct ga_result *out)
{
    ga_run_skips(b, proto, steps, n, split, cfg, NULL, 0, out);
}

void ga_run_skips(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps, size_t n,
                  struct ga_split split, const struct spu_gvm_config *cfg, const uint8_t *skips,
                  uint32_t nskips, struct ga_result *out)
{
    memset(out, 0, sizeof(*out));
    struct spu_error err;
    struct spu_gvm *g = spu_gvm_new(cfg, &err);
    ga_check(g != NULL, "spu_gvm_new: %s", err.msg);
    if (skips)
        ga_check(spu_gvm_set_store_skips(g, b, skips, nskips) == SPU_OK, "store skips");
    struct runlog l = {.b = b, .stop_on = split.stop_on};
    struct spu_gvm_hooks h = {on_event, on_anomaly, on_tx, on_now, NULL, NULL};
    struct spu_gvm_conn *conn = spu_gvm_conn_new(g, b, proto, &h, &l, &err);
    ga_check(conn != NULL, "spu_gvm_conn_new: %s", err.msg);
    l.conn = conn;
    uint32_t seed = split.seed ? split.seed : 1;
    int rc = SPU_OK;
    for (size_t i = 0; i < n; i++) {
        const struct ga_step *s = &steps[i];
        if (s->kind == GA_GAP) {
            rc = spu_gvm_gap(conn, s->dir, s->len);
        } else if (s->kind == GA_EOF) {
            rc = spu_gvm_eof(conn, s->dir);
        } else if (s->kind == GA_STOP) {
            spu_gvm_conn_stop(conn);
        } else if (s->kind == GA_DGRAM) {
            rc = feed_chunk(conn, s->dir, s->data, s->len, 1);
        } else {
            size_t off = 0;
            if (s->len == 0)
                rc = feed_chunk(conn, s->dir, s->data, 0, 0);
            while (off < s->len) {
                size_t k = s->len - off;
                if (split.mode == GA_BYTES)
                    k = 1;
                else if (split.mode == GA_AT && off == 0 && split.at && split.at < k)
                    k = split.at;
                else if (split.mode == GA_RANDOM)
                    k = 1 + rnd(&seed) % (k < 97 ? k : 97);
                rc = feed_chunk(conn, s->dir, s->data + off, k, 0);
                off += k;
            }
        }
    }
    out->last_rc = rc;
    snprintf(out->err[0], sizeof(out->err[0]), "%s", spu_gvm_conn_last_error(conn, 0));
    snprintf(out->err[1], sizeof(out->err[1]), "%s", spu_gvm_conn_last_error(conn, 1));
    spu_gvm_conn_stats(conn, &out->conn);
    spu_gvm_conn_free(conn);
    spu_gvm_stats(g, &out->gvm);
    spu_gvm_free(g);
    put(&l.buf, &l.len, &l.cap, "%s", "");
    out->log = l.buf;
}

void ga_result_free(struct ga_result *r)
{
    free(r->log);
    r->log = NULL;
}
