/*
 * Unit tests for runtime/defrag.c: IPv4 and IPv6 fragments in order, out
 * of order, overlapping (first wins), timeouts and the memory cap.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "defrag.h"
#include "helper-pkt.h"
#include "stats.h"

#define SEC 1000000000LL

/* IPv4 fragment 10.0.0.1 -> 10.0.0.2, protocol 17, id `id`, carrying
 * data[off .. off+n) of a datagram; `more` sets MF. */
static size_t frag4(uint8_t *b, uint16_t id, uint16_t off, const uint8_t *data, uint16_t n,
                    int more)
{
    size_t o = hp_ipv4(b, "10.0.0.1", "10.0.0.2", 17, n, id,
                       (uint16_t)((more ? 0x2000 : 0) | (off / 8)));
    memcpy(b + o, data + off, n);
    return o + n;
}

/* IPv6 fragment 2001:db8::1 -> ::2 (next header 44, then the 8-byte
 * fragment header: next 17, offset, M flag, id). */
static size_t frag6(uint8_t *b, uint32_t id, uint16_t off, const uint8_t *data, uint16_t n,
                    int more)
{
    size_t o = hp_ipv6(b, "2001:db8::1", "2001:db8::2", 44, (uint16_t)(8 + n));
    uint16_t fo = (uint16_t)((off / 8) << 3 | (more ? 1 : 0));
    uint8_t fh[8] = {17, 0, (uint8_t)(fo >> 8), (uint8_t)fo, (uint8_t)(id >> 24),
                     (uint8_t)(id >> 16), (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(b + o, fh, 8);
    o += 8;
    memcpy(b + o, data + off, n);
    return o + n;
}

static enum defrag_result add(struct defrag *df, const uint8_t *b, size_t n, int64_t now,
                              uint8_t **out, uint32_t *outlen, unsigned *anom,
                              struct stats_block *st)
{
    struct decoded d;
    decode_packet(&d, LINK_RAW, b, (uint32_t)n, DECODE_PEEK, NULL, 0, NULL);
    return defrag_add(df, &d, now, out, outlen, anom, st);
}

static uint8_t payload[64];

static void fill(void)
{
    for (unsigned i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7 + 1);
}

TestSuite(defrag, .init = fill);

Test(defrag, ipv4_out_of_order_is_rebuilt_with_a_valid_header)
{
    struct stats_block st;
    stats_block_init(&st);
    struct defrag *df = defrag_new(0, 0);
    uint8_t b[128], *out = NULL;
    uint32_t olen = 0;
    unsigned anom;
    /* the last piece (48..64), then the first (0..24), then the middle */
    size_t n = frag4(b, 77, 48, payload, 16, 0);
    cr_assert_eq(add(df, b, n, 1 * SEC, &out, &olen, &anom, &st), DEFRAG_HELD);
    n = frag4(b, 77, 0, payload, 24, 1);
    cr_assert_eq(add(df, b, n, 1 * SEC, &out, &olen, &anom, &st), DEFRAG_HELD);
    n = frag4(b, 77, 24, payload, 24, 1);
    cr_assert_eq(add(df, b, n, 1 * SEC, &out, &olen, &anom, &st), DEFRAG_DONE);
    cr_assert_eq(olen, 20 + 64);
    cr_assert_eq(memcmp(out + 20, payload, 64), 0);
    cr_assert_eq(anom, 0);
    struct decoded d;
    cr_assert(decode_packet(&d, LINK_RAW, out, olen, DECODE_CSUM, NULL, 0, NULL));
    cr_assert_not(d.frag);
    cr_assert_eq(d.ip_len, 84);
    cr_assert_neq(d.csum, CSUM_BAD); /* the rebuilt header's checksum is right */
    cr_assert_eq(stats_get(&st, CNT_DEFRAG_V4_FRAGMENTS), 3);
    cr_assert_eq(stats_get(&st, CNT_DEFRAG_V4_REASSEMBLED), 1);
    cr_assert_eq(defrag_trackers(df), 0);
    free(out);
    defrag_free(df);
}

Test(defrag, ipv4_overlap_keeps_the_first_bytes_and_says_so)
{
    struct defrag *df = defrag_new(0, 0);
    uint8_t b[128], *out = NULL, other[64];
    uint32_t olen;
    unsigned anom;
    memset(other, 0xee, sizeof(other));
    size_t n = frag4(b, 5, 0, payload, 32, 1);
    add(df, b, n, SEC, &out, &olen, &anom, NULL);
    /* 16..40 from a different datagram body overlaps 16..32 */
    n = frag4(b, 5, 16, other, 24, 1);
    cr_assert_eq(add(df, b, n, SEC, &out, &olen, &anom, NULL), DEFRAG_HELD);
    cr_assert_eq(anom, 1u + ANOM_IPV4_FRAG_OVERLAP);
    n = frag4(b, 5, 40, payload, 24, 0);
    cr_assert_eq(add(df, b, n, SEC, &out, &olen, &anom, NULL), DEFRAG_DONE);
    cr_assert_eq(memcmp(out + 20, payload, 32), 0);      /* first fragment won */
    cr_assert_eq(memcmp(out + 20 + 32, other + 32, 8), 0); /* the hole it filled */
    cr_assert_eq(memcmp(out + 20 + 40, payload + 40, 24), 0);
    free(out);
    defrag_free(df);
}

Test(defrag, ipv6_fragments_lose_the_fragment_header)
{
    struct defrag *df = defrag_new(0, 0);
    uint8_t b[160], *out = NULL;
    uint32_t olen;
    unsigned anom;
    size_t n = frag6(b, 0xabcdef01, 32, payload, 32, 0);
    cr_assert_eq(add(df, b, n, SEC, &out, &olen, &anom, NULL), DEFRAG_HELD);
    n = frag6(b, 0xabcdef01, 0, payload, 32, 1);
    cr_assert_eq(add(df, b, n, SEC, &out, &olen, &anom, NULL), DEFRAG_DONE);
    cr_assert_eq(olen, 40 + 64);
    cr_assert_eq(out[6], 17); /* next header patched to UDP */
    cr_assert_eq(out[4] << 8 | out[5], 64);
    cr_assert_eq(memcmp(out + 40, payload, 64), 0);
    free(out);
    defrag_free(df);
}

Test(defrag, idle_trackers_time_out_on_packet_time)
{
    struct stats_block st;
    stats_block_init(&st);
    struct defrag *df = defrag_new(0, 30 * SEC);
    uint8_t b[128], *out;
    uint32_t olen;
    unsigned anom;
    size_t n = frag4(b, 9, 0, payload, 32, 1);
    add(df, b, n, 100 * SEC, &out, &olen, &anom, &st);
    cr_assert_eq(defrag_trackers(df), 1);
    cr_assert_eq(defrag_expire(df, 120 * SEC, &st), 0);
    cr_assert_eq(defrag_expire(df, 131 * SEC, &st), 1);
    cr_assert_eq(defrag_trackers(df), 0);
    cr_assert_eq(stats_get(&st, CNT_DEFRAG_V4_TIMEOUTS), 1);
    /* the late second half starts a new tracker and completes nothing */
    n = frag4(b, 9, 32, payload, 32, 0);
    cr_assert_eq(add(df, b, n, 132 * SEC, &out, &olen, &anom, &st), DEFRAG_HELD);
    defrag_free(df);
}

Test(defrag, memcap_drops_the_oldest_tracker)
{
    struct stats_block st;
    stats_block_init(&st);
    struct defrag *df = defrag_new(600, 0); /* room for about two small trackers */
    uint8_t b[128], *out;
    uint32_t olen;
    unsigned anom;
    for (uint16_t id = 1; id <= 4; id++) {
        size_t n = frag4(b, id, 0, payload, 32, 1);
        add(df, b, n, id * SEC, &out, &olen, &anom, &st);
    }
    cr_assert_leq(defrag_memuse(df), 600);
    cr_assert_lt(defrag_trackers(df), 4);
    cr_assert_gt(stats_get(&st, CNT_DEFRAG_MAX_TRACKERS), 0);
    /* the newest datagram survived and completes */
    size_t n = frag4(b, 4, 32, payload, 32, 0);
    cr_assert_eq(add(df, b, n, 5 * SEC, &out, &olen, &anom, &st), DEFRAG_DONE);
    free(out);
    defrag_free(df);
}

Test(defrag, datagram_over_64k_is_refused)
{
    struct defrag *df = defrag_new(0, 0);
    uint8_t b[128], *out;
    uint32_t olen;
    unsigned anom;
    uint8_t big[65536 / 8];
    memset(big, 1, sizeof(big));
    /* offset 65528 + 32 bytes ends past 65535 */
    size_t o = hp_ipv4(b, "10.0.0.1", "10.0.0.2", 17, 32, 3, (uint16_t)(65528 / 8));
    memcpy(b + o, big, 32);
    cr_assert_eq(add(df, b, o + 32, SEC, &out, &olen, &anom, NULL), DEFRAG_DROPPED);
    cr_assert_eq(anom, 1u + ANOM_IPV4_FRAG_PKT_TOO_LARGE);
    defrag_free(df);
    defrag_free(NULL);
}
