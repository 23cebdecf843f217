/*
 * Unit tests for runtime/metrics-text.c and runtime/metrics.c: a stats
 * record rendered as Prometheus text (names, labels, types, grouping, the
 * all-rules list left out) and the endpoint served by libmicrohttpd
 * (fetched over a plain socket; 404 off /metrics; bad addresses refused).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "metrics-text.h"
#include "metrics.h"

static const char record_json[] =
    "{\"timestamp\":\"x\",\"event_type\":\"stats\","
    " \"stats\":{\"uptime\":5,\"decoder\":{\"pkts\":10,\"bytes\":1500},"
    "            \"flow\":{\"memuse\":4096},\"tcp\":{\"sessions\":2}},"
    " \"spu\":{\"thread\":\"main\",\"workers\":2,\"worker_queue_drops\":[0,3],"
    "   \"checksum_validation\":true,"
    "   \"per_worker\":[{\"worker\":0,\"pkts\":4},{\"worker\":1,\"pkts\":6}],"
    "   \"bundles\":[{\"name\":\"a\\\"b\",\"signed\":false}],"
    "   \"detect\":{\"alerts\":7,"
    "     \"rules\":[{\"bundle\":\"r\",\"gid\":1,\"signature_id\":9,\"ns\":1}],"
    "     \"top_rules\":[{\"bundle\":\"r\",\"gid\":1,\"signature_id\":9,\"ns\":123,"
    "                    \"matches\":2}]}}}";

static char *render(bool done)
{
    json_error_t je;
    json_t *rec = json_loads(record_json, 0, &je);
    cr_assert_not_null(rec, "%s", je.text);
    char *t = metrics_text_render(rec, done);
    json_decref(rec);
    cr_assert_not_null(t);
    return t;
}

static void has(const char *text, const char *line)
{
    char want[512];
    snprintf(want, sizeof(want), "\n%s\n", line);
    char *full = malloc(strlen(text) + 2);
    full[0] = '\n';
    strcpy(full + 1, text);
    cr_expect_not_null(strstr(full, want), "missing line '%s' in:\n%s", line, text);
    free(full);
}

Test(metrics_text, names_follow_the_record_paths)
{
    char *t = render(false);
    has(t, "# TYPE spu_stats_decoder_pkts counter");
    has(t, "spu_stats_decoder_pkts 10");
    has(t, "spu_stats_decoder_bytes 1500");
    has(t, "# TYPE spu_stats_flow_memuse gauge");
    has(t, "spu_stats_flow_memuse 4096");
    has(t, "spu_detect_alerts 7");
    has(t, "spu_checksum_validation 1");
    has(t, "spu_input_done 0");
    cr_expect_null(strstr(t, "thread"));
    free(t);
}

Test(metrics_text, arrays_become_labels)
{
    char *t = render(true);
    has(t, "spu_worker_queue_drops{worker=\"1\"} 3");
    has(t, "spu_per_worker_pkts{worker=\"0\"} 4");
    has(t, "spu_per_worker_pkts{worker=\"1\"} 6");
    has(t, "spu_bundles_signed{name=\"a\\\"b\"} 0");
    has(t, "spu_detect_top_rules_ns{bundle=\"r\",gid=\"1\",signature_id=\"9\"} 123");
    has(t, "spu_detect_top_rules_matches{bundle=\"r\",gid=\"1\",signature_id=\"9\"} 2");
    has(t, "spu_input_done 1");
    /* one entry per loaded rule is not exported: only the top N */
    cr_expect_null(strstr(t, "spu_detect_rules_ns"));
    free(t);
}

Test(metrics_text, one_type_line_per_name_and_samples_grouped)
{
    char *t = render(false);
    const char *p = strstr(t, "# TYPE spu_per_worker_pkts counter\n");
    cr_assert_not_null(p);
    p = strchr(p, '\n') + 1;
    cr_expect_eq(
        strncmp(p, "spu_per_worker_pkts{worker=\"0\"} 4\nspu_per_worker_pkts{worker=\"1\"} 6\n",
                66),
        0, "%.80s", p);
    cr_expect_null(
        strstr(strstr(t, "# TYPE spu_per_worker_pkts") + 1, "# TYPE spu_per_worker_pkts"));
    free(t);
}

static char *get(uint16_t port, const char *path)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(connect(s, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
    cr_assert_eq(write(s, req, (size_t)n), n);
    size_t cap = 1 << 16, len = 0;
    char *buf = calloc(1, cap);
    ssize_t r;
    while ((r = read(s, buf + len, cap - len - 1)) > 0)
        len += (size_t)r;
    close(s);
    return buf;
}

Test(metrics_server, serves_the_published_text)
{
    struct spu_error err;
    spu_error_clear(&err);
    struct metrics_server *m = metrics_server_new("127.0.0.1:0", &err);
    cr_assert_not_null(m, "%s", err.msg);
    uint16_t port = metrics_server_port(m);
    cr_assert_gt(port, 0);
    char *t = strdup("spu_x 1\n");
    metrics_server_publish(m, t);
    char *r = get(port, "/metrics");
    cr_expect_not_null(strstr(r, "200 OK"), "%s", r);
    cr_expect_not_null(strstr(r, "text/plain; version=0.0.4"), "%s", r);
    cr_expect_not_null(strstr(r, "\r\n\r\nspu_x 1\n"), "%s", r);
    free(r);
    metrics_server_publish(m, strdup("spu_x 2\n"));
    r = get(port, "/metrics");
    cr_expect_not_null(strstr(r, "\r\n\r\nspu_x 2\n"), "%s", r);
    free(r);
    r = get(port, "/");
    cr_expect_not_null(strstr(r, "404"), "%s", r);
    free(r);
    cr_expect_eq(metrics_server_scrapes(m), 2);
    metrics_server_free(m);
}

Test(metrics_server, refuses_bad_addresses)
{
    struct spu_error err;
    const char *bad[] = {"host:9100", "127.0.0.1:70000", "127.0.0.1:", "[::1", "1.2.3.4.5:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        spu_error_clear(&err);
        cr_expect_null(metrics_server_new(bad[i], &err), "%s accepted", bad[i]);
        cr_expect_eq(err.code, SPU_EINVAL, "%s: %d", bad[i], err.code);
    }
    metrics_server_free(NULL);
}
