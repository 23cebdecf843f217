/* helper-file.c - see helper-file.h. */
#include "helper-file.h"

#include <criterion/criterion.h>

void hf_append(FILE *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot read %s (tests run from the repository root)", path);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, k, m);
    fclose(f);
}

char *hf_read(const char *path, size_t *len)
{
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    cr_assert_not_null(m);
    hf_append(m, path);
    fclose(m);
    if (len)
        *len = n;
    return text;
}
