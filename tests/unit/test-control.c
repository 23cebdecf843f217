/* Unit tests for runtime/control-cmd.c (request checking, the command
 * table) and runtime/control.c (the socket: mode, live/stale handling,
 * line protocol, subscriptions). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "err.h"

/* A handler that echoes its arguments, counting calls. */
static int echo(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    (*(int *)ctx)++;
    *result = json_deep_copy(args);
    return SPU_OK;
}

static int refuse(void *ctx, const json_t *args, json_t **result, struct spu_error *err)
{
    (*(int *)ctx)++;
    return spu_error_set(err, SPU_ENOTFOUND, "no such application '%s'",
                         json_string_value(json_object_get(args, "name")));
}

static json_t *ask(const struct control_handlers *h, const char *line, int *cmd)
{
    json_t *r = control_cmd_handle(h, line, strlen(line), cmd, NULL);
    cr_assert_not_null(r);
    return r;
}

static const char *field(const json_t *r, const char *k)
{
    return json_string_value(json_object_get(r, k));
}

Test(control_cmd, table_names_and_lookup)
{
    cr_assert_eq(control_cmd_find("stats"), CONTROL_CMD_STATS);
    cr_assert_eq(control_cmd_find("pcap-status"), CONTROL_CMD_PCAP_STATUS);
    cr_assert_eq(control_cmd_find("subscribe"), CONTROL_CMD_SUBSCRIBE);
    cr_assert_eq(control_cmd_find("nope"), -1);
    for (int i = 0; i < CONTROL_CMD__COUNT; i++)
        cr_assert_eq(control_cmd_find(control_cmd_name(i)), i);
    cr_assert_str_eq(control_cmd_args(CONTROL_CMD_LOAD), "name:s bundle:s");
}

Test(control_cmd, ok_reply_carries_result_and_id)
{
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .pcap = echo};
    int cmd;
    json_t *r =
        ask(&h, "{\"command\":\"pcap\",\"arguments\":{\"file\":\"/x.pcap\"},\"id\":42}", &cmd);
    cr_assert_eq(calls, 1);
    cr_assert_eq(cmd, CONTROL_CMD_PCAP);
    cr_assert_str_eq(field(r, "return"), "OK");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(r, "message"), "file")),
                     "/x.pcap");
    cr_assert_eq(json_integer_value(json_object_get(r, "id")), 42);
    json_decref(r);
}

Test(control_cmd, missing_handler_is_not_available)
{
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .stats = echo};
    int cmd;
    json_t *r = ask(&h, "{\"command\":\"reload\",\"arguments\":{\"name\":\"web\"}}", &cmd);
    cr_assert_str_eq(field(r, "return"), "NOK");
    cr_assert_str_eq(field(r, "error"), "not-available");
    cr_assert_str_eq(field(r, "message"), "reload: not available in this build");
    cr_assert_eq(calls, 0);
    json_decref(r);
}

Test(control_cmd, bad_requests_get_their_kind_of_error)
{
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .stats = echo, .pcap = echo, .load = echo};
    struct {
        const char *line, *kind, *msg_part;
    } cases[] = {
        {"not json", "parse", "not JSON"},
        {"{\"command\":", "parse", "not JSON"},
        {"[1,2]", "bad-request", "\"command\" string"},
        {"{\"cmd\":\"stats\"}", "bad-request", "\"command\" string"},
        {"{\"command\":7}", "bad-request", "\"command\" string"},
        {"{\"command\":\"stats\",\"extra\":1}", "bad-request", "unknown request member \"extra\""},
        {"{\"command\":\"frobnicate\"}", "unknown-command", "unknown command \"frobnicate\""},
        {"{\"command\":\"pcap\"}", "bad-arguments", "missing argument \"file\""},
        {"{\"command\":\"pcap\",\"arguments\":{\"file\":3}}", "bad-arguments",
         "\"file\" must be a string"},
        {"{\"command\":\"pcap\",\"arguments\":{\"file\":\"\"}}", "bad-arguments",
         "\"file\" must be a string"},
        {"{\"command\":\"pcap\",\"arguments\":{\"file\":\"a\",\"x\":1}}", "bad-arguments",
         "unknown argument \"x\""},
        {"{\"command\":\"pcap\",\"arguments\":[]}", "bad-arguments", "must be an object"},
        {"{\"command\":\"load\",\"arguments\":{\"name\":\"web\"}}", "bad-arguments",
         "missing argument \"bundle\""},
        {"{\"command\":\"subscribe\",\"arguments\":{\"types\":[\"http\",1]}}", "bad-arguments",
         "array of strings"},
        {"{\"command\":\"stats\",\"command\":\"stats\"}", "parse", "duplicate"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int cmd;
        json_t *r = ask(&h, cases[i].line, &cmd);
        cr_assert_str_eq(field(r, "return"), "NOK", "%s", cases[i].line);
        cr_assert_str_eq(field(r, "error"), cases[i].kind, "%s", cases[i].line);
        cr_assert_not_null(strstr(field(r, "message"), cases[i].msg_part), "%s: %s", cases[i].line,
                           field(r, "message"));
        json_decref(r);
    }
    cr_assert_eq(calls, 0);
}

