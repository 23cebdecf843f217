/*
 * binary.c - built-ins for binary protocols: bit fields of integers,
 * addresses from their wire bytes, bytes and ints as hex text, DER object
 * identifiers. They compute values; they consume no protocol structure.
 */
#include "stdlib-int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* bits(v, shift, width): (v >> shift) & (2^width - 1) of v's 64 bits;
 * null for null, and for a shift outside 0-63 or a width under 1 (a width
 * past bit 63 stops there). */
int spu_bi_bits(struct spu_call *c, const struct spu_value *args, unsigned argc,
                struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 3);
    if (rc)
        return rc;
    if (args[0].type == SPU_T_NULL) {
        *ret = spu_v_null();
        return SPU_OK;
    }
    int64_t v, shift, width;
    if ((rc = spu_arg_int(c, &args[0], 0, &v)) || (rc = spu_arg_int(c, &args[1], 0, &shift)) ||
        (rc = spu_arg_int(c, &args[2], 0, &width)))
        return rc;
    *ret = spu_v_null();
    if (shift < 0 || shift > 63 || width < 1)
        return SPU_OK;
    if (width > 64 - shift)
        width = 64 - shift;
    uint64_t u = (uint64_t)v >> shift;
    if (width < 64)
        u &= ((uint64_t)1 << width) - 1;
    *ret = spu_v_int((int64_t)u);
    return SPU_OK;
}

/* ip_bytes(s): the address of 4 (IPv4) or 16 (IPv6) bytes in network
 * order; null for any other length. */
int spu_bi_ip_bytes(struct spu_call *c, const struct spu_value *args, unsigned argc,
                    struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    *ret = spu_v_null();
    if (n != 4 && n != 16)
        return SPU_OK;
    uint8_t *d = spu_arena_alloc(c->scratch, 16);
    if (!d)
        return spu_arg_nomem(c);
    memset(d, 0, 16);
    if (n == 4) {
        d[10] = d[11] = 0xff;
        memcpy(d + 12, s, 4);
    } else {
        memcpy(d, s, 16);
    }
    struct spu_value v = {.type = SPU_T_IP, .aux = n == 4 ? 4 : 6, .len = n == 4 ? 32 : 128};
    v.u.s = d;
    *ret = v;
    return SPU_OK;
}

/* hexstr(s, sep): the bytes as lowercase hex pairs, sep between them. */
int spu_bi_hexstr(struct spu_call *c, const struct spu_value *args, unsigned argc,
                  struct spu_value *ret)
{
    static const char digits[] = "0123456789abcdef";
    const uint8_t *s = NULL, *sep = NULL;
    size_t n = 0, sn = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    int rc;
    if (argc > 1 && (rc = spu_arg_str(c, &args[1], &sep, &sn)) < 0)
        return rc;
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, n * (2 + sn) + 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t h[2] = {(uint8_t)digits[s[i] >> 4], (uint8_t)digits[s[i] & 15]};
        if ((i && sn && spu_sb_put(&b, sep, sn)) || spu_sb_put(&b, h, 2))
            return spu_arg_nomem(c);
    }
    if (n == 0)
        *ret = spu_v_str((const uint8_t *)"", 0);
    else
        *ret = spu_sb_value(&b);
    return SPU_OK;
}

/* hexint(v, digits): v in lowercase hex, zero-padded to at least `digits`
 * (at most 16); null for null. */
int spu_bi_hexint(struct spu_call *c, const struct spu_value *args, unsigned argc,
                  struct spu_value *ret)
{
    int rc = spu_arg_count(c, argc, 1);
    if (rc)
        return rc;
    if (args[0].type == SPU_T_NULL) {
        *ret = spu_v_null();
        return SPU_OK;
    }
    int64_t v, d = 1;
    if ((rc = spu_arg_int(c, &args[0], 0, &v)) ||
        (argc > 1 && (rc = spu_arg_int(c, &args[1], 1, &d))))
        return rc;
    if (d < 1)
        d = 1;
    if (d > 16)
        d = 16;
    char buf[24];
    int n = snprintf(buf, sizeof(buf), "%0*" PRIx64, (int)d, (uint64_t)v);
    uint8_t *p = spu_arena_memdup(c->scratch, buf, (size_t)n);
    if (!p)
        return spu_arg_nomem(c);
    *ret = spu_v_str(p, (uint32_t)n);
    return SPU_OK;
}

