/* helper-import.c - see helper-import.h. */
#include "helper-import.h"

#include "helper-compile.h"
#include "helper-file.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *hi_translate(enum import_dialect d, const char *rules, unsigned skips)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct importer *im = importer_new(d, &err);
    cr_assert_not_null(im);
    char *diag = NULL;
    size_t dn = 0;
    FILE *dg = open_memstream(&diag, &dn);
    cr_assert_eq(importer_add_rules(im, "t.rules", rules, strlen(rules), dg), SPU_OK);
    fclose(dg);
    cr_assert_eq(importer_skipped(im), skips, "skipped %u, want %u:\n%s\n%s",
                 importer_skipped(im), skips, rules, diag);
    free(diag);
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    cr_assert_eq(importer_write(im, m), SPU_OK);
    fclose(m);
    importer_free(im);
    return text;
}

char *hi_skip_reason(const char *rule)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct importer *im = importer_new(IMPORT_SURICATA, &err);
    cr_assert_not_null(im);
    char *diag = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&diag, &n);
    cr_assert_eq(importer_add_rules(im, "t.rules", rule, strlen(rule), m), SPU_OK);
    fclose(m);
    cr_assert_eq(importer_skipped(im), 1, "not skipped: %s", rule);
    importer_free(im);
    return diag;
}

void hi_compiles(const char *spr, const char *const *grammars)
{
    char *g = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&g, &n);
    for (size_t i = 0; grammars[i]; i++) {
        if (i)
            fputs("\n%%\n", m);
        hf_append(m, grammars[i]);
    }
    fclose(m);
    size_t len = 0;
    char *diag = NULL;
    uint8_t *bin = hc_compile(g, spr, NULL, &len, &diag);
    cr_assert_not_null(bin, "does not compile: %s\n%s", diag ? diag : "", spr);
    free(bin);
    free(diag);
    free(g);
}
