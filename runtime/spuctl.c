/*
 * spuctl.c - talk to a running spurun through its control socket: build
 * one JSON request from the command line, send it, print the reply as
 * readable text on a terminal or as JSON (--json, or when standard output
 * is not a terminal). The socket path follows spurun's rule (--control
 * PATH, else /run/spu/spurun.sock for root, else
 * $XDG_RUNTIME_DIR/spu/spurun.sock).
 *
 * Exit status: 0 done, 1 spurun refused the command (its message is
 * printed), 2 usage error, 3 spurun cannot be reached (no socket,
 * permission denied, connection lost).
 */
#include "control-cmd.h"
#include "control.h"
#include "err.h"
#include "version.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_REFUSED = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static const char usage[] =
    "usage: spuctl [--control PATH] [--json] [--timeout SECS] COMMAND [ARGS]\n"
    "\n"
    "  stats [--watch [SECS]]      the counters of the stats record (every SECS, default 1)\n"
    "  flows                       flows tracked, created and ended per worker\n"
    "  memory                      bytes in use and cap of every capped subsystem\n"
    "  reopen                      reopen the EVE file (after logrotate; as SIGUSR1)\n"
    "  shutdown                    stop spurun cleanly (as SIGTERM)\n"
    "  pcap FILE... [--wait]       queue capture files (spurun started without a source);\n"
    "                              --wait: until they are processed (exit 1 if one failed)\n"
    "  pcap status                 the capture file queue\n"
    "  subscribe [TYPE...]         stream the EVE records of these event types (all if none)\n"
    "  load NAME BUNDLE            load a bundle as application NAME\n"
    "  reload NAME [BUNDLE]        reload application NAME from its file or BUNDLE\n"
    "  stop NAME | start NAME | unload NAME\n"
    "  sessions NAME               the meta sessions of application NAME\n"
    "  list NAME show [LIST] | list NAME add|remove LIST VALUE...\n"
    "  shun list | shun add ADDR SECS | shun remove ADDR\n"
    "                              the shunned addresses (inline: their flows pass again\n"
    "                              once removed)\n"
    "  commands                    the commands and what they do\n"
    "\n"
    "  --control PATH  the socket (default: /run/spu/spurun.sock as root, else\n"
    "                  $XDG_RUNTIME_DIR/spu/spurun.sock)\n"
    "  --json          print JSON (the default when standard output is not a terminal)\n"
    "  --timeout SECS  wait at most SECS for a reply (default 10)\n"
    "  --version       the version\n"
    "\n"
    "Examples:\n"
    "  spuctl stats --watch 5          the counters every 5 seconds\n"
    "  spuctl memory                   memory in use against each cap\n"
    "  spuctl subscribe alert          alerts as they happen (JSON lines)\n"
    "  spuctl reload web /etc/spu/web.spb   swap in a new bundle\n"
    "  spuctl --control /run/spu/a.sock reopen   after logrotate moved eve.json\n"
    "\n"
    "Exit status: 0 done, 1 refused by spurun, 2 usage, 3 spurun unreachable.\n";

struct conn {
    int fd;
    const char *path;
    char buf[1 << 16];
    size_t len;
    int timeout_ms;
};

static int die_usage(const char *msg)
{
    fprintf(stderr, "spuctl: %s\n%s", msg, "try 'spuctl --help'\n");
    return EXIT_USAGE;
}

static int conn_open(struct conn *c)
{
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(c->path) >= sizeof(sa.sun_path)) {
        fprintf(stderr, "spuctl: %s: path too long for a socket\n", c->path);
        return EXIT_USAGE;
    }
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
    if (c->fd >= 0 && connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
        return 0;
    int e = errno;
    if (e == EACCES || e == EPERM) {
        struct stat st;
        if (stat(c->path, &st) == 0)
            fprintf(stderr,
                    "spuctl: %s: permission denied: the control socket is mode %03o and "
                    "belongs to uid %ld; run spuctl as that user\n",
                    c->path, (unsigned)(st.st_mode & 0777), (long)st.st_uid);
        else
            fprintf(stderr,
                    "spuctl: %s: permission denied (a directory on the way is closed "
                    "to this user)\n",
                    c->path);
    } else if (e == ENOENT) {
        fprintf(stderr,
                "spuctl: %s: no control socket (is spurun running with --control, or "
                "without a source?)\n",
                c->path);
    } else if (e == ECONNREFUSED) {
        fprintf(stderr,
                "spuctl: %s: connection refused (a stale socket: spurun is not "
                "running)\n",
                c->path);
    } else {
        fprintf(stderr, "spuctl: %s: %s\n", c->path, strerror(e));
    }
    return EXIT_UNREACHABLE;
}

