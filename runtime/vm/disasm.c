/* disasm.c - text dump of a loaded bundle (see disasm.h). */
#include "disasm.h"

#include "builtin-api.h"
#include "bundle-int.h"
#include "bytecode.h"
#include "err.h"
#include "value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define MAXQ 80 /* bytes of a string shown */

static const char *const flowkey_names[] = {
#define FLOWKEY(id, name, type) name,
#include "events.def"
#undef FLOWKEY
};
static const char *const rt_event_names[] = {
#define RT_EVENT(id, name, fields) name,
#include "events.def"
#undef RT_EVENT
};
static const char *const filter_names[] = {
#define FILTER(name, prefix, doc) #name,
#include "filters.def"
#undef FILTER
};

/* A bounded string builder over a caller buffer. */
struct sb {
    char *p;
    size_t len, pos;
};

__attribute__((format(printf, 2, 3))) static void sbf(struct sb *s, const char *fmt, ...)
{
    if (s->pos >= s->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(s->p + s->pos, s->len - s->pos, fmt, ap);
    va_end(ap);
    if (n > 0)
        s->pos += (size_t)n < s->len - s->pos ? (size_t)n : s->len - s->pos - 1;
}

static void sbq(struct sb *s, const char *p, uint32_t n, char quote)
{
    sbf(s, "%c", quote);
    for (uint32_t i = 0; i < n && i < MAXQ; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == (unsigned char)quote || c == '\\')
            sbf(s, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f)
            sbf(s, "%c", c);
        else if (c == '\n')
            sbf(s, "\\n");
        else if (c == '\r')
            sbf(s, "\\r");
        else if (c == '\t')
            sbf(s, "\\t");
        else
            sbf(s, "\\x%02x", c);
    }
    if (n > MAXQ)
        sbf(s, "...");
    sbf(s, "%c", quote);
}

static const char *str(const struct spu_bundle *b, struct spu_bstr s)
{
    return spu_bview_str(&b->v, s);
}

static void sbstr(struct sb *s, const struct spu_bundle *b, struct spu_bstr x)
{
    sbq(s, str(b, x), x.len, '"');
}

/* An unquoted name (identifiers from the compiler). */
static void sbname(struct sb *s, const struct spu_bundle *b, struct spu_bstr x)
{
    sbf(s, "%.*s", (int)x.len, str(b, x));
}

static void sbfield(struct sb *s, const struct spu_bundle *b, uint32_t layout, uint32_t f)
{
    if (layout & SPU_LAYOUT_STD) {
        const struct spu_layout *l = spu_bundle_layout(b, layout);
        sbf(s, "%s.#%u", l->name, f);
        return;
    }
    const struct spu_bview *v = &b->v;
    sbname(s, b, v->fields[v->layouts[layout].first_field + f].name);
}

static void sbregex(struct sb *s, const struct spu_bundle *b, uint32_t i)
{
    const struct spu_bregex *r = &b->v.regexes[i];
    sbq(s, str(b, r->pattern), r->pattern.len, '/');
    sbf(s, "%s%s%s%s", r->flags & SPU_RE_I ? "i" : "", r->flags & SPU_RE_S ? "s" : "",
        r->flags & SPU_RE_M ? "m" : "", r->flags & SPU_RE_X ? "x" : "");
}

static void sbconst(struct sb *s, const struct spu_bundle *b, uint32_t i)
{
    const struct spu_bconst *k = &b->v.consts[i];
    const struct spu_value *kv = &b->kvals[i];
    char ip[64];
    switch (k->kind) {
    case SPU_K_INT:
        sbf(s, "%lld", (long long)kv->u.i);
        break;
    case SPU_K_STR:
        sbq(s, (const char *)kv->u.s, kv->len, '"');
        break;
    case SPU_K_IP:
        if (spu_ip_format(kv->u.s, kv->aux, ip, sizeof(ip)) != SPU_OK)
            snprintf(ip, sizeof(ip), "?");
        sbf(s, "%s/%u", ip, kv->len);
        break;
    case SPU_K_LIST:
        sbf(s, "list ");
        sbname(s, b, b->v.lists[kv->u.idx].name);
        break;
    case SPU_K_REGEX:
        sbregex(s, b, kv->u.idx);
        break;
    }
    if (k->flags & SPU_KF_NOCASE)
        sbf(s, " nocase");
}

