/* Unit tests for runtime/state*.c (memory backend): token buckets, sliding
 * windows, lists with expiry, scores, LRU eviction, and concurrent workers
 * sharing one store. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "state.h"

static struct state_store *mem(size_t max)
{
    struct spu_error err = {0};
    struct state_cfg cfg = {NULL, max};
    struct state_store *s = state_store_new(&cfg, &err);
    cr_assert_not_null(s);
    return s;
}

static int64_t op(struct state_store *s, enum state_kind k, const char *name, const char *key,
                  int64_t a, int64_t b, int64_t c, int64_t n, int64_t now)
{
    struct state_req r = {k, name, name ? strlen(name) : 0, key, strlen(key), a, b, c, n, now};
    int64_t v = -1;
    cr_assert_eq(state_store_op(s, &r, &v), SPU_OK);
    return v;
}

static int64_t bucket(struct state_store *s, const char *key, int64_t n, int64_t now)
{
    /* 10 per second, burst 20 */
    return op(s, STATE_BUCKET, NULL, key, 10, 20, 1000, n, now);
}

Test(state, bucket_allows_the_burst_then_the_rate)
{
    struct state_store *s = mem(0);
    int64_t t = 1000000;
    for (int i = 0; i < 20; i++)
        cr_assert_eq(bucket(s, "192.0.2.1", 1, t), 0, "within the burst at %d", i);
    cr_assert_eq(bucket(s, "192.0.2.1", 1, t), 1);    /* 21st at once: over */
    cr_assert_eq(bucket(s, "198.51.100.1", 1, t), 0); /* other keys have their own */
    /* 100 ms later one token came back */
    cr_assert_eq(bucket(s, "192.0.2.1", 1, t + 100), 0);
    cr_assert_eq(bucket(s, "192.0.2.1", 1, t + 100), 1);
    /* a steady 10/s for 10 s stays within; 25/s does not */
    int over = 0;
    for (int i = 1; i <= 100; i++)
        over += (int)bucket(s, "steady", 1, t + i * 100);
    cr_assert_eq(over, 0);
    for (int i = 1; i <= 250; i++)
        over += (int)bucket(s, "fast", 1, t + i * 40);
    cr_assert_gt(over, 100);
    cr_assert_lt(over, 150); /* 250 asked, 20 burst + ~100 refilled */
    state_store_free(s);
}

Test(state, bucket_cost_counts_several_events)
{
    struct state_store *s = mem(0);
    cr_assert_eq(bucket(s, "k", 15, 5000), 0);
    cr_assert_eq(bucket(s, "k", 6, 5000), 1); /* 5 left */
    cr_assert_eq(bucket(s, "k", 5, 5000), 0);
    struct state_req bad = {STATE_BUCKET, NULL, 0, "k", 1, 0, 20, 1000, 1, 5000};
    int64_t v;
    cr_assert_eq(state_store_op(s, &bad, &v), SPU_EINVAL); /* rate 0 */
    state_store_free(s);
}

Test(state, sliding_window_weights_the_previous_window)
{
    struct state_store *s = mem(0);
    int64_t w = 1000, t0 = 10000;
    for (int i = 0; i < 10; i++)
        op(s, STATE_COUNT, NULL, "a", w, 0, 0, 1, t0 + i * 10);
    cr_assert_eq(op(s, STATE_COUNT, NULL, "a", w, 0, 0, 0, t0 + 500), 10);
    /* half-way into the next window: half of the previous one counts */
    cr_assert_eq(op(s, STATE_COUNT, NULL, "a", w, 0, 0, 2, t0 + 1500), 2 + 5);
    /* two windows later nothing is left */
    cr_assert_eq(op(s, STATE_COUNT, NULL, "a", w, 0, 0, 1, t0 + 3200), 1);
    state_store_free(s);
}

