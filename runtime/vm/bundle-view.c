/* bundle-view.c - header and section-table checks (see bundle-view.h). */
#include "bundle-view.h"

#include "value.h"

#include <stddef.h>
#include <string.h>

static const char *const sect_names[SPU_SEC__MAX + 1] = {[0] = "?",
#define SPU_SEC_NAME(name, id, text) [id] = text,
                                                         SPU_SECTION_LIST(SPU_SEC_NAME)
#undef SPU_SEC_NAME
};

static const uint32_t sect_entsize[SPU_SEC__MAX + 1] = {
    [SPU_SEC_STRTAB] = 1,
    [SPU_SEC_U32] = sizeof(uint32_t),
    [SPU_SEC_GLOBALS] = sizeof(struct spu_bglobals),
    [SPU_SEC_CONST] = sizeof(struct spu_bconst),
    [SPU_SEC_CODE] = sizeof(struct spu_insn),
    [SPU_SEC_PROG] = sizeof(struct spu_bprog),
    [SPU_SEC_LAYOUT] = sizeof(struct spu_blayout),
    [SPU_SEC_FIELD] = sizeof(struct spu_bfield),
    [SPU_SEC_DFA] = sizeof(struct spu_bdfa),
    [SPU_SEC_DFADATA] = sizeof(uint32_t),
    [SPU_SEC_REGEX] = sizeof(struct spu_bregex),
    [SPU_SEC_LIST] = sizeof(struct spu_blist),
    [SPU_SEC_SINK] = sizeof(struct spu_bsink),
    [SPU_SEC_PROTO] = sizeof(struct spu_bproto),
    [SPU_SEC_EVENT] = sizeof(struct spu_bevent),
    [SPU_SEC_RULE] = sizeof(struct spu_brule),
    [SPU_SEC_SESSION] = sizeof(struct spu_bsession),
    [SPU_SEC_INODE] = sizeof(struct spu_binode),
    [SPU_SEC_IEDGE] = sizeof(struct spu_biedge),
    [SPU_SEC_PATTERN] = sizeof(struct spu_bpattern),
    [SPU_SEC_OUTPUT] = sizeof(struct spu_boutput),
    [SPU_SEC_META] = sizeof(struct spu_bmeta),
    [SPU_SEC_SIG] = sizeof(struct spu_bsig),
    [SPU_SEC_HSDB] = 1,
    [SPU_SEC_LOG] = sizeof(struct spu_blog),
    [SPU_SEC_LOGENT] = sizeof(struct spu_blogent),
    [SPU_SEC_QUEUE] = sizeof(struct spu_bqueue),
    [SPU_SEC_STATE] = sizeof(struct spu_bstate),
};

const char *spu_section_name(unsigned id)
{
    return id >= 1 && id <= SPU_SEC__MAX ? sect_names[id] : "?";
}

uint32_t spu_section_entsize(unsigned id)
{
    return id >= 1 && id <= SPU_SEC__MAX ? sect_entsize[id] : 0;
}

uint64_t spu_bview_off(const struct spu_bview *v, unsigned id, uint64_t index, uint64_t field)
{
    if (id < 1 || id > SPU_SEC__MAX)
        return 0;
    return v->sec[id].off + index * sect_entsize[id] + field;
}

const char *spu_bview_str(const struct spu_bview *v, struct spu_bstr s)
{
    if ((uint64_t)s.off + s.len > v->nstrtab)
        return NULL;
    return v->strtab ? v->strtab + s.off : "";
}

const struct spu_bfield *spu_bview_field(const struct spu_bview *v, uint32_t layout, uint32_t f)
{
    if (layout >= v->nlayouts || f >= v->layouts[layout].nfields)
        return NULL;
    uint32_t i = v->layouts[layout].first_field + f;
    return i < v->nfields ? &v->fields[i] : NULL;
}

#define HDR_FIELD(f) offsetof(struct spu_bhdr, f)
#define TAB_FIELD(i, f)                                                                            \
    (SPU_BHDR_SIZE + (uint64_t)(i) * sizeof(struct spu_bsect) + offsetof(struct spu_bsect, f))

static int hdr_fail(struct spu_error *err, int code, uint64_t off, const char *msg)
{
    return spu_error_at(err, code, "header", off, "%s", msg);
}

