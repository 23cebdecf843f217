/*
 * Unit tests for runtime/output.c's rotation: by size (files within the
 * limit, split between lines only), a line longer than the limit alone in
 * its file, reopen after the file was moved away; the records counted by
 * event type; waiting until every flushed line is written; and the writer
 * thread asleep while idle: woken by a hand-off or a reopen request, and by
 * its own timer only for a file coming of age.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "output.h"

static char dir[64];

static void mkdir_tmp(void)
{
    snprintf(dir, sizeof(dir), "/tmp/spu-test-output-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Read a whole file into a new string ("" when absent). */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *b = calloc(1, 1 << 16);
    if (f) {
        size_t n = fread(b, 1, (1 << 16) - 1, f);
        b[n] = 0;
        fclose(f);
    }
    return b;
}

Test(output, rotates_by_size_between_lines, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128], p1[140];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    struct spu_error err;
    spu_error_clear(&err);
    struct output_rotate rot = {100, 0};
    struct output *o = output_open_rotating(path, 1, &rot, &err);
    cr_assert_not_null(o, "%s", err.msg);
    struct output_producer *p = output_producer(o, 0);
    /* ten 30-byte lines (29 + newline): three per 100-byte file */
    for (int i = 0; i < 10; i++) {
        char line[48];
        snprintf(line, sizeof(line), "{\"n\":%d,\"pad\":\"xxxxxxxxxxxxx\"}", i);
        cr_assert_eq(strlen(line), 29);
        cr_assert_eq(output_producer_line(p, line, strlen(line)), 0);
    }
    uint64_t lines;
    cr_assert_eq(output_close(o, &lines), 0);
    cr_expect_eq(lines, 10);
    for (int n = 1; n <= 3; n++) {
        snprintf(p1, sizeof(p1), "%s.%d", path, n);
        cr_expect_eq(file_size(p1), 90, "%s: %ld", p1, file_size(p1));
    }
    cr_expect_eq(file_size(path), 30);
    snprintf(p1, sizeof(p1), "%s.1", path);
    char *a = slurp(p1);
    cr_expect_eq(strncmp(a, "{\"n\":0,", 7), 0, "%s", a);
    free(a);
    char *b = slurp(path);
    cr_expect_eq(strncmp(b, "{\"n\":9,", 7), 0, "%s", b);
    free(b);
}

Test(output, a_long_line_gets_a_file_of_its_own, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128], p1[140];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    struct spu_error err;
    struct output_rotate rot = {10, 0};
    struct output *o = output_open_rotating(path, 1, &rot, &err);
    cr_assert_not_null(o);
    struct output_producer *p = output_producer(o, 0);
    cr_assert_eq(output_producer_line(p, "{}", 2), 0);
    cr_assert_eq(output_producer_line(p, "{\"long\":\"line\"}", 15), 0);
    cr_assert_eq(output_producer_line(p, "{}", 2), 0);
    cr_assert_eq(output_close(o, NULL), 0);
    snprintf(p1, sizeof(p1), "%s.1", path);
    cr_expect_eq(file_size(p1), 3);
    snprintf(p1, sizeof(p1), "%s.2", path);
    cr_expect_eq(file_size(p1), 16);
    cr_expect_eq(file_size(path), 3);
}

Test(output, reopen_after_a_move, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128], moved[140];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    snprintf(moved, sizeof(moved), "%s/old.json", dir);
    struct spu_error err;
    struct output *o = output_open_rotating(path, 1, NULL, &err);
    cr_assert_not_null(o);
    struct output_producer *p = output_producer(o, 0);
    cr_assert_eq(output_producer_line(p, "{\"a\":1}", 7), 0);
    output_producer_flush(p);
    /* the writer has written the first buffer once the file has it */
    for (int i = 0; i < 30000 && file_size(path) != 8; i++)
        usleep(1000);
    cr_assert_eq(file_size(path), 8, "the writer wrote the first line (30 s at most)");
    cr_assert_eq(rename(path, moved), 0);
    output_reopen(o);
    cr_assert_eq(output_producer_line(p, "{\"b\":2}", 7), 0);
    cr_assert_eq(output_close(o, NULL), 0);
    char *a = slurp(moved), *b = slurp(path);
    cr_expect_str_eq(a, "{\"a\":1}\n");
    cr_expect_str_eq(b, "{\"b\":2}\n");
    free(a);
    free(b);
}

