/* control.c - the control socket server and its thread (see control.h). */
#include "control.h"

#include "err.h"
#include "grow.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONN 32

struct conn {
    int fd;   /* -1: free slot */
    char *in; /* CONTROL_LINE_MAX bytes */
    size_t inlen;
    char *out; /* replies and subscribed records; guarded by mu */
    size_t outlen, outcap;
    /* sub and dead are written under mu by both threads and read by the
     * control thread without it */
    _Atomic bool sub;  /* subscribed: publish() appends to out */
    json_t *types;     /* subscribed types (array of strings), NULL = all; mu */
    _Atomic bool dead; /* close now (dropped, or the peer went away) */
    bool closing;      /* close once out is sent (control thread only) */
};

struct control {
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    int lfd;
    int wake[2];
    pthread_t thread;
    bool started;
    _Atomic bool stop;
    struct control_handlers h;
    pthread_mutex_t mu;
    struct conn conns[MAX_CONN];
    _Atomic unsigned nsubs;
    _Atomic uint64_t connections, requests, bad_requests, sub_dropped, sub_records;
};

int control_default_path(char *buf, size_t len, struct spu_error *err)
{
    if (geteuid() == 0) {
        snprintf(buf, len, "/run/spu/spurun.sock");
        return SPU_OK;
    }
    const char *x = getenv("XDG_RUNTIME_DIR");
    if (!x || !*x)
        return spu_error_set(err, SPU_ENOTFOUND,
                             "no default control socket: XDG_RUNTIME_DIR is not set "
                             "(give --control PATH)");
    if ((size_t)snprintf(buf, len, "%s/spu/spurun.sock", x) >= len)
        return spu_error_set(err, SPU_ELIMIT, "control socket path too long");
    return SPU_OK;
}

const char *control_path(const struct control *c)
{
    return c->path;
}

static void wake(struct control *c)
{
    char b = 1;
    ssize_t w = write(c->wake[1], &b, 1);
    (void)w; /* a full pipe already wakes the thread */
}

/* Append to a connection's outbox; mu held. Returns false when out of memory. */
static bool out_append(struct conn *k, const char *p, size_t n)
{
    if (k->outlen + n > k->outcap) {
        size_t cap =
            n <= SIZE_MAX - k->outlen ? spu_grow_cap(k->outcap, k->outlen + n, 4096, SIZE_MAX) : 0;
        char *nb = cap ? realloc(k->out, cap) : NULL;
        if (!nb)
            return false;
        k->out = nb;
        k->outcap = cap;
    }
    memcpy(k->out + k->outlen, p, n);
    k->outlen += n;
    return true;
}

static bool type_wanted(const json_t *types, const char *t, size_t tlen)
{
    if (!types)
        return true;
    size_t i;
    const json_t *v;
    json_array_foreach(types, i, v)
    {
        if (json_string_length(v) == tlen && memcmp(json_string_value(v), t, tlen) == 0)
            return true;
    }
    return false;
}

void control_publish(struct control *c, const char *buf, size_t len)
{
    if (!c || atomic_load_explicit(&c->nsubs, memory_order_relaxed) == 0)
        return;
    static const char key[] = "\"event_type\":\"";
    bool queued = false;
    pthread_mutex_lock(&c->mu);
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl + 1 : end;
        /* the envelope's event_type is the first one in the line */
        const char *t = memmem(p, (size_t)(le - p), key, sizeof(key) - 1);
        const char *te =
            t ? memchr(t + sizeof(key) - 1, '"', (size_t)(le - t) - sizeof(key) + 1) : NULL;
        if (te) {
            t += sizeof(key) - 1;
            for (unsigned i = 0; i < MAX_CONN; i++) {
                struct conn *k = &c->conns[i];
                if (k->fd < 0 || !k->sub || k->dead || !type_wanted(k->types, t, (size_t)(te - t)))
                    continue;
                size_t n = (size_t)(le - p);
                if (k->outlen + n > CONTROL_SUB_MAX || !out_append(k, p, n)) {
                    k->dead = true;
                    k->sub = false;
                    atomic_fetch_sub(&c->nsubs, 1);
                    atomic_fetch_add(&c->sub_dropped, 1);
                } else {
                    atomic_fetch_add_explicit(&c->sub_records, 1, memory_order_relaxed);
                }
                queued = true;
            }
        }
        p = le;
    }
    pthread_mutex_unlock(&c->mu);
    if (queued)
        wake(c);
}

void control_counters(struct control *c, struct control_counters *o)
{
    o->connections = atomic_load(&c->connections);
    o->requests = atomic_load(&c->requests);
    o->bad_requests = atomic_load(&c->bad_requests);
    o->subscribers = atomic_load(&c->nsubs);
    o->sub_dropped = atomic_load(&c->sub_dropped);
    o->sub_records = atomic_load(&c->sub_records);
}

static void conn_close(struct control *c, struct conn *k)
{
    pthread_mutex_lock(&c->mu);
    if (k->sub)
        atomic_fetch_sub(&c->nsubs, 1);
    close(k->fd);
    k->fd = -1;
    free(k->in);
    free(k->out);
    json_decref(k->types);
    memset(k, 0, sizeof(*k));
    k->fd = -1;
    pthread_mutex_unlock(&c->mu);
}