static void sbgflags(struct sb *s, unsigned a)
{
    if (a & SPU_GF_CAPTURE)
        sbf(s, " capture");
    if (a & SPU_GF_YIELD)
        sbf(s, " yield");
    if (a & SPU_GF_NOCASE)
        sbf(s, " nocase");
    if (a & SPU_GF_SURE)
        sbf(s, " sure");
}

static void sbdfa(struct sb *s, const struct spu_bundle *b, uint32_t d)
{
    const struct spu_bdfa *x = &b->v.dfas[d];
    sbf(s, "D%u", d);
    if (x->source.len) {
        sbf(s, " ");
        sbq(s, str(b, x->source), x->source.len, '/');
    }
}

static void format_insn(struct sb *s, const struct spu_bundle *b, const struct spu_bprog *p,
                        const struct spu_insn *in)
{
    const struct spu_bview *v = &b->v;
    const struct spu_opinfo *oi = &spu_opinfo[in->op];
    sbf(s, "%-13s", oi->name);
    switch (oi->fmt) {
    case SPU_FMT_NONE:
        break;
    case SPU_FMT_BOOL:
        sbf(s, " %s", in->a ? "true" : "false");
        break;
    case SPU_FMT_IMM:
        sbf(s, " %d", (int32_t)in->c);
        break;
    case SPU_FMT_CONST:
        sbf(s, " ");
        sbconst(s, b, in->c);
        break;
    case SPU_FMT_LOCAL:
        sbf(s, " local %u", in->b);
        break;
    case SPU_FMT_FIELD:
        sbf(s, " ");
        sbfield(s, b, p->layout, in->b);
        break;
    case SPU_FMT_LFIELD:
        sbf(s, " ");
        if (in->c & SPU_LAYOUT_STD) {
            uint32_t k = in->c & ~SPU_LAYOUT_STD;
            struct spu_sig_param prm[SPU_MAX_SIG_PARAMS];
            int n = spu_sig_parse(spu_std_records[k].fields, prm, SPU_MAX_SIG_PARAMS);
            if (n > 0 && in->b < (unsigned)n)
                sbf(s, "%s.%s", spu_std_records[k].layout.name, prm[in->b].name);
            else
                sbfield(s, b, in->c, in->b);
        } else {
            sbname(s, b, v->layouts[in->c].name);
            sbf(s, ".");
            sbfield(s, b, in->c, in->b);
        }
        break;
    case SPU_FMT_STATE:
        sbf(s, " state.");
        sbfield(s, b, v->protos[p->proto].state_layout, in->b);
        break;
    case SPU_FMT_REGEX:
        sbf(s, " ");
        sbregex(s, b, in->c);
        break;
    case SPU_FMT_LIST:
        sbf(s, " ");
        sbname(s, b, v->lists[in->c].name);
        break;
    case SPU_FMT_JUMP:
        sbf(s, " -> %u", in->c);
        break;
    case SPU_FMT_BUILTIN:
        sbf(s, " %s/%u", spu_builtins[in->c].name, in->a);
        break;
    case SPU_FMT_FLOWVAR:
        sbf(s, " flow.");
        sbfield(s, b, v->globals->flow_layout, in->b);
        break;
    case SPU_FMT_FLOWKEY:
        sbf(s, " flow.%s", flowkey_names[in->b]);
        break;
    case SPU_FMT_SESS:
        sbf(s, " ");
        sbname(s, b, v->sessions[in->a].name);
        sbf(s, ".");
        sbfield(s, b, v->sessions[in->a].layout, in->b);
        break;
    case SPU_FMT_GCONST:
        sbf(s, " ");
        sbconst(s, b, in->c);
        sbgflags(s, in->a);
        break;
    case SPU_FMT_GDFA:
        sbf(s, " ");
        sbdfa(s, b, in->c);
        sbgflags(s, in->a);
        break;
    case SPU_FMT_DFA:
        sbf(s, " ");
        sbdfa(s, b, in->c);
        break;
    case SPU_FMT_GFLAGS:
        if (in->op == SPU_OP_G_UINT)
            sbf(s, " u%u%s", SPU_GUINT_WIDTH(in->a) * 8, (in->a & SPU_GUINT_LE) ? "le" : "");
        sbgflags(s, in->a & SPU_GF__MASK);
        break;
    case SPU_FMT_UNIT:
        sbf(s, " ");
        sbname(s, b, v->progs[in->c].name);
        sbf(s, "(%u)", in->a);
        sbgflags(s, in->b);
        break;
    case SPU_FMT_MSG:
        sbf(s, " ");
        sbname(s, b, v->progs[in->c].name);
        break;
    case SPU_FMT_SINK:
        sbf(s, " S%u conditions %u args %u", in->c, in->a, in->b);
        break;
    case SPU_FMT_EVENT:
        sbf(s, " ");
        sbname(s, b, v->events[in->c].name);
        break;
    case SPU_FMT_LOOPSLOT:
        sbf(s, " slot %u", in->b);
        break;
    case SPU_FMT_LOOPJUMP:
        sbf(s, " slot %u -> %u", in->b, in->c);
        break;
    }
}

