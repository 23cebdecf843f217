/* regex.c - token regex and literal parser (see regex.h). Recursive descent;
 * recursion depth is bounded by SPU_RX_MAX_DEPTH groups. */
#include "regex.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

struct spu_regex {
    struct spu_arena *arena;
    struct spu_rx_node *root;
    unsigned flags;
    size_t nnodes;
};

struct rx_parser {
    const unsigned char *p;
    size_t len;
    size_t pos;
    unsigned flags;
    unsigned depth;
    struct spu_regex *re;
    struct spu_error *err;
};

/* ---- helpers ---- */

static void *fail(struct rx_parser *ps, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void *fail(struct rx_parser *ps, size_t offset, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    spu_error_at(ps->err, SPU_EPARSE, "regex", offset, "%s", msg);
    return NULL;
}

static struct spu_rx_node *new_node(struct rx_parser *ps, uint32_t kind, size_t offset)
{
    struct spu_rx_node *n = spu_arena_zalloc(ps->re->arena, sizeof(*n));
    if (!n) {
        spu_error_set(ps->err, SPU_ENOMEM, "out of memory parsing a regex");
        return NULL;
    }
    n->kind = kind;
    n->offset = (uint32_t)offset;
    ps->re->nnodes++;
    return n;
}

static bool is_alnum(unsigned c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int hexval(unsigned c)
{
    if (c >= '0' && c <= '9')
        return (int)(c - '0');
    if (c >= 'a' && c <= 'f')
        return (int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'F')
        return (int)(c - 'A' + 10);
    return -1;
}

static void fold_case(struct spu_byteset *s)
{
    for (unsigned c = 'A'; c <= 'Z'; c++) {
        if (spu_byteset_has(s, c) || spu_byteset_has(s, c + 32)) {
            spu_byteset_add(s, c);
            spu_byteset_add(s, c + 32);
        }
    }
}

/* The sets of \d \w \s (positive; the capital letter inverts). */
static void class_escape_set(unsigned c, struct spu_byteset *s)
{
    memset(s, 0, sizeof(*s));
    switch (c | 0x20) {
    case 'd':
        spu_byteset_add_range(s, '0', '9');
        break;
    case 'w':
        spu_byteset_add_range(s, '0', '9');
        spu_byteset_add_range(s, 'A', 'Z');
        spu_byteset_add_range(s, 'a', 'z');
        spu_byteset_add(s, '_');
        break;
    default: /* 's' */
        spu_byteset_add_range(s, '\t', '\r'); /* \t \n \v \f \r */
        spu_byteset_add(s, ' ');
        break;
    }
    if (c >= 'A' && c <= 'Z')
        spu_byteset_invert(s);
}

/* One escape at ps->pos (which points at the backslash). On success
 * advances past it and either sets *byte (returns 1) or fills *set (returns
 * 2); returns 0 after filling the error. */
static int parse_escape(struct rx_parser *ps, bool in_class, unsigned *byte,
                        struct spu_byteset *set)
{
    size_t at = ps->pos;
    if (at + 1 >= ps->len) {
        fail(ps, at, "trailing backslash at the end of the pattern");
        return 0;
    }
    unsigned c = ps->p[at + 1];
    ps->pos = at + 2;
    switch (c) {
    case 'd': case 'D': case 'w': case 'W': case 's': case 'S':
        class_escape_set(c, set);
        return 2;
    case 'r':
        *byte = '\r';
        return 1;
    case 'n':
        *byte = '\n';
        return 1;
    case 't':
        *byte = '\t';
        return 1;
    case 'f':
        *byte = '\f';
        return 1;
    case 'x': {
        int hi = at + 2 < ps->len ? hexval(ps->p[at + 2]) : -1;
        int lo = at + 3 < ps->len ? hexval(ps->p[at + 3]) : -1;
        if (hi < 0 || lo < 0) {
            fail(ps, at, "\\x needs exactly two hex digits (\\xHH)");
            return 0;
        }
        ps->pos = at + 4;
        *byte = (unsigned)(hi * 16 + lo);
        return 1;
    }
    case 'b': case 'B': case 'A': case 'z': case 'Z': case 'G':
        if (in_class)
            fail(ps, at, "\\%c is not supported in a class; write \\xHH for a byte", c);
        else
            fail(ps, at, "\\%c (an anchor or word boundary) is not supported: token regexes "
                 "have no anchors", c);
        return 0;
    default:
        break;
    }
    if (c >= '0' && c <= '9') {
        fail(ps, at, "backreferences and octal escapes are not supported; write \\xHH for a byte");
        return 0;
    }
    if (is_alnum(c)) {
        fail(ps, at, "unknown escape \\%c", c);
        return 0;
    }
    *byte = c; /* any escaped punctuation, space or non-ASCII byte is itself */
    return 1;
}

static struct spu_rx_node *set_node(struct rx_parser *ps, size_t offset,
                                    const struct spu_byteset *s)
{
    struct spu_rx_node *n = new_node(ps, SPU_RX_SET, offset);
    if (n) {
        n->set = *s;
        if (ps->flags & SPU_RX_ICASE)
            fold_case(&n->set);
    }
    return n;
}

static struct spu_rx_node *byte_node(struct rx_parser *ps, size_t offset, unsigned b)
{
    struct spu_byteset s = {{0}};
    spu_byteset_add(&s, b);
    return set_node(ps, offset, &s);
}

/* ---- classes ---- */

static struct spu_rx_node *parse_class(struct rx_parser *ps)
{
    size_t open = ps->pos++;
    bool neg = false;
    if (ps->pos < ps->len && ps->p[ps->pos] == '^') {
        neg = true;
        ps->pos++;
    }
    struct spu_byteset set = {{0}};
    bool first = true;
    for (;;) {
        if (ps->pos >= ps->len)
            return fail(ps, open, "unclosed class: '[' without a matching ']'");
        unsigned c = ps->p[ps->pos];
        if (c == ']' && !first) {
            ps->pos++;
            break;
        }
        first = false;
        size_t item = ps->pos;
        unsigned lo = 0;
        struct spu_byteset es;
        int kind;
        if (c == '[' && ps->pos + 1 < ps->len &&
            (ps->p[ps->pos + 1] == ':' || ps->p[ps->pos + 1] == '.' ||
             ps->p[ps->pos + 1] == '=')) {
            return fail(ps, item, "POSIX classes such as [:alpha:] are not supported; use "
                        "ranges or \\d \\w \\s");
        }
        if (c == '\\') {
            kind = parse_escape(ps, true, &lo, &es);
            if (!kind)
                return NULL;
        } else {
            lo = c;
            kind = 1;
            ps->pos++;
        }
        bool range = ps->pos + 1 < ps->len && ps->p[ps->pos] == '-' && ps->p[ps->pos + 1] != ']';
        if (range && kind == 2)
            return fail(ps, item, "a range bound must be a single byte, not a class escape");
        if (!range) {
            if (kind == 2)
                spu_byteset_union(&set, &es);
            else
                spu_byteset_add(&set, lo);
            continue;
        }
        ps->pos++; /* the '-' */
        size_t hi_at = ps->pos;
        unsigned hi;
        if (ps->p[ps->pos] == '\\') {
            kind = parse_escape(ps, true, &hi, &es);
            if (!kind)
                return NULL;
            if (kind == 2)
                return fail(ps, hi_at, "a range bound must be a single byte, not a class "
                            "escape");
        } else {
            hi = ps->p[ps->pos++];
        }
        if (hi < lo)
            return fail(ps, item, "range out of order in class (0x%02x > 0x%02x)", lo, hi);
        spu_byteset_add_range(&set, lo, hi);
    }
    if (ps->flags & SPU_RX_ICASE)
        fold_case(&set);
    if (neg)
        spu_byteset_invert(&set);
    struct spu_rx_node *n = new_node(ps, SPU_RX_SET, open);
    if (n)
        n->set = set; /* already folded: folding must come before negation */
    return n;
}

/* ---- quantifiers ---- */

/* Reads a decimal count at ps->pos (at least one digit); -1 if none. Values
 * above SPU_RX_MAX_REPEAT are clamped to SPU_RX_MAX_REPEAT + 1 (an error
 * for the caller) so long digit strings cannot overflow. */
static long read_count(struct rx_parser *ps)
{
    size_t start = ps->pos;
    long v = 0;
    while (ps->pos < ps->len && ps->p[ps->pos] >= '0' && ps->p[ps->pos] <= '9') {
        v = v * 10 + (ps->p[ps->pos] - '0');
        if (v > SPU_RX_MAX_REPEAT)
            v = SPU_RX_MAX_REPEAT + 1;
        ps->pos++;
    }
    return ps->pos == start ? -1 : v;
}

/* Parses {n}, {n,} or {n,m} at ps->pos (a '{'). Returns 1 with the bounds,
 * 0 when the text is not a well-formed counted repetition (pos unchanged),
 * -1 after an error (count above the maximum, min > max). */
static int parse_braces(struct rx_parser *ps, uint32_t *min, uint32_t *max)
{
    size_t open = ps->pos;
    ps->pos++;
    size_t n_at = ps->pos;
    long n = read_count(ps);
    long m = n;
    size_t m_at = n_at;
    if (n < 0)
        goto not_braces;
    if (ps->pos < ps->len && ps->p[ps->pos] == ',') {
        ps->pos++;
        m_at = ps->pos;
        m = read_count(ps);
        if (m < 0)
            m = -2; /* {n,} */
    }
    if (ps->pos >= ps->len || ps->p[ps->pos] != '}')
        goto not_braces;
    ps->pos++;
    if (n > SPU_RX_MAX_REPEAT) {
        fail(ps, n_at, "repetition count above %u", SPU_RX_MAX_REPEAT);
        return -1;
    }
    if (m > (long)SPU_RX_MAX_REPEAT) {
        fail(ps, m_at, "repetition count above %u", SPU_RX_MAX_REPEAT);
        return -1;
    }
    if (m >= 0 && m < n) {
        fail(ps, open, "repetition {%ld,%ld}: the minimum is above the maximum", n, m);
        return -1;
    }
    *min = (uint32_t)n;
    *max = m == -2 ? SPU_RX_INF : (uint32_t)m;
    return 1;
not_braces:
    ps->pos = open;
    return 0;
}

static void *brace_error(struct rx_parser *ps, size_t at)
{
    return fail(ps, at, "'{' must begin a counted repetition {n}, {n,} or {n,m}; write \\{ "
                "for a literal brace");
}

static bool is_quant_char(unsigned c)
{
    return c == '*' || c == '+' || c == '?' || c == '{';
}

/* ---- structure ---- */

static struct spu_rx_node *parse_alt(struct rx_parser *ps);

static struct spu_rx_node *parse_atom(struct rx_parser *ps)
{
    size_t at = ps->pos;
    unsigned c = ps->p[at];
    switch (c) {
    case '(': {
        ps->pos++;
        if (ps->pos < ps->len && ps->p[ps->pos] == '?') {
            if (ps->pos + 1 < ps->len && ps->p[ps->pos + 1] == ':')
                ps->pos += 2;
            else
                return fail(ps, at, "unsupported group '(?': only (?: ) is available (no "
                            "lookaround, named groups or inline flags)");
        }
        if (++ps->depth > SPU_RX_MAX_DEPTH)
            return fail(ps, at, "groups nested deeper than %u", SPU_RX_MAX_DEPTH);
        struct spu_rx_node *n = parse_alt(ps);
        if (!n)
            return NULL;
        if (ps->pos >= ps->len || ps->p[ps->pos] != ')')
            return fail(ps, at, "unclosed group: '(' without a matching ')'");
        ps->pos++;
        ps->depth--;
        return n;
    }
    case '[':
        return parse_class(ps);
    case '.': {
        struct spu_byteset s;
        memset(&s, 0xff, sizeof(s));
        if (!(ps->flags & SPU_RX_DOTALL))
            s.w[0] &= ~((uint64_t)1 << '\n');
        ps->pos++;
        struct spu_rx_node *n = new_node(ps, SPU_RX_SET, at);
        if (n)
            n->set = s;
        return n;
    }
    case '\\': {
        unsigned b = 0;
        struct spu_byteset s;
        int kind = parse_escape(ps, false, &b, &s);
        if (!kind)
            return NULL;
        return kind == 2 ? set_node(ps, at, &s) : byte_node(ps, at, b);
    }
    case '*':
    case '+':
    case '?':
        return fail(ps, at, "nothing to repeat before '%c'", c);
    case '{': {
        uint32_t mn, mx;
        int r = parse_braces(ps, &mn, &mx);
        if (r < 0)
            return NULL;
        return r ? fail(ps, at, "nothing to repeat before '{'") : brace_error(ps, at);
    }
    case '^':
        return fail(ps, at, "'^' is not supported: a token is anchored where it starts; remove "
                    "it, or write \\^ for a literal caret");
    case '$':
        return fail(ps, at, "'$' is not supported: a token ends where its longest match ends; "
                    "write \\$ for a literal dollar");
    default:
        ps->pos++;
        return byte_node(ps, at, c);
    }
}

static struct spu_rx_node *make_repeat(struct rx_parser *ps, struct spu_rx_node *kid,
                                       size_t at, uint32_t min, uint32_t max)
{
    if (kid->kind == SPU_RX_EMPTY || max == 0)
        return kid->kind == SPU_RX_EMPTY ? kid : new_node(ps, SPU_RX_EMPTY, at);
    if (min == 1 && max == 1)
        return kid;
    struct spu_rx_node *n = new_node(ps, SPU_RX_REPEAT, at);
    if (n) {
        n->min = min;
        n->max = max;
        n->kids = kid;
    }
    return n;
}

static struct spu_rx_node *parse_repeat(struct rx_parser *ps)
{
    size_t atom_at = ps->pos;
    struct spu_rx_node *atom = parse_atom(ps);
    if (!atom || ps->pos >= ps->len || !is_quant_char(ps->p[ps->pos]))
        return atom;
    size_t at = ps->pos;
    uint32_t min, max;
    switch (ps->p[at]) {
    case '*':
        min = 0, max = SPU_RX_INF, ps->pos++;
        break;
    case '+':
        min = 1, max = SPU_RX_INF, ps->pos++;
        break;
    case '?':
        min = 0, max = 1, ps->pos++;
        break;
    default: {
        int r = parse_braces(ps, &min, &max);
        if (r < 0)
            return NULL;
        if (r == 0)
            return brace_error(ps, at);
        break;
    }
    }
    if (ps->pos < ps->len && is_quant_char(ps->p[ps->pos]))
        return fail(ps, ps->pos, "a quantifier cannot follow a quantifier (lazy and possessive "
                    "forms are not supported: tokens take the longest match); use a group");
    return make_repeat(ps, atom, atom_at, min, max);
}

/* Appends `n` to a sibling list. */
static void append(struct spu_rx_node **head, struct spu_rx_node **tail, size_t *count,
                   struct spu_rx_node *n)
{
    n->next = NULL;
    if (*tail)
        (*tail)->next = n;
    else
        *head = n;
    *tail = n;
    (*count)++;
}

static struct spu_rx_node *parse_cat(struct rx_parser *ps)
{
    size_t at = ps->pos;
    struct spu_rx_node *head = NULL, *tail = NULL;
    size_t count = 0;
    while (ps->pos < ps->len && ps->p[ps->pos] != '|' && ps->p[ps->pos] != ')') {
        struct spu_rx_node *n = parse_repeat(ps);
        if (!n)
            return NULL;
        if (n->kind != SPU_RX_EMPTY)
            append(&head, &tail, &count, n);
    }
    if (count == 1)
        return head;
    struct spu_rx_node *n = new_node(ps, count ? SPU_RX_CAT : SPU_RX_EMPTY, at);
    if (n)
        n->kids = head;
    return n;
}

static struct spu_rx_node *parse_alt(struct rx_parser *ps)
{
    size_t at = ps->pos;
    struct spu_rx_node *head = NULL, *tail = NULL;
    size_t count = 0;
    for (;;) {
        struct spu_rx_node *n = parse_cat(ps);
        if (!n)
            return NULL;
        append(&head, &tail, &count, n);
        if (ps->pos >= ps->len || ps->p[ps->pos] != '|')
            break;
        ps->pos++;
    }
    if (count == 1)
        return head;
    struct spu_rx_node *n = new_node(ps, SPU_RX_ALT, at);
    if (n)
        n->kids = head;
    return n;
}

/* ---- public ---- */

static struct spu_regex *regex_alloc(unsigned flags, struct spu_error *err)
{
    if (flags & ~(unsigned)(SPU_RX_ICASE | SPU_RX_DOTALL)) {
        spu_error_set(err, SPU_EINVAL, "unknown regex flags 0x%x", flags);
        return NULL;
    }
    struct spu_regex *re = calloc(1, sizeof(*re));
    if (re)
        re->arena = spu_arena_new(0, 0);
    if (!re || !re->arena) {
        free(re);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    re->flags = flags;
    return re;
}

struct spu_regex *spu_regex_parse(const char *pat, size_t len, unsigned flags,
                                  struct spu_error *err)
{
    if (!pat && len) {
        spu_error_set(err, SPU_EINVAL, "NULL pattern");
        return NULL;
    }
    if (len >= UINT32_MAX) {
        spu_error_set(err, SPU_ELIMIT, "pattern too long");
        return NULL;
    }
    struct spu_regex *re = regex_alloc(flags, err);
    if (!re)
        return NULL;
    struct rx_parser ps = {
        .p = (const unsigned char *)pat, .len = len, .flags = flags, .re = re, .err = err};
    struct spu_rx_node *root = parse_alt(&ps);
    if (root && ps.pos < len)
        root = fail(&ps, ps.pos, "unmatched ')'");
    if (!root) {
        spu_regex_free(re);
        return NULL;
    }
    re->root = root;
    spu_error_clear(err);
    return re;
}

struct spu_regex *spu_regex_literal(const void *bytes, size_t len, unsigned flags,
                                    struct spu_error *err)
{
    if (!bytes && len) {
        spu_error_set(err, SPU_EINVAL, "NULL literal");
        return NULL;
    }
    if (len >= UINT32_MAX) {
        spu_error_set(err, SPU_ELIMIT, "literal too long");
        return NULL;
    }
    struct spu_regex *re = regex_alloc(flags, err);
    if (!re)
        return NULL;
    struct rx_parser ps = {.flags = flags, .re = re, .err = err};
    const unsigned char *b = bytes;
    struct spu_rx_node *head = NULL, *tail = NULL;
    size_t count = 0;
    for (size_t i = 0; i < len; i++) {
        struct spu_rx_node *n = byte_node(&ps, i, b[i]);
        if (!n) {
            spu_regex_free(re);
            return NULL;
        }
        append(&head, &tail, &count, n);
    }
    struct spu_rx_node *root = head;
    if (count != 1) {
        root = new_node(&ps, count ? SPU_RX_CAT : SPU_RX_EMPTY, 0);
        if (!root) {
            spu_regex_free(re);
            return NULL;
        }
        root->kids = head;
    }
    re->root = root;
    spu_error_clear(err);
    return re;
}

void spu_regex_free(struct spu_regex *re)
{
    if (!re)
        return;
    spu_arena_free(re->arena);
    free(re);
}

const struct spu_rx_node *spu_regex_root(const struct spu_regex *re)
{
    return re->root;
}

unsigned spu_regex_flags(const struct spu_regex *re)
{
    return re->flags;
}

size_t spu_regex_nodes(const struct spu_regex *re)
{
    return re->nnodes;
}

/* ---- dump ---- */

static void dump_byte(FILE *out, unsigned b)
{
    if (b > 0x20 && b < 0x7f && b != '\\' && b != ']' && b != '-' && b != '^' && b != '[')
        fputc((int)b, out);
    else
        fprintf(out, "\\x%02x", b);
}

static void dump_set(FILE *out, const struct spu_byteset *s)
{
    fputc('[', out);
    unsigned b = 0;
    while (b < 256) {
        if (!spu_byteset_has(s, b)) {
            b++;
            continue;
        }
        unsigned e = b;
        while (e + 1 < 256 && spu_byteset_has(s, e + 1))
            e++;
        dump_byte(out, b);
        if (e >= b + 2)
            fputc('-', out);
        if (e >= b + 1)
            dump_byte(out, e);
        b = e + 1;
    }
    fputc(']', out);
}

static const char *const rx_kind_names[] = {
#define SPU_RX_KIND_NAME(name, text) text,
    SPU_RX_KIND_LIST(SPU_RX_KIND_NAME)
#undef SPU_RX_KIND_NAME
};
_Static_assert(sizeof(rx_kind_names) / sizeof(rx_kind_names[0]) == SPU_RX__COUNT,
               "one name per regex node kind");

static void dump_node(FILE *out, const struct spu_rx_node *n)
{
    switch (n->kind) {
    case SPU_RX_EMPTY:
        fputs("()", out);
        return;
    case SPU_RX_SET:
        dump_set(out, &n->set);
        return;
    case SPU_RX_REPEAT:
        if (n->max == SPU_RX_INF)
            fprintf(out, "rep{%u,inf}(", n->min);
        else
            fprintf(out, "rep{%u,%u}(", n->min, n->max);
        dump_node(out, n->kids);
        fputc(')', out);
        return;
    default:
        fprintf(out, "%s(", rx_kind_names[n->kind]);
        for (const struct spu_rx_node *k = n->kids; k; k = k->next) {
            dump_node(out, k);
            if (k->next)
                fputc(' ', out);
        }
        fputc(')', out);
        return;
    }
}

int spu_regex_dump(const struct spu_regex *re, FILE *out)
{
    dump_node(out, re->root);
    return ferror(out) ? SPU_EIO : SPU_OK;
}
