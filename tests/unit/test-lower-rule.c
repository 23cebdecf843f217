/* Unit tests for compiler/lower-rule.c and lower-expr.c (with the optimizer
 * and emitter behind them): the expression semantics table of
 * docs/rule-language.md executed. Each row is one tiny rule
 * `Log(EXPR)` compiled by spuc's back end, loaded, and run in the rule VM
 * on a hand-made event record; the value the host receives (or the fault)
 * is compared with the table. Statements (locals, if/else, for with
 * break/continue, return, flow and session variables) and the step budget
 * have their own tests. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builtin-api.h"
#include "helper-compile.h"

/* Arrays, not pointers: Criterion hands parameters to a new process. */
struct row {
    char event[12]; /* "packet" or "flow.end" */
    char expr[96];
    char want[64];  /* hc_fmt of the value, or "fault:<spu_vm_fault_name>" */
};

/* packet: src_ip 10.1.2.3, dst_ip 192.0.2.1, src_port 1234, dst_port 80,
 * proto 6, len 100, payload_len 19, ttl 64, vlan null,
 * payload "GET /admin HTTP/1.0".
 * flow.end: state null, reason "timeout", proto 17. */
static struct row rows[] = {
    /* arithmetic on run-time ints, wrapping, division faults */
    {"packet", "dst_port + 1", "81"},
    {"packet", "dst_port - 100", "-20"},
    {"packet", "dst_port * 3", "240"},
    {"packet", "dst_port / 3", "26"},
    {"packet", "dst_port % 7", "3"},
    {"packet", "-dst_port", "-80"},
    {"packet", "(dst_port - 81) / 2", "0"},
    {"packet", "(dst_port - 87) % 5", "-2"},
    {"packet", "9223372036854775807 + (dst_port - 79)", "-9223372036854775808"},
    {"packet", "dst_port / (ttl - ttl)", "fault:division by zero"},
    {"packet", "dst_port % (ttl - ttl)", "fault:division by zero"},
    /* constants folded at compile time */
    {"packet", "1 + 2 * 3", "7"},
    {"packet", "0x10 + 1KB", "1040"},
    {"packet", "30s", "30000"},
    {"packet", "\"a\" + \"b\"", "\"ab\""},
    {"packet", "-(3 - 10) % 4", "3"},
    {"packet", "ip(\"2001:db8::1\") == ip(\"2001:db8::1\")", "true"},
    {"packet", "lower(\"ABC\") + upper(\"d\")", "\"abcD\""},
    /* comparisons */
    {"packet", "dst_port < 81", "true"},
    {"packet", "dst_port <= 80", "true"},
    {"packet", "dst_port > 80", "false"},
    {"packet", "dst_port >= 81", "false"},
    {"packet", "dst_port == 80", "true"},
    {"packet", "dst_port != 80", "false"},
    {"packet", "payload == \"GET /admin HTTP/1.0\"", "true"},
    {"packet", "payload != \"x\"", "true"},
    {"packet", "src_ip == 10.1.2.3", "true"},
    {"packet", "src_ip != 10.1.2.3", "false"},
    /* membership */
    {"packet", "src_ip in 10.0.0.0/8", "true"},
    {"packet", "dst_ip in 10.0.0.0/8", "false"},
    {"packet", "src_ip in { 192.0.2.0/24, 10.1.2.3 }", "true"},
    {"packet", "dst_ip in { 192.0.2.0/24 }", "true"},
    {"packet", "payload in { \"x\", \"GET /admin HTTP/1.0\" }", "true"},
    {"packet", "payload in { \"get /admin http/1.0\" }", "false"},
    /* ~ and !~ */
    {"packet", "payload ~ \"ADMIN\"", "true"},
    {"packet", "payload ~ \"zzz\"", "false"},
    {"packet", "payload !~ \"zzz\"", "true"},
    {"packet", "payload ~ /^get/", "false"},
    {"packet", "payload ~ /^get/i", "true"},
    {"packet", "payload !~ /admin/", "false"},
    /* concatenation */
    {"packet", "payload + \"!\"", "\"GET /admin HTTP/1.0!\""},
    {"packet", "\"port \" + str(dst_port)", "\"port 80\""},
    /* logic and short-circuit */
    {"packet", "dst_port == 80 && proto == 6", "true"},
    {"packet", "dst_port == 81 && proto == 6", "false"},
    {"packet", "dst_port == 81 || proto == 6", "true"},
    {"packet", "dst_port == 81 || proto == 7", "false"},
    {"packet", "!(dst_port == 80)", "false"},
    {"packet", "dst_port && payload", "true"},
    {"packet", "(ttl - ttl) || vlan", "false"},
    {"packet", "dst_port == 81 && dst_port / (ttl - ttl) == 1", "false"},
    {"packet", "dst_port == 80 || dst_port / (ttl - ttl) == 1", "true"},
    {"packet", "dst_port == 80 && dst_port / (ttl - ttl) == 1", "fault:division by zero"},
    {"packet", "!(dst_port == 81 || !(proto == 6 && ttl > 1))", "true"},
    /* null */
    {"packet", "!vlan", "true"},
    {"packet", "!payload", "false"},
    {"packet", "vlan == null", "true"},
    {"packet", "vlan != null", "false"},
    {"packet", "vlan < 5", "false"},
    {"packet", "vlan >= 5", "false"},
    {"packet", "vlan + 1", "fault:operand of the wrong type"},
    {"packet", "null == null", "true"},
    {"packet", "payload == null", "false"},
    {"flow.end", "state ~ \"x\"", "false"},
    {"flow.end", "state !~ \"x\"", "true"},
    {"flow.end", "state == null", "true"},
    {"flow.end", "state + \"x\"", "\"x\""},
    {"flow.end", "reason + state", "\"timeout\""},
    {"flow.end", "state in { \"a\" }", "false"},
    {"flow.end", "reason in { \"a\", \"timeout\" } && proto == 17", "true"},
    /* built-ins: named arguments, defaults */
    {"packet", "StringLength(payload)", "19"},
    {"packet", "lower(payload)", "\"get /admin http/1.0\""},
    {"packet", "starts_with(payload, \"get\", nocase: true)", "true"},
    {"packet", "starts_with(payload, \"get\")", "false"},
    {"packet", "StringCopy(payload, 4)", "\"/admin HTTP/1.0\""},
    {"packet", "StringCopy(payload, len: 3)", "\"GET\""},
    {"packet", "find(payload, \"admin\")", "5"},
    {"packet", "int(\"42\") + dst_port", "122"},
    {"packet", "contains(payload, \"ADMIN\", nocase: true)", "true"},
    {"packet", "StringInString(payload, \"ADMIN\")", "false"},
    /* indexing */
    {"packet", "payload[0]", "71"},
    {"packet", "payload[100]", "null"},
    {"packet", "split(payload, \" \")[1]", "\"/admin\""},
    {"packet", "split(payload, \" \")[7]", "null"},
    {"packet", "count(split(payload, \" \"))", "3"},
    /* connection fields */
    {"packet", "flow.src_port", "1234"},
    {"packet", "flow.proto == 6", "true"},
    {"packet", "flow.dst_ip", "null"},
};

