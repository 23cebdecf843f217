/* parse.c - drive the scanner and parser over one file (see parse.h). */
#include "parse.h"

#include "arena.h"
#include "diag.h"
#include "err.h"
#include "parser.h"
#define YYSTYPE SPU_YYSTYPE
#define YYLTYPE SPU_YYLTYPE
#include "lexer.h"

#include <stdarg.h>
#include <string.h>

int spu_yyparse(void *scanner, struct parse_ctx *pc);

struct src_loc parse_loc_join(struct src_loc a, struct src_loc b)
{
    struct src_loc r = a;
    if (b.end_line > a.end_line || (b.end_line == a.end_line && b.end_col > a.end_col)) {
        r.end_line = b.end_line;
        r.end_col = b.end_col;
    }
    return r;
}

void parse_error(struct parse_ctx *pc, struct src_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(pc->diag, DIAG_ERROR, loc, fmt, ap);
    va_end(ap);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool parse_string_body(struct parse_ctx *pc, struct src_loc loc, const char *body, size_t n,
                       const uint8_t **out, uint32_t *outlen)
{
    uint8_t *buf = spu_arena_alloc(pc->arena, n + 1);
    if (!buf) {
        pc->nomem = true;
        return false;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = body[i];
        if (c != '\\') {
            buf[k++] = (uint8_t)c;
            continue;
        }
        /* the escape starts at column loc.col + 1 + i (after the quote) */
        struct src_loc el = loc;
        el.col = loc.col + 1 + (uint32_t)i;
        el.end_line = el.line;
        el.end_col = el.col + 1;
        char e = i + 1 < n ? body[++i] : '\0';
        switch (e) {
        case '\\': buf[k++] = '\\'; break;
        case '"': buf[k++] = '"'; break;
        case 'n': buf[k++] = '\n'; break;
        case 'r': buf[k++] = '\r'; break;
        case 't': buf[k++] = '\t'; break;
        case '0': buf[k++] = '\0'; break;
        case 'x': {
            int h = i + 1 < n ? hexval(body[i + 1]) : -1;
            int l = i + 2 < n ? hexval(body[i + 2]) : -1;
            if (h < 0 || l < 0) {
                parse_error(pc, el, "invalid escape: \\x needs two hexadecimal digits");
                break;
            }
            buf[k++] = (uint8_t)(h * 16 + l);
            i += 2;
            break;
        }
        default:
            if ((unsigned char)e >= 0x21 && (unsigned char)e < 0x7f)
                parse_error(pc, el, "invalid escape '\\%c' in string", e);
            else
                parse_error(pc, el, "invalid escape in string");
            break;
        }
    }
    buf[k] = '\0';
    *out = buf;
    *outlen = (uint32_t)k;
    return true;
}

int parse_file(struct parse_ctx *pc, struct spu_arena *arena, struct diag *diag,
               const struct src_file *f)
{
    memset(pc, 0, sizeof(*pc));
    pc->arena = arena;
    pc->diag = diag;
    pc->src = f;
    pc->lang = f->lang;
    pc->line = 1;
    pc->col = 1;
    yyscan_t scanner;
    if (spu_yylex_init_extra(pc, &scanner) != 0)
        return SPU_ENOMEM;
    pc->scanner = scanner;
    YY_BUFFER_STATE buf = spu_yy_scan_bytes(f->text, (int)f->len, scanner);
    if (!buf) {
        spu_yylex_destroy(scanner);
        return SPU_ENOMEM;
    }
    /* a failed parse has reported its errors (or set nomem): the status
     * of spu_yyparse adds nothing */
    if (setjmp(pc->fatal) == 0)
        (void)spu_yyparse(scanner, pc);
    else
        pc->nomem = true;
    spu_yy_delete_buffer(buf, scanner);
    spu_yylex_destroy(scanner);
    pc->scanner = NULL;
    if (pc->nomem)
        return SPU_ENOMEM;
    if (pc->root) {
        pc->root->name = f->path;
        pc->root->ival = f->lang;
    }
    return SPU_OK;
}
