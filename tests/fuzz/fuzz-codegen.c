/*
 * fuzz-codegen.c - libFuzzer target for spuc's back end: whatever the
 * front end accepts goes through lowering, the optimizer, emission,
 * writing and the VM library's verifier and loader (compile_bundle).
 *
 * Inputs are split as for fuzz-frontend: the whole input as a grammar, as
 * a rule file, and, around a line "%%", a grammar and a rule file in one
 * compilation. A refusal with a diagnostic (SPU_EPARSE) is fine; a bundle
 * that spuc wrote and its own verification rejected (SPU_EVERIFY) is a
 * code generator bug and aborts, as does a crash or a leak. Diagnostics go
 * nowhere; imports are not looked up on disk.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"
#include "err.h"
#include "front.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void compile(const uint8_t *g, size_t gn, const uint8_t *r, size_t rn)
{
    struct front *f = front_new(NULL, NULL);
    if (!f)
        return;
    front_set_default_include(f, false);
    if (g)
        front_add_source(f, "fuzz.spg", g, gn, SRC_LANG_GRAMMAR);
    if (r)
        front_add_source(f, "fuzz.spr", r, rn, SRC_LANG_RULES);
    if (front_check(f) == SPU_OK) {
        uint8_t *out = NULL;
        size_t len = 0;
        int rc = compile_bundle(f, NULL, &out, &len, NULL);
        if (rc == SPU_EVERIFY || (rc == SPU_OK && (!out || len == 0)))
            abort();
        free(out);
    }
    front_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    compile(data, size, NULL, 0);
    compile(NULL, 0, data, size);
    for (size_t i = 0; i + 3 <= size; i++) {
        if (memcmp(data + i, "%%\n", 3) == 0 && (i == 0 || data[i - 1] == '\n')) {
            compile(data, i, data + i + 3, size - i - 3);
            break;
        }
    }
    return 0;
}
