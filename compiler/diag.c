/* diag.c - located diagnostics with a source line and a caret (see diag.h). */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>

#define DIAG_DEFAULT_MAX 50u

struct diag {
    const struct src_set *srcs;
    FILE *out;
    unsigned errors, warnings, max_errors;
    bool stopped;
    bool last_dropped; /* the previous error/warning was not written: drop its notes */
};

struct diag *diag_new(const struct src_set *srcs, FILE *out)
{
    struct diag *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->srcs = srcs;
    d->out = out;
    d->max_errors = DIAG_DEFAULT_MAX;
    return d;
}

void diag_free(struct diag *d)
{
    free(d);
}

void diag_set_max_errors(struct diag *d, unsigned max)
{
    d->max_errors = max;
}

unsigned diag_errors(const struct diag *d)
{
    return d->errors;
}

unsigned diag_warnings(const struct diag *d)
{
    return d->warnings;
}

bool diag_stop(const struct diag *d)
{
    return d->stopped;
}

static const char *const level_names[] = {"error", "warning", "note"};

/* Print a byte of a source line so that the terminal shows one column per
 * byte: control characters other than tab become '?'. */
static void put_src_byte(FILE *out, unsigned char c)
{
    if (c == '\t' || (c >= 0x20 && c != 0x7f))
        fputc(c, out);
    else
        fputc('?', out);
}

static void print_caret(FILE *out, const struct src_file *f, struct src_loc loc)
{
    size_t len;
    const char *line = src_line(f, loc.line, &len);
    if (!line)
        return;
    for (size_t i = 0; i < len; i++)
        put_src_byte(out, (unsigned char)line[i]);
    fputc('\n', out);
    size_t start = loc.col ? loc.col - 1 : 0;
    if (start > len)
        start = len;
    size_t end; /* one past the last underlined byte */
    if (loc.end_line != loc.line)
        end = len;
    else
        end = loc.end_col > start ? loc.end_col : start + 1;
    if (end > len && end > start + 1)
        end = len > start ? len : start + 1;
    for (size_t i = 0; i < start; i++)
        fputc(line[i] == '\t' ? '\t' : ' ', out);
    fputc('^', out);
    for (size_t i = start + 1; i < end; i++)
        fputc('~', out);
    fputc('\n', out);
}

void diag_vreport(struct diag *d, enum diag_level level, struct src_loc loc, const char *fmt,
                  va_list ap)
{
    if (level == DIAG_NOTE) {
        if (d->last_dropped)
            return;
    } else {
        d->last_dropped = d->stopped;
        if (d->stopped)
            return;
        if (level == DIAG_ERROR)
            d->errors++;
        else
            d->warnings++;
    }
    if (d->out) {
        const struct src_file *f = src_get(d->srcs, loc.file);
        if (f)
            fprintf(d->out, "%s:%u:%u: %s: ", f->path, loc.line, loc.col, level_names[level]);
        else
            fprintf(d->out, "spuc: %s: ", level_names[level]);
        vfprintf(d->out, fmt, ap);
        fputc('\n', d->out);
        if (f)
            print_caret(d->out, f, loc);
    }
    if (level == DIAG_ERROR && d->max_errors && d->errors >= d->max_errors) {
        d->stopped = true;
        if (d->out)
            fprintf(d->out, "spuc: error: too many errors (%u), stopping\n", d->errors);
    }
}

void diag_report(struct diag *d, enum diag_level level, struct src_loc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_vreport(d, level, loc, fmt, ap);
    va_end(ap);
}
