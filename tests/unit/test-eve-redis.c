/* Unit tests for runtime/eve-redis.c against a fake Redis on a local port
 * (a thread that answers the RESP commands it reads): a server that
 * refuses XADD with -LOADING (Redis reading its append-only file after a
 * restart) has not taken the lines: they are spooled and sent again once
 * it answers, never counted as sent and lost. A real Redis killed and
 * restarted under a replay: tests/e2e/spam-eve-redis.sh. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "err.h"
#include "eve-redis.h"

struct fake {
    int lfd;
    int port;
    const char *first_reply; /* to each command of the first connection */
    int conns;               /* connections served */
    char got[4096];          /* what the second connection sent */
};

static int count(const char *s, const char *w)
{
    int n = 0;
    for (const char *p = strstr(s, w); p; p = strstr(p + 1, w))
        n++;
    return n;
}

/* Serve one connection: read commands until `want` XADDs came (or 2 s of
 * silence), answer each with `reply`, then wait for the client to close. */
static void serve_one(int c, int want, const char *reply, char *got, size_t cap)
{
    size_t n = 0;
    got[0] = 0;
    struct pollfd p = {c, POLLIN, 0};
    while (count(got, "XADD") < want && poll(&p, 1, 2000) > 0) {
        ssize_t r = read(c, got + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
        got[n] = 0;
    }
    for (int i = count(got, "XADD"); i > 0; i--)
        cr_assert_eq(write(c, reply, strlen(reply)), (ssize_t)strlen(reply));
    char sink[256];
    while (poll(&p, 1, 2000) > 0 && read(c, sink, sizeof(sink)) > 0)
        ;
    close(c);
}

static void *serve(void *arg)
{
    struct fake *f = arg;
    char buf[4096];
    for (int i = 0; i < 2; i++) {
        struct pollfd p = {f->lfd, POLLIN, 0};
        if (poll(&p, 1, 3000) <= 0)
            break;
        int c = accept(f->lfd, NULL, NULL);
        if (c < 0)
            break;
        f->conns++;
        if (i == 0)
            serve_one(c, 2, f->first_reply, buf, sizeof(buf));
        else
            serve_one(c, 2, "$3\r\n1-0\r\n", f->got, sizeof(f->got));
    }
    return NULL;
}

static void fake_listen(struct fake *f)
{
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_geq(f->lfd, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    cr_assert_eq(listen(f->lfd, 4), 0);
    socklen_t l = sizeof(a);
    cr_assert_eq(getsockname(f->lfd, (struct sockaddr *)&a, &l), 0);
    f->port = ntohs(a.sin_port);
}

/* Start the fake server (its thread in *t) and an eve_redis writing to
 * it, with its spool at the mkstemp template `spool`. */
static struct eve_redis *open_fake(struct fake *f, pthread_t *t, char *spool)
{
    fake_listen(f);
    cr_assert_eq(pthread_create(t, NULL, serve, f), 0);
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/eve", f->port);
    int fd = mkstemp(spool);
    cr_assert_geq(fd, 0);
    close(fd);
    struct spu_error err;
    spu_error_clear(&err);
    struct eve_redis *e = eve_redis_new(url, spool, 0, false, NULL, &err);
    cr_assert_not_null(e, "%s", err.msg);
    return e;
}

Test(eve_redis, a_redis_still_loading_has_not_taken_the_lines)
{
    struct fake f = {.first_reply = "-LOADING Redis is loading the dataset in memory\r\n"};
    pthread_t t;
    char spool[] = "/tmp/spu-eve-redis-XXXXXX";
    struct eve_redis *e = open_fake(&f, &t, spool);
    cr_assert_eq(eve_redis_tap(e, "line-a\nline-b\n", 14), SPU_OK);
    struct eve_redis_stats st;
    eve_redis_stats(e, &st);
    cr_assert_eq(st.sent, 0, "refused with -LOADING: not sent");
    cr_assert_eq(st.spooled, 2);
    cr_assert_eq(st.dropped, 0);
    eve_redis_free(e, 3000); /* replays once the server answers */
    pthread_join(t, NULL);
    close(f.lfd);
    cr_assert_eq(f.conns, 2, "reconnected");
    cr_assert_not_null(strstr(f.got, "\r\nline-a\r\n"), "%s", f.got);
    cr_assert_not_null(strstr(f.got, "\r\nline-b\r\n"), "%s", f.got);
    cr_assert_lt(strstr(f.got, "line-a"), strstr(f.got, "line-b"), "in order");
    cr_assert_neq(access(spool, F_OK), 0, "the spool is removed once empty");
}

/* A wrong command (here: the stream key holds another type) is an error
 * of the line, not of Redis: counted, not sent again for ever. */
Test(eve_redis, a_refused_line_is_counted_not_retried)
{
    struct fake f = {.first_reply = "-WRONGTYPE Operation against a key holding the wrong kind "
                                    "of value\r\n"};
    pthread_t t;
    char spool[] = "/tmp/spu-eve-redis-XXXXXX";
    struct eve_redis *e = open_fake(&f, &t, spool);
    cr_assert_eq(eve_redis_tap(e, "line-a\nline-b\n", 14), SPU_OK);
    struct eve_redis_stats st;
    eve_redis_stats(e, &st);
    cr_assert_eq(st.errors, 2);
    cr_assert_eq(st.spooled, 0);
    eve_redis_free(e, 0);
    pthread_join(t, NULL);
    close(f.lfd);
    cr_assert_eq(f.conns, 1, "no second connection");
}
