/*
 * Unit tests for runtime/eve-json.c: the text of every value is the one
 * json_dumpb(..., JSON_COMPACT) writes, byte for byte (every ASCII
 * character in values and keys, UTF-8 text, integers at their limits,
 * reals, nesting, generated trees), the length is returned when the
 * buffer is too small, and what jansson refuses is refused. And a text
 * that grows (eve_text_append): on a caller's buffer, then on the heap
 * with what it held, the writer run again only when it was short of room,
 * and a failed writer leaves the text as it was.
 */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eve-json.h"
#include "eve.h"

/* Both texts of v, compared. */
static void same_as_jansson(const json_t *v)
{
    char want[8192], got[8192];
    size_t nw = json_dumpb(v, want, sizeof(want), JSON_COMPACT);
    size_t ng = eve_json_dumpb(v, got, sizeof(got));
    cr_assert_lt(nw, sizeof(want));
    cr_assert_eq(ng, nw, "length %zu, jansson %zu: %.*s", ng, nw, (int)nw, want);
    cr_assert(memcmp(got, want, nw) == 0, "got %.*s\nwant %.*s", (int)ng, got, (int)nw, want);
}

Test(eve_json, every_ascii_character_in_a_value_and_a_key)
{
    for (int c = 1; c < 128; c++) {
        char s[4] = {'a', (char)c, 'z', 0};
        json_t *o = json_object();
        json_object_set_new(o, s, json_string(s));
        same_as_jansson(o);
        json_decref(o);
    }
    /* a NUL inside a string value */
    json_t *a = json_array();
    json_array_append_new(a, json_stringn("a\0b", 3));
    same_as_jansson(a);
    json_decref(a);
}

/* Strings are scanned a word at a time: a character to escape, a byte
 * outside ASCII (valid UTF-8 or not) or a NUL at every position of strings of 1..40 bytes
 * (each start offset 0..7, so the words fall anywhere), in a value and a
 * key, and bytes next to the ones the word test looks for ('!', '#', '[',
 * ']', 0x1f, 0x20, 0x7f). */
Test(eve_json, a_special_byte_at_every_position_of_long_strings)
{
    static const char *const specials[] = {"\"", "\\", "\n", "\x01", "\x1f", " ", "!",  "#",
                                           "[",   "]",   "\x7f", "\0", "\xc3\xa9", "\xff"};
    char buf[64];
    for (size_t k = 0; k < sizeof(specials) / sizeof(specials[0]); k++) {
        size_t sl = strcmp(specials[k], "") == 0 ? 1 : strlen(specials[k]);
        for (size_t off = 0; off < 8; off++)
            for (size_t len = sl; len <= 40; len++)
                for (size_t at = 0; at + sl <= len; at++) {
                    memset(buf, 'a' + (int)(at % 26), sizeof(buf));
                    memcpy(buf + off + at, specials[k], sl);
                    json_t *o = json_object();
                    json_object_set_new(o, "k", json_stringn_nocheck(buf + off, len));
                    if (!memchr(buf + off, 0, len)) {
                        char key[64];
                        memcpy(key, buf + off, len);
                        key[len] = 0;
                        json_object_set_new_nocheck(o, key, json_true());
                    }
                    same_as_jansson(o);
                    json_decref(o);
                }
    }
}

/* Integers are written two digits at a time: every count of digits, both
 * signs, each side of every power of ten. */
Test(eve_json, integers_around_every_power_of_ten)
{
    json_t *a = json_array();
    int64_t p = 1;
    for (int e = 0; e <= 18; e++) {
        for (int64_t d = -1; d <= 1; d++) {
            json_array_append_new(a, json_integer(p + d));
            json_array_append_new(a, json_integer(-(p + d)));
        }
        if (e < 18)
            p *= 10;
    }
    for (int64_t v = 0; v < 1000; v += 7)
        json_array_append_new(a, json_integer(v));
    same_as_jansson(a);
    json_decref(a);
}

