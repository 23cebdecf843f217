/*
 * lists-int.h - the inside of struct spu_listset, shared by lists.c (the
 * container, dispatch and file loading) and the per-kind files list-str.c,
 * list-ip.c, list-re.c. Built on one thread, read-only once sealed.
 */
#ifndef SPU_LISTS_INT_H
#define SPU_LISTS_INT_H

#include "lists.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

struct strent {
    uint64_t hash;
    uint32_t off; /* in pool */
    uint32_t len;
};

struct u128 {
    uint64_t hi, lo;
};

struct iprange {
    struct u128 lo, hi; /* inclusive */
};

struct spu_listset {
    unsigned kind;
    unsigned flags;
    int sealed;
    /* SPU_LIST_STR: bytes in pool (folded when NOCASE), entries, and an
     * open-addressing table of entry index + 1 (0 = empty) */
    uint8_t *pool;
    size_t pool_len, pool_cap;
    struct strent *ents;
    size_t nents, ents_cap;
    uint32_t *slots;
    size_t nslots; /* power of two, at least twice nents */
    /* SPU_LIST_IP: ranges as added, then sorted and merged by seal */
    struct iprange *ranges;
    size_t nranges, ranges_cap;
    size_t nblocks; /* blocks added */
    /* SPU_LIST_REGEX */
    pcre2_code **res;
    size_t nres, res_cap;
    pcre2_match_context *mctx;
};

int spu_lstr_add(struct spu_listset *s, const uint8_t *p, size_t n);
/* Remove the entry p[0..n) (unsealed). SPU_OK, SPU_ENOTFOUND, SPU_ENOMEM. */
int spu_lstr_remove(struct spu_listset *s, const uint8_t *p, size_t n);
int spu_lstr_has(const struct spu_listset *s, const uint8_t *p, size_t n);
void spu_lstr_free(struct spu_listset *s);

/* ip: 16 bytes; prefix in bits of the 128-bit space (IPv4: + 96) */
int spu_lip_add(struct spu_listset *s, const uint8_t ip[16], uint32_t bits);
/* Remove every block added that is exactly this one (unsealed): SPU_OK,
 * SPU_ENOTFOUND. */
int spu_lip_remove(struct spu_listset *s, const uint8_t ip[16], uint32_t bits);
int spu_lip_seal(struct spu_listset *s);
int spu_lip_has(const struct spu_listset *s, const uint8_t ip[16], uint32_t bits);
void spu_lip_free(struct spu_listset *s);

int spu_lre_add(struct spu_listset *s, const uint8_t *p, size_t n, uint32_t re_flags,
                struct spu_error *err);
int spu_lre_seal(struct spu_listset *s);
/* 1, 0 or SPU_ENOMEM */
int spu_lre_has(const struct spu_listset *s, const uint8_t *p, size_t n);
void spu_lre_free(struct spu_listset *s);

#endif
