/* url.c - split_url and normalize_url.
 *
 * Forms understood (RFC 3986 / RFC 9112 request targets):
 *   absolute   scheme://[userinfo@]host[:port][/path][?query][#fragment]
 *   origin     /path[?query][#fragment]
 *   authority  host:port               (CONNECT; port all digits)
 *   asterisk   *
 *   anything else is taken as a relative path [?query][#fragment].
 * The fragment starts at the first '#', the query at the first '?' before
 * it. An absolute URL with an empty path has the path "/", which is what a
 * server serves for it. A "//" at the start of an origin-form target is part
 * of the path (servers see it so), not an authority.
 */
#include "stdlib-int.h"

#include <string.h>

struct span {
    const uint8_t *p;
    size_t n;
    int set;
};

struct url_parts {
    struct span scheme, userinfo, host, port, path, query, fragment;
};

static struct span mk(const uint8_t *p, size_t n)
{
    struct span s = {p, n, 1};
    return s;
}

static int is_alpha(uint8_t ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(uint8_t ch)
{
    return ch >= '0' && ch <= '9';
}

static const uint8_t slash[1] = {'/'};

/* Split host[:port] (host may be an [IPv6] literal) of an authority. */
static void split_hostport(const uint8_t *p, size_t n, struct url_parts *u)
{
    size_t hend = n;
    if (n && p[0] == '[') {
        const uint8_t *rb = memchr(p, ']', n);
        hend = rb ? (size_t)(rb - p) + 1 : n;
    } else {
        const uint8_t *colon = memchr(p, ':', n);
        hend = colon ? (size_t)(colon - p) : n;
    }
    u->host = mk(p, hend);
    if (hend < n && p[hend] == ':')
        u->port = mk(p + hend + 1, n - hend - 1);
}

static void url_parse(const uint8_t *s, size_t n, struct url_parts *u)
{
    memset(u, 0, sizeof(*u));
    const uint8_t *hash = memchr(s, '#', n);
    if (hash) {
        u->fragment = mk(hash + 1, n - (size_t)(hash - s) - 1);
        n = (size_t)(hash - s);
    }
    const uint8_t *q = memchr(s, '?', n);
    if (q) {
        u->query = mk(q + 1, n - (size_t)(q - s) - 1);
        n = (size_t)(q - s);
    }
    /* scheme "://" */
    size_t i = 0;
    if (n && is_alpha(s[0])) {
        i = 1;
        while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' ||
                         s[i] == '.'))
            i++;
    }
    if (i && i + 3 <= n && memcmp(s + i, "://", 3) == 0) {
        u->scheme = mk(s, i);
        const uint8_t *a = s + i + 3;
        size_t an = n - i - 3;
        const uint8_t *ps = memchr(a, '/', an);
        size_t auth = ps ? (size_t)(ps - a) : an;
        const uint8_t *at = NULL;
        for (size_t k = 0; k < auth; k++)
            if (a[k] == '@')
                at = a + k;
        if (at) {
            u->userinfo = mk(a, (size_t)(at - a));
            split_hostport(at + 1, auth - (size_t)(at - a) - 1, u);
        } else {
            split_hostport(a, auth, u);
        }
        u->path = ps ? mk(ps, an - auth) : mk(slash, 1);
        return;
    }
    if (n && s[0] != '/' && !memchr(s, '/', n)) {
        const uint8_t *colon = memchr(s, ':', n);
        size_t k = colon ? (size_t)(colon - s) + 1 : n;
        int digits = colon && k < n;
        for (size_t j = k; j < n; j++)
            digits = digits && is_digit(s[j]);
        if (digits && colon != s) {
            u->host = mk(s, (size_t)(colon - s));
            u->port = mk(colon + 1, n - k);
            return;
        }
    }
    u->path = mk(s, n);
}

static int lower_dup(struct spu_arena *a, struct span sp, struct spu_value *out)
{
    if (!sp.set) {
        *out = spu_v_null();
        return SPU_OK;
    }
    uint8_t *d = spu_arena_alloc(a, sp.n);
    if (!d)
        return SPU_ELIMIT;
    for (size_t i = 0; i < sp.n; i++)
        d[i] = spu_lc(sp.p[i]);
    *out = spu_v_str(d, (uint32_t)sp.n);
    return SPU_OK;
}

static struct spu_value view(struct span sp)
{
    return sp.set ? spu_v_str(sp.p, (uint32_t)sp.n) : spu_v_null();
}

