/*
 * prefilter.h - the literal prefilter of a bundle: one Hyperscan database
 * per group of PATTERN entries sharing (event, key_prog).
 *
 * Groups are ordered by (event, key_prog); within a group the patterns by
 * (rule, PATTERN index). A database reports PATTERN indexes as match ids
 * (each at most once per scan: HS_FLAG_SINGLEMATCH; NOCASE patterns are
 * HS_FLAG_CASELESS). A rule with patterns in k groups has k "prefilter
 * groups": it stays a candidate only if a literal of each was found.
 *
 * Built once per bundle at load (bundle.c) and immutable after: scanning
 * from several threads is safe, each with its own hs_scratch_t. The
 * writer (bundle-write.c) builds the same thing to embed the serialized
 * databases as the HSDB cache; the loader takes the cache only from a
 * bundle signed by a trusted key (it passes `cache` only then).
 */
#ifndef SPU_PREFILTER_H
#define SPU_PREFILTER_H

#include "bundle-view.h"
#include "err.h"

#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

struct spu_prefilter;

struct spu_pf_group {
    uint32_t event;
    uint32_t key_prog;
    uint32_t first; /* into spu_prefilter_order() */
    uint32_t n;     /* patterns */
    hs_database_t *db;
};

/* Build from the PATTERN section of `v` (whose strings are bounds-checked
 * here). `cache` (HSDB bytes, may be NULL) is tried first; if it does not
 * match the groups exactly or fails to deserialize it is ignored and the
 * databases are compiled. Returns SPU_OK with *out new (NULL-free when the
 * bundle has no patterns: an empty prefilter), or SPU_EFORMAT / SPU_ENOMEM
 * with err naming the section "pattern" and the offset of the first
 * pattern of the failing group. */
int spu_prefilter_build(const struct spu_bview *v, const uint8_t *cache, size_t cache_len,
                        struct spu_prefilter **out, struct spu_error *err);

void spu_prefilter_free(struct spu_prefilter *pf);

/* Serialize the databases in the HSDB format (bundle-format.h). *out is a
 * new malloc'd buffer. */
int spu_prefilter_serialize(const struct spu_prefilter *pf, uint8_t **out, size_t *len,
                            struct spu_error *err);

/* 1 when the databases came from the HSDB cache. */
int spu_prefilter_from_cache(const struct spu_prefilter *pf);

/* Groups of event `ev`: *n groups starting at the returned pointer. */
const struct spu_pf_group *spu_prefilter_groups(const struct spu_prefilter *pf, uint32_t ev,
                                                uint32_t *n);

/* PATTERN indexes in group order. */
const uint32_t *spu_prefilter_order(const struct spu_prefilter *pf);

/* Number of groups in which rule `r` has patterns (0: not prefiltered). */
uint32_t spu_prefilter_rule_groups(const struct spu_prefilter *pf, uint32_t r);

/* Make `*scratch` (NULL or an existing scratch) large enough for every
 * database of pf. SPU_OK or SPU_ENOMEM. */
int spu_prefilter_scratch(const struct spu_prefilter *pf, hs_scratch_t **scratch);

#endif
