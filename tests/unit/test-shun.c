/* Unit tests for runtime/shun.c and runtime/shun-cmd.c: shuns added,
 * listed, removed (by the control command) and expiring. */
#include "err.h"
#include "shun-cmd.h"
#include "shun.h"

#include <criterion/criterion.h>
#include <string.h>

static const uint8_t A[16] = {[10] = 0xff, [11] = 0xff, 10, 0, 0, 1};
static const uint8_t B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static void count(void *ctx, const uint8_t ip[16], int64_t until_ms)
{
    (void)ip;
    (void)until_ms;
    (*(int *)ctx)++;
}

Test(shun, remove_ends_a_shun_and_keeps_the_others)
{
    struct shun_table *t = shun_new(16);
    cr_assert_eq(shun_add(t, A, 1000, 5000), SPU_OK);
    cr_assert_eq(shun_add(t, B, 1000, 9000), SPU_OK);
    int n = 0;
    cr_assert_eq(shun_foreach(t, 1000, count, &n), 2);
    cr_assert_eq(n, 2);
    cr_assert_eq(shun_remove(t, A, 2000), SPU_OK);
    cr_assert(!shun_check(t, A, 2000));
    cr_assert(shun_check(t, B, 2000));
    cr_assert_eq(shun_remove(t, A, 2000), SPU_ENOTFOUND, "already removed");
    n = 0;
    cr_assert_eq(shun_foreach(t, 2000, count, &n), 1);
    cr_assert_eq(shun_foreach(t, 9000, count, &n), 0, "B expired at 9000");
    cr_assert_eq(shun_remove(t, B, 9000), SPU_ENOTFOUND, "an expired shun is not removed");
    /* a removed address can be shunned again */
    cr_assert_eq(shun_add(t, A, 3000, 4000), SPU_OK);
    cr_assert(shun_check(t, A, 3500));
    struct shun_counts c;
    shun_counts(t, &c);
    cr_assert_eq(c.removed, 1);
    cr_assert_eq(c.added, 3);
    shun_free(t);
}

Test(shun, cmd_add_list_remove)
{
    struct shun_table *t = shun_new(16);
    struct spu_error err = {0};
    json_t *r = NULL;
    cr_assert_eq(shun_cmd(t, "add", "10.0.0.1", 60, 1000, &r, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(r, "until_ms")), 61000);
    json_decref(r);
    cr_assert(shun_check(t, A, 60999));
    cr_assert_eq(shun_cmd(t, "add", "2001:db8::2", 10, 1000, &r, &err), SPU_OK);
    json_decref(r);
    cr_assert_eq(shun_cmd(t, "list", NULL, 0, 2000, &r, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(r, "count")), 2);
    json_t *l = json_object_get(r, "shuns");
    const char *a0 = json_string_value(json_object_get(json_array_get(l, 0), "addr"));
    const char *a1 = json_string_value(json_object_get(json_array_get(l, 1), "addr"));
    cr_assert((!strcmp(a0, "10.0.0.1") && !strcmp(a1, "2001:db8::2")) ||
              (!strcmp(a1, "10.0.0.1") && !strcmp(a0, "2001:db8::2")), "%s %s", a0, a1);
    json_decref(r);
    cr_assert_eq(shun_cmd(t, "remove", "10.0.0.1", 0, 2000, &r, &err), SPU_OK);
    cr_assert(json_is_true(json_object_get(r, "removed")));
    json_decref(r);
    cr_assert(!shun_check(t, A, 2000));
    cr_assert_eq(shun_cmd(t, "remove", "10.0.0.1", 0, 2000, &r, &err), SPU_ENOTFOUND);
    cr_assert(strstr(err.msg, "not shunned"));
    shun_free(t);
}

Test(shun, cmd_refuses_bad_arguments)
{
    struct shun_table *t = shun_new(16);
    struct spu_error err = {0};
    json_t *r = NULL;
    cr_assert_eq(shun_cmd(t, "add", "10.0.0.300", 60, 0, &r, &err), SPU_EINVAL);
    cr_assert(strstr(err.msg, "not an IPv4 or IPv6 address"));
    cr_assert_eq(shun_cmd(t, "add", "10.0.0.1", 0, 0, &r, &err), SPU_EINVAL, "no duration");
    cr_assert_eq(shun_cmd(t, "remove", NULL, 0, 0, &r, &err), SPU_EINVAL);
    cr_assert_eq(shun_cmd(t, "flush", "10.0.0.1", 0, 0, &r, &err), SPU_EINVAL);
    cr_assert_eq(shun_cmd(t, "list", NULL, 0, 0, &r, &err), SPU_OK);
    cr_assert_eq(json_integer_value(json_object_get(r, "count")), 0);
    json_decref(r);
    shun_free(t);
}