static int check_header(const uint8_t *p, uint64_t size, struct spu_error *err)
{
    const struct spu_bhdr *h = (const struct spu_bhdr *)p;
    if (size < SPU_BHDR_SIZE)
        return spu_error_at(err, SPU_EFORMAT, "header", size,
                            "truncated: %llu bytes, the header alone needs %u",
                            (unsigned long long)size, SPU_BHDR_SIZE);
    if (memcmp(h->magic, SPU_BUNDLE_MAGIC, 8) != 0)
        return hdr_fail(err, SPU_EFORMAT, HDR_FIELD(magic), "not a bundle (bad magic)");
    if (h->version != SPU_BUNDLE_VERSION)
        return spu_error_at(err, SPU_EVERSION, "header", HDR_FIELD(version),
                            "bundle version %u, this build reads version %u", h->version,
                            SPU_BUNDLE_VERSION);
    if (h->hdr_size != SPU_BHDR_SIZE)
        return spu_error_at(err, SPU_EFORMAT, "header", HDR_FIELD(hdr_size),
                            "header size %u, expected %u", h->hdr_size, SPU_BHDR_SIZE);
    if (h->endian != SPU_BUNDLE_ENDIAN)
        return hdr_fail(err, SPU_EFORMAT, HDR_FIELD(endian),
                        "byte-order probe mismatch (bundle from a host of other endianness)");
    if (h->insn_size != sizeof(struct spu_insn))
        return spu_error_at(err, SPU_EFORMAT, "header", HDR_FIELD(insn_size),
                            "instruction size %u, expected %zu", h->insn_size,
                            sizeof(struct spu_insn));
    if (h->value_size != sizeof(struct spu_value))
        return spu_error_at(err, SPU_EFORMAT, "header", HDR_FIELD(value_size),
                            "value size probe %u, expected %zu", h->value_size,
                            sizeof(struct spu_value));
    if (h->flags & ~(uint32_t)SPU_BF_SIGNED)
        return spu_error_at(err, SPU_EFORMAT, "header", HDR_FIELD(flags), "unknown flags 0x%x",
                            h->flags);
    for (size_t i = 0; i < sizeof(h->reserved); i++)
        if (h->reserved[i])
            return hdr_fail(err, SPU_EFORMAT, HDR_FIELD(reserved) + i,
                            "reserved header bytes are not zero");
    if (h->file_size != size)
        return spu_error_at(err, SPU_EFORMAT, "header", HDR_FIELD(file_size),
                            "file is %llu bytes, header says %llu (truncated or padded)",
                            (unsigned long long)size, (unsigned long long)h->file_size);
    if (size > SPU_BUNDLE_MAX_SIZE)
        return hdr_fail(err, SPU_EFORMAT, HDR_FIELD(file_size), "bundle larger than 2 GiB");
    if (h->nsections > SPU_SEC__MAX ||
        SPU_BHDR_SIZE + (uint64_t)h->nsections * sizeof(struct spu_bsect) > size)
        return spu_error_at(err, SPU_EFORMAT, "header", HDR_FIELD(nsections),
                            "%u sections: the section table does not fit in the file",
                            h->nsections);
    return SPU_OK;
}

static int check_table(const uint8_t *p, uint64_t size, struct spu_bview *v, struct spu_error *err)
{
    const struct spu_bhdr *h = (const struct spu_bhdr *)p;
    const struct spu_bsect *t = (const struct spu_bsect *)(p + SPU_BHDR_SIZE);
    uint64_t data_start = SPU_BHDR_SIZE + (uint64_t)h->nsections * sizeof(struct spu_bsect);
    uint64_t prev_end = data_start;
    unsigned prev_id = 0;
    for (uint32_t i = 0; i < h->nsections; i++) {
        const struct spu_bsect *s = &t[i];
        if (s->id < 1 || s->id > SPU_SEC__MAX)
            return spu_error_at(err, SPU_EFORMAT, "sections", TAB_FIELD(i, id),
                                "section table entry %u: unknown section id %u", i, s->id);
        const char *name = sect_names[s->id];
        if (s->id == prev_id)
            return spu_error_at(err, SPU_EFORMAT, name, TAB_FIELD(i, id),
                                "section table entry %u: duplicate section", i);
        if (s->id < prev_id)
            return spu_error_at(err, SPU_EFORMAT, name, TAB_FIELD(i, id),
                                "section table entry %u: not in section-id order", i);
        if (s->entsize != sect_entsize[s->id])
            return spu_error_at(err, SPU_EFORMAT, name, TAB_FIELD(i, entsize),
                                "entry size %u, expected %u", s->entsize, sect_entsize[s->id]);
        if (s->offset % 8)
            return spu_error_at(err, SPU_EFORMAT, name, TAB_FIELD(i, offset),
                                "section offset %llu is not 8-aligned",
                                (unsigned long long)s->offset);
        if (s->offset > size || s->size > size - s->offset)
            return spu_error_at(err, SPU_EFORMAT, name, TAB_FIELD(i, offset),
                                "section [%llu, +%llu) outside the file of %llu bytes",
                                (unsigned long long)s->offset, (unsigned long long)s->size,
                                (unsigned long long)size);
        if (s->offset < prev_end)
            return spu_error_at(
                err, SPU_EFORMAT, name, TAB_FIELD(i, offset),
                "section at %llu overlaps %s (ends at %llu)", (unsigned long long)s->offset,
                prev_id ? sect_names[prev_id] : "the section table", (unsigned long long)prev_end);
        if (s->size % s->entsize)
            return spu_error_at(err, SPU_EFORMAT, name, TAB_FIELD(i, size),
                                "size %llu is not a multiple of the entry size %u",
                                (unsigned long long)s->size, s->entsize);
        struct spu_bview_sect *vs = &v->sec[s->id];
        vs->off = s->offset;
        vs->size = s->size;
        vs->entsize = s->entsize;
        vs->n = (uint32_t)(s->size / s->entsize);
        vs->present = 1;
        vs->table = i;
        prev_end = s->offset + s->size;
        prev_id = s->id;
    }
    return SPU_OK;
}

