/*
 * helper-grammars.h - the shipped grammars (grammars/NAME.spg, read from
 * the repository root where the tests run) compiled and loaded for a test.
 * Test-only; fails the running Criterion test when a file is missing or
 * does not compile.
 */
#ifndef SPU_TEST_HELPER_GRAMMARS_H
#define SPU_TEST_HELPER_GRAMMARS_H

#include "bundle.h"

/* grammars/http.spg with what it imports (html.spg). Returns new. */
struct spu_bundle *hg_http_bundle(void);
/* The same with the rules `rules` (spu rule text, NULL: none). */
struct spu_bundle *hg_http_bundle_rules(const char *rules);

/* grammars/smtp.spg with what it imports (email.spg). Returns new. */
struct spu_bundle *hg_smtp_bundle(void);

#endif
