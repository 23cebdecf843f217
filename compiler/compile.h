/*
 * compile.h - spuc's back end for one compilation: the checked program of
 * a struct front (front.h) goes through lowering (rules, grammars, key
 * programs), lookup-tree and prefilter building, optimization, emission
 * into a bundle builder, writing, and verification of the bytes written
 * by the VM library's own verifier and loader, so that a code generator
 * bug fails the compile and never reaches a sensor.
 *
 * Diagnostics go through the front's diag sink. The same input (files,
 * options) always gives the same bytes. Used by one thread.
 */
#ifndef SPUC_COMPILE_H
#define SPUC_COMPILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "version.h"

#define SPUC_VERSION SPU_VERSION

struct front;
struct spu_error;

struct compile_opts {
    const char *name;         /* bundle name (GLOBALS), or NULL */
    const uint8_t *sign_key;  /* 64-byte Ed25519 secret key, or NULL: unsigned */
    int no_opt;               /* skip the IR passes */
    FILE *ir_out;             /* print the IR here (--dump-ir), or NULL */
    int hs_cache;             /* embed serialized prefilter databases (signed bundles) */
};

/* Back-end figures of the last compile (for --verbose and benchmarks). */
struct compile_stats {
    uint32_t programs, rules, indexed, prefiltered, patterns, tree_nodes, dfas;
    uint32_t folded, dead, threaded, peephole;
    size_t bytes;
};

/* Compile the program checked by front_check(f) (which must have returned
 * SPU_OK). On success returns SPU_OK with *out a new malloc'd bundle of
 * *len bytes (out may be NULL: check only, nothing kept). Errors: reported
 * through f's diagnostics; returns SPU_EPARSE (errors in the input, e.g. a
 * construct the back end refuses), SPU_EVERIFY (the bundle failed its own
 * verification: a bug, reported), SPU_ENOMEM, or another SPU_E* from the
 * writer. stats may be NULL. */
int compile_bundle(struct front *f, const struct compile_opts *opts, uint8_t **out, size_t *len,
                   struct compile_stats *stats);

#endif
