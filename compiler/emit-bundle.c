/*
 * emit-bundle.c - every table of the bundle, through the bundle builder
 * (see cg-int.h and bundle-format.h). Indexes are sema's wherever sema
 * numbers things (layouts, events, lists, rules, sessions, outputs), the
 * code generator's elsewhere (programs, regexes, DFAs, sinks); protocols
 * are renumbered so that those over tcp/udp come first. Everything is
 * written in a fixed order from tables in source order, so identical input
 * gives identical bytes.
 */
#include "cg-int.h"

#include "arena.h"
#include "builtin-api.h"
#include "dfa.h"
#include "err.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* A field's bundle type: arrays (repeated fields, and derived fields of
 * array type) are flagged and typed by their element. */
static void field_type(const struct sema_field *f, struct spu_bfield *bf)
{
    const struct sema_type *t = f->type;
    if (t && t->base == SPU_T_ARR) {
        bf->flags = SPU_FF_ARRAY;
        t = t->elem;
    }
    unsigned base = t ? t->base : SPU_T_ANY;
    if (base >= SPU_T__COUNT || base == SPU_T_ARR)
        base = SPU_T_ANY; /* arrays of arrays: dynamically typed */
    bf->type = (uint8_t)base;
    if (base == SPU_T_REC)
        bf->sub = t->layout ? t->layout->id : 0;
}

static void emit_layouts(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t i = 0; i < prog->nlayouts; i++) {
        const struct sema_layout *l = prog->layouts[i];
        uint32_t first = spu_bw_count(cg->bw, SPU_SEC_FIELD);
        for (uint32_t k = 0; k < l->nfields; k++) {
            const struct sema_field *f = l->fields[k];
            struct spu_bfield bf = {.name = spu_bw_cstr(cg->bw, f->name)};
            field_type(f, &bf);
            spu_bw_field(cg->bw, &bf);
        }
        bool map = l->map_key >= 0 && l->map_value >= 0;
        struct spu_blayout bl = {
            .name = spu_bw_cstr(cg->bw, l->name ? l->name : ""),
            .first_field = first,
            .nfields = l->nfields,
            .flags = map ? SPU_LF_MAP : 0,
            .map_key = map ? (uint32_t)l->map_key : SPU_NONE,
            .map_value = map ? (uint32_t)l->map_value : SPU_NONE,
            .proto = l->proto ? cg->proto_idx[l->proto->id] : SPU_NONE,
        };
        if (spu_bw_layout(cg->bw, &bl) != i && spu_bw_status(cg->bw) == SPU_OK)
            cg_bug(cg, "layout %u out of order", i);
    }
}

static struct spu_bstr base_dir(struct cg *cg, const char *base)
{
    char real[PATH_MAX];
    const char *b = base && *base ? base : ".";
    if (realpath(b, real))
        b = real;
    return spu_bw_cstr(cg->bw, b);
}

static uint32_t list_kind(const struct cg *cg, const struct sema_list *l)
{
    switch (l->kind) {
    case SEMA_LIST_STR:
        return SPU_LIST_STR;
    case SEMA_LIST_IP:
        return SPU_LIST_IP;
    case SEMA_LIST_REGEX:
        return SPU_LIST_REGEX;
    default:
        /* a file of strings or addresses: addresses when only addresses are
         * ever looked up in it (CIDR blocks then match), else strings */
        return cg->list_use[l->id] == CG_USE_IP ? SPU_LIST_IP : SPU_LIST_STR;
    }
}