static void queue_reply(struct control *c, struct conn *k, json_t *reply)
{
    char *s = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
    pthread_mutex_lock(&c->mu);
    static const char oom[] =
        "{\"return\":\"NOK\",\"error\":\"failed\",\"message\":\"out of memory\"}\n";
    if (!s || !out_append(k, s, strlen(s)) || !out_append(k, "\n", 1))
        if (!out_append(k, oom, sizeof(oom) - 1))
            k->dead = true;
    pthread_mutex_unlock(&c->mu);
    free(s);
}

static void handle_line(struct control *c, struct conn *k, const char *line, size_t len)
{
    int cmd;
    json_t *args = NULL;
    json_t *reply = control_cmd_handle(&c->h, line, len, &cmd, &args);
    atomic_fetch_add(&c->requests, 1);
    bool ok = reply && strcmp(json_string_value(json_object_get(reply, "return")), "OK") == 0;
    if (!ok)
        atomic_fetch_add(&c->bad_requests, 1);
    queue_reply(c, k, reply);
    if (ok && cmd == CONTROL_CMD_SUBSCRIBE) {
        pthread_mutex_lock(&c->mu);
        json_t *t = args ? json_object_get(args, "types") : NULL;
        k->types = t && json_array_size(t) ? json_incref(t) : NULL;
        if (!k->sub)
            atomic_fetch_add(&c->nsubs, 1);
        k->sub = true;
        pthread_mutex_unlock(&c->mu);
    }
    json_decref(args);
    json_decref(reply);
}

static void conn_read(struct control *c, struct conn *k)
{
    for (;;) {
        ssize_t n = read(k->fd, k->in + k->inlen, CONTROL_LINE_MAX - k->inlen);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                k->dead = true;
            return;
        }
        if (n == 0) {
            /* the peer is done sending: answer what it sent, then close
             * (a subscriber that hangs up is gone) */
            if (k->sub)
                k->dead = true;
            k->closing = true;
            return;
        }
        k->inlen += (size_t)n;
        size_t start = 0;
        for (size_t i = k->inlen - (size_t)n; i < k->inlen; i++) {
            if (k->in[i] != '\n')
                continue;
            size_t l = i - start;
            if (l && k->in[start + l - 1] == '\r')
                l--;
            if (l)
                handle_line(c, k, k->in + start, l);
            start = i + 1;
        }
        memmove(k->in, k->in + start, k->inlen - start);
        k->inlen -= start;
        if (k->inlen == CONTROL_LINE_MAX) {
            char msg[96];
            snprintf(msg, sizeof(msg), "request line longer than %u bytes", CONTROL_LINE_MAX);
            json_t *r = control_reply_error("bad-request", msg, NULL);
            queue_reply(c, k, r);
            json_decref(r);
            atomic_fetch_add(&c->requests, 1);
            atomic_fetch_add(&c->bad_requests, 1);
            k->inlen = 0;
            k->closing = true;
            return;
        }
    }
}

/* Send what is waiting, as much as the socket takes; mu held. */
static void conn_write(struct conn *k)
{
    size_t off = 0;
    while (off < k->outlen && !k->dead) {
        ssize_t w = send(k->fd, k->out + off, k->outlen - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                k->dead = true;
            break;
        }
        off += (size_t)w;
    }
    if (off) {
        memmove(k->out, k->out + off, k->outlen - off);
        k->outlen -= off;
    }
    if (k->outlen == 0 && k->outcap > 256u * 1024u) {
        /* a burst grew it: give the memory back once it is sent */
        free(k->out);
        k->out = NULL;
        k->outcap = 0;
    }
}

static void conn_accept(struct control *c)
{
    int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return;
    atomic_fetch_add(&c->connections, 1);
    for (unsigned i = 0; i < MAX_CONN; i++) {
        struct conn *k = &c->conns[i];
        if (k->fd >= 0)
            continue;
        k->in = malloc(CONTROL_LINE_MAX);
        if (!k->in)
            break;
        pthread_mutex_lock(&c->mu);
        k->fd = fd;
        pthread_mutex_unlock(&c->mu);
        return;
    }
    static const char busy[] =
        "{\"return\":\"NOK\",\"error\":\"failed\",\"message\":\"too many control connections\"}\n";
    ssize_t w = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    (void)w;
    close(fd);
}

