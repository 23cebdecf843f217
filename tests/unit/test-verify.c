/* Unit tests for runtime/vm/bundle-view.c and verify*.c: one crafted bad
 * bundle per check, each refused with the expected section and offset. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "builtin-api.h"
#include "bundle-view.h"
#include "bundle.h"
#include "helper-bundle.h"

#define OFF(type, f) offsetof(struct type, f)

static void expect_refused(const uint8_t *p, size_t len, const char *where, uint64_t off,
                           const char *substr)
{
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    cr_assert_null(b, "bundle was accepted (expected %s at %llu: %s)", where,
                   (unsigned long long)off, substr);
    cr_assert_str_eq(err.where, where, "where '%s' (msg: %s)", err.where, err.msg);
    cr_assert_eq(err.offset, off, "offset %llu, expected %llu (msg: %s)",
                 (unsigned long long)err.offset, (unsigned long long)off, err.msg);
    cr_assert_not_null(strstr(err.msg, substr), "message '%s' lacks '%s'", err.msg, substr);
    char buf[600];
    spu_error_str(&err, buf, sizeof(buf));
    cr_assert_not_null(strstr(buf, where));
    cr_assert_not_null(strstr(buf, "offset"));
}

static void expect_ok(const uint8_t *p, size_t len)
{
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, NULL, &err);
    cr_assert_not_null(b, "refused: %s: %llu: %s", err.where, (unsigned long long)err.offset,
                       err.msg);
    spu_bundle_unref(b);
}

/* The skeleton plus one of everything the operand checks point at:
 * regex 0, list 0, dfa 0, unit prog 1 (one parameter), sink 0 (one
 * filter, child prog 1 with one argument), constants 0 "GET" and 1 int. */
static struct hb *base(void)
{
    struct hb *h = hb_new();
    struct spu_bw *bw = h->bw;
    cr_assert_eq(spu_bw_const_str(bw, "GET", 3, 0), 0);
    cr_assert_eq(spu_bw_const_int(bw, 5), 1);
    struct spu_bregex re = {spu_bw_cstr(bw, "x+"), 0};
    spu_bw_regex(bw, &re);
    uint32_t item = 0;
    struct spu_blist l = {
        spu_bw_cstr(bw, "l"), SPU_LIST_STR, 0, {0, 0}, {0, 0}, spu_bw_u32(bw, &item, 1), 1};
    spu_bw_list(bw, &l);
    uint8_t cm[256] = {0};
    cm['x'] = 1;
    uint32_t trans[4] = {0, 0, 0, 1}, acc[2] = {SPU_NONE, 0}, dec[2] = {SPU_NONE, 0};
    struct spu_bw_dfa d = {2, 2, 1, 1, SPU_DFA_ANCHORED, cm, trans, acc, dec, "x*", 2};
    spu_bw_dfa(bw, &d);
    uint32_t up = hb_prog(h, SPU_PROG_UNIT, 0, HB_L_HEADER, "hdr", "G_LIT 0; RET", 0, 1);
    struct spu_bprog *pp = spu_bw_at(bw, SPU_SEC_PROG, up);
    pp->nparams = 1;
    cr_assert_eq(up, 1);
    uint32_t flt = SPU_FLT_gunzip;
    struct spu_bsink s = {spu_bw_u32(bw, &flt, 1), 1, up, 1, 1024, 0};
    spu_bw_sink(bw, &s);
    return h;
}

Test(verify, base_bundle_is_valid)
{
    struct hb *h = base();
    hb_rule(h, 1, "LOAD_FIELD 1; MATCH_RE 0; JZ 3; RET", 1, 0);
    hb_prog(h, SPU_PROG_MESSAGE, 0, HB_L_REQUEST, "req",
            "G_LIT 0 a=1; STORE_FIELD 0; G_TOKEN 0; PUSH_INT 1; PUSH_INT 2; G_SINK_OPEN 0 1 1; "
            "G_SINK_CLOSE; G_EVENT 0; RET",
            2, 0);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    expect_ok(p, len);
    free(p);
    hb_free(h);
}

/* ---- header ---- */

static uint8_t *good(size_t *len)
{
    struct hb *h = base();
    hb_rule(h, 1, "PUSH_INT 1; POP; RET", 1, 0);
    uint8_t *p = hb_finish(h, NULL, len);
    hb_free(h);
    return p;
}

Test(verify, truncated_below_the_header)
{
    size_t len;
    uint8_t *p = good(&len);
    expect_refused(p, 100, "header", 100, "truncated");
    expect_refused(p, 0, "header", 0, "truncated");
    free(p);
}

Test(verify, truncated_file)
{
    size_t len;
    uint8_t *p = good(&len);
    expect_refused(p, len - 8, "header", OFF(spu_bhdr, file_size), "truncated");
    free(p);
}

struct hcase {
    size_t off;  /* byte to change */
    uint8_t val; /* new value (xor when xor set) */
    int xor_;
    size_t where_off;
    char msg[40];
};