static void emit_lists(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t i = 0; i < prog->nlists; i++) {
        const struct sema_list *l = prog->lists[i];
        struct spu_blist bl = {.kind = list_kind(cg, l)};
        bl.flags = (l->nocase ? SPU_LISTF_NOCASE : 0) | (l->from_file ? SPU_LISTF_FILE : 0);
        if (l->name)
            bl.name = spu_bw_cstr(cg->bw, l->name);
        else
            bl.name = spu_bw_cstr(cg->bw, cg_sprintf(cg, "inline %u:%u", l->decl->loc.line,
                                                     l->decl->loc.col));
        if (l->from_file) {
            bl.path = spu_bw_str(cg->bw, l->path, l->path_len);
            bl.base = base_dir(cg, l->base);
        }
        uint32_t n = l->nitems;
        uint32_t *items = calloc(n ? n : 1, sizeof(uint32_t));
        if (!items) {
            cg->status = SPU_ENOMEM;
            return;
        }
        for (uint32_t k = 0; k < n; k++) {
            if (l->kind == SEMA_LIST_REGEX) {
                const struct ast_node *re = l->regexes[k];
                items[k] = cg_regex(cg, re->bytes, re->len, re->name);
            } else {
                const struct sema_const *c = l->items[k];
                items[k] = c->type == SPU_T_IP
                               ? spu_bw_const_ip(cg->bw, c->s, c->family, c->len, 0)
                               : spu_bw_const_str(cg->bw, c->s, c->len,
                                                  l->nocase ? SPU_KF_NOCASE : 0);
            }
        }
        bl.items = n ? spu_bw_u32(cg->bw, items, n) : 0;
        bl.nitems = n;
        free(items);
        spu_bw_list(cg->bw, &bl);
    }
    for (uint32_t i = 0; i < cg->ncidrs; i++) {
        const struct sema_const *c = cg->cidrs[i];
        char txt[64];
        if (spu_ip_format(c->s, c->family, txt, sizeof(txt)) != SPU_OK)
            snprintf(txt, sizeof(txt), "?");
        uint32_t k = spu_bw_const_ip(cg->bw, c->s, c->family, c->len, 0);
        struct spu_blist bl = {
            .name = spu_bw_cstr(cg->bw, cg_sprintf(cg, "%s/%u", txt, c->len)),
            .kind = SPU_LIST_IP,
            .items = spu_bw_u32(cg->bw, &k, 1),
            .nitems = 1,
        };
        spu_bw_list(cg->bw, &bl);
    }
    for (uint32_t i = 0; i < cg->nregexes; i++) {
        struct spu_bregex r = {.pattern = spu_bw_str(cg->bw, cg->regexes[i].pat,
                                                     cg->regexes[i].len),
                               .flags = cg->regexes[i].flags};
        spu_bw_regex(cg->bw, &r);
    }
}

static uint32_t funcs_u32(struct cg *cg, struct sema_unit *const *units, uint32_t n)
{
    uint32_t ids[n ? n : 1];
    for (uint32_t i = 0; i < n; i++)
        ids[i] = cg_unit_func(cg, units[i]);
    return n ? spu_bw_u32(cg->bw, ids, n) : 0;
}

static void emit_protos(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    uint32_t nentry = 0;
    for (uint32_t k = 0; k < prog->nprotos; k++) {
        const struct sema_proto *p = NULL;
        for (uint32_t i = 0; i < prog->nprotos; i++)
            if (cg->proto_idx[i] == k)
                p = prog->protos[i];
        if (!p)
            continue;
        if (p->transport != AST_TRANSPORT_STREAM)
            nentry++;
        struct spu_bproto bp = {
            .name = spu_bw_cstr(cg->bw, p->name),
            .transport = p->transport == AST_TRANSPORT_TCP   ? SPU_TRANSPORT_TCP
                         : p->transport == AST_TRANSPORT_UDP ? SPU_TRANSPORT_UDP
                                                             : SPU_TRANSPORT_STREAM,
            .ports = p->nports ? spu_bw_u32(cg->bw, p->ports, p->nports) : 0,
            .nports = p->nports,
            .state_layout = p->state ? p->state->id : SPU_NONE,
            .tx_client = funcs_u32(cg, p->tx_client, p->ntx_client),
            .ntx_client = p->ntx_client,
            .tx_server = funcs_u32(cg, p->tx_server, p->ntx_server),
            .ntx_server = p->ntx_server,
            .lim_token = (uint32_t)p->limits[SEMA_LIMIT_TOKEN],
            .lim_field = (uint32_t)p->limits[SEMA_LIMIT_FIELD],
            .lim_message = (uint32_t)p->limits[SEMA_LIMIT_MESSAGE],
            .lim_pipeline = (uint32_t)p->limits[SEMA_LIMIT_PIPELINE],
            .lim_depth = (uint32_t)p->limits[SEMA_LIMIT_DEPTH],
            .lim_iterations = (uint32_t)p->limits[SEMA_LIMIT_ITERATIONS],
        };
        for (int d = 0; d < 2; d++) {
            bp.detect[d] = p->ndetect[d] ? cg_dfa_patterns(cg, p->detect[d], p->ndetect[d])
                                         : SPU_NONE;
            bp.resync[d] = bp.resync_rev[d] = SPU_NONE;
            bp.resync_mode[d] = p->resync_mode[d] == AST_RESYNC_AFTER ? SPU_RESYNC_AFTER
                                                                      : SPU_RESYNC_AT;
            if (p->resync[d]) {
                bp.resync[d] = cg_dfa_pattern(cg, p->resync[d], SPU_DFA_SEARCH);
                if (bp.resync_mode[d] == SPU_RESYNC_AT)
                    bp.resync_rev[d] = cg_dfa_pattern(
                        cg, p->resync[d], SPU_DFA_ANCHORED | SPU_DFA_BUILD_REVERSE);
            }
            bp.driver[d] = cg->drivers[p->id][d];
        }
        spu_bw_proto(cg->bw, &bp);
    }
    spu_bw_globals(cg->bw)->nprotos_entry = nentry;
}

