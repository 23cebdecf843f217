/*
 * value.h - the values the VM computes with, and records (symbol tables).
 *
 * A value is 16 bytes and never owns memory: strings, ips, records and arrays
 * point into packet data (valid for the current event only), the bundle
 * (constants), a message's arena (fields kept for the transaction) or the
 * event's scratch arena (results of built-ins). Whoever stores a value past
 * the lifetime of what it points to must copy it (spu_value_copy).
 *
 * A record is the symbol table of one unit or message: one slot per field of
 * its layout; a repeated field's slot holds an array.
 */
#ifndef SPU_VALUE_H
#define SPU_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spu_arena;

/* Static types (compiler, bundle field/var tables) and dynamic value tags
 * share one numbering. */
#define SPU_TYPE_LIST(X)                                                       \
    X(NULL, "null")                                                            \
    X(BOOL, "bool")                                                            \
    X(INT, "int")                                                              \
    X(STR, "string")                                                           \
    X(IP, "ip")                                                                \
    X(REGEX, "regex")                                                          \
    X(LIST, "list")                                                            \
    X(REC, "record")                                                           \
    X(ARR, "array")                                                            \
    X(ANY, "any")

enum spu_type {
#define SPU_TYPE_ENUM(n, s) SPU_T_##n,
    SPU_TYPE_LIST(SPU_TYPE_ENUM)
#undef SPU_TYPE_ENUM
    SPU_T__COUNT
};

const char *spu_type_name(unsigned t);

struct spu_record;
struct spu_array;

struct spu_value {
    uint8_t type;  /* enum spu_type (never ANY at run time) */
    uint8_t flags; /* SPU_VF_* */
    uint16_t aux;  /* IP: family 4 or 6; REC: unused */
    uint32_t len;  /* STR: byte length; IP: prefix length (0..128, 128/32 = host) */
    union {
        int64_t i;                    /* BOOL (0/1), INT */
        const uint8_t *s;             /* STR bytes; IP: 16 bytes (v4 in the last 4) */
        const struct spu_record *rec; /* REC */
        const struct spu_array *arr;  /* ARR */
        uint32_t idx;                 /* REGEX, LIST: index in the bundle */
    } u;
};
_Static_assert(sizeof(struct spu_value) == 16, "spu_value must be 16 bytes");

enum {
    SPU_VF_TRUNCATED = 1u << 0, /* STR: a limit cut it short */
    SPU_VF_INCOMPLETE = 1u << 1, /* STR/REC: the message ended early */
    SPU_VF_DIGEST = 1u << 2      /* STR: a struct spu_digest follows the bytes */
};

/* Size and hashes of all the content a `digest` capture saw, however much
 * of it its limit kept. It is stored unaligned right after the string's
 * bytes (u.s[len..len + SPU_DIGEST_SIZE)), so a copy of the string that
 * keeps the flag keeps it too (spu_str_dup). */
struct spu_digest {
    uint64_t size;
    uint8_t hashes; /* SPU_HASH_* bits: the hashes computed (the others zero) */
    uint8_t md5[16];
    uint8_t sha1[20];
    uint8_t sha256[32];
};
#define SPU_DIGEST_SIZE sizeof(struct spu_digest)

/* File hashes a `digest` capture computes (spurun --force-hash, rules
 * reading them, --filestore; docs/grammar-vm.md "File hashes"). */
enum {
    SPU_HASH_MD5 = 1u << 0,
    SPU_HASH_SHA1 = 1u << 1,
    SPU_HASH_SHA256 = 1u << 2,
    SPU_HASH_ALL = 7u
};

/* A layout names a record's fields; the VM only needs counts and, for map
 * arrays, which fields are key and value. Bundle layouts and stdlib record
 * layouts (records.def) both present themselves this way. */
