/* sema-first.c - FIRST-token sets of grammar choices: every alternative,
 * optional, repetition and `until` terminator must begin with a token (a
 * literal, a regex, a named token, or a unit that begins with one), because
 * the grammar VM chooses by looking at the next token only. Codegen builds
 * one prediction DFA per choice from these sets (see sema.h). */
#include "sema-int.h"

#include <string.h>

enum { FIRST_NEW = 0, FIRST_BUSY = 1, FIRST_DONE = 2 };

static void add_tok(struct sema *s, struct sema_first *f, enum sema_tok_kind k,
                    const struct ast_node *node, const struct sema_token *t)
{
    for (uint32_t i = 0; i < f->n; i++)
        if (f->toks[i].node == node && f->toks[i].token == t)
            return;
    struct sema_tok tok = {k, node, t};
    SEMA_PUSH(s, f->toks, f->n, tok);
}

static bool first_element(struct sema *s, const struct sema_proto *p, const struct ast_node *el,
                          struct sema_first *out, const struct ast_node **bad);

static bool first_seq(struct sema *s, const struct sema_proto *p, const struct ast_node *seq,
                      struct sema_first *out, const struct ast_node **bad)
{
    const struct ast_node *it = seq->a;
    if (!it) {
        *bad = seq;
        return false;
    }
    if (it->kind == AST_CAPTURE || it->kind == AST_APPEND)
        it = it->a;
    return first_element(s, p, it, out, bad);
}

static bool first_element(struct sema *s, const struct sema_proto *p, const struct ast_node *el,
                          struct sema_first *out, const struct ast_node **bad)
{
    switch (el->kind) {
    case AST_STR:
        add_tok(s, out, SEMA_TOK_LIT, el, NULL);
        return true;
    case AST_REGEX:
        add_tok(s, out, SEMA_TOK_REGEX, el, NULL);
        return true;
    case AST_EL_REF: {
        const struct sema_token *t = sema_proto_token(p, el->name);
        if (t) {
            add_tok(s, out, SEMA_TOK_TOKEN, t->pattern, t);
            return true;
        }
        struct sema_unit *u = sema_proto_unit(p, el->name);
        unsigned uf;
        if (!u && sema_uint_name(el->name, &uf)) { /* an integer is no token */
            *bad = el;
            return false;
        }
        if (!u || u->is_message) { /* reported by the body check */
            *bad = NULL;
            return false;
        }
        if (!sema_unit_first(s, u)) {
            *bad = u->first_bad;
            return false;
        }
        for (uint32_t i = 0; i < u->first.n; i++)
            add_tok(s, out, u->first.toks[i].kind, u->first.toks[i].node,
                    u->first.toks[i].token);
        return true;
    }
    case AST_EL_ALT:
        for (const struct ast_node *alt = el->a; alt; alt = alt->next)
            if (!first_seq(s, p, alt, out, bad))
                return false;
        return true;
    case AST_EL_PLUS: /* E+ [until T] begins with E */
        return first_element(s, p, el->a, out, bad);
    default:
        *bad = el;
        return false;
    }
}

bool sema_unit_first(struct sema *s, struct sema_unit *u)
{
    if (u->first_state == FIRST_DONE)
        return u->first_ok;
    if (u->first_state == FIRST_BUSY) {
        sema_error(s, u->decl->loc, "unit '%s' begins with itself (left recursion): a choice "
                   "could never be decided", u->name);
        u->first_bad = NULL;
        return false;
    }
    u->first_state = FIRST_BUSY;
    const struct ast_node *body = u->is_message ? u->decl->b : u->decl->c;
    const struct ast_node *st = body ? body->a : NULL;
    const struct ast_node *bad = u->decl;
    bool ok = false;
    for (; st; st = st->next) {
        if (st->kind == AST_VAR || st->kind == AST_ASSIGN || st->kind == AST_EVENT ||
            st->kind == AST_ANOMALY || st->kind == AST_TX_KEY)
            continue;
        if (st->kind == AST_SEQ)
            ok = first_seq(s, u->proto, st, &u->first, &bad);
        else if (st->kind == AST_YIELD)
            ok = first_element(s, u->proto, st->a, &u->first, &bad);
        else
            bad = st;
        break;
    }
    u->first_ok = ok;
    u->first_bad = ok ? NULL : bad;
    u->first_state = FIRST_DONE;
    return ok;
}

