/*
 * main.c - spurun's entry point: parse the command line, install the signal
 * handlers (they only set a flag; the dispatcher loop acts on it), run, and
 * print the progress line, the summary and errors. The only place that
 * prints or exits.
 */
#include "config.h"
#include "monitor.h"
#include "err.h"
#include "run.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
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

int main(int argc, char **argv)
{
    struct config cfg;
    struct spu_error err;
    spu_error_clear(&err);
    int pc = config_parse(&cfg, argc, argv, &err);
    if (pc == CONFIG_HELP) {
        fputs(config_usage(), stdout);
        return 0;
    }
    if (pc < 0) {
        fprintf(stderr, "spurun: %s\n%s", err.msg, "try 'spurun --help'\n");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

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
    int rc = run_main(&cfg, &stop_requested, tty ? show_progress : NULL, NULL, &rep, &err);
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
    if (cfg.verbose)
        fprintf(stderr, "spurun: stream bytes copied=%llu dispatcher busy=%.3fs\n",
                (unsigned long long)rep.bytes_copied, (double)rep.dispatch_ns / 1e9);
    if (rep.capture_error) {
        fprintf(stderr, "spurun: %s\n", spu_error_str(&err, ebuf, sizeof(ebuf)));
        return 1;
    }
    return 0;
}
