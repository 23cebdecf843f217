/*
 * bundle-view.h - a typed view of a bundle's bytes (bundle-format.h).
 *
 * spu_bview_parse() checks the header and the section table (magic,
 * version, probes, file size, every section 8-aligned, inside the file,
 * non-overlapping, in id order, sizes multiples of the expected entsize)
 * and fills typed pointers to each section. It does not check the
 * checksum (bundle.c does) nor anything inside the sections (verify.c
 * does). The view borrows the bytes: it is valid as long as they are.
 *
 * Absent sections have count 0 and a NULL pointer; GLOBALS is required.
 * Pure functions; any thread.
 */
#ifndef SPU_BUNDLE_VIEW_H
#define SPU_BUNDLE_VIEW_H

#include "bundle-format.h"
#include "bytecode.h"
#include "err.h"

#include <stddef.h>
#include <stdint.h>

/* The largest bundle accepted (keeps every count and offset in 32 bits). */
#define SPU_BUNDLE_MAX_SIZE (1ull << 31)

struct spu_bview_sect {
    uint64_t off;  /* file offset of the data (0 when absent) */
    uint64_t size; /* bytes */
    uint32_t n;    /* entries */
    uint32_t entsize;
    int present;
    uint32_t table; /* index of its entry in the section table */
};

struct spu_bview {
    const uint8_t *base;
    uint64_t size;
    const struct spu_bhdr *hdr;
    struct spu_bview_sect sec[SPU_SEC__MAX + 1]; /* by section id; [0] unused */

    const char *strtab;
    uint32_t nstrtab;
    const uint32_t *u32;
    uint32_t nu32;
    const struct spu_bglobals *globals;
    const struct spu_bconst *consts;
    uint32_t nconsts;
    const struct spu_insn *code;
    uint32_t ncode;
    const struct spu_bprog *progs;
    uint32_t nprogs;
    const struct spu_blayout *layouts;
    uint32_t nlayouts;
    const struct spu_bfield *fields;
    uint32_t nfields;
    const struct spu_bdfa *dfas;
    uint32_t ndfas;
    const uint32_t *dfadata;
    uint32_t ndfadata;
    const struct spu_bregex *regexes;
    uint32_t nregexes;
    const struct spu_blist *lists;
    uint32_t nlists;
    const struct spu_bsink *sinks;
    uint32_t nsinks;
    const struct spu_bproto *protos;
    uint32_t nprotos;
    const struct spu_bevent *events;
    uint32_t nevents;
    const struct spu_brule *rules;
    uint32_t nrules;
    const struct spu_bsession *sessions;
    uint32_t nsessions;
    const struct spu_binode *inodes;
    uint32_t ninodes;
    const struct spu_biedge *iedges;
    uint32_t niedges;
    const struct spu_bpattern *patterns;
    uint32_t npatterns;
    const struct spu_boutput *outputs;
    uint32_t noutputs;
    const struct spu_bmeta *metas;
    uint32_t nmetas;
    const struct spu_bstate *states;
    uint32_t nstates;
    const struct spu_bsig *sig; /* NULL when unsigned */
    const uint8_t *hsdb;
    uint32_t nhsdb;
    const struct spu_blog *logs;
    uint32_t nlogs;
    const struct spu_bqueue *queues;
    uint32_t nqueues;
    const struct spu_blogent *logents;
    uint32_t nlogents;
};

/* Check the header and section table of `size` bytes at `data` (8-byte
 * aligned) and fill `v`, which borrows `data`. Returns SPU_OK, or
 * SPU_EFORMAT / SPU_EVERSION with err naming the section ("header",
 * "sections" or the section's name) and the byte offset. */
int spu_bview_parse(const void *data, uint64_t size, struct spu_bview *v, struct spu_error *err);

/* "code" for SPU_SEC_CODE; "?" for an unknown id. */
const char *spu_section_name(unsigned id);

/* Expected entry size of a section id (0 for an unknown id). */
uint32_t spu_section_entsize(unsigned id);

/* File offset of entry `index` of section `id` plus `field` bytes, for
 * error messages (the section's offset when it is absent). */
uint64_t spu_bview_off(const struct spu_bview *v, unsigned id, uint64_t index, uint64_t field);

/* String `s` of STRTAB; NULL when out of range (never, after verification;
 * a zero-length string gives a valid pointer). */
const char *spu_bview_str(const struct spu_bview *v, struct spu_bstr s);

/* The FIELD entry of field `f` of layout `layout`; NULL when out of range. */
const struct spu_bfield *spu_bview_field(const struct spu_bview *v, uint32_t layout, uint32_t f);

#endif
