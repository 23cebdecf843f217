/*
 * diag.h - compiler diagnostics: errors, warnings and notes with locations.
 *
 * A diagnostic is written as
 *
 *     file:line:col: error: message
 *         the source line
 *         ^~~~~~
 *
 * with a caret under the first byte of the offending range and tildes under
 * the rest of it (to the end of the line when the range spans lines). Columns
 * count bytes from 1; a tab counts as one column (the caret line repeats the
 * source's tabs so that it lines up on a terminal). A note (`note: previous
 * definition is here`) follows the error it explains. Diagnostics without a
 * location are written `spuc: error: message`.
 *
 * The sink owns nothing but its counters; it writes to the FILE* chosen by
 * main (NULL discards the text but still counts). After `max_errors` errors
 * it writes "too many errors" once and discards the rest; diag_stop() then
 * tells the front end to give up. Used by the compiler's single thread.
 */
#ifndef SPUC_DIAG_H
#define SPUC_DIAG_H

#include "source.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct diag;

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE };

/* Returns new, or NULL when out of memory. `srcs` is borrowed (the lines
 * of located diagnostics are read from it); `out` is borrowed, may be NULL. */
struct diag *diag_new(const struct src_set *srcs, FILE *out);
void diag_free(struct diag *d);

/* 0 = unlimited (the default is 50). */
void diag_set_max_errors(struct diag *d, unsigned max);

void diag_report(struct diag *d, enum diag_level level, struct src_loc loc, const char *fmt,
                 ...) __attribute__((format(printf, 4, 5)));
void diag_vreport(struct diag *d, enum diag_level level, struct src_loc loc, const char *fmt,
                  va_list ap) __attribute__((format(printf, 4, 0)));

#define diag_error(d, loc, ...) diag_report((d), DIAG_ERROR, (loc), __VA_ARGS__)
#define diag_warning(d, loc, ...) diag_report((d), DIAG_WARNING, (loc), __VA_ARGS__)
#define diag_note(d, loc, ...) diag_report((d), DIAG_NOTE, (loc), __VA_ARGS__)

unsigned diag_errors(const struct diag *d);
unsigned diag_warnings(const struct diag *d);
/* True once the error limit was reached: callers stop early. */
bool diag_stop(const struct diag *d);

#endif
