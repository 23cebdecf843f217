/* Unit tests for runtime/shaper.c: token buckets, priorities, the two
 * directions of a class, bounded backlogs, from classes compiled by spuc. */
#include "helper-compile.h"
#include "pkt.h"
#include "shaper.h"

#include <criterion/criterion.h>
#include <string.h>

/* 8mbit = 1,000,000 bytes per second: one byte per microsecond */
static const char RULES[] = "queue slow rate 8mbit burst 3000 priority 2;\n"
                            "queue hi rate 80mbit burst 15000;\n";

struct log {
    struct pkt *p[4096];
    unsigned n;
};

static void record(void *ctx, struct pkt *p)
{
    struct log *l = ctx;
    l->p[l->n++] = p;
}

/* Every test: a shaper of RULES' two classes, freed after it. */
static struct spu_bundle *b;
static struct shaper *s;

static void setup(void)
{
    b = hc_bundle(NULL, RULES);
    cr_assert(b);
    bool nomem;
    s = shaper_new(&b, 1, &nomem);
    cr_assert(s && !nomem);
}

static void teardown(void)
{
    shaper_free(s);
    spu_bundle_unref(b);
}

TestSuite(shaper, .init = setup, .fini = teardown);

static struct pkt pk[4096];

static struct pkt *mk(unsigned i, unsigned cls, unsigned dir)
{
    memset(&pk[i], 0, sizeof(pk[i]));
    pk[i].qclass = (uint8_t)cls;
    pk[i].qdir = (uint8_t)dir;
    pk[i].pcap_cnt = i + 1;
    return &pk[i];
}

#define MS 1000000LL

Test(shaper, classes_from_the_bundle)
{
    cr_assert_eq(shaper_nclasses(s), 2);
    cr_assert_eq(shaper_find(s, "slow", 4), 1);
    cr_assert_eq(shaper_find(s, "hi", 2), 2);
    cr_assert_eq(shaper_find(s, "nope", 4), 0);
    struct shaper_class_counts c;
    cr_assert(shaper_class_counts(s, 1, &c));
    cr_assert_eq(c.rate_bps, 8000000);
    cr_assert_eq(c.burst, 3000);
    cr_assert_eq(c.priority, 2);
    cr_assert(!shaper_class_counts(s, 3, &c));
    bool nomem;
    cr_assert_null(shaper_new(NULL, 0, &nomem), "no classes: no shaper");
    cr_assert(!nomem);
}

Test(shaper, bucket_releases_at_the_rate)
{
    struct log l = {0};
    int64_t t = 1000 * MS;
    for (unsigned i = 0; i < 10; i++)
        cr_assert(shaper_hold(s, mk(i, 1, 1), 1000, t, record, &l));
    cr_assert_eq(shaper_held(s), 10);
    /* a full bucket (3000 bytes) lets three 1000-byte packets go */
    cr_assert_eq(shaper_release(s, t, record, &l), 3);
    /* 1 ms later: 1000 more bytes, one packet */
    cr_assert_eq(shaper_release(s, t + 1 * MS, record, &l), 1);
    cr_assert_eq(shaper_release(s, t + 1 * MS, record, &l), 0, "no tokens left");
    /* 4 ms later: four more, in order */
    cr_assert_eq(shaper_release(s, t + 5 * MS, record, &l), 4);
    for (unsigned i = 0; i < 8; i++)
        cr_assert_eq(l.p[i], &pk[i]);
    shaper_flush(s, record, &l);
    cr_assert_eq(l.n, 10);
    cr_assert_eq(shaper_held(s), 0);
    struct shaper_class_counts c;
    shaper_class_counts(s, 1, &c);
    cr_assert_eq(c.packets, 10);
    cr_assert_eq(c.bytes, 10000);
    cr_assert_eq(c.max_held, 10);
}

Test(shaper, lower_priority_value_goes_first_and_directions_alternate)
{
    struct log l = {0};
    int64_t t = 1000 * MS;
    cr_assert(shaper_hold(s, mk(0, 1, 1), 500, t, record, &l)); /* slow, data */
    cr_assert(shaper_hold(s, mk(1, 1, 1), 500, t, record, &l));
    cr_assert(shaper_hold(s, mk(2, 1, 0), 60, t, record, &l)); /* slow, an ACK */
    cr_assert(shaper_hold(s, mk(3, 2, 1), 500, t, record, &l)); /* hi */
    cr_assert_eq(shaper_release(s, t, record, &l), 4);
    cr_assert_eq(l.p[0], &pk[3], "hi (priority 0) before slow (priority 2)");
    /* the directions take turns: the ACK held after the data goes out
     * before the second data packet */
    cr_assert(l.p[1] == &pk[2] || l.p[2] == &pk[2], "the ACK does not wait behind the data");
    cr_assert(l.p[1] == &pk[0] || l.p[2] == &pk[0]);
    cr_assert_eq(l.p[3], &pk[1]);
}

Test(shaper, full_backlog_drops_the_oldest)
{
    struct log rel = {0}, drop = {0};
    int64_t t = 1000 * MS;
    /* slow: half a second at the rate per direction (500000 bytes: more
     * than 4 bursts or 64 KiB); 1000-byte packets: 500 fit */
    for (unsigned i = 0; i < 500; i++)
        cr_assert(shaper_hold(s, mk(i, 1, 1), 1000, t, record, &drop));
    cr_assert_eq(drop.n, 0);
    cr_assert(shaper_hold(s, mk(500, 1, 1), 1000, t, record, &drop));
    cr_assert_eq(drop.n, 1);
    cr_assert_eq(drop.p[0], &pk[0], "head drop");
    cr_assert(shaper_hold(s, mk(501, 1, 0), 1000, t, record, &drop), "the other direction has room");
    cr_assert_eq(drop.n, 1);
    cr_assert(!shaper_hold(s, mk(502, 1, 1), 600000, t, record, &drop), "larger than the FIFO");
    cr_assert(!shaper_hold(s, mk(503, 9, 1), 100, t, record, &drop), "no such class");
    struct shaper_class_counts c;
    shaper_class_counts(s, 1, &c);
    cr_assert_geq(c.dropped, 2);
    /* 512 packets at most in a FIFO */
    shaper_flush(s, record, &rel);
    for (unsigned i = 0; i < 520; i++)
        cr_assert(shaper_hold(s, mk(i, 1, 1), 100, t, record, &drop));
    cr_assert_eq(shaper_held(s), SHAPER_FIFO_PKTS);
    shaper_flush(s, record, &rel);
    cr_assert_eq(rel.p[rel.n - 1], &pk[519]);
    cr_assert_eq(shaper_held(s), 0);
}

Test(shaper, lost_time_is_made_up_while_packets_wait)
{
    struct log l = {0};
    int64_t t = 1000 * MS;
    for (unsigned i = 0; i < 60; i++)
        cr_assert(shaper_hold(s, mk(i, 1, 1), 1000, t, record, &l));
    cr_assert_eq(shaper_release(s, t, record, &l), 3);
    /* the dispatcher comes back 20 ms later: 20000 bytes were due, more
     * than the 3000-byte burst; they are released (within a quarter
     * second of the rate) */
    cr_assert_eq(shaper_release(s, t + 20 * MS, record, &l), 20);
    shaper_flush(s, record, &l);
    /* idle: the bucket holds only its burst again */
    for (unsigned i = 0; i < 10; i++)
        cr_assert(shaper_hold(s, mk(100 + i, 1, 1), 1000, t + 2000 * MS, record, &l));
    cr_assert_eq(shaper_release(s, t + 2000 * MS, record, &l), 3);
    shaper_flush(s, record, &l);
}
