/* sema.c - semantic analysis driver and shared helpers (see sema.h). */
#include "sema-int.h"

#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void *sema_alloc(struct sema *s, size_t n)
{
    void *p = spu_arena_zalloc(s->arena, n);
    if (!p)
        s->nomem = true;
    return p;
}

/* Vectors live in the arena; their capacity is implied by their length:
 * 4, then the next power of two, so no capacity field is needed. */
void *sema_vgrow(struct sema *s, void *arr, uint32_t n, size_t elsize)
{
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return arr;
    size_t ncap = n == 0 ? 4 : (size_t)n * 2;
    void *na = spu_arena_alloc(s->arena, elsize * ncap);
    if (!na) {
        s->nomem = true;
        return NULL;
    }
    if (n)
        memcpy(na, arr, elsize * n);
    return na;
}

const char *sema_strndup(struct sema *s, const char *p, size_t n)
{
    const char *r = spu_arena_strndup(s->arena, p, n);
    if (!r)
        s->nomem = true;
    return r ? r : "";
}

const char *sema_sprintf(struct sema *s, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return sema_strndup(s, buf, strlen(buf));
}

void sema_dup(struct sema *s, struct src_loc loc, struct src_loc prev, const char *what,
              const char *name)
{
    sema_error(s, loc, "duplicate %s '%s'", what, name);
    sema_note(s, prev, "previous definition is here");
}

struct sema_program *sema_check(struct spu_arena *arena, struct diag *diag,
                                struct ast_node *const *files, unsigned nfiles)
{
    struct sema s = {0};
    s.arena = arena;
    s.diag = diag;
    s.files = files;
    s.nfiles = nfiles;
    s.prog = sema_alloc(&s, sizeof(*s.prog));
    if (!s.prog)
        return NULL;
    sema_types_init(&s);
    if (s.nomem)
        return NULL;
    sema_grammars(&s);
    if (!s.nomem && !diag_stop(diag))
        sema_logs(&s);
    if (!s.nomem && !diag_stop(diag))
        sema_rules(&s);
    return s.nomem ? NULL : s.prog;
}
