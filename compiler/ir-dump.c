/*
 * ir-dump.c - `spuc --dump-ir`: the IR functions of a compilation, after
 * optimization, with symbolic labels and operands by name:
 *
 *   func 12 "rule 1001": RULE on http.request, locals 0, params 0, loops 0
 *       LOAD_FIELD    url
 *       MEMBER        url.directory
 *       PUSH_K        "/cgi-bin/"
 *       EQ
 *       JZ            -> L0
 *     L0:
 *       RET
 */
#include "cg-int.h"

#include "builtin-api.h"

#include <string.h>

static const char *const flowkey_names[] = {
#define FLOWKEY(id, name, type) name,
#include "events.def"
#undef FLOWKEY
};
#define NFLOWKEYS (sizeof(flowkey_names) / sizeof(flowkey_names[0]))

static const char *const kind_names[] = {"?", "RULE", "UNIT", "MESSAGE", "DRIVER", "KEY"};

static void print_bytes(FILE *out, const uint8_t *p, uint32_t n)
{
    sema_bytes_print(out, p, n > 80 ? 80 : n);
    if (n > 80)
        fputs("...", out);
}

static void print_k(FILE *out, const struct cg *cg, const struct ir_k *k)
{
    char ip[64];
    switch (k->kind) {
    case SPU_K_INT:
        fprintf(out, "%lld", (long long)k->i);
        break;
    case SPU_K_STR:
        print_bytes(out, k->s, k->len);
        break;
    case SPU_K_IP:
        if (spu_ip_format(k->s, k->family, ip, sizeof(ip)) != SPU_OK)
            snprintf(ip, sizeof(ip), "?");
        fprintf(out, "%s/%u", ip, k->len);
        break;
    case SPU_K_LIST:
        fprintf(out, "list %u", k->idx);
        if (k->idx < cg->prog->nlists && cg->prog->lists[k->idx]->name)
            fprintf(out, " %s", cg->prog->lists[k->idx]->name);
        break;
    default:
        fprintf(out, "regex %u", k->idx);
        break;
    }
}

static void layout_field(FILE *out, const struct cg *cg, uint32_t layout, uint32_t field)
{
    if (layout & SPU_LAYOUT_STD) {
        uint32_t id = layout & ~SPU_LAYOUT_STD;
        struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
        int n = id < SPU_REC__COUNT ? spu_sig_parse(spu_std_records[id].fields, p,
                                                    SPU_MAX_SIG_PARAMS)
                                    : -1;
        if (n > 0 && field < (uint32_t)n) {
            fprintf(out, "%s.%s", spu_std_records[id].layout.name, p[field].name);
            return;
        }
        fprintf(out, "std%u.%u", id, field);
        return;
    }
    if (layout < cg->prog->nlayouts) {
        const struct sema_layout *l = cg->prog->layouts[layout];
        if (field < l->nfields) {
            fprintf(out, "%s.%s", l->name, l->fields[field]->name);
            return;
        }
    }
    fprintf(out, "L%u.%u", layout, field);
}

static void gflags(FILE *out, unsigned a)
{
    if (a & SPU_GF_CAPTURE)
        fputs(" capture", out);
    if (a & SPU_GF_YIELD)
        fputs(" yield", out);
    if (a & SPU_GF_NOCASE)
        fputs(" nocase", out);
    if (a & SPU_GF_SURE)
        fputs(" sure", out);
}

static const char *func_name(const struct cg *cg, uint32_t id)
{
    return id < cg->nfuncs ? cg->funcs[id]->name : "?";
}

