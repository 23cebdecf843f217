/*
 * evelog.h - the EVE objects a bundle's `log` declarations describe.
 *
 * A grammar declares the EVE shape of its protocol (docs/grammar-language.md,
 * "EVE logs"): `log TYPE on EVENT { path = EXPR; ... }` makes one object per
 * event, `log TYPE on transaction PROTO { ... }` one per completed
 * transaction. spuc compiles each entry's EXPR into a KEY program
 * (bundle sections LOG and LOGENT); this module runs those programs on the
 * records the grammar VM produced and builds {"TYPE": {...}} with jansson.
 * Nothing here knows any protocol.
 *
 * Values become JSON as follows: null is omitted (in an array it is
 * null); bool, int as themselves; an address as its text (IPv6
 * uncompressed, as Suricata prints it); a string as a JSON string when its
 * bytes are valid UTF-8, otherwise every byte above 0x7f becomes the four
 * characters \xNN (lowercase hex) and the rest is kept, as Suricata's
 * jsonbuilder does; an array as an array; a record as an object of its
 * non-null fields (or, with a `{ ... }` block, of the block's entries),
 * records nested at most EVELOG_MAX_DEPTH deep. A program that faults
 * (a type mismatch, budget) leaves its entry out and is counted.
 *
 * One struct evelog per worker thread (it owns a rule VM and scratch);
 * bundles and records are borrowed for the duration of a call.
 */
#ifndef SPU_EVELOG_H
#define SPU_EVELOG_H

#include "err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct evelog;
struct spu_bundle;
struct spu_record;

#define EVELOG_MAX_DEPTH 8u

/* Called once per declaration that fires, with the declaration's type
 * ("http", "fileinfo": NUL-terminated, valid during the call) and the new
 * object {"TYPE": {...}}; ownership of obj passes to the callee (it adds
 * the envelope and writes it, or json_decref()s it). */
typedef void (*evelog_emit_fn)(void *ctx, const char *type, json_t *obj);

struct evelog_stats {
    uint64_t records; /* objects emitted */
    uint64_t faults;  /* entries left out because their program faulted */
};

/* Returns a new logger, or NULL with err set (out of memory). */
struct evelog *evelog_new(struct spu_error *err);

/* Frees it. NULL is a no-op. */
void evelog_free(struct evelog *el);

/* Does bundle b declare a log on event `event` / on transactions of
 * protocol `proto`? (Cheap: lets the caller skip work.) */
bool evelog_has_event(const struct spu_bundle *b, uint32_t event);
/* ... or an `alert` one (`log TYPE on EVENT alert { }`: objects for the
 * alerts raised on EVENT only, never EVE records of their own)? */
bool evelog_has_alert(const struct spu_bundle *b, uint32_t event);
bool evelog_has_tx(const struct spu_bundle *b, uint32_t proto);

/* Emit the objects of every `log ... on EVENT` of bundle b for event
 * `event` (a bundle event index) raised with record `rec` (borrowed; its
 * layout must be the event's; NULL reads every field as null). Returns
 * SPU_OK (also when no log is declared on it), SPU_EINVAL (event out of
 * range, record of another layout) or SPU_ENOMEM, with err set. */
int evelog_event(struct evelog *el, const struct spu_bundle *b, uint32_t event,
                 const struct spu_record *rec, evelog_emit_fn emit, void *ctx,
                 struct spu_error *err);
/* The same for an alert raised on `event`: the alert-only declarations
 * (`log TYPE on EVENT alert { }`) too. */
int evelog_alert_event(struct evelog *el, const struct spu_bundle *b, uint32_t event,
                       const struct spu_record *rec, evelog_emit_fn emit, void *ctx,
                       struct spu_error *err);

/* Emit the objects of every `log ... on transaction` of protocol `proto`
 * (bundle protocol index) for one transaction: `client` is the client
 * message's record, `server` the server's; either may be NULL (its fields
 * read as null). Each record is matched to the declaration's message names
 * by its layout. Returns SPU_OK, SPU_EINVAL (proto out of range) or
 * SPU_ENOMEM, with err set. */
int evelog_tx(struct evelog *el, const struct spu_bundle *b, uint32_t proto,
              const struct spu_record *client, const struct spu_record *server, evelog_emit_fn emit,
              void *ctx, struct spu_error *err);

/* Counters since evelog_new(). */
void evelog_get_stats(const struct evelog *el, struct evelog_stats *st);

#endif
