/* helper-import.h - what the importer's unit tests share: translate rules
 * (checking how many were skipped), the skip diagnostic of one rule, and
 * compiling a translation with some of the shipped grammars. */
#ifndef SPU_HELPER_IMPORT_H
#define SPU_HELPER_IMPORT_H

#include "import.h"

/* The .spr of `rules` in dialect d (malloc'd); exactly `skips` of them
 * must be skipped (the diagnostics are shown when not). */
char *hi_translate(enum import_dialect d, const char *rules, unsigned skips);

/* The skip diagnostic of one Suricata rule, which must be skipped
 * (malloc'd). */
char *hi_skip_reason(const char *rule);

/* The translation compiles with the grammars named (paths from the
 * repository root, NULL terminated; not loaded: the variables' list files
 * are read at load). */
void hi_compiles(const char *spr, const char *const *grammars);

#endif
