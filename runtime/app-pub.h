/*
 * app-pub.h - the grammar sets of a run and their publication: which
 * bundles' grammars the application layer (app.c) characterizes and
 * parses new flows with.
 *
 * A struct app_gset is immutable once made: the bundles (referenced) of
 * the running applications with each one's slot (the application's
 * identity, app_event.bundle_idx). It is reference-counted (atomic): the
 * publication holds one reference, each worker's application layer one
 * for as long as a flow of that worker still parses with it; the last
 * unref drops the bundles' references.
 *
 * A struct app_pub is the publication point: apps.c (control or SIGHUP
 * thread) publishes the set that follows each change; workers compare a
 * sequence number (one acquire load) and, when it moved, take a
 * reference on the new set under a mutex that only publications and
 * those pick-ups use, so a set cannot be freed between the load of the
 * pointer and the reference. Made and freed on the main thread; the pub
 * must outlive every app that reads it.
 */
#ifndef SPU_APP_PUB_H
#define SPU_APP_PUB_H

#include "err.h"

#include <stdint.h>

struct spu_bundle;
struct app_gset;
struct app_pub;

/* A set of n bundles (each referenced) in slots slot[i] (NULL: 0..n-1).
 * Returns new (one reference), or NULL with err (out of memory). */
struct app_gset *app_gset_new(struct spu_bundle *const *b, const unsigned *slot, unsigned n,
                              struct spu_error *err);
struct app_gset *app_gset_ref(struct app_gset *s);
/* Drops a reference (any thread); the last frees the set. NULL: no-op. */
void app_gset_unref(struct app_gset *s);

unsigned app_gset_count(const struct app_gset *s);
/* Bundle i of the set (borrowed from it) and its slot. */
struct spu_bundle *app_gset_bundle(const struct app_gset *s, unsigned i);
unsigned app_gset_slot(const struct app_gset *s, unsigned i);

/* A publication point holding `first` (takes its reference). Returns new,
 * or NULL with err. */
struct app_pub *app_pub_new(struct app_gset *first, struct spu_error *err);
/* Frees it and its reference on the current set. NULL: no-op. */
void app_pub_free(struct app_pub *p);

/* Publish s (takes its reference); the previous set loses the
 * publication's reference. Any thread but a worker. */
void app_pub_publish(struct app_pub *p, struct app_gset *s);

/* The sequence of the current set (1 for the first; acquire load). */
uint64_t app_pub_seq(const struct app_pub *p);

/* The current set, referenced for the caller (new reference), and its
 * sequence in *seq. */
struct app_gset *app_pub_get(struct app_pub *p, uint64_t *seq);

/* Publications since start (the first set excluded). */
uint64_t app_pub_publications(const struct app_pub *p);

#endif
