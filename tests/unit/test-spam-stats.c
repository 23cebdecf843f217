/* Unit tests for runtime/spam-stats.c: the spu.state and spu.report
 * objects of stats records keep their keys, order and values (the table
 * that builds them replaced one statement per counter). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "report.h"
#include "spam-stats.h"
#include "state.h"

static char *dump(json_t *o)
{
    char *s = json_dumps(o, JSON_PRESERVE_ORDER | JSON_COMPACT);
    cr_assert_not_null(s);
    return s;
}

Test(spam_stats, state_object_in_order)
{
    struct spu_error err = {0};
    struct state_cfg cfg = {NULL, 0};
    struct state_store *s = state_store_new(&cfg, &err);
    cr_assert_not_null(s);
    /* two list entries, one lookup: 2 entries, 3 ops */
    struct state_req r = {STATE_LIST_ADD, "bl", 2, "192.0.2.1", 9, 0, 0, 0, 0, 1000};
    int64_t v = 0;
    cr_assert_eq(state_store_op(s, &r, &v), SPU_OK);
    r.key = "192.0.2.2";
    cr_assert_eq(state_store_op(s, &r, &v), SPU_OK);
    r.kind = STATE_LIST_HAS;
    cr_assert_eq(state_store_op(s, &r, &v), SPU_OK);
    cr_assert_eq(v, 1);
    json_t *spu = json_object();
    spam_stats_add(spu, s, NULL);
    char *got = dump(spu);
    cr_assert_str_eq(got, "{\"state\":{\"backend\":\"memory\",\"entries\":2,\"evicted\":0,"
                          "\"expired\":0,\"ops\":3,\"errors\":0,\"reconnects\":0,"
                          "\"list_updates\":0,\"fallbacks\":0,\"resyncs\":0,\"restored\":0}}");
    free(got);
    json_decref(spu);
    state_store_free(s);
}

Test(spam_stats, nothing_without_store_or_publisher)
{
    json_t *spu = json_object();
    spam_stats_add(spu, NULL, NULL);
    spam_stats_eve_redis(spu, NULL);
    cr_assert_eq(json_object_size(spu), 0);
    json_decref(spu);
}

Test(spam_stats, report_object_in_order)
{
    struct spu_error err = {0};
    /* nothing listens on port 1: the counts stay in the table */
    struct report *r = report_new("redis://127.0.0.1:1/s", "t", 500, &err);
    cr_assert_not_null(r, "%s", err.msg);
    static const uint8_t ip[16] = {[10] = 0xff, [11] = 0xff, 192, 0, 2, 1};
    cr_assert(report_add(r, ip, 4, 1000) >= 0);
    cr_assert(report_add(r, ip, 4, 1001) >= 0);
    json_t *spu = json_object();
    spam_stats_add(spu, NULL, r);
    char *got = dump(spu);
    json_t *o = json_object_get(spu, "report");
    const char *keys[] = {"counted", "records", "dropped", "errors", "reconnects", "flushes"};
    size_t i = 0;
    const char *k;
    json_t *val;
    json_object_foreach(o, k, val)
    {
        cr_assert(i < 6, "%s", got);
        cr_assert_str_eq(k, keys[i], "%s", got);
        i++;
    }
    cr_assert_eq(i, 6, "%s", got);
    cr_assert_eq(json_integer_value(json_object_get(o, "counted")), 2, "%s", got);
    free(got);
    json_decref(spu);
    report_free(r);
}
