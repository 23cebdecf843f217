/* ast.c - node construction and the tables expanded from ast.def (see ast.h). */
#include "ast.h"

#include "arena.h"

#include <string.h>

struct kind_info {
    const char *name;
    const char *slot[3];
};

static const struct kind_info kinds[AST__COUNT] = {
#define AST(k, name, a, b, c, payload) [AST_##k] = {name, {a, b, c}},
#include "ast.def"
#undef AST
};

static const char *const op_text[AST_OP__COUNT] = {
    [AST_OP_NONE] = "?",
#define AST_OP_TEXT(n, s) [AST_OP_##n] = s,
    AST_OP_LIST(AST_OP_TEXT)
#undef AST_OP_TEXT
};

static const char *const attr_names[AST_ATTR__COUNT] = {
#define AST_ATTR_NAME(n, s) [AST_ATTR_##n] = s,
    AST_ATTR_LIST(AST_ATTR_NAME)
#undef AST_ATTR_NAME
};

static const char *const ref_names[SEMA_REF__COUNT] = {
#define SEMA_REF_NAME(n, s) [SEMA_REF_##n] = s,
    SEMA_REF_LIST(SEMA_REF_NAME)
#undef SEMA_REF_NAME
};

struct ast_node *ast_new(struct spu_arena *a, enum ast_kind kind, struct src_loc loc)
{
    struct ast_node *n = spu_arena_zalloc(a, sizeof(*n));
    if (!n)
        return NULL;
    n->kind = kind;
    n->loc = loc;
    return n;
}

struct ast_node *ast_append(struct ast_node *list, struct ast_node *item)
{
    if (!item)
        return list;
    item->tail = item;
    if (!list)
        return item;
    if (!list->tail) /* a single node that became a list head without ast_append */
        list->tail = list;
    list->tail->next = item;
    list->tail = item;
    return list;
}

struct ast_node *ast_concat(struct ast_node *list, struct ast_node *more)
{
    if (!more)
        return list;
    struct ast_node *last = more;
    while (last->next)
        last = last->next;
    more->tail = last;
    if (!list)
        return more;
    if (!list->tail)
        list->tail = list;
    list->tail->next = more;
    list->tail = last;
    return list;
}

unsigned ast_count(const struct ast_node *list)
{
    unsigned n = 0;
    for (; list; list = list->next)
        n++;
    return n;
}

const char *ast_kind_name(enum ast_kind kind)
{
    return (unsigned)kind < AST__COUNT ? kinds[kind].name : "?";
}

const char *ast_op_text(int op)
{
    return op >= 0 && op < AST_OP__COUNT ? op_text[op] : "?";
}

const char *ast_attr_name(int attr)
{
    return attr >= 0 && attr < AST_ATTR__COUNT ? attr_names[attr] : "?";
}

const char *sema_ref_name(enum sema_ref ref)
{
    return (unsigned)ref < SEMA_REF__COUNT ? ref_names[ref] : "?";
}

struct ast_node *ast_child(const struct ast_node *n, unsigned i)
{
    switch (i) {
    case 0:
        return n->a;
    case 1:
        return n->b;
    case 2:
        return n->c;
    default:
        return NULL;
    }
}

const char *ast_slot_name(enum ast_kind kind, unsigned i, int *is_list)
{
    *is_list = 0;
    if ((unsigned)kind >= AST__COUNT || i > 2 || !kinds[kind].slot[i])
        return NULL;
    const char *s = kinds[kind].slot[i];
    size_t n = strlen(s);
    *is_list = n > 0 && s[n - 1] == '*';
    return s;
}