Test(control_cmd, handler_failure_is_reported_with_its_message)
{
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .unload = refuse};
    int cmd;
    json_t *r =
        ask(&h, "{\"command\":\"unload\",\"arguments\":{\"name\":\"mail\"},\"id\":\"a\"}", &cmd);
    cr_assert_eq(calls, 1);
    cr_assert_str_eq(field(r, "error"), "failed");
    cr_assert_str_eq(field(r, "message"), "no such application 'mail'");
    cr_assert_str_eq(field(r, "id"), "a");
    json_decref(r);
}

Test(control_cmd, optional_arguments_and_no_arguments)
{
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .subscribe = echo, .reload = echo};
    int cmd;
    json_t *args = NULL;
    json_t *r = control_cmd_handle(&h, "{\"command\":\"subscribe\"}", 23, &cmd, &args);
    cr_assert_str_eq(field(r, "return"), "OK");
    cr_assert_null(args);
    json_decref(r);
    const char *l = "{\"command\":\"subscribe\",\"arguments\":{\"types\":[\"flow\"]}}";
    r = control_cmd_handle(&h, l, strlen(l), &cmd, &args);
    cr_assert_eq(cmd, CONTROL_CMD_SUBSCRIBE);
    cr_assert_not_null(args);
    cr_assert_eq(json_array_size(json_object_get(args, "types")), 1);
    json_decref(args);
    json_decref(r);
    r = ask(&h, "{\"command\":\"reload\",\"arguments\":{\"name\":\"web\"}}", &cmd);
    cr_assert_str_eq(field(r, "return"), "OK");
    json_decref(r);
    cr_assert_eq(calls, 3);
}

/* ---- the socket ---- */

static void sock_path(char *buf, size_t len, const char *tag)
{
    snprintf(buf, len, "/tmp/spu-test-control-%d-%s.sock", (int)getpid(), tag);
    unlink(buf);
}

static int dial(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* One line from fd (at most len-1 bytes), waiting up to 5 s. */
static void read_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        struct pollfd p = {fd, POLLIN, 0};
        cr_assert_eq(poll(&p, 1, 5000), 1, "no reply");
        char ch;
        cr_assert_eq(read(fd, &ch, 1), 1);
        if (ch == '\n')
            break;
        buf[n++] = ch;
    }
    buf[n] = 0;
}

static void say(int fd, const char *s)
{
    cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

Test(control, socket_is_0600_and_answers_line_by_line)
{
    char path[108];
    sock_path(path, sizeof(path), "a");
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .stats = echo};
    struct spu_error err;
    struct control *c = control_new(path, &h, &err);
    cr_assert_not_null(c, "%s", err.msg);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0600);
    int fd = dial(path);
    /* two requests in one write, the second split across two */
    say(fd, "{\"command\":\"stats\",\"id\":1}\n{\"command\":");
    char line[512];
    read_line(fd, line, sizeof(line));
    cr_assert_str_eq(line, "{\"return\":\"OK\",\"message\":{},\"id\":1}");
    say(fd, "\"nope\"}\r\n");
    read_line(fd, line, sizeof(line));
    cr_assert_not_null(strstr(line, "\"error\":\"unknown-command\""), "%s", line);
    close(fd);
    struct control_counters k;
    control_counters(c, &k);
    cr_assert_eq(k.requests, 2);
    cr_assert_eq(k.bad_requests, 1);
    control_free(c);
    cr_assert_neq(access(path, F_OK), 0, "the socket is removed");
}

Test(control, live_socket_refused_stale_one_replaced)
{
    char path[108];
    sock_path(path, sizeof(path), "b");
    struct spu_error err;
    struct control *c = control_new(path, NULL, &err);
    cr_assert_not_null(c);
    cr_assert_null(control_new(path, NULL, &err));
    cr_assert_eq(err.code, SPU_EEXIST);
    cr_assert_not_null(strstr(err.msg, "another spurun is listening"));
    control_free(c);
    /* a stale socket: bound, never listened on, its owner gone */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    c = control_new(path, NULL, &err);
    cr_assert_not_null(c, "%s", err.msg);
    control_free(c);
    /* a plain file is not ours to remove */
    FILE *f = fopen(path, "w");
    fclose(f);
    cr_assert_null(control_new(path, NULL, &err));
    cr_assert_not_null(strstr(err.msg, "not a socket"));
    unlink(path);
}

