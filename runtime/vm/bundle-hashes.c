/*
 * bundle-hashes.c - the file hashes a bundle's rules read: a rule program
 * that loads a field named md5, sha1 or sha256 (of its event's record,
 * of an enclosing or paired record, or of a member record) needs that
 * hash of the files its events carry, so the digest captures must
 * compute it (spurun computes only those, --force-hash and --filestore's;
 * docs/grammar-vm.md "File hashes").
 */
#include "bundle-hashes.h"

#include "bundle-view.h"
#include "bytecode.h"
#include "value.h"

#include <string.h>

unsigned spu_hash_bit(const char *name, size_t n)
{
    static const struct {
        const char *name;
        unsigned bit;
    } hashes[] = {{"md5", SPU_HASH_MD5}, {"sha1", SPU_HASH_SHA1}, {"sha256", SPU_HASH_SHA256}};
    for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++)
        if (strlen(hashes[i].name) == n && memcmp(name, hashes[i].name, n) == 0)
            return hashes[i].bit;
    return 0;
}

/* The SPU_HASH_* bit of field `f` of layout `layout`; 0 for any other
 * field or a layout that is not the bundle's. */
static unsigned field_hash(const struct spu_bview *v, uint32_t layout, uint32_t f)
{
    const struct spu_bfield *fd = spu_bview_field(v, layout, f);
    const char *name = fd ? spu_bview_str(v, fd->name) : NULL;
    return name ? spu_hash_bit(name, fd->name.len) : 0;
}

unsigned spu_bundle_file_hashes(const struct spu_bundle *b)
{
    const struct spu_bview *v = spu_bundle_view(b);
    unsigned m = 0;
    for (uint32_t r = 0; r < v->nrules; r++) {
        const struct spu_brule *rule = &v->rules[r];
        if (rule->prog >= v->nprogs || rule->event >= v->nevents)
            continue;
        const struct spu_bprog *p = &v->progs[rule->prog];
        uint32_t ev_layout = v->events[rule->event].layout;
        for (uint32_t k = 0; k < p->code_len && p->code_off + k < v->ncode; k++) {
            const struct spu_insn *in = &v->code[p->code_off + k];
            if (in->op == SPU_OP_LOAD_FIELD)
                m |= field_hash(v, ev_layout, in->b);
            else if (in->op == SPU_OP_LOAD_ANC || in->op == SPU_OP_LOAD_PAIR ||
                     in->op == SPU_OP_MEMBER)
                m |= field_hash(v, in->c, in->b);
        }
    }
    return m;
}
