/*
 * Unit tests for runtime/dispatch-hash.c: the dispatcher's hash-only walk
 * gives the hash of the general path (decode_packet PEEK, flowkey_from_decoded,
 * flowkey_hash) on every packet it accepts, accepts the common frames, and
 * leaves fragments, VLANs, tunnels, other link types and malformed or
 * truncated headers to the general path. Checked on the corpus captures and
 * on frames mutated byte by byte and cut at every length.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "decode.h"
#include "dispatch-hash.h"
#include "err.h"
#include "flowkey.h"
#include "helper-pkt.h"

#define SEED 0x5350552eu

/* The general path's verdict: false when the packet would not be hashed by
 * its 5-tuple (no IP layer, or a fragment). */
static bool general_hash(int linktype, const uint8_t *p, uint32_t caplen, uint32_t *h)
{
    struct decoded d;
    decode_packet(&d, linktype, p, caplen, DECODE_PEEK, NULL, 0, NULL);
    if (!d.ipver || d.frag)
        return false;
    struct flow_key k;
    int dir;
    flowkey_from_decoded(&k, &d, &dir);
    *h = flowkey_hash(&k, SEED);
    return true;
}

/* Whenever the fast walk answers, the general path agrees. */
static bool check(int linktype, const uint8_t *p, uint32_t caplen)
{
    uint32_t fast = 0, slow = 0;
    if (!dispatch_fast_hash(linktype, p, caplen, SEED, &fast))
        return false;
    cr_assert(general_hash(linktype, p, caplen, &slow), "fast path took a packet the general "
                                                        "path does not hash (caplen %u)", caplen);
    cr_assert_eq(fast, slow, "hash differs (caplen %u)", caplen);
    return true;
}

Test(dispatch_hash, corpus_packets_hash_as_the_general_path)
{
    glob_t g;
    cr_assert_eq(glob("../shared/corpus/suricata-verify/*/input.pcap", 0, NULL, &g), 0);
    size_t taken = 0, total = 0;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct spu_error err;
        struct capture *c = capture_open_file(g.gl_pathv[i], NULL, &err);
        if (!c)
            continue; /* captures the reader refuses are another test's matter */
        struct capture_pkt p[64];
        bool eof = false;
        int k;
        while (!eof && (k = capture_next(c, p, 64, &eof, &err)) >= 0) {
            for (int j = 0; j < k; j++) {
                total++;
                taken += check(p[j].linktype, p[j].data, p[j].caplen);
                capture_release(c, p[j].source, p[j].cookie);
            }
        }
        capture_close(c);
    }
    globfree(&g);
    /* most of the corpus is Ethernet/IPv4/TCP: the walk must take most of it */
    cr_assert_gt(taken, total / 3, "fast path took %zu of %zu packets", taken, total);
}

Test(dispatch_hash, common_frames_are_taken_both_directions_alike)
{
    uint8_t a[128], b[128];
    size_t na = hp_tcp4_frame(a, "10.0.0.1", "10.0.0.2", 40000, 80, 1, 0, 0x02, "x", 1);
    size_t nb = hp_tcp4_frame(b, "10.0.0.2", "10.0.0.1", 80, 40000, 1, 2, 0x12, NULL, 0);
    uint32_t ha, hb;
    cr_assert(check(LINK_ETHERNET, a, (uint32_t)na));
    cr_assert(check(LINK_ETHERNET, b, (uint32_t)nb));
    cr_assert(dispatch_fast_hash(LINK_ETHERNET, a, (uint32_t)na, SEED, &ha));
    cr_assert(dispatch_fast_hash(LINK_ETHERNET, b, (uint32_t)nb, SEED, &hb));
    cr_assert_eq(ha, hb);
    /* UDP */
    uint8_t u[128];
    size_t n = hp_eth(u, 0x0800);
    n += hp_ipv4(u + n, "192.0.2.9", "192.0.2.1", 17, 8 + 4, 7, 0);
    n += hp_udp(u + n, u + 14, 5353, 53, "abcd", 4);
    cr_assert(check(LINK_ETHERNET, u, (uint32_t)n));
}

