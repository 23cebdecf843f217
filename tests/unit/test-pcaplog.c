/*
 * Unit tests for runtime/pcaplog.c: the per-flow ring keeps the last N
 * packets, an alert writes them and the next M to <flow_id>.pcap (read
 * back with libpcap), a later alert appends, the memcap holds and counts,
 * and flow end frees everything it accounted.
 */
#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "flow.h"
#include "helper-pkt.h"
#include "pcaplog.h"
#include "pkt.h"

static char dir[64];
static _Atomic int64_t memuse;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/spu-test-pcaplog-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    atomic_store(&memuse, 0);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static struct pcaplog *new_log(unsigned n, unsigned m, uint64_t cap)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct pcaplog_cfg c = {dir, n, m, cap, &memuse};
    struct pcaplog *pl = pcaplog_new(&c, &err);
    cr_assert_not_null(pl, "%s", err.msg);
    return pl;
}

/* Packet number i of one flow: a TCP frame whose sequence number is i and
 * whose timestamp is i seconds. */
static void feed(struct pcaplog *pl, struct flow *f, uint32_t i)
{
    uint8_t frame[128];
    size_t n = hp_tcp4_frame(frame, "10.0.0.1", "10.0.0.2", 1234, 80, i, 0, 0x10, "abc", 3);
    struct pkt p = {0};
    p.data = frame;
    p.caplen = p.wirelen = (uint32_t)n;
    p.ts_ns = (int64_t)i * 1000000000;
    p.linktype = DLT_EN10MB;
    pcaplog_packet(pl, f, &p);
}

/* The timestamps (seconds) of the packets in a pcap, into out; count. */
static unsigned read_back(const char *path, long *out, unsigned max)
{
    char eb[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(path, eb);
    cr_assert_not_null(p, "%s", eb);
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned n = 0;
    while (pcap_next_ex(p, &h, &d) == 1 && n < max)
        out[n++] = (long)h->ts.tv_sec;
    pcap_close(p);
    return n;
}

Test(pcaplog, ring_then_next_m_then_append, .init = setup, .fini = teardown)
{
    struct pcaplog *pl = new_log(3, 2, 1 << 20);
    struct flow f;
    memset(&f, 0, sizeof(f));
    for (uint32_t i = 1; i <= 5; i++)
        feed(pl, &f, i);
    cr_expect_gt(atomic_load(&memuse), 0);
    const char *path = pcaplog_alert(pl, &f);
    cr_assert_not_null(path);
    char name[256];
    snprintf(name, sizeof(name), "%s", path);
    cr_expect_not_null(strstr(name, ".pcap"));
    for (uint32_t i = 6; i <= 9; i++) /* 6, 7 follow the alert; 8, 9 go to the ring */
        feed(pl, &f, i);
    long ts[32];
    unsigned n = read_back(name, ts, 32);
    cr_assert_eq(n, 5, "%u packets", n);
    for (unsigned i = 0; i < n; i++)
        cr_expect_eq(ts[i], 3 + (long)i);
    cr_assert_not_null(pcaplog_alert(pl, &f)); /* appends 8, 9; M = 2 more follow */
    feed(pl, &f, 10);
    pcaplog_flow_end(pl, &f);
    n = read_back(name, ts, 32);
    cr_assert_eq(n, 8, "%u packets", n);
    cr_expect_eq(ts[5], 8);
    cr_expect_eq(ts[6], 9);
    cr_expect_eq(ts[7], 10);
    cr_expect_null(f.trace);
    cr_expect_eq(atomic_load(&memuse), 0);
    const struct pcaplog_stats *st = pcaplog_stats(pl);
    cr_expect_eq(atomic_load(&st->files), 1);
    cr_expect_eq(atomic_load(&st->written), 8);
    pcaplog_free(pl);
}

Test(pcaplog, memcap_holds_and_counts, .init = setup, .fini = teardown)
{
    /* room for the ring itself and about two packet copies */
    struct pcaplog *pl = new_log(8, 0, 8 * sizeof(void *) + 400);
    struct flow f;
    memset(&f, 0, sizeof(f));
    for (uint32_t i = 1; i <= 8; i++) {
        feed(pl, &f, i);
        cr_assert_leq(atomic_load(&memuse), (int64_t)(8 * sizeof(void *) + 400));
    }
    const struct pcaplog_stats *st = pcaplog_stats(pl);
    cr_expect_gt(atomic_load(&st->memcap_drops), 0);
    cr_expect_gt(atomic_load(&st->kept), 0);
    pcaplog_flow_end(pl, &f);
    cr_expect_eq(atomic_load(&memuse), 0);
    pcaplog_free(pl);
}

Test(pcaplog, alert_without_a_trace_writes_nothing, .init = setup, .fini = teardown)
{
    struct pcaplog *pl = new_log(4, 4, 1 << 20);
    struct flow f;
    memset(&f, 0, sizeof(f));
    cr_expect_null(pcaplog_alert(pl, &f));
    pcaplog_flow_end(pl, &f);
    pcaplog_free(pl);
    pcaplog_free(NULL);
}

Test(pcaplog, refuses_a_missing_directory)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct pcaplog_cfg c = {"/nonexistent/spu", 4, 4, 1 << 20, &memuse};
    cr_expect_null(pcaplog_new(&c, &err));
    cr_expect_eq(err.code, SPU_EIO);
}