/* Port text to a number: 0 when absent, empty, not all digits or > 65535. */
static int64_t port_number(struct span sp)
{
    int64_t v = 0;
    if (!sp.set || sp.n == 0 || sp.n > 5)
        return 0;
    for (size_t i = 0; i < sp.n; i++) {
        if (!is_digit(sp.p[i]))
            return 0;
        v = v * 10 + (sp.p[i] - '0');
    }
    return v > 65535 ? 0 : v;
}

/* split_url(s) -> url record. scheme and host are lowercased; path,
 * directory, filename, ext, query and fragment are views of s as written
 * (not decoded: apply normalize_url first for that); directory is the path
 * up to and including its last '/' ("" when it has none), filename what
 * follows, ext what follows the last '.' of filename (null when there is
 * none); query and fragment come without '?' / '#', null when absent;
 * params are the query's name=value pairs percent-decoded with '+' as a
 * space (null without a query); port is 0 when absent or invalid. */
int spu_bi_split_url(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct url_parts u;
    url_parse(s, n, &u);
    struct spu_record *r = spu_std_record(c->scratch, SPU_REC_url);
    if (!r)
        return spu_arg_nomem(c);
    if (lower_dup(c->scratch, u.scheme, &r->slot[SPU_URL_SCHEME]) ||
        lower_dup(c->scratch, u.host, &r->slot[SPU_URL_HOST]))
        return spu_arg_nomem(c);
    r->slot[SPU_URL_PORT] = spu_v_int(port_number(u.port));
    r->slot[SPU_URL_PATH] = view(u.path);
    if (u.path.set) {
        size_t last = u.path.n;
        for (size_t i = 0; i < u.path.n; i++)
            if (u.path.p[i] == '/')
                last = i;
        size_t fstart = last == u.path.n ? 0 : last + 1;
        r->slot[SPU_URL_DIRECTORY] = spu_v_str(u.path.p, (uint32_t)fstart);
        const uint8_t *f = u.path.p + fstart;
        size_t fn = u.path.n - fstart;
        r->slot[SPU_URL_FILENAME] = spu_v_str(f, (uint32_t)fn);
        const uint8_t *dot = NULL;
        for (size_t i = 0; i < fn; i++)
            if (f[i] == '.')
                dot = f + i;
        if (dot)
            r->slot[SPU_URL_EXT] = spu_v_str(dot + 1, (uint32_t)(fn - (size_t)(dot - f) - 1));
    }
    r->slot[SPU_URL_QUERY] = view(u.query);
    int rc = u.query.set ? spu_std_params(c, u.query.p, u.query.n, '&', SPU_PARAMS_DECODE,
                                          &r->slot[SPU_URL_PARAMS])
                         : SPU_OK;
    if (rc)
        return rc;
    r->slot[SPU_URL_FRAGMENT] = view(u.fragment);
    *ret = spu_v_rec(r);
    return SPU_OK;
}

static int is_unreserved(uint8_t ch)
{
    return is_alpha(ch) || is_digit(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Percent-escapes of p[0..n) into b: an escape of a byte `keep` accepts is
 * decoded, the others are written with uppercase hex; an invalid escape
 * stays as written. In the path (`path` set), backslashes become '/'. */
static int put_escapes(struct spu_sb *b, const uint8_t *p, size_t n, int path)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch == '%' && i + 2 < n && spu_hexval(p[i + 1]) >= 0 && spu_hexval(p[i + 2]) >= 0) {
            uint8_t d = (uint8_t)(spu_hexval(p[i + 1]) * 16 + spu_hexval(p[i + 2]));
            int keep = path ? (d >= 0x21 && d <= 0x7e && d != '%' && d != '?' && d != '#')
                            : is_unreserved(d);
            i += 2;
            if (keep) {
                ch = d;
            } else {
                static const char hx[] = "0123456789ABCDEF";
                uint8_t e[3] = {'%', (uint8_t)hx[d >> 4], (uint8_t)hx[d & 15]};
                spu_sb_put(b, e, 3);
                continue;
            }
        }
        if (path && ch == '\\')
            ch = '/';
        spu_sb_putc(b, ch);
    }
    return b->err;
}

/* Merge runs of '/' and remove "." and ".." segments (RFC 3986 5.2.4) in
 * p[0..n) (modified in place), appending the result to b. */
