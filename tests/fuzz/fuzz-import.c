/*
 * fuzz-import.c - libFuzzer target for spuc --import: hostile rule text
 * through the Suricata, Snort 2 and Snort 3 importers, and every
 * translation that needs no grammar (packet rules) through the front end,
 * which must accept it: the importer writes valid spu rules or skips.
 * Nothing may crash or leak; no file is written.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "front.h"
#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_translation(const char *text, size_t len)
{
    if (strstr(text, "import http;") || strstr(text, "import dns;") ||
        strstr(text, "import tls;") || strstr(text, "import smtp;"))
        return; /* needs grammars/http.spg, dns.spg, tls.spg, smtp.spg: not looked up here */
    struct front *f = front_new(NULL, NULL);
    if (!f)
        return;
    front_set_default_include(f, false);
    front_add_source(f, "fuzz.spr", text, len, SRC_LANG_RULES);
    int rc = front_check(f);
    if (rc != SPU_OK && rc != SPU_ENOMEM && diag_errors(front_diag(f)) > 0) {
        fprintf(stderr, "the importer wrote rules the front end refuses:\n%s\n", text);
        abort();
    }
    front_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum import_dialect d[] = {IMPORT_SURICATA, IMPORT_SNORT2, IMPORT_SNORT3};
    for (size_t i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
        struct spu_error err;
        struct importer *im = importer_new(d[i], &err);
        if (!im)
            return 0;
        char *text = NULL;
        size_t len = 0;
        FILE *m = NULL;
        if (importer_add_rules(im, "fuzz.rules", (const char *)data, size, NULL) == SPU_OK &&
            (m = open_memstream(&text, &len)) != NULL) {
            importer_write(im, m);
            fclose(m);
            if (importer_translated(im) > 0)
                check_translation(text, len);
        }
        free(text);
        importer_free(im);
    }
    return 0;
}