const char *spu_disasm_insn(const struct spu_bundle *b, uint32_t prog, uint32_t pc, char *buf,
                            size_t len)
{
    if (!len)
        return buf;
    buf[0] = '\0';
    if (prog >= b->v.nprogs || pc >= b->v.progs[prog].code_len)
        return buf;
    const struct spu_bprog *p = &b->v.progs[prog];
    struct sb s = {buf, len, 0};
    format_insn(&s, b, p, &b->v.code[p->code_off + pc]);
    /* drop the padding of an operand-less mnemonic */
    while (s.pos > 0 && buf[s.pos - 1] == ' ')
        buf[--s.pos] = '\0';
    return buf;
}

/* ---- whole-bundle sections ---- */

#define LINE 1024

static void put(FILE *out, struct sb *s)
{
    fprintf(out, "%s\n", s->p);
    s->pos = 0;
    s->p[0] = '\0';
}

static const char *prog_kind(uint32_t k)
{
    static const char *const names[] = {"?", "RULE", "UNIT", "MESSAGE", "DRIVER", "KEY"};
    return k <= SPU_PROG_KEY ? names[k] : "?";
}

static void sbprogref(struct sb *s, const struct spu_bundle *b, uint32_t pi)
{
    if (pi == SPU_NONE) {
        sbf(s, "-");
        return;
    }
    sbf(s, "prog %u (", pi);
    sbname(s, b, b->v.progs[pi].name);
    sbf(s, ")");
}

static void sbu32list(struct sb *s, const struct spu_bundle *b, uint32_t off, uint32_t n,
                      const char *prefix)
{
    sbf(s, "[");
    for (uint32_t i = 0; i < n; i++)
        sbf(s, "%s%s%u", i ? " " : "", prefix, b->v.u32[off + i]);
    sbf(s, "]");
}

int spu_disasm_prog(FILE *out, const struct spu_bundle *b, uint32_t pi)
{
    const struct spu_bview *v = &b->v;
    if (pi >= v->nprogs)
        return SPU_EINVAL;
    const struct spu_bprog *p = &v->progs[pi];
    char line[LINE];
    struct sb s = {line, sizeof(line), 0};
    line[0] = '\0';
    sbf(&s, "prog %u \"", pi);
    sbname(&s, b, p->name);
    sbf(&s, "\": %s", prog_kind(p->kind));
    if (p->event != SPU_NONE) {
        sbf(&s, " on ");
        sbname(&s, b, v->events[p->event].name);
    }
    if (p->proto != SPU_NONE) {
        sbf(&s, " of ");
        sbname(&s, b, v->protos[p->proto].name);
    }
    if (p->layout != SPU_NONE) {
        const struct spu_layout *l = spu_bundle_layout(b, p->layout); /* bundle or stdlib */
        sbf(&s, ", record %s", l ? l->name : "?");
    }
    sbf(&s, ", locals %u, params %u, max_stack %u, loops %u%s", p->nlocals, p->nparams,
        p->max_stack, p->nloops, p->flags & SPU_PF_STREAM ? ", stream" : "");
    put(out, &s);
    for (uint32_t pc = 0; pc < p->code_len; pc++) {
        sbf(&s, "  %04u  ", pc);
        format_insn(&s, b, p, &v->code[p->code_off + pc]);
        while (s.pos > 0 && line[s.pos - 1] == ' ')
            line[--s.pos] = '\0';
        put(out, &s);
    }
    return ferror(out) ? SPU_EIO : SPU_OK;
}

