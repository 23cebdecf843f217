/*
 * predict.c - the DFAs of grammar programs and protocols (see cg-int.h):
 * token DFAs (G_TOKEN), prediction DFAs of choices (G_PREDICT), detect
 * DFAs (anchored, one label per `detect` item) and resync DFAs (search,
 * plus the reverse DFA of `resync ... at`).
 *
 * A prediction label may begin with several tokens (a literal, a regex, a
 * named token, each with its own flags). compiler/dfa.h builds one pattern
 * per label, so the tokens of a label are joined into one regex: each is
 * parsed (flags applied: every character is a byte set), written back as
 * flag-free regex text (classes of \xHH bytes), and the texts are joined
 * with `|`. The same text is the key under which a DFA is built only once.
 */
#include "cg-int.h"

#include "arena.h"
#include "dfa.h"
#include "err.h"
#include "grow.h"
#include "textbuf.h"
#include "regex.h"

#include <stdlib.h>
#include <string.h>

static void tbyte(struct textbuf *b, unsigned c)
{
    char x[8];
    snprintf(x, sizeof(x), "\\x%02x", c);
    tb_put(b, x, 4);
}

/* Flag-free regex syntax for a parsed pattern (its flags are already in
 * the byte sets). */
static void rx_text(struct textbuf *b, const struct spu_rx_node *n)
{
    switch (n->kind) {
    case SPU_RX_EMPTY:
        tb_str(b, "(?:)");
        return;
    case SPU_RX_SET: {
        if (spu_byteset_empty(&n->set)) {
            tb_str(b, "[^\\x00-\\xff]");
            return;
        }
        tb_str(b, "[");
        for (unsigned c = 0; c < 256;) {
            if (!spu_byteset_has(&n->set, c)) {
                c++;
                continue;
            }
            unsigned e = c;
            while (e + 1 < 256 && spu_byteset_has(&n->set, e + 1))
                e++;
            tbyte(b, c);
            if (e > c) {
                tb_str(b, "-");
                tbyte(b, e);
            }
            c = e + 1;
        }
        tb_str(b, "]");
        return;
    }
    case SPU_RX_CAT:
        for (const struct spu_rx_node *k = n->kids; k; k = k->next)
            rx_text(b, k);
        return;
    case SPU_RX_ALT:
        tb_str(b, "(?:");
        for (const struct spu_rx_node *k = n->kids; k; k = k->next) {
            rx_text(b, k);
            if (k->next)
                tb_str(b, "|");
        }
        tb_str(b, ")");
        return;
    case SPU_RX_REPEAT: {
        char q[32];
        tb_str(b, "(?:");
        rx_text(b, n->kids);
        if (n->max == SPU_RX_INF)
            snprintf(q, sizeof(q), "){%u,}", n->min);
        else
            snprintf(q, sizeof(q), "){%u,%u}", n->min, n->max);
        tb_str(b, q);
        return;
    }
    default:
        b->bad = true;
        return;
    }
}

static struct spu_regex *parse_pattern(const struct ast_node *pat, struct spu_error *err)
{
    if (pat->kind == AST_STR)
        return spu_regex_literal(pat->bytes, pat->len,
                                 (pat->flags & AST_F_NOCASE) ? SPU_RX_ICASE : 0, err);
    unsigned fl = 0;
    for (const char *p = pat->name ? pat->name : ""; *p; p++)
        fl |= *p == 'i' ? SPU_RX_ICASE : *p == 's' ? SPU_RX_DOTALL : 0;
    return spu_regex_parse((const char *)pat->bytes, pat->len, fl, err);
}

/* Append the pattern as regex text for the DFA's `source` (diagnostics,
 * dumps): a regex as written, a literal escaped, flags as a (?i) prefix. */
static void source_text(struct textbuf *b, const struct ast_node *pat)
{
    if (pat->kind == AST_REGEX) {
        if (pat->name && *pat->name) {
            tb_str(b, "(?");
            tb_str(b, pat->name);
            tb_str(b, ")");
        }
        tb_put(b, (const char *)pat->bytes, pat->len);
        return;
    }
    if (pat->flags & AST_F_NOCASE)
        tb_str(b, "(?i)");
    for (uint32_t i = 0; i < pat->len; i++) {
        unsigned char c = pat->bytes[i];
        if (c < 0x20 || c >= 0x7f)
            tbyte(b, c);
        else {
            if (strchr("\\^$.|?*+()[]{}/", c))
                tb_put(b, "\\", 1);
            tb_put(b, (const char *)&c, 1);
        }
    }
}