static void print_insn(FILE *out, const struct cg *cg, const struct ir_func *f,
                       const struct ir_insn *in)
{
    if (in->op == IR_LABEL) {
        fprintf(out, "  L%u:\n", in->c);
        return;
    }
    const struct spu_opinfo *oi = &spu_opinfo[in->op];
    fprintf(out, "    %-13s", oi->name);
    const struct sema_program *prog = cg->prog;
    switch (oi->fmt) {
    case SPU_FMT_BOOL:
        fprintf(out, " %s", in->a ? "true" : "false");
        break;
    case SPU_FMT_IMM:
        fprintf(out, " %d", (int32_t)in->c);
        break;
    case SPU_FMT_CONST:
        fputc(' ', out);
        if (in->k)
            print_k(out, cg, in->k);
        break;
    case SPU_FMT_LOCAL:
        fprintf(out, " local %u", in->b);
        break;
    case SPU_FMT_FIELD:
        fputc(' ', out);
        layout_field(out, cg, f->layout, in->b);
        break;
    case SPU_FMT_LFIELD:
        fputc(' ', out);
        layout_field(out, cg, in->c, in->b);
        break;
    case SPU_FMT_STATE:
        fprintf(out, " state.%u", in->b);
        for (uint32_t i = 0; i < prog->nprotos; i++)
            if (cg->proto_idx[i] == f->proto && prog->protos[i]->state &&
                in->b < prog->protos[i]->state->nfields)
                fprintf(out, " (%s)", prog->protos[i]->state->fields[in->b]->name);
        break;
    case SPU_FMT_REGEX:
        if (in->c < cg->nregexes) {
            uint32_t fl = cg->regexes[in->c].flags;
            fprintf(out, " /%.*s/%s%s%s%s", (int)cg->regexes[in->c].len,
                    (const char *)cg->regexes[in->c].pat, fl & SPU_RE_I ? "i" : "",
                    fl & SPU_RE_S ? "s" : "", fl & SPU_RE_M ? "m" : "", fl & SPU_RE_X ? "x" : "");
        }
        break;
    case SPU_FMT_LIST:
        if (in->c < prog->nlists)
            fprintf(out, " %s", prog->lists[in->c]->name ? prog->lists[in->c]->name : "(inline)");
        else
            fprintf(out, " list %u (address block)", in->c);
        break;
    case SPU_FMT_JUMP:
        fprintf(out, " -> L%u", in->c);
        break;
    case SPU_FMT_BUILTIN:
        fprintf(out, " %s/%u", in->c < SPU_BI__COUNT ? spu_builtins[in->c].name : "?", in->a);
        break;
    case SPU_FMT_FLOWVAR:
        if (prog->flow && in->b < prog->flow->nfields)
            fprintf(out, " flow.%s", prog->flow->fields[in->b]->name);
        break;
    case SPU_FMT_FLOWKEY:
        fprintf(out, " flow.%s", in->b < NFLOWKEYS ? flowkey_names[in->b] : "?");
        break;
    case SPU_FMT_SESS:
        if (in->a < prog->nsessions && in->b < prog->sessions[in->a]->layout->nfields)
            fprintf(out, " %s.%s", prog->sessions[in->a]->name,
                    prog->sessions[in->a]->layout->fields[in->b]->name);
        break;
    case SPU_FMT_GCONST:
        fputc(' ', out);
        if (in->k)
            print_k(out, cg, in->k);
        gflags(out, in->a);
        break;
    case SPU_FMT_GDFA:
        fprintf(out, " D%u", in->c);
        gflags(out, in->a);
        break;
    case SPU_FMT_GFLAGS:
        if (in->op == SPU_OP_G_UINT)
            fprintf(out, " u%u%s", SPU_GUINT_WIDTH(in->a) * 8, (in->a & SPU_GUINT_LE) ? "le" : "");
        gflags(out, in->a & SPU_GF__MASK);
        break;
    case SPU_FMT_UNIT:
        fprintf(out, " %s/%u", func_name(cg, in->c), in->a);
        gflags(out, in->b);
        break;
    case SPU_FMT_MSG:
        fprintf(out, " %s", func_name(cg, in->c));
        break;
    case SPU_FMT_SINK:
        fprintf(out, " S%u conditions %u args %u", in->c, in->a, in->b);
        break;
    case SPU_FMT_EVENT:
        if (in->c < prog->nevents)
            fprintf(out, " %s", prog->events[in->c]->name);
        break;
    case SPU_FMT_LOOPSLOT:
        fprintf(out, " slot %u", in->b);
        break;
    case SPU_FMT_LOOPJUMP:
        fprintf(out, " slot %u -> L%u", in->b, in->c);
        break;
    default:
        break;
    }
    fputc('\n', out);
}

void ir_dump_func(FILE *out, const struct cg *cg, uint32_t id)
{
    const struct ir_func *f = cg->funcs[id];
    fprintf(out, "func %u \"%s\": %s", id, f->name, kind_names[f->kind <= 5 ? f->kind : 0]);
    if ((f->kind == SPU_PROG_RULE || f->kind == SPU_PROG_KEY) && f->event < cg->prog->nevents)
        fprintf(out, " on %s", cg->prog->events[f->event]->name);
    else if (f->layout != SPU_NONE && f->layout < cg->prog->nlayouts)
        fprintf(out, " record %s", cg->prog->layouts[f->layout]->name);
    fprintf(out, ", locals %u, params %u, loops %u\n", f->nlocals, f->nparams, f->nloops);
    for (uint32_t i = 0; i < f->n; i++)
        print_insn(out, cg, f, &f->code[i]);
}

void ir_dump(FILE *out, const struct cg *cg)
{
    for (uint32_t i = 0; i < cg->nfuncs; i++)
        ir_dump_func(out, cg, i);
}
