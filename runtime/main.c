/*
 * main.c - spurun's entry point: read the configuration (file, --set,
 * command line), install the signal handlers (they only set a flag; the
 * dispatcher loop acts on it), open the log, the pid file and the control
 * socket, drop privileges, run (one source, or the capture files queued
 * through the socket), and print the progress line, the summary and
 * errors. The only place that prints or exits.
 */
#include "apps.h"
#include "bundle.h"
#include "config-file.h"
#include "config.h"
#include "control.h"
#include "err.h"
#include "logger.h"
#include "monitor.h"
#include "output.h"
#include "process.h"
#include "run-commands.h"
#include "run-service.h"
#include "run.h"
#include "version.h"

#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested; /* SIGHUP */
/* the run's applications, for the control socket's load/reload/... */
static struct apps_hold apps_hold = {PTHREAD_MUTEX_INITIALIZER, NULL};
static volatile sig_atomic_t reopen_requested;

static void on_usr1(int sig)
{
    (void)sig;
    reopen_requested = 1;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_requested = 1;
}

static void show_progress(void *ctx, const struct run_progress *p)
{
    (void)ctx;
    double pps = p->seconds > 0 ? (double)p->packets / p->seconds : 0;
    double mbps = p->seconds > 0 ? (double)p->bytes * 8 / p->seconds / 1e6 : 0;
    if (p->fraction >= 0)
        fprintf(stderr, "\r%5.1f%%  %llu pkts  %.0f pkts/s  %.1f Mbit/s   ", p->fraction * 100,
                (unsigned long long)p->packets, pps, mbps);
    else
        fprintf(stderr, "\r%llu pkts  %.0f pkts/s  %.1f Mbit/s   ",
                (unsigned long long)p->packets, pps, mbps);
    fflush(stderr);
}

/* -T: every bundle loads and verifies, the capture file can be read. */
static int test_config(const struct config *cfg, const char *file)
{
    char ebuf[600];
    int bad = 0;
    for (unsigned i = 0; i < cfg->nbundles; i++) {
        struct spu_error err;
        spu_error_clear(&err);
        struct spu_bundle *b = spu_bundle_load_file(cfg->bundles[i].path, NULL, &err);
        if (!b) {
            fprintf(stderr, "spurun: -T: bundle %s (%s): %s\n", cfg->bundles[i].name,
                    cfg->bundles[i].path, spu_error_str(&err, ebuf, sizeof(ebuf)));
            bad++;
        }
        spu_bundle_unref(b);
    }
    if (cfg->read_path && strcmp(cfg->read_path, "-") != 0 && access(cfg->read_path, R_OK) != 0) {
        fprintf(stderr, "spurun: -T: %s: cannot be read\n", cfg->read_path);
        bad++;
    }
    if (bad)
        return 1;
    fprintf(stderr, "spurun: -T: configuration%s%s OK, %u bundle%s verified\n",
            file ? " " : "", file ? file : "", cfg->nbundles, cfg->nbundles == 1 ? "" : "s");
    return 0;
}

/* run_env.reopened: the log file follows the EVE file (SIGUSR1, spuctl
 * reopen). */
struct log_reopen {
    struct logger *log;
    const char *path; /* --log-file, or NULL */
};

static void reopen_log(void *ctx)
{
    struct log_reopen *lr = ctx;
    struct spu_error err;
    spu_error_clear(&err);
    if (logger_reopen(lr->log, lr->path, &err) != SPU_OK)
        LOGGER(lr->log, LOGGER_WARNING, "%s", err.msg);
    else
        LOGGER(lr->log, LOGGER_NOTICE, "EVE and log files reopened");
}

struct drop {
    bool wanted;
    uid_t uid;
    gid_t gid;
    struct logger *log;
};

/* run_env.opened: the capture and the output are open. */
static int drop_now(void *ctx, struct spu_error *err)
{
    struct drop *d = ctx;
    if (!d->wanted)
        return SPU_OK;
    int rc = process_drop(d->uid, d->gid, err);
    if (rc == SPU_OK) {
        LOGGER(d->log, LOGGER_NOTICE, "running as uid %ld gid %ld", (long)d->uid, (long)d->gid);
        d->wanted = false;
    }
    return rc;
}

