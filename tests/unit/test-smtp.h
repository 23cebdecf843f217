/*
 * test-smtp.h - fixtures shared by the SMTP grammar's test files (header
 * only, static functions): grammars/email.spg and grammars/smtp.spg
 * compiled from the repository root (where the tests run) into one
 * bundle, and the smtp protocol's index in it.
 */
#ifndef SPU_TEST_SMTP_H
#define SPU_TEST_SMTP_H

#include "test-gvm.h"

#include "helper-compile.h"
#include "helper-file.h"

/* The shipped mail grammars, as one text for hc_compile (free it). */
static inline char *smtp_grammars(void)
{
    char *email = hf_read("grammars/email.spg", NULL);
    char *smtp = hf_read("grammars/smtp.spg", NULL);
    size_t n = strlen(email) + strlen(smtp) + 8;
    char *both = malloc(n);
    cr_assert_not_null(both);
    snprintf(both, n, "%s\n%%%%\n%s", email, smtp);
    free(email);
    free(smtp);
    return both;
}

/* The shipped mail grammars compiled and loaded. */
static inline struct spu_bundle *smtp_bundle(void)
{
    char *both = smtp_grammars();
    struct spu_bundle *b = hc_bundle(both, NULL);
    free(both);
    cr_assert_not_null(b, "grammars/smtp.spg does not compile");
    return b;
}

/* Index of protocol `name` in the bundle. */
static inline uint32_t smtp_proto(const struct spu_bundle *b, const char *name)
{
    uint32_t n = 0;
    const struct spu_bproto *p = spu_bundle_protos(b, &n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t len = 0;
        const char *s = spu_bundle_str(b, p[i].name, &len);
        if (s && strlen(name) == len && memcmp(s, name, len) == 0)
            return i;
    }
    cr_assert_fail("no protocol %s", name);
    return 0;
}

#endif
