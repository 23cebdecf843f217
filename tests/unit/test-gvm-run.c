/* test-gvm-run.c - the interpreter loop: unit calls and their records,
 * maps, ancestors, the depth limit, loops and their limits, built-ins,
 * faults, state, `when` conditions, events and anomalies
 * (runtime/vm/gvm-run.c). */
#include "test-gvm.h"

#define REQ_GET                                                                                    \
    "request{method=\"GET\" uri=\"/a/b.html?x=1\" version=\"HTTP/1.1\" "                          \
    "headers=[header{name=\"Host\" value=\"example.com\"}] host=\"example.com\" "                 \
    "url=url{port=0 path=\"/a/b.html\" directory=\"/a/\" filename=\"b.html\" ext=\"html\" "       \
    "query=\"x=1\" params=[param{name=\"x\" value=\"1\"}]} body=\"\"}"
#define REQ_POST                                                                                   \
    "request{method=\"POST\" uri=\"/up\" version=\"HTTP/1.1\" headers=[header{name=\"Host\" "     \
    "value=\"h\"}, header{name=\"Content-Length\" value=\"5\"}] host=\"h\" url=url{port=0 "       \
    "path=\"/up\" directory=\"/\" filename=\"up\"} body=\"hello\"}"
#define REQ_HEAD                                                                                   \
    "request{method=\"HEAD\" uri=\"/h\" version=\"HTTP/1.0\" url=url{port=0 path=\"/h\" "         \
    "directory=\"/\" filename=\"h\"} body=\"\"}"
#define RSP_CHUNKED                                                                                \
    "response{version=\"HTTP/1.1\" status=200 reason=\"OK\" headers=[header{name=\"Transfer-"     \
    "Encoding\" value=\"chunked\"}] body=\"abcdefg\"}"
#define RSP_204 "response{version=\"HTTP/1.1\" status=204 reason=\"No Content\"}"
#define RSP_HEAD                                                                                   \
    "response{version=\"HTTP/1.1\" status=200 reason=\"OK\" headers=[header{name=\"Content-"      \
    "Length\" value=\"10\"}]}"

/* Units with records, a map array read by key, a stream unit yielding a
 * chunked body, lengths from headers, the paired request read from the
 * response (HEAD), pipelined requests. */
Test(gvm_run, web_pipeline)
{
    struct spu_bundle *b = web_bundle();
    struct ga_step steps[] = {
        GA_C("GET /a/b.html?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n"
             "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello"
             "HEAD /h HTTP/1.0\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n4;ext\r\ndefg\r\n0\r\n\r\n"
             "HTTP/1.1 204 No Content\r\n\r\n"
             "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(log, "E t.request tx=0 dir=0 " REQ_GET "\n"
                          "E t.request tx=1 dir=0 " REQ_POST "\n"
                          "E t.request tx=2 dir=0 " REQ_HEAD "\n"
                          "E t.response tx=0 dir=1 " RSP_CHUNKED "\n"
                          "T 0 " REQ_GET " " RSP_CHUNKED "\n"
                          "E t.response tx=1 dir=1 " RSP_204 "\n"
                          "T 1 " REQ_POST " " RSP_204 "\n"
                          "E t.response tx=2 dir=1 " RSP_HEAD "\n"
                          "T 2 " REQ_HEAD " " RSP_HEAD "\n");
    free(log);
    spu_bundle_unref(b);
}

/* A unit reads its caller's fields by layout (LOAD_ANC), and its own
 * events carry the chain of enclosing records. */
Test(gvm_run, ancestors_and_unit_events)
{
    struct ga *a = ga_new();
    ga_layout(a, "item", "name kind");
    ga_layout(a, "list", "kind items:item[]");
    ga_event(a, "t.item", "item");
    ga_event(a, "t.list", "list");
    ga_prog(a, "unit", "item", "item", 0,
            "G_TOKEN /[a-z]+/ CAP; STORE_FIELD .name\n"
            "LOAD_ANC .kind@list; STORE_FIELD .kind\n"
            "G_EVENT %t.item; RET");
    ga_prog(a, "message", "list", "list", 0,
            "G_TOKEN /[A-Z]+/ CAP; STORE_FIELD .kind; G_LIT \":\"\n"
            "G_LOOP_INIT 0\n"
            "Ll: G_PREDICT SURE [/[a-z]/]; PUSH_INT 0; EQ; JZ Lx\n"
            "G_CALL @item 0 CAP; APPEND_FIELD .items; G_PREDICT SURE [\",\"]; PUSH_INT 0; EQ\n"
            "JZ Lx; G_LIT \",\"; G_LOOP 0 Ll\n"
            "Lx: G_LIT \";\"; G_EVENT %t.list; RET");
    ga_driver(a, SPU_DIR_CLIENT, "list", NULL);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "FRUIT:apple,pear;", 0);
    cr_assert_str_eq(log, "E t.item tx=0 dir=0 item{name=\"apple\" kind=\"FRUIT\"} <list\n"
                          "E t.item tx=0 dir=0 item{name=\"pear\" kind=\"FRUIT\"} <list\n"
                          "E t.list tx=0 dir=0 list{kind=\"FRUIT\" items=[item{name=\"apple\" "
                          "kind=\"FRUIT\"}, item{name=\"pear\" kind=\"FRUIT\"}]}\n"
                          "T 0 list{kind=\"FRUIT\" items=[item{name=\"apple\" kind=\"FRUIT\"}, "
                          "item{name=\"pear\" kind=\"FRUIT\"}]} null\n");
    free(log);
    spu_bundle_unref(b);
}

