/* Unit tests for runtime/spsc.c: order, capacity, batches, two threads. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdint.h>

#include "spsc.h"

Test(spsc, capacity_rounds_up_to_a_power_of_two)
{
    struct spsc *q = spsc_new(5);
    cr_assert_eq(spsc_capacity(q), 8);
    spsc_free(q);
    cr_assert_null(spsc_new(0));
    spsc_free(NULL);
}

Test(spsc, fifo_order_and_partial_pushes_when_full)
{
    struct spsc *q = spsc_new(4);
    void *in[6] = {(void *)1, (void *)2, (void *)3, (void *)4, (void *)5, (void *)6};
    cr_assert_eq(spsc_push(q, in, 6), 4); /* only four fit */
    cr_assert_eq(spsc_count(q), 4);
    cr_assert_eq(spsc_push(q, in + 4, 2), 0);
    void *out[8];
    cr_assert_eq(spsc_pop(q, out, 3), 3);
    cr_assert_eq(out[0], (void *)1);
    cr_assert_eq(out[2], (void *)3);
    cr_assert_eq(spsc_push(q, in + 4, 2), 2); /* wraps around */
    cr_assert_eq(spsc_pop(q, out, 8), 3);
    cr_assert_eq(out[0], (void *)4);
    cr_assert_eq(out[1], (void *)5);
    cr_assert_eq(out[2], (void *)6);
    cr_assert_eq(spsc_pop(q, out, 8), 0);
    spsc_free(q);
}

#define N_ITEMS 200000u

static void *producer(void *arg)
{
    struct spsc *q = arg;
    uintptr_t next = 1;
    while (next <= N_ITEMS) {
        void *batch[16];
        size_t n = 0;
        for (; n < 16 && next + n <= N_ITEMS; n++)
            batch[n] = (void *)(next + n);
        size_t done = 0;
        while (done < n)
            done += spsc_push(q, batch + done, n - done);
        next += n;
    }
    return NULL;
}

Test(spsc, two_threads_see_every_item_once_in_order)
{
    struct spsc *q = spsc_new(64);
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, producer, q), 0);
    uintptr_t expect = 1, bad = 0;
    while (expect <= N_ITEMS) {
        void *out[32];
        size_t n = spsc_pop(q, out, 32);
        for (size_t i = 0; i < n; i++)
            bad += (uintptr_t)out[i] != expect++;
    }
    pthread_join(t, NULL);
    cr_assert_eq(bad, 0);
    cr_assert_eq(spsc_count(q), 0);
    spsc_free(q);
}

/* Blocking waits: a sleeper with a 10 s timeout is woken by the other side
 * as soon as its condition holds, and not before. */
#include <time.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {0, ms * 1000000};
    nanosleep(&ts, NULL);
}

static void *push_later(void *arg)
{
    struct spsc *q = arg;
    void *one = (void *)1;
    sleep_ms(100);
    spsc_push(q, &one, 1); /* 1 of the 3 waited for: no wake */
    sleep_ms(200);
    void *two[2] = {(void *)2, (void *)3};
    spsc_push(q, two, 2); /* now 3: wake */
    return NULL;
}

Test(spsc, a_sleeping_consumer_wakes_when_enough_items_are_pushed)
{
    struct spsc *q = spsc_new(16);
    pthread_t t;
    int64_t t0 = now_ns();
    pthread_create(&t, NULL, push_later, q);
    while (spsc_count(q) < 3)
        spsc_wait_items(q, 3, 10000000000L);
    int64_t waited = now_ns() - t0;
    pthread_join(t, NULL);
    cr_assert_geq(waited, 250000000, "woke before the third item (%lld ns)", (long long)waited);
    cr_assert_lt(waited, 5000000000LL, "slept into the timeout (%lld ns)", (long long)waited);
    spsc_free(q);
}

static void *pop_later(void *arg)
{
    struct spsc *q = arg;
    void *out[8];
    sleep_ms(100);
    spsc_pop(q, out, 1); /* 1 free of the 4 waited for */
    sleep_ms(200);
    spsc_pop(q, out, 3); /* 4 free: wake */
    return NULL;
}

Test(spsc, a_sleeping_producer_wakes_when_enough_room_is_freed)
{
    struct spsc *q = spsc_new(8);
    void *in[8] = {(void *)1, (void *)2, (void *)3, (void *)4,
                   (void *)5, (void *)6, (void *)7, (void *)8};
    cr_assert_eq(spsc_push(q, in, 8), 8);
    pthread_t t;
    int64_t t0 = now_ns();
    pthread_create(&t, NULL, pop_later, q);
    while (spsc_capacity(q) - spsc_count(q) < 4)
        spsc_wait_space(q, 4, 10000000000L);
    int64_t waited = now_ns() - t0;
    pthread_join(t, NULL);
    cr_assert_geq(waited, 250000000, "woke before room for 4 (%lld ns)", (long long)waited);
    cr_assert_lt(waited, 5000000000LL, "slept into the timeout (%lld ns)", (long long)waited);
    spsc_free(q);
}
