/*
 * logger.h - spurun's log lines: a timestamp, a level, the message and the
 * source file:line, to standard error or to a file (appended).
 *
 * LOGGER() checks the level before anything is formatted. Each line is
 * formatted into a local buffer and written with one write(2), so lines
 * from several threads never interleave and no lock is taken.
 * logger_raw() writes a fixed string and is safe in a signal handler.
 *
 * logger_open/logger_close: main thread. Writing: any thread.
 */
#ifndef SPU_LOGGER_H
#define SPU_LOGGER_H

#include <stdbool.h>

struct spu_error;
struct logger;

enum logger_level {
    LOGGER_ERROR,
    LOGGER_WARNING,
    LOGGER_NOTICE,
    LOGGER_INFO,
    LOGGER_DEBUG,
};

/* "error" .. "debug" -> the level, or -1. */
int logger_level_parse(const char *s);
const char *logger_level_name(enum logger_level l);

/* path NULL or "-": standard error. Returns new, or NULL with err filled. */
struct logger *logger_open(const char *path, enum logger_level level, struct spu_error *err);

/* NULL is a no-op. */
void logger_close(struct logger *l);

/* Open `path` again (after logrotate moved it) and put it in place of the
 * log's descriptor with dup2, so threads writing at that moment write whole
 * lines to one file or the other. A log on standard error is left alone.
 * Returns 0, or SPU_EIO with err (the old file stays in use). */
int logger_reopen(struct logger *l, const char *path, struct spu_error *err);

/* Whether a line of level `lv` would be written (l NULL: no). */
bool logger_enabled(const struct logger *l, enum logger_level lv);

void logger_write(struct logger *l, enum logger_level lv, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Write `msg` as it is (async-signal-safe). */
void logger_raw(struct logger *l, const char *msg);

#define LOGGER(l, lv, ...)                                                                         \
    do {                                                                                           \
        if (logger_enabled((l), (lv)))                                                             \
            logger_write((l), (lv), __FILE__, __LINE__, __VA_ARGS__);                              \
    } while (0)

#endif
