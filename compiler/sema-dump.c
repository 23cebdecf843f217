/* sema-dump.c - print the symbol tables of a checked program
 * (`spuc --dump-symbols`): protocols with their records, events, FIRST
 * sets, limits; logs; lists, consts, flow and session variables, outputs, rules.
 * Stable output for golden tests. */
#include "sema-int.h"

#include <string.h>

static void layout(FILE *out, const struct sema_layout *l, const char *indent)
{
    char buf[128];
    fprintf(out, "%slayout %s #%u:", indent, l->name, l->id);
    if (l->nfields == 0)
        fputs(" (no fields)", out);
    fputc('\n', out);
    for (uint32_t i = 0; i < l->nfields; i++) {
        const struct sema_field *f = l->fields[i];
        static const char *const origins[] = {"capture", "append", "derived", "declared"};
        fprintf(out, "%s  %u %s: %s (%s%s%s)\n", indent, f->index, f->name,
                sema_type_str(f->type, buf, sizeof(buf)), origins[f->origin],
                f->array ? ", array" : "",
                (int32_t)i == l->map_key ? ", map key" : (int32_t)i == l->map_value ? ", map value"
                                                                                    : "");
    }
}

static void units(FILE *out, const struct sema_proto *p)
{
    char buf[128];
    for (uint32_t i = 0; i < p->nunits; i++) {
        const struct sema_unit *u = p->units[i];
        if (u->is_message)
            fprintf(out, "  message %s from %s", u->name,
                    u->dir == AST_DIR_SERVER ? "server" : "client");
        else
            fprintf(out, "  unit %s", u->name);
        if (u->nparams) {
            fputc('(', out);
            for (uint32_t k = 0; k < u->nparams; k++)
                fprintf(out, "%s%s %s", k ? ", " : "",
                        sema_type_str(u->params[k]->type, buf, sizeof(buf)),
                        u->params[k]->name);
            fputc(')', out);
        }
        fprintf(out, " locals %u%s%s\n", u->nlocals, u->stream ? " stream" : "",
                u->when ? " when" : "");
        layout(out, u->layout, "    ");
        if (u->nevents) {
            fputs("    raises", out);
            for (uint32_t k = 0; k < u->nevents; k++)
                fprintf(out, " %s", u->events[k]->name);
            fputc('\n', out);
        }
        if (u->completion && u->is_message)
            fprintf(out, "    completion %s\n", u->completion->name);
        if (u->ncallees) {
            fputs("    encloses", out);
            for (uint32_t k = 0; k < u->ncallees; k++)
                fprintf(out, " %s.%s", u->callees[k]->proto->name, u->callees[k]->name);
            fputc('\n', out);
        }
        if (u->first_ok) {
            fputs("    first ", out);
            sema_first_print(out, &u->first);
            fputc('\n', out);
        }
    }
}

static void proto(FILE *out, const struct sema_proto *p)
{
    static const char *const transports[] = {"?", "tcp", "udp", "stream"};
    fprintf(out, "protocol %s over %s #%u\n", p->name, transports[p->transport & 3], p->id);
    if (p->nimports) {
        fputs("  imports", out);
        for (uint32_t i = 0; i < p->nimports; i++)
            fprintf(out, " %s", p->imports[i]);
        fputc('\n', out);
    }
    if (p->nports) {
        fputs("  ports", out);
        for (uint32_t i = 0; i < p->nports; i++)
            fprintf(out, "%s %u", i ? "," : "", p->ports[i]);
        fputc('\n', out);
    }
    for (int d = 0; d < 2; d++) {
        for (uint32_t i = 0; i < p->ndetect[d]; i++) {
            fprintf(out, "  detect %s ", d ? "server" : "client");
            sema_pattern_print(out, p->detect[d][i]);
            fputc('\n', out);
        }
        if (p->resync[d]) {
            fprintf(out, "  resync %s %s ", d ? "server" : "client",
                    p->resync_mode[d] == AST_RESYNC_AT ? "at" : "after");
            sema_pattern_print(out, p->resync[d]);
            fputc('\n', out);
        }
    }
    fputs("  limits", out);
    for (unsigned k = 0; k < SEMA_LIMIT__COUNT; k++)
        fprintf(out, " %s=%lld", sema_limit_name(k), (long long)p->limits[k]);
    fputc('\n', out);
    if (p->state)
        layout(out, p->state, "  ");
    if (p->ntx_client || p->ntx_server) {
        fputs("  transaction", out);
        for (uint32_t i = 0; i < p->ntx_client; i++)
            fprintf(out, "%s %s", i ? "," : "", p->tx_client[i]->name);
        fputs(" ->", out);
        for (uint32_t i = 0; i < p->ntx_server; i++)
            fprintf(out, "%s %s", i ? "," : "", p->tx_server[i]->name);
        fputc('\n', out);
    }
    for (uint32_t i = 0; i < p->ntokens; i++) {
        fprintf(out, "  token %s = ", p->tokens[i]->name);
        sema_pattern_print(out, p->tokens[i]->pattern);
        fputc('\n', out);
    }
    units(out, p);
}

