/*
 * load-bundle - the load+verify time of a bundle for the compile
 * benchmark (make bench-compile): loads BUNDLE REPS times with the VM
 * library's loader (checksum, signature, verifier, regexes, lists,
 * prefilter) and prints one line of key=value figures on stdout.
 * Single-threaded tool.
 *
 *   load-bundle [-r REPS] [-k PUBKEY] BUNDLE
 *
 * -k trusts the public key written by `spuc --gen-key` and requires the
 * signature (a signed bundle is then checked against it).
 * Output: bytes=N signed=0|1 reps=N load_ms_min=X load_ms_median=X
 */
#include "bundle.h"
#include "bundle-crypt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int main(int argc, char **argv)
{
    unsigned long reps = 10;
    const char *keyfile = NULL;
    int c;
    while ((c = getopt(argc, argv, "r:k:h")) != -1) {
        switch (c) {
        case 'r':
            reps = strtoul(optarg, NULL, 10);
            break;
        case 'k':
            keyfile = optarg;
            break;
        default:
            fprintf(stderr, "usage: load-bundle [-r REPS] [-k PUBKEY] BUNDLE\n");
            return 2;
        }
    }
    if (optind + 1 != argc || reps == 0 || reps > 100000) {
        fprintf(stderr, "usage: load-bundle [-r REPS] [-k PUBKEY] BUNDLE\n");
        return 2;
    }
    struct spu_error err;
    uint8_t pk[1][SPU_PUBLIC_KEY_SIZE];
    struct spu_bundle_opts opts = {0};
    if (keyfile) {
        if (spu_key_read(keyfile, pk[0], SPU_PUBLIC_KEY_SIZE, &err) != SPU_OK) {
            fprintf(stderr, "load-bundle: %s: %s\n", keyfile, err.msg);
            return 1;
        }
        opts.trusted_keys = pk;
        opts.ntrusted_keys = 1;
        opts.require_signature = 1;
    }
    double *t = calloc(reps, sizeof(double));
    if (!t)
        return 1;
    int sig = 0;
    uint64_t size = 0;
    for (unsigned long i = 0; i < reps; i++) {
        double t0 = now_ms();
        struct spu_bundle *b = spu_bundle_load_file(argv[optind], &opts, &err);
        t[i] = now_ms() - t0;
        if (!b) {
            fprintf(stderr, "load-bundle: %s: %s: %s\n", argv[optind], err.where, err.msg);
            free(t);
            return 1;
        }
        sig = spu_bundle_signed(b);
        size = spu_bundle_size(b);
        spu_bundle_unref(b);
    }
    qsort(t, reps, sizeof(double), cmp_double);
    printf("bytes=%llu signed=%d reps=%lu load_ms_min=%.3f load_ms_median=%.3f\n",
           (unsigned long long)size, sig, reps, t[0], t[reps / 2]);
    free(t);
    return 0;
}