Test(eve_json, utf8_text_and_scalars)
{
    json_t *o = json_object();
    /* "café", "日本", an emoji (4 bytes), U+2028 */
    json_object_set_new(o, "s", json_string("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xe2\x80\xa8"));
    json_object_set_new(o, "caf\xc3\xa9", json_true());
    json_object_set_new(o, "f", json_false());
    json_object_set_new(o, "n", json_null());
    json_object_set_new(o, "zero", json_integer(0));
    json_object_set_new(o, "min", json_integer(INT64_MIN));
    json_object_set_new(o, "max", json_integer(INT64_MAX));
    json_object_set_new(o, "neg", json_integer(-42));
    json_object_set_new(o, "r1", json_real(0.5));
    json_object_set_new(o, "r2", json_real(1e300));
    json_object_set_new(o, "r3", json_real(-3.0));
    json_object_set_new(o, "r4", json_real(1.0 / 3));
    json_object_set_new(o, "eo", json_object());
    json_object_set_new(o, "ea", json_array());
    json_object_set_new(o, "", json_string(""));
    same_as_jansson(o);
    json_decref(o);
}

Test(eve_json, an_envelope_read_back)
{
    uint8_t s[16] = {10, 0, 0, 1}, d[16] = {10, 0, 0, 2};
    struct eve_endpoints ep = {.ipver = 4, .src = s, .dst = d, .sport = 1234, .dport = 80,
                               .proto = 6, .ports = true};
    struct eve_envelope env = {.ts_ns = 1255711456185868000LL, .event_type = "alert",
                               .flow_id = 12345, .pcap_cnt = 7, .in_iface = "eth0", .ep = &ep,
                               .app_proto = "http", .tx_id = 3};
    json_t *rec = json_object();
    json_t *h = json_object();
    json_object_set_new(h, "url", json_string("/a\"b\\c?d=</script>\t"));
    json_object_set_new(rec, "http", h);
    json_t *o = eve_record_tree(&env, rec);
    cr_assert_not_null(o);
    same_as_jansson(o);
    json_decref(o);
    json_decref(rec);
}

static uint64_t rng = 7;
static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng >> 33) % n);
}

static json_t *gen(unsigned depth)
{
    unsigned kind = depth > 3 ? 2 + rnd(5) : rnd(7);
    switch (kind) {
    case 0: {
        json_t *o = json_object();
        for (unsigned i = rnd(5); i > 0; i--) {
            char k[8];
            for (unsigned j = 0; j < 7; j++)
                k[j] = (char)(1 + rnd(127));
            k[7] = 0;
            json_object_set_new(o, k, gen(depth + 1));
        }
        return o;
    }
    case 1: {
        json_t *a = json_array();
        for (unsigned i = rnd(5); i > 0; i--)
            json_array_append_new(a, gen(depth + 1));
        return a;
    }
    case 2: {
        char s[16];
        size_t n = rnd(16);
        for (size_t j = 0; j < n; j++)
            s[j] = (char)rnd(128);
        return json_stringn(s, n);
    }
    case 3:
        return json_integer((json_int_t)(rng >> 1) - (json_int_t)(rng >> 2));
    case 4:
        return json_real((double)rnd(1000000) / (1 + rnd(1000)));
    case 5:
        return rnd(2) ? json_true() : json_null();
    default:
        return json_string("GET /index.php?id=1 HTTP/1.1");
    }
}

Test(eve_json, generated_trees)
{
    for (unsigned i = 0; i < 2000; i++) {
        json_t *o = json_object();
        json_object_set_new(o, "v", gen(0));
        same_as_jansson(o);
        json_decref(o);
    }
}