static void tap_publish(void *ctx, const char *buf, size_t len)
{
    control_publish(ctx, buf, len);
}

/* No source: process each queued capture file as one run, in order, until
 * a shutdown. Returns the exit status. */
static int run_queue(const struct config *cfg, struct run_service *svc,
                     const struct output_tap *tap, struct logger *log)
{
    const char *path;
    unsigned id;
    while (run_service_next_pcap(svc, &stop_requested, &path, &id) == SPU_OK) {
        LOGGER(log, LOGGER_NOTICE, "pcap %u: %s: started", id, path);
        struct log_reopen lr = {log, cfg->log_file};
        struct run_env env = {.stop = &stop_requested,
                              .reopen = &reopen_requested,
                              .reopened = reopen_log,
                              .reopened_ctx = &lr,
                              .svc = svc,
                              .tap = tap,
                              .read_path = path,
                              .apps = &apps_hold,
                              .reload = &reload_requested,
                              .log = log};
        struct run_report rep;
        struct spu_error err;
        spu_error_clear(&err);
        int rc = run_main_env(cfg, &env, &rep, &err);
        char ebuf[600] = "";
        if (rc < 0) {
            spu_error_str(&err, ebuf, sizeof(ebuf));
        } else if (stop_requested || run_service_stopping(svc)) {
            rc = SPU_ESTATE;
            snprintf(ebuf, sizeof(ebuf), "interrupted by a shutdown");
        }
        run_service_pcap_done(svc, id, rc, ebuf, rep.packets, rep.events, rep.seconds);
        if (rc < 0)
            LOGGER(log, LOGGER_WARNING, "pcap %u: %s: failed: %s", id, path, ebuf);
        else
            LOGGER(log, LOGGER_NOTICE,
                   "pcap %u: %s: done: packets=%llu events=%llu flows=%llu seconds=%.3f", id, path,
                   (unsigned long long)rep.packets, (unsigned long long)rep.events,
                   (unsigned long long)rep.flows, rep.seconds);
    }
    LOGGER(log, LOGGER_NOTICE, "pcap queue: stopped");
    return 0;
}

static int run_one(const struct config *cfg, struct run_service *svc,
                   const struct output_tap *tap, struct drop *drop);