/* An index path as written: host, url.ext, headers["x"]. */
static void path_print(FILE *out, const struct ast_node *n)
{
    switch (n->kind) {
    case AST_NAME:
        fputs(n->name, out);
        break;
    case AST_MEMBER:
        path_print(out, n->a);
        fprintf(out, ".%s", n->name);
        break;
    case AST_SUBSCRIPT:
        path_print(out, n->a);
        fputc('[', out);
        if (n->b->sema.cval)
            sema_const_print(out, n->b->sema.cval);
        fputc(']', out);
        break;
    default:
        fputs("?", out);
        break;
    }
}

static void events(FILE *out, const struct sema_program *p)
{
    char buf[128];
    for (uint32_t i = 0; i < p->nevents; i++) {
        const struct sema_event *e = p->events[i];
        if (e->kind == SEMA_EVENT_GRAMMAR)
            fprintf(out, "event %s #%u: grammar, %s %s.%s, layout %s\n", e->name, e->id,
                    e->unit->is_message ? "message" : "unit", e->proto->name, e->unit->name,
                    e->layout->name);
        else
            fprintf(out, "event %s #%u: runtime #%d, layout %s #%u\n", e->name, e->id, e->rt_id,
                    e->layout->name, e->layout->id);
        if (e->index) {
            fputs("  index", out);
            for (uint32_t k = 0; k < e->index->npaths; k++) {
                const struct ast_node *path = e->index->paths[k];
                fputs(k ? ", " : " ", out);
                path_print(out, path);
                fprintf(out, " (%s)", sema_type_str(path->sema.type, buf, sizeof(buf)));
            }
            fputc('\n', out);
        }
    }
}

static void lists(FILE *out, const struct sema_program *p)
{
    static const char *const kinds[] = {"strings or addresses", "strings", "addresses",
                                        "regexes"};
    for (uint32_t i = 0; i < p->nlists; i++) {
        const struct sema_list *l = p->lists[i];
        if (l->name)
            fprintf(out, "list %s #%u: %s", l->name, l->id, kinds[l->kind]);
        else
            fprintf(out, "list #%u (inline): %s", l->id, kinds[l->kind]);
        if (l->from_file) {
            fputs(" from ", out);
            sema_bytes_print(out, l->path, l->path_len);
            fprintf(out, " base %s", l->base);
        }
        if (l->nocase)
            fputs(" nocase", out);
        for (uint32_t k = 0; k < l->nitems; k++) {
            fputs(k ? ", " : ": ", out);
            if (l->kind == SEMA_LIST_REGEX)
                sema_pattern_print(out, l->regexes[k]);
            else
                sema_const_print(out, l->items[k]);
        }
        fputc('\n', out);
    }
}

static void rules(FILE *out, const struct sema_program *p)
{
    for (uint32_t i = 0; i < p->nrules; i++) {
        const struct sema_rule *r = p->rules[i];
        fprintf(out, "rule %lld:%lld:%lld on %s locals %u", (long long)r->gid, (long long)r->sid,
                (long long)r->rev, r->event ? r->event->name : "?", r->nlocals);
        if (r->msg) {
            fputs(" msg ", out);
            sema_bytes_print(out, r->msg, r->msg_len);
        }
        if (r->classtype)
            fprintf(out, " classtype %s", r->classtype);
        if (r->priority)
            fprintf(out, " priority %lld", (long long)r->priority);
        if (r->score)
            fprintf(out, " score %lld", (long long)r->score);
        for (uint32_t k = 0; k < r->nrefs; k++) {
            fprintf(out, " reference %s ", r->refs[k].type);
            sema_bytes_print(out, r->refs[k].value, r->refs[k].len);
        }
        for (uint32_t k = 0; k < r->nmeta; k++) {
            fputs(" metadata ", out);
            sema_bytes_print(out, r->meta[k], r->meta_len[k]);
        }
        fputc('\n', out);
    }
}

