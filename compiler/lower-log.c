/*
 * lower-log.c - EVE log declarations: one KEY program per entry, and the
 * LOG / LOGENT sections (see cg-int.h and bundle-format.h).
 *
 * An entry of `log T on EVENT` gets a KEY program on EVENT (like a rule's
 * expression: pair and ancestor loads work); an entry of a transaction
 * log, or of a `{ }` block, a KEY program with no event whose layout is
 * the record it runs on (the transaction layout, or the element
 * records' layout, possibly a stdlib record).
 */
#include "cg-int.h"

int lower_logs(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    if (!prog->nlogents)
        return cg->status;
    cg->logent_func = cg_alloc(cg, prog->nlogents * sizeof(uint32_t));
    if (!cg->logent_func)
        return cg->status;
    for (uint32_t i = 0; i < prog->nlogents && cg->status == SPU_OK; i++) {
        const struct sema_logent *e = prog->logents[i];
        const char *name = e->name;
        struct ir_func *f;
        if (e->event) {
            f = lower_key(cg, e->event, e->value, name);
        } else {
            f = ir_func_new(name, SPU_PROG_KEY);
            if (!f)
                return cg->status = SPU_ENOMEM;
            f->event = SPU_NONE;
            f->layout = e->layout->id;
            struct lx x = {.cg = cg, .f = f};
            lx_expr(&x, e->value);
            ir_emit(f, SPU_OP_RET, 0, 0, 0, e->value->loc);
            if (f->status != SPU_OK)
                cg->status = f->status;
        }
        if (!f)
            return cg->status;
        cg->logent_func[i] = cg_add_func(cg, f);
    }
    return cg->status;
}

void emit_logs(struct cg *cg)
{
    const struct sema_program *prog = cg->prog;
    for (uint32_t i = 0; i < prog->nlogs; i++) {
        const struct sema_log *l = prog->logs[i];
        struct spu_blog bl = {
            .type = spu_bw_cstr(cg->bw, l->type),
            .kind = l->kind == AST_LOG_TX      ? SPU_LOG_TX
                    : l->kind == AST_LOG_ALERT ? SPU_LOG_ALERT
                                               : SPU_LOG_EVENT,
            .trigger = l->kind == AST_LOG_TX ? cg->proto_idx[l->proto->id] : l->event->id,
            .layout = l->layout->id,
            .first_entry = l->nentries ? l->entries[0]->id : 0,
            .nentries = l->nentries,
        };
        spu_bw_log(cg->bw, &bl);
    }
    for (uint32_t i = 0; i < prog->nlogents; i++) {
        const struct sema_logent *e = prog->logents[i];
        struct spu_blogent be = {
            .path = spu_bw_cstr(cg->bw, e->path),
            .prog = cg->logent_func[i],
            .first_sub = e->nsubs ? e->subs[0]->id : 0,
            .nsubs = e->nsubs,
            .sub_layout = e->sub_layout ? e->sub_layout->id : SPU_NONE,
        };
        spu_bw_logent(cg->bw, &be);
    }
}
