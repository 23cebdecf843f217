/*
 * builtin-table.c - names and signatures of built-ins and stdlib records
 * (expanded from the .def tables), the signature parser shared by spuc and
 * the VM, and the fingerprint of the tables stored in bundles.
 */
#include "builtin-api.h"

#include "err.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define PURE SPU_BIF_PURE
#define ACTION SPU_BIF_ACTION
#define GRAMMAR SPU_BIF_GRAMMAR
#define RULE SPU_BIF_RULE
#define VARIADIC SPU_BIF_VARIADIC

const struct spu_builtin_info spu_builtins[SPU_BI__COUNT] = {
#define BUILTIN(name, sym, ret, flags, params) [SPU_BI_##name] = {#name, #ret, flags, params},
#include "builtins.def"
#undef BUILTIN
};

#undef PURE
#undef ACTION
#undef GRAMMAR
#undef RULE
#undef VARIADIC

const struct spu_std_record spu_std_records[SPU_REC__COUNT] = {
#define RECORD(name, nfields, key, value, fields)                              \
    [SPU_REC_##name] = {fields, {#name, SPU_LAYOUT_STD | SPU_REC_##name, nfields, key, value}},
#include "records.def"
#undef RECORD
};

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    return p;
}

/* Copy a token of [A-Za-z0-9_\[\]] into dst (size n); returns the end. */
static const char *word(const char *p, char *dst, size_t n, int allow_brackets)
{
    size_t k = 0;
    while (isalnum((unsigned char)*p) || *p == '_' ||
           (allow_brackets && (*p == '[' || *p == ']'))) {
        if (k + 1 >= n)
            return NULL;
        dst[k++] = *p++;
    }
    dst[k] = '\0';
    return k ? p : NULL;
}

int spu_sig_parse(const char *text, struct spu_sig_param *out, unsigned max)
{
    const char *p = skip_ws(text);
    unsigned n = 0;
    if (!*p)
        return 0;
    for (;;) {
        if (n >= max)
            return SPU_ELIMIT;
        struct spu_sig_param *sp = &out[n];
        memset(sp, 0, sizeof(*sp));
        p = word(p, sp->name, sizeof(sp->name), 0);
        if (!p)
            return SPU_EFORMAT;
        p = skip_ws(p);
        if (*p++ != ':')
            return SPU_EFORMAT;
        p = word(skip_ws(p), sp->type, sizeof(sp->type), 1);
        if (!p)
            return SPU_EFORMAT;
        p = skip_ws(p);
        if (*p == '=') {
            p = skip_ws(p + 1);
            size_t k = 0;
            if (*p == '"') {
                sp->def[k++] = *p++;
                while (*p && *p != '"') {
                    if (k + 2 >= sizeof(sp->def))
                        return SPU_EFORMAT;
                    sp->def[k++] = *p++;
                }
                if (*p != '"')
                    return SPU_EFORMAT;
                sp->def[k++] = *p++;
            } else {
                while (*p && *p != ',' && *p != ' ') {
                    if (k + 1 >= sizeof(sp->def))
                        return SPU_EFORMAT;
                    sp->def[k++] = *p++;
                }
            }
            if (k == 0)
                return SPU_EFORMAT;
            sp->def[k] = '\0';
            sp->has_default = 1;
            p = skip_ws(p);
        }
        n++;
        if (*p == '\0')
            return (int)n;
        if (*p++ != ',')
            return SPU_EFORMAT;
        p = skip_ws(p);
    }
}

unsigned spu_builtin_arity(unsigned id)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    if (id >= SPU_BI__COUNT)
        return 0;
    int n = spu_sig_parse(spu_builtins[id].params, p, SPU_MAX_SIG_PARAMS);
    return n < 0 ? 0 : (unsigned)n;
}

static void hash_str(EVP_MD_CTX *md, const char *s)
{
    EVP_DigestUpdate(md, s, strlen(s) + 1); /* with the NUL as separator */
}

void spu_stdlib_fingerprint(uint8_t out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    char num[32];
    memset(out, 0, 32);
    if (!md)
        return;
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    hash_str(md, "builtins");
    for (unsigned i = 0; i < SPU_BI__COUNT; i++) {
        hash_str(md, spu_builtins[i].name);
        hash_str(md, spu_builtins[i].ret);
        snprintf(num, sizeof(num), "%u", spu_builtins[i].flags);
        hash_str(md, num);
        hash_str(md, spu_builtins[i].params);
    }
    hash_str(md, "filters");
#define FILTER(name, prefix, doc) hash_str(md, #name);
#include "filters.def"
#undef FILTER
    hash_str(md, "records");
    for (unsigned i = 0; i < SPU_REC__COUNT; i++) {
        hash_str(md, spu_std_records[i].layout.name);
        hash_str(md, spu_std_records[i].fields);
    }
    hash_str(md, "events");
#define RT_EVENT(id, name, fields)                                             \
    hash_str(md, name);                                                        \
    hash_str(md, fields);
#define FLOWKEY(id, name, type)                                                \
    hash_str(md, name);                                                        \
    hash_str(md, #type);
#include "events.def"
#undef RT_EVENT
#undef FLOWKEY
    unsigned len = 32;
    EVP_DigestFinal_ex(md, out, &len);
    EVP_MD_CTX_free(md);
}
