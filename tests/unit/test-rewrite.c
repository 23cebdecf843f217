/* Unit tests for runtime/rewrite.c: sequence offsets of length-changing
 * edits (wraparound, SACK, retransmission, acknowledged edits folded) and
 * the checksums of edited packets, on hand-made IPv4/IPv6 TCP packets. */
#include "rewrite.h"
#include "decode.h"
#include "err.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* An IPv4 TCP packet 10.0.0.1:40000 -> 10.0.0.2:80 (or the reverse when
 * `rev`) with seq, ack (ACK set), `opt` option bytes and payload `pl`. */
static uint32_t tcp4(uint8_t *p, int rev, uint32_t seq, uint32_t ack, const uint8_t *opt,
                     uint32_t olen, const char *pl)
{
    uint32_t plen = (uint32_t)strlen(pl), thl = 20 + olen, len = 20 + thl + plen;
    memset(p, 0, len);
    p[0] = 0x45;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
    p[8] = 64;
    p[9] = 6;
    uint8_t a[4] = {10, 0, 0, 1}, b[4] = {10, 0, 0, 2};
    memcpy(p + 12, rev ? b : a, 4);
    memcpy(p + 16, rev ? a : b, 4);
    uint8_t *t = p + 20;
    t[0] = rev ? 0 : 40000 >> 8;
    t[1] = rev ? 80 : 40000 & 0xff;
    t[2] = rev ? 40000 >> 8 : 0;
    t[3] = rev ? 40000 & 0xff : 80;
    put32(t + 4, seq);
    put32(t + 8, ack);
    t[12] = (uint8_t)((thl / 4) << 4);
    t[13] = 0x18;
    t[14] = 0xff;
    if (olen)
        memcpy(t + 20, opt, olen);
    memcpy(t + thl, pl, plen);
    rw_checksums(p, len);
    return len;
}

/* The checksums of the IPv4/IPv6 TCP packet at p are right (decoder's view). */
static bool csum_ok(const uint8_t *p, uint32_t len)
{
    struct decoded d;
    decode_packet(&d, 101 /* LINKTYPE_RAW */, p, len, DECODE_CSUM, NULL, 0, NULL);
    return d.ipver && d.l4ok && d.csum == CSUM_OK;
}

static const char *payload(const uint8_t *p, uint32_t len, uint32_t *plen)
{
    uint32_t hl = (p[0] >> 4) == 4 ? (p[0] & 15u) * 4 : 40;
    uint32_t thl = (uint32_t)(p[hl + 12] >> 4) * 4;
    *plen = len - hl - thl;
    return (const char *)p + hl + thl;
}

Test(rewrite, map_and_unmap_around_edits)
{
    struct rw_flow *rf = rw_flow_new();
    struct rw_dir *d = rw_flow_dir(rf, 1);
    /* insertion of 5 at 100, deletion of 3 at 200 */
    d->e[0] = (struct rw_edit){100, 0, 5, NULL};
    d->e[1] = (struct rw_edit){200, 3, 0, NULL};
    d->n = 2;
    cr_assert_eq(rw_map_seq(d, 50), 50);
    cr_assert_eq(rw_map_seq(d, 100), 105); /* the insertion belongs before 100 */
    cr_assert_eq(rw_map_seq(d, 150), 155);
    cr_assert_eq(rw_map_seq(d, 200), 205);
    cr_assert_eq(rw_map_seq(d, 201), 205); /* inside the deletion */
    cr_assert_eq(rw_map_seq(d, 203), 205);
    cr_assert_eq(rw_map_seq(d, 300), 302);
    cr_assert_eq(rw_unmap_seq(d, 50), 50);
    cr_assert_eq(rw_unmap_seq(d, 100), 100);
    cr_assert_eq(rw_unmap_seq(d, 103), 100); /* inside the insertion */
    cr_assert_eq(rw_unmap_seq(d, 105), 100);
    cr_assert_eq(rw_unmap_seq(d, 106), 101);
    cr_assert_eq(rw_unmap_seq(d, 205), 200);
    cr_assert_eq(rw_unmap_seq(d, 206), 204);
    cr_assert_eq(rw_unmap_seq(d, 302), 300);
    for (uint32_t s = 204; s < 400; s++)
        cr_assert_eq(rw_unmap_seq(d, rw_map_seq(d, s)), s);
    d->n = 0;
    rw_flow_free(rf);
}

