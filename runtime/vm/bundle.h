/*
 * bundle.h - loading a bundle (.spb) into an immutable, reference-counted
 * object that workers share.
 *
 * Loading crosses a trust boundary. In order: the header and section
 * table (bundle-view.h), the SHA-256 checksum, the stdlib fingerprint,
 * the signature (optional unless required), then every section and
 * program (verify.h). Only then are the derived objects built: constants
 * as values, a struct spu_layout per bundle layout, the PCRE2 regexes
 * (JIT where available), the lists (stdlib/lists.h: inline items and
 * list files, read now) and the literal prefilter (one Hyperscan database
 * per (event, key program) group; the HSDB cache is taken only from a
 * bundle whose signature is from a trusted key). Any failure refuses the
 * bundle with a struct spu_error whose `where` is the section name
 * ("header", "sections", "code", ...) and `offset` the byte offset in the
 * file.
 *
 * Signatures: when the bundle carries one (SIG section) whose key id is
 * one of the trusted keys, it must verify, else the bundle is refused
 * (tampered). A signature by an unknown key, or none, is accepted unless
 * the caller requires a signature; such a bundle is "unsigned"
 * (spu_bundle_signed() == 0).
 *
 * The bytes are held in a private read-only mapping, so nothing can
 * change a verified bundle. A loaded bundle is immutable: any thread may
 * read it. spu_bundle_ref()/spu_bundle_unref() are atomic; the last unref
 * frees it (on whichever thread drops it).
 */
#ifndef SPU_BUNDLE_H
#define SPU_BUNDLE_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include "bundle-crypt.h"
#include "bundle-view.h"
#include "err.h"
#include "value.h"

#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

struct spu_bundle;
struct spu_prefilter;
struct spu_listset;

struct spu_bundle_opts {
    /* Trusted Ed25519 public keys (borrowed during the load). */
    const uint8_t (*trusted_keys)[SPU_PUBLIC_KEY_SIZE];
    size_t ntrusted_keys;
    int require_signature; /* refuse bundles without a valid trusted signature */
    /* Directory for relative list file paths; NULL: the rule file's
     * directory at compile time (the list's `base`). */
    const char *list_dir;
};

/* Load and verify `path`. Returns new (one reference), or NULL with err
 * set. opts may be NULL (no trusted keys, signature not required). */
struct spu_bundle *spu_bundle_load_file(const char *path, const struct spu_bundle_opts *opts,
                                        struct spu_error *err);

/* The same from `len` bytes at `data` (borrowed: copied). */
struct spu_bundle *spu_bundle_load_mem(const void *data, size_t len,
                                       const struct spu_bundle_opts *opts, struct spu_error *err);

/* Take one more reference; returns b. */
struct spu_bundle *spu_bundle_ref(struct spu_bundle *b);

/* Drop one reference; the last frees the bundle. NULL is a no-op. */
void spu_bundle_unref(struct spu_bundle *b);

/* ---- accessors (all borrow from the bundle) ---- */

/* The verified view: every section array and count. */
const struct spu_bview *spu_bundle_view(const struct spu_bundle *b);

const uint8_t *spu_bundle_checksum(const struct spu_bundle *b); /* 32 bytes */
uint64_t spu_bundle_size(const struct spu_bundle *b);
/* 1 when signed by a trusted key (checked at load). */
int spu_bundle_signed(const struct spu_bundle *b);
/* The bundle's name (GLOBALS), with its length. */
const char *spu_bundle_name(const struct spu_bundle *b, uint32_t *len);

/* A string of the bundle: pointer and *len (not NUL-terminated). */
const char *spu_bundle_str(const struct spu_bundle *b, struct spu_bstr s, uint32_t *len);

/* n words of the u32 pool at off (verified ranges only). */
const uint32_t *spu_bundle_u32(const struct spu_bundle *b, uint32_t off);

/* The layout view of bundle layout `id`, or of a stdlib record when id
 * has SPU_LAYOUT_STD; NULL when out of range. Names are NUL-terminated. */
const struct spu_layout *spu_bundle_layout(const struct spu_bundle *b, uint32_t id);

