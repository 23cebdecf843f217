/*
 * bundle-write.h - building and writing a bundle (.spb, bundle-format.h).
 *
 * Code generation fills a builder with the bundle's tables: strings
 * (deduplicated), the u32 pool, constants (deduplicated), code, programs,
 * layouts and fields, DFAs, regexes, lists, sinks, protocols, events,
 * rules, sessions, lookup-tree nodes and edges, prefilter patterns,
 * outputs and meta entries. Every add returns the entry's index (or, for
 * strings, u32 slices and code, where it landed); entries may be patched
 * afterwards through spu_bw_at() (forward references: an event's rule list
 * before the rules exist, ...).
 *
 * spu_bw_write() lays out the header, the section table and the non-empty
 * sections (8-aligned, in id order; GLOBALS always), stores the stdlib
 * fingerprint, computes the SHA-256 checksum, and optionally signs it
 * (Ed25519; key files: see bundle-crypt.h) and embeds serialized
 * prefilter databases (HSDB). The same builder content always gives the
 * same bytes. The writer checks nothing about the content: spuc runs the
 * verifier (spu_bundle_load_mem) on what it wrote.
 *
 * Allocation failures are sticky: the failing add returns SPU_NONE (or an
 * empty string) and spu_bw_write() then fails with the first error.
 * Single-threaded: one builder per compilation.
 */
#ifndef SPU_BUNDLE_WRITE_H
#define SPU_BUNDLE_WRITE_H

#include "bundle-format.h"
#include "bytecode.h"
#include "err.h"

#include <stddef.h>
#include <stdint.h>

struct spu_bw;

/* Returns a new, empty builder (GLOBALS zeroed, flow_layout SPU_NONE), or
 * NULL with err set. */
struct spu_bw *spu_bw_new(struct spu_error *err);

/* Frees the builder. NULL is a no-op. */
void spu_bw_free(struct spu_bw *bw);

/* SPU_OK, or the first allocation error of any add. */
int spu_bw_status(const struct spu_bw *bw);

/* A string of STRTAB: identical bytes share one copy. Borrows p. */
struct spu_bstr spu_bw_str(struct spu_bw *bw, const void *p, size_t len);
struct spu_bstr spu_bw_cstr(struct spu_bw *bw, const char *s);

/* Append n words to the U32 pool; returns their offset (in words). */
uint32_t spu_bw_u32(struct spu_bw *bw, const uint32_t *v, size_t n);

/* Constants (deduplicated); each returns the CONST index. */
uint32_t spu_bw_const_int(struct spu_bw *bw, int64_t v);
uint32_t spu_bw_const_str(struct spu_bw *bw, const void *p, size_t len, unsigned flags);
uint32_t spu_bw_const_ip(struct spu_bw *bw, const uint8_t ip[16], unsigned family, unsigned prefix,
                         unsigned flags);
uint32_t spu_bw_const_list(struct spu_bw *bw, uint32_t list);
uint32_t spu_bw_const_regex(struct spu_bw *bw, uint32_t regex);

/* Append n instructions to CODE; returns the index of the first (a
 * program's code_off). */
uint32_t spu_bw_code(struct spu_bw *bw, const struct spu_insn *code, size_t n);

/* A DFA image: the arrays are copied into DFADATA. */
struct spu_bw_dfa {
    uint32_t nstates, nclasses, start, nlabels, flags;
    const uint8_t *classmap; /* 256 bytes: the class of each byte */
    const uint32_t *trans;   /* nstates * nclasses next states */
    const uint32_t *accept;  /* nstates: accepted label or SPU_NONE */
    const uint32_t *decide;  /* nstates: the only reachable label or SPU_NONE */
    const char *source;      /* pattern text for diagnostics, may be NULL */
    size_t source_len;
};
/* Returns the DFA index. */
uint32_t spu_bw_dfa(struct spu_bw *bw, const struct spu_bw_dfa *img);

/* Generic add of one entry of a table section (PROG, LAYOUT, FIELD, REGEX,
 * LIST, SINK, PROTO, EVENT, RULE, SESSION, INODE, IEDGE, PATTERN, OUTPUT,
 * META), copied from `entry`; returns its index. */
uint32_t spu_bw_add(struct spu_bw *bw, unsigned section, const void *entry);

/* Entry `index` of a section, writable; valid until the next add to that
 * section. NULL when out of range. */
void *spu_bw_at(struct spu_bw *bw, unsigned section, uint32_t index);

/* Number of entries (bytes for STRTAB, words for U32 and DFADATA). */
uint32_t spu_bw_count(const struct spu_bw *bw, unsigned section);

/* The bundle-wide facts, writable. */
struct spu_bglobals *spu_bw_globals(struct spu_bw *bw);

#define SPU_BW_TYPED(fn, SEC, type)                                                                \
    static inline uint32_t spu_bw_##fn(struct spu_bw *bw, const type *e)                           \
    {                                                                                              \
        return spu_bw_add(bw, SPU_SEC_##SEC, e);                                                   \
    }
SPU_BW_TYPED(prog, PROG, struct spu_bprog)
SPU_BW_TYPED(layout, LAYOUT, struct spu_blayout)
SPU_BW_TYPED(field, FIELD, struct spu_bfield)
SPU_BW_TYPED(regex, REGEX, struct spu_bregex)
SPU_BW_TYPED(list, LIST, struct spu_blist)
SPU_BW_TYPED(sink, SINK, struct spu_bsink)
SPU_BW_TYPED(proto, PROTO, struct spu_bproto)
SPU_BW_TYPED(event, EVENT, struct spu_bevent)
SPU_BW_TYPED(rule, RULE, struct spu_brule)
SPU_BW_TYPED(session, SESSION, struct spu_bsession)
SPU_BW_TYPED(inode, INODE, struct spu_binode)
SPU_BW_TYPED(iedge, IEDGE, struct spu_biedge)
SPU_BW_TYPED(pattern, PATTERN, struct spu_bpattern)
SPU_BW_TYPED(output, OUTPUT, struct spu_boutput)
SPU_BW_TYPED(queue, QUEUE, struct spu_bqueue)
SPU_BW_TYPED(state, STATE, struct spu_bstate)
SPU_BW_TYPED(meta, META, struct spu_bmeta)
SPU_BW_TYPED(log, LOG, struct spu_blog)
SPU_BW_TYPED(logent, LOGENT, struct spu_blogent)
#undef SPU_BW_TYPED

struct spu_bw_opts {
    const uint8_t *sign_key; /* 64-byte Ed25519 secret key, or NULL: unsigned */
    int hs_cache;            /* embed serialized prefilter databases (HSDB) */
};

/* Lay out the bundle. On success *out is a new malloc'd buffer of *len
 * bytes (the caller frees it). opts may be NULL. SPU_OK, or the builder's
 * sticky error, SPU_ENOMEM, or a prefilter compile error (hs_cache). */
int spu_bw_write(struct spu_bw *bw, const struct spu_bw_opts *opts, uint8_t **out, size_t *len,
                 struct spu_error *err);

/* spu_bw_write() to `path` (written to path.tmp, then renamed). */
int spu_bw_write_file(struct spu_bw *bw, const struct spu_bw_opts *opts, const char *path,
                      struct spu_error *err);

#endif
