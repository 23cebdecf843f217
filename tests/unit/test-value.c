/* Unit tests for runtime/vm/value.c and bytecode.c tables. */
#include <criterion/criterion.h>
#include <string.h>

#include "arena.h"
#include "bytecode.h"
#include "err.h"
#include "value.h"

Test(value, truth_table)
{
    struct spu_value n = spu_v_null(), f = spu_v_bool(false), z = spu_v_int(0);
    struct spu_value e = spu_v_str("", 0), s = spu_v_str("x", 1), one = spu_v_int(1);
    cr_assert(!spu_value_truth(&n));
    cr_assert(!spu_value_truth(&f));
    cr_assert(!spu_value_truth(&z));
    cr_assert(spu_value_truth(&e)); /* a present empty string is true */
    cr_assert(spu_value_truth(&s));
    cr_assert(spu_value_truth(&one));
}

Test(value, equality)
{
    struct spu_value a = spu_v_str("abc", 3), b = spu_v_str("abc", 3), c = spu_v_str("abd", 3);
    struct spu_value n = spu_v_null();
    cr_assert(spu_value_eq(&a, &b));
    cr_assert(!spu_value_eq(&a, &c));
    cr_assert(!spu_value_eq(&a, &n));
    cr_assert(spu_value_eq(&n, &n));
    struct spu_value t = spu_v_bool(true), one = spu_v_int(1);
    cr_assert(spu_value_eq(&t, &one));
}

Test(value, arrays_grow_and_copy_deep)
{
    struct spu_arena *a = spu_arena_new(0, 0);
    struct spu_value slot = spu_v_null();
    char buf[8] = "hello";
    for (int i = 0; i < 10; i++)
        cr_assert_eq(spu_array_push(a, &slot, spu_v_str(buf, 5)), SPU_OK);
    cr_assert_eq(slot.type, SPU_T_ARR);
    cr_assert_eq(slot.u.arr->n, 10);
    struct spu_value copy;
    cr_assert_eq(spu_value_copy(a, &slot, &copy), SPU_OK);
    buf[0] = 'J'; /* the copy no longer points at buf */
    cr_assert_eq(memcmp(copy.u.arr->v[9].u.s, "hello", 5), 0);
    spu_arena_free(a);
}

Test(value, map_lookup_is_case_insensitive)
{
    struct spu_layout hdr = {"header", 0, 2, 0, 1};
    struct spu_arena *a = spu_arena_new(0, 0);
    struct spu_value arr = spu_v_null();
    struct spu_record *r1 = spu_record_new(a, &hdr);
    r1->slot[0] = spu_v_str("Content-Length", 14);
    r1->slot[1] = spu_v_str("42", 2);
    struct spu_record *r2 = spu_record_new(a, &hdr);
    r2->slot[0] = spu_v_str("Host", 4);
    r2->slot[1] = spu_v_str("example.com", 11);
    spu_array_push(a, &arr, spu_v_rec(r1));
    spu_array_push(a, &arr, spu_v_rec(r2));
    struct spu_value v = spu_map_get(arr.u.arr, (const uint8_t *)"content-length", 14);
    cr_assert_eq(v.type, SPU_T_STR);
    cr_assert_eq(v.len, 2);
    v = spu_map_get(arr.u.arr, (const uint8_t *)"cookie", 6);
    cr_assert_eq(v.type, SPU_T_NULL);
    spu_arena_free(a);
}

Test(value, ip_parse_and_format)
{
    uint8_t ip[16];
    uint16_t fam;
    uint32_t pfx;
    char buf[64];
    cr_assert_eq(spu_ip_parse("10.0.0.0/8", 10, ip, &fam, &pfx), SPU_OK);
    cr_assert_eq(fam, 4);
    cr_assert_eq(pfx, 8);
    cr_assert_eq(spu_ip_format(ip, fam, buf, sizeof(buf)), SPU_OK);
    cr_assert_str_eq(buf, "10.0.0.0");
    cr_assert_eq(spu_ip_parse("2001:db8::1", 11, ip, &fam, &pfx), SPU_OK);
    cr_assert_eq(fam, 6);
    cr_assert_eq(pfx, 128);
    cr_assert_eq(spu_ip_parse("300.1.1.1", 9, ip, &fam, &pfx), SPU_EFORMAT);
    cr_assert_eq(spu_ip_parse("1.2.3.4/33", 10, ip, &fam, &pfx), SPU_EFORMAT);
}

Test(bytecode, opcode_table_is_complete)
{
    for (unsigned i = 0; i < SPU_OP__COUNT; i++) {
        cr_assert_not_null(spu_opinfo[i].name, "opcode %u has no entry", i);
        cr_assert_lt(spu_opinfo[i].fmt, SPU_FMT__COUNT);
        cr_assert(spu_opinfo[i].where >= 1 && spu_opinfo[i].where <= 3);
    }
    struct spu_insn call = {.op = SPU_OP_CALL, .a = 3};
    cr_assert_eq(spu_insn_pops(&call), 3);
    struct spu_insn tok = {.op = SPU_OP_G_TOKEN, .a = SPU_GF_CAPTURE};
    cr_assert_eq(spu_insn_pushes(&tok), 1);
    cr_assert(spu_op_suspends(SPU_OP_G_TOKEN));
    cr_assert(!spu_op_suspends(SPU_OP_ADD));
}

Test(err, messages)
{
    struct spu_error e;
    char buf[300];
    spu_error_at(&e, SPU_EFORMAT, "code", 128, "bad jump %d", 7);
    cr_assert_str_eq(spu_error_str(&e, buf, sizeof(buf)), "code: offset 128: bad jump 7");
    cr_assert_str_eq(spu_strerror(SPU_ENOMEM), "out of memory");
}