static void *control_main(void *arg)
{
    struct control *c = arg;
    struct pollfd pf[MAX_CONN + 2];
    int slot[MAX_CONN + 2];
    while (!atomic_load(&c->stop)) {
        unsigned n = 0;
        pf[n] = (struct pollfd){c->lfd, POLLIN, 0};
        slot[n++] = -1;
        pf[n] = (struct pollfd){c->wake[0], POLLIN, 0};
        slot[n++] = -1;
        pthread_mutex_lock(&c->mu);
        for (unsigned i = 0; i < MAX_CONN; i++) {
            struct conn *k = &c->conns[i];
            if (k->fd < 0)
                continue;
            short ev = (short)((k->closing ? 0 : POLLIN) | (k->outlen ? POLLOUT : 0));
            pf[n] = (struct pollfd){k->fd, ev, 0};
            slot[n++] = (int)i;
        }
        pthread_mutex_unlock(&c->mu);
        if (poll(pf, n, 500) < 0 && errno != EINTR)
            break;
        if (pf[1].revents & POLLIN) {
            char drain[256];
            while (read(c->wake[0], drain, sizeof(drain)) > 0)
                ;
        }
        for (unsigned j = 2; j < n; j++) {
            struct conn *k = &c->conns[slot[j]];
            if (pf[j].revents & POLLIN)
                conn_read(c, k);
            else if (pf[j].revents & (POLLHUP | POLLERR | POLLNVAL))
                k->dead = true;
        }
        for (unsigned i = 0; i < MAX_CONN; i++) {
            struct conn *k = &c->conns[i];
            if (k->fd < 0)
                continue;
            pthread_mutex_lock(&c->mu);
            conn_write(k);
            bool done = k->dead || (k->closing && k->outlen == 0);
            pthread_mutex_unlock(&c->mu);
            if (done)
                conn_close(c, k);
        }
        if (pf[0].revents & POLLIN)
            conn_accept(c);
    }
    return NULL;
}

/* Make room for the socket at path: refuse a live one, remove a stale one. */
static int clear_path(const char *path, struct spu_error *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? SPU_OK
                               : spu_error_set(err, SPU_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISSOCK(st.st_mode))
        return spu_error_set(err, SPU_EEXIST, "%s exists and is not a socket", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return spu_error_set(err, SPU_EIO, "socket: %s", strerror(errno));
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    close(fd);
    if (rc == 0)
        return spu_error_set(err, SPU_EEXIST, "%s: another spurun is listening on it", path);
    if (e != ECONNREFUSED)
        return spu_error_set(err, SPU_EIO, "%s: %s", path, strerror(e));
    if (unlink(path) != 0)
        return spu_error_set(err, SPU_EIO, "%s: cannot remove the stale socket: %s", path,
                             strerror(errno));
    return SPU_OK;
}

static int make_parent(const char *path, struct spu_error *err)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return SPU_OK;
    *slash = 0;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return spu_error_set(err, SPU_EIO, "%s: cannot create the directory: %s", dir,
                             strerror(errno));
    return SPU_OK;
}

struct control *control_new(const char *path, const struct control_handlers *h,
                            struct spu_error *err)
{
    struct control *c = NULL;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (!*path || strlen(path) >= sizeof(sa.sun_path)) {
        spu_error_set(err, SPU_EINVAL, "control socket path empty or longer than %zu bytes",
                      sizeof(sa.sun_path) - 1);
        return NULL;
    }
    if (make_parent(path, err) != SPU_OK || clear_path(path, err) != SPU_OK)
        return NULL;
    c = calloc(1, sizeof(*c));
    if (!c) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    c->lfd = c->wake[0] = c->wake[1] = -1;
    for (unsigned i = 0; i < MAX_CONN; i++)
        c->conns[i].fd = -1;
    pthread_mutex_init(&c->mu, NULL);
    if (h)
        c->h = *h;
    snprintf(c->path, sizeof(c->path), "%s", path);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->lfd < 0 || pipe2(c->wake, O_NONBLOCK | O_CLOEXEC) != 0) {
        spu_error_set(err, SPU_EIO, "control socket: %s", strerror(errno));
        goto fail;
    }
    /* the socket is born 0600: nobody else can connect in between */
    mode_t old = umask(0177);
    int rc = bind(c->lfd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    umask(old);
    if (rc != 0) {
        spu_error_set(err, SPU_EIO, "%s: cannot bind: %s", path, strerror(e));
        goto fail;
    }
    if (chmod(path, 0600) != 0 || listen(c->lfd, 16) != 0) {
        spu_error_set(err, SPU_EIO, "%s: %s", path, strerror(errno));
        unlink(path);
        goto fail;
    }
    if (pthread_create(&c->thread, NULL, control_main, c) != 0) {
        spu_error_set(err, SPU_EIO, "cannot start the control thread");
        unlink(path);
        goto fail;
    }
    c->started = true;
    return c;
fail:
    if (c->lfd >= 0)
        close(c->lfd);
    if (c->wake[0] >= 0) {
        close(c->wake[0]);
        close(c->wake[1]);
    }
    pthread_mutex_destroy(&c->mu);
    free(c);
    return NULL;
}

void control_free(struct control *c)
{
    if (!c)
        return;
    atomic_store(&c->stop, true);
    wake(c);
    pthread_join(c->thread, NULL);
    /* last replies (a shutdown's "ok") go out before the connections close */
    for (unsigned i = 0; i < MAX_CONN; i++) {
        struct conn *k = &c->conns[i];
        if (k->fd < 0)
            continue;
        pthread_mutex_lock(&c->mu);
        conn_write(k);
        pthread_mutex_unlock(&c->mu);
        conn_close(c, k);
    }
    close(c->lfd);
    unlink(c->path);
    close(c->wake[0]);
    close(c->wake[1]);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
