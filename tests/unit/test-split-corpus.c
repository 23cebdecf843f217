/* test-split-corpus.c - split invariance of the shipped grammars on the
 * TCP connections of the corpus captures (../shared/corpus/suricata-verify,
 * reassembled by helper-tcpstreams.c). The unsplit parse is compared with
 * other cuttings of the same bytes (helper-splitsweep.h): every log line
 * (events, records, transactions, anomalies) must be the same.
 *
 * In `make test` (HTTP and SMTP; the 1-byte chunks are in
 * test-http-corpus.c and test-smtp-corpus.c): every split point of each
 * connection of at most SMALL bytes, three random cuttings (fixed seeds)
 * of the larger ones.
 *
 * With SPU_SPLIT_SWEEP=1 in the environment (`make fuzz`), the
 * exhaustive sweep of http, smtp, dnstcp and tls: every split point of
 * every connection (alone up to BIG bytes; above, the corpus has streams
 * of 2.6 MB and one parse per point would take days, so each point is a
 * cut of one of SS_PERIOD periodic cuttings), every pair of split points
 * of those of at most PAIRS bytes, 1-byte chunks and random cuttings.
 * Without it those tests are skipped. */
#include "helper-grammars.h"
#include "helper-splitsweep.h"
#include "helper-tcpstreams.h"

#include "helper-compile.h"
#include "helper-file.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SV "../shared/corpus/suricata-verify"
#define SMALL 4096
#define PAIRS 200
#define BIG 65536

/* Bodies labelled gzip that are not: how much garbage the gunzip filter
 * decodes before it fails depends on the chunk ends (test-http-corpus.c,
 * docs/grammar-vm.md, Sinks). */
static const char *const known_split_dependent[] = {
    "http-encoding-gzip-uncompressed",
    "http-evader-204",
};

static int known(const char *test)
{
    for (size_t i = 0; i < sizeof(known_split_dependent) / sizeof(known_split_dependent[0]); i++)
        if (strcmp(test, known_split_dependent[i]) == 0)
            return 1;
    return 0;
}

/* Which connections a grammar gets: captures with `marker` beside them
 * (NULL: every capture), connections to one of `ports` (none: all). */
struct sel {
    const char *grammar;
    const char *marker;
    uint16_t ports[8];
};

struct tally {
    unsigned caps, conns, runs, differ, known;
    uint64_t bytes;
};

static int port_ok(const struct sel *s, uint16_t p)
{
    if (!s->ports[0])
        return 1;
    for (int i = 0; i < 8 && s->ports[i]; i++)
        if (s->ports[i] == p)
            return 1;
    return 0;
}

static const char *kind(unsigned how)
{
    return how == SS_POINTS ? "split point" : how == SS_PAIRS ? "split points" :
           how == SS_PHASES ? "periodic cuts" : how == SS_RANDOM ? "random cutting" :
           "1-byte chunks";
}

struct job {
    const struct sel *sel;
    struct spu_bundle *b;
    uint32_t proto;
    int exhaustive;
    struct tally t;
};

static void one_capture(struct job *j, const char *test, const char *pcap)
{
    struct ts_conn *c = NULL;
    char err[256];
    int n = ts_load(pcap, 0, &c, err, sizeof(err));
    if (n < 0) {
        cr_log_warn("%s: %s", pcap, err);
        return;
    }
    int used = 0;
    for (int i = 0; i < n; i++) {
        size_t bytes = ss_bytes(&c[i]);
        if (!bytes || !port_ok(j->sel, c[i].sport))
            continue;
        unsigned what;
        if (j->exhaustive)
            what = SS_BYTES | SS_RANDOM | (bytes <= BIG ? SS_POINTS : SS_PHASES) |
                   (bytes <= PAIRS ? SS_PAIRS : 0);
        else
            what = bytes <= SMALL ? SS_POINTS : SS_RANDOM;
        struct ss_report r;
        ss_sweep(j->b, j->proto, &c[i], what, 3, &r);
        used = 1;
        j->t.conns++;
        j->t.bytes += bytes;
        j->t.runs += r.runs;
        if (r.differ && known(test)) {
            j->t.known++;
        } else if (r.differ) {
            j->t.differ++;
            char at[64] = "";
            if (r.how == SS_POINTS || r.how == SS_PAIRS || r.how == SS_PHASES)
                snprintf(at, sizeof(at), " at %zu", r.at[0]);
            if (r.how == SS_PHASES)
                snprintf(at + strlen(at), sizeof(at) - strlen(at), " + i * %u", SS_PERIOD);
            if (r.how == SS_PAIRS)
                snprintf(at + strlen(at), sizeof(at) - strlen(at), "+%zu", r.at[1]);
            if (r.how == SS_RANDOM)
                snprintf(at, sizeof(at), " seed %u", (unsigned)r.seed);
            cr_log_error("%s %s: connection %d (port %u -> %u, %zu bytes): %u of %u cuttings "
                         "differ, first: %s%s\n  whole: %.300s\n  split: %.300s",
                         j->sel->grammar, test, i, (unsigned)c[i].cport, (unsigned)c[i].sport,
                         bytes, r.differ, r.runs, kind(r.how), at, r.whole, r.split);
        }
    }
    j->t.caps += used;
    ts_free(c, n);
}

