/* Unit tests for stdlib/listfns.c: FindInList and FindInRegExList over the
 * lists of a call context. */
#include "stdlib-test.h"

#include "lists.h"

static struct spu_call c;
static struct spu_lists *lists;

enum { L_EXT, L_NETS, L_UA, L_EMPTY, L_COUNT };

static struct spu_value list(unsigned idx)
{
    struct spu_value v = {.type = SPU_T_LIST};
    v.u.idx = idx;
    return v;
}

static void setup(void)
{
    c = call_ctx(0);
    struct spu_error err;
    lists = spu_lists_new(L_COUNT, &err);
    struct spu_listset *ext = spu_listset_new(SPU_LIST_STR, SPU_LISTF_NOCASE, &err);
    static const char *const exts[] = {"exe", "pl", "cgi", "sh"};
    for (int i = 0; i < 4; i++)
        spu_listset_add_str(ext, exts[i], strlen(exts[i]));
    spu_listset_seal(ext, &err);
    spu_lists_install(lists, L_EXT, ext);
    struct spu_listset *nets = spu_listset_new(SPU_LIST_IP, 0, &err);
    spu_listset_add_text(nets, "10.0.0.0/8", 10, &err);
    spu_listset_seal(nets, &err);
    spu_lists_install(lists, L_NETS, nets);
    struct spu_listset *ua = spu_listset_new(SPU_LIST_REGEX, 0, &err);
    spu_listset_add_text(ua, "/sqlmap/i", 9, &err);
    spu_listset_add_text(ua, "^Nikto", 6, &err);
    spu_listset_seal(ua, &err);
    spu_lists_install(lists, L_UA, ua);
    c.lists = lists;
}

static void teardown(void)
{
    spu_lists_free(lists);
    spu_arena_free(c.scratch);
}

TestSuite(listfns, .init = setup, .fini = teardown);

Test(listfns, find_in_list)
{
    assert_bool(CALL(&c, FindInList, S("EXE"), list(L_EXT)), true);
    assert_bool(CALL(&c, FindInList, S("php"), list(L_EXT)), false);
    assert_bool(CALL(&c, FindInList, spu_v_null(), list(L_EXT)), false);
    assert_bool(CALL(&c, FindInList, T_IP(c.scratch, "10.2.3.4"), list(L_NETS)), true);
    assert_bool(CALL(&c, FindInList, S("10.2.3.4"), list(L_NETS)), true);
    assert_bool(CALL(&c, FindInList, T_IP(c.scratch, "192.0.2.1"), list(L_NETS)), false);
    assert_bool(CALL(&c, FindInList, S("x sqlmap"), list(L_UA)), true);
    assert_bool(CALL(&c, FindInList, S("anything"), list(L_EMPTY)), false);
    /* an array is in the list when one element is */
    struct spu_value arr = spu_v_null();
    spu_array_push(c.scratch, &arr, S("php"));
    assert_bool(CALL(&c, FindInList, arr, list(L_EXT)), false);
    spu_array_push(c.scratch, &arr, S("Sh"));
    assert_bool(CALL(&c, FindInList, arr, list(L_EXT)), true);
}

Test(listfns, find_in_regex_list)
{
    assert_bool(CALL(&c, FindInRegExList, S("Mozilla SQLMap"), list(L_UA)), true);
    assert_bool(CALL(&c, FindInRegExList, S("Nikto/2"), list(L_UA)), true);
    assert_bool(CALL(&c, FindInRegExList, S("nikto/2"), list(L_UA)), false);
    assert_bool(CALL(&c, FindInRegExList, spu_v_null(), list(L_UA)), false);
    assert_bool(CALL(&c, FindInRegExList, S("x"), list(L_EMPTY)), false);
}

Test(listfns, misuse_faults)
{
    struct spu_value r;
    struct spu_value a1[2] = {S("x"), S("not a list")};
    cr_assert_eq(bi_call(&c, SPU_BI_FindInList, 2, a1, &r), SPU_EFAULT);
    cr_assert_not_null(c.fault);
    struct spu_value a2[2] = {S("x"), list(L_COUNT)};
    cr_assert_eq(bi_call(&c, SPU_BI_FindInList, 2, a2, &r), SPU_EFAULT);
    struct spu_value a3[2] = {S("exe"), list(L_EXT)};
    cr_assert_eq(bi_call(&c, SPU_BI_FindInRegExList, 2, a3, &r), SPU_EFAULT);
    struct spu_value a4[2] = {spu_v_int(3), list(L_UA)};
    cr_assert_eq(bi_call(&c, SPU_BI_FindInRegExList, 2, a4, &r), SPU_EFAULT);
    c.lists = NULL;
    struct spu_value a5[2] = {S("x"), list(L_EXT)};
    cr_assert_eq(bi_call(&c, SPU_BI_FindInList, 2, a5, &r), SPU_EFAULT);
}

Test(listfns, reload_is_seen_by_the_next_call)
{
    assert_bool(CALL(&c, FindInList, S("php"), list(L_EXT)), false);
    struct spu_error err;
    struct spu_listset *ext = spu_listset_new(SPU_LIST_STR, 0, &err);
    spu_listset_add_str(ext, "php", 3);
    spu_listset_seal(ext, &err);
    struct spu_listset *old = spu_lists_swap(lists, L_EXT, ext, NULL);
    assert_bool(CALL(&c, FindInList, S("php"), list(L_EXT)), true);
    assert_bool(CALL(&c, FindInList, S("exe"), list(L_EXT)), false);
    spu_listset_free(old);
}