/* One line from the socket into a new string; NULL when the connection
 * ended or the wait timed out (timeout_ms < 0: wait forever). */
static char *conn_line(struct conn *c, int timeout_ms)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->len);
        if (nl) {
            size_t n = (size_t)(nl - c->buf);
            char *s = malloc(n + 1);
            if (!s)
                return NULL;
            memcpy(s, c->buf, n);
            s[n] = 0;
            memmove(c->buf, nl + 1, c->len - n - 1);
            c->len -= n + 1;
            return s;
        }
        if (c->len == sizeof(c->buf)) {
            /* a record longer than the buffer: hand it out in pieces is
             * worse than failing loudly */
            fprintf(stderr, "spuctl: a reply line longer than %zu bytes\n", sizeof(c->buf));
            return NULL;
        }
        struct pollfd p = {c->fd, POLLIN, 0};
        int pr = poll(&p, 1, timeout_ms);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return NULL;
        ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return NULL;
        c->len += (size_t)n;
    }
}

/* Send a request and read its reply (new), or NULL when spurun did not
 * answer (message printed). */
static json_t *request(struct conn *c, const char *cmd, json_t *args)
{
    json_t *req = json_pack("{s:s}", "command", cmd);
    if (args)
        json_object_set_new(req, "arguments", args);
    char *s = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    size_t n = strlen(s);
    s[n] = '\n';
    ssize_t w = send(c->fd, s, n + 1, MSG_NOSIGNAL);
    free(s);
    if (w != (ssize_t)(n + 1)) {
        fprintf(stderr, "spuctl: %s: cannot send: %s\n", c->path, strerror(errno));
        return NULL;
    }
    char *line = conn_line(c, c->timeout_ms);
    if (!line) {
        fprintf(stderr, "spuctl: %s: no reply from spurun (%s)\n", c->path,
                c->len ? "incomplete" : "connection closed or timed out");
        return NULL;
    }
    json_error_t je;
    json_t *r = json_loads(line, 0, &je);
    if (!r || !json_is_object(r))
        fprintf(stderr, "spuctl: a reply that is not a JSON object: %.200s\n", line);
    free(line);
    return r;
}

static bool reply_ok(const json_t *r)
{
    const char *v = json_string_value(json_object_get(r, "return"));
    return v && strcmp(v, "OK") == 0;
}

/* ---- text output ---- */

static void print_flat(const char *prefix, const json_t *v, bool zeros)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x)
        {
            char p[256];
            snprintf(p, sizeof(p), "%s%s%s", prefix, *prefix ? "." : "", k);
            print_flat(p, x, zeros);
        }
        return;
    }
    if (json_is_integer(v) && !zeros && json_integer_value(v) == 0)
        return;
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    printf("%-48s %s\n", prefix, s ? s : "?");
    free(s);
}

static void text_stats(const json_t *m)
{
    printf("%-48s %s\n", "state", json_string_value(json_object_get(m, "state")));
    printf("%-48s %s\n", "timestamp", json_string_value(json_object_get(m, "timestamp")));
    print_flat("", json_object_get(m, "stats"), false);
    print_flat("spu", json_object_get(m, "spu"), false);
    print_flat("control", json_object_get(m, "control"), true);
}