ParameterizedTestParameters(verify, header_fields)
{
    static struct hcase c[] = {
        {0, 'X', 0, 0, "magic"},
        {OFF(spu_bhdr, version), SPU_BUNDLE_VERSION + 1, 0, OFF(spu_bhdr, version), "version"},
        {OFF(spu_bhdr, hdr_size), 64, 0, OFF(spu_bhdr, hdr_size), "header size"},
        {OFF(spu_bhdr, endian), 0x05, 0, OFF(spu_bhdr, endian), "byte-order"},
        {OFF(spu_bhdr, insn_size), 16, 0, OFF(spu_bhdr, insn_size), "instruction size"},
        {OFF(spu_bhdr, value_size), 8, 0, OFF(spu_bhdr, value_size), "value size"},
        {OFF(spu_bhdr, flags), 0x80, 0, OFF(spu_bhdr, flags), "unknown flags"},
        {OFF(spu_bhdr, flags), 0x01, 0, OFF(spu_bhdr, flags), "SIGNED flag"},
        {OFF(spu_bhdr, reserved) + 3, 1, 0, OFF(spu_bhdr, reserved) + 3, "reserved"},
        {OFF(spu_bhdr, nsections), 200, 0, OFF(spu_bhdr, nsections), "section table"},
        {OFF(spu_bhdr, checksum) + 7, 1, 1, OFF(spu_bhdr, checksum), "checksum"},
    };
    return cr_make_param_array(struct hcase, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct hcase *c, verify, header_fields)
{
    size_t len;
    uint8_t *p = good(&len);
    p[c->off] = c->xor_ ? (uint8_t)(p[c->off] ^ c->val) : c->val;
    expect_refused(p, len, "header", c->where_off, c->msg);
    free(p);
}

/* ---- section table ---- */

static struct spu_bsect *tab(uint8_t *p)
{
    return (struct spu_bsect *)(p + SPU_BHDR_SIZE);
}

static uint64_t tab_off(uint32_t i, size_t field)
{
    return SPU_BHDR_SIZE + i * sizeof(struct spu_bsect) + field;
}

Test(verify, section_table)
{
    size_t len;
    uint8_t *p = good(&len);
    /* entry 0 is STRTAB, 1 is U32, 2 GLOBALS, 3 CONST, 4 CODE ... */
    cr_assert_eq(tab(p)[0].id, SPU_SEC_STRTAB);
    cr_assert_eq(tab(p)[4].id, SPU_SEC_CODE);
    struct spu_bsect saved = tab(p)[4];

    tab(p)[4].id = 77;
    expect_refused(p, len, "sections", tab_off(4, OFF(spu_bsect, id)), "unknown section id");
    tab(p)[4].id = SPU_SEC_CONST;
    expect_refused(p, len, "const", tab_off(4, OFF(spu_bsect, id)), "duplicate");
    tab(p)[4].id = SPU_SEC_U32;
    expect_refused(p, len, "u32", tab_off(4, OFF(spu_bsect, id)), "order");
    tab(p)[4] = saved;
    tab(p)[4].entsize = 4;
    expect_refused(p, len, "code", tab_off(4, OFF(spu_bsect, entsize)), "entry size");
    tab(p)[4] = saved;
    tab(p)[4].offset += 4;
    expect_refused(p, len, "code", tab_off(4, OFF(spu_bsect, offset)), "not 8-aligned");
    tab(p)[4] = saved;
    tab(p)[4].offset = len + 8;
    expect_refused(p, len, "code", tab_off(4, OFF(spu_bsect, offset)), "outside the file");
    tab(p)[4] = saved;
    tab(p)[4].size = (uint64_t)-8;
    expect_refused(p, len, "code", tab_off(4, OFF(spu_bsect, offset)), "outside the file");
    tab(p)[4] = saved;
    tab(p)[4].offset = tab(p)[3].offset;
    expect_refused(p, len, "code", tab_off(4, OFF(spu_bsect, offset)), "overlaps const");
    tab(p)[4] = saved;
    tab(p)[0].offset = SPU_BHDR_SIZE;
    expect_refused(p, len, "strtab", tab_off(0, OFF(spu_bsect, offset)),
                   "overlaps the section table");
    free(p);
    p = good(&len);
    tab(p)[4].size -= 4;
    expect_refused(p, len, "code", tab_off(4, OFF(spu_bsect, size)), "multiple");
    free(p);
    p = good(&len);
    tab(p)[2].id = SPU_SEC_U32 + 100; /* globals gone: unknown id first */
    expect_refused(p, len, "sections", tab_off(2, OFF(spu_bsect, id)), "unknown");
    free(p);
}

Test(verify, globals_required)
{
    size_t len;
    uint8_t *p = good(&len);
    tab(p)[2].size = 0;
    expect_refused(p, len, "globals", tab(p)[2].offset, "exactly one globals entry");
    free(p);
    p = good(&len);
    tab(p)[2].size = 2 * sizeof(struct spu_bglobals); /* runs over the next section */
    expect_refused(p, len, "const", tab_off(3, OFF(spu_bsect, offset)), "overlaps globals");
    free(p);
}

/* ---- checksum recomputed after damage: the verifier still refuses ---- */

static uint32_t prog_code_off(struct hb *h, uint32_t prog)
{
    return ((struct spu_bprog *)spu_bw_at(h->bw, SPU_SEC_PROG, prog))->code_off;
}

Test(verify, damaged_code_with_valid_checksum)
{
    struct hb *h = base();
    uint32_t r = hb_rule(h, 1, "PUSH_INT 1; POP; RET", 1, 0);
    uint32_t co = prog_code_off(h, ((struct spu_brule *)spu_bw_at(h->bw, SPU_SEC_RULE, r))->prog);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    uint64_t at = hb_sec_off(p, len, SPU_SEC_CODE) + (uint64_t)(co + 1) * 8;
    p[at] = 200; /* opcode of pc 1 */
    hb_rechecksum(p, len);
    expect_refused(p, len, "code", at, "unknown opcode 200");
    free(p);
    hb_free(h);
}

Test(verify, damaged_strings_with_valid_checksum)
{
    size_t len;
    uint8_t *p = good(&len);
    uint64_t at = hb_sec_off(p, len, SPU_SEC_RULE) + OFF(spu_brule, msg) + 4; /* msg.len */
    p[at + 2] = 0x7f;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", at - 4, "message string");
    free(p);
}

Test(verify, damaged_layout_with_valid_checksum)
{
    size_t len;
    uint8_t *p = good(&len);
    uint64_t at = hb_sec_off(p, len, SPU_SEC_LAYOUT) + 2 * sizeof(struct spu_blayout) +
                  OFF(spu_blayout, nfields);
    p[at + 1] = 1; /* 256 + 4 fields */
    hb_rechecksum(p, len);
    expect_refused(p, len, "layout", at - 4, "outside the field section");
    free(p);
}

static struct hb *tree_bundle(void)
{
    /* event 0: level 0 = uri; root 0 --"/a"--> node 1 (rule 0) */
    struct hb *h = base();
    struct spu_bw *bw = h->bw;
    uint32_t r = hb_rule(h, 1, "RET", 0, 0);
    ((struct spu_brule *)spu_bw_at(bw, SPU_SEC_RULE, r))->flags = SPU_RF_INDEXED;
    uint32_t key = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "uri", "LOAD_FIELD 1; RET", 1, 0);
    struct spu_bevent *e = spu_bw_at(bw, SPU_SEC_EVENT, HB_EV_REQUEST);
    e->levels = spu_bw_u32(bw, &key, 1);
    e->nlevels = 1;
    e->index_root = 0;
    struct spu_biedge ed = {SPU_IE_EXACT, 0, spu_bw_cstr(bw, "/a"), 1, 0};
    struct spu_binode root = {0, spu_bw_iedge(bw, &ed), 1, 1, SPU_NONE, 0, 0};
    spu_bw_inode(bw, &root);
    struct spu_binode leaf = {0, 0, 0, 0, SPU_NONE, spu_bw_u32(bw, &r, 1), 1};
    spu_bw_inode(bw, &leaf);
    return h;
}

