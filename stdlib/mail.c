/* mail.c - split_addr and addresses: RFC 5322 mailboxes and address lists.
 *
 * A list splits on ',' outside quoted strings, comments, angle brackets and
 * domain literals. A group ("name: a@x, b@y;") contributes its mailboxes
 * (the group name is dropped; an empty group contributes none). For each
 * mailbox:
 *   - with an angle-addr ("Name <user@domain>"): display is the phrase
 *     before '<', addr-spec what is inside; an obsolete source route
 *     ("<@a,@b:user@domain>") is dropped;
 *   - without one: the whole mailbox is the addr-spec, and the text of its
 *     first comment, if any, is the display ("user@x (Name)").
 * display: comments removed, quoted strings unquoted, whitespace runs
 * (folding included) made one space, trimmed, RFC 2047 words decoded; null
 * when empty. In the addr-spec comments and whitespace outside quotes are
 * removed and quoted strings unquoted; user is what precedes its last '@'
 * outside quotes, domain what follows (lowercased; null without '@'),
 * address is user@domain; text is the mailbox as written, trimmed (what
 * Suricata logs in email.to). "<>" (the null reverse path) gives address ""
 * with user and domain null. Unterminated quotes, comments and brackets
 * run to the end of the text.
 */
#include "stdlib-int.h"

#include <string.h>

/* Scanner over header text that knows quotes, comments, angle brackets and
 * domain literals. step() returns the class of byte i and advances. */
enum { T_TOP, T_QUOTED, T_COMMENT, T_LITERAL, T_ANGLE };

struct scan {
    const uint8_t *p;
    size_t n;
    size_t i;
    int quote;   /* inside "..." */
    int comment; /* comment nesting depth */
    int literal; /* inside [...] */
    int angle;   /* inside <...> */
};

/* Advance over one byte (two for a quoted pair); returns the context the
 * byte was in, T_TOP for a structural byte at top level. Quote, comment
 * and bracket delimiters themselves are reported in their own context. */
static int scan_step(struct scan *s)
{
    uint8_t ch = s->p[s->i];
    if (s->quote || s->comment) {
        int ctx = s->quote ? T_QUOTED : T_COMMENT;
        if (ch == '\\' && s->i + 1 < s->n) {
            s->i += 2;
            return ctx;
        }
        if (s->quote && ch == '"')
            s->quote = 0;
        else if (s->comment && ch == '(')
            s->comment++;
        else if (s->comment && ch == ')')
            s->comment--;
        s->i++;
        return ctx;
    }
    s->i++;
    if (s->literal) {
        if (ch == ']')
            s->literal = 0;
        return T_LITERAL;
    }
    if (ch == '"') {
        s->quote = 1;
        return T_QUOTED;
    }
    if (ch == '(') {
        s->comment = 1;
        return T_COMMENT;
    }
    if (ch == '[') {
        s->literal = 1;
        return T_LITERAL;
    }
    if (ch == '<')
        s->angle = 1;
    else if (ch == '>')
        s->angle = 0;
    return s->angle && ch != '<' ? T_ANGLE : T_TOP;
}

/* Phrase text -> display (see the file comment), in b. */
static int phrase(struct spu_sb *b, struct spu_arena *a, const uint8_t *p, size_t n)
{
    struct spu_sb t;
    spu_sb_init(&t, a, n);
    struct scan s = {p, n, 0, 0, 0, 0, 0};
    int space = 0;
    while (s.i < n) {
        size_t at = s.i;
        uint8_t ch = p[at];
        int ctx = scan_step(&s);
        if (ctx == T_COMMENT) {
            space = t.len > 0;
            continue;
        }
        if (ctx == T_QUOTED) {
            if (at + 1 < s.i) /* quoted pair: the escaped byte */
                ch = p[at + 1];
            else if (ch == '"')
                continue;
        } else if (spu_isspace(ch)) {
            space = t.len > 0;
            continue;
        }
        if (space)
            spu_sb_putc(&t, ' ');
        space = 0;
        spu_sb_putc(&t, ch);
    }
    if (t.err)
        return t.err;
    return t.len ? spu_decode_words(b, t.p, t.len) : SPU_OK;
}