/* Nested units up to limits.depth (the message counts as one). */
Test(gvm_run, depth_limit)
{
    struct ga *a = msg_ga("d:int", "G_CALL @nest 0; G_LIT \"\\n\"; G_EVENT %t.m; RET");
    ga_layout(a, "nest", "");
    ga_prog(a, "unit", "nest", "nest", 0,
            "G_LIT \"(\"; G_PREDICT SURE [\"(\"]; PUSH_INT 0; EQ; JZ Lx\n"
            "G_CALL @nest 0\n"
            "Lx: G_LIT \")\"; RET");
    ga_limit(a, "depth", 4);
    ga_resync(a, SPU_DIR_CLIENT, "/\\n/", SPU_RESYNC_AFTER);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "((()))\n(((())))\n()\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{}\n"
                          "T 0 m{} null\n"
                          "A t.depth_limit\n"
                          "E t.m tx=1 dir=0 m{}!I\n"
                          "T 1 m{}!I null\n"
                          "E t.m tx=2 dir=0 m{}\n"
                          "T 2 m{} null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_run, loop_must_consume)
{
    struct spu_bundle *b = build(msg_ga("a", "G_LOOP_INIT 0\n"
                                             "L: G_TOKEN /a*/; G_LOOP 0 L\n"));
    struct ga_result r;
    client_once(b, "aaab", 4, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.log, "A t.parse_error\nT 0 m{}!I null\n");
    cr_assert_str_eq(r.err[0], "prog 'm' pc 2 (G_LOOP): a loop iteration consumed nothing");
    ga_result_free(&r);
    spu_bundle_unref(b);
}

Test(gvm_run, iteration_limit)
{
    struct ga *a = msg_ga("n:int", "PUSH_INT 0; STORE_LOCAL 0\n"
                                   "G_LOOP_INIT 0\n"
                                   "L: G_PREDICT SURE [\"a\"]; PUSH_INT 0; EQ; JZ Lx\n"
                                   "G_LIT \"a\"; LOAD_LOCAL 0; PUSH_INT 1; ADD; STORE_LOCAL 0\n"
                                   "G_LOOP 0 L\n"
                                   "Lx: LOAD_LOCAL 0; STORE_FIELD .n; G_LIT \"\\n\"\n"
                                   "G_EVENT %t.m; RET");
    ga_limit(a, "iterations", 3);
    ga_resync(a, SPU_DIR_CLIENT, "/\\n/", SPU_RESYNC_AFTER);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "aaa\naaaaa\n\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{n=3}\n"
                          "T 0 m{n=3} null\n"
                          "A t.iteration_limit\n"
                          "E t.m tx=1 dir=0 m{}!I\n"
                          "T 1 m{}!I null\n"
                          "E t.m tx=2 dir=0 m{n=0}\n"
                          "T 2 m{n=0} null\n");
    free(log);
    spu_bundle_unref(b);
}

/* Built-ins get the hooks' clock; a built-in or an operator that faults
 * is a parse error naming why. */