/* Constant `i` as a value (strings and ips point into the bundle). */
const struct spu_value *spu_bundle_const(const struct spu_bundle *b, uint32_t i);

/* Compiled regex `i` (PCRE2, JIT-compiled when supported). Match data is
 * per thread: the VM keeps its own. */
const pcre2_code *spu_bundle_regex(const struct spu_bundle *b, uint32_t i);

/* The bundle's lists (stdlib/lists.h), indexed like the LIST section.
 * The bundle owns them; `spuctl list` reloads one with spu_lists_swap()
 * (the only thing in a bundle that changes after loading). */
struct spu_lists *spu_bundle_lists(const struct spu_bundle *b);

/* List i built afresh from its declaration: its inline items and its
 * file read now (relative paths against the rule file's directory at
 * compile time), sealed, for spu_lists_swap(). Returns new, or NULL with
 * err (the file and line of a bad entry). */
struct spu_listset *spu_bundle_list_rebuild(const struct spu_bundle *b, uint32_t i,
                                            struct spu_error *err);

/* The same, with edit(ctx, set, err) called on the set once its items and
 * file are in and before it is sealed (live additions and removals,
 * spuctl list add/remove); a non-zero return is the rebuild's error. */
struct spu_listset;
typedef int (*spu_list_edit_fn)(void *ctx, struct spu_listset *s, struct spu_error *err);
struct spu_listset *spu_bundle_list_rebuild_with(const struct spu_bundle *b, uint32_t i,
                                                 spu_list_edit_fn edit, void *ctx,
                                                 struct spu_error *err);

/* The literal prefilter (prefilter.h). */
const struct spu_prefilter *spu_bundle_prefilter(const struct spu_bundle *b);

/* Rules of event `ev` without the INDEXED flag (candidates for every
 * event of that type when the event has a tree), ascending. */
const uint32_t *spu_bundle_unindexed(const struct spu_bundle *b, uint32_t ev, uint32_t *n);

/* Typed section arrays: spu_bundle_rules(b, &n) ... */
#define SPU_BUNDLE_ARRAY(fn, type)                                                                 \
    const type *spu_bundle_##fn(const struct spu_bundle *b, uint32_t *n);
SPU_BUNDLE_ARRAY(consts_raw, struct spu_bconst)
SPU_BUNDLE_ARRAY(code, struct spu_insn)
SPU_BUNDLE_ARRAY(progs, struct spu_bprog)
SPU_BUNDLE_ARRAY(layouts_raw, struct spu_blayout)
SPU_BUNDLE_ARRAY(fields, struct spu_bfield)
SPU_BUNDLE_ARRAY(dfas, struct spu_bdfa)
SPU_BUNDLE_ARRAY(dfadata, uint32_t)
SPU_BUNDLE_ARRAY(regexes_raw, struct spu_bregex)
SPU_BUNDLE_ARRAY(lists_raw, struct spu_blist)
SPU_BUNDLE_ARRAY(sinks, struct spu_bsink)
SPU_BUNDLE_ARRAY(protos, struct spu_bproto)
SPU_BUNDLE_ARRAY(events, struct spu_bevent)
SPU_BUNDLE_ARRAY(rules, struct spu_brule)
SPU_BUNDLE_ARRAY(sessions, struct spu_bsession)
SPU_BUNDLE_ARRAY(inodes, struct spu_binode)
SPU_BUNDLE_ARRAY(iedges, struct spu_biedge)
SPU_BUNDLE_ARRAY(patterns, struct spu_bpattern)
SPU_BUNDLE_ARRAY(outputs, struct spu_boutput)
SPU_BUNDLE_ARRAY(states, struct spu_bstate)
SPU_BUNDLE_ARRAY(metas, struct spu_bmeta)
SPU_BUNDLE_ARRAY(logs, struct spu_blog)
SPU_BUNDLE_ARRAY(logents, struct spu_blogent)
SPU_BUNDLE_ARRAY(queues, struct spu_bqueue)
#undef SPU_BUNDLE_ARRAY

#endif