/* The text of the first comment in p[0..n), or 0 when there is none. */
static int first_comment(const uint8_t *p, size_t n, const uint8_t **cp, size_t *cn)
{
    struct scan s = {p, n, 0, 0, 0, 0, 0};
    while (s.i < n) {
        size_t at = s.i;
        if (scan_step(&s) == T_COMMENT && p[at] == '(' && s.comment == 1) {
            size_t start = s.i;
            while (s.i < n && s.comment)
                scan_step(&s);
            size_t end = s.comment ? s.i : s.i - 1;
            *cp = p + start;
            *cn = end - start;
            return 1;
        }
    }
    return 0;
}

/* One mailbox p[0..n) -> addr record in *out; 0 when it holds nothing. */
static int mailbox(struct spu_call *c, const uint8_t *p, size_t n, struct spu_value *out)
{
    struct scan s = {p, n, 0, 0, 0, 0, 0};
    size_t lt = n, gt = n;
    while (s.i < n) {
        size_t at = s.i;
        int ctx = scan_step(&s);
        if (ctx == T_TOP && p[at] == '<' && lt == n)
            lt = at;
        else if (ctx == T_TOP && p[at] == '>' && lt < n && gt == n)
            gt = at;
    }
    const uint8_t *disp = NULL, *spec;
    size_t dn = 0, sn;
    if (lt < n) {
        disp = p;
        dn = lt;
        spec = p + lt + 1;
        sn = gt - lt - 1;
    } else {
        spec = p;
        sn = n;
        if (!first_comment(p, n, &disp, &dn))
            disp = NULL;
    }
    /* addr-spec: unquote, drop comments and whitespace, note the last '@' */
    struct spu_sb a;
    spu_sb_init(&a, c->scratch, sn);
    size_t last_at = SIZE_MAX;
    struct scan t = {spec, sn, 0, 0, 0, 0, 0};
    while (t.i < sn) {
        size_t at = t.i;
        uint8_t ch = spec[at];
        int ctx = scan_step(&t);
        if (ctx == T_COMMENT || (ctx == T_QUOTED && ch == '"' && at + 1 == t.i))
            continue;
        if (ctx == T_QUOTED && at + 1 < t.i)
            ch = spec[at + 1];
        else if (ctx != T_QUOTED && spu_isspace(ch))
            continue;
        if (ctx != T_QUOTED && ch == '@')
            last_at = a.len;
        spu_sb_putc(&a, ch);
    }
    /* obsolete source route "@a,@b:" before the address */
    size_t skip = 0;
    if (a.len && a.p[0] == '@') {
        const uint8_t *colon = memchr(a.p, ':', a.len);
        skip = colon ? (size_t)(colon - a.p) + 1 : 0;
        if (last_at != SIZE_MAX && last_at < skip)
            last_at = SIZE_MAX;
    }
    struct spu_sb d;
    spu_sb_init(&d, c->scratch, dn);
    if (disp && phrase(&d, c->scratch, disp, dn))
        return SPU_ELIMIT;
    if (a.err)
        return SPU_ELIMIT;
    if (a.len - skip == 0 && lt == n) { /* no address: a comment or nothing */
        *out = spu_v_null();
        return SPU_OK;
    }
    struct spu_record *r = spu_std_record(c->scratch, SPU_REC_addr);
    if (!r)
        return SPU_ELIMIT;
    uint8_t *addr = a.p ? a.p + skip : NULL;
    size_t an = a.len - skip;
    if (last_at != SIZE_MAX) {
        size_t ua = last_at - skip;
        for (size_t i = ua + 1; i < an; i++)
            addr[i] = spu_lc(addr[i]);
        if (ua > 0)
            r->slot[SPU_ADDR_USER] = spu_v_str(addr, (uint32_t)ua);
        r->slot[SPU_ADDR_DOMAIN] = spu_v_str(addr + ua + 1, (uint32_t)(an - ua - 1));
    } else if (an > 0) {
        r->slot[SPU_ADDR_USER] = spu_v_str(addr, (uint32_t)an);
    }
    r->slot[SPU_ADDR_ADDRESS] = an ? spu_v_str(addr, (uint32_t)an) : spu_v_str("", 0);
    /* the mailbox as written, without the white space (folding too) around it */
    size_t tb = 0, te = n;
    while (tb < te && spu_isspace(p[tb]))
        tb++;
    while (te > tb && spu_isspace(p[te - 1]))
        te--;
    r->slot[SPU_ADDR_TEXT] = spu_v_str(p + tb, (uint32_t)(te - tb));
    if (d.len)
        r->slot[SPU_ADDR_DISPLAY] = spu_sb_value(&d);
    *out = spu_v_rec(r);
    return SPU_OK;
}

