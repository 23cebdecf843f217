/* list-re.c - regex sets: PCRE2 patterns over bytes (no UTF mode, so
 * caseless means ASCII/Latin-1 case folding), JIT-compiled at seal when
 * the platform supports it (pcre2_match then uses the JIT code, and falls
 * back to the interpreter otherwise). Matching uses a match context shared
 * read-only by all threads (its match limit bounds the work per value) and
 * match data allocated per call. */
#include "grow.h"
#include "lists-int.h"

#include <stdlib.h>
#include <string.h>

int spu_lre_add(struct spu_listset *s, const uint8_t *p, size_t n, uint32_t re_flags,
                struct spu_error *err)
{
    uint32_t opt = 0;
    if ((re_flags & SPU_RE_I) || (s->flags & SPU_LISTF_NOCASE))
        opt |= PCRE2_CASELESS;
    if (re_flags & SPU_RE_S)
        opt |= PCRE2_DOTALL;
    if (re_flags & SPU_RE_M)
        opt |= PCRE2_MULTILINE;
    if (re_flags & SPU_RE_X)
        opt |= PCRE2_EXTENDED;
    if (s->nres == s->res_cap) {
        size_t cap = spu_grow_cap(s->res_cap, s->nres + 1, 8, SIZE_MAX / sizeof(*s->res));
        pcre2_code **nr = cap ? realloc(s->res, cap * sizeof(*nr)) : NULL;
        if (!nr)
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        s->res = nr;
        s->res_cap = cap;
    }
    int ecode = 0;
    PCRE2_SIZE eoff = 0;
    pcre2_code *re = pcre2_compile(p, n, opt, &ecode, &eoff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[120];
        if (pcre2_get_error_message(ecode, msg, sizeof(msg)) < 0)
            strcpy((char *)msg, "bad pattern");
        return spu_error_set(err, SPU_EPARSE, "regex /%.*s/: %s at offset %zu",
                             (int)(n > 60 ? 60 : n), (const char *)p, (const char *)msg,
                             (size_t)eoff);
    }
    s->res[s->nres++] = re;
    return SPU_OK;
}

int spu_lre_seal(struct spu_listset *s)
{
    s->mctx = pcre2_match_context_create(NULL);
    if (!s->mctx)
        return SPU_ENOMEM;
    pcre2_set_match_limit(s->mctx, SPU_LIST_MATCH_LIMIT);
    for (size_t i = 0; i < s->nres; i++)
        pcre2_jit_compile(s->res[i], PCRE2_JIT_COMPLETE); /* interpreter if JIT is absent */
    return SPU_OK;
}

int spu_lre_has(const struct spu_listset *s, const uint8_t *p, size_t n)
{
    if (s->nres == 0)
        return 0;
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    if (!md)
        return SPU_ENOMEM;
    int hit = 0;
    for (size_t i = 0; i < s->nres && !hit; i++) {
        /* >= 0 is a match (0: the ovector was too small, still a match);
         * errors such as the match limit count as no match */
        hit = pcre2_match(s->res[i], p, n, 0, 0, md, s->mctx) >= 0;
    }
    pcre2_match_data_free(md);
    return hit;
}

void spu_lre_free(struct spu_listset *s)
{
    for (size_t i = 0; i < s->nres; i++)
        pcre2_code_free(s->res[i]);
    free(s->res);
    pcre2_match_context_free(s->mctx);
}
