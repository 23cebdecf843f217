/* metrics.c - the Prometheus endpoint on libmicrohttpd (see metrics.h). */
#include "metrics.h"

#include "err.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct metrics_server {
    struct MHD_Daemon *d;
    pthread_mutex_t mu;
    char *text; /* owned; NULL until the first publish */
    size_t len;
    uint16_t port;
    _Atomic uint64_t scrapes;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    struct metrics_server *m = cls;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)state;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        struct MHD_Response *r =
            MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
        MHD_destroy_response(r);
        return rc;
    }
    unsigned status = MHD_HTTP_OK;
    struct MHD_Response *r;
    if (strcmp(url, "/metrics") != 0) {
        static const char nf[] = "not found: try /metrics\n";
        status = MHD_HTTP_NOT_FOUND;
        r = MHD_create_response_from_buffer(sizeof(nf) - 1, (void *)nf, MHD_RESPMEM_PERSISTENT);
    } else {
        pthread_mutex_lock(&m->mu);
        r = MHD_create_response_from_buffer(m->len, m->text ? m->text : (void *)"",
                                            MHD_RESPMEM_MUST_COPY);
        pthread_mutex_unlock(&m->mu);
        atomic_fetch_add(&m->scrapes, 1);
    }
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4");
    enum MHD_Result rc = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return rc;
}

/* Split ADDR:PORT into a socket address. */
static int parse_addr(const char *s, struct sockaddr_storage *ss, struct spu_error *err)
{
    char host[256] = "";
    const char *port;
    const char *colon = strrchr(s, ':');
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
            return spu_error_set(err, SPU_EINVAL, "--metrics: expected [ADDR]:PORT, got '%s'", s);
        memcpy(host, s + 1, (size_t)(close - s - 1));
        port = close + 2;
    } else if (colon) {
        if ((size_t)(colon - s) >= sizeof(host))
            return spu_error_set(err, SPU_EINVAL, "--metrics: address too long");
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = 0;
        port = colon + 1;
    } else {
        port = s;
    }
    char *end;
    unsigned long p = strtoul(port, &end, 10);
    if (!*port || *end || p > 65535)
        return spu_error_set(err, SPU_EINVAL, "--metrics: bad port in '%s'", s);
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
    int g = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (g != 0 || !res)
        return spu_error_set(err, SPU_EINVAL, "--metrics: bad address '%s': %s", s,
                             gai_strerror(g));
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return SPU_OK;
}

struct metrics_server *metrics_server_new(const char *addr_port, struct spu_error *err)
{
    struct sockaddr_storage ss;
    if (parse_addr(addr_port, &ss, err) != SPU_OK)
        return NULL;
    struct metrics_server *m = calloc(1, sizeof(*m));
    if (!m) {
        spu_error_set(err, SPU_ENOMEM, "--metrics: out of memory");
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD;
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    m->d = MHD_start_daemon(flags, 0, NULL, NULL, answer, m, MHD_OPTION_SOCK_ADDR,
                            (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!m->d) {
        spu_error_set(err, SPU_EIO, "--metrics: cannot listen on %s", addr_port);
        pthread_mutex_destroy(&m->mu);
        free(m);
        return NULL;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(m->d, MHD_DAEMON_INFO_BIND_PORT);
    m->port = di ? di->port : 0;
    return m;
}

uint16_t metrics_server_port(const struct metrics_server *m)
{
    return m->port;
}

void metrics_server_publish(struct metrics_server *m, char *text)
{
    if (!text)
        return;
    pthread_mutex_lock(&m->mu);
    char *old = m->text;
    m->text = text;
    m->len = strlen(text);
    pthread_mutex_unlock(&m->mu);
    free(old);
}

uint64_t metrics_server_scrapes(const struct metrics_server *m)
{
    return atomic_load(&((struct metrics_server *)m)->scrapes);
}

void metrics_server_free(struct metrics_server *m)
{
    if (!m)
        return;
    MHD_stop_daemon(m->d);
    pthread_mutex_destroy(&m->mu);
    free(m->text);
    free(m);
}