Test(verify, damaged_tree_with_valid_checksum)
{
    struct hb *h = tree_bundle();
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    expect_ok(p, len);
    uint64_t at = hb_sec_off(p, len, SPU_SEC_IEDGE) + OFF(spu_biedge, child);
    p[at] = 0; /* the edge leads back to the root */
    hb_rechecksum(p, len);
    expect_refused(p, len, "iedge", at, "not a later node");
    free(p);
    hb_free(h);
}

/* ---- code checks, one program each ---- */

struct ccase {
    uint32_t kind; /* SPU_PROG_*; RULE runs on `ev` */
    uint32_t ev;
    char text[120];
    uint16_t max_stack, nlocals;
    uint32_t pc;
    char msg[48];
};

#define R(text, ms, nl, pc, msg)                                                                   \
    {                                                                                              \
        SPU_PROG_RULE, HB_EV_REQUEST, text, ms, nl, pc, msg                                        \
    }
#define K(text, ms, pc, msg)                                                                       \
    {                                                                                              \
        SPU_PROG_KEY, HB_EV_REQUEST, text, ms, 0, pc, msg                                          \
    }
#define M(text, ms, pc, msg)                                                                       \
    {                                                                                              \
        SPU_PROG_MESSAGE, 0, text, ms, 0, pc, msg                                                  \
    }

ParameterizedTestParameters(verify, code)
{
    static struct ccase c[] = {
        /* control flow */
        R("PUSH_INT 1; JMP 0; RET", 1, 0, 1, "not forward"),
        R("PUSH_BOOL 1; JZ 1; RET", 1, 0, 1, "not forward"),
        R("LOOP 2; NOP; RET", 0, 0, 0, "not backward"),
        R("JMP 5; RET", 0, 0, 0, "past the end"),
        R("JMP 2; RET", 0, 0, 0, "past the end"),
        R("PUSH_BOOL 1; JNZ 9; RET", 1, 0, 1, "past the end"),
        R("PUSH_INT 1; POP", 1, 0, 1, "falls off the end"),
        R("RET; NOP", 0, 0, 1, "does not end"),
        R("JMP 2; NOP; LOOP 1; RET", 0, 0, 2, "only through the loop"),
        R("PUSH_INT 1; LOOP 0; RET", 1, 0, 1, "at loop target"),
        /* stack */
        R("ADD; RET", 2, 0, 0, "underflow"),
        R("PUSH_BOOL 1; JZ 4; PUSH_INT 5; JMP 4; RET", 1, 0, 3, "where paths merge"),
        R("PUSH_INT 1; PUSH_INT 2; ADD; POP; RET", 1, 0, 1, "above the program's max_stack"),
        R("PUSH_INT 1; RET", 1, 0, 1, "RET with 1"),
        K("RET", 1, 0, "expected 1"),
        K("PUSH_INT 1; PUSH_INT 2; RET", 2, 2, "RET with 2"),
        /* opcode vs program kind */
        R("G_STOP; RET", 0, 0, 0, "grammar op in a rule-kind"),
        R("LOAD_STATE 0; POP; RET", 1, 0, 0, "grammar op"),
        M("LOAD_FLOWVAR 0; POP; RET", 1, 0, "rule op in a grammar"),
        M("LOOP 0; RET", 0, 0, "rule op in a grammar"),
        /* operands */
        R("PUSH_NULL; POP c=1; RET", 1, 0, 1, "unused operand"),
        R("PUSH_BOOL 2; POP; RET", 1, 0, 0, "bool operand"),
        R("PUSH_K 99; POP; RET", 1, 0, 0, "constant 99"),
        R("LOAD_LOCAL 3; POP; RET", 1, 1, 0, "local 3 of 1"),
        R("PUSH_NULL; STORE_LOCAL 0; RET", 1, 0, 1, "local 0 of 0"),
        R("LOAD_FIELD 6; POP; RET", 1, 0, 0, "field 6 of 6"),
        R("PUSH_NULL; MEMBER 10 0x80000001; POP; RET", 1, 0, 1, "field 10 of 10"),
        R("PUSH_NULL; MEMBER 0 99; POP; RET", 1, 0, 1, "layout 0x63 unknown"),
        R("LOAD_ANC 0 0x80000001; POP; RET", 1, 0, 0, "unknown"),
        R("LOAD_PAIR 2 4; POP; RET", 1, 0, 0, "field 2 of 2"),
        R("PUSH_NULL; MATCH_RE 5; POP; RET", 1, 0, 1, "regex 5 of 1"),
        R("PUSH_NULL; IN_LIST 5; POP; RET", 1, 0, 1, "list 5 of 1"),
        R("CALL 250 0; POP; RET", 1, 0, 0, "unknown builtin"),
        R("PUSH_NULL; CALL StringLength 2; POP; RET", 1, 0, 1, "called with 2"),
        R("PUSH_NULL; CALL Alert 1; POP; RET", 1, 0, 1, "called with 1"),
        K("CALL Drop 0; RET", 1, 0, "outside a rule program"),
        M("PUSH_INT 1; PUSH_NULL; CALL Alert 2; POP; RET", 2, 2, "not usable in grammars"),
        R("LOAD_FLOWVAR 4; POP; RET", 1, 0, 0, "flow variable 4 of 4"),
        K("PUSH_INT 1; STORE_FLOWVAR 0; PUSH_NULL; RET", 1, 1, "may not store"),
        R("LOAD_FLOWKEY 11; POP; RET", 1, 0, 0, "flow key 11 of 11"),
        R("LOAD_SESS 1 0; POP; RET", 1, 0, 0, "session 1 of 1"),
        R("LOAD_SESS 0 2; POP; RET", 1, 0, 0, "session variable 2 of 2"),
        K("LOAD_SESS 0 0; RET", 1, 0, "only reachable from rule"),
        {SPU_PROG_RULE, HB_EV_RESPONSE, "LOAD_SESS 0 0; POP; RET", 1, 0, 0, "keyed on event 0"},
        /* grammar operands */
        M("PUSH_INT 1; G_LIT 0; POP; RET", 1, 1, "on the stack at a suspending op"),
        M("G_LIT 1; RET", 0, 0, "not a string"),
        M("G_LIT 0 8; RET", 0, 0, "flags 0x8 not allowed"), /* SURE is G_PREDICT's */
        M("G_ERROR 0 1", 0, 0, "flags 0x1 not allowed"),
        M("G_TOKEN 5; RET", 0, 0, "dfa 5 of 1"),
        M("G_PREDICT 3; POP; RET", 1, 0, "dfa 3 of 1"),
        M("G_PREDICT 0 1; POP; RET", 1, 0, "flags 0x1 not allowed"),
        M("G_TOKEN 0 8; RET", 0, 0, "flags 0x8 not allowed"),
        M("G_REST 8; RET", 0, 0, "flags 0x8"),
        M("G_CALL 0 0 0; RET", 0, 0, "not a unit"),
        M("G_CALL 1 0 0; RET", 0, 0, "0 arguments for a unit of 1"),
        M("G_MESSAGE 1; RET", 0, 0, "not a message"),
        M("G_SINK_OPEN 0 0 0; RET", 0, 0, "0 conditions / 0 args"),
        M("G_SINK_OPEN 3 0 0; RET", 0, 0, "sink 3 of 1"),
        M("G_EVENT 1; RET", 0, 0, "not a grammar event of this protocol"),
        M("G_EVENT 2; RET", 0, 0, "not a grammar event"),
        M("G_LOOP_INIT 0; RET", 0, 0, "loop slot 0 of 0"),
        M("LOAD_STATE 1; POP; RET", 1, 0, "state variable 1 of 1"),
        M("PUSH_NULL; STORE_STATE 3; RET", 1, 1, "state variable 3 of 1"),
        M("PUSH_NULL; APPEND_FIELD 9; RET", 1, 1, "field 9 of 6"),
    };
    return cr_make_param_array(struct ccase, c, sizeof(c) / sizeof(c[0]));
}

