/*
 * helper-file.h - files read by the tests (grammars, captures, expected
 * outputs), from the repository root where the tests run. Test-only; fails
 * the running Criterion test when a file cannot be read.
 */
#ifndef SPU_TEST_HELPER_FILE_H
#define SPU_TEST_HELPER_FILE_H

#include <stddef.h>
#include <stdio.h>

/* Append the file at `path` (from the repository root, where the tests
 * run) to m; fails the test when it cannot be read. */
void hf_append(FILE *m, const char *path);

/* The bytes of the file at `path` as a new NUL-terminated string (free
 * it); *len (may be NULL) receives their count. Fails the test when the
 * file cannot be read. */
char *hf_read(const char *path, size_t *len);

#endif