static void text_flows(const json_t *m)
{
    printf("%-8s %10s %10s %10s %10s %10s %10s %10s %12s\n", "worker", "active", "created", "ended",
           "tcp", "udp", "timeout", "evicted", "queue_drops");
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(m, "workers"), i, w)
    {
#define F(k) (long long)json_integer_value(json_object_get(w, k))
        printf("%-8lld %10lld %10lld %10lld %10lld %10lld %10lld %10lld %12lld\n", F("worker"),
               F("active"), F("created"), F("ended"), F("tcp"), F("udp"), F("timeout"),
               F("evicted"), F("queue_drops"));
#undef F
    }
    printf("active flows: %lld, flow memory: %lld bytes (%s)\n",
           (long long)json_integer_value(json_object_get(m, "active")),
           (long long)json_integer_value(json_object_get(m, "memuse")),
           json_string_value(json_object_get(m, "state")));
}

static void text_memory(const json_t *m)
{
    printf("%-12s %14s %14s %6s %10s  %s\n", "subsystem", "in_use", "cap", "use%", "hits",
           "at the cap");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)m, k, v)
    {
        if (!json_is_object(v))
            continue;
        long long in_use = (long long)json_integer_value(json_object_get(v, "in_use"));
        long long cap = (long long)json_integer_value(json_object_get(v, "cap"));
        printf("%-12s %14lld %14lld %5.1f%% %10lld  %s\n", k, in_use, cap,
               cap > 0 ? 100.0 * (double)in_use / (double)cap : 0.0,
               (long long)json_integer_value(json_object_get(v, "hits")),
               json_string_value(json_object_get(v, "policy")));
    }
    printf("(%s)\n", json_string_value(json_object_get(m, "state")));
}

static void text_pcap_status(const json_t *m)
{
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(m, "files"), i, f)
    {
        printf("%4lld  %-8s %10lld pkts %10lld events  %s%s%s\n",
               (long long)json_integer_value(json_object_get(f, "id")),
               json_string_value(json_object_get(f, "state")),
               (long long)json_integer_value(json_object_get(f, "packets")),
               (long long)json_integer_value(json_object_get(f, "events")),
               json_string_value(json_object_get(f, "file")),
               json_object_get(f, "error") ? ": " : "",
               json_object_get(f, "error") ? json_string_value(json_object_get(f, "error")) : "");
    }
    printf("queued %lld, done %lld, failed %lld%s\n",
           (long long)json_integer_value(json_object_get(m, "queued")),
           (long long)json_integer_value(json_object_get(m, "done")),
           (long long)json_integer_value(json_object_get(m, "failed")),
           json_is_integer(json_object_get(m, "running")) ? ", one running" : "");
}

/* Print a reply; returns the exit status it means. */
static int show(const json_t *r, const char *cmd, bool json)
{
    if (json) {
        char *s = json_dumps(r, JSON_COMPACT);
        printf("%s\n", s);
        free(s);
        fflush(stdout);
    }
    const json_t *m = json_object_get(r, "message");
    if (!reply_ok(r)) {
        fprintf(stderr, "spuctl: %s: %s\n", cmd, json_string_value(m) ? json_string_value(m) : "?");
        return EXIT_REFUSED;
    }
    if (json)
        return 0;
    if (!strcmp(cmd, "stats"))
        text_stats(m);
    else if (!strcmp(cmd, "flows"))
        text_flows(m);
    else if (!strcmp(cmd, "memory"))
        text_memory(m);
    else if (!strcmp(cmd, "pcap-status"))
        text_pcap_status(m);
    else if (json_is_string(m))
        printf("%s\n", json_string_value(m));
    else {
        char *s = json_dumps(m, JSON_INDENT(2));
        printf("%s\n", s);
        free(s);
    }
    fflush(stdout);
    return 0;
}

/* ---- commands ---- */

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

static int cmd_watch(struct conn *c, double secs, bool json)
{
    for (;;) {
        json_t *r = request(c, "stats", NULL);
        if (!r)
            return EXIT_UNREACHABLE;
        if (!json)
            printf("\n");
        int st = show(r, "stats", json);
        json_decref(r);
        if (st)
            return st;
        nap_ms((long)(secs * 1000));
    }
}

