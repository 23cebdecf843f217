/*
 * measure - runs one command and reports its wall time, CPU times and peak
 * resident memory, for the benchmark harness (tests/bench/run.sh):
 *
 *   measure [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]
 *
 * Prints one line (to FILE, or to stderr) of key=value pairs:
 *   wall_ns user_ns sys_ns maxrss_kb status
 * where wall_ns is CLOCK_MONOTONIC from just before fork to the child's exit,
 * the CPU times and maxrss_kb come from wait4() (the child and the children it
 * waited for), and status is the exit code, "signal:N", or "timeout" when
 * -t SECONDS ran out (the child is then killed). Exits with the child's code,
 * 128+N for a signal, 124 on timeout, 125 when the command cannot be run.
 *
 * A single-threaded command-line tool; the child inherits stdin/stdout/stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"

/* Set by SIGALRM when -t SECONDS runs out; the only thing the handler does. */
static volatile sig_atomic_t alarm_rang;

static void on_alarm(int sig)
{
    (void)sig;
    alarm_rang = 1;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(struct timeval tv)
{
    return (uint64_t)tv.tv_sec * 1000000000u + (uint64_t)tv.tv_usec * 1000u;
}

struct run_result {
    uint64_t wall_ns, user_ns, sys_ns;
    long maxrss_kb;
    int status;
    int timed_out;
};

/* Runs argv[0] with argv, killing it after `timeout_s` seconds (0: never). Fills r.
 * Returns SPU_OK, or SPU_EIO when it cannot fork or wait. */
static int run(char **argv, unsigned timeout_s, struct run_result *r)
{
    memset(r, 0, sizeof *r);
    int pipefd[2]; /* tells the parent when exec failed: close-on-exec write end */
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return SPU_EIO;
    uint64_t t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return SPU_EIO;
    }
    if (pid == 0) {
        close(pipefd[0]);
        execvp(argv[0], argv);
        int e = errno;
        ssize_t w = write(pipefd[1], &e, sizeof e);
        (void)w;
        _exit(125);
    }
    close(pipefd[1]);
    int exec_errno = 0;
    ssize_t got = read(pipefd[0], &exec_errno, sizeof exec_errno);
    close(pipefd[0]);

    /* SIGALRM without SA_RESTART interrupts wait4, which then sees the flag. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    if (timeout_s)
        alarm(timeout_s);
    struct rusage ru;
    int st = 0;
    for (;;) {
        pid_t w = wait4(pid, &st, 0, &ru);
        if (w == pid)
            break;
        if (errno != EINTR)
            return SPU_EIO;
        if (alarm_rang && !r->timed_out) {
            kill(pid, SIGKILL);
            r->timed_out = 1;
        }
    }
    alarm(0);
    r->wall_ns = now_ns() - t0;
    r->user_ns = tv_ns(ru.ru_utime);
    r->sys_ns = tv_ns(ru.ru_stime);
    r->maxrss_kb = ru.ru_maxrss;
    if (got == (ssize_t)sizeof exec_errno) {
        errno = exec_errno;
        r->status = -1;
    } else if (WIFEXITED(st)) {
        r->status = WEXITSTATUS(st);
    } else {
        r->status = 128 + WTERMSIG(st);
    }
    return SPU_OK;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    unsigned timeout_s = 0;
    int opt;
    while ((opt = getopt(argc, argv, "+o:t:")) != -1) {
        if (opt == 'o') {
            out = optarg;
        } else if (opt == 't') {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !*optarg || v > 86400) {
                fprintf(stderr, "measure: bad timeout '%s'\n", optarg);
                return 125;
            }
            timeout_s = (unsigned)v;
        } else {
            fprintf(stderr, "usage: measure [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]\n");
            return 125;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: measure [-o FILE] [-t SECONDS] -- COMMAND [ARGS...]\n");
        return 125;
    }
    struct run_result r;
    if (run(argv + optind, timeout_s, &r) != SPU_OK) {
        fprintf(stderr, "measure: %s: %s\n", argv[optind], strerror(errno));
        return 125;
    }
    if (r.status < 0) {
        fprintf(stderr, "measure: cannot run %s: %s\n", argv[optind], strerror(errno));
        return 125;
    }
    char status[32];
    if (r.timed_out)
        snprintf(status, sizeof status, "timeout");
    else if (r.status >= 128)
        snprintf(status, sizeof status, "signal:%d", r.status - 128);
    else
        snprintf(status, sizeof status, "%d", r.status);
    FILE *f = out ? fopen(out, "w") : stderr;
    if (!f) {
        fprintf(stderr, "measure: %s: %s\n", out, strerror(errno));
        return 125;
    }
    fprintf(f,
            "wall_ns=%" PRIu64 " user_ns=%" PRIu64 " sys_ns=%" PRIu64 " maxrss_kb=%ld status=%s\n",
            r.wall_ns, r.user_ns, r.sys_ns, r.maxrss_kb, status);
    if (out && fclose(f) != 0) {
        fprintf(stderr, "measure: %s: %s\n", out, strerror(errno));
        return 125;
    }
    return r.timed_out ? 124 : r.status;
}
