/* ast-dump.c - the --dump-ast printer: one node per line, children indented
 * under their parent with the name of the slot they sit in, then what sema
 * attached (type, resolution, folded constant, FIRST sets). Stable output:
 * golden tests diff it. */
#include "ast.h"

#include "builtin-api.h"
#include "sema.h"

#include <string.h>

static const char *type_kw(int64_t t)
{
    return t == SPU_T_ANY ? "var" : spu_type_name((unsigned)t);
}

static const char *dir_name(int64_t d)
{
    return d == AST_DIR_SERVER ? "server" : "client";
}

static void payload(FILE *out, const struct ast_node *n)
{
    switch (n->kind) {
    case AST_FILE:
        fprintf(out, " %s (%s)", n->name ? n->name : "?",
                n->ival == SRC_LANG_GRAMMAR ? "grammar" : "rules");
        break;
    case AST_PROTOCOL:
        fprintf(out, " %s over %s", n->name,
                n->ival == AST_TRANSPORT_TCP   ? "tcp"
                : n->ival == AST_TRANSPORT_UDP ? "udp"
                                               : "stream");
        break;
    case AST_DETECT:
        fprintf(out, " %s", dir_name(n->ival));
        break;
    case AST_RESYNC:
        fprintf(out, " %s %s", dir_name(n->ival), n->ival2 == AST_RESYNC_AT ? "at" : "after");
        break;
    case AST_LIMIT:
        fprintf(out, " %s %lld", n->name, (long long)n->ival);
        break;
    case AST_MESSAGE:
        fprintf(out, " %s from %s", n->name, dir_name(n->ival));
        break;
    case AST_PARAM:
    case AST_VAR:
        fprintf(out, " %s %s", type_kw(n->ival), n->name);
        break;
    case AST_ERROR:
    case AST_ANOMALY:
        fputc(' ', out);
        sema_bytes_print(out, n->bytes, n->len);
        break;
    case AST_REPEAT:
        fputs(n->ival == AST_REPEAT_WHILE ? " while" : " until", out);
        break;
    case AST_EL_REF:
        fprintf(out, " %s%s", n->name, n->ival ? "()" : "");
        break;
    case AST_SINK_LIMIT:
        fprintf(out, " %lld", (long long)n->ival);
        break;
    case AST_LIST:
    case AST_REGEXLIST:
        fprintf(out, " %s", n->name);
        if (n->flags & AST_F_FROM) {
            fputs(" from ", out);
            sema_bytes_print(out, n->bytes, n->len);
        }
        if (n->flags & AST_F_NOCASE)
            fputs(" nocase", out);
        break;
    case AST_SESSION:
        fprintf(out, " %s ttl %lld max %lld", n->name, (long long)n->ival, (long long)n->ival2);
        break;
    case AST_OUTPUT:
        fprintf(out, " %s %s ", n->name, n->ival == AST_OUTPUT_UNIX ? "unix" : "file");
        sema_bytes_print(out, n->bytes, n->len);
        break;
    case AST_QUEUE:
        fprintf(out, " %s", n->name);
        break;
    case AST_STATEDECL:
        fprintf(out, " %s%s%s in ", n->ival == AST_STATE_LIST ? "list" : n->ival == AST_STATE_BUCKET ? "bucket" : n->ival == AST_STATE_WINDOW ? "window" : "score", n->name ? " " : "", n->name ? n->name : "");
        sema_bytes_print(out, n->bytes, n->len);
        break;
    case AST_ATTR:
        fprintf(out, " %s", ast_attr_name((int)n->ival));
        if (n->name)
            fprintf(out, " %s", n->name);
        if (n->bytes) {
            fputc(' ', out);
            sema_bytes_print(out, n->bytes, n->len);
        }
        if (!n->name && !n->bytes)
            fprintf(out, " %lld", (long long)n->ival2);
        break;
    case AST_ASSIGN:
    case AST_UNARY:
    case AST_BINARY:
        fprintf(out, " %s", ast_op_text(n->op));
        break;
    case AST_INT:
        fprintf(out, " %lld", (long long)n->ival);
        break;
    case AST_STR:
    case AST_REGEX:
        fputc(' ', out);
        sema_pattern_print(out, n);
        break;
    case AST_IP: {
        struct sema_const k = {.type = SPU_T_IP, .s = n->bytes, .len = (uint32_t)n->ival2,
                               .family = (uint16_t)n->ival};
        fputc(' ', out);
        sema_const_print(out, &k);
        break;
    }
    case AST_BOOL:
        fputs(n->ival ? " true" : " false", out);
        break;
    default:
        if (n->name)
            fprintf(out, " %s", n->name);
        break;
    }
}