ParameterizedTest(struct ccase *c, verify, code)
{
    struct hb *h = base();
    uint32_t pi;
    if (c->kind == SPU_PROG_RULE) {
        uint32_t r = hb_rule_on(h, c->ev, 7, c->text, c->max_stack, c->nlocals);
        pi = ((struct spu_brule *)spu_bw_at(h->bw, SPU_SEC_RULE, r))->prog;
    } else {
        pi = hb_prog(h, c->kind, c->ev, HB_L_REQUEST, "bad", c->text, c->max_stack, c->nlocals);
    }
    uint32_t co = prog_code_off(h, pi);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    expect_refused(p, len, "code", hb_sec_off(p, len, SPU_SEC_CODE) + (uint64_t)(co + c->pc) * 8,
                   c->msg);
    free(p);
    hb_free(h);
}

Test(verify, variadic_builtin_takes_more_arguments)
{
    struct hb *h = base();
    hb_rule(h, 1, "PUSH_INT 1; PUSH_INT 2; PUSH_INT 3; CALL Log 3; POP; RET", 3, 0);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    expect_ok(p, len);
    free(p);
    hb_free(h);
}

Test(verify, field_access_without_a_record)
{
    struct hb *h = base();
    uint32_t pi = hb_prog(h, SPU_PROG_DRIVER, 0, SPU_NONE, "drv", "LOAD_FIELD 0; POP; RET", 1, 0);
    uint32_t co = prog_code_off(h, pi);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    expect_refused(p, len, "code", hb_sec_off(p, len, SPU_SEC_CODE) + (uint64_t)co * 8,
                   "without a record");
    free(p);
    hb_free(h);
}

/* ---- programs ---- */

static uint64_t ent(const uint8_t *p, size_t len, unsigned sec, uint32_t i, size_t field)
{
    return hb_sec_off(p, len, sec) + (uint64_t)i * spu_section_entsize(sec) + field;
}

Test(verify, program_headers)
{
    struct hb *h = base();
    uint32_t pi = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "k", "PUSH_NULL; RET", 1, 0);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    struct spu_bprog *pp = (struct spu_bprog *)(p + ent(p, len, SPU_SEC_PROG, pi, 0));
    struct spu_bprog saved = *pp;

    pp->max_stack = 300;
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, max_stack)),
                   "max_stack 300 above 256");
    *pp = saved;
    pp->kind = 9;
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, kind)),
                   "unknown kind 9");
    *pp = saved;
    pp->code_off = 0; /* overlaps the session key program */
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, code_off)),
                   "overlaps prog 0");
    *pp = saved;
    pp->code_len = 1000;
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, code_off)),
                   "outside the code section");
    *pp = saved;
    pp->layout = HB_L_FLOW;
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, layout)),
                   "not its event's record layout");
    *pp = saved;
    pp->nloops = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, nloops)),
                   "1 loop slots");
    *pp = saved;
    pp->nparams = 1;
    pp->nlocals = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, nlocals)),
                   "params not allowed");
    *pp = saved;
    pp->proto = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, proto)),
                   "with a protocol");
    free(p);
    hb_free(h);
}