static void logents(FILE *out, struct sema_logent *const *v, uint32_t n, int indent)
{
    char buf[128];
    for (uint32_t i = 0; i < n; i++) {
        const struct sema_logent *e = v[i];
        fprintf(out, "%*s%s = %s #%u", indent, "", e->path,
                sema_type_str(e->value->sema.type, buf, sizeof(buf)), e->id);
        if (e->sub_layout)
            fprintf(out, ", each %s:", e->sub_layout->name);
        fputc('\n', out);
        logents(out, e->subs, e->nsubs, indent + 2);
    }
}

static void logs(FILE *out, const struct sema_program *p)
{
    for (uint32_t i = 0; i < p->nlogs; i++) {
        const struct sema_log *l = p->logs[i];
        if (l->kind == AST_LOG_TX) {
            fprintf(out, "log %s #%u on transaction %s\n", l->type, l->id, l->proto->name);
            layout(out, l->layout, "  ");
        } else {
            fprintf(out, "log %s #%u on %s%s\n", l->type, l->id, l->event->name,
                    l->kind == AST_LOG_ALERT ? " alert" : "");
        }
        logents(out, l->entries, l->nentries, 2);
    }
}

void sema_dump(FILE *out, const struct sema_program *p)
{
    char buf[128];
    for (uint32_t i = 0; i < p->nprotos; i++)
        proto(out, p->protos[i]);
    events(out, p);
    logs(out, p);
    if (p->flow) {
        fputs("flow\n", out);
        layout(out, p->flow, "  ");
    }
    lists(out, p);
    for (uint32_t i = 0; i < p->nconsts; i++) {
        const struct sema_constdecl *k = p->consts[i];
        fprintf(out, "const %s: %s", k->name, sema_type_str(k->type, buf, sizeof(buf)));
        if (k->value) {
            fputs(" = ", out);
            sema_const_print(out, k->value);
        }
        fputc('\n', out);
    }
    for (uint32_t i = 0; i < p->nsessions; i++) {
        const struct sema_session *s = p->sessions[i];
        fprintf(out, "session %s #%u keyed by %s (%s) ttl %lld max %lld\n", s->name, s->id,
                s->key_event ? s->key_event->name : "flow fields",
                sema_type_str(s->key->sema.type, buf, sizeof(buf)), (long long)s->ttl_ms,
                (long long)s->max);
        layout(out, s->layout, "  ");
    }
    for (uint32_t i = 0; i < p->noutputs; i++) {
        const struct sema_output *o = p->outputs[i];
        fprintf(out, "output %s #%u %s ", o->name, o->id,
                o->kind == AST_OUTPUT_UNIX ? "unix" : "file");
        sema_bytes_print(out, o->path, o->path_len);
        fputc('\n', out);
    }
    for (uint32_t i = 0; i < p->nqueues; i++) {
        const struct sema_queue *q = p->queues[i];
        fprintf(out, "queue %s #%u rate %lld burst %lld priority %lld\n", q->name, q->id,
                (long long)q->rate_bps, (long long)q->burst, (long long)q->priority);
    }
    for (uint32_t i = 0; i < p->nstates; i++) {
        const struct sema_state *st = p->states[i];
        static const char *const kinds[] = {"?", "list", "bucket", "window", "score"};
        fprintf(out, "state %s%s%s in ", kinds[st->kind], st->name ? " " : "",
                st->name ? st->name : "");
        sema_bytes_print(out, st->backend, st->blen);
        fputc('\n', out);
    }
    for (uint32_t i = 0; i < p->nmsg_ends; i++)
        fprintf(out, "%s%s%s", i ? ", " : "message ends on ", p->msg_ends[i]->name,
                i + 1 == p->nmsg_ends ? "\n" : "");
    rules(out, p);
}