/* Every mailbox of the list p[0..n), appended to *arr (a value slot);
 * stops after the first when `one`. */
static int address_list(struct spu_call *c, const uint8_t *p, size_t n, int one,
                        struct spu_value *arr)
{
    struct scan s = {p, n, 0, 0, 0, 0, 0};
    size_t start = 0;
    while (start <= n) {
        size_t end = n;
        while (s.i < n) {
            size_t at = s.i;
            int ctx = scan_step(&s);
            if (ctx != T_TOP)
                continue;
            if (p[at] == ',' || p[at] == ';') {
                end = at;
                break;
            }
            if (p[at] == ':') /* a group name: what came before is not a mailbox */
                start = at + 1;
        }
        struct spu_value mb;
        if (mailbox(c, p + start, end - start, &mb))
            return spu_arg_nomem(c);
        if (mb.type == SPU_T_REC) {
            if (spu_array_push(c->scratch, arr, mb))
                return spu_arg_nomem(c);
            if (one)
                return SPU_OK;
        }
        start = end + 1;
    }
    return SPU_OK;
}

/* split_addr(s): the first mailbox of s as an addr record, or null. */
int spu_bi_split_addr(struct spu_call *c, const struct spu_value *args, unsigned argc,
                      struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct spu_value arr = spu_v_null();
    int rc = address_list(c, s, n, 1, &arr);
    if (rc)
        return rc;
    if (arr.type == SPU_T_ARR && arr.u.arr->n)
        *ret = arr.u.arr->v[0];
    return SPU_OK;
}

/* addresses(s): every mailbox of the list s, as an array of addr records
 * (empty when there is none). */
int spu_bi_addresses(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct spu_value arr = spu_v_null();
    int rc = address_list(c, s, n, 0, &arr);
    if (rc)
        return rc;
    if (arr.type != SPU_T_ARR) {
        struct spu_array *e = spu_std_array(c->scratch, 0);
        if (!e)
            return spu_arg_nomem(c);
        arr = spu_v_arr(e);
    }
    *ret = arr;
    return SPU_OK;
}

/* mailboxes(s): the mailboxes of the list s as written (each addr's text),
 * an array of strings (empty when there is none). */
int spu_bi_mailboxes(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    int rc = spu_bi_addresses(c, args, argc, ret);
    if (rc || ret->type != SPU_T_ARR)
        return rc;
    const struct spu_array *a = ret->u.arr;
    struct spu_array *out = spu_std_array(c->scratch, a->n);
    if (!out)
        return spu_arg_nomem(c);
    for (uint32_t i = 0; i < a->n; i++)
        out->v[i] = a->v[i].u.rec->slot[SPU_ADDR_TEXT];
    *ret = spu_v_arr(out);
    return SPU_OK;
}