static void emit_events(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    uint32_t *ids = calloc(prog->nrules ? prog->nrules : 1, sizeof(uint32_t));
    if (!ids) {
        cg->status = SPU_ENOMEM;
        return;
    }
    for (uint32_t i = 0; i < prog->nevents; i++) {
        const struct sema_event *e = prog->events[i];
        uint32_t n = 0;
        for (uint32_t r = 0; r < prog->nrules; r++)
            if (prog->rules[r]->event == e)
                ids[n++] = r;
        uint32_t root = SPU_NONE;
        if (index_write(cg, i, &root) != SPU_OK)
            break;
        bool gram = e->kind == SEMA_EVENT_GRAMMAR;
        struct spu_bevent be = {
            .name = spu_bw_cstr(cg->bw, e->name),
            .kind = gram ? SPU_EV_GRAMMAR : SPU_EV_RUNTIME,
            .proto = gram ? cg->proto_idx[e->proto->id] : SPU_NONE,
            .runtime_id = gram ? SPU_NONE : (uint32_t)e->rt_id,
            .layout = e->layout->id,
            .rules = n ? spu_bw_u32(cg->bw, ids, n) : 0,
            .nrules = n,
            .index_root = root,
            .levels = root != SPU_NONE ? cg->levels[i] : 0,
            .nlevels = root != SPU_NONE ? cg->nlevels[i] : 0,
        };
        spu_bw_event(cg->bw, &be);
    }
    free(ids);
}

static void emit_rules(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t i = 0; i < prog->nrules; i++) {
        const struct sema_rule *r = prog->rules[i];
        uint32_t refs = 0, meta = 0;
        if (r->nrefs) {
            uint32_t *w = calloc(4 * (size_t)r->nrefs, sizeof(uint32_t));
            if (!w) {
                cg->status = SPU_ENOMEM;
                return;
            }
            for (uint32_t k = 0; k < r->nrefs; k++) {
                struct spu_bstr t = spu_bw_cstr(cg->bw, r->refs[k].type);
                struct spu_bstr v = spu_bw_str(cg->bw, r->refs[k].value, r->refs[k].len);
                w[4 * k] = t.off;
                w[4 * k + 1] = t.len;
                w[4 * k + 2] = v.off;
                w[4 * k + 3] = v.len;
            }
            refs = spu_bw_u32(cg->bw, w, 4 * (size_t)r->nrefs);
            free(w);
        }
        if (r->nmeta) {
            uint32_t *w = calloc(2 * (size_t)r->nmeta, sizeof(uint32_t));
            if (!w) {
                cg->status = SPU_ENOMEM;
                return;
            }
            for (uint32_t k = 0; k < r->nmeta; k++) {
                struct spu_bstr m = spu_bw_str(cg->bw, r->meta[k], r->meta_len[k]);
                w[2 * k] = m.off;
                w[2 * k + 1] = m.len;
            }
            meta = spu_bw_u32(cg->bw, w, 2 * (size_t)r->nmeta);
            free(w);
        }
        struct spu_brule br = {
            .gid = (uint32_t)r->gid,
            .sid = (uint32_t)r->sid,
            .rev = (uint32_t)r->rev,
            .priority = (int32_t)r->priority,
            .msg = spu_bw_str(cg->bw, r->msg ? r->msg : (const uint8_t *)"", r->msg_len),
            .classtype = spu_bw_cstr(cg->bw, r->classtype ? r->classtype : ""),
            .event = r->event->id,
            .prog = cg->rule_func[i],
            .refs = refs,
            .nrefs = r->nrefs,
            .meta = meta,
            .nmeta = r->nmeta,
            .score = (int32_t)r->score,
            .flags = cg->rule_flags[i],
            .src_line = r->decl->loc.line,
            .src_file = spu_bw_cstr(cg->bw, r->path ? r->path : ""),
        };
        spu_bw_rule(cg->bw, &br);
    }
}