static void ref(FILE *out, const struct ast_node *n)
{
    const struct ast_sema *a = &n->sema;
    const char *lname = a->layout ? a->layout->name : "?";
    static const char *const bases[] = {"cur", "anc", "pair"};
    switch (a->ref) {
    case SEMA_REF_NONE:
        break;
    case SEMA_REF_LOCAL:
        fprintf(out, " -> %s %s#%u", a->sym.local->param ? "param" : "local", a->sym.local->name,
                a->sym.local->slot);
        break;
    case SEMA_REF_FIELD:
    case SEMA_REF_ANC_FIELD:
    case SEMA_REF_PAIR_FIELD:
    case SEMA_REF_MEMBER:
    case SEMA_REF_STATE:
    case SEMA_REF_FLOWVAR:
        fprintf(out, " -> %s %s.%s#%u", sema_ref_name(a->ref), lname, a->sym.field->name,
                a->index);
        break;
    case SEMA_REF_SESSVAR:
        fprintf(out, " -> sessvar %s.%s#%u", a->sym.session->name, n->name, a->index);
        break;
    case SEMA_REF_FLOWKEY:
        fprintf(out, " -> flowkey %s#%u", n->name, a->index);
        break;
    case SEMA_REF_CONST:
        fprintf(out, " -> const %s", a->sym.konst->name);
        break;
    case SEMA_REF_LIST:
        if (a->sym.list->name)
            fprintf(out, " -> list %s", a->sym.list->name);
        else
            fprintf(out, " -> list #%u", a->sym.list->id);
        break;
    case SEMA_REF_BUILTIN:
        fprintf(out, " -> builtin %s", spu_builtins[a->index].name);
        break;
    case SEMA_REF_TOKEN:
        fprintf(out, " -> token %s", a->sym.token->name);
        break;
    case SEMA_REF_UNIT:
        fprintf(out, " -> unit %s.%s", a->sym.unit->proto->name, a->sym.unit->name);
        break;
    case SEMA_REF_NS_RECORD:
        fprintf(out, " -> record %s (%s)", lname, bases[a->base]);
        break;
    case SEMA_REF_NS_STATE:
        fputs(" -> state", out);
        break;
    case SEMA_REF_NS_FLOW:
        fputs(" -> flow", out);
        break;
    case SEMA_REF_NS_SESSION:
        fprintf(out, " -> session %s", a->sym.session->name);
        break;
    case SEMA_REF_NS_PROTO:
        fprintf(out, " -> protocol %s", a->sym.proto->name);
        break;
    default:
        fprintf(out, " -> %s", sema_ref_name(a->ref));
        break;
    }
}

static void annotations(FILE *out, const struct ast_node *n)
{
    const struct ast_sema *a = &n->sema;
    char buf[128];
    if (a->type)
        fprintf(out, " : %s", sema_type_str(a->type, buf, sizeof(buf)));
    ref(out, n);
    if (a->ref == SEMA_REF_NONE) {
        if ((n->kind == AST_EVENT || n->kind == AST_EVNAME || n->kind == AST_INDEX) &&
                 a->sym.event)
            fprintf(out, " -> event %s", a->sym.event->name);
        else if (n->kind == AST_SUBSCRIPT && a->layout)
            fprintf(out, " -> map %s", a->layout->name);
        else if (n->kind == AST_SINK_FILTER && a->flags & SEMA_F_CHECKED)
            fprintf(out, " -> filter #%u", a->index);
    }
    if (a->cval) {
        fputs(" = ", out);
        sema_const_print(out, a->cval);
    }
    if (a->flags & SEMA_F_CURRENT)
        fputs(" [current]", out);
    if (a->flags & SEMA_F_ARRAY)
        fputs(" [array]", out);
    if (a->flags & SEMA_F_IN_LOOP)
        fputs(" [in-loop]", out);
    if (a->flags & SEMA_F_STREAM)
        fputs(" [stream]", out);
    if (a->flags & SEMA_F_UNREACHABLE)
        fputs(" [unreachable]", out);
    if (a->choice) {
        fputs(" first:", out);
        for (uint32_t i = 0; i < a->choice->n; i++) {
            fprintf(out, " [%u] ", i);
            sema_first_print(out, &a->choice->alts[i]);
        }
    }
}

static void dump(FILE *out, const struct ast_node *n, int depth, const char *label);

/* Arguments sema filled from defaults (not written in the call). */
static void dump_defaults(FILE *out, const struct ast_node *n, int depth)
{
    if (n->kind != AST_CALL || n->sema.ref != SEMA_REF_BUILTIN || !n->sema.args)
        return;
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    int np = spu_sig_parse(spu_builtins[n->sema.index].params, p, SPU_MAX_SIG_PARAMS);
    for (int k = 0; k < np && (uint32_t)k < n->sema.nargs; k++) {
        const struct ast_node *v = n->sema.args[k];
        bool written = false;
        for (const struct ast_node *a = n->a; a && v; a = a->next)
            written |= a->a == v;
        if (!v || written)
            continue;
        char label[64];
        snprintf(label, sizeof(label), "default %.31s", p[k].name);
        dump(out, v, depth + 1, label);
    }
}

static void dump(FILE *out, const struct ast_node *n, int depth, const char *label)
{
    fprintf(out, "%*s", depth * 2, "");
    if (label)
        fprintf(out, "%s: ", label);
    fputs(ast_kind_name(n->kind), out);
    payload(out, n);
    annotations(out, n);
    fprintf(out, " @%u:%u\n", n->loc.line, n->loc.col);
    unsigned nslots = 0;
    int is_list;
    for (unsigned i = 0; i < 3; i++)
        if (ast_slot_name(n->kind, i, &is_list))
            nslots++;
    for (unsigned i = 0; i < 3; i++) {
        const char *slot = ast_slot_name(n->kind, i, &is_list);
        const struct ast_node *c = ast_child(n, i);
        if (!slot || !c)
            continue;
        char name[32];
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(slot, "*"), slot);
        for (; c; c = is_list ? c->next : NULL)
            dump(out, c, depth + 1, nslots > 1 ? name : NULL);
    }
    dump_defaults(out, n, depth);
}

void ast_dump(FILE *out, const struct ast_node *n)
{
    if (n)
        dump(out, n, 0, NULL);
}
