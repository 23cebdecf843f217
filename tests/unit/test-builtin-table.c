/* Unit tests for stdlib/builtin-table.c: the .def tables, signatures and
 * the fingerprint. */
#include <criterion/criterion.h>
#include <string.h>

#include "builtin-api.h"
#include "err.h"

Test(builtin_table, every_signature_parses)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    for (unsigned i = 0; i < SPU_BI__COUNT; i++) {
        int n = spu_sig_parse(spu_builtins[i].params, p, SPU_MAX_SIG_PARAMS);
        cr_assert_geq(n, 0, "builtin %s: bad signature", spu_builtins[i].name);
        cr_assert_eq((unsigned)n, spu_builtin_arity(i));
    }
}

Test(builtin_table, signature_details)
{
    struct spu_sig_param p[4];
    int n = spu_sig_parse("s:string, start:int=0, name:string=\"a b\", l:param[]", p, 4);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(p[0].name, "s");
    cr_assert_str_eq(p[0].type, "string");
    cr_assert(!p[0].has_default);
    cr_assert_str_eq(p[1].def, "0");
    cr_assert_str_eq(p[2].def, "\"a b\"");
    cr_assert_str_eq(p[3].type, "param[]");
    cr_assert_eq(spu_sig_parse("", p, 4), 0);
    cr_assert_eq(spu_sig_parse("a:int,", p, 4), SPU_EFORMAT);
    cr_assert_eq(spu_sig_parse("a int", p, 4), SPU_EFORMAT);
    cr_assert_eq(spu_sig_parse("a:int, b:int", p, 1), SPU_ELIMIT);
}

Test(builtin_table, names_are_unique)
{
    for (unsigned i = 0; i < SPU_BI__COUNT; i++)
        for (unsigned j = i + 1; j < SPU_BI__COUNT; j++)
            cr_assert_str_neq(spu_builtins[i].name, spu_builtins[j].name);
}

Test(builtin_table, std_records_agree_with_their_field_lists)
{
    struct spu_sig_param p[SPU_MAX_SIG_PARAMS];
    for (unsigned i = 0; i < SPU_REC__COUNT; i++) {
        const struct spu_std_record *r = &spu_std_records[i];
        int n = spu_sig_parse(r->fields, p, SPU_MAX_SIG_PARAMS);
        cr_assert_eq(n, (int)r->layout.nfields, "record %s: nfields", r->layout.name);
        cr_assert_eq(r->layout.id, SPU_LAYOUT_STD | i);
        cr_assert_lt(r->layout.map_key, n);
        cr_assert_lt(r->layout.map_value, n);
        cr_assert_eq(r->layout.map_key < 0, r->layout.map_value < 0);
    }
    cr_assert_str_eq(spu_std_records[SPU_REC_param].layout.name, "param");
}

Test(builtin_table, fingerprint_is_stable)
{
    uint8_t a[32], b[32], zero[32] = {0};
    spu_stdlib_fingerprint(a);
    spu_stdlib_fingerprint(b);
    cr_assert_eq(memcmp(a, b, 32), 0);
    cr_assert_neq(memcmp(a, zero, 32), 0);
}