static void emit_sessions_outputs(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t i = 0; i < prog->nsessions; i++) {
        const struct sema_session *s = prog->sessions[i];
        struct spu_bsession bs = {
            .name = spu_bw_cstr(cg->bw, s->name),
            .layout = s->layout->id,
            .key_event = s->key_event ? s->key_event->id : SPU_NONE,
            .key_prog = cg->session_key[i],
            .max = s->max > 0 && s->max <= UINT32_MAX ? (uint32_t)s->max : 0,
            .ttl_ms = (uint64_t)s->ttl_ms,
        };
        spu_bw_session(cg->bw, &bs);
    }
    for (uint32_t i = 0; i < prog->noutputs; i++) {
        const struct sema_output *o = prog->outputs[i];
        struct spu_boutput bo = {
            .name = spu_bw_cstr(cg->bw, o->name),
            .kind = o->kind == AST_OUTPUT_UNIX ? SPU_OUT_UNIX : SPU_OUT_FILE,
            .path = spu_bw_str(cg->bw, o->path, o->path_len),
        };
        spu_bw_output(cg->bw, &bo);
    }
    for (uint32_t i = 0; i < prog->nqueues; i++) {
        const struct sema_queue *q = prog->queues[i];
        struct spu_bqueue bq = {
            .name = spu_bw_cstr(cg->bw, q->name),
            .priority = (uint32_t)q->priority,
            .burst = (uint32_t)q->burst,
            .rate_bps = (uint64_t)q->rate_bps,
        };
        spu_bw_queue(cg->bw, &bq);
    }
    for (uint32_t i = 0; i < prog->nstates; i++) {
        const struct sema_state *st = prog->states[i];
        struct spu_bstate bs = {
            .kind = (uint32_t)st->kind, /* AST_STATE_* == SPU_ST_* */
            .name = st->name ? spu_bw_cstr(cg->bw, st->name) : spu_bw_str(cg->bw, "", 0),
            .backend = spu_bw_str(cg->bw, st->backend, st->blen),
        };
        spu_bw_state(cg->bw, &bs);
    }
}

static void emit_patterns(struct cg *cg)
{
    for (uint32_t i = 0; i < cg->npats; i++) {
        const struct cg_pattern *p = &cg->pats[i];
        struct spu_bpattern bp = {
            .event = p->event,
            .key_prog = p->key_func,
            .literal = spu_bw_str(cg->bw, p->lit, p->len),
            .flags = p->flags,
            .rule = p->rule,
        };
        spu_bw_pattern(cg->bw, &bp);
    }
}

int emit_bundle(struct cg *cg, const char *name, const struct cg_meta *meta, uint32_t nmeta)
{
    const struct sema_program *prog = cg->prog;
    struct spu_bglobals *g = spu_bw_globals(cg->bw);
    g->name = spu_bw_cstr(cg->bw, name ? name : "");
    g->flow_layout = prog->flow ? prog->flow->id : SPU_NONE;
    emit_layouts(cg);
    emit_lists(cg);
    emit_protos(cg);
    for (uint32_t i = 0; i < cg->nfuncs && cg->status == SPU_OK; i++)
        if (emit_func(cg, i, cg->funcs[i]) != SPU_OK && cg->status == SPU_OK)
            cg->status = SPU_EINVAL;
    if (cg->status != SPU_OK)
        return cg->status;
    emit_events(cg);
    if (prog->nmsg_ends && cg->status == SPU_OK) {
        uint32_t *ids = calloc(prog->nmsg_ends, sizeof(*ids));
        if (!ids)
            return cg->status = SPU_ENOMEM;
        for (uint32_t i = 0; i < prog->nmsg_ends; i++)
            ids[i] = prog->msg_ends[i]->id;
        g = spu_bw_globals(cg->bw);
        g->msg_ends = spu_bw_u32(cg->bw, ids, prog->nmsg_ends);
        g->nmsg_ends = prog->nmsg_ends;
        free(ids);
    }
    emit_rules(cg);
    emit_sessions_outputs(cg);
    emit_patterns(cg);
    emit_logs(cg);
    for (uint32_t i = 0; i < nmeta; i++) {
        struct spu_bmeta m = {spu_bw_cstr(cg->bw, meta[i].key), spu_bw_cstr(cg->bw, meta[i].value)};
        spu_bw_meta(cg->bw, &m);
    }
    if (cg->status == SPU_OK && spu_bw_status(cg->bw) != SPU_OK)
        cg->status = spu_bw_status(cg->bw);
    return cg->status;
}
