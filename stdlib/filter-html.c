/* filter-html.c - HTML character references (the html_entities filter and
 * the html_unescape built-in): "&name;" for the 252 entities of HTML 4 plus
 * &apos;, "&#DDD;" and "&#xHHH;". Decoding follows what browsers do:
 *   - numeric references need no ';' (any digits after "&#" count; leading
 *     zeros are unlimited); 0, surrogates and values past U+10FFFF give
 *     U+FFFD; 0x80..0x9F are read as Windows-1252 (HTML5's table);
 *   - named references are case-sensitive; without ';' only the legacy
 *     names of HTML 3.2 (the Latin-1 set and quot, amp, lt, gt) are
 *     recognised, by longest prefix ("&notit" is U+00AC then "it");
 *   - anything else, a lone '&' included, stays as written.
 * Output is UTF-8. State between chunks: at most the 8 bytes of a name. */
#include "stdlib-int.h"

#include <string.h>

struct html_entity {
    const char *name;
    uint16_t cp;
    uint8_t legacy; /* recognised without ';' */
};

/* Sorted by name (byte order) for binary search. */
static const struct html_entity entities[] = {
    {"AElig", 0x00c6, 1}, {"Aacute", 0x00c1, 1}, {"Acirc", 0x00c2, 1}, {"Agrave", 0x00c0, 1},
    {"Alpha", 0x0391, 0}, {"Aring", 0x00c5, 1}, {"Atilde", 0x00c3, 1}, {"Auml", 0x00c4, 1},
    {"Beta", 0x0392, 0}, {"Ccedil", 0x00c7, 1}, {"Chi", 0x03a7, 0}, {"Dagger", 0x2021, 0},
    {"Delta", 0x0394, 0}, {"ETH", 0x00d0, 1}, {"Eacute", 0x00c9, 1}, {"Ecirc", 0x00ca, 1},
    {"Egrave", 0x00c8, 1}, {"Epsilon", 0x0395, 0}, {"Eta", 0x0397, 0}, {"Euml", 0x00cb, 1},
    {"Gamma", 0x0393, 0}, {"Iacute", 0x00cd, 1}, {"Icirc", 0x00ce, 1}, {"Igrave", 0x00cc, 1},
    {"Iota", 0x0399, 0}, {"Iuml", 0x00cf, 1}, {"Kappa", 0x039a, 0}, {"Lambda", 0x039b, 0},
    {"Mu", 0x039c, 0}, {"Ntilde", 0x00d1, 1}, {"Nu", 0x039d, 0}, {"OElig", 0x0152, 0},
    {"Oacute", 0x00d3, 1}, {"Ocirc", 0x00d4, 1}, {"Ograve", 0x00d2, 1}, {"Omega", 0x03a9, 0},
    {"Omicron", 0x039f, 0}, {"Oslash", 0x00d8, 1}, {"Otilde", 0x00d5, 1}, {"Ouml", 0x00d6, 1},
    {"Phi", 0x03a6, 0}, {"Pi", 0x03a0, 0}, {"Prime", 0x2033, 0}, {"Psi", 0x03a8, 0},
    {"Rho", 0x03a1, 0}, {"Scaron", 0x0160, 0}, {"Sigma", 0x03a3, 0}, {"THORN", 0x00de, 1},
    {"Tau", 0x03a4, 0}, {"Theta", 0x0398, 0}, {"Uacute", 0x00da, 1}, {"Ucirc", 0x00db, 1},
    {"Ugrave", 0x00d9, 1}, {"Upsilon", 0x03a5, 0}, {"Uuml", 0x00dc, 1}, {"Xi", 0x039e, 0},
    {"Yacute", 0x00dd, 1}, {"Yuml", 0x0178, 0}, {"Zeta", 0x0396, 0}, {"aacute", 0x00e1, 1},
    {"acirc", 0x00e2, 1}, {"acute", 0x00b4, 1}, {"aelig", 0x00e6, 1}, {"agrave", 0x00e0, 1},
    {"alefsym", 0x2135, 0}, {"alpha", 0x03b1, 0}, {"amp", 0x0026, 1}, {"and", 0x2227, 0},
    {"ang", 0x2220, 0}, {"apos", 0x0027, 0}, {"aring", 0x00e5, 1}, {"asymp", 0x2248, 0},
    {"atilde", 0x00e3, 1}, {"auml", 0x00e4, 1}, {"bdquo", 0x201e, 0}, {"beta", 0x03b2, 0},
    {"brvbar", 0x00a6, 1}, {"bull", 0x2022, 0}, {"cap", 0x2229, 0}, {"ccedil", 0x00e7, 1},
    {"cedil", 0x00b8, 1}, {"cent", 0x00a2, 1}, {"chi", 0x03c7, 0}, {"circ", 0x02c6, 0},
    {"clubs", 0x2663, 0}, {"cong", 0x2245, 0}, {"copy", 0x00a9, 1}, {"crarr", 0x21b5, 0},
    {"cup", 0x222a, 0}, {"curren", 0x00a4, 1}, {"dArr", 0x21d3, 0}, {"dagger", 0x2020, 0},
    {"darr", 0x2193, 0}, {"deg", 0x00b0, 1}, {"delta", 0x03b4, 0}, {"diams", 0x2666, 0},
    {"divide", 0x00f7, 1}, {"eacute", 0x00e9, 1}, {"ecirc", 0x00ea, 1}, {"egrave", 0x00e8, 1},
    {"empty", 0x2205, 0}, {"emsp", 0x2003, 0}, {"ensp", 0x2002, 0}, {"epsilon", 0x03b5, 0},
    {"equiv", 0x2261, 0}, {"eta", 0x03b7, 0}, {"eth", 0x00f0, 1}, {"euml", 0x00eb, 1},
    {"euro", 0x20ac, 0}, {"exist", 0x2203, 0}, {"fnof", 0x0192, 0}, {"forall", 0x2200, 0},
    {"frac12", 0x00bd, 1}, {"frac14", 0x00bc, 1}, {"frac34", 0x00be, 1}, {"frasl", 0x2044, 0},
    {"gamma", 0x03b3, 0}, {"ge", 0x2265, 0}, {"gt", 0x003e, 1}, {"hArr", 0x21d4, 0},
    {"harr", 0x2194, 0}, {"hearts", 0x2665, 0}, {"hellip", 0x2026, 0}, {"iacute", 0x00ed, 1},
    {"icirc", 0x00ee, 1}, {"iexcl", 0x00a1, 1}, {"igrave", 0x00ec, 1}, {"image", 0x2111, 0},
    {"infin", 0x221e, 0}, {"int", 0x222b, 0}, {"iota", 0x03b9, 0}, {"iquest", 0x00bf, 1},
    {"isin", 0x2208, 0}, {"iuml", 0x00ef, 1}, {"kappa", 0x03ba, 0}, {"lArr", 0x21d0, 0},
    {"lambda", 0x03bb, 0}, {"lang", 0x2329, 0}, {"laquo", 0x00ab, 1}, {"larr", 0x2190, 0},
    {"lceil", 0x2308, 0}, {"ldquo", 0x201c, 0}, {"le", 0x2264, 0}, {"lfloor", 0x230a, 0},
    {"lowast", 0x2217, 0}, {"loz", 0x25ca, 0}, {"lrm", 0x200e, 0}, {"lsaquo", 0x2039, 0},
    {"lsquo", 0x2018, 0}, {"lt", 0x003c, 1}, {"macr", 0x00af, 1}, {"mdash", 0x2014, 0},
    {"micro", 0x00b5, 1}, {"middot", 0x00b7, 1}, {"minus", 0x2212, 0}, {"mu", 0x03bc, 0},
    {"nabla", 0x2207, 0}, {"nbsp", 0x00a0, 1}, {"ndash", 0x2013, 0}, {"ne", 0x2260, 0},
    {"ni", 0x220b, 0}, {"not", 0x00ac, 1}, {"notin", 0x2209, 0}, {"nsub", 0x2284, 0},
    {"ntilde", 0x00f1, 1}, {"nu", 0x03bd, 0}, {"oacute", 0x00f3, 1}, {"ocirc", 0x00f4, 1},
    {"oelig", 0x0153, 0}, {"ograve", 0x00f2, 1}, {"oline", 0x203e, 0}, {"omega", 0x03c9, 0},
    {"omicron", 0x03bf, 0}, {"oplus", 0x2295, 0}, {"or", 0x2228, 0}, {"ordf", 0x00aa, 1},
    {"ordm", 0x00ba, 1}, {"oslash", 0x00f8, 1}, {"otilde", 0x00f5, 1}, {"otimes", 0x2297, 0},
    {"ouml", 0x00f6, 1}, {"para", 0x00b6, 1}, {"part", 0x2202, 0}, {"permil", 0x2030, 0},
    {"perp", 0x22a5, 0}, {"phi", 0x03c6, 0}, {"pi", 0x03c0, 0}, {"piv", 0x03d6, 0},
    {"plusmn", 0x00b1, 1}, {"pound", 0x00a3, 1}, {"prime", 0x2032, 0}, {"prod", 0x220f, 0},
    {"prop", 0x221d, 0}, {"psi", 0x03c8, 0}, {"quot", 0x0022, 1}, {"rArr", 0x21d2, 0},
    {"radic", 0x221a, 0}, {"rang", 0x232a, 0}, {"raquo", 0x00bb, 1}, {"rarr", 0x2192, 0},
    {"rceil", 0x2309, 0}, {"rdquo", 0x201d, 0}, {"real", 0x211c, 0}, {"reg", 0x00ae, 1},
    {"rfloor", 0x230b, 0}, {"rho", 0x03c1, 0}, {"rlm", 0x200f, 0}, {"rsaquo", 0x203a, 0},
    {"rsquo", 0x2019, 0}, {"sbquo", 0x201a, 0}, {"scaron", 0x0161, 0}, {"sdot", 0x22c5, 0},
    {"sect", 0x00a7, 1}, {"shy", 0x00ad, 1}, {"sigma", 0x03c3, 0}, {"sigmaf", 0x03c2, 0},
    {"sim", 0x223c, 0}, {"spades", 0x2660, 0}, {"sub", 0x2282, 0}, {"sube", 0x2286, 0},
    {"sum", 0x2211, 0}, {"sup", 0x2283, 0}, {"sup1", 0x00b9, 1}, {"sup2", 0x00b2, 1},
    {"sup3", 0x00b3, 1}, {"supe", 0x2287, 0}, {"szlig", 0x00df, 1}, {"tau", 0x03c4, 0},
    {"there4", 0x2234, 0}, {"theta", 0x03b8, 0}, {"thetasym", 0x03d1, 0}, {"thinsp", 0x2009, 0},
    {"thorn", 0x00fe, 1}, {"tilde", 0x02dc, 0}, {"times", 0x00d7, 1}, {"trade", 0x2122, 0},
    {"uArr", 0x21d1, 0}, {"uacute", 0x00fa, 1}, {"uarr", 0x2191, 0}, {"ucirc", 0x00fb, 1},
    {"ugrave", 0x00f9, 1}, {"uml", 0x00a8, 1}, {"upsih", 0x03d2, 0}, {"upsilon", 0x03c5, 0},
    {"uuml", 0x00fc, 1}, {"weierp", 0x2118, 0}, {"xi", 0x03be, 0}, {"yacute", 0x00fd, 1},
    {"yen", 0x00a5, 1}, {"yuml", 0x00ff, 1}, {"zeta", 0x03b6, 0}, {"zwj", 0x200d, 0},
    {"zwnj", 0x200c, 0},
};