int main(int argc, char **argv)
{
    struct config cfg;
    struct spu_error err;
    spu_error_clear(&err);
    char ebuf[600];
    struct config_args *args = config_args_new(argc, argv, &err);
    if (!args) {
        fprintf(stderr, "spurun: %s\n", err.msg);
        return 2;
    }
    int pc = config_parse(&cfg, config_args_argc(args), config_args_argv(args), &err);
    if (pc == CONFIG_HELP) {
        fputs(config_usage(), stdout);
        config_args_free(args);
        return 0;
    }
    if (pc == CONFIG_VERSION) {
        printf("spurun %s\n", SPU_VERSION);
        config_args_free(args);
        return 0;
    }
    if (pc < 0) {
        fprintf(stderr, "spurun: %s\ntry 'spurun --help'\n", err.msg);
        config_args_free(args);
        return 2;
    }
    if (cfg.test) {
        int rc = test_config(&cfg, config_args_file(args));
        config_args_free(args);
        return rc;
    }
    int status = 1;
    struct logger *log = NULL;
    struct run_service *svc = NULL;
    struct control *ctl = NULL;
    bool pid_written = false;
    struct drop drop = {0};
    /* a service (a log file, or waiting for queued captures) tells what it
     * does; a one-shot run keeps standard error to its summary */
    int level = cfg.log_level >= 0 ? cfg.log_level
                                   : (cfg.log_file || cfg.queue_mode ? LOGGER_NOTICE
                                                                     : LOGGER_WARNING) +
                                         cfg.verbose;
    log = logger_open(cfg.log_file, level > LOGGER_DEBUG ? LOGGER_DEBUG : level, &err);
    if (!log)
        goto fail;
    drop.log = log;
    if (cfg.user || cfg.group) {
        if (process_lookup(cfg.user, cfg.group, &drop.uid, &drop.gid, &err) != SPU_OK)
            goto fail;
        drop.wanted = true;
    }
    if (cfg.pidfile) {
        if (process_pidfile_write(cfg.pidfile, &err) != SPU_OK)
            goto fail;
        pid_written = true;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);

    struct run_commands cmds = {0}; /* outlives the control thread (joined below) */
    struct output_tap tap = {tap_publish, NULL};
    if (cfg.control) {
        char path[200];
        if (strcmp(cfg.control, "auto") == 0) {
            if (control_default_path(path, sizeof(path), &err) != SPU_OK)
                goto fail;
        } else {
            snprintf(path, sizeof(path), "%s", cfg.control);
        }
        svc = run_service_new(cfg.queue_mode);
        if (!svc) {
            spu_error_set(&err, SPU_ENOMEM, "out of memory");
            goto fail;
        }
        cmds.svc = svc;
        cmds.log = log;
        cmds.timeout_ms = 5000;
        cmds.apps = &apps_hold;
        struct control_handlers h;
        run_commands_handlers(&cmds, &h);
        ctl = control_new(path, &h, &err);
        if (!ctl)
            goto fail;
        atomic_store(&cmds.ctl, ctl);
        tap.ctx = ctl;
        /* the dropped user must be able to remove its socket at exit */
        if (drop.wanted && chown(path, drop.uid, drop.gid) != 0)
            LOGGER(log, LOGGER_WARNING, "%s: cannot hand the socket to uid %ld", path,
                   (long)drop.uid);
        LOGGER(log, LOGGER_NOTICE, "control socket %s", path);
    }
    if (cfg.queue_mode) {
        /* every run appends to the output, as the dropped user */
        int fd = strcmp(cfg.eve_path, "-") ? open(cfg.eve_path, O_WRONLY | O_CREAT | O_APPEND |
                                                                   O_CLOEXEC, 0644)
                                           : -1;
        if (fd >= 0) {
            if (drop.wanted && fchown(fd, drop.uid, drop.gid) != 0)
                LOGGER(log, LOGGER_WARNING, "%s: cannot hand it to uid %ld", cfg.eve_path,
                       (long)drop.uid);
            close(fd);
        }
        if (drop_now(&drop, &err) != SPU_OK)
            goto fail;
        LOGGER(log, LOGGER_NOTICE, "waiting for capture files (spuctl pcap FILE)");
        status = run_queue(&cfg, svc, &tap, log);
    } else {
        status = run_one(&cfg, svc, ctl ? &tap : NULL, &drop);
    }
    goto out;
fail:
    fprintf(stderr, "spurun: %s\n", spu_error_str(&err, ebuf, sizeof(ebuf)));
    if (cfg.log_file)
        LOGGER(log, LOGGER_ERROR, "%s", ebuf);
    status = 1;
out:
    control_free(ctl);
    run_service_free(svc);
    if (pid_written)
        process_pidfile_remove(cfg.pidfile);
    logger_close(log);
    config_args_free(args);
    return status;
}

