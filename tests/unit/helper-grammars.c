/* helper-grammars.c - see helper-grammars.h. */
#include "helper-grammars.h"
#include "helper-file.h"

#include "helper-compile.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/* Append grammars/NAME.spg to m. */
static void append(FILE *m, const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "grammars/%s.spg", name);
    hf_append(m, path);
}

struct spu_bundle *hg_http_bundle(void)
{
    return hg_http_bundle_rules(NULL);
}

struct spu_bundle *hg_http_bundle_rules(const char *rules)
{
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    append(m, "html");
    fputs("\n%%\n", m);
    append(m, "http");
    fclose(m);
    struct spu_bundle *b = hc_bundle(text, rules);
    free(text);
    cr_assert_not_null(b, "grammars/http.spg and html.spg do not compile");
    return b;
}

struct spu_bundle *hg_smtp_bundle(void)
{
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    append(m, "email");
    fputs("\n%%\n", m);
    append(m, "smtp");
    fclose(m);
    struct spu_bundle *b = hc_bundle(text, NULL);
    free(text);
    cr_assert_not_null(b, "grammars/smtp.spg and email.spg do not compile");
    return b;
}