Test(state, lists_expire_per_entry)
{
    struct state_store *s = mem(0);
    cr_assert_eq(op(s, STATE_LIST_ADD, "blacklist", "192.0.2.9", 1000, 0, 0, 0, 100), 1);
    cr_assert_eq(op(s, STATE_LIST_ADD, "blacklist", "192.0.2.9", 5000, 0, 0, 0, 200), 0);
    cr_assert_eq(op(s, STATE_LIST_ADD, "blacklist", "192.0.2.10", 1000, 0, 0, 0, 200), 1);
    cr_assert_eq(op(s, STATE_LIST_HAS, "blacklist", "192.0.2.9", 0, 0, 0, 0, 3000), 1);
    cr_assert_eq(op(s, STATE_LIST_HAS, "whitelist", "192.0.2.9", 0, 0, 0, 0, 3000), 0);
    cr_assert_eq(op(s, STATE_LIST_HAS, "blacklist", "192.0.2.10", 0, 0, 0, 0, 3000), 0);
    cr_assert_eq(op(s, STATE_LIST_HAS, "blacklist", "192.0.2.9", 0, 0, 0, 0, 5200), 0);
    cr_assert_eq(op(s, STATE_LIST_ADD, "l", "x", 0, 0, 0, 0, 0), 1);
    cr_assert_eq(op(s, STATE_LIST_DEL, "l", "x", 0, 0, 0, 0, 1), 1);
    cr_assert_eq(op(s, STATE_LIST_HAS, "l", "x", 0, 0, 0, 0, 2), 0);
    struct state_stats st;
    state_store_stats(s, &st);
    cr_assert_eq(st.expired, 2);
    state_store_free(s);
}

Test(state, scores_add_up_and_expire)
{
    struct state_store *s = mem(0);
    cr_assert_eq(op(s, STATE_SCORE_ADD, NULL, "192.0.2.1", 1000, 0, 0, 5, 0), 5);
    cr_assert_eq(op(s, STATE_SCORE_ADD, NULL, "192.0.2.1", 1000, 0, 0, 7, 10), 12);
    cr_assert_eq(op(s, STATE_SCORE_GET, NULL, "192.0.2.1", 0, 0, 0, 0, 500), 12);
    cr_assert_eq(op(s, STATE_SCORE_GET, NULL, "192.0.2.1", 0, 0, 0, 0, 2000), 0);
    state_store_free(s);
}

Test(state, memory_is_bounded_by_lru_eviction)
{
    struct state_store *s = mem(64); /* 4 per shard */
    char k[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof(k), "10.0.%d.%d", i / 256, i % 256);
        op(s, STATE_LIST_ADD, "bl", k, 0, 0, 0, 0, i);
    }
    struct state_stats st;
    state_store_stats(s, &st);
    cr_assert_leq(st.entries, 64);
    cr_assert_eq(st.entries + st.evicted, 1000);
    /* the most recent entry is kept */
    cr_assert_eq(op(s, STATE_LIST_HAS, "bl", "10.0.3.231", 0, 0, 0, 0, 1000), 1);
    struct state_req big = {STATE_LIST_ADD, "bl", 2, k, STATE_KEY_MAX, 0, 0, 0, 0, 0};
    int64_t v;
    cr_assert_eq(state_store_op(s, &big, &v), SPU_ELIMIT);
    state_store_free(s);
}

static void *hammer(void *arg)
{
    struct state_store *s = arg;
    for (int i = 0; i < 5000; i++) {
        struct state_req r = {STATE_SCORE_ADD, NULL, 0, "shared", 6, 0, 0, 0, 1, i};
        int64_t v;
        state_store_op(s, &r, &v);
    }
    return NULL;
}

Test(state, workers_share_one_store)
{
    struct state_store *s = mem(0);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, s);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    cr_assert_eq(op(s, STATE_SCORE_GET, NULL, "shared", 0, 0, 0, 0, 5000), 20000);
    state_store_free(s);
}

Test(state, unknown_backend_is_an_error)
{
    struct spu_error err = {0};
    struct state_cfg cfg = {"mongodb://x", 0};
    cr_assert_null(state_store_new(&cfg, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    state_store_free(NULL);
}
