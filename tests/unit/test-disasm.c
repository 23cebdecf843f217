/* Unit tests for runtime/vm/disasm.c: a golden dump of a small hand-built
 * bundle (every section kind, operands shown by name). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "builtin-api.h"
#include "bundle.h"
#include "disasm.h"
#include "helper-bundle.h"

static struct spu_bundle *small_bundle(void)
{
    struct hb *h = hb_new();
    struct spu_bw *bw = h->bw;
    struct spu_bregex re = {spu_bw_cstr(bw, "^GET /admin"), SPU_RE_I};
    spu_bw_regex(bw, &re);
    uint32_t items[2] = {spu_bw_const_str(bw, "exe", 3, 0), spu_bw_const_str(bw, "sh", 2, 0)};
    struct spu_blist l = {spu_bw_cstr(bw, "exec_ext"),
                          SPU_LIST_STR,
                          SPU_LISTF_NOCASE,
                          {0, 0},
                          {0, 0},
                          spu_bw_u32(bw, items, 2),
                          2};
    spu_bw_list(bw, &l);
    struct spu_blist fl = {spu_bw_cstr(bw, "bad_hosts"),
                           SPU_LIST_STR,
                           SPU_LISTF_FILE,
                           spu_bw_cstr(bw, "lists/bad.txt"),
                           spu_bw_cstr(bw, "/etc/spu"),
                           0,
                           0};
    spu_bw_list(bw, &fl);
    uint8_t ip[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 0};
    spu_bw_const_ip(bw, ip, 4, 8, 0);
    spu_bw_const_int(bw, -42);
    spu_bw_const_list(bw, 0);
    spu_bw_const_str(bw, "a\"b\\c\r\n\x01", 8, 0);
    uint32_t k_get = spu_bw_const_str(bw, "GET", 3, 0);

    uint8_t cm[256] = {0};
    cm['x'] = 1;
    uint32_t trans[4] = {0, 0, 0, 1}, acc[2] = {SPU_NONE, 0}, dec[2] = {SPU_NONE, 0};
    struct spu_bw_dfa d = {2, 2, 1, 1, SPU_DFA_ANCHORED, cm, trans, acc, dec, "x*", 2};
    spu_bw_dfa(bw, &d);
    uint32_t flt[2] = {SPU_FLT_gunzip, SPU_FLT_base64};
    struct spu_bsink sk = {spu_bw_u32(bw, flt, 2), 2, SPU_NONE, 0, SPU_NONE, SPU_SINKF_SPAN};
    spu_bw_sink(bw, &sk);

    char msg[256];
    snprintf(msg, sizeof(msg),
             "G_LIT %u a=5; STORE_FIELD 0; G_TOKEN 0 1; STORE_FIELD 1; PUSH_BOOL 1; "
             "PUSH_BOOL 0; G_SINK_OPEN 0 2 0; G_REST a=2; G_SINK_CLOSE a=1; STORE_FIELD 1; "
             "G_EVENT 0; RET",
             k_get);
    uint32_t mp = hb_prog(h, SPU_PROG_MESSAGE, 0, HB_L_REQUEST, "request", msg, 2, 0);
    uint32_t tx = mp;
    struct spu_bproto *pr = spu_bw_at(bw, SPU_SEC_PROTO, HB_PROTO);
    pr->tx_client = spu_bw_u32(bw, &tx, 1);
    pr->ntx_client = 1;

    uint32_t r1 = hb_rule(h, 1001,
                          "LOAD_FIELD 1; MATCH_RE 0; JZ 7; LOAD_FIELD 4; MEMBER 6 0x80000001; "
                          "IN_LIST 0; JZ 7; PUSH_INT 2; PUSH_NULL; CALL Alert 2; POP; "
                          "LOAD_SESS 0 0; PUSH_INT 1; ADD; STORE_SESS 0 0; RET",
                          2, 0);
    uint32_t r2 = hb_rule(h, 1002,
                          "LOAD_FLOWKEY 0; PUSH_K 2; EQ; JZ 6; LOAD_FLOWVAR 1; POP; "
                          "RET",
                          2, 0);
    struct spu_brule *rp = spu_bw_at(bw, SPU_SEC_RULE, r1);
    uint32_t refs[4] = {spu_bw_cstr(bw, "url").off, 3, 0, 0};
    struct spu_bstr rv = spu_bw_cstr(bw, "example.com/x");
    refs[2] = rv.off;
    refs[3] = rv.len;
    struct spu_bstr md = spu_bw_cstr(bw, "created_at 2026_01_01");
    uint32_t meta[2] = {md.off, md.len};
    rp = spu_bw_at(bw, SPU_SEC_RULE, r1);
    rp->refs = spu_bw_u32(bw, refs, 4);
    rp->nrefs = 1;
    rp->meta = spu_bw_u32(bw, meta, 2);
    rp->nmeta = 1;
    rp->flags = SPU_RF_INDEXED;
    rp->priority = 2;
    rp = spu_bw_at(bw, SPU_SEC_RULE, r2);
    rp->flags = SPU_RF_PREFILTERED;

    uint32_t key = hb_prog(h, SPU_PROG_KEY, HB_EV_REQUEST, 0, "uri", "LOAD_FIELD 1; RET", 1, 0);
    struct spu_bevent *e = spu_bw_at(bw, SPU_SEC_EVENT, HB_EV_REQUEST);
    e->levels = spu_bw_u32(bw, &key, 1);
    e->nlevels = 1;
    e->index_root = 0;
    struct spu_biedge e1 = {SPU_IE_EXACT, 0, spu_bw_cstr(bw, "/admin"), 1, 0};
    struct spu_biedge e2 = {SPU_IE_PREFIX, SPU_IEF_NOCASE, spu_bw_cstr(bw, "/cgi-bin/"), 2, 0};
    uint32_t first = spu_bw_iedge(bw, &e1);
    spu_bw_iedge(bw, &e2);
    struct spu_binode n0 = {0, first, 2, 1, SPU_NONE, 0, 0};
    struct spu_binode n1 = {0, 0, 0, 0, SPU_NONE, spu_bw_u32(bw, &r1, 1), 1};
    struct spu_binode n2 = {0, 0, 0, 0, SPU_NONE, spu_bw_u32(bw, &r1, 1), 1};
    spu_bw_inode(bw, &n0);
    spu_bw_inode(bw, &n1);
    spu_bw_inode(bw, &n2);
    struct spu_bpattern pat = {HB_EV_REQUEST, key, spu_bw_cstr(bw, "passwd"), SPU_IEF_NOCASE, r2};
    spu_bw_pattern(bw, &pat);
    struct spu_boutput o = {spu_bw_cstr(bw, "alerts"), SPU_OUT_UNIX,
                            spu_bw_cstr(bw, "/run/spu.sock")};
    spu_bw_output(bw, &o);
    struct spu_bmeta m = {spu_bw_cstr(bw, "compiler"), spu_bw_cstr(bw, "test")};
    spu_bw_meta(bw, &m);

    size_t len;
    uint8_t *p = hb_finish(h, NULL, &len);
    hb_free(h);
    /* the file list is read at load: give it a directory holding lists/bad.txt */
    char dir[] = "/tmp/spu-test-disasm-XXXXXX", sub[64], file[80];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/lists", dir);
    snprintf(file, sizeof(file), "%s/bad.txt", sub);
    cr_assert_eq(mkdir(sub, 0700), 0);
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fputs("evil.example\n", f);
    fclose(f);
    struct spu_bundle_opts opts = {NULL, 0, 0, dir};
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(p, len, &opts, &err);
    free(p);
    remove(file);
    rmdir(sub);
    rmdir(dir);
    cr_assert_not_null(b, "load: %s: %llu: %s", err.where, (unsigned long long)err.offset, err.msg);
    return b;
}