Test(verify, message_completion_event)
{
    struct hb *h = base();
    uint32_t pi = hb_prog(h, SPU_PROG_MESSAGE, 0, HB_L_REQUEST, "req", "G_EVENT 0; RET", 0, 0);
    ((struct spu_bprog *)spu_bw_at(h->bw, SPU_SEC_PROG, pi))->event = HB_EV_REQUEST;
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    expect_ok(p, len);
    struct spu_bprog *pp = (struct spu_bprog *)(p + ent(p, len, SPU_SEC_PROG, pi, 0));
    pp->event = HB_EV_RESPONSE; /* another record */
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, event)),
                   "not a completion event");
    pp->event = HB_EV_REQUEST;
    pp->kind = SPU_PROG_UNIT; /* only messages have one */
    hb_rechecksum(p, len);
    expect_refused(p, len, "prog", ent(p, len, SPU_SEC_PROG, pi, OFF(spu_bprog, event)),
                   "not a completion event");
    free(p);
}

/* ---- rules and events ---- */

Test(verify, rules)
{
    struct hb *h = base();
    hb_rule(h, 1, "RET", 0, 0);
    hb_rule(h, 2, "RET", 0, 0);
    uint32_t k = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "k", "PUSH_NULL; RET", 1, 0);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    struct spu_brule *r1 = (struct spu_brule *)(p + ent(p, len, SPU_SEC_RULE, 1, 0));
    struct spu_brule saved = *r1;

    r1->sid = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", ent(p, len, SPU_SEC_RULE, 1, OFF(spu_brule, gid)),
                   "gid 1 sid 1 already used by rule 0");
    *r1 = saved;
    r1->prog = k;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", ent(p, len, SPU_SEC_RULE, 1, OFF(spu_brule, prog)),
                   "not a program of the right kind");
    *r1 = saved;
    r1->event = HB_EV_RESPONSE;
    hb_rechecksum(p, len);
    /* the event's list now holds a rule of another event */
    const struct spu_bevent *ev0 = (const void *)(p + ent(p, len, SPU_SEC_EVENT, 0, 0));
    expect_refused(p, len, "u32", hb_sec_off(p, len, SPU_SEC_U32) + 4 * (ev0->rules + 1),
                   "not a rule of this event");
    *r1 = saved;
    r1->flags = 4;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", ent(p, len, SPU_SEC_RULE, 1, OFF(spu_brule, flags)),
                   "unknown flags");
    *r1 = saved;
    r1->nrefs = 1000;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", ent(p, len, SPU_SEC_RULE, 1, OFF(spu_brule, refs)),
                   "references");
    *r1 = saved;
    struct spu_bevent *e0 = (struct spu_bevent *)(p + ent(p, len, SPU_SEC_EVENT, 0, 0));
    e0->nrules = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", ent(p, len, SPU_SEC_RULE, 1, OFF(spu_brule, event)),
                   "missing from its event's rule list");
    free(p);
    hb_free(h);
}

Test(verify, events)
{
    size_t len;
    uint8_t *p = good(&len);
    struct spu_bevent *e = (struct spu_bevent *)(p + ent(p, len, SPU_SEC_EVENT, 2, 0));
    struct spu_bevent saved = *e;
    e->runtime_id = 40;
    hb_rechecksum(p, len);
    expect_refused(p, len, "event", ent(p, len, SPU_SEC_EVENT, 2, OFF(spu_bevent, runtime_id)),
                   "runtime id 40");
    *e = saved;
    e->levels = 0;
    e->nlevels = 1; /* u32[0] is the demo port, 7777: not a program */
    hb_rechecksum(p, len);
    expect_refused(p, len, "u32", hb_sec_off(p, len, SPU_SEC_U32), "not a KEY program");
    *e = saved;
    e->layout = 50;
    hb_rechecksum(p, len);
    expect_refused(p, len, "event", ent(p, len, SPU_SEC_EVENT, 2, OFF(spu_bevent, layout)),
                   "layout 50 out of range");
    free(p);
}

/* ---- constants, layouts, fields ---- */

Test(verify, constants_layouts_fields)
{
    size_t len;
    uint8_t *p = good(&len);
    struct spu_bconst *k = (struct spu_bconst *)(p + ent(p, len, SPU_SEC_CONST, 0, 0));
    struct spu_bconst ks = *k;
    k->kind = 9;
    hb_rechecksum(p, len);
    expect_refused(p, len, "const", ent(p, len, SPU_SEC_CONST, 0, OFF(spu_bconst, kind)),
                   "unknown kind 9");
    *k = ks;
    k->len = 1u << 30;
    hb_rechecksum(p, len);
    expect_refused(p, len, "const", ent(p, len, SPU_SEC_CONST, 0, OFF(spu_bconst, val)),
                   "outside strtab");
    *k = ks;
    k->kind = SPU_K_LIST;
    k->len = 0;
    k->val = 3;
    hb_rechecksum(p, len);
    expect_refused(p, len, "const", ent(p, len, SPU_SEC_CONST, 0, OFF(spu_bconst, val)),
                   "list index 3");
    *k = ks;
    hb_rechecksum(p, len);
    expect_ok(p, len);

    struct spu_blayout *l = (struct spu_blayout *)(p + ent(p, len, SPU_SEC_LAYOUT, 0, 0));
    struct spu_blayout ls = *l;
    l->map_value = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "layout", ent(p, len, SPU_SEC_LAYOUT, 0, OFF(spu_blayout, map_key)),
                   "not two fields");
    *l = ls;
    l->flags = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "layout", ent(p, len, SPU_SEC_LAYOUT, 0, OFF(spu_blayout, map_key)),
                   "without the MAP flag");
    *l = ls;

    struct spu_bfield *f = (struct spu_bfield *)(p + ent(p, len, SPU_SEC_FIELD, 5, 0));
    cr_assert_eq(f->type, SPU_T_REC); /* request.headers */
    f->sub = 60;
    hb_rechecksum(p, len);
    expect_refused(p, len, "field", ent(p, len, SPU_SEC_FIELD, 5, OFF(spu_bfield, sub)),
                   "neither a layout nor a stdlib record");
    f->sub = SPU_LAYOUT_STD | 40;
    hb_rechecksum(p, len);
    expect_refused(p, len, "field", ent(p, len, SPU_SEC_FIELD, 5, OFF(spu_bfield, sub)), "neither");
    f->sub = HB_L_HEADER;
    f->type = 40;
    hb_rechecksum(p, len);
    expect_refused(p, len, "field", ent(p, len, SPU_SEC_FIELD, 5, OFF(spu_bfield, type)),
                   "bad type 40");
    free(p);
}