#define NENTITIES (sizeof(entities) / sizeof(entities[0]))
#define HTML_MAX_NAME 8 /* "thetasym", the longest name */

static const struct html_entity *entity_find(const uint8_t *name, size_t n)
{
    size_t lo = 0, hi = NENTITIES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *e = entities[mid].name;
        size_t en = strlen(e);
        int d = memcmp(e, name, en < n ? en : n);
        if (d == 0)
            d = (en > n) - (en < n);
        if (d == 0)
            return &entities[mid];
        if (d < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

enum { H_TEXT, H_AMP, H_HASH, H_HASHX, H_DEC, H_HEX, H_NAME };

struct flt_html {
    uint8_t state;
    uint8_t n;    /* H_NAME: bytes in name */
    uint8_t xch;  /* H_HASHX: 'x' or 'X' as written */
    uint8_t name[HTML_MAX_NAME];
    uint32_t val; /* H_DEC/H_HEX: saturates at 0x110000 */
};

static int html_init(void *st)
{
    memset(st, 0, sizeof(struct flt_html));
    return SPU_OK;
}

static void put_cp(struct spu_ob *o, uint32_t cp)
{
    uint8_t u[4];
    if (cp == 0)
        cp = 0xfffd;
    else if (cp >= 0x80 && cp <= 0x9f)
        cp = spu_cp1252((uint8_t)cp);
    spu_ob_write(o, u, spu_utf8_encode(cp, u));
}

/* The name ended without a full match: the longest legacy prefix is decoded,
 * the rest of the name stays as written. */
static void name_fallback(struct flt_html *s, struct spu_ob *o)
{
    size_t k = s->n;
    const struct html_entity *e = NULL;
    for (; k > 0; k--) {
        e = entity_find(s->name, k);
        if (e && e->legacy)
            break;
    }
    if (k > 0) {
        put_cp(o, e->cp);
    } else {
        spu_ob_put(o, '&');
    }
    spu_ob_write(o, s->name + k, s->n - k);
    s->n = 0;
    s->state = H_TEXT;
}

static int is_alnum(uint8_t ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int html_update(void *st, const uint8_t *in, size_t n, spu_filter_out out, void *ctx)
{
    struct flt_html *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    size_t i = 0;
    while (i < n && !o.err) {
        uint8_t ch = in[i];
        int d = spu_hexval(ch);
        switch (s->state) {
        case H_TEXT: {
            if (ch == '&') {
                s->state = H_AMP;
                i++;
                break;
            }
            const uint8_t *amp = memchr(in + i, '&', n - i);
            size_t j = amp ? (size_t)(amp - in) : n;
            spu_ob_write(&o, in + i, j - i);
            i = j;
            break;
        }
        case H_AMP:
            if (ch == '#') {
                s->state = H_HASH;
                i++;
            } else if (is_alnum(ch)) {
                s->name[0] = ch;
                s->n = 1;
                s->state = H_NAME;
                i++;
            } else {
                spu_ob_put(&o, '&');
                s->state = H_TEXT;
            }
            break;
        case H_HASH:
            if (ch >= '0' && ch <= '9') {
                s->val = (uint32_t)(ch - '0');
                s->state = H_DEC;
                i++;
            } else if (ch == 'x' || ch == 'X') {
                s->xch = ch;
                s->state = H_HASHX;
                i++;
            } else {
                spu_ob_write(&o, (const uint8_t *)"&#", 2);
                s->state = H_TEXT;
            }
            break;
        case H_HASHX:
            if (d >= 0) {
                s->val = (uint32_t)d;
                s->state = H_HEX;
                i++;
            } else {
                spu_ob_write(&o, (const uint8_t *)"&#", 2);
                spu_ob_put(&o, s->xch);
                s->state = H_TEXT;
            }
            break;
        case H_DEC:
        case H_HEX: {
            unsigned base = s->state == H_DEC ? 10 : 16;
            if (d >= 0 && (unsigned)d < base) {
                s->val = s->val * base + (uint32_t)d;
                if (s->val > 0x110000)
                    s->val = 0x110000;
                i++;
                break;
            }
            put_cp(&o, s->val);
            s->state = H_TEXT;
            if (ch == ';')
                i++;
            break;
        }
        default: /* H_NAME */
            if (is_alnum(ch) && s->n < HTML_MAX_NAME) {
                s->name[s->n++] = ch;
                i++;
            } else if (ch == ';') {
                const struct html_entity *e = entity_find(s->name, s->n);
                if (e) {
                    put_cp(&o, e->cp);
                    s->n = 0;
                    s->state = H_TEXT;
                    i++;
                } else {
                    name_fallback(s, &o); /* the ';' is then plain text */
                }
            } else {
                name_fallback(s, &o);
            }
            break;
        }
    }
    return spu_ob_flush(&o);
}

static int html_finish(void *st, spu_filter_out out, void *ctx)
{
    struct flt_html *s = st;
    struct spu_ob o;
    spu_ob_init(&o, out, ctx);
    switch (s->state) {
    case H_AMP:
        spu_ob_put(&o, '&');
        break;
    case H_HASH:
        spu_ob_write(&o, (const uint8_t *)"&#", 2);
        break;
    case H_HASHX:
        spu_ob_write(&o, (const uint8_t *)"&#", 2);
        spu_ob_put(&o, s->xch);
        break;
    case H_DEC:
    case H_HEX:
        put_cp(&o, s->val);
        break;
    case H_NAME:
        name_fallback(s, &o);
        break;
    default:
        break;
    }
    s->state = H_TEXT;
    return spu_ob_flush(&o);
}

static void html_fini(void *st)
{
    (void)st;
}

const struct spu_filter_ops spu_flt_html_entities_ops = {
    "html_entities", sizeof(struct flt_html), html_init, html_update, html_finish, html_fini,
};

int spu_bi_html_unescape(struct spu_call *c, const struct spu_value *args, unsigned argc,
                         struct spu_value *ret)
{
    const uint8_t *p = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &p, &n, ret);
    if (ss <= 0)
        return ss;
    struct flt_html st;
    struct spu_sb b;
    html_init(&st);
    spu_sb_init(&b, c->scratch, n);
    if (spu_filter_run(&spu_flt_html_entities_ops, &st, p, n, &b) == SPU_ELIMIT)
        return spu_arg_nomem(c);
    *ret = spu_sb_value(&b);
    return SPU_OK;
}