Test(dispatch_hash, others_go_to_the_general_path)
{
    uint8_t f[128];
    uint32_t h;
    /* a fragment (more fragments set) */
    size_t n = hp_eth(f, 0x0800);
    n += hp_ipv4(f + n, "10.0.0.1", "10.0.0.2", 6, 20, 9, 0x2000);
    n += hp_tcp(f + n, f + 14, 1, 2, 0, 0, 0x02, NULL, 0);
    cr_assert_not(dispatch_fast_hash(LINK_ETHERNET, f, (uint32_t)n, SEED, &h));
    /* IPv6 */
    n = hp_udp6_frame(f, "2001:db8::1", "2001:db8::2", 1, 2, "x", 1);
    cr_assert_not(dispatch_fast_hash(LINK_ETHERNET, f, (uint32_t)n, SEED, &h));
    /* ICMP */
    n = hp_eth(f, 0x0800);
    n += hp_ipv4(f + n, "10.0.0.1", "10.0.0.2", 1, 8, 9, 0);
    memset(f + n, 0, 8);
    f[n] = 8;
    n += 8;
    cr_assert_not(dispatch_fast_hash(LINK_ETHERNET, f, (uint32_t)n, SEED, &h));
    /* VXLAN */
    n = hp_eth(f, 0x0800);
    size_t ip = n;
    n += hp_ipv4(f + n, "10.0.0.1", "10.0.0.2", 17, 8 + 8 + 14, 9, 0);
    uint8_t vx[8 + 14] = {0x08};
    vx[8 + 12] = 0x08;
    n += hp_udp(f + n, f + ip, 1234, 4789, vx, sizeof(vx));
    cr_assert_not(dispatch_fast_hash(LINK_ETHERNET, f, (uint32_t)n, SEED, &h));
    /* raw IP link type: not this walk's */
    n = hp_tcp4_frame(f, "10.0.0.1", "10.0.0.2", 1, 2, 0, 0, 0x02, NULL, 0);
    cr_assert_not(dispatch_fast_hash(LINK_RAW, f + 14, (uint32_t)n - 14, SEED, &h));
}

/* Every cut and every single-byte change of the headers: the walk either
 * declines or agrees with the general path. */
Test(dispatch_hash, truncated_and_mutated_frames_never_disagree)
{
    uint8_t base[2][128], f[128];
    size_t len[2];
    len[0] = hp_tcp4_frame(base[0], "10.1.2.3", "10.1.2.4", 443, 51000, 7, 9, 0x18, "hello", 5);
    len[1] = hp_eth(base[1], 0x0800);
    len[1] += hp_ipv4(base[1] + len[1], "10.9.9.9", "10.1.1.1", 17, 8 + 20, 3, 0);
    len[1] += hp_udp(base[1] + len[1], base[1] + 14, 4789, 4789, "0123456789abcdefghij", 20);
    unsigned taken = 0;
    for (int b = 0; b < 2; b++) {
        for (size_t cut = 0; cut <= len[b]; cut++)
            taken += check(LINK_ETHERNET, base[b], (uint32_t)cut);
        static const uint8_t vals[] = {0x00, 0x01, 0x08, 0x0f, 0x10, 0x20, 0x40, 0x45, 0x46,
                                        0x4f, 0x50, 0x60, 0x80, 0xf0, 0xff};
        for (size_t at = 0; at < len[b] && at < 64; at++)
            for (size_t v = 0; v < sizeof(vals); v++) {
                memcpy(f, base[b], len[b]);
                f[at] = vals[v];
                taken += check(LINK_ETHERNET, f, (uint32_t)len[b]);
            }
    }
    cr_assert_gt(taken, 100);
}