static void dump_header(FILE *out, const struct spu_bundle *b, unsigned flags, struct sb *s)
{
    const struct spu_bview *v = &b->v;
    sbf(s, "bundle ");
    sbstr(s, b, v->globals->name);
    sbf(s, ", format version %u", v->hdr->version);
    if (!(flags & SPU_DIS_STABLE)) {
        sbf(s, ", %llu bytes, %s", (unsigned long long)v->size,
            b->trusted_sig ? "signed by a trusted key"
            : v->sig       ? "signed (key not trusted)"
                           : "unsigned");
        put(out, s);
        sbf(s, "sha256 ");
        for (int i = 0; i < 32; i++)
            sbf(s, "%02x", v->hdr->checksum[i]);
        put(out, s);
        sbf(s, "stdlib ");
        for (int i = 0; i < 32; i++)
            sbf(s, "%02x", v->hdr->stdlib_fp[i]);
        put(out, s);
        for (unsigned id = 1; id <= SPU_SEC__MAX; id++)
            if (v->sec[id].present) {
                sbf(s, "  section %-8s offset %-8llu size %-8llu entries %u", spu_section_name(id),
                    (unsigned long long)v->sec[id].off, (unsigned long long)v->sec[id].size,
                    v->sec[id].n);
                put(out, s);
            }
    } else {
        put(out, s);
    }
    sbf(s, "flow variables: ");
    if (v->globals->flow_layout == SPU_NONE)
        sbf(s, "none");
    else
        sbname(s, b, v->layouts[v->globals->flow_layout].name);
    sbf(s, ", entry protocols %u", v->globals->nprotos_entry);
    put(out, s);
    if (v->globals->nmsg_ends) {
        sbf(s, "message ends on");
        const uint32_t *me = v->u32 + v->globals->msg_ends;
        for (uint32_t k = 0; k < v->globals->nmsg_ends; k++) {
            sbf(s, k ? ", " : " ");
            sbname(s, b, v->events[me[k]].name);
        }
        put(out, s);
    }
}

static void dump_consts_layouts(FILE *out, const struct spu_bundle *b, struct sb *s)
{
    const struct spu_bview *v = &b->v;
    fprintf(out, "\nconstants (%u)\n", v->nconsts);
    for (uint32_t i = 0; i < v->nconsts; i++) {
        static const char *const kinds[] = {"?", "int", "string", "ip", "list", "regex"};
        sbf(s, "  k%-4u %-6s ", i, kinds[v->consts[i].kind]);
        sbconst(s, b, i);
        put(out, s);
    }
    fprintf(out, "\nlayouts (%u)\n", v->nlayouts);
    for (uint32_t i = 0; i < v->nlayouts; i++) {
        const struct spu_blayout *l = &v->layouts[i];
        sbf(s, "  L%u ", i);
        sbname(s, b, l->name);
        if (l->flags & SPU_LF_MAP) {
            sbf(s, " map(");
            sbfield(s, b, i, l->map_key);
            sbf(s, " -> ");
            sbfield(s, b, i, l->map_value);
            sbf(s, ")");
        }
        if (l->proto != SPU_NONE) {
            sbf(s, " of ");
            sbname(s, b, v->protos[l->proto].name);
        }
        put(out, s);
        for (uint32_t f = 0; f < l->nfields; f++) {
            const struct spu_bfield *fd = &v->fields[l->first_field + f];
            sbf(s, "    %-3u ", f);
            sbname(s, b, fd->name);
            sbf(s, ": ");
            if (fd->type == SPU_T_REC)
                sbf(s, "%s", spu_bundle_layout(b, fd->sub)->name);
            else
                sbf(s, "%s", spu_type_name(fd->type));
            sbf(s, "%s", fd->flags & SPU_FF_ARRAY ? "[]" : "");
            put(out, s);
        }
    }
}

