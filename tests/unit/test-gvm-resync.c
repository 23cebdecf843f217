/* test-gvm-resync.c - errors, gaps, resynchronisation, the end of stream
 * and stopping (runtime/vm/gvm-resync.c). */
#include "test-gvm.h"

#define GET_REQ(u)                                                                                 \
    "request{method=\"GET\" uri=\"" u "\" version=\"HTTP/1.1\" url=url{port=0 path=\"" u "\" "    \
    "directory=\"/\" filename=\"" u "\"} body=\"\"}"

Test(gvm_resync, after_the_pattern)
{
    struct spu_bundle *b = web_bundle();
    char *log = CLIENT(b, "GARBAGE\r\nmore\r\n\r\nGET x HTTP/1.1\r\n\r\n", 0);
    /* the aborted request waits for its response like any other */
    cr_assert_str_eq(log, "A t.parse_error\n"
                          "E t.request tx=0 dir=0 request{method=\"GARBAGE\"}!I\n"
                          "E t.request tx=1 dir=0 request{method=\"GET\" uri=\"x\" "
                          "version=\"HTTP/1.1\" url=url{port=0 path=\"x\" directory=\"\" "
                          "filename=\"x\"} body=\"\"}\n");
    free(log);
    struct ga_result r;
    client_once(b, "GARBAGE\r\n\r\nX", 12, 0, GA_WHOLE, &r);
    cr_assert_eq(r.conn.resyncs, 1);
    cr_assert_eq(r.conn.errors, 1, "%s / %llu", r.log, (unsigned long long)r.conn.errors);
    cr_assert_eq(r.last_rc, SPU_OK);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* resync at: the driver restarts where the match starts (found backward
 * with the reverse DFA), even when it started in an earlier chunk. */
Test(gvm_resync, at_the_pattern)
{
    struct ga *a = ga_new();
    web_grammar(a);
    ga_resync(a, SPU_DIR_CLIENT, "/(GET|POST) \\//", SPU_RESYNC_AT);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "xxGE GET /p HTTP/1.1\r\n\r\nPOS\nPOST /q HTTP/1.1\r\n\r\n", 0);
    cr_assert_str_eq(log, "A t.parse_error\n"
                          "E t.request tx=0 dir=0 request{method=\"GET\" uri=\"/p\" "
                          "version=\"HTTP/1.1\" url=url{port=0 path=\"/p\" directory=\"/\" "
                          "filename=\"p\"} body=\"\"}\n"
                          "A t.parse_error\n"
                          "E t.request tx=1 dir=0 request{method=\"POS\"}!I\n"
                          "E t.request tx=2 dir=0 request{method=\"POST\" uri=\"/q\" "
                          "version=\"HTTP/1.1\" url=url{port=0 path=\"/q\" directory=\"/\" "
                          "filename=\"q\"} body=\"\"}\n");
    free(log);
    spu_bundle_unref(b);
}

/* A pattern that matches the empty string cannot make a failing message
 * loop: every restart is past the previous failure. */
Test(gvm_resync, restarts_make_progress)
{
    struct ga *a = msg_ga("x", "G_LIT \"A\"; G_EVENT %t.m; RET");
    ga_resync(a, SPU_DIR_CLIENT, "/x*/", SPU_RESYNC_AT);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "BBA", 0);
    cr_assert_str_eq(log, "A t.parse_error\nA t.parse_error\n"
                          "E t.m tx=0 dir=0 m{}\nT 0 m{} null\n");
    free(log);
    struct ga_result r;
    client_once(b, "BBA", 3, 0, GA_WHOLE, &r);
    cr_assert_eq(r.conn.resyncs, 2);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* Without a resync pattern a failing direction stops for good. */