static char *dump(const struct spu_bundle *b, unsigned flags)
{
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    cr_assert_not_null(f);
    cr_assert_eq(spu_disasm(f, b, flags), SPU_OK);
    fclose(f);
    return text;
}

static const char golden[] =
#include "golden-disasm.inc"
    ;

Test(disasm, golden_dump)
{
    struct spu_bundle *b = small_bundle();
    char *text = dump(b, SPU_DIS_STABLE);
    cr_assert_str_eq(text, golden, "dump differs from the golden text:\n%s", text);
    free(text);
    spu_bundle_unref(b);
}

Test(disasm, full_header_has_checksum_and_sections)
{
    struct spu_bundle *b = small_bundle();
    char *text = dump(b, 0);
    char hex[65];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", spu_bundle_checksum(b)[i]);
    cr_assert_not_null(strstr(text, hex));
    cr_assert_not_null(strstr(text, "unsigned"));
    cr_assert_not_null(strstr(text, "section code"));
    free(text);
    spu_bundle_unref(b);
}

Test(disasm, one_instruction)
{
    struct spu_bundle *b = small_bundle();
    char buf[128];
    uint32_t n;
    const struct spu_brule *rules = spu_bundle_rules(b, &n);
    cr_assert_str_eq(spu_disasm_insn(b, rules[0].prog, 1, buf, sizeof(buf)),
                     "MATCH_RE      /^GET \\/admin/i");
    cr_assert_str_eq(spu_disasm_insn(b, rules[0].prog, 2, buf, sizeof(buf)), "JZ            -> 7");
    cr_assert_str_eq(spu_disasm_insn(b, rules[0].prog, 15, buf, sizeof(buf)), "RET");
    cr_assert_str_eq(spu_disasm_insn(b, rules[0].prog, 16, buf, sizeof(buf)), "");
    cr_assert_str_eq(spu_disasm_insn(b, 999, 0, buf, sizeof(buf)), "");
    cr_assert_str_eq(spu_disasm_insn(b, rules[0].prog, 0, buf, 8), "LOAD_FI");
    spu_bundle_unref(b);
}