static void dump_grammar(FILE *out, const struct spu_bundle *b, struct sb *s)
{
    const struct spu_bview *v = &b->v;
    static const char *const transports[] = {"?", "tcp", "udp", "stream"};
    fprintf(out, "\nprotocols (%u)\n", v->nprotos);
    for (uint32_t i = 0; i < v->nprotos; i++) {
        const struct spu_bproto *p = &v->protos[i];
        sbf(s, "  P%u ", i);
        sbname(s, b, p->name);
        sbf(s, " over %s ports ", transports[p->transport]);
        sbu32list(s, b, p->ports, p->nports, "");
        if (p->state_layout != SPU_NONE) {
            sbf(s, " state layout ");
            sbname(s, b, v->layouts[p->state_layout].name);
        }
        put(out, s);
        for (int d = 0; d < 2; d++) {
            sbf(s, "    %s: driver ", d ? "server" : "client");
            sbprogref(s, b, p->driver[d]);
            sbf(s, ", detect %s", p->detect[d] == SPU_NONE ? "-" : "");
            if (p->detect[d] != SPU_NONE)
                sbdfa(s, b, p->detect[d]);
            sbf(s, ", resync %s %s", p->resync_mode[d] ? "after" : "at",
                p->resync[d] == SPU_NONE ? "-" : "");
            if (p->resync[d] != SPU_NONE)
                sbdfa(s, b, p->resync[d]);
            if (p->resync_rev[d] != SPU_NONE) {
                sbf(s, " reverse ");
                sbdfa(s, b, p->resync_rev[d]);
            }
            sbf(s, ", transactions ");
            sbu32list(s, b, d ? p->tx_server : p->tx_client, d ? p->ntx_server : p->ntx_client,
                      "prog ");
            put(out, s);
        }
        sbf(s, "    limits token %u field %u message %u pipeline %u depth %u iterations %u",
            p->lim_token, p->lim_field, p->lim_message, p->lim_pipeline, p->lim_depth,
            p->lim_iterations);
        put(out, s);
    }
    fprintf(out, "\ndfas (%u)\n", v->ndfas);
    for (uint32_t i = 0; i < v->ndfas; i++) {
        const struct spu_bdfa *d = &v->dfas[i];
        sbf(s, "  ");
        sbdfa(s, b, i);
        sbf(s, ": %u states, %u classes, start %u, %u labels%s%s", d->nstates, d->nclasses,
            d->start, d->nlabels, d->flags & SPU_DFA_ANCHORED ? ", anchored" : "",
            d->flags & SPU_DFA_SEARCH ? ", search" : "");
        put(out, s);
    }
    fprintf(out, "\nsinks (%u)\n", v->nsinks);
    for (uint32_t i = 0; i < v->nsinks; i++) {
        const struct spu_bsink *k = &v->sinks[i];
        sbf(s, "  S%u filters [", i);
        for (uint32_t f = 0; f < k->nfilters; f++)
            sbf(s, "%s%s", f ? " " : "", filter_names[v->u32[k->filters + f]]);
        sbf(s, "] child ");
        sbprogref(s, b, k->child);
        sbf(s, " args %u limit ", k->nargs);
        if (k->limit == SPU_NONE)
            sbf(s, "default");
        else
            sbf(s, "%u", k->limit);
        sbf(s, "%s", k->flags & SPU_SINKF_SPAN ? " span" : "");
        sbf(s, "%s", k->flags & SPU_SINKF_RECORD ? " record" : "");
        sbf(s, "%s", k->flags & SPU_SINKF_DIGEST ? " digest" : "");
        put(out, s);
    }
}