/* ---- DFAs, lists, sinks, protocols, sessions, outputs ---- */

Test(verify, bad_dfa)
{
    size_t len;
    uint8_t *p = good(&len);
    const struct spu_bdfa *d = (const void *)(p + ent(p, len, SPU_SEC_DFA, 0, 0));
    uint64_t dd = hb_sec_off(p, len, SPU_SEC_DFADATA);
    uint32_t *trans = (uint32_t *)(p + dd + 4 * (uint64_t)d->trans);
    trans[3] = 2; /* state 1, class 1 -> state 2 of 2 */
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfadata", dd + 4 * ((uint64_t)d->trans + 3), "goes to 2 >= 2");
    trans[3] = 1;
    trans[1] = 1; /* out of the dead state */
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfadata", dd + 4 * ((uint64_t)d->trans + 1), "dead state 0 leaves");
    trans[1] = 0;
    uint8_t *cm = p + dd + 4 * (uint64_t)d->classmap;
    cm[200] = 2;
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfadata", dd + 4 * (uint64_t)d->classmap + 200, "class 2 >= 2");
    cm[200] = 0;
    uint32_t *acc = (uint32_t *)(p + dd + 4 * (uint64_t)d->accept);
    acc[1] = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfadata", dd + 4 * ((uint64_t)d->accept + 1), "accepts label 1");
    acc[1] = 0;
    struct spu_bdfa *dm = (struct spu_bdfa *)(p + ent(p, len, SPU_SEC_DFA, 0, 0));
    struct spu_bdfa saved = *dm;
    dm->decide = 1u << 20;
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfa", ent(p, len, SPU_SEC_DFA, 0, 0), "outside dfadata");
    *dm = saved;
    dm->start = 2;
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfa", ent(p, len, SPU_SEC_DFA, 0, 0), "start state 2");
    *dm = saved;
    dm->flags = SPU_DFA_ANCHORED | SPU_DFA_SEARCH;
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfa", ent(p, len, SPU_SEC_DFA, 0, 0), "exactly one");
    *dm = saved;
    dm->source.len = 1u << 30;
    hb_rechecksum(p, len);
    expect_refused(p, len, "dfa", ent(p, len, SPU_SEC_DFA, 0, OFF(spu_bdfa, source)),
                   "source string");
    *dm = saved;
    hb_rechecksum(p, len);
    expect_ok(p, len);
    free(p);
}

