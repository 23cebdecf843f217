/*
 * Unit tests for runtime/capture-file.c (and the libpcap path): classic
 * pcap in both byte orders and both precisions, packets pointing into the
 * mapping, and bad files: truncated, corrupt, random bytes, snaplen-cut
 * packets, each fault reported with its byte offset after the packets
 * before it were handed out.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "decode.h"
#include "err.h"
#include "helper-pkt.h"
#include "stats.h"

static char path[64];

static void mkpath(void)
{
    /* mkstemp template: the prefix then six X */
    size_t n = strlen(strcpy(path, "/tmp/test-capture-"));
    memset(path + n, 'X', 6);
    path[n + 6] = 0;
    int fd = mkstemp(path);
    close(fd);
}

static void rm(void)
{
    unlink(path);
}

TestSuite(capture, .init = mkpath, .fini = rm);

static void write_bytes(const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    fwrite(p, 1, n, f);
    fclose(f);
}

/* Read everything; returns the packet count, *rc the final status. */
static int read_all(struct capture *c, int *rc, struct spu_error *err, uint32_t *caplen0)
{
    int total = 0;
    bool eof = false;
    *rc = 0;
    while (!eof) {
        struct capture_pkt p[8];
        int n = capture_next(c, p, 8, &eof, err);
        if (n < 0) {
            *rc = n;
            break;
        }
        for (int i = 0; i < n; i++) {
            if (total + i == 0 && caplen0)
                *caplen0 = p[i].caplen;
            capture_release(c, p[i].source, p[i].cookie);
        }
        total += n;
    }
    return total;
}

static size_t three_frames(uint8_t f[3][128], size_t lens[3])
{
    for (int i = 0; i < 3; i++)
        lens[i] = hp_tcp4_frame(f[i], "10.0.0.1", "10.0.0.2", 1000, 80, (uint32_t)i, 0, TH_ACK,
                                "abc", 3);
    return 3;
}

Test(capture, classic_pcap_is_read_in_place)
{
    uint8_t f[3][128];
    size_t lens[3];
    three_frames(f, lens);
    const uint8_t *fp[3] = {f[0], f[1], f[2]};
    cr_assert_eq(hp_write_pcap(path, fp, lens, 3, 1000), 0);
    struct spu_error err;
    struct capture *c = capture_open_file(path, NULL, &err);
    cr_assert_not_null(c);
    struct capture_pkt p[8];
    bool eof = false;
    int n = capture_next(c, p, 8, &eof, &err);
    cr_assert_eq(n, 3);
    cr_assert_eq(p[1].ts_ns, 1001000000000LL);
    cr_assert_eq(p[0].linktype, LINK_ETHERNET);
    cr_assert_eq(memcmp(p[2].data, f[2], lens[2]), 0);
    for (int i = 0; i < n; i++)
        capture_release(c, p[i].source, p[i].cookie);
    n = capture_next(c, p, 8, &eof, &err);
    cr_assert_eq(n, 0);
    cr_assert(eof);
    struct capture_stats s;
    capture_stats(c, &s);
    cr_assert_eq(s.packets, 3);
    cr_assert_eq(s.file_pos, s.file_size);
    capture_close(c);
}

/* Readers opened with one capture_maps share the file's mapping (the same
 * bytes at the same address), each with its own position; the mapping
 * outlives the first to close. */
Test(capture, readers_share_one_mapping)
{
    uint8_t f[3][128];
    size_t lens[3];
    three_frames(f, lens);
    const uint8_t *fp[3] = {f[0], f[1], f[2]};
    cr_assert_eq(hp_write_pcap(path, fp, lens, 3, 1000), 0);
    struct capture_maps *maps = capture_maps_new();
    cr_assert_not_null(maps);
    struct capture_opts o = {NULL, false, 1, maps};
    struct spu_error err;
    struct capture *a = capture_open_file(path, &o, &err);
    struct capture *b = capture_open_file(path, &o, &err);
    cr_assert(a && b);
    struct capture_pkt pa[8], pb[8];
    bool eof = false;
    cr_assert_eq(capture_next(a, pa, 8, &eof, &err), 3);
    cr_assert_eq(capture_next(b, pb, 1, &eof, &err), 1);
    cr_assert_eq(pa[0].data, pb[0].data, "not one mapping");
    for (int i = 0; i < 3; i++)
        capture_release(a, pa[i].source, pa[i].cookie);
    capture_release(b, pb[0].source, pb[0].cookie);
    capture_close(a);
    /* b reads on in the mapping a no longer holds */
    cr_assert_eq(capture_next(b, pb, 8, &eof, &err), 2);
    cr_assert_eq(memcmp(pb[1].data, f[2], lens[2]), 0);
    for (int i = 0; i < 2; i++)
        capture_release(b, pb[i].source, pb[i].cookie);
    capture_close(b);
    capture_maps_free(maps);
}