Test(control, overlong_line_is_refused)
{
    char path[108];
    sock_path(path, sizeof(path), "c");
    struct spu_error err;
    struct control *c = control_new(path, NULL, &err);
    cr_assert_not_null(c);
    int fd = dial(path);
    char *big = malloc(CONTROL_LINE_MAX + 10);
    memset(big, 'x', CONTROL_LINE_MAX + 10);
    ssize_t w = 0;
    while (w < (ssize_t)CONTROL_LINE_MAX) {
        ssize_t n = write(fd, big + w, CONTROL_LINE_MAX + 10 - (size_t)w);
        if (n <= 0)
            break;
        w += n;
    }
    char line[512];
    read_line(fd, line, sizeof(line));
    cr_assert_not_null(strstr(line, "longer than"), "%s", line);
    free(big);
    close(fd);
    control_free(c);
}

Test(control, subscribers_get_their_types_only)
{
    char path[108];
    sock_path(path, sizeof(path), "d");
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .subscribe = echo};
    struct spu_error err;
    struct control *c = control_new(path, &h, &err);
    cr_assert_not_null(c);
    int fd = dial(path);
    say(fd, "{\"command\":\"subscribe\",\"arguments\":{\"types\":[\"flow\",\"stats\"]}}\n");
    char line[512];
    read_line(fd, line, sizeof(line));
    cr_assert_not_null(strstr(line, "\"OK\""));
    struct control_counters k = {0};
    /* the control thread registers it: up to 30 s on a loaded machine */
    for (int i = 0; i < 3000 && k.subscribers == 0; i++) {
        control_counters(c, &k);
        if (k.subscribers == 0)
            usleep(10000);
    }
    cr_assert_eq(k.subscribers, 1);
    const char recs[] = "{\"timestamp\":\"t\",\"event_type\":\"flow\",\"n\":1}\n"
                        "{\"timestamp\":\"t\",\"event_type\":\"anomaly\",\"n\":2}\n"
                        "{\"timestamp\":\"t\",\"event_type\":\"stats\",\"n\":3}\n";
    control_publish(c, recs, sizeof(recs) - 1);
    read_line(fd, line, sizeof(line));
    cr_assert_str_eq(line, "{\"timestamp\":\"t\",\"event_type\":\"flow\",\"n\":1}");
    read_line(fd, line, sizeof(line));
    cr_assert_str_eq(line, "{\"timestamp\":\"t\",\"event_type\":\"stats\",\"n\":3}");
    control_counters(c, &k);
    cr_assert_eq(k.sub_records, 2);
    close(fd);
    control_free(c);
}

Test(control, slow_subscriber_is_dropped_not_waited_for)
{
    char path[108];
    sock_path(path, sizeof(path), "e");
    int calls = 0;
    struct control_handlers h = {.ctx = &calls, .subscribe = echo};
    struct spu_error err;
    struct control *c = control_new(path, &h, &err);
    cr_assert_not_null(c);
    int fd = dial(path);
    say(fd, "{\"command\":\"subscribe\"}\n");
    char line[512];
    read_line(fd, line, sizeof(line));
    struct control_counters k = {0};
    for (int i = 0; i < 3000 && k.subscribers == 0; i++) {
        control_counters(c, &k);
        if (k.subscribers == 0)
            usleep(10000);
    }
    cr_assert_eq(k.subscribers, 1, "registered before the records come");
    /* the client never reads: 1 KiB records, far more than the cap plus
     * what the socket buffers hold */
    char rec[1024];
    memset(rec, 'a', sizeof(rec));
    memcpy(rec, "{\"event_type\":\"flow\",\"x\":\"", 26);
    memcpy(rec + sizeof(rec) - 3, "\"}\n", 3);
    for (unsigned i = 0; i < 3 * CONTROL_SUB_MAX / sizeof(rec); i++)
        control_publish(c, rec, sizeof(rec));
    control_counters(c, &k);
    cr_assert_eq(k.sub_dropped, 1);
    cr_assert_eq(k.subscribers, 0);
    close(fd);
    control_free(c);
}

Test(control, default_path_rule)
{
    char buf[200];
    struct spu_error err;
    cr_assert_eq(control_default_path(buf, sizeof(buf), &err), SPU_OK);
    if (geteuid() == 0)
        cr_assert_str_eq(buf, "/run/spu/spurun.sock");
    else
        cr_assert_not_null(strstr(buf, "/spu/spurun.sock"));
}