Test(verify, lists_sinks_protocols_sessions_outputs)
{
    struct hb *h = base();
    hb_rule(h, 1, "RET", 0, 0);
    struct spu_boutput o = {spu_bw_cstr(h->bw, "o"), SPU_OUT_FILE, spu_bw_cstr(h->bw, "x")};
    spu_bw_output(h->bw, &o);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    uint64_t u32 = hb_sec_off(p, len, SPU_SEC_U32);

    struct spu_blist *l = (struct spu_blist *)(p + ent(p, len, SPU_SEC_LIST, 0, 0));
    uint32_t *item = (uint32_t *)(p + u32 + 4 * (uint64_t)l->items);
    *item = 1; /* an int constant in a string list */
    hb_rechecksum(p, len);
    expect_refused(p, len, "u32", u32 + 4 * (uint64_t)l->items, "not a string constant");
    *item = 0;
    l->kind = SPU_LIST_IP;
    hb_rechecksum(p, len);
    expect_refused(p, len, "u32", u32 + 4 * (uint64_t)l->items, "not a ip constant");
    l->kind = SPU_LIST_STR;
    l->flags = SPU_LISTF_FILE;
    hb_rechecksum(p, len);
    expect_refused(p, len, "list", ent(p, len, SPU_SEC_LIST, 0, OFF(spu_blist, path)),
                   "without a path");
    l->flags = 0;

    struct spu_bsink *s = (struct spu_bsink *)(p + ent(p, len, SPU_SEC_SINK, 0, 0));
    uint32_t *flt = (uint32_t *)(p + u32 + 4 * (uint64_t)s->filters);
    *flt = SPU_FLT__COUNT;
    hb_rechecksum(p, len);
    expect_refused(p, len, "u32", u32 + 4 * (uint64_t)s->filters, "filter id");
    *flt = 0;
    s->nargs = 2;
    hb_rechecksum(p, len);
    expect_refused(p, len, "sink", ent(p, len, SPU_SEC_SINK, 0, OFF(spu_bsink, nargs)),
                   "2 args for a child of 1");
    s->nargs = 1;
    s->child = 0; /* a KEY program */
    hb_rechecksum(p, len);
    expect_refused(p, len, "sink", ent(p, len, SPU_SEC_SINK, 0, OFF(spu_bsink, child)),
                   "not a program of the right kind");
    s->child = 1;

    struct spu_bproto *pr = (struct spu_bproto *)(p + ent(p, len, SPU_SEC_PROTO, 0, 0));
    pr->driver[1] = 1; /* a unit, not a driver */
    hb_rechecksum(p, len);
    expect_refused(p, len, "proto", ent(p, len, SPU_SEC_PROTO, 0, OFF(spu_bproto, driver) + 4),
                   "not a program of the right kind");
    pr->driver[1] = SPU_NONE;
    uint32_t *port = (uint32_t *)(p + u32 + 4 * (uint64_t)pr->ports);
    *port = 70000;
    hb_rechecksum(p, len);
    expect_refused(p, len, "u32", u32 + 4 * (uint64_t)pr->ports, "port 70000");
    *port = 80;
    pr->transport = 7;
    hb_rechecksum(p, len);
    expect_refused(p, len, "proto", ent(p, len, SPU_SEC_PROTO, 0, OFF(spu_bproto, transport)),
                   "unknown transport");
    pr->transport = SPU_TRANSPORT_TCP;
    pr->detect[0] = 4;
    hb_rechecksum(p, len);
    expect_refused(p, len, "proto", ent(p, len, SPU_SEC_PROTO, 0, OFF(spu_bproto, detect)),
                   "detect dfa 4");
    pr->detect[0] = SPU_NONE;
    pr->resync_rev[1] = 3;
    hb_rechecksum(p, len);
    expect_refused(p, len, "proto", ent(p, len, SPU_SEC_PROTO, 0, OFF(spu_bproto, resync_rev) + 4),
                   "reverse resync dfa 3");
    pr->resync_rev[1] = SPU_NONE;
    s->flags = 8; /* no such flag */
    hb_rechecksum(p, len);
    expect_refused(p, len, "sink", ent(p, len, SPU_SEC_SINK, 0, OFF(spu_bsink, nfilters)),
                   "flags 0x8");
    s->flags = SPU_SINKF_RECORD | SPU_SINKF_DIGEST; /* a record keeps no content to hash */
    hb_rechecksum(p, len);
    expect_refused(p, len, "sink", ent(p, len, SPU_SEC_SINK, 0, OFF(spu_bsink, nfilters)),
                   "flags 0x6");
    s->flags = SPU_SINKF_RECORD; /* a record capture needs a child unit */
    uint32_t child = s->child;
    s->child = SPU_NONE;
    hb_rechecksum(p, len);
    expect_refused(p, len, "sink", ent(p, len, SPU_SEC_SINK, 0, OFF(spu_bsink, nfilters)),
                   "flags 0x2");
    s->child = child;
    s->flags = SPU_SINKF_SPAN;

    struct spu_bsession *ss = (struct spu_bsession *)(p + ent(p, len, SPU_SEC_SESSION, 0, 0));
    ss->key_prog = 1; /* a unit */
    hb_rechecksum(p, len);
    expect_refused(p, len, "session", ent(p, len, SPU_SEC_SESSION, 0, OFF(spu_bsession, key_prog)),
                   "not a program of the right kind");
    ss->key_prog = 0;
    ss->key_event = HB_EV_RESPONSE;
    hb_rechecksum(p, len);
    expect_refused(p, len, "session", ent(p, len, SPU_SEC_SESSION, 0, OFF(spu_bsession, key_prog)),
                   "key event is 1");
    ss->key_event = HB_EV_REQUEST;

    struct spu_boutput *op = (struct spu_boutput *)(p + ent(p, len, SPU_SEC_OUTPUT, 0, 0));
    op->kind = 5;
    hb_rechecksum(p, len);
    expect_refused(p, len, "output", ent(p, len, SPU_SEC_OUTPUT, 0, OFF(spu_boutput, kind)),
                   "unknown kind 5");
    op->kind = SPU_OUT_FILE;

    struct spu_bglobals *g = (struct spu_bglobals *)(p + hb_sec_off(p, len, SPU_SEC_GLOBALS));
    g->flow_layout = 100;
    hb_rechecksum(p, len);
    expect_refused(p, len, "globals",
                   hb_sec_off(p, len, SPU_SEC_GLOBALS) + OFF(spu_bglobals, flow_layout),
                   "flow layout 100");
    g->flow_layout = HB_L_FLOW;
    hb_rechecksum(p, len);
    expect_ok(p, len);
    free(p);
}

Test(verify, queue_classes)
{
    struct hb *h = base();
    struct spu_bqueue q = {spu_bw_cstr(h->bw, "slow"), 1, 16384, 2000000};
    spu_bw_queue(h->bw, &q);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    expect_ok(p, len);
    struct spu_bqueue *qp = (struct spu_bqueue *)(p + ent(p, len, SPU_SEC_QUEUE, 0, 0));
    qp->rate_bps = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "queue", ent(p, len, SPU_SEC_QUEUE, 0, OFF(spu_bqueue, rate_bps)),
                   "a rate of 0");
    qp->rate_bps = 2000000;
    qp->burst = 100;
    hb_rechecksum(p, len);
    expect_refused(p, len, "queue", ent(p, len, SPU_SEC_QUEUE, 0, OFF(spu_bqueue, burst)),
                   "below one packet");
    qp->burst = 16384;
    qp->priority = 8;
    hb_rechecksum(p, len);
    expect_refused(p, len, "queue", ent(p, len, SPU_SEC_QUEUE, 0, OFF(spu_bqueue, priority)),
                   "priority 8 above 7");
    qp->priority = 7;
    hb_rechecksum(p, len);
    expect_ok(p, len);
    free(p);
}

/* ---- lookup trees and patterns ---- */

