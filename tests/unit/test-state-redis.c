/* Unit tests for runtime/state-redis.c against a redis-server each test
 * starts on its own port: two stores (two sensors) share buckets, windows
 * and scores; a list entry added by one reaches the other's mirror through
 * the channel; with the server gone requests fall back to local state and
 * are counted; after a restart the stores reconnect and resynchronise. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "state.h"

static pid_t server;
static int port;
static char url[64];

static void nap(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static void start_server(void)
{
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    server = fork();
    cr_assert_geq(server, 0);
    if (server == 0) {
        freopen("/dev/null", "w", stdout);
        execlp("redis-server", "redis-server", "--port", ps, "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", (char *)NULL);
        _exit(127);
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "redis-cli -p %d ping 2>/dev/null | grep -q PONG", port);
    for (int i = 0; i < 50; i++) {
        if (system(cmd) == 0)
            return;
        nap(50);
    }
    cr_assert_fail("redis-server did not start on port %d (is it installed? mk/deps.sh)", port);
}

static void stop_server(void)
{
    if (server > 0) {
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        server = 0;
    }
}

static void setup(void)
{
    port = 20000 + (int)(getpid() % 20000);
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", port);
    start_server();
}

static struct state_store *store(void)
{
    struct spu_error err = {0};
    struct state_cfg cfg = {url, 0};
    struct state_store *s = state_store_new(&cfg, &err);
    cr_assert_not_null(s, "%s", err.msg);
    cr_assert_str_eq(state_store_backend(s), "redis");
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

/* ListHas on s, waiting up to 2 s for the mirror */
static int64_t wait_has(struct state_store *s, const char *list, const char *key, int64_t want,
                        int64_t now)
{
    int64_t v = -1;
    for (int i = 0; i < 40 && v != want; i++) {
        v = op(s, STATE_LIST_HAS, list, key, 0, 0, 0, 0, now);
        if (v != want)
            nap(50);
    }
    return v;
}

TestSuite(state_redis, .init = setup, .fini = stop_server, .timeout = 30);

Test(state_redis, two_stores_share_buckets_windows_and_scores)
{
    struct state_store *a = store(), *b = store();
    int64_t t = 1765000000000;
    cr_assert_eq(op(a, STATE_BUCKET, NULL, "192.0.2.1", 10, 20, 1000, 15, t), 0);
    cr_assert_eq(op(b, STATE_BUCKET, NULL, "192.0.2.1", 10, 20, 1000, 6, t), 1); /* 5 left */
    cr_assert_eq(op(b, STATE_BUCKET, NULL, "192.0.2.1", 10, 20, 1000, 5, t), 0);
    cr_assert_eq(op(a, STATE_BUCKET, NULL, "192.0.2.1", 10, 20, 1000, 1, t + 100),
                 0); /* refilled 1 */
    cr_assert_eq(op(a, STATE_BUCKET, NULL, "192.0.2.1", 10, 20, 1000, 1, t + 100), 1);
    /* the window of test-state.c, split over two stores */
    int64_t w = 1000, t0 = 10000;
    for (int i = 0; i < 10; i++)
        op(i % 2 ? a : b, STATE_COUNT, NULL, "k", w, 0, 0, 1, t0 + i * 10);
    cr_assert_eq(op(a, STATE_COUNT, NULL, "k", w, 0, 0, 2, t0 + 1500), 2 + 5);
    cr_assert_eq(op(a, STATE_SCORE_ADD, NULL, "192.0.2.1", 0, 0, 0, 5, t), 5);
    cr_assert_eq(op(b, STATE_SCORE_ADD, NULL, "192.0.2.1", 0, 0, 0, 7, t), 12);
    cr_assert_eq(op(b, STATE_SCORE_GET, NULL, "192.0.2.1", 0, 0, 0, 0, t), 12);
    struct state_stats st;
    state_store_stats(a, &st);
    cr_assert_eq(st.errors, 0);
    cr_assert_eq(st.fallbacks, 0);
    state_store_free(a);
    state_store_free(b);
}