static void dump_events(FILE *out, const struct spu_bundle *b, struct sb *s)
{
    const struct spu_bview *v = &b->v;
    fprintf(out, "\nevents (%u)\n", v->nevents);
    for (uint32_t i = 0; i < v->nevents; i++) {
        const struct spu_bevent *e = &v->events[i];
        sbf(s, "  E%u ", i);
        sbname(s, b, e->name);
        if (e->kind == SPU_EV_GRAMMAR) {
            sbf(s, " (grammar, ");
            sbname(s, b, v->protos[e->proto].name);
            sbf(s, ")");
        } else {
            sbf(s, " (runtime %s)", rt_event_names[e->runtime_id]);
        }
        sbf(s, " record ");
        sbname(s, b, v->layouts[e->layout].name);
        sbf(s, " rules ");
        sbu32list(s, b, e->rules, e->nrules, "");
        put(out, s);
    }
    fprintf(out, "\nregexes (%u)\n", v->nregexes);
    for (uint32_t i = 0; i < v->nregexes; i++) {
        sbf(s, "  R%u ", i);
        sbregex(s, b, i);
        put(out, s);
    }
    static const char *const lkinds[] = {"?", "string", "ip", "regex"};
    fprintf(out, "\nlists (%u)\n", v->nlists);
    for (uint32_t i = 0; i < v->nlists; i++) {
        const struct spu_blist *l = &v->lists[i];
        sbf(s, "  ");
        sbname(s, b, l->name);
        sbf(s, ": %s%s", lkinds[l->kind], l->flags & SPU_LISTF_NOCASE ? " nocase" : "");
        if (l->flags & SPU_LISTF_FILE) {
            sbf(s, " from ");
            sbstr(s, b, l->path);
            sbf(s, " (base ");
            sbstr(s, b, l->base);
            sbf(s, ")");
        }
        for (uint32_t k = 0; k < l->nitems; k++) {
            sbf(s, k ? ", " : " = ");
            uint32_t it = v->u32[l->items + k];
            if (l->kind == SPU_LIST_REGEX)
                sbregex(s, b, it);
            else
                sbconst(s, b, it);
        }
        put(out, s);
    }
    fprintf(out, "\nsessions (%u)\n", v->nsessions);
    for (uint32_t i = 0; i < v->nsessions; i++) {
        const struct spu_bsession *x = &v->sessions[i];
        sbf(s, "  ");
        sbname(s, b, x->name);
        sbf(s, ": variables ");
        sbname(s, b, v->layouts[x->layout].name);
        sbf(s, ", key ");
        sbprogref(s, b, x->key_prog);
        sbf(s, " on ");
        if (x->key_event == SPU_NONE)
            sbf(s, "any event");
        else
            sbname(s, b, v->events[x->key_event].name);
        sbf(s, ", ttl %llums, max %u", (unsigned long long)x->ttl_ms, x->max);
        put(out, s);
    }
    fprintf(out, "\noutputs (%u)\n", v->noutputs);
    for (uint32_t i = 0; i < v->noutputs; i++) {
        sbf(s, "  ");
        sbname(s, b, v->outputs[i].name);
        sbf(s, ": %s ", v->outputs[i].kind == SPU_OUT_FILE ? "file" : "unix");
        sbstr(s, b, v->outputs[i].path);
        put(out, s);
    }
    if (v->nqueues)
        fprintf(out, "\nqueues (%u)\n", v->nqueues);
    for (uint32_t i = 0; i < v->nqueues; i++) {
        sbf(s, "  ");
        sbname(s, b, v->queues[i].name);
        sbf(s, ": rate %llu bit/s, burst %u, priority %u",
            (unsigned long long)v->queues[i].rate_bps, v->queues[i].burst,
            v->queues[i].priority);
        put(out, s);
    }
    if (v->nstates)
        fprintf(out, "\nstate backends (%u)\n", v->nstates);
    for (uint32_t i = 0; i < v->nstates; i++) {
        static const char *const kinds[] = {"?", "list", "bucket", "window", "score"};
        uint32_t k = v->states[i].kind <= SPU_ST_SCORE ? v->states[i].kind : 0;
        sbf(s, "  %s ", kinds[k]);
        if (v->states[i].name.len) {
            sbname(s, b, v->states[i].name);
            sbf(s, " ");
        }
        sbf(s, "in ");
        sbstr(s, b, v->states[i].backend);
        put(out, s);
    }
    fprintf(out, "\nmeta (%u)\n", v->nmetas);
    for (uint32_t i = 0; i < v->nmetas; i++) {
        sbf(s, "  ");
        sbstr(s, b, v->metas[i].key);
        sbf(s, " = ");
        sbstr(s, b, v->metas[i].value);
        put(out, s);
    }
}