struct spu_layout {
    const char *name;
    uint32_t id;       /* bundle layout index, or SPU_LAYOUT_STD | stdlib id */
    uint32_t nfields;
    int32_t map_key;   /* field index, or -1 when not a map */
    int32_t map_value;
};
#define SPU_LAYOUT_STD 0x80000000u

struct spu_record {
    const struct spu_layout *layout;
    const struct spu_record *parent; /* enclosing record (sub-stream opener), or NULL */
    const struct spu_record *pair;   /* the paired message of the transaction, or NULL */
    uint32_t nslots;                 /* == layout->nfields */
    uint32_t flags;                  /* SPU_VF_INCOMPLETE */
    struct spu_value slot[];
};

struct spu_array {
    uint32_t n;
    uint32_t cap;
    struct spu_value v[];
};

/* Constructors for the common cases (no allocation). */
static inline struct spu_value spu_v_null(void)
{
    struct spu_value v = {0};
    return v;
}
static inline struct spu_value spu_v_bool(bool b)
{
    struct spu_value v = {.type = SPU_T_BOOL};
    v.u.i = b ? 1 : 0;
    return v;
}
static inline struct spu_value spu_v_int(int64_t i)
{
    struct spu_value v = {.type = SPU_T_INT};
    v.u.i = i;
    return v;
}
static inline struct spu_value spu_v_str(const void *p, uint32_t len)
{
    struct spu_value v = {.type = SPU_T_STR, .len = len};
    v.u.s = (const uint8_t *)p;
    return v;
}
static inline struct spu_value spu_v_rec(const struct spu_record *r)
{
    struct spu_value v = {.type = r ? SPU_T_REC : SPU_T_NULL};
    v.u.rec = r;
    return v;
}
static inline struct spu_value spu_v_arr(const struct spu_array *a)
{
    struct spu_value v = {.type = a ? SPU_T_ARR : SPU_T_NULL};
    v.u.arr = a;
    return v;
}

/* Truth value: null, false and 0 are false; everything else is true. */
bool spu_value_truth(const struct spu_value *v);

/* Equality as the EQ opcode defines it. */
bool spu_value_eq(const struct spu_value *a, const struct spu_value *b);

/* Allocate a record of `layout` in `a`, all slots null. NULL on cap/OOM. */
struct spu_record *spu_record_new(struct spu_arena *a, const struct spu_layout *layout);

/* Append `v` to the array in *slot (creating or growing it in `a`).
 * Returns SPU_OK or SPU_ELIMIT/SPU_ENOMEM. */
int spu_array_push(struct spu_arena *a, struct spu_value *slot, struct spu_value v);

/* Deep-copy `v` (string bytes, ip bytes, arrays and records) into `a`, so it
 * no longer points into packet or scratch memory. Returns SPU_OK or
 * SPU_ELIMIT/SPU_ENOMEM (then *out is null). */
int spu_value_copy(struct spu_arena *a, const struct spu_value *v, struct spu_value *out);

/* The digest a string carries: true and *out filled when v is a STR with
 * SPU_VF_DIGEST. */
bool spu_value_digest(const struct spu_value *v, struct spu_digest *out);

/* Copy the first n bytes of the string *v into `a` (n <= v->len), with its
 * digest when it carries one; *v then points at the copy, n bytes long.
 * Returns SPU_OK or SPU_ENOMEM (*v unchanged). */
int spu_str_dup(struct spu_arena *a, struct spu_value *v, uint32_t n);

/* Map lookup: in an array of map records, the VALUE field of the first
 * record whose KEY field equals `key` (ASCII case-insensitive); null if
 * none. */
struct spu_value spu_map_get(const struct spu_array *arr, const uint8_t *key, size_t klen);

/* IP helpers: 16-byte storage, IPv4 as ::ffff:a.b.c.d. */
int spu_ip_parse(const char *text, size_t len, uint8_t out[16], uint16_t *family,
                 uint32_t *prefix);
int spu_ip_format(const uint8_t ip[16], uint16_t family, char *buf, size_t len);

#endif