Test(output, counts_records_by_event_type, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    struct spu_error err;
    struct output *o = output_open(path, 2, &err);
    cr_assert_not_null(o);
    const char *a = "{\"timestamp\":\"t\",\"event_type\":\"alert\",\"x\":1}";
    const char *f = "{\"timestamp\":\"t\",\"flow_id\":1,\"event_type\":\"flow\"}";
    cr_assert_eq(output_producer_line(output_producer(o, 0), a, strlen(a)), 0);
    cr_assert_eq(output_producer_line(output_producer(o, 1), a, strlen(a)), 0);
    cr_assert_eq(output_producer_line(output_producer(o, 1), f, strlen(f)), 0);
    cr_assert_eq(output_producer_line(output_producer(o, 1), "{}", 2), 0);
    struct output_type_count tc[8];
    unsigned n = output_type_counts(o, tc, 8);
    cr_assert_eq(n, 3);
    uint64_t alerts = 0, flows = 0, other = 0;
    for (unsigned i = 0; i < n; i++) {
        if (!strcmp(tc[i].type, "alert"))
            alerts = tc[i].records;
        else if (!strcmp(tc[i].type, "flow"))
            flows = tc[i].records;
        else if (!strcmp(tc[i].type, "other"))
            other = tc[i].records;
    }
    cr_expect_eq(alerts, 2);
    cr_expect_eq(flows, 1);
    cr_expect_eq(other, 1);
    cr_assert_eq(output_close(o, NULL), 0);
}

/* After flushing and output_wait_written, every line is in the file and
 * the rotations it caused are counted, while the writer still runs. */
Test(output, wait_written_sees_every_flushed_line, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    struct spu_error err;
    spu_error_clear(&err);
    struct output_rotate rot = {100, 0};
    struct output *o = output_open_rotating(path, 2, &rot, &err);
    cr_assert_not_null(o, "%s", err.msg);
    for (unsigned k = 0; k < 2; k++) {
        struct output_producer *p = output_producer(o, k);
        for (int i = 0; i < 5; i++) {
            char line[48];
            snprintf(line, sizeof(line), "{\"n\":%d,\"pad\":\"xxxxxxxxxxxxx\"}", i);
            cr_assert_eq(output_producer_line(p, line, strlen(line)), 0);
        }
        output_producer_flush(p);
    }
    output_wait_written(o);
    cr_expect_eq(output_lines(o), 10);
    /* 300 bytes in 100-byte files: three rotations behind the open file */
    cr_expect_eq(output_rotations(o), 3);
    cr_assert_eq(output_close(o, NULL), 0);
}

/* The writer thread's (named spu-eve) voluntary context switches so far:
 * each sleep it wakes from counts one. -1 when not found. */
static long writer_switches(void)
{
    DIR *d = opendir("/proc/self/task");
    cr_assert_not_null(d);
    long n = -1;
    struct dirent *e;
    while (n < 0 && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[300], comm[32] = "";
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        if (!fgets(comm, sizeof(comm), f))
            comm[0] = 0;
        fclose(f);
        if (strcmp(comm, "spu-eve\n") != 0)
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
        f = fopen(path, "r");
        char line[128];
        while (f && fgets(line, sizeof(line), f))
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &n) == 1)
                break;
        if (f)
            fclose(f);
    }
    closedir(d);
    return n;
}