ParameterizedTestParameters(lower_rule, table)
{
    return cr_make_param_array(struct row, rows, sizeof(rows) / sizeof(rows[0]));
}

static void fill_packet(struct spu_arena *a, const struct spu_bundle *b, uint32_t ev,
                        struct spu_record *r)
{
    hc_set(b, ev, r, "src_ip", hc_ip(a, "10.1.2.3"));
    hc_set(b, ev, r, "dst_ip", hc_ip(a, "192.0.2.1"));
    hc_set(b, ev, r, "src_port", spu_v_int(1234));
    hc_set(b, ev, r, "dst_port", spu_v_int(80));
    hc_set(b, ev, r, "proto", spu_v_int(6));
    hc_set(b, ev, r, "len", spu_v_int(100));
    hc_set(b, ev, r, "payload_len", spu_v_int(19));
    hc_set(b, ev, r, "ttl", spu_v_int(64));
    hc_set(b, ev, r, "payload", spu_v_str("GET /admin HTTP/1.0", 19));
}

static void fill_flow_end(const struct spu_bundle *b, uint32_t ev, struct spu_record *r)
{
    hc_set(b, ev, r, "reason", spu_v_str("timeout", 7));
    hc_set(b, ev, r, "proto", spu_v_int(17));
}

/* Compile `rules` (one rule of sid 1 on `event`), run it once on the
 * standard record, and format what it logged (or its fault). */