static int remove_dots(struct spu_sb *b, uint8_t *p, size_t n)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++)
        if (!(p[i] == '/' && w > 0 && p[w - 1] == '/'))
            p[w++] = p[i];
    n = w;
    size_t base = b->len; /* output starts here; ".." never pops past it */
    size_t i = 0;
    while (i < n) {
        size_t left = n - i;
        const uint8_t *x = p + i;
        if (left >= 3 && memcmp(x, "../", 3) == 0) {
            i += 3;
        } else if (left >= 2 && memcmp(x, "./", 2) == 0) {
            i += 2;
        } else if ((left >= 3 && memcmp(x, "/./", 3) == 0)) {
            i += 2;
        } else if (left == 2 && memcmp(x, "/.", 2) == 0) {
            i += 1;
            p[i] = '/';
        } else if ((left >= 4 && memcmp(x, "/../", 4) == 0) ||
                   (left == 3 && memcmp(x, "/..", 3) == 0)) {
            i += left == 3 ? 2 : 3;
            p[i] = '/';
            while (b->len > base && b->p[b->len - 1] != '/')
                b->len--;
            if (b->len > base)
                b->len--;
        } else if ((left == 1 && x[0] == '.') || (left == 2 && memcmp(x, "..", 2) == 0)) {
            i = n;
        } else {
            size_t j = i + 1;
            while (j < n && p[j] != '/')
                j++;
            if (spu_sb_put(b, p + i, j - i))
                return b->err;
            i = j;
        }
    }
    return b->err;
}

/* normalize_url(s): the URL as a server resolves it, for rules that look
 * for traversal or encoding tricks. Exactly:
 *   1. scheme and host are lowercased; userinfo and port stay as written;
 *      the fragment is dropped (it never reaches a server);
 *   2. in the path, every %XX whose byte is printable ASCII (0x21-0x7E)
 *      except '%', '?' and '#' is decoded (so %2e%2e%2f is "../"); every
 *      other escape (controls, space, bytes >= 0x80, %25, %3F, %23) stays
 *      encoded with uppercase hex; an invalid escape stays as written;
 *      decoding is one pass (%252e gives %2E, not '.');
 *   3. backslashes (also decoded %5C) become '/';
 *   4. runs of '/' become one '/';
 *   5. "." and ".." segments are resolved (RFC 3986 5.2.4); ".." at the
 *      root stays at the root;
 *   6. in the query, only escapes of unreserved characters (A-Z a-z 0-9
 *      - . _ ~) are decoded; other escapes get uppercase hex; nothing else
 *      changes ('+' stays '+').
 */
int spu_bi_normalize_url(struct spu_call *c, const struct spu_value *args, unsigned argc,
                         struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct url_parts u;
    url_parse(s, n, &u);
    struct spu_sb b, tmp;
    spu_sb_init(&b, c->scratch, n + 1);
    spu_sb_init(&tmp, c->scratch, u.path.n);
    if (u.scheme.set) {
        for (size_t i = 0; i < u.scheme.n; i++)
            spu_sb_putc(&b, spu_lc(u.scheme.p[i]));
        spu_sb_put(&b, "://", 3);
        if (u.userinfo.set) {
            spu_sb_put(&b, u.userinfo.p, u.userinfo.n);
            spu_sb_putc(&b, '@');
        }
    }
    for (size_t i = 0; u.host.set && i < u.host.n; i++)
        spu_sb_putc(&b, spu_lc(u.host.p[i]));
    if (u.port.set) {
        spu_sb_putc(&b, ':');
        spu_sb_put(&b, u.port.p, u.port.n);
    }
    if (u.path.set) {
        put_escapes(&tmp, u.path.p, u.path.n, 1);
        if (tmp.err || remove_dots(&b, tmp.p, tmp.len))
            return spu_arg_nomem(c);
    }
    if (u.query.set) {
        spu_sb_putc(&b, '?');
        put_escapes(&b, u.query.p, u.query.n, 0);
    }
    if (b.err)
        return spu_arg_nomem(c);
    *ret = spu_sb_value(&b);
    return SPU_OK;
}

/* file_ext(name): the extension of a file name, lowercased, or null. The
 * name's directory part (up to the last '/' or '\') is ignored, and so are
 * trailing dots and spaces, which Windows drops when it creates the file
 * ("evil.exe. " is an .exe there). The extension is what follows the last
 * '.', without it; null when there is no '.' or nothing after it. */
int spu_bi_file_ext(struct spu_call *c, const struct spu_value *args, unsigned argc,
                    struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    while (n && (s[n - 1] == '.' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    size_t dot = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '/' || s[i] == '\\')
            dot = SIZE_MAX; /* a '.' in a directory name does not count */
        else if (s[i] == '.')
            dot = i;
    }
    if (dot == SIZE_MAX || dot + 1 >= n)
        return SPU_OK;
    struct span e = {s + dot + 1, n - dot - 1, 1};
    if (lower_dup(c->scratch, e, ret))
        return spu_arg_nomem(c);
    return SPU_OK;
}