/* addr_text(s): the text of an address given by its 4 or 16 wire bytes:
 * IPv4 dotted, IPv6 as eight groups of four hex digits (uncompressed, as
 * Suricata prints DNS answers); null for any other length. */
int spu_bi_addr_text(struct spu_call *c, const struct spu_value *args, unsigned argc,
                     struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    *ret = spu_v_null();
    char buf[48];
    int k;
    if (n == 4)
        k = snprintf(buf, sizeof(buf), "%u.%u.%u.%u", s[0], s[1], s[2], s[3]);
    else if (n == 16)
        k = snprintf(buf, sizeof(buf),
                     "%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x:%02x%02x",
                     s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7], s[8], s[9], s[10], s[11],
                     s[12], s[13], s[14], s[15]);
    else
        return SPU_OK;
    uint8_t *p = spu_arena_memdup(c->scratch, buf, (size_t)k);
    if (!p)
        return spu_arg_nomem(c);
    *ret = spu_v_str(p, (uint32_t)k);
    return SPU_OK;
}

/* group(s, n, sep): s with sep inserted after every n bytes but the last
 * ("3b5f..." -> "3b:5f:..." for n 2); null for null. */
int spu_bi_group(struct spu_call *c, const struct spu_value *args, unsigned argc,
                 struct spu_value *ret)
{
    const uint8_t *s = NULL, *sep = NULL;
    size_t n = 0, sn = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    int64_t k = 0;
    int rc;
    if (argc < 3 || (rc = spu_arg_int(c, &args[1], 0, &k)) ||
        (rc = spu_arg_str(c, &args[2], &sep, &sn)) < 0)
        return argc < 3 ? spu_arg_count(c, argc, 3) : rc;
    if (k < 1 || sn == 0 || n == 0) {
        *ret = args[0];
        return SPU_OK;
    }
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, n + (n / (size_t)k) * sn);
    for (size_t i = 0; i < n; i += (size_t)k) {
        size_t m = n - i < (size_t)k ? n - i : (size_t)k;
        if ((i && spu_sb_put(&b, sep, sn)) || spu_sb_put(&b, s + i, m))
            return spu_arg_nomem(c);
    }
    *ret = spu_sb_value(&b);
    return SPU_OK;
}

/* oid(s): the dotted text of the contents octets of a DER OBJECT
 * IDENTIFIER ("\x55\x04\x03" -> "2.5.4.3"); null when they are not one
 * (empty, a component left unfinished or longer than 63 bits). */
int spu_bi_oid(struct spu_call *c, const struct spu_value *args, unsigned argc,
               struct spu_value *ret)
{
    const uint8_t *s = NULL;
    size_t n = 0;
    int ss = spu_arg_subject(c, args, argc, &s, &n, ret);
    if (ss <= 0)
        return ss;
    *ret = spu_v_null();
    if (n == 0 || (s[n - 1] & 0x80))
        return SPU_OK;
    struct spu_sb b;
    spu_sb_init(&b, c->scratch, n * 4 + 8);
    uint64_t v = 0;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (v >> 56)
            return SPU_OK;
        v = (v << 7) | (s[i] & 0x7f);
        if (s[i] & 0x80)
            continue;
        char t[48];
        int k;
        if (first) {
            uint64_t a = v < 40 ? 0 : v < 80 ? 1 : 2;
            k = snprintf(t, sizeof(t), "%" PRIu64 ".%" PRIu64, a, v - a * 40);
            first = 0;
        } else {
            k = snprintf(t, sizeof(t), ".%" PRIu64, v);
        }
        if (spu_sb_put(&b, t, (size_t)k))
            return spu_arg_nomem(c);
        v = 0;
    }
    *ret = spu_sb_value(&b);
    return SPU_OK;
}