static void run_one(const char *event, const char *rules, uint64_t budget, char *out, size_t n,
                    struct hc_host *host)
{
    struct spu_bundle *b = hc_bundle(NULL, rules);
    cr_assert_not_null(b, "compile: %s", rules);
    struct spu_arena *a = spu_arena_new(0, 0);
    uint32_t ev = hc_event(b, event);
    cr_assert_neq(ev, UINT32_MAX);
    struct spu_record *r = hc_record(a, b, ev);
    if (strcmp(event, "packet") == 0)
        fill_packet(a, b, ev, r);
    else
        fill_flow_end(b, ev, r);
    struct spu_error err;
    struct spu_vm_config cfg = {.budget = budget};
    struct spu_vm *vm = spu_vm_new(&cfg, &err);
    cr_assert_not_null(vm);
    struct spu_vm_result res;
    int rc = spu_vm_run_rule(vm, b, hc_rule(b, 1), r, &hc_host_ops, host, &res);
    if (rc == SPU_EFAULT)
        snprintf(out, n, "fault:%s", spu_vm_fault_name((unsigned)res.fault));
    else if (host->nact == 0)
        snprintf(out, n, "no action");
    else
        hc_fmt(&host->act[host->nact - 1].args[0], out, n);
    spu_vm_free(vm);
    spu_arena_free(a);
    spu_bundle_unref(b);
}

ParameterizedTest(struct row *p, lower_rule, table)
{
    char rules[1024], got[256];
    snprintf(rules, sizeof(rules), "rule sid 1 on %s { Log(%s); }\n", p->event, p->expr);
    struct hc_host host;
    hc_host_init(&host);
    run_one(p->event, rules, 0, got, sizeof(got), &host);
    cr_expect_str_eq(got, p->want, "%s: got %s, want %s", p->expr, got, p->want);
    hc_host_fini(&host);
}

/* The same table with the optimizer off: lowering alone is right, and
 * folding changes no result. */
ParameterizedTestParameters(lower_rule, table_unoptimized)
{
    return cr_make_param_array(struct row, rows, sizeof(rows) / sizeof(rows[0]));
}

ParameterizedTest(struct row *p, lower_rule, table_unoptimized)
{
    char rules[1024], got[256];
    snprintf(rules, sizeof(rules), "rule sid 1 on %s { Log(%s); }\n", p->event, p->expr);
    struct compile_opts o = {.no_opt = 1};
    size_t len;
    uint8_t *bytes = hc_compile(NULL, rules, &o, &len, NULL);
    cr_assert_not_null(bytes);
    struct spu_error err;
    struct spu_bundle *b = spu_bundle_load_mem(bytes, len, NULL, &err);
    free(bytes);
    cr_assert_not_null(b);
    struct spu_arena *a = spu_arena_new(0, 0);
    uint32_t ev = hc_event(b, p->event);
    struct spu_record *r = hc_record(a, b, ev);
    if (strcmp(p->event, "packet") == 0)
        fill_packet(a, b, ev, r);
    else
        fill_flow_end(b, ev, r);
    struct spu_vm *vm = spu_vm_new(NULL, &err);
    struct hc_host host;
    hc_host_init(&host);
    struct spu_vm_result res;
    int rc = spu_vm_run_rule(vm, b, 0, r, &hc_host_ops, &host, &res);
    if (rc == SPU_EFAULT)
        snprintf(got, sizeof(got), "fault:%s", spu_vm_fault_name((unsigned)res.fault));
    else
        hc_fmt(&host.act[0].args[0], got, sizeof(got));
    cr_expect_str_eq(got, p->want, "%s (unoptimized): got %s, want %s", p->expr, got, p->want);
    hc_host_fini(&host);
    spu_vm_free(vm);
    spu_arena_free(a);
    spu_bundle_unref(b);
}