/* Append the flag-free text of pattern node `pat`. */
static int pattern_text(struct cg *cg, struct textbuf *b, const struct ast_node *pat)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_regex *re = parse_pattern(pat, &err);
    if (!re) {
        if (err.code == SPU_ENOMEM)
            cg->status = SPU_ENOMEM;
        else
            cg_error(cg, pat->loc, "pattern: %s", err.msg);
        return err.code ? err.code : SPU_EINVAL;
    }
    rx_text(b, spu_regex_root(re));
    spu_regex_free(re);
    return SPU_OK;
}

static char *memtext(void (*print)(FILE *, const void *), const void *arg)
{
    char *s = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&s, &n);
    if (!m)
        return NULL;
    print(m, arg);
    if (fclose(m) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static void print_first(FILE *out, const void *f)
{
    sema_first_print(out, f);
}

static const char *arena_copy(struct cg *cg, char *s)
{
    if (!s) {
        cg->status = SPU_ENOMEM;
        return "";
    }
    const char *r = spu_arena_strdup(cg->arena, s);
    free(s);
    if (!r) {
        cg->status = SPU_ENOMEM;
        return "";
    }
    return r;
}

const char *cg_first_text(struct cg *cg, const struct sema_first *f)
{
    return arena_copy(cg, memtext(print_first, f));
}

/* Build (or find) the DFA of `n` flag-free label texts in `mode`. */
static uint32_t build(struct cg *cg, char **texts, uint32_t n, uint32_t mode, const char *source,
                      struct src_loc loc)
{
    struct textbuf key = {0};
    char m[16];
    snprintf(m, sizeof(m), "%x:", mode);
    tb_str(&key, m);
    for (uint32_t i = 0; i < n; i++) {
        tb_str(&key, texts[i]);
        tb_str(&key, "\n");
    }
    if (key.bad) {
        free(key.p);
        cg->status = SPU_ENOMEM;
        return SPU_NONE;
    }
    for (uint32_t i = 0; i < cg->ndfas; i++)
        if (strcmp(cg->dfas[i].key, key.p) == 0) {
            free(key.p);
            return cg->dfas[i].idx;
        }
    uint32_t idx = SPU_NONE;
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_regex **re = calloc(n, sizeof(*re));
    struct spu_dfa_image *img = NULL;
    if (!re) {
        cg->status = SPU_ENOMEM;
        goto out;
    }
    for (uint32_t i = 0; i < n; i++) {
        re[i] = spu_regex_parse(texts[i], strlen(texts[i]), 0, &err);
        if (!re[i]) {
            cg_bug(cg, "regenerated pattern '%s' does not parse: %s", texts[i], err.msg);
            goto out;
        }
    }
    img = spu_dfa_build((const struct spu_regex *const *)re, n, mode, NULL, &err);
    if (!img) {
        if (err.code == SPU_ENOMEM)
            cg->status = SPU_ENOMEM;
        else
            cg_error(cg, loc, "%s: %s", source, err.msg);
        goto out;
    }
    struct spu_bw_dfa d = {
        .nstates = img->nstates,
        .nclasses = img->nclasses,
        .start = img->start,
        .nlabels = img->nlabels,
        .flags = img->flags,
        .classmap = img->classmap,
        .trans = img->trans,
        .accept = img->accept,
        .decide = img->decide,
        .source = source,
        .source_len = strlen(source),
    };
    idx = spu_bw_dfa(cg->bw, &d);
    if (idx == SPU_NONE) {
        cg->status = spu_bw_status(cg->bw) ? spu_bw_status(cg->bw) : SPU_ENOMEM;
        goto out;
    }
    const char *k = spu_arena_strdup(cg->arena, key.p);
    if (k && cg->ndfas == cg->capdfas) {
        uint32_t ncap = (uint32_t)spu_grow_cap(cg->capdfas, (size_t)cg->ndfas + 1, 16, UINT32_MAX);
        struct cg_dfa *nd = ncap ? realloc(cg->dfas, (size_t)ncap * sizeof(*nd)) : NULL;
        if (nd) {
            cg->dfas = nd;
            cg->capdfas = ncap;
        } else {
            k = NULL;
        }
    }
    if (!k) {
        cg->status = SPU_ENOMEM;
        goto out;
    }
    cg->dfas[cg->ndfas++] = (struct cg_dfa){k, idx};
out:
    if (re)
        for (uint32_t i = 0; i < n; i++)
            spu_regex_free(re[i]);
    free(re);
    spu_dfa_image_free(img);
    free(key.p);
    return idx;
}

static uint32_t build_patterns(struct cg *cg, const struct ast_node *const *pats, uint32_t n,
                               uint32_t mode, const char *source)
{
    char **texts = calloc(n ? n : 1, sizeof(*texts));
    uint32_t idx = SPU_NONE;
    if (!texts) {
        cg->status = SPU_ENOMEM;
        return SPU_NONE;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct textbuf b = {0};
        if (pattern_text(cg, &b, pats[i]) != SPU_OK || b.bad) {
            if (b.bad)
                cg->status = SPU_ENOMEM;
            free(b.p);
            goto out;
        }
        texts[i] = b.p;
    }
    idx = build(cg, texts, n, mode, source, pats[0]->loc);
out:
    for (uint32_t i = 0; i < n; i++)
        free(texts[i]);
    free(texts);
    return idx;
}

uint32_t cg_dfa_pattern(struct cg *cg, const struct ast_node *pat, uint32_t mode)
{
    struct textbuf s = {0};
    source_text(&s, pat);
    if (s.bad) {
        free(s.p);
        cg->status = SPU_ENOMEM;
        return SPU_NONE;
    }
    const char *src = arena_copy(cg, s.p);
    return build_patterns(cg, &pat, 1, mode, src);
}

uint32_t cg_dfa_patterns(struct cg *cg, const struct ast_node *const *pats, uint32_t n)
{
    struct textbuf s = {0};
    for (uint32_t i = 0; i < n; i++) {
        if (i)
            tb_str(&s, " ; ");
        source_text(&s, pats[i]);
    }
    if (s.bad) {
        free(s.p);
        cg->status = SPU_ENOMEM;
        return SPU_NONE;
    }
    const char *src = arena_copy(cg, s.p);
    return build_patterns(cg, pats, n, SPU_DFA_ANCHORED, src);
}

uint32_t cg_dfa_choice(struct cg *cg, const struct sema_choice *ch, struct src_loc loc)
{
    if (!ch || ch->n == 0) {
        cg_bug(cg, "a choice without FIRST sets");
        return SPU_NONE;
    }
    char **texts = calloc(ch->n, sizeof(*texts));
    struct textbuf src = {0};
    uint32_t idx = SPU_NONE;
    if (!texts) {
        cg->status = SPU_ENOMEM;
        return SPU_NONE;
    }
    for (uint32_t i = 0; i < ch->n; i++) {
        const struct sema_first *f = &ch->alts[i];
        struct textbuf b = {0};
        if (f->n == 0) {
            cg_bug(cg, "choice label %u has no first token", i);
            goto out;
        }
        for (uint32_t k = 0; k < f->n; k++) {
            if (f->n > 1)
                tb_str(&b, k ? "|(?:" : "(?:");
            if (pattern_text(cg, &b, f->toks[k].node) != SPU_OK) {
                free(b.p);
                goto out;
            }
            if (f->n > 1)
                tb_str(&b, ")");
        }
        if (b.bad) {
            free(b.p);
            cg->status = SPU_ENOMEM;
            goto out;
        }
        texts[i] = b.p;
        if (i)
            tb_str(&src, " ; ");
        for (uint32_t k = 0; k < f->n; k++) {
            if (k)
                tb_str(&src, "|");
            source_text(&src, f->toks[k].node);
        }
    }
    if (src.bad) {
        cg->status = SPU_ENOMEM;
        goto out;
    }
    idx = build(cg, texts, ch->n, SPU_DFA_ANCHORED, src.p, loc);
out:
    for (uint32_t i = 0; i < ch->n; i++)
        free(texts[i]);
    free(texts);
    free(src.p);
    return idx;
}