static int cmd_pcap(struct conn *c, int argc, char **argv, bool json)
{
    bool wait = false;
    json_t *ids = json_array();
    int st = 0, nfiles = 0;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--wait"))
            wait = true;
    for (int i = 0; i < argc && !st; i++) {
        if (!strcmp(argv[i], "--wait"))
            continue;
        nfiles++;
        char *abs = realpath(argv[i], NULL);
        json_t *r = request(c, "pcap", json_pack("{s:s}", "file", abs ? abs : argv[i]));
        free(abs);
        if (!r) {
            st = EXIT_UNREACHABLE;
            break;
        }
        st = show(r, "pcap", json);
        if (!st)
            json_array_append(ids, json_object_get(json_object_get(r, "message"), "id"));
        json_decref(r);
    }
    if (!nfiles)
        st = die_usage("pcap: give FILE... or 'status'");
    while (wait && !st) {
        json_t *r = request(c, "pcap-status", NULL);
        if (!r) {
            st = EXIT_UNREACHABLE;
            break;
        }
        unsigned pending = 0, failed = 0;
        size_t i;
        json_t *id;
        json_t *files = json_object_get(json_object_get(r, "message"), "files");
        json_array_foreach(ids, i, id)
        {
            json_t *f = json_array_get(files, (size_t)json_integer_value(id));
            const char *state = json_string_value(json_object_get(f, "state"));
            if (!state || !strcmp(state, "queued") || !strcmp(state, "running"))
                pending++;
            else if (!strcmp(state, "failed"))
                failed++;
        }
        if (!pending) {
            json_array_foreach(ids, i, id)
            {
                json_t *f = json_array_get(files, (size_t)json_integer_value(id));
                if (json) {
                    char *s = json_dumps(f, JSON_COMPACT);
                    printf("%s\n", s);
                    free(s);
                } else
                    printf("%s: %s, %lld packets, %lld events%s%s\n",
                           json_string_value(json_object_get(f, "file")),
                           json_string_value(json_object_get(f, "state")),
                           (long long)json_integer_value(json_object_get(f, "packets")),
                           (long long)json_integer_value(json_object_get(f, "events")),
                           json_object_get(f, "error") ? ": " : "",
                           json_object_get(f, "error")
                               ? json_string_value(json_object_get(f, "error"))
                               : "");
            }
            json_decref(r);
            st = failed ? EXIT_REFUSED : 0;
            break;
        }
        json_decref(r);
        nap_ms(100);
    }
    json_decref(ids);
    return st;
}

static int cmd_subscribe(struct conn *c, int argc, char **argv, bool json)
{
    json_t *types = json_array();
    for (int i = 0; i < argc; i++) {
        char *dup = strdup(argv[i]), *save = NULL;
        for (char *t = strtok_r(dup, ",", &save); t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(types, json_string(t));
        free(dup);
    }
    json_t *args = json_array_size(types) ? json_pack("{s:o}", "types", types) : NULL;
    if (!args)
        json_decref(types);
    json_t *r = request(c, "subscribe", args);
    if (!r)
        return EXIT_UNREACHABLE;
    if (!reply_ok(r)) {
        int st = show(r, "subscribe", json);
        json_decref(r);
        return st;
    }
    json_decref(r);
    char *line;
    while ((line = conn_line(c, -1))) {
        printf("%s\n", line);
        fflush(stdout);
        free(line);
    }
    fprintf(stderr, "spuctl: subscription ended (spurun stopped, or it dropped this reader for "
                    "being slower than the traffic)\n");
    return 0;
}

static int cmd_commands(bool json)
{
    for (int i = 0; i < CONTROL_CMD__COUNT; i++) {
        if (json)
            printf("{\"command\":\"%s\",\"arguments\":\"%s\"}\n", control_cmd_name(i),
                   control_cmd_args(i));
        else
            printf("%-12s %-32s %s\n", control_cmd_name(i), control_cmd_args(i),
                   control_cmd_help(i));
    }
    return 0;
}

/* Commands whose arguments are positional strings: name and args order. */
static int cmd_generic(struct conn *c, const char *cmd, int argc, char **argv, bool json)
{
    int id = control_cmd_find(cmd);
    json_t *args = json_object();
    const char *spec = control_cmd_args(id);
    int i = 0;
    while (*spec) {
        while (*spec == ' ')
            spec++;
        if (!*spec)
            break;
        const char *colon = strchr(spec, ':');
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)(colon - spec), spec);
        char type = colon[1];
        bool opt = colon[2] == '?';
        spec = colon + 2 + (opt ? 1 : 0);
        if (type == 'a') {
            json_t *a = json_array();
            for (; i < argc; i++)
                json_array_append_new(a, json_string(argv[i]));
            if (json_array_size(a))
                json_object_set_new(args, key, a);
            else
                json_decref(a);
        } else if (i < argc && type == 'i') {
            char *end;
            long long v = strtoll(argv[i], &end, 10);
            if (end == argv[i] || *end || v < 0) {
                json_decref(args);
                char msg[300];
                snprintf(msg, sizeof(msg), "%s: %s: expected a number, not '%.64s'", cmd, key,
                         argv[i]);
                return die_usage(msg);
            }
            json_object_set_new(args, key, json_integer(v));
            i++;
        } else if (i < argc) {
            json_object_set_new(args, key, json_string(argv[i++]));
        } else if (!opt) {
            json_decref(args);
            char msg[128];
            snprintf(msg, sizeof(msg), "%s: missing %s", cmd, key);
            return die_usage(msg);
        }
    }
    if (i < argc) {
        json_decref(args);
        char msg[160];
        snprintf(msg, sizeof(msg), "%s: unexpected argument '%.100s'", cmd, argv[i]);
        return die_usage(msg);
    }
    if (!json_object_size(args)) {
        json_decref(args);
        args = NULL;
    }
    json_t *r = request(c, cmd, args);
    if (!r)
        return EXIT_UNREACHABLE;
    int st = show(r, cmd, json);
    json_decref(r);
    return st;
}