Test(gvm_run, builtins_and_faults)
{
    struct ga *a = msg_ga("t:int h:int u", "G_LIT \"n\"; CALL now 0; STORE_FIELD .t\n"
                                           "G_TOKEN /[0-9A-F]+/ CAP; CALL hex 1; STORE_FIELD .h\n"
                                           "G_TOKEN /[a-z]*/ CAP; CALL upper 1; STORE_FIELD .u\n"
                                           "G_LIT \"\\n\"; G_EVENT %t.m; RET");
    ga_layout(a, "f", "");
    ga_event(a, "t.f", "f");
    ga_prog(a, "message", "f1", "f", 0, "G_LIT \"l\"; PUSH_INT 5; CALL lower 1; POP; RET");
    ga_prog(a, "message", "f2", "f", 0, "G_LIT \"t\"; PUSH_K \"x\"; PUSH_INT 1; ADD; POP; RET");
    ga_prog(a, "message", "f3", "f", 0, "G_LIT \"z\"; PUSH_INT 1; PUSH_INT 0; MOD; POP; RET");
    static const char *const conds[] = {
        "G_PREDICT [\"n\" | \"l\" | \"t\" | \"z\"]; STORE_LOCAL 0; LOAD_LOCAL 0; PUSH_INT 0; EQ",
        "LOAD_LOCAL 0; PUSH_INT 1; EQ", "LOAD_LOCAL 0; PUSH_INT 2; EQ",
        "LOAD_LOCAL 0; PUSH_INT 3; EQ"};
    ga_driver(a, SPU_DIR_CLIENT, "m f1 f2 f3", conds);
    ga_resync(a, SPU_DIR_CLIENT, "/\\n/", SPU_RESYNC_AFTER);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "nFF99xyz\nl\nt\nz\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{t=1700000000000 h=65433 u=\"XYZ\"}\n"
                          "T 0 m{t=1700000000000 h=65433 u=\"XYZ\"} null\n"
                          "A t.parse_error\nT 1 f{}!I null\n"
                          "A t.parse_error\nT 2 f{}!I null\n"
                          "A t.parse_error\nT 3 f{}!I null\n");
    free(log);
    struct ga_result r;
    client_once(b, "l", 1, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.err[0], "prog 'f1' pc 2 (CALL): argument is not a string");
    ga_result_free(&r);
    client_once(b, "t", 1, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.err[0], "prog 'f2' pc 3 (ADD): operand of the wrong type");
    ga_result_free(&r);
    client_once(b, "z", 1, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.err[0], "prog 'f3' pc 3 (MOD): division by zero");
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* x +: E appends to a string field (folded lines), cut at the field
 * limit. */
Test(gvm_run, concat_field)
{
    struct ga *a = msg_ga("v", "G_LOOP_INIT 0\n"
                               "L: G_TOKEN /[a-z]+/ CAP; CONCAT_FIELD .v\n"
                               "G_PREDICT SURE [\" \"]; PUSH_INT 0; EQ; JZ Lx\n"
                               "G_LIT \" \"; G_LOOP 0 L\n"
                               "Lx: G_LIT \"\\n\"; G_EVENT %t.m; RET");
    ga_limit(a, "field", 8);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "ab cd ef\nabc def ghi\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{v=\"abcdef\"}\n"
                          "T 0 m{v=\"abcdef\"} null\n"
                          "A t.field_truncated\n"
                          "E t.m tx=1 dir=0 m{v=\"abcdefgh\"!T}\n"
                          "T 1 m{v=\"abcdefgh\"!T} null\n");
    free(log);
    spu_bundle_unref(b);
}

/* An SMTP-like exchange: the server's 354 sets state.mode, which the
 * client's driver reads in a `when` condition before choosing the DATA
 * content message; the server's driver reads the waiting command. */
static struct spu_bundle *smtp_bundle(void)
{
    struct ga *a = ga_new();
    ga_state(a, "mode:int last");
    ga_layout(a, "cmd", "verb arg");
    ga_layout(a, "data", "text");
    ga_layout(a, "reply", "code:int text");
    ga_event(a, "t.cmd", "cmd");
    ga_event(a, "t.data", "data");
    ga_event(a, "t.reply", "reply");
    ga_event(a, "t.bye", "reply");
    ga_prog(a, "message", "cmd", "cmd", 0,
            "G_TOKEN /[A-Z]+/ CAP; STORE_FIELD .verb\n"
            "G_TOKEN /[^\\r\\n]*/ CAP; STORE_FIELD .arg; G_LIT \"\\r\\n\"\n"
            "LOAD_FIELD .verb; STORE_STATE state.last\n"
            "G_EVENT %t.cmd; RET");
    ga_prog(a, "message", "data", "data", 0,
            "PUSH_K \"\\r\\n.\\r\\n\"; G_UPTO CAP; STORE_FIELD .text\n"
            "PUSH_INT 0; STORE_STATE state.mode\n"
            "G_EVENT %t.data; RET");
    ga_prog(a, "message", "reply", "reply", 0,
            "G_TOKEN /[0-9]+/ CAP; CALL int 1; STORE_FIELD .code\n"
            "G_TOKEN /[^\\r\\n]*/ CAP; STORE_FIELD .text; G_LIT \"\\r\\n\"\n"
            "LOAD_FIELD .code; PUSH_INT 354; EQ; JZ Lx\n"
            "PUSH_INT 1; STORE_STATE state.mode\n"
            "Lx: G_EVENT %t.reply; RET");
    ga_prog(a, "message", "bye", "reply", 0,
            "G_TOKEN /[0-9]+/ CAP; CALL int 1; STORE_FIELD .code\n"
            "G_TOKEN /[^\\r\\n]*/ CAP; STORE_FIELD .text; G_LIT \"\\r\\n\"\n"
            "LOAD_STATE state.last; STORE_FIELD .text\n"
            "G_EVENT %t.bye; RET");
    static const char *const cc[] = {"LOAD_STATE state.mode; PUSH_INT 1; EQ", NULL};
    ga_driver(a, SPU_DIR_CLIENT, "data cmd", cc);
    static const char *const sc[] = {"LOAD_PAIR .verb@cmd; PUSH_K \"QUIT\"; EQ", NULL};
    ga_driver(a, SPU_DIR_SERVER, "bye reply", sc);
    ga_tx(a, "cmd data", "reply bye");
    return build(a);
}

