/* logger.c - leveled log lines (see logger.h). */
#include "logger.h"

#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct logger {
    int fd;
    bool own;
    enum logger_level level;
};

static const char *const names[] = {"error", "warning", "notice", "info", "debug"};

int logger_level_parse(const char *s)
{
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i]) == 0)
            return (int)i;
    return -1;
}

const char *logger_level_name(enum logger_level l)
{
    return (unsigned)l < sizeof(names) / sizeof(names[0]) ? names[l] : "?";
}

struct logger *logger_open(const char *path, enum logger_level level, struct spu_error *err)
{
    struct logger *l = calloc(1, sizeof(*l));
    if (!l) {
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    l->level = level;
    l->fd = STDERR_FILENO;
    if (path && strcmp(path, "-") != 0) {
        l->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (l->fd < 0) {
            spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot open the log file: %s",
                         strerror(errno));
            free(l);
            return NULL;
        }
        l->own = true;
    }
    return l;
}

int logger_reopen(struct logger *l, const char *path, struct spu_error *err)
{
    if (!l || !l->own || !path)
        return SPU_OK;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0)
        return spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot reopen the log file: %s",
                            strerror(errno));
    int rc = dup3(fd, l->fd, O_CLOEXEC) < 0 ? SPU_EIO : SPU_OK;
    if (rc != SPU_OK)
        spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot reopen the log file: %s",
                     strerror(errno));
    close(fd);
    return rc;
}

void logger_close(struct logger *l)
{
    if (!l)
        return;
    if (l->own)
        close(l->fd);
    free(l);
}

bool logger_enabled(const struct logger *l, enum logger_level lv)
{
    return l && lv <= l->level;
}

void logger_write(struct logger *l, enum logger_level lv, const char *file, int line,
                  const char *fmt, ...)
{
    char buf[1024];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    const char *base = strrchr(file, '/');
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, ".%06ldZ [%s] ", ts.tv_nsec / 1000,
                          logger_level_name(lv));
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
    va_end(ap);
    n = m < 0 ? n : n + (size_t)m < sizeof(buf) ? n + (size_t)m : sizeof(buf) - 1;
    int k = snprintf(buf + n, sizeof(buf) - n, " (%s:%d)\n", base ? base + 1 : file, line);
    if (k < 0 || n + (size_t)k >= sizeof(buf)) {
        n = sizeof(buf) - 1;
        buf[n - 1] = '\n';
    } else {
        n += (size_t)k;
    }
    ssize_t w = write(l->fd, buf, n);
    (void)w; /* nowhere left to report a failed log write */
}

void logger_raw(struct logger *l, const char *msg)
{
    if (!l)
        return;
    ssize_t w = write(l->fd, msg, strlen(msg));
    (void)w;
}