Test(rewrite, wraparound)
{
    struct rw_flow *rf = rw_flow_new();
    struct rw_dir *d = rw_flow_dir(rf, 0);
    uint32_t pos = 0xfffffff0u;
    d->e[0] = (struct rw_edit){pos, 0, 40, NULL};
    d->e[1] = (struct rw_edit){pos + 32, 10, 0, NULL}; /* at 0x10, past the wrap */
    d->n = 2;
    cr_assert_eq(rw_map_seq(d, pos - 1), pos - 1);
    cr_assert_eq(rw_map_seq(d, pos + 1), pos + 41);
    cr_assert_eq(rw_map_seq(d, 5), 5u + 40);
    cr_assert_eq(rw_map_seq(d, 0x10 + 10), 0x10u + 10 + 30);
    cr_assert_eq(rw_unmap_seq(d, 0x10u + 40), 0x10u);
    cr_assert_eq(rw_unmap_seq(d, pos + 20), pos);
    for (uint32_t s = pos + 1; s != 0x10; s++)
        cr_assert_eq(rw_unmap_seq(d, rw_map_seq(d, s)), s);
    /* acknowledged past both: folded into base */
    rw_dir_acked(d, rw_map_seq(d, 0x30));
    cr_assert_eq(d->n, 0);
    cr_assert_eq(d->base, 30);
    cr_assert_eq(rw_map_seq(d, 0x40), 0x40u + 30);
    cr_assert_eq(rw_unmap_seq(d, 0x40u + 30), 0x40u);
    rw_flow_free(rf);
}