static bool tok_eq(const struct sema_tok *a, const struct sema_tok *b)
{
    if (a->kind != b->kind)
        return false;
    if (a->kind == SEMA_TOK_TOKEN)
        return a->token == b->token;
    const struct ast_node *x = a->node, *y = b->node;
    if (x->len != y->len || memcmp(x->bytes, y->bytes, x->len) != 0)
        return false;
    if (a->kind == SEMA_TOK_LIT)
        return (x->flags & AST_F_NOCASE) == (y->flags & AST_F_NOCASE);
    return strcmp(x->name ? x->name : "", y->name ? y->name : "") == 0;
}

/* Is every token of alternative j also a token of an earlier one? */
static bool shadowed(const struct sema_choice *c, uint32_t j)
{
    const struct sema_first *f = &c->alts[j];
    if (f->n == 0)
        return false;
    for (uint32_t t = 0; t < f->n; t++) {
        bool found = false;
        for (uint32_t i = 0; i < j && !found; i++)
            for (uint32_t k = 0; k < c->alts[i].n && !found; k++)
                found = tok_eq(&f->toks[t], &c->alts[i].toks[k]);
        if (!found)
            return false;
    }
    return true;
}

static void not_a_token(struct sema *s, const struct ast_node *at, const char *what,
                        const struct ast_node *bad)
{
    sema_error(s, at->loc, "%s does not begin with a token (a literal, a regex, a token "
               "name, or a unit that begins with one)", what);
    if (bad && (bad->loc.line != at->loc.line || bad->loc.col != at->loc.col))
        sema_note(s, bad->loc, "it begins with this");
}

/* A group of several alternatives as the first element was checked as a
 * choice of its own, and its failure reported there (a group of one is no
 * choice: it reports nothing itself). bad == NULL: an unknown name or left
 * recursion, reported already too. */
static bool inner_choice(const struct ast_node *first)
{
    if (first && (first->kind == AST_CAPTURE || first->kind == AST_APPEND))
        first = first->a;
    return first && first->kind == AST_EL_ALT && first->a && first->a->next;
}

void sema_choice(struct sema *s, struct sema_proto *p, struct ast_node *el)
{
    struct sema_choice *c = sema_alloc(s, sizeof(*c));
    if (!c)
        return;
    const struct ast_node *parts[2];
    const char *what[2];
    uint32_t n;
    if (el->kind == AST_EL_ALT) {
        n = ast_count(el->a);
    } else if (el->b) {
        n = 2;
        parts[0] = el->b;
        what[0] = "the terminator of 'until'";
        parts[1] = el->a;
        what[1] = "the repeated element";
    } else {
        n = 1;
        parts[0] = el->a;
        what[0] = el->kind == AST_EL_OPT ? "the optional element" : "the repeated element";
    }
    c->alts = sema_alloc(s, sizeof(*c->alts) * (n ? n : 1));
    if (!c->alts)
        return;
    c->n = n;
    bool all = true;
    if (el->kind == AST_EL_ALT) {
        uint32_t i = 0;
        for (const struct ast_node *alt = el->a; alt; alt = alt->next, i++) {
            const struct ast_node *bad = NULL;
            if (!first_seq(s, p, alt, &c->alts[i], &bad)) {
                all = false;
                /* a group of one chooses nothing (lowered as its items):
                 * it needs a first token only where an enclosing choice
                 * looks at it, and that choice reports it */
                if (bad && n > 1 && !inner_choice(alt->a))
                    not_a_token(s, alt, sema_sprintf(s, "alternative %u", i + 1), bad);
            }
        }
    } else {
        for (uint32_t i = 0; i < n; i++) {
            const struct ast_node *bad = NULL;
            if (!first_element(s, p, parts[i], &c->alts[i], &bad)) {
                all = false;
                if (bad && !inner_choice(parts[i]))
                    not_a_token(s, parts[i], what[i], bad);
            }
        }
    }
    el->sema.choice = c;
    if (!all)
        return;
    uint32_t i = 1;
    for (const struct ast_node *alt = el->a ? el->a->next : NULL; i < n; i++) {
        if (shadowed(c, i)) {
            if (el->kind == AST_EL_ALT)
                sema_warning(s, alt->loc, "this alternative is never chosen: each of its first "
                             "tokens also begins an earlier alternative");
            else
                sema_warning(s, el->a->loc, "the repeated element is never chosen: each of its "
                             "first tokens also begins the terminator");
            break;
        }
        if (alt)
            alt = alt->next;
    }
}

void sema_first_print(FILE *out, const struct sema_first *f)
{
    for (uint32_t i = 0; i < f->n; i++) {
        const struct sema_tok *t = &f->toks[i];
        if (i)
            fputs(" | ", out);
        if (t->kind == SEMA_TOK_TOKEN) {
            fputs(t->token->name, out);
            continue;
        }
        sema_pattern_print(out, t->node);
    }
}