static void sbpair(struct sb *s, const struct spu_bundle *b, uint32_t w)
{
    struct spu_bstr x = {b->v.u32[w], b->v.u32[w + 1]};
    sbstr(s, b, x);
}

static void dump_rules(FILE *out, const struct spu_bundle *b, struct sb *s)
{
    const struct spu_bview *v = &b->v;
    fprintf(out, "\nrules (%u)\n", v->nrules);
    for (uint32_t i = 0; i < v->nrules; i++) {
        const struct spu_brule *r = &v->rules[i];
        sbf(s, "  rule %u: %u:%u:%u ", i, r->gid, r->sid, r->rev);
        sbstr(s, b, r->msg);
        put(out, s);
        sbf(s, "    on ");
        sbname(s, b, v->events[r->event].name);
        sbf(s, ", ");
        sbprogref(s, b, r->prog);
        if (r->classtype.len) {
            sbf(s, ", classtype ");
            sbname(s, b, r->classtype);
        }
        sbf(s, ", priority %d, score %d", r->priority, r->score);
        sbf(s, "%s%s", r->flags & SPU_RF_INDEXED ? ", indexed" : "",
            r->flags & SPU_RF_PREFILTERED ? ", prefiltered" : "");
        if (r->src_file.len) {
            sbf(s, ", at ");
            sbname(s, b, r->src_file);
            sbf(s, ":%u", r->src_line);
        }
        put(out, s);
        for (uint32_t k = 0; k < r->nrefs; k++) {
            sbf(s, "    reference ");
            sbpair(s, b, r->refs + 4 * k);
            sbf(s, " ");
            sbpair(s, b, r->refs + 4 * k + 2);
            put(out, s);
        }
        for (uint32_t k = 0; k < r->nmeta; k++) {
            sbf(s, "    metadata ");
            sbpair(s, b, r->meta + 2 * k);
            put(out, s);
        }
    }
}

static void dump_node(FILE *out, const struct spu_bundle *b, struct sb *s, uint32_t ni)
{
    const struct spu_bview *v = &b->v;
    const struct spu_binode *n = &v->inodes[ni];
    static const char *const ekinds[] = {"?", "exact", "prefix", "suffix"};
    sbf(s, "    N%u level %u rules ", ni, n->level);
    sbu32list(s, b, n->rules, n->nrules, "");
    if (n->any != SPU_NONE)
        sbf(s, " any -> N%u", n->any);
    put(out, s);
    for (uint32_t k = 0; k < n->nedges; k++) {
        const struct spu_biedge *e = &v->iedges[n->edges + k];
        sbf(s, "      %s ", ekinds[e->kind]);
        sbstr(s, b, e->value);
        sbf(s, "%s -> N%u", e->flags & SPU_IEF_NOCASE ? " nocase" : "", e->child);
        put(out, s);
    }
}

/* Trees in node order per event (children have larger indexes: a walk of
 * the node range reachable from the root would print the same set). */