/* Wake-ups of the idle writer over 300 ms, after 50 ms for it to settle. */
static long idle_wakeups(void)
{
    usleep(50000);
    long before = writer_switches();
    cr_assert_geq(before, 0, "no thread named spu-eve");
    usleep(300000);
    return writer_switches() - before;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Wait up to `s` seconds for the writer to have written `lines` lines;
 * returns the seconds it took, or -1. */
static double wait_lines(struct output *o, uint64_t lines, double s)
{
    double t0 = now_s();
    while (output_lines(o) < lines) {
        if (now_s() - t0 > s)
            return -1;
        usleep(200);
    }
    return now_s() - t0;
}

/* An idle writer sleeps (a few wake-ups in 300 ms at most, where a timer
 * of a millisecond or less would make hundreds), and a hand-off wakes it
 * at once: the second line is written without any timer to wait for. */
Test(output, a_hand_off_wakes_the_sleeping_writer, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    struct spu_error err;
    struct output *o = output_open(path, 1, &err);
    cr_assert_not_null(o);
    struct output_producer *p = output_producer(o, 0);
    cr_assert_eq(output_producer_line(p, "{\"a\":1}", 7), 0);
    output_producer_flush(p);
    cr_assert_geq(wait_lines(o, 1, 10), 0);
    long idle = idle_wakeups();
    cr_expect_leq(idle, 3, "the idle writer woke %ld times in 300 ms", idle);
    cr_assert_eq(output_producer_line(p, "{\"b\":2}", 7), 0);
    output_producer_flush(p);
    /* nothing times the writer out of this sleep: only the wake-up can
     * write the line (a lost one leaves it asleep past the cap) */
    double took = wait_lines(o, 2, 10);
    cr_expect(took >= 0, "the second line was not written within 10 s");
    cr_assert_eq(output_close(o, NULL), 0);
    char *b = slurp(path);
    cr_expect_str_eq(b, "{\"a\":1}\n{\"b\":2}\n");
    free(b);
}

/* A file that has lines comes of age while no more arrive: the writer
 * rotates it on its own timer; the new, empty file then needs no timer
 * (the writer sleeps until the next line). */
Test(output, rotates_by_age_with_no_traffic_after, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128], p1[140];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    snprintf(p1, sizeof(p1), "%s.1", path);
    struct spu_error err;
    struct output_rotate rot = {0, 1};
    struct output *o = output_open_rotating(path, 1, &rot, &err);
    cr_assert_not_null(o);
    struct output_producer *p = output_producer(o, 0);
    double t0 = now_s();
    cr_assert_eq(output_producer_line(p, "{\"a\":1}", 7), 0);
    output_producer_flush(p);
    while (file_size(p1) < 0 && now_s() - t0 < 10)
        usleep(5000);
    double took = now_s() - t0;
    cr_assert_eq(file_size(p1), 8, "no rotation after %.1f s", took);
    cr_expect(took >= 0.9, "rotated after %.3f s, before the file was 1 s old", took);
    cr_expect_eq(file_size(path), 0);
    cr_expect_eq(output_rotations(o), 1);
    long idle = idle_wakeups();
    cr_expect_leq(idle, 3, "the writer woke %ld times over an empty file", idle);
    cr_expect_eq(output_rotations(o), 1);
    cr_assert_eq(output_producer_line(p, "{\"b\":2}", 7), 0);
    cr_assert_eq(output_close(o, NULL), 0);
    char *a = slurp(p1), *b = slurp(path);
    cr_expect_str_eq(a, "{\"a\":1}\n");
    cr_expect_str_eq(b, "{\"b\":2}\n");
    free(a);
    free(b);
}

/* A reopen request wakes the idle writer: the path is opened anew (here
 * created, after a move) with no line to write. */
Test(output, a_reopen_request_is_served_while_idle, .init = mkdir_tmp, .fini = rm_tmp)
{
    char path[128], moved[140];
    snprintf(path, sizeof(path), "%s/eve.json", dir);
    snprintf(moved, sizeof(moved), "%s/old.json", dir);
    struct spu_error err;
    struct output *o = output_open(path, 1, &err);
    cr_assert_not_null(o);
    struct output_producer *p = output_producer(o, 0);
    cr_assert_eq(output_producer_line(p, "{\"a\":1}", 7), 0);
    output_producer_flush(p);
    cr_assert_geq(wait_lines(o, 1, 10), 0);
    usleep(50000);
    cr_assert_eq(rename(path, moved), 0);
    double t0 = now_s();
    output_reopen(o);
    while (output_reopens(o) == 0 && now_s() - t0 < 10)
        usleep(200);
    double took = now_s() - t0;
    cr_expect_eq(output_reopens(o), 1);
    /* a writer left asleep would never reopen; the bound allows a loaded machine */
    cr_expect(took < 5, "the reopen took %.3f s", took);
    cr_expect_eq(file_size(path), 0);
    cr_assert_eq(output_close(o, NULL), 0);
    char *a = slurp(moved);
    cr_expect_str_eq(a, "{\"a\":1}\n");
    free(a);
}