Test(gvm_resync, no_pattern_stops_the_direction)
{
    struct spu_bundle *b = build(msg_ga("x", "G_LIT \"A\"; G_EVENT %t.m; RET"));
    struct ga_step steps[] = {GA_C("AB"), GA_C("AAA")};
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{}\nT 0 m{} null\nA t.parse_error\n");
    free(log);
    struct ga_split w = {GA_WHOLE, 0, 0, NULL};
    struct ga_result r;
    ga_run(b, 0, steps, 2, w, &r);
    cr_assert_eq(r.last_rc, SPU_DONE);
    cr_assert_eq(r.conn.bytes, 2);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* A gap aborts the message in progress (its completion event flagged
 * incomplete; the token in progress is lost) and the direction resyncs
 * after it. */
Test(gvm_resync, gap_in_a_message)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {
        GA_C("HELLO b"),
        {GA_GAP, SPU_DIR_CLIENT, NULL, 3},
        GA_C("ob\r\nNOOP\r\n"),
        GA_S("+OK\r\n"),
    };
    char *log = split_invariant(b, 0, steps, 4);
    cr_assert_str_eq(log, "A t.gap\n"
                          "E t.command tx=0 dir=0 command{verb=\"HELLO\"}!I\n"
                          "E t.command tx=1 dir=0 command{verb=\"NOOP\"}\n"
                          "E t.reply tx=0 dir=1 " "reply{ok=\"+OK\" text=\"\"}\n"
                          "T 0 command{verb=\"HELLO\"}!I reply{ok=\"+OK\" text=\"\"}\n");
    free(log);
    struct ga_split w = {GA_WHOLE, 0, 0, NULL};
    struct ga_result r;
    ga_run(b, 0, steps, 4, w, &r);
    cr_assert_eq(r.conn.gaps, 1);
    cr_assert_eq(r.conn.resyncs, 1);
    cr_assert_eq(r.conn.bytes, 22);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* A gap between messages resyncs too: what follows it may be the middle
 * of one. A gap in a direction without a pattern stops it. */
Test(gvm_resync, gap_between_messages)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {
        GA_C("NOOP\r\n"),
        {GA_GAP, SPU_DIR_CLIENT, NULL, 10},
        GA_C("LLO x\r\nBYE\r\n"),
        {GA_GAP, SPU_DIR_SERVER, NULL, 10},
        GA_S("+OK\r\n"),
    };
    char *log = split_invariant(b, 0, steps, 5);
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 command{verb=\"NOOP\"}\n"
                          "A t.gap\n"
                          "E t.command tx=1 dir=0 command{verb=\"BYE\"}\n"
                          "A t.gap\n");
    free(log);
    spu_bundle_unref(b);
}

/* The end of the stream inside a message: anomaly incomplete; a message
 * whose rest is optional completes. */
Test(gvm_resync, end_of_stream)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {GA_C("HELLO x\r\nNOOP"), {GA_EOF, SPU_DIR_CLIENT, NULL, 0}};
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 command{verb=\"HELLO\" arg=\"x\"}\n"
                          "A t.incomplete\n"
                          "E t.command tx=1 dir=0 command{verb=\"NOOP\"}!I\n");
    free(log);
    struct ga_split w = {GA_WHOLE, 0, 0, NULL};
    struct ga_result r;
    struct ga_step more[] = {GA_C("NOOP\r\n"), {GA_EOF, SPU_DIR_CLIENT, NULL, 0}, GA_C("NOOP\r\n")};
    ga_run(b, 0, more, 3, w, &r);
    cr_assert_eq(r.last_rc, SPU_DONE);
    cr_assert_eq(r.conn.messages, 1);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* G_STOP ends the connection: the reply that ran it completes its
 * transaction, later data is ignored. */
Test(gvm_resync, stop_statement)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {GA_C("BYE\r\nHELLO x\r\n"), GA_S("+OK\r\n+OK\r\n"),
                              GA_C("NOOP\r\n")};
    char *log = split_invariant(b, 0, steps, 3);
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 command{verb=\"BYE\"}\n"
                          "E t.command tx=1 dir=0 command{verb=\"HELLO\" arg=\"x\"}\n"
                          "T 0 command{verb=\"BYE\"} reply{ok=\"+OK\" text=\"\"}\n"
                          "T 1 command{verb=\"HELLO\" arg=\"x\"} null\n");
    free(log);
    struct ga_split w = {GA_WHOLE, 0, 0, NULL};
    struct ga_result r;
    ga_run(b, 0, steps, 3, w, &r);
    cr_assert_eq(r.last_rc, SPU_DONE);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* spu_gvm_conn_stop from an event hook: the stop happens when the hook
 * returns; the message that raised the event is aborted. */
Test(gvm_resync, stop_from_a_hook)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {GA_C("NOOP\r\nHELLO x\r\n"), GA_S("+OK\r\n")};
    struct ga_split s = {GA_WHOLE, 0, 0, "t.command"};
    struct ga_result r;
    ga_run(b, 0, steps, 2, s, &r);
    cr_assert_str_eq(r.log, "E t.command tx=0 dir=0 command{verb=\"NOOP\"}\n"
                            "T 0 command{verb=\"NOOP\"}!I null\n");
    cr_assert_eq(r.last_rc, SPU_DONE);
    ga_result_free(&r);
    struct ga_step later[] = {GA_C("NOOP\r\n"), {GA_STOP, 0, NULL, 0}, GA_C("NOOP\r\n")};
    struct ga_split w = {GA_WHOLE, 0, 0, NULL};
    ga_run(b, 0, later, 3, w, &r);
    cr_assert_str_eq(r.log, "E t.command tx=0 dir=0 command{verb=\"NOOP\"}\n"
                            "T 0 command{verb=\"NOOP\"} null\n");
    cr_assert_eq(r.last_rc, SPU_DONE);
    ga_result_free(&r);
    spu_bundle_unref(b);
}
