/*
 * front.h - the compiler's front end for one compilation: source files,
 * imports, parsing and semantic analysis.
 *
 * A struct front owns the compilation's arena (every AST node and symbol),
 * its source files and its diagnostic sink. Files given with
 * front_add_file() are parsed by front_parse(); `import NAME;` is satisfied
 * by a file of the compilation that declares `protocol NAME`, else NAME.spg
 * is looked up in the include directories (-I, in order), then in the
 * directory of the importing file, then in ./grammars, then in the
 * installed grammars' directory (front_set_system_include; the last three
 * unless front_set_default_include(f, false)); the files found are parsed
 * too.
 * front_check() then runs sema over all of them.
 *
 * Library code: prints only through the diag sink given to front_new().
 * Used by one thread.
 */
#ifndef SPUC_FRONT_H
#define SPUC_FRONT_H

#include "source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct front;
struct diag;
struct ast_node;
struct sema_program;
struct spu_error;

/* Returns new, or NULL (err filled). Diagnostics go to diag_out (borrowed;
 * NULL discards them). */
struct front *front_new(FILE *diag_out, struct spu_error *err);
/* Frees everything, the AST and symbols included. NULL is a no-op. */
void front_free(struct front *f);

/* The diagnostic sink (borrowed): counters, max errors. */
struct diag *front_diag(struct front *f);

/* Add an include directory for imports (copied). SPU_OK or SPU_ENOMEM. */
int front_add_include(struct front *f, const char *dir);
void front_set_default_include(struct front *f, bool on);

/* The installed grammars' directory (PREFIX/share/spu/grammars), searched
 * last; copied. Returns 0 or SPU_ENOMEM. */
int front_set_system_include(struct front *f, const char *dir);

/* Add a file of the compilation; its kind comes from its extension (.spg,
 * .spr). A file that cannot be read or has another extension is reported
 * as an error. Returns SPU_OK, SPU_EIO, SPU_EINVAL or SPU_ENOMEM. */
int front_add_file(struct front *f, const char *path);
/* Add a file from memory (tests, fuzzing); bytes are copied. */
int front_add_source(struct front *f, const char *name, const void *data, size_t len,
                     enum src_lang lang);

/* Parse every added file and the grammars they import. Returns SPU_OK,
 * SPU_EPARSE when errors were reported, or SPU_ENOMEM. */
int front_parse(struct front *f);
/* front_parse(), then (when parsing reported no error) semantic analysis.
 * Returns SPU_OK when no error was reported, SPU_EPARSE when some were,
 * SPU_ENOMEM. */
int front_check(struct front *f);

/* The checked program (after front_check), or NULL. Borrowed. */
const struct sema_program *front_program(const struct front *f);
/* Parsed files, in order: the added ones, then imported ones. */
unsigned front_file_count(const struct front *f);
const struct ast_node *front_file_ast(const struct front *f, unsigned i);
bool front_file_imported(const struct front *f, unsigned i);
/* The source of parsed file i (path and bytes), or NULL. Borrowed. */
const struct src_file *front_file_src(const struct front *f, unsigned i);

/* Print the (annotated) trees of the added files, not of imported ones. */
void front_dump_ast(const struct front *f, FILE *out);

#endif