Test(verify, trees)
{
    struct hb *h = tree_bundle();
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    struct spu_binode *n0 = (struct spu_binode *)(p + ent(p, len, SPU_SEC_INODE, 0, 0));
    struct spu_binode *n1 = (struct spu_binode *)(p + ent(p, len, SPU_SEC_INODE, 1, 0));
    struct spu_biedge *e0 = (struct spu_biedge *)(p + ent(p, len, SPU_SEC_IEDGE, 0, 0));

    n1->any = 0; /* back to the root */
    hb_rechecksum(p, len);
    expect_refused(p, len, "inode", ent(p, len, SPU_SEC_INODE, 1, OFF(spu_binode, any)),
                   "not a later node (cycle?)");
    n1->any = SPU_NONE;
    n1->level = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "inode", ent(p, len, SPU_SEC_INODE, 1, OFF(spu_binode, level)),
                   "level 1 but event 0 has 1 levels");
    n1->level = 0;
    n0->nexact = 0; /* an exact edge among the prefix/suffix ones */
    hb_rechecksum(p, len);
    expect_refused(p, len, "iedge", ent(p, len, SPU_SEC_IEDGE, 0, OFF(spu_biedge, kind)),
                   "out of order");
    n0->nexact = 1;
    e0->flags = SPU_IEF_NOCASE;
    e0->value.len = 2;
    hb_rechecksum(p, len);
    expect_ok(p, len); /* "/a" is lowercase */
    e0->kind = 9;
    hb_rechecksum(p, len);
    expect_refused(p, len, "iedge", ent(p, len, SPU_SEC_IEDGE, 0, OFF(spu_biedge, kind)),
                   "unknown kind 9");
    e0->kind = SPU_IE_EXACT;

    /* a second event's tree sharing node 1 */
    struct spu_bevent *ev1 = (struct spu_bevent *)(p + ent(p, len, SPU_SEC_EVENT, 1, 0));
    ev1->index_root = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "event", ent(p, len, SPU_SEC_EVENT, 1, OFF(spu_bevent, index_root)),
                   "belongs to event 0");
    ev1->index_root = SPU_NONE;

    struct spu_brule *r = (struct spu_brule *)(p + ent(p, len, SPU_SEC_RULE, 0, 0));
    r->flags = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "u32", hb_sec_off(p, len, SPU_SEC_U32) + 4 * (uint64_t)n1->rules,
                   "not an INDEXED rule");
    r->flags = SPU_RF_INDEXED;
    n1->nrules = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", ent(p, len, SPU_SEC_RULE, 0, OFF(spu_brule, flags)),
                   "INDEXED but in no node");
    free(p);
}

Test(verify, exact_edges_must_be_sorted_and_lowercase_when_nocase)
{
    struct hb *h = tree_bundle();
    struct spu_bw *bw = h->bw;
    /* node 2: two exact edges "/b", "/a" (unsorted) to node 3 */
    struct spu_biedge e1 = {SPU_IE_EXACT, 0, spu_bw_cstr(bw, "/b"), 3, 0};
    struct spu_biedge e2 = {SPU_IE_EXACT, 0, spu_bw_cstr(bw, "/a"), 3, 0};
    uint32_t first = spu_bw_iedge(bw, &e1);
    spu_bw_iedge(bw, &e2);
    struct spu_binode n2 = {0, first, 2, 2, SPU_NONE, 0, 0};
    spu_bw_inode(bw, &n2);
    struct spu_binode n3 = {0, 0, 0, 0, SPU_NONE, 0, 0};
    spu_bw_inode(bw, &n3);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    expect_refused(p, len, "iedge", ent(p, len, SPU_SEC_IEDGE, first + 1, OFF(spu_biedge, value)),
                   "not strictly sorted");
    struct spu_biedge *ea = (struct spu_biedge *)(p + ent(p, len, SPU_SEC_IEDGE, first, 0));
    struct spu_biedge *eb = (struct spu_biedge *)(p + ent(p, len, SPU_SEC_IEDGE, first + 1, 0));
    struct spu_bstr t = ea->value;
    ea->value = eb->value;
    eb->value = t;
    hb_rechecksum(p, len);
    expect_ok(p, len);
    /* a NOCASE exact edge must be stored lowercase: point it at "GET" */
    struct spu_bconst *k0 = (struct spu_bconst *)(p + ent(p, len, SPU_SEC_CONST, 0, 0));
    eb->value = (struct spu_bstr){(uint32_t)k0->val, 3};
    eb->flags = SPU_IEF_NOCASE;
    hb_rechecksum(p, len);
    expect_refused(p, len, "iedge", ent(p, len, SPU_SEC_IEDGE, first + 1, OFF(spu_biedge, value)),
                   "not lowercase");
    free(p);
}

Test(verify, patterns)
{
    struct hb *h = base();
    uint32_t r = hb_rule(h, 1, "RET", 0, 0);
    hb_rule(h, 2, "RET", 0, 0);
    ((struct spu_brule *)spu_bw_at(h->bw, SPU_SEC_RULE, r))->flags = SPU_RF_PREFILTERED;
    uint32_t key = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "uri", "LOAD_FIELD 1; RET", 1, 0);
    struct spu_bpattern pat = {HB_EV_REQUEST, key, spu_bw_cstr(h->bw, "etc"), 0, r};
    spu_bw_pattern(h->bw, &pat);
    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    expect_ok(p, len);
    struct spu_bpattern *pp = (struct spu_bpattern *)(p + ent(p, len, SPU_SEC_PATTERN, 0, 0));
    pp->literal.len = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "pattern", ent(p, len, SPU_SEC_PATTERN, 0, OFF(spu_bpattern, literal)),
                   "empty literal");
    pp->literal.len = 3;
    pp->rule = 1; /* not PREFILTERED */
    hb_rechecksum(p, len);
    expect_refused(p, len, "pattern", ent(p, len, SPU_SEC_PATTERN, 0, OFF(spu_bpattern, rule)),
                   "not a PREFILTERED rule");
    pp->rule = 0;
    pp->key_prog = 0; /* the session key program: a KEY program, same event: fine */
    hb_rechecksum(p, len);
    expect_ok(p, len);
    pp->key_prog = 1;
    hb_rechecksum(p, len);
    expect_refused(p, len, "pattern", ent(p, len, SPU_SEC_PATTERN, 0, OFF(spu_bpattern, key_prog)),
                   "not a program of the right kind");
    pp->key_prog = key;
    pp->event = HB_EV_RESPONSE;
    hb_rechecksum(p, len);
    expect_refused(p, len, "pattern", ent(p, len, SPU_SEC_PATTERN, 0, OFF(spu_bpattern, key_prog)),
                   "key program of another event");
    pp->event = HB_EV_REQUEST;
    /* drop the only pattern: rule 0 is PREFILTERED without any */
    tab(p)[hb_sec_index(p, len, SPU_SEC_PATTERN)].size = 0;
    hb_rechecksum(p, len);
    expect_refused(p, len, "rule", ent(p, len, SPU_SEC_RULE, 0, OFF(spu_brule, flags)),
                   "PREFILTERED without any pattern");
    free(p);
}