static void dump_trees(FILE *out, const struct spu_bundle *b, struct sb *s)
{
    const struct spu_bview *v = &b->v;
    fprintf(out, "\nlookup trees (%u nodes)\n", v->ninodes);
    for (uint32_t i = 0; i < v->nevents; i++) {
        const struct spu_bevent *e = &v->events[i];
        if (e->index_root == SPU_NONE)
            continue;
        sbf(s, "  ");
        sbname(s, b, e->name);
        sbf(s, ": root N%u, levels", e->index_root);
        for (uint32_t k = 0; k < e->nlevels; k++) {
            sbf(s, " %u=", k);
            sbprogref(s, b, v->u32[e->levels + k]);
        }
        uint32_t nu = 0;
        spu_bundle_unindexed(b, i, &nu);
        sbf(s, ", %u unindexed rules", nu);
        put(out, s);
        /* the nodes this event's walk reaches, in index order (children
         * have larger indexes, so one pass marks them all) */
        uint8_t *seen = calloc(v->ninodes, 1);
        for (uint32_t ni = e->index_root; ni < v->ninodes; ni++) {
            if (seen && ni != e->index_root && !seen[ni])
                continue;
            const struct spu_binode *n = &v->inodes[ni];
            if (!seen && ni != e->index_root)
                break; /* out of memory: the root alone */
            dump_node(out, b, s, ni);
            for (uint32_t j = 0; seen && j <= n->nedges; j++) {
                uint32_t c = j < n->nedges ? v->iedges[n->edges + j].child : n->any;
                if (c != SPU_NONE)
                    seen[c] = 1;
            }
        }
        free(seen);
    }
    fprintf(out, "\npatterns (%u)\n", v->npatterns);
    for (uint32_t i = 0; i < v->npatterns; i++) {
        const struct spu_bpattern *p = &v->patterns[i];
        sbf(s, "  ");
        sbstr(s, b, p->literal);
        sbf(s, "%s in ", p->flags & SPU_IEF_NOCASE ? " nocase" : "");
        sbprogref(s, b, p->key_prog);
        sbf(s, " of ");
        sbname(s, b, v->events[p->event].name);
        sbf(s, " -> rule %u", p->rule);
        put(out, s);
    }
}

static void dump_logents(FILE *out, const struct spu_bundle *b, struct sb *s, uint32_t first,
                         uint32_t n, unsigned depth)
{
    for (uint32_t i = first; i < first + n; i++) {
        const struct spu_blogent *e = &b->v.logents[i];
        sbf(s, "%*s", (int)(2 * depth + 2), "");
        sbname(s, b, e->path);
        sbf(s, " = ");
        sbprogref(s, b, e->prog);
        if (e->nsubs) {
            const struct spu_layout *l = spu_bundle_layout(b, e->sub_layout);
            sbf(s, ", each record (%s):", l ? l->name : "?");
        }
        put(out, s);
        if (e->nsubs)
            dump_logents(out, b, s, e->first_sub, e->nsubs, depth + 1);
    }
}

/* Printed only when there are logs, so bundles without them dump as before. */
static void dump_logs(FILE *out, const struct spu_bundle *b, struct sb *s)
{
    const struct spu_bview *v = &b->v;
    if (!v->nlogs)
        return;
    fprintf(out, "\nlogs (%u)\n", v->nlogs);
    for (uint32_t i = 0; i < v->nlogs; i++) {
        const struct spu_blog *l = &v->logs[i];
        sbf(s, "  log ");
        sbname(s, b, l->type);
        if (l->kind != SPU_LOG_TX) {
            sbf(s, " on ");
            sbname(s, b, v->events[l->trigger].name);
            if (l->kind == SPU_LOG_ALERT)
                sbf(s, " alert");
        } else {
            sbf(s, " on transaction ");
            sbname(s, b, v->protos[l->trigger].name);
        }
        sbf(s, " (record layout %u)", l->layout);
        put(out, s);
        dump_logents(out, b, s, l->first_entry, l->nentries, 1);
    }
}

int spu_disasm(FILE *out, const struct spu_bundle *b, unsigned flags)
{
    char line[LINE];
    struct sb s = {line, sizeof(line), 0};
    line[0] = '\0';
    dump_header(out, b, flags, &s);
    dump_consts_layouts(out, b, &s);
    dump_grammar(out, b, &s);
    dump_events(out, b, &s);
    dump_rules(out, b, &s);
    dump_trees(out, b, &s);
    dump_logs(out, b, &s);
    fprintf(out, "\nprograms (%u)\n", b->v.nprogs);
    for (uint32_t i = 0; i < b->v.nprogs; i++)
        spu_disasm_prog(out, b, i);
    return ferror(out) ? SPU_EIO : SPU_OK;
}
