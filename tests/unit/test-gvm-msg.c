/* test-gvm-msg.c - messages and transactions: pairing, pipelining and its
 * limit, messages that complete alone, the message arena's limit
 * (runtime/vm/gvm-msg.c). */
#include "test-gvm.h"

#define CMD(v) "command{verb=\"" v "\"}"
#define CMDA(v, a) "command{verb=\"" v "\" arg=\"" a "\"}"
#define RPL(ok, t) "reply{ok=\"" ok "\" text=\"" t "\"}"

Test(gvm_msg, pipelined_requests_pair_in_order)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {
        GA_C("HELLO a\r\nHELLO b\r\nNOOP\r\n"),
        GA_S("+OK 1\r\n-ERR 2\r\n+OK 3\r\n"),
    };
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 " CMDA("HELLO", "a") "\n"
                          "E t.command tx=1 dir=0 " CMDA("HELLO", "b") "\n"
                          "E t.command tx=2 dir=0 " CMD("NOOP") "\n"
                          "E t.reply tx=0 dir=1 " RPL("+OK", " 1") "\n"
                          "T 0 " CMDA("HELLO", "a") " " RPL("+OK", " 1") "\n"
                          "E t.reply tx=1 dir=1 " RPL("-ERR", " 2") "\n"
                          "T 1 " CMDA("HELLO", "b") " " RPL("-ERR", " 2") "\n"
                          "E t.reply tx=2 dir=1 " RPL("+OK", " 3") "\n"
                          "T 2 " CMD("NOOP") " " RPL("+OK", " 3") "\n");
    free(log);
    spu_bundle_unref(b);
}

/* limits.pipeline client messages wait; past it the oldest completes
 * alone. */
Test(gvm_msg, pipeline_overflow)
{
    struct ga *a = ga_new();
    demo_grammar(a);
    ga_limit(a, "pipeline", 2);
    struct spu_bundle *b = build(a);
    struct ga_step steps[] = {
        GA_C("NOOP\r\nHELLO x\r\nHELLO y\r\n"),
        GA_S("+OK\r\n+OK\r\n"),
    };
    char *log = split_invariant(b, 0, steps, 2);
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 " CMD("NOOP") "\n"
                          "E t.command tx=1 dir=0 " CMDA("HELLO", "x") "\n"
                          "E t.command tx=2 dir=0 " CMDA("HELLO", "y") "\n"
                          "A t.pipeline_overflow\n"
                          "T 0 " CMD("NOOP") " null\n"
                          "E t.reply tx=1 dir=1 " RPL("+OK", "") "\n"
                          "T 1 " CMDA("HELLO", "x") " " RPL("+OK", "") "\n"
                          "E t.reply tx=2 dir=1 " RPL("+OK", "") "\n"
                          "T 2 " CMDA("HELLO", "y") " " RPL("+OK", "") "\n");
    free(log);
    spu_bundle_unref(b);
}

/* A reply with no command waiting completes alone; commands left waiting
 * complete alone when the server side ends. */
Test(gvm_msg, messages_without_a_pair)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {
        GA_S("+OK hello\r\n"),
        GA_C("HELLO a\r\nNOOP\r\n"),
        GA_S("+OK\r\n"),
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
        GA_C("NOOP\r\n"),
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(log, "E t.reply tx=0 dir=1 " RPL("+OK", " hello") "\n"
                          "T 0 null " RPL("+OK", " hello") "\n"
                          "E t.command tx=1 dir=0 " CMDA("HELLO", "a") "\n"
                          "E t.command tx=2 dir=0 " CMD("NOOP") "\n"
                          "E t.reply tx=1 dir=1 " RPL("+OK", "") "\n"
                          "T 1 " CMDA("HELLO", "a") " " RPL("+OK", "") "\n"
                          "T 2 " CMD("NOOP") " null\n"
                          "E t.command tx=3 dir=0 " CMD("NOOP") "\n"
                          "T 3 " CMD("NOOP") " null\n");
    free(log);
    spu_bundle_unref(b);
}

/* A reply that fails at its first byte never started: its command
 * completes alone. An aborted reply that consumed bytes completes the
 * transaction, its record flagged incomplete. */
Test(gvm_msg, aborted_replies)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step never[] = {GA_C("NOOP\r\n"), GA_S("XYZ\r\n")};
    char *log = split_invariant(b, 0, never, 2);
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 " CMD("NOOP") "\n"
                          "A t.expected +OK or -ERR\n"
                          "T 0 " CMD("NOOP") " null\n");
    free(log);
    struct ga_step cut[] = {GA_C("NOOP\r\n"), GA_S("+OK but"), {GA_EOF, SPU_DIR_SERVER, NULL, 0}};
    log = split_invariant(b, 0, cut, 3);
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 " CMD("NOOP") "\n"
                          "A t.incomplete\n"
                          "E t.reply tx=0 dir=1 reply{ok=\"+OK\" text=\" but\"}!I\n"
                          "T 0 " CMD("NOOP") " reply{ok=\"+OK\" text=\" but\"}!I\n");
    free(log);
    spu_bundle_unref(b);
}

/* Past limits.message the message's captures are dropped. Where exactly
 * depends on the chunks: a capture that stays a view of its chunk costs
 * the arena nothing until the chunk ends. */
Test(gvm_msg, message_limit)
{
    struct ga *a = ga_new();
    demo_grammar(a);
    ga_limit(a, "message", 512);
    struct spu_bundle *b = build(a);
    char line[1200];
    memcpy(line, "HELLO ", 6);
    memset(line + 6, 'a', 1000);
    memcpy(line + 1006, "\r\n", 3);
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, line, 1008}, GA_S("+OK\r\n")};
    struct ga_split whole = {GA_WHOLE, 0, 0, NULL}, bytes = {GA_BYTES, 0, 0, NULL};
    struct ga_result w, one;
    ga_run(b, 0, steps, 2, whole, &w);
    /* whole: the event saw the view; waiting for its reply, the command
     * could not be kept: its argument is dropped */
    cr_assert(strncmp(w.log, "E t.command tx=0 dir=0 command{verb=\"HELLO\" arg=\"aaaa", 50) == 0);
    cr_assert(strstr(w.log, "\"}\nA t.message_limit\nE t.reply tx=0 dir=1 " RPL("+OK", "") "\n"
                            "T 0 " CMD("HELLO") " " RPL("+OK", "") "\n") != NULL,
              "%s", w.log);
    ga_run(b, 0, steps, 2, bytes, &one);
    cr_assert(strncmp(one.log, "A t.message_limit\nE t.command tx=0 dir=0 command{verb=\"HELLO\" "
                               "arg=\"aaa",
                      60) == 0,
              "%s", one.log);
    cr_assert(strstr(one.log, "\"!T}\n") != NULL, "%s", one.log);
    ga_result_free(&w);
    ga_result_free(&one);
    spu_bundle_unref(b);
}