/* ---- statements ---- */

static void expect_logs(const char *rules, const int64_t *want, uint32_t n)
{
    struct hc_host host;
    hc_host_init(&host);
    char got[64];
    run_one("packet", rules, 0, got, sizeof(got), &host);
    cr_assert_eq(host.nact, n, "%s: %u actions, want %u", rules, host.nact, n);
    for (uint32_t i = 0; i < n; i++) {
        cr_expect_eq(host.act[i].args[0].type, SPU_T_INT);
        cr_expect_eq(host.act[i].args[0].u.i, want[i], "action %u: %lld, want %lld", i,
                     (long long)host.act[i].args[0].u.i, (long long)want[i]);
    }
    hc_host_fini(&host);
}

Test(lower_rule, if_else_chains)
{
    static const int64_t w[] = {2, 30};
    expect_logs("rule sid 1 on packet {\n"
                "  int x = 1;\n"
                "  if (dst_port == 81) x = 1; else if (dst_port == 80) x = 2; else x = 3;\n"
                "  Log(x);\n"
                "  int y;\n"
                "  if (proto != 6) { y = 10; } else { y += 20; y += 10; }\n"
                "  Log(y);\n"
                "}\n",
                w, 2);
}

Test(lower_rule, for_break_continue)
{
    static const int64_t w[] = {2, 9};
    expect_logs("rule sid 1 on packet {\n"
                "  int n = 0;\n"
                "  for (w in split(\"a,b,c,d,e\", \",\")) {\n"
                "    if (w == \"b\") continue;\n"
                "    if (w == \"d\") break;\n"
                "    n += 1;\n"
                "  }\n"
                "  Log(n);\n"
                "  int m = 0;\n"
                "  for (i in split(\"1,2,3\", \",\")) for (j in split(\"x,y,z\", \",\")) m += 1;\n"
                "  Log(m);\n"
                "}\n",
                w, 2);
}

Test(lower_rule, for_over_null_and_empty)
{
    /* split(null) is null: a loop over null runs no iteration; split of an
     * empty string gives one empty field */
    struct hc_host host;
    hc_host_init(&host);
    char got[64];
    run_one("flow.end",
            "rule sid 1 on flow.end {\n"
            "  int n = 0;\n"
            "  for (w in split(state, \",\")) n += 1;\n"
            "  int m = 0;\n"
            "  for (w in split(\"\", \",\")) m -= 1;\n"
            "  Log(n * 10 + m);\n"
            "}\n",
            0, got, sizeof(got), &host);
    cr_expect_str_eq(got, "-1");
    hc_host_fini(&host);
}

Test(lower_rule, return_stops)
{
    static const int64_t w[] = {1};
    expect_logs("rule sid 1 on packet {\n"
                "  if (dst_port == 80) { Log(1); return; }\n"
                "  Log(2);\n"
                "}\n",
                w, 1);
}

