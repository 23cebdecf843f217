/* words.c - decode_words: RFC 2047 encoded words in header text.
 *
 * "=?charset[*lang]?B|Q?text?=" is decoded anywhere in the text (lenient:
 * also inside a word, and with spaces or tabs inside the encoded text, as
 * mail readers accept). B is base64 (the base64 filter's rules), Q is
 * quoted-printable with '_' as a space. Adjacent encoded words, separated
 * only by spaces, tabs, CR or LF, are joined without that whitespace; the
 * decoded bytes of adjacent words in the same charset are converted
 * together, so a multi-byte character split across two words survives.
 * Conversion to UTF-8 is spu_charset_to_utf8's. Text that is not a
 * well-formed encoded word stays as written.
 */
#include "stdlib-int.h"

#include <string.h>

struct eword {
    const uint8_t *cs;
    size_t csn;
    uint8_t enc; /* 'b' or 'q' */
    const uint8_t *text;
    size_t textn;
    size_t end; /* index after "?=" */
};

static int parse_eword(const uint8_t *p, size_t n, size_t i, struct eword *w)
{
    size_t j = i + 2;
    size_t cs = j;
    while (j < n && p[j] != '?' && p[j] > ' ' && p[j] < 0x7f)
        j++;
    if (j == cs || j + 2 >= n || p[j] != '?' || p[j + 2] != '?')
        return 0;
    uint8_t enc = spu_lc(p[j + 1]);
    if (enc != 'b' && enc != 'q')
        return 0;
    size_t t = j + 3, k = t;
    while (k < n && p[k] != '?' && p[k] != '\r' && p[k] != '\n')
        k++;
    if (k + 1 >= n || p[k] != '?' || p[k + 1] != '=')
        return 0;
    w->cs = p + cs;
    w->csn = j - cs;
    w->enc = enc;
    w->text = p + t;
    w->textn = k - t;
    w->end = k + 2;
    return 1;
}

static int q_decode(struct spu_sb *b, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch == '_') {
            ch = ' ';
        } else if (ch == '=' && i + 2 < n && spu_hexval(p[i + 1]) >= 0 &&
                   spu_hexval(p[i + 2]) >= 0) {
            ch = (uint8_t)(spu_hexval(p[i + 1]) * 16 + spu_hexval(p[i + 2]));
            i += 2;
        }
        spu_sb_putc(b, ch);
    }
    return b->err;
}

static int only_lwsp(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

int spu_decode_words(struct spu_sb *b, const uint8_t *p, size_t n)
{
    struct spu_sb run; /* decoded bytes of adjacent words in one charset */
    const uint8_t *run_cs = NULL;
    size_t run_csn = 0;
    int in_run = 0;
    size_t lit = 0; /* start of text not yet written */
    spu_sb_init(&run, b->a, 64);
    for (size_t i = 0; i + 1 < n && !b->err && !run.err;) {
        struct eword w;
        if (p[i] != '=' || p[i + 1] != '?' || !parse_eword(p, n, i, &w)) {
            i++;
            continue;
        }
        int joined = in_run && only_lwsp(p + lit, i - lit);
        int same = joined && w.csn == run_csn && spu_memcaseeq(w.cs, run_cs, run_csn);
        if (in_run && !same) {
            spu_charset_to_utf8(b, run_cs, run_csn, run.p, run.len);
            in_run = 0;
        }
        if (!joined)
            spu_sb_put(b, p + lit, i - lit);
        if (!in_run) {
            run.len = 0;
            run_cs = w.cs;
            run_csn = w.csn;
            in_run = 1;
        }
        if (w.enc == 'b')
            spu_b64_decode(&run, w.text, w.textn);
        else
            q_decode(&run, w.text, w.textn);
        i = lit = w.end;
    }
    if (in_run)
        spu_charset_to_utf8(b, run_cs, run_csn, run.p, run.len);
    spu_sb_put(b, p + lit, n - lit);
    return b->err ? b->err : run.err;
}

int spu_bi_decode_words(struct spu_call *c, const struct spu_value *args, unsigned argc,
                        struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, n);
    if (spu_decode_words(&b, s, n))
        return spu_arg_nomem(c);
    *ret = spu_sb_value(&b);
    return SPU_OK;
}