/* One source (-r or -i), or --bare. Returns the exit status. */
static int run_one(const struct config *c, struct run_service *svc,
                   const struct output_tap *tap, struct drop *drop)
{
    const struct config cfg = *c;
    struct spu_error err;
    spu_error_clear(&err);
    struct run_report rep;
    char ebuf[600];
    if (cfg.monitor_url) {
        struct monitor_report mr;
        int rc = monitor_run(&cfg, &stop_requested, &mr, &err);
        if (rc < 0) {
            fprintf(stderr, "spurun: %s\n", spu_error_str(&err, ebuf, sizeof(ebuf)));
            return 1;
        }
        fprintf(stderr, "spurun: monitor records=%llu bad=%llu events=%llu reconnects=%llu\n",
                (unsigned long long)mr.records, (unsigned long long)mr.bad_records,
                (unsigned long long)mr.events, (unsigned long long)mr.reconnects);
        return 0;
    }
    if (cfg.bare) {
        int rc = run_bare(&cfg, &stop_requested, &rep, &err);
        double pps = rep.seconds > 0 ? (double)rep.packets / rep.seconds : 0;
        double gbps = rep.seconds > 0 ? (double)rep.bytes * 8 / rep.seconds / 1e9 : 0;
        if (cfg.bare_json)
            printf("{\"mode\":\"bare\",\"packets\":%llu,\"bytes\":%llu,\"seconds\":%.6f,"
                   "\"pps\":%.0f,\"gbps\":%.3f}\n",
                   (unsigned long long)rep.packets, (unsigned long long)rep.bytes, rep.seconds,
                   pps, gbps);
        else
            printf("bare: packets=%llu bytes=%llu seconds=%.6f pps=%.0f gbps=%.3f\n",
                   (unsigned long long)rep.packets, (unsigned long long)rep.bytes, rep.seconds,
                   pps, gbps);
        if (rc < 0) {
            fprintf(stderr, "spurun: %s\n", spu_error_str(&err, ebuf, sizeof(ebuf)));
            return 1;
        }
        return 0;
    }
    bool tty = cfg.progress && cfg.read_path && isatty(STDERR_FILENO);
    struct log_reopen lr = {drop->log, cfg.log_file};
    struct run_env env = {.stop = &stop_requested,
                          .reopen = &reopen_requested,
                          .reopened = reopen_log,
                          .reopened_ctx = &lr,
                          .progress = tty ? show_progress : NULL,
                          .svc = svc,
                          .tap = tap,
                          .opened = drop_now,
                          .opened_ctx = drop,
                          .apps = &apps_hold,
                          .reload = &reload_requested,
                          .log = drop->log};
    LOGGER(drop->log, LOGGER_NOTICE, "started: %s %s, %u workers, %u bundles",
           cfg.inline_spec ? "inline" : cfg.iface ? "interface" : "capture",
           cfg.inline_spec ? cfg.inline_spec : cfg.iface ? cfg.iface : cfg.read_path, cfg.workers,
           cfg.nbundles);
    int rc = run_main_env(&cfg, &env, &rep, &err);
    if (rc < 0 && cfg.log_file) /* standard error gets it below either way */
        LOGGER(drop->log, LOGGER_ERROR, "%s", spu_error_str(&err, ebuf, sizeof(ebuf)));
    LOGGER(drop->log, LOGGER_NOTICE, "stopped: packets=%llu events=%llu flows=%llu",
           (unsigned long long)rep.packets, (unsigned long long)rep.events,
           (unsigned long long)rep.flows);
    if (tty)
        fputs("\n", stderr);
    if (rc < 0 && !rep.capture_error) {
        fprintf(stderr, "spurun: %s\n", spu_error_str(&err, ebuf, sizeof(ebuf)));
        return 1;
    }
    double pps = rep.seconds > 0 ? (double)rep.packets / rep.seconds : 0;
    double gbps = rep.seconds > 0 ? (double)rep.bytes * 8 / rep.seconds / 1e9 : 0;
    fprintf(stderr,
            "spurun: packets=%llu bytes=%llu seconds=%.6f pps=%.0f gbps=%.3f flows=%llu "
            "events=%llu queue_drops=%llu kernel_drops=%llu workers=%u\n",
            (unsigned long long)rep.packets, (unsigned long long)rep.bytes, rep.seconds, pps,
            gbps, (unsigned long long)rep.flows, (unsigned long long)rep.events,
            (unsigned long long)rep.queue_drops, (unsigned long long)rep.kernel_drops,
            rep.workers);
    if (rep.top_rules[0])
        fputs(rep.top_rules, stderr);
    if (rep.inline_counts[0])
        fputs(rep.inline_counts, stderr);
    if (cfg.verbose) {
        /* --split-read: the loop's CPU includes its own worker's share */
        char w0[48] = "";
        if (rep.own_ns)
            snprintf(w0, sizeof(w0), " own=%.3fs", (double)rep.own_ns / 1e9);
        fprintf(stderr,
                "spurun: stream bytes copied=%llu dispatcher busy=%.3fs cpu=%.3fs loop=%.3fs%s\n",
                (unsigned long long)rep.bytes_copied, (double)rep.dispatch_ns / 1e9,
                (double)rep.dispatch_cpu_ns / 1e9, (double)rep.dispatch_wall_ns / 1e9, w0);
    }
    if (rep.capture_error) {
        fprintf(stderr, "spurun: %s\n", spu_error_str(&err, ebuf, sizeof(ebuf)));
        return 1;
    }
    return 0;
}
