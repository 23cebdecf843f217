/*
 * fuzz-frontend.c - libFuzzer target for spuc's front end: the lexer, the
 * parser and semantic analysis, on untrusted source text.
 *
 * Each input is compiled three ways: as a grammar (.spg), as a rule file
 * (.spr), and, when it holds a line "%%", as a grammar (the part before)
 * and a rule file (the part after) in one compilation, so that rules meet
 * the events and fields of a grammar. The annotated trees and the symbol
 * tables are printed to /dev/null to run the dumps as well. Diagnostics go
 * nowhere; imports are not looked up on disk. Nothing may crash or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "front.h"
#include "sema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compile(const uint8_t *g, size_t gn, const uint8_t *r, size_t rn, FILE *sink)
{
    struct front *f = front_new(NULL, NULL);
    if (!f)
        return;
    front_set_default_include(f, false);
    if (g)
        front_add_source(f, "fuzz.spg", g, gn, SRC_LANG_GRAMMAR);
    if (r)
        front_add_source(f, "fuzz.spr", r, rn, SRC_LANG_RULES);
    front_check(f);
    if (sink) {
        front_dump_ast(f, sink);
        if (front_program(f))
            sema_dump(sink, front_program(f));
    }
    front_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *sink = fopen("/dev/null", "w");
    compile(data, size, NULL, 0, sink);
    compile(NULL, 0, data, size, sink);
    for (size_t i = 0; i + 3 <= size; i++) {
        if (memcmp(data + i, "%%\n", 3) == 0 && (i == 0 || data[i - 1] == '\n')) {
            compile(data, i, data + i + 3, size - i - 3, sink);
            break;
        }
    }
    if (sink)
        fclose(sink);
    return 0;
}
