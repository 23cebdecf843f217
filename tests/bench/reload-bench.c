/*
 * reload-bench - what a reload costs, for the reload benchmark (make
 * bench-reload): an engine with WORKERS worker contexts runs application
 * `app` from BUNDLE_A; it is then reloaded REPS times, alternating
 * BUNDLE_B and BUNDLE_A, through the same call spuctl reload makes
 * (apps_reload: read + verify, build the generation, publish, wait for the
 * workers, free the old one). Per reload: the time from request to
 * publication, and the extra memory it took (peak RSS during the reload
 * minus RSS before it; the peak is reset with /proc/self/clear_refs).
 * Prints one line of key=value figures on stdout. Single-threaded tool
 * (the worker contexts are idle: the grace period is the engine's own
 * pass over them).
 *
 *   reload-bench [-r REPS] [-w WORKERS] BUNDLE_A BUNDLE_B
 *
 * Output: bytes=N reps=N reload_ms_median=X reload_ms_max=X
 *         extra_kb_median=N extra_kb_max=N extra_of_bundle=X (median / bytes)
 */
#include "apps.h"
#include "bundle.h"
#include "detect.h"
#include "err.h"
#include "output.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* kB of the status line `key` (VmRSS, VmHWM), or -1. */
static long status_kb(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t kl = strlen(key);
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, key, kl) == 0 && line[kl] == ':')
            v = strtol(line + kl + 1, NULL, 10);
    fclose(f);
    return v;
}

static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

int main(int argc, char **argv)
{
    unsigned long reps = 20, nworkers = 2;
    int c;
    while ((c = getopt(argc, argv, "r:w:")) != -1) {
        if (c == 'r')
            reps = strtoul(optarg, NULL, 10);
        else if (c == 'w')
            nworkers = strtoul(optarg, NULL, 10);
        else
            goto usage;
    }
    if (argc - optind != 2 || reps == 0 || nworkers == 0 || nworkers > 64)
        goto usage;
    const char *path[2] = {argv[optind], argv[optind + 1]};
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_bundle *b = spu_bundle_load_file(path[0], NULL, &err);
    if (!b) {
        fprintf(stderr, "reload-bench: %s: %s\n", path[0], err.msg);
        return 1;
    }
    struct output *out = output_open("/dev/null", (unsigned)nworkers, &err);
    const char *names[] = {"app"};
    struct detect_cfg cfg = {.max_apps = 2};
    struct detect_engine *e = out ? detect_engine_new(&cfg, &b, names, 1, (unsigned)nworkers, &err)
                                  : NULL;
    struct detect_worker *w[64] = {0};
    for (unsigned i = 0; e && i < nworkers; i++)
        if (!(w[i] = detect_worker_new(e, i, output_producer(out, i), NULL, &err)))
            return 1;
    struct apps *a = e ? apps_new(e, NULL) : NULL;
    if (!a || apps_adopt(a, "app", path[0], b) != SPU_OK) {
        fprintf(stderr, "reload-bench: %s\n", err.msg);
        return 1;
    }
    spu_bundle_unref(b);
    double *ms = calloc(reps, sizeof(*ms)), *kb = calloc(reps, sizeof(*kb));
    if (!ms || !kb)
        return 1;
    for (unsigned long i = 0; i < reps; i++) {
        reset_peak();
        long before = status_kb("VmRSS");
        json_t *res = NULL;
        double t0 = now_ms();
        if (apps_reload(a, "app", path[(i + 1) % 2], &res, &err) != SPU_OK) {
            fprintf(stderr, "reload-bench: reload: %s\n", err.msg);
            return 1;
        }
        ms[i] = now_ms() - t0;
        kb[i] = (double)(status_kb("VmHWM") - before);
        json_decref(res);
    }
    struct stat st;
    long long bytes = stat(path[0], &st) == 0 ? (long long)st.st_size : 0;
    qsort(ms, reps, sizeof(*ms), cmp_double);
    qsort(kb, reps, sizeof(*kb), cmp_double);
    printf("bytes=%lld reps=%lu reload_ms_median=%.3f reload_ms_max=%.3f extra_kb_median=%.0f "
           "extra_kb_max=%.0f extra_of_bundle=%.2f\n",
           bytes, reps, ms[reps / 2], ms[reps - 1], kb[reps / 2], kb[reps - 1],
           bytes ? kb[reps / 2] * 1024.0 / (double)bytes : 0.0);
    free(ms);
    free(kb);
    apps_free(a);
    for (unsigned i = 0; i < nworkers; i++)
        detect_worker_free(w[i]);
    detect_engine_free(e);
    output_close(out, NULL);
    return 0;
usage:
    fprintf(stderr, "usage: reload-bench [-r REPS] [-w WORKERS] BUNDLE_A BUNDLE_B\n");
    return 2;
}