Test(rewrite, edit_packet_then_adjust_both_directions)
{
    uint8_t p[2000];
    struct rw_counts n = {0};
    struct rw_flow *rf = rw_flow_new();
    uint32_t s0 = 0xffffffe0u; /* the response crosses the wrap */
    const char *body = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    uint32_t len = tcp4(p, 1, s0, 7000, NULL, 0, body);
    /* Content-Length 5 -> 11, " world" inserted after "hello" */
    uint32_t cl = (uint32_t)(strstr(body, "5\r\n") - body);
    cr_assert_eq(rw_flow_splice(rf, 1, cl, 1, (const uint8_t *)"11", 2), 0);
    cr_assert_eq(rw_flow_splice(rf, 1, (uint32_t)strlen(body), 0, (const uint8_t *)" world", 6),
                 0);
    uint8_t *o;
    uint32_t olen;
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(n.applied, 2);
    cr_assert_eq(olen, len + 7);
    uint32_t pl;
    const char *x = payload(o, olen, &pl);
    cr_assert_eq(pl, strlen(body) + 7);
    cr_assert(memcmp(x, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world", pl) == 0);
    cr_assert(csum_ok(o, olen));
    cr_assert_eq(get32(o + 24), s0);
    free(o);
    uint32_t end = s0 + (uint32_t)strlen(body);
    /* the next response segment of the server is moved by 7 */
    len = tcp4(p, 1, end, 7000, NULL, 0, "next");
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(get32(o + 24), end + 7);
    cr_assert(csum_ok(o, olen));
    free(o);
    /* the client's ack of the edited bytes is moved back */
    len = tcp4(p, 0, 7000, end + 7, NULL, 0, "");
    cr_assert_eq(rw_packet(rf, 0, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(get32(o + 28), end);
    cr_assert(csum_ok(o, olen));
    free(o);
    /* the edits are acknowledged: folded, the offset stays */
    cr_assert_eq(rw_flow_dir(rf, 1)->n, 0);
    cr_assert_eq(rw_flow_dir(rf, 1)->base, 7);
    len = tcp4(p, 0, 7000, end + 7 + 4, NULL, 0, "");
    cr_assert_eq(rw_packet(rf, 0, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(get32(o + 28), end + 4);
    free(o);
    rw_flow_free(rf);
}

Test(rewrite, retransmission_gets_the_same_edit)
{
    uint8_t p[2000];
    struct rw_counts n = {0};
    struct rw_flow *rf = rw_flow_new();
    const char *pl = "abcdefghij";
    uint32_t len = tcp4(p, 1, 1000, 1, NULL, 0, pl);
    cr_assert_eq(rw_flow_splice(rf, 1, 2, 3, NULL, 0), 0); /* delete "cde" */
    uint8_t *o, *o2;
    uint32_t olen, olen2, x;
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert(memcmp(payload(o, olen, &x), "abfghij", 7) == 0 && x == 7);
    /* the same segment again: same bytes out */
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o2, &olen2, &n), RW_EDITED);
    cr_assert_eq(olen, olen2);
    cr_assert(memcmp(o, o2, olen) == 0);
    free(o);
    free(o2);
    /* a retransmission that also carries new bytes keeps the edit */
    len = tcp4(p, 1, 1000, 1, NULL, 0, "abcdefghijKLM");
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert(memcmp(payload(o, olen, &x), "abfghijKLM", 10) == 0 && x == 10);
    free(o);
    /* a segment that cuts the deleted bytes is dropped */
    len = tcp4(p, 1, 1003, 1, NULL, 0, "defg");
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_DROP);
    cr_assert_eq(n.dropped, 1);
    /* after the client acknowledged the edit, the old data is dropped too */
    len = tcp4(p, 0, 1, 1000 + 7, NULL, 0, "");
    cr_assert_eq(rw_packet(rf, 0, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(get32(o + 28), 1010);
    free(o);
    len = tcp4(p, 1, 1000, 1, NULL, 0, pl);
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_DROP);
    rw_flow_free(rf);
}

Test(rewrite, sack_blocks_mapped_back)
{
    uint8_t p[2000];
    struct rw_counts n = {0};
    struct rw_flow *rf = rw_flow_new();
    struct rw_dir *d = rw_flow_dir(rf, 1);
    d->e[0] = (struct rw_edit){5000, 0, 100, NULL}; /* 100 bytes inserted at 5000 */
    d->n = 1;
    /* NOP NOP SACK(2 blocks) */
    uint8_t opt[20] = {1, 1, 5, 18};
    put32(opt + 4, 5200);
    put32(opt + 8, 5300);
    put32(opt + 12, 4000);
    put32(opt + 16, 4500);
    uint32_t len = tcp4(p, 0, 1, 4900, opt, 20, "");
    uint8_t *o;
    uint32_t olen;
    cr_assert_eq(rw_packet(rf, 0, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(get32(o + 28), 4900);
    cr_assert_eq(get32(o + 40 + 4), 5100);
    cr_assert_eq(get32(o + 40 + 8), 5200);
    cr_assert_eq(get32(o + 40 + 12), 4000);
    cr_assert_eq(get32(o + 40 + 16), 4500);
    cr_assert(csum_ok(o, olen));
    free(o);
    d->n = 0;
    rw_flow_free(rf);
}

Test(rewrite, limits_refuse_and_pass_unmodified)
{
    uint8_t p[2000];
    struct rw_counts n = {0};
    struct rw_flow *rf = rw_flow_new();
    char big[1401];
    memset(big, 'a', 1400);
    big[1400] = 0;
    uint32_t len = tcp4(p, 1, 10, 1, NULL, 0, big);
    static uint8_t ins[200];
    memset(ins, 'b', sizeof(ins));
    /* 1440 + 200 > 1500: refused, the packet goes as it is */
    cr_assert_eq(rw_flow_splice(rf, 1, 5, 0, ins, sizeof(ins)), 0);
    uint8_t *o;
    uint32_t olen;
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_PASS);
    cr_assert_eq(n.refused, 1);
    cr_assert_eq(n.applied, 0);
    cr_assert(!rw_flow_pending(rf));
    /* too long an insertion, overlapping splices */
    static uint8_t huge[RW_MAX_INSERT + 1];
    cr_assert_eq(rw_flow_splice(rf, 1, 5, 0, huge, sizeof(huge)), SPU_ELIMIT);
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_PASS);
    cr_assert_eq(rw_flow_splice(rf, 1, 5, 4, NULL, 0), 0);
    cr_assert_neq(rw_flow_splice(rf, 1, 7, 4, NULL, 0), 0);
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_PASS);
    cr_assert_eq(n.applied, 0);
    rw_flow_free(rf);
}

Test(rewrite, ipv6_checksum)
{
    uint8_t p[200];
    memset(p, 0, sizeof(p));
    const char *pl = "GET / HTTP/1.1\r\n\r\n";
    uint32_t plen = (uint32_t)strlen(pl), len = 40 + 20 + plen;
    p[0] = 0x60;
    p[4] = 0;
    p[5] = (uint8_t)(20 + plen);
    p[6] = 6;
    p[7] = 64;
    p[23] = 1;
    p[39] = 2;
    uint8_t *t = p + 40;
    t[1] = 99;
    t[3] = 80;
    put32(t + 4, 77);
    t[12] = 5 << 4;
    t[13] = 0x18;
    memcpy(t + 20, pl, plen);
    struct rw_counts n = {0};
    struct rw_flow *rf = rw_flow_new();
    cr_assert_eq(rw_flow_splice(rf, 0, 5, 0, (const uint8_t *)"x?y=1", 5), 0);
    uint8_t *o;
    uint32_t olen;
    cr_assert_eq(rw_packet(rf, 0, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(olen, len + 5);
    cr_assert(csum_ok(o, olen));
    uint32_t x;
    cr_assert(memcmp(payload(o, olen, &x), "GET /x?y=1 HTTP/1.1", 19) == 0);
    free(o);
    rw_flow_free(rf);
}

Test(rewrite, edit_after_an_insertion_at_the_previous_segment_end)
{
    uint8_t p[2000];
    struct rw_counts n = {0};
    struct rw_flow *rf = rw_flow_new();
    uint8_t *o;
    uint32_t olen, x;
    /* "abc" + "X" appended at its end, then "def" with "Y" after "d" */
    uint32_t len = tcp4(p, 1, 500, 1, NULL, 0, "abc");
    cr_assert_eq(rw_flow_splice(rf, 1, 3, 0, (const uint8_t *)"X", 1), 0);
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert(memcmp(payload(o, olen, &x), "abcX", 4) == 0 && x == 4);
    free(o);
    len = tcp4(p, 1, 503, 1, NULL, 0, "def");
    cr_assert_eq(rw_flow_splice(rf, 1, 1, 0, (const uint8_t *)"Y", 1), 0);
    cr_assert_eq(rw_packet(rf, 1, p, len, 0, &o, &olen, &n), RW_EDITED);
    cr_assert_eq(n.applied, 2);
    cr_assert_eq(n.refused, 0);
    cr_assert_eq(get32(o + 24), 504);
    cr_assert(memcmp(payload(o, olen, &x), "dYef", 4) == 0 && x == 4);
    free(o);
    rw_flow_free(rf);
}