Test(eve_json, short_buffer_gives_the_length_and_the_prefix)
{
    json_t *o = json_pack("{s:s, s:[i,i,i]}", "key", "value", "list", 1, 22, 333);
    char want[128], got[128];
    size_t nw = json_dumpb(o, want, sizeof(want), JSON_COMPACT);
    memset(got, '#', sizeof(got));
    cr_assert_eq(eve_json_dumpb(o, got, 10), nw);
    cr_assert(memcmp(got, want, 10) == 0);
    cr_assert_eq(got[10], '#');
    cr_assert_eq(eve_json_dumpb(o, NULL, 0), nw);
    json_decref(o);
}

Test(eve_json, refuses_what_jansson_refuses)
{
    char buf[64];
    json_t *s = json_string("x");
    cr_assert_eq(eve_json_dumpb(s, buf, sizeof(buf)), 0); /* not a container */
    json_decref(s);
    json_t *o = json_object();
    json_object_set_new(o, "bad", json_stringn_nocheck("\xff\xfe", 2)); /* not UTF-8 */
    cr_assert_eq(json_dumpb(o, buf, sizeof(buf), JSON_COMPACT), 0);
    cr_assert_eq(eve_json_dumpb(o, buf, sizeof(buf)), 0);
    json_decref(o);
    json_t *deep = json_array(), *at = deep;
    for (unsigned i = 0; i < EVE_JSON_MAX_DEPTH + 1; i++) {
        json_t *a = json_array();
        json_array_append_new(at, a);
        at = a;
    }
    cr_assert_eq(eve_json_dumpb(deep, buf, sizeof(buf)), 0);
    json_decref(deep);
}

/* A writer of n copies of a byte, counting its runs; fails when n is 0. */
struct fill {
    size_t n;
    char c;
    unsigned runs;
};

static void write_fill(struct eve_jw *j, const void *arg)
{
    struct fill *f = (struct fill *)arg;
    f->runs++;
    if (!f->n) {
        j->err = true;
        return;
    }
    for (size_t i = 0; i < f->n; i++)
        eve_jw_raw(j, &f->c, 1);
}

static bool all_of(const char *p, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != c)
            return false;
    return true;
}

Test(eve_json, a_text_grows_from_a_callers_buffer_to_the_heap)
{
    char stackbuf[1024];
    struct eve_text t = EVE_TEXT_ON(stackbuf);
    struct fill a = {600, 'a', 0};
    cr_assert(eve_text_append(&t, write_fill, &a));
    cr_assert_eq(a.runs, 1, "it fits: one run");
    cr_assert(t.buf == stackbuf && !t.heap && t.len == 600);
    struct fill b = {3000, 'b', 0};
    cr_assert(eve_text_append(&t, write_fill, &b));
    cr_assert_eq(b.runs, 2, "short of room: run again");
    cr_assert(t.heap && t.buf != stackbuf && t.size >= 3600);
    cr_assert_eq(t.len, 3600);
    cr_assert(all_of(t.buf, 600, 'a') && all_of(t.buf + 600, 3000, 'b'),
              "the text on the stack came along");
    struct fill none = {0, 'x', 0};
    size_t size = t.size;
    cr_assert_not(eve_text_append(&t, write_fill, &none));
    cr_assert(t.len == 3600 && t.size == size, "a failed writer leaves the text");
    eve_text_free(&t);
    cr_assert(t.buf == NULL && t.len == 0 && t.size == 0 && !t.heap);
}

Test(eve_json, an_empty_text_starts_on_the_heap)
{
    struct eve_text t = {0};
    struct fill a = {10, 'a', 0};
    cr_assert(eve_text_append(&t, write_fill, &a));
    cr_assert_eq(a.runs, 1, "the first room is enough for a short text");
    cr_assert(t.heap && t.len == 10 && t.size >= 10 && all_of(t.buf, 10, 'a'));
    struct fill b = {100000, 'b', 0};
    cr_assert(eve_text_append(&t, write_fill, &b));
    cr_assert_eq(b.runs, 2);
    cr_assert_eq(t.len, 100010);
    cr_assert(all_of(t.buf, 10, 'a') && all_of(t.buf + 10, 100000, 'b'));
    eve_text_free(&t);
}
