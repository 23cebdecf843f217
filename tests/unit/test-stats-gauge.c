/*
 * test-stats-gauge.c - stats_gauge_take: a memory gauge shared by threads
 * is reserved against its cap, and a reader never sees it above the cap
 * (spuctl memory and the stats records read it while workers reserve).
 */
#include "stats.h"

#include <criterion/criterion.h>
#include <pthread.h>

Test(stats_gauge, take_up_to_the_cap)
{
    _Atomic int64_t g = 0;
    cr_assert(stats_gauge_take(&g, 600, 1000));
    cr_assert(stats_gauge_take(&g, 400, 1000), "exactly the cap fits");
    cr_assert_not(stats_gauge_take(&g, 1, 1000));
    cr_assert_eq(atomic_load(&g), 1000, "a refused reservation adds nothing");
    atomic_fetch_sub(&g, 1000);
    cr_assert_not(stats_gauge_take(&g, 1001, 1000));
    cr_assert_eq(atomic_load(&g), 0);
    cr_assert(stats_gauge_take(&g, 5, UINT64_MAX), "a cap above INT64_MAX is no limit");
}

/* Two threads try reservations that do not fit while a third reads: with
 * a reserve that added first and took back when over, the reader saw the
 * gauge past the cap (a snapshot of reassembly 4195200 of 4194304 under
 * load). */
struct race {
    _Atomic int64_t g;
    _Atomic int stop;
    int64_t max_seen;
};

static void *reserver(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 300000; i++)
        if (stats_gauge_take(&r->g, 300, 1000))
            atomic_fetch_sub(&r->g, 300);
    return NULL;
}

static void *reader(void *arg)
{
    struct race *r = arg;
    while (!atomic_load(&r->stop)) {
        int64_t v = atomic_load(&r->g);
        if (v > r->max_seen)
            r->max_seen = v;
    }
    return NULL;
}

Test(stats_gauge, a_reader_never_sees_more_than_the_cap)
{
    struct race r = {.g = 800, .stop = 0, .max_seen = 0};
    pthread_t a, b, c;
    pthread_create(&c, NULL, reader, &r);
    pthread_create(&a, NULL, reserver, &r);
    pthread_create(&b, NULL, reserver, &r);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    atomic_store(&r.stop, 1);
    pthread_join(c, NULL);
    cr_assert_leq(r.max_seen, 1000, "the gauge read %lld with a cap of 1000",
                  (long long)r.max_seen);
    cr_assert_eq(atomic_load(&r.g), 800, "nothing added");
}