#define SEC_PTR(v, id) ((v)->sec[id].present ? (const void *)((v)->base + (v)->sec[id].off) : NULL)

int spu_bview_parse(const void *data, uint64_t size, struct spu_bview *v, struct spu_error *err)
{
    const uint8_t *p = data;
    memset(v, 0, sizeof(*v));
    int rc = check_header(p, size, err);
    if (rc != SPU_OK)
        return rc;
    v->base = p;
    v->size = size;
    v->hdr = (const struct spu_bhdr *)p;
    rc = check_table(p, size, v, err);
    if (rc != SPU_OK)
        return rc;
    if (!v->sec[SPU_SEC_GLOBALS].present || v->sec[SPU_SEC_GLOBALS].n != 1)
        return spu_error_at(err, SPU_EFORMAT, "globals", v->sec[SPU_SEC_GLOBALS].off,
                            "exactly one globals entry is required (found %u)",
                            v->sec[SPU_SEC_GLOBALS].n);
    int has_sig = v->sec[SPU_SEC_SIG].present;
    if (has_sig && v->sec[SPU_SEC_SIG].n != 1)
        return spu_error_at(err, SPU_EFORMAT, "sig", v->sec[SPU_SEC_SIG].off,
                            "a signature section holds exactly one signature");
    if (!!(v->hdr->flags & SPU_BF_SIGNED) != has_sig)
        return spu_error_at(err, SPU_EFORMAT, "header", HDR_FIELD(flags),
                            has_sig ? "signature section without the SIGNED flag"
                                    : "SIGNED flag without a signature section");

#define FILL(id, ptr, cnt)                                                                         \
    do {                                                                                           \
        v->ptr = SEC_PTR(v, id);                                                                   \
        v->cnt = v->sec[id].n;                                                                     \
    } while (0)
    FILL(SPU_SEC_STRTAB, strtab, nstrtab);
    FILL(SPU_SEC_U32, u32, nu32);
    FILL(SPU_SEC_CONST, consts, nconsts);
    FILL(SPU_SEC_CODE, code, ncode);
    FILL(SPU_SEC_PROG, progs, nprogs);
    FILL(SPU_SEC_LAYOUT, layouts, nlayouts);
    FILL(SPU_SEC_FIELD, fields, nfields);
    FILL(SPU_SEC_DFA, dfas, ndfas);
    FILL(SPU_SEC_DFADATA, dfadata, ndfadata);
    FILL(SPU_SEC_REGEX, regexes, nregexes);
    FILL(SPU_SEC_LIST, lists, nlists);
    FILL(SPU_SEC_SINK, sinks, nsinks);
    FILL(SPU_SEC_PROTO, protos, nprotos);
    FILL(SPU_SEC_EVENT, events, nevents);
    FILL(SPU_SEC_RULE, rules, nrules);
    FILL(SPU_SEC_SESSION, sessions, nsessions);
    FILL(SPU_SEC_INODE, inodes, ninodes);
    FILL(SPU_SEC_IEDGE, iedges, niedges);
    FILL(SPU_SEC_PATTERN, patterns, npatterns);
    FILL(SPU_SEC_OUTPUT, outputs, noutputs);
    FILL(SPU_SEC_META, metas, nmetas);
    FILL(SPU_SEC_HSDB, hsdb, nhsdb);
    FILL(SPU_SEC_LOG, logs, nlogs);
    FILL(SPU_SEC_LOGENT, logents, nlogents);
    FILL(SPU_SEC_QUEUE, queues, nqueues);
    FILL(SPU_SEC_STATE, states, nstates);
#undef FILL
    v->globals = SEC_PTR(v, SPU_SEC_GLOBALS);
    v->sig = SEC_PTR(v, SPU_SEC_SIG);
    return SPU_OK;
}