int main(int argc, char **argv)
{
    struct conn c = {.fd = -1, .timeout_ms = 10000};
    bool json = !isatty(STDOUT_FILENO);
    char defpath[200];
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--json")) {
            json = true;
        } else if (!strcmp(argv[i], "--control") && i + 1 < argc) {
            c.path = argv[++i];
        } else if (!strncmp(argv[i], "--control=", 10)) {
            c.path = argv[i] + 10;
        } else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) {
            double t = atof(argv[++i]);
            if (t <= 0)
                return die_usage("--timeout: expected seconds");
            c.timeout_ms = (int)(t * 1000);
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--version")) {
            printf("spuctl %s\n", SPU_VERSION);
            return 0;
        } else {
            char msg[160];
            snprintf(msg, sizeof(msg), "unknown option %.100s", argv[i]);
            return die_usage(msg);
        }
    }
    if (i == argc)
        return die_usage("no command");
    const char *cmd = argv[i++];
    int nargs = argc - i;
    char **args = argv + i;
    if (!strcmp(cmd, "commands"))
        return cmd_commands(json);
    if (!strcmp(cmd, "pcap") && nargs == 1 && !strcmp(args[0], "status")) {
        cmd = "pcap-status";
        nargs = 0;
    }
    if (control_cmd_find(cmd) < 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "unknown command '%.100s'", cmd);
        return die_usage(msg);
    }
    bool watch = false;
    double every = 1;
    if (!strcmp(cmd, "stats") && nargs >= 1 && !strcmp(args[0], "--watch")) {
        watch = true;
        if (nargs == 2 && (every = atof(args[1])) <= 0)
            return die_usage("stats --watch: expected seconds");
        if (nargs > 2)
            return die_usage("stats: usage: stats [--watch [SECS]]");
        nargs = 0;
    }
    if (!c.path) {
        struct spu_error err;
        if (control_default_path(defpath, sizeof(defpath), &err) != SPU_OK) {
            fprintf(stderr, "spuctl: %s\n", err.msg);
            return EXIT_USAGE;
        }
        c.path = defpath;
    }
    int st = conn_open(&c);
    if (st == 0) {
        if (watch)
            st = cmd_watch(&c, every, json);
        else if (!strcmp(cmd, "pcap"))
            st = cmd_pcap(&c, nargs, args, json);
        else if (!strcmp(cmd, "subscribe"))
            st = cmd_subscribe(&c, nargs, args, json);
        else
            st = cmd_generic(&c, cmd, nargs, args, json);
    }
    if (c.fd >= 0)
        close(c.fd);
    return st;
}