Test(gvm_run, state_and_when_conditions)
{
    struct spu_bundle *b = smtp_bundle();
    struct ga_step steps[] = {
        GA_C("DATA\r\n"),    GA_S("354 go ahead\r\n"), GA_C("hello\r\n..x\r\n.\r\n"),
        GA_S("250 ok\r\n"),  GA_C("QUIT\r\n"),         GA_S("221 bye\r\n"),
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(log,
                     "E t.cmd tx=0 dir=0 cmd{verb=\"DATA\" arg=\"\"}\n"
                     "E t.reply tx=0 dir=1 reply{code=354 text=\" go ahead\"}\n"
                     "T 0 cmd{verb=\"DATA\" arg=\"\"} reply{code=354 text=\" go ahead\"}\n"
                     "E t.data tx=1 dir=0 data{text=\"hello\\x0d\\x0a..x\"}\n"
                     "E t.reply tx=1 dir=1 reply{code=250 text=\" ok\"}\n"
                     "T 1 data{text=\"hello\\x0d\\x0a..x\"} reply{code=250 text=\" ok\"}\n"
                     "E t.cmd tx=2 dir=0 cmd{verb=\"QUIT\" arg=\"\"}\n"
                     "E t.bye tx=2 dir=1 reply{code=221 text=\"QUIT\"}\n"
                     "T 2 cmd{verb=\"QUIT\" arg=\"\"} reply{code=221 text=\"QUIT\"}\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_run, records_cannot_go_into_state)
{
    struct ga *a = msg_ga("x", "G_LIT \"a\"; G_CALL @u 0 CAP; STORE_STATE state.s; RET");
    ga_layout(a, "u", "");
    ga_prog(a, "unit", "u", "u", 0, "RET");
    ga_state(a, "s:any");
    struct spu_bundle *b = build(a);
    struct ga_result r;
    client_once(b, "a", 1, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.log, "A t.parse_error\nT 0 m{}!I null\n");
    cr_assert_str_eq(r.err[0], "prog 'm' pc 2 (STORE_STATE): operand of the wrong type");
    ga_result_free(&r);
    spu_bundle_unref(b);
}

Test(gvm_run, anomaly_and_error_statements)
{
    struct ga *a = msg_ga("a", "G_TOKEN /[a-z]/ CAP; STORE_FIELD .a\n"
                               "LOAD_FIELD .a; PUSH_K \"x\"; EQ; JZ L1\n"
                               "G_ANOMALY \"saw x\"\n"
                               "L1: LOAD_FIELD .a; PUSH_K \"e\"; EQ; JZ L2\n"
                               "G_ERROR \"e is bad\"\n"
                               "L2: G_LIT \"\\n\"; G_EVENT %t.m; RET");
    ga_resync(a, SPU_DIR_CLIENT, "/\\n/", SPU_RESYNC_AFTER);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "x\ne\ny\n", 0);
    cr_assert_str_eq(log, "A t.saw x\n"
                          "E t.m tx=0 dir=0 m{a=\"x\"}\n"
                          "T 0 m{a=\"x\"} null\n"
                          "A t.e is bad\n"
                          "E t.m tx=1 dir=0 m{a=\"e\"}!I\n"
                          "T 1 m{a=\"e\"}!I null\n"
                          "E t.m tx=2 dir=0 m{a=\"y\"}\n"
                          "T 2 m{a=\"y\"} null\n");
    free(log);
    spu_bundle_unref(b);
}
