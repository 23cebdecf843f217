/*
 * regex.h - token regular expressions and literal strings parsed into a
 * small AST over byte sets (the first stage of token DFAs: regex -> nfa ->
 * dfa).
 *
 * The syntax is the one of docs/grammar-language.md ("Lexical structure"):
 * literals; escapes \r \n \t \f \xHH and any escaped non-alphanumeric
 * byte (\\ \/ \. \[ ...); \d \w \s \D \W \S (ASCII, as PCRE2 without UCP:
 * \s is space and bytes 9-13); `.` (every byte but \n; every byte with flag
 * s); classes [...] with ranges, negation and escapes (a `]` right after `[`
 * or `[^` is a literal, as is a `-` at either end); groups ( ) and (?: );
 * alternation |; quantifiers * + ? {n} {n,} {n,m} with n <= m <= 255.
 * Flag i folds ASCII letters (a class is folded before it is negated, so
 * [^a] with i matches neither a nor A).
 *
 * Refused, each with its own message: anchors ^ and $ (anchoring is implicit:
 * a token starts at the current position), backreferences and octal
 * escapes, \b \B \A \z \Z \G, any other escaped letter or digit (\v and \h
 * are classes in PCRE2, so they are refused rather than read differently),
 * lookaround and other (? forms, lazy and possessive quantifiers, a `{` that
 * does not begin a well-formed counted repetition, POSIX [:classes:], and
 * groups nested deeper than SPU_RX_MAX_DEPTH. A lone `]` or `}` is a literal.
 *
 * Every character in the AST is a byte set: a literal `a` is the set {a}
 * (or {a, A} with flag i). The AST is simplified while it is built: a group
 * is its content, a concatenation or alternation of one element is that
 * element, empty elements are dropped from concatenations, and repeating
 * something empty is empty.
 *
 * Ownership: a struct spu_regex owns all of its nodes (one arena). Used by
 * spuc's front end on the compiling thread; no shared state.
 */
#ifndef SPU_REGEX_H
#define SPU_REGEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* ---- byte sets ---- */

struct spu_byteset {
    uint64_t w[4];
};

static inline bool spu_byteset_has(const struct spu_byteset *s, unsigned b)
{
    return (s->w[(b >> 6) & 3] >> (b & 63)) & 1u;
}
static inline void spu_byteset_add(struct spu_byteset *s, unsigned b)
{
    s->w[(b >> 6) & 3] |= (uint64_t)1 << (b & 63);
}
static inline void spu_byteset_add_range(struct spu_byteset *s, unsigned lo, unsigned hi)
{
    for (unsigned b = lo; b <= hi && b < 256; b++)
        spu_byteset_add(s, b);
}
static inline void spu_byteset_union(struct spu_byteset *s, const struct spu_byteset *o)
{
    for (int i = 0; i < 4; i++)
        s->w[i] |= o->w[i];
}
static inline void spu_byteset_invert(struct spu_byteset *s)
{
    for (int i = 0; i < 4; i++)
        s->w[i] = ~s->w[i];
}
static inline bool spu_byteset_eq(const struct spu_byteset *a, const struct spu_byteset *b)
{
    return a->w[0] == b->w[0] && a->w[1] == b->w[1] && a->w[2] == b->w[2] && a->w[3] == b->w[3];
}
static inline bool spu_byteset_empty(const struct spu_byteset *s)
{
    return (s->w[0] | s->w[1] | s->w[2] | s->w[3]) == 0;
}

/* ---- the AST ---- */

/* Pattern flags (the letters after /.../, and `i` after a string token). */
enum {
    SPU_RX_ICASE = 1u << 0, /* i: ASCII case-insensitive */
    SPU_RX_DOTALL = 1u << 1 /* s: `.` also matches \n */
};

#define SPU_RX_INF 0xffffffffu /* REPEAT max when unbounded */
#define SPU_RX_MAX_REPEAT 255u /* largest n or m in {n,m} */
#define SPU_RX_MAX_DEPTH 64u   /* deepest nesting of groups */

/* Node kinds: X(name, text used by spu_regex_dump). */
#define SPU_RX_KIND_LIST(X)                                                    \
    X(EMPTY, "empty")  /* matches the empty string */                          \
    X(SET, "set")      /* one byte from `set` */                               \
    X(CAT, "cat")      /* the children in order (at least two) */              \
    X(ALT, "alt")      /* one of the children (at least two) */                \
    X(REPEAT, "rep")   /* kids repeated min..max times */

enum spu_rx_kind {
#define SPU_RX_KIND_ENUM(name, text) SPU_RX_##name,
    SPU_RX_KIND_LIST(SPU_RX_KIND_ENUM)
#undef SPU_RX_KIND_ENUM
    SPU_RX__COUNT
};

struct spu_rx_node {
    uint32_t kind;            /* enum spu_rx_kind */
    uint32_t offset;          /* byte offset in the pattern where the construct starts */
    uint32_t min, max;        /* REPEAT bounds; max is SPU_RX_INF when unbounded */
    struct spu_rx_node *kids; /* CAT, ALT: first child; REPEAT: the repeated node */
    struct spu_rx_node *next; /* next sibling in the parent's list */
    struct spu_byteset set;   /* SET */
};

struct spu_regex;

/* Parse `len` bytes of regex syntax (the text between the slashes) with
 * SPU_RX_* flags. Returns new (free with spu_regex_free), or NULL and fills
 * `err`: SPU_EPARSE with err->offset the byte offset of the offending
 * construct in `pat` (0..len) and a message; SPU_ENOMEM; SPU_EINVAL for
 * unknown flags. Borrows `pat`. */
struct spu_regex *spu_regex_parse(const char *pat, size_t len, unsigned flags,
                                  struct spu_error *err);

/* The AST of a literal string token ("lit" or "lit"i): exactly these bytes
 * (any byte value, NUL included), folded with SPU_RX_ICASE. Only
 * SPU_RX_ICASE is meaningful; SPU_RX_DOTALL is accepted and ignored.
 * Returns new, or NULL with `err` filled (SPU_ENOMEM, SPU_EINVAL). */
struct spu_regex *spu_regex_literal(const void *bytes, size_t len, unsigned flags,
                                    struct spu_error *err);

/* Frees the regex and all its nodes. NULL is a no-op. */
void spu_regex_free(struct spu_regex *re);

/* The root node (borrowed; lives as long as `re`). Never NULL. */
const struct spu_rx_node *spu_regex_root(const struct spu_regex *re);

/* The flags the regex was built with. */
unsigned spu_regex_flags(const struct spu_regex *re);

/* Number of AST nodes (a size hint for the NFA builder). */
size_t spu_regex_nodes(const struct spu_regex *re);

/* Write the AST as one line of text, e.g. `cat([Gg] rep{1,inf}([0-9]))`:
 * sets print as classes with ranges (bytes outside printable ASCII and the
 * characters \ ] - ^ as \xHH), `()` is EMPTY, `rep{n,m}` or `rep{n,inf}`.
 * Returns SPU_OK or SPU_EIO. Borrows both. */
int spu_regex_dump(const struct spu_regex *re, FILE *out);

#endif