Test(capture, big_endian_nanosecond_pcap)
{
    /* magic a1b23c4d written big-endian (nanosecond), v2.4, snaplen 65535,
     * linktype 101 (raw IP); one record: ts 5 s + 7 ns, 20 bytes */
    uint8_t b[24 + 16 + 20];
    static const uint8_t gh[24] = {0xa1, 0xb2, 0x3c, 0x4d, 0, 2, 0, 4, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0, 0, 0xff, 0xff, 0, 0, 0, 101};
    static const uint8_t rh[16] = {0, 0, 0, 5, 0, 0, 0, 7, 0, 0, 0, 20, 0, 0, 0, 20};
    memcpy(b, gh, 24);
    memcpy(b + 24, rh, 16);
    hp_ipv4(b + 40, "1.2.3.4", "5.6.7.8", 6, 0, 1, 0);
    write_bytes(b, sizeof(b));
    struct spu_error err;
    struct capture *c = capture_open_file(path, NULL, &err);
    cr_assert_not_null(c);
    struct capture_pkt p[2];
    bool eof;
    cr_assert_eq(capture_next(c, p, 2, &eof, &err), 1);
    cr_assert_eq(p[0].ts_ns, 5000000007LL);
    cr_assert_eq(p[0].linktype, LINK_RAW);
    capture_release(c, p[0].source, p[0].cookie);
    capture_close(c);
}

Test(capture, truncated_packet_data_is_reported_after_the_good_packets)
{
    uint8_t f[3][128];
    size_t lens[3];
    three_frames(f, lens);
    const uint8_t *fp[3] = {f[0], f[1], f[2]};
    hp_write_pcap(path, fp, lens, 3, 1);
    /* cut the last record's data short by 10 bytes */
    size_t full = 24 + 3 * 16 + lens[0] + lens[1] + lens[2];
    cr_assert_eq(truncate(path, (off_t)(full - 10)), 0);
    struct spu_error err;
    spu_error_clear(&err);
    struct capture *c = capture_open_file(path, NULL, &err);
    int rc;
    int n = read_all(c, &rc, &err, NULL);
    cr_assert_eq(n, 2);
    cr_assert_eq(rc, SPU_EFORMAT);
    cr_assert_eq(err.offset, 24 + 2 * 16 + lens[0] + lens[1] + 16);
    cr_assert(strstr(err.msg, "truncated packet data") != NULL, "%s", err.msg);
    capture_close(c);
}

Test(capture, truncated_record_header)
{
    uint8_t f[3][128];
    size_t lens[3];
    three_frames(f, lens);
    const uint8_t *fp[3] = {f[0], f[1], f[2]};
    hp_write_pcap(path, fp, lens, 1, 1);
    FILE *fh = fopen(path, "ab");
    fwrite("\x01\x02\x03\x04\x05", 1, 5, fh); /* 5 of a 16-byte record header */
    fclose(fh);
    struct spu_error err;
    struct capture *c = capture_open_file(path, NULL, &err);
    int rc;
    cr_assert_eq(read_all(c, &rc, &err, NULL), 1);
    cr_assert_eq(rc, SPU_EFORMAT);
    cr_assert_eq(err.offset, 24 + 16 + lens[0]);
    capture_close(c);
}

Test(capture, corrupt_record_length)
{
    uint8_t f[3][128];
    size_t lens[3];
    three_frames(f, lens);
    size_t big[3] = {lens[0], lens[1], lens[2]};
    const uint8_t *fp[3] = {f[0], f[1], f[2]};
    hp_write_pcap(path, fp, big, 3, 1);
    /* the second record claims 3925868813 captured bytes */
    FILE *fh = fopen(path, "r+b");
    fseek(fh, (long)(24 + 16 + lens[0] + 8), SEEK_SET);
    static const uint8_t huge[4] = {0x0d, 0x0d, 0x00, 0xea};
    fwrite(huge, 1, 4, fh);
    fclose(fh);
    struct spu_error err;
    struct capture *c = capture_open_file(path, NULL, &err);
    int rc;
    cr_assert_eq(read_all(c, &rc, &err, NULL), 1);
    cr_assert_eq(rc, SPU_EFORMAT);
    cr_assert_eq(err.offset, 24 + 16 + lens[0]);
    cr_assert(strstr(err.msg, "corrupt record header") != NULL, "%s", err.msg);
    capture_close(c);
}