Test(state_redis, a_list_entry_reaches_the_other_store_and_expires)
{
    struct state_store *a = store(), *b = store();
    int64_t t = 1765000000000;
    nap(300); /* b subscribed */
    cr_assert_eq(op(a, STATE_LIST_ADD, "blacklist", "203.0.113.66", 5000, 0, 0, 0, t), 1);
    cr_assert_eq(op(a, STATE_LIST_ADD, "blacklist", "203.0.113.66", 5000, 0, 0, 0, t + 1), 0);
    cr_assert_eq(wait_has(b, "blacklist", "203.0.113.66", 1, t + 10), 1);
    cr_assert_eq(op(b, STATE_LIST_HAS, "blacklist", "203.0.113.66", 0, 0, 0, 0, t + 6000), 0);
    cr_assert_eq(op(b, STATE_LIST_HAS, "blacklist", "198.51.100.1", 0, 0, 0, 0, t + 10), 0);
    /* a store started later loads the lists at its first connection */
    cr_assert_eq(op(a, STATE_LIST_ADD, "blacklist", "192.0.2.99", 60000, 0, 0, 0, t), 1);
    struct state_store *c = store();
    cr_assert_eq(wait_has(c, "blacklist", "192.0.2.99", 1, t + 10), 1);
    /* removal travels too */
    cr_assert_eq(op(c, STATE_LIST_DEL, "blacklist", "192.0.2.99", 0, 0, 0, 0, t + 20), 1);
    cr_assert_eq(wait_has(a, "blacklist", "192.0.2.99", 0, t + 30), 0);
    state_store_free(a);
    state_store_free(b);
    state_store_free(c);
}

Test(state_redis, outage_falls_back_then_reconnects_and_resyncs)
{
    struct state_store *a = store(), *b = store();
    int64_t t = 1765000000000;
    nap(300);
    cr_assert_eq(op(a, STATE_LIST_ADD, "blacklist", "203.0.113.66", 600000, 0, 0, 0, t), 1);
    cr_assert_eq(wait_has(b, "blacklist", "203.0.113.66", 1, t + 10), 1);
    stop_server();
    /* enforcement goes on from the mirror; other requests answer locally */
    cr_assert_eq(op(b, STATE_LIST_HAS, "blacklist", "203.0.113.66", 0, 0, 0, 0, t + 20), 1);
    cr_assert_eq(op(a, STATE_BUCKET, NULL, "x", 10, 20, 1000, 1, t), 0);
    cr_assert_eq(op(a, STATE_LIST_ADD, "blacklist", "192.0.2.7", 600000, 0, 0, 0, t), 1);
    cr_assert_eq(op(a, STATE_LIST_HAS, "blacklist", "192.0.2.7", 0, 0, 0, 0, t + 1), 1);
    struct state_stats st;
    state_store_stats(a, &st);
    cr_assert_geq(st.fallbacks, 2);
    cr_assert_geq(st.errors, 1);
    start_server();
    nap(2500); /* backoff at most 2 s */
    cr_assert_eq(op(a, STATE_LIST_ADD, "blacklist", "192.0.2.8", 600000, 0, 0, 0, t), 1);
    cr_assert_eq(wait_has(b, "blacklist", "192.0.2.8", 1, t + 10), 1);
    state_store_stats(b, &st);
    cr_assert_geq(st.reconnects, 1);
    cr_assert_geq(st.resyncs, 2);
    /* the new server had lost the list: the mirrors gave it back, so a
     * store that connects now sees the entries made before and during the
     * outage */
    struct state_store *c = store();
    cr_assert_eq(wait_has(c, "blacklist", "203.0.113.66", 1, t + 10), 1);
    cr_assert_eq(wait_has(c, "blacklist", "192.0.2.7", 1, t + 10), 1);
    state_store_free(c);
    state_store_free(a);
    state_store_free(b);
}

Test(state_redis, bad_urls_are_refused)
{
    struct spu_error err = {0};
    struct state_cfg cfg = {"redis://nohost", 0};
    cr_assert_null(state_store_new(&cfg, &err));
    cr_assert_eq(err.code, SPU_EINVAL);
    struct state_cfg cfg2 = {"redis://h:99999", 0};
    cr_assert_null(state_store_new(&cfg2, &err));
}