/* Every test directory under dir (recursively, in name order). */
static void walk(struct job *j, const char *dir)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
        struct stat st;
        if (list[i]->d_name[0] != '.' && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            char mk[1100], pc[1100];
            snprintf(mk, sizeof(mk), "%s/%s", path, j->sel->marker ? j->sel->marker : "");
            snprintf(pc, sizeof(pc), "%s/input.pcap", path);
            if ((!j->sel->marker || access(mk, R_OK) == 0) && access(pc, R_OK) == 0)
                one_capture(j, list[i]->d_name, pc);
            walk(j, path);
        }
        free(list[i]);
    }
    free(list);
}

/* grammars/A.spg (and B.spg before it when B is not NULL). */
static struct spu_bundle *bundle_of(const char *a, const char *b)
{
    char pa[256], pb[256];
    snprintf(pa, sizeof(pa), "grammars/%s.spg", a);
    char *ta = hf_read(pa, NULL), *text = ta;
    if (b) {
        snprintf(pb, sizeof(pb), "grammars/%s.spg", b);
        char *tb = hf_read(pb, NULL);
        size_t n = strlen(ta) + strlen(tb) + 8;
        text = malloc(n);
        snprintf(text, n, "%s\n%%%%\n%s", tb, ta);
        free(tb);
        free(ta);
    }
    struct spu_bundle *bu = hc_bundle(text, NULL);
    free(text);
    cr_assert_not_null(bu, "grammars/%s.spg does not compile", a);
    return bu;
}

static const struct sel sels[] = {
    {"http", "tshark-http.json", {0}},
    {"smtp", "tshark-smtp.json", {25, 587, 2525}},
    {"dnstcp", NULL, {53}},
    {"tls", NULL, {443, 465, 853, 993, 995, 8443}},
};

static struct tally sweep(int which, int exhaustive)
{
    const struct sel *s = &sels[which];
    struct job j = {s, NULL, 0, exhaustive, {0}};
    j.b = which == 0 ? hg_http_bundle() : which == 1 ? hg_smtp_bundle()
        : which == 2 ? bundle_of("dnstcp", "dns") : bundle_of("tls", NULL);
    j.proto = ss_proto(j.b, s->grammar);
    cr_assert_neq(j.proto, UINT32_MAX, "no protocol %s", s->grammar);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    walk(&j, SV);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    cr_log_info("%s%s: %u captures, %u connections, %llu bytes, %u parses compared, "
                "%u differ, %u known split-dependent, %.1f s",
                s->grammar, exhaustive ? " (exhaustive)" : "", j.t.caps, j.t.conns,
                (unsigned long long)j.t.bytes, j.t.runs, j.t.differ, j.t.known, secs);
    spu_bundle_unref(j.b);
    return j.t;
}

Test(split_corpus, http_split_points, .timeout = 900)
{
    struct tally t = sweep(0, 0);
    cr_expect_gt(t.caps, 600, "the corpus has 658 HTTP captures with tshark-http.json");
    cr_expect_eq(t.differ, 0, "%u of %u HTTP connections parse differently when split", t.differ,
                 t.conns);
}

Test(split_corpus, smtp_split_points, .timeout = 900)
{
    struct tally t = sweep(1, 0);
    cr_expect_gt(t.caps, 40, "the corpus has 44 SMTP captures with tshark-smtp.json");
    cr_expect_eq(t.differ, 0, "%u of %u SMTP connections parse differently when split", t.differ,
                 t.conns);
}

static void exhaustive(int which)
{
    if (!getenv("SPU_SPLIT_SWEEP"))
        cr_skip_test("the exhaustive sweep runs in `make fuzz` (SPU_SPLIT_SWEEP=1)");
    struct tally t = sweep(which, 1);
    cr_expect_gt(t.conns, 0, "no %s connection in the corpus", sels[which].grammar);
    cr_expect_eq(t.differ, 0, "%u of %u %s connections parse differently when split", t.differ,
                 t.conns, sels[which].grammar);
}

Test(split_sweep, http, .timeout = 0) { exhaustive(0); }
Test(split_sweep, smtp, .timeout = 0) { exhaustive(1); }
Test(split_sweep, dnstcp, .timeout = 0) { exhaustive(2); }
Test(split_sweep, tls, .timeout = 0) { exhaustive(3); }