Test(lower_rule, flow_and_session_variables)
{
    const char *rules = "flow { int hits; string last; }\n"
                        "session s keyed by flow.src_port ttl 1m { int n; }\n"
                        "rule sid 1 on packet {\n"
                        "  flow.hits += 1;\n"
                        "  flow.last = payload;\n"
                        "  s.n += 2;\n"
                        "  Log(flow.hits, flow.last, s.n);\n"
                        "}\n";
    struct spu_bundle *b = hc_bundle(NULL, rules);
    cr_assert_not_null(b);
    struct spu_arena *a = spu_arena_new(0, 0);
    uint32_t ev = hc_event(b, "packet");
    struct spu_record *r = hc_record(a, b, ev);
    fill_packet(a, b, ev, r);
    struct spu_error err;
    struct spu_vm *vm = spu_vm_new(NULL, &err);
    struct hc_host host;
    hc_host_init(&host);
    for (int i = 0; i < 2; i++) {
        cr_assert_eq(spu_vm_run_rule(vm, b, 0, r, &hc_host_ops, &host, NULL), SPU_OK);
        spu_vm_reset(vm);
    }
    cr_assert_eq(host.nact, 2);
    char buf[64];
    cr_expect_str_eq(hc_fmt(&host.act[1].args[0], buf, sizeof(buf)), "2");
    cr_expect_str_eq(hc_fmt(&host.act[1].args[1], buf, sizeof(buf)), "\"GET /admin HTTP/1.0\"");
    cr_expect_str_eq(hc_fmt(&host.act[1].args[2], buf, sizeof(buf)), "4");
    hc_host_fini(&host);
    spu_vm_free(vm);
    spu_arena_free(a);
    spu_bundle_unref(b);
}

Test(lower_rule, budget_stops_a_loop)
{
    const char *rules = "rule sid 1 on packet {\n"
                        "  int n = 0;\n"
                        "  for (w in split(\"a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\", \",\")) n += 1;\n"
                        "  Log(n);\n"
                        "}\n";
    struct hc_host host;
    hc_host_init(&host);
    char got[64];
    run_one("packet", rules, 0, got, sizeof(got), &host);
    cr_expect_str_eq(got, "16");
    hc_host_fini(&host);
    hc_host_init(&host);
    run_one("packet", rules, 40, got, sizeof(got), &host);
    cr_expect_str_eq(got, "fault:step budget spent");
    cr_expect_eq(host.nact, 0);
    hc_host_fini(&host);
}

Test(lower_rule, actions_get_defaults_and_named_arguments)
{
    struct hc_host host;
    hc_host_init(&host);
    char got[64];
    run_one("packet",
            "rule sid 1 on packet { Alert(message: \"m\"); Shun(); Alert(severity: 3); }\n", 0,
            got, sizeof(got), &host);
    cr_assert_eq(host.nact, 3);
    char buf[64];
    cr_expect_eq(host.act[0].builtin, SPU_BI_Alert);
    cr_expect_eq(host.act[0].argc, 2);
    cr_expect_str_eq(hc_fmt(&host.act[0].args[0], buf, sizeof(buf)), "0");
    cr_expect_str_eq(hc_fmt(&host.act[0].args[1], buf, sizeof(buf)), "\"m\"");
    cr_expect_eq(host.act[1].builtin, SPU_BI_Shun);
    cr_expect_str_eq(hc_fmt(&host.act[1].args[0], buf, sizeof(buf)), "3600000");
    cr_expect_str_eq(hc_fmt(&host.act[2].args[0], buf, sizeof(buf)), "3");
    cr_expect_str_eq(hc_fmt(&host.act[2].args[1], buf, sizeof(buf)), "null");
    hc_host_fini(&host);
}

/* Bad input: a construct the back end refuses is a located error, and
 * nothing is produced. */
Test(lower_rule, non_constant_cidr_is_an_error)
{
    char *diag = NULL;
    size_t len;
    uint8_t *p = hc_compile(NULL, "rule sid 1 on packet { if (src_ip in dst_ip) Alert(); }\n",
                            NULL, &len, &diag);
    cr_expect_null(p);
    cr_expect_not_null(strstr(diag, "r.spr:1:"), "%s", diag);
    cr_expect_not_null(strstr(diag, "constant address or CIDR"), "%s", diag);
    free(diag);
    free(p);
}