Test(capture, random_bytes_and_short_files_are_refused_at_open)
{
    uint8_t junk[4096];
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof(junk); i++) {
        x = x * 1103515245 + 12345;
        junk[i] = (uint8_t)(x >> 16);
    }
    write_bytes(junk, sizeof(junk));
    struct spu_error err;
    cr_assert_null(capture_open_file(path, NULL, &err));
    cr_assert_eq(err.code, SPU_EFORMAT);
    /* a classic magic with only 10 bytes of file header */
    static const uint8_t shortf[10] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0};
    write_bytes(shortf, sizeof(shortf));
    cr_assert_null(capture_open_file(path, NULL, &err));
    cr_assert_eq(err.code, SPU_EFORMAT);
    cr_assert_eq(err.offset, 10);
    cr_assert_null(capture_open_file("/nonexistent/x.pcap", NULL, &err));
}

Test(capture, random_records_after_a_valid_header_never_crash)
{
    /* a valid file header followed by 64 KiB of pseudo-random records */
    size_t n = 24 + 65536;
    uint8_t *b = malloc(n);
    static const uint8_t gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0};
    memcpy(b, gh, 24);
    unsigned x = 777;
    for (size_t i = 24; i < n; i++) {
        x = x * 1103515245 + 12345;
        b[i] = (uint8_t)(x >> 16);
    }
    write_bytes(b, n);
    free(b);
    struct spu_error err;
    struct capture *c = capture_open_file(path, NULL, &err);
    cr_assert_not_null(c);
    int rc;
    read_all(c, &rc, &err, NULL);
    cr_assert_eq(rc, SPU_EFORMAT);
    cr_assert_lt(err.offset, (uint64_t)n);
    capture_close(c);
}

Test(capture, snaplen_cut_packets_are_read_and_flagged_by_the_decoder)
{
    /* record: 40 bytes captured of a 60-byte frame */
    uint8_t f[128];
    size_t len = hp_tcp4_frame(f, "10.0.0.1", "10.0.0.2", 1, 2, 0, 0, TH_ACK, "0123456789", 10);
    uint8_t b[24 + 16 + 40];
    static const uint8_t gh[24] = {0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0,
                                   0,    0,    0,    0,    40, 0, 0, 0, 1, 0, 0, 0};
    memcpy(b, gh, 24);
    uint32_t rh[4] = {1, 0, 40, (uint32_t)len};
    memcpy(b + 24, rh, 16);
    memcpy(b + 40, f, 40);
    write_bytes(b, sizeof(b));
    struct spu_error err;
    struct capture *c = capture_open_file(path, NULL, &err);
    struct capture_pkt p[2];
    bool eof;
    cr_assert_eq(capture_next(c, p, 2, &eof, &err), 1);
    cr_assert_eq(p[0].caplen, 40);
    cr_assert_eq(p[0].wirelen, len);
    struct decoded d;
    decode_packet(&d, p[0].linktype, p[0].data, p[0].caplen, DECODE_CSUM, NULL, 0, NULL);
    cr_assert_eq(d.nevents, 1);
    cr_assert_eq(d.events[0], ANOM_IPV4_TRUNC_PKT);
    capture_release(c, p[0].source, p[0].cookie);
    capture_close(c);
}

Test(capture, bpf_filter_applies_to_files)
{
    uint8_t f[2][128];
    size_t lens[2];
    lens[0] = hp_tcp4_frame(f[0], "10.0.0.1", "10.0.0.2", 1000, 80, 1, 0, TH_SYN, NULL, 0);
    lens[1] = hp_tcp4_frame(f[1], "10.0.0.1", "10.0.0.2", 1000, 22, 1, 0, TH_SYN, NULL, 0);
    const uint8_t *fp[2] = {f[0], f[1]};
    hp_write_pcap(path, fp, lens, 2, 1);
    struct capture_opts o = {"tcp port 22", false, 1, NULL};
    struct spu_error err;
    struct capture *c = capture_open_file(path, &o, &err);
    int rc;
    cr_assert_eq(read_all(c, &rc, &err, NULL), 1);
    cr_assert_eq(rc, 0);
    capture_close(c);
    struct capture_opts bad = {"tcp port", false, 1, NULL};
    c = capture_open_file(path, &bad, &err);
    read_all(c, &rc, &err, NULL);
    cr_assert_eq(rc, SPU_EPARSE);
    capture_close(c);
}
