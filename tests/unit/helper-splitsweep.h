/*
 * helper-splitsweep.h - split invariance of a grammar on one recorded TCP
 * connection (helper-tcpstreams.h): the connection is parsed once as it
 * was delivered, then again cut in other ways, and every hook call (the
 * helper-gasm.h log: events, records, transactions, anomalies) must be
 * the same.
 *
 * A split point k (0 < k < total bytes) is an offset in the connection's
 * bytes, both directions counted in delivery order; splitting at k cuts
 * the delivery that holds byte k in two there (points on a delivery's
 * boundary change nothing and are not counted). Test-only.
 */
#ifndef SPU_TEST_HELPER_SPLITSWEEP_H
#define SPU_TEST_HELPER_SPLITSWEEP_H

#include "bundle.h"
#include "helper-tcpstreams.h"

#include <stddef.h>
#include <stdint.h>

enum {
    SS_POINTS = 1, /* every split point */
    SS_PAIRS = 2,  /* every pair of split points */
    SS_RANDOM = 4, /* `rounds` random cuttings (chunks of 1 to 97 bytes) */
    SS_BYTES = 8,  /* 1-byte chunks */
    SS_PHASES = 16, /* for each phase p < SS_PERIOD, a cut at every point
                     * k = p mod SS_PERIOD: every split point is a cut of
                     * one run, in SS_PERIOD runs instead of one per point */
};

#define SS_PERIOD 1021

struct ss_report {
    unsigned runs;    /* parses compared with the unsplit one */
    unsigned differ;  /* of them, how many differed */
    size_t at[2];     /* the first differing run's first two split points
                       * (SIZE_MAX: none); SS_PHASES cuts at every
                       * at[0] + i * SS_PERIOD */
    unsigned how;     /* its SS_ kind */
    uint32_t seed;    /* its seed (SS_RANDOM) */
    char whole[400];  /* the unsplit log from a little before the difference */
    char split[400];  /* the split log from the same place */
};

/* Total bytes of c's deliveries. */
size_t ss_bytes(const struct ts_conn *c);

/* Compare the unsplit parse of c by protocol `proto` of b with the parses
 * the kinds in `what` ask for (SS_ flags; SS_RANDOM with seeds 1..rounds).
 * Both directions end after the last delivery. Returns r->differ. */
unsigned ss_sweep(struct spu_bundle *b, uint32_t proto, const struct ts_conn *c, unsigned what,
                  unsigned rounds, struct ss_report *r);

/* Index of the protocol called `name` in b (UINT32_MAX when absent). */
uint32_t ss_proto(const struct spu_bundle *b, const char *name);

#endif
