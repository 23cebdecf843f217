/* test-gvm-input.c - the consuming ops at chunk boundaries, the hold
 * buffer, capture buffers and their limits (runtime/vm/gvm-input.c).
 * Every stream is checked split invariant (whole, 1-byte chunks, every
 * split point) unless the test is about a documented difference. */
#include "test-gvm.h"

/* ---- G_LIT ---- */

Test(gvm_input, lit_capture_and_nocase)
{
    struct spu_bundle *b = build(msg_ga("a b",
                                        "G_LIT \"get\" NOCASE CAP; STORE_FIELD .a\n"
                                        "G_LIT \"x\" CAP; STORE_FIELD .b\n"
                                        "G_LIT \"\\n\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "GeTx\ngetx\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{a=\"GeT\" b=\"x\"}\n"
                          "T 0 m{a=\"GeT\" b=\"x\"} null\n"
                          "E t.m tx=1 dir=0 m{a=\"get\" b=\"x\"}\n"
                          "T 1 m{a=\"get\" b=\"x\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_input, lit_mismatch_is_a_parse_error)
{
    struct spu_bundle *b = build(msg_ga("a", "G_LIT \"get\" NOCASE CAP; STORE_FIELD .a\n"
                                             "G_LIT \"\\n\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "GeX\nget\n", 0);
    /* no resync pattern: the direction stops; the aborted message consumed
     * "Ge" so its completion event is raised, flagged incomplete */
    cr_assert_str_eq(log, "A t.parse_error\nE t.m tx=0 dir=0 m{}!I\nT 0 m{}!I null\n");
    free(log);
    struct ga_result r;
    client_once(b, "GeX\n", 4, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.err[0], "prog 'm' pc 0 (G_LIT): expected \"get\"");
    cr_assert_eq(r.last_rc, SPU_DONE);
    cr_assert_eq(r.conn.errors, 1);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

Test(gvm_input, lit_cut_by_the_end_of_stream)
{
    struct spu_bundle *b = build(msg_ga("a", "G_LIT \"hello\"\n"
                                             "G_LIT \"\\n\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "hel", 1);
    cr_assert_str_eq(log, "A t.incomplete\nE t.m tx=0 dir=0 m{}!I\nT 0 m{}!I null\n");
    free(log);
    spu_bundle_unref(b);
}

/* ---- G_TOKEN ---- */

Test(gvm_input, token_longest_match_across_chunks)
{
    struct spu_bundle *b = build(msg_ga("w n",
                                        "G_TOKEN /[a-z]+/ CAP; STORE_FIELD .w\n"
                                        "G_TOKEN /[0-9]*/ CAP; STORE_FIELD .n\n"
                                        "G_TOKEN /\\r?\\n/; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "abc123\r\nxyz\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{w=\"abc\" n=\"123\"}\n"
                          "T 0 m{w=\"abc\" n=\"123\"} null\n"
                          "E t.m tx=1 dir=0 m{w=\"xyz\" n=\"\"}\n"
                          "T 1 m{w=\"xyz\" n=\"\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_input, token_no_match)
{
    struct spu_bundle *b = build(msg_ga("w", "G_TOKEN /[a-z]+/ CAP; STORE_FIELD .w\n"
                                             "G_LIT \"\\n\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "123\n", 0);
    cr_assert_str_eq(log, "A t.parse_error\n");
    free(log);
    struct ga_result r;
    client_once(b, "1", 1, 0, GA_WHOLE, &r);
    cr_assert_eq(r.conn.messages, 0);
    cr_assert_str_eq(r.err[0], "prog 'm' pc 0 (G_TOKEN): expected token /[a-z]+/");
    ga_result_free(&r);
    /* at the end of the stream, nothing to match is an incomplete message */
    char *eof = CLIENT(b, "abc\nde", 1);
    cr_assert_str_eq(eof, "E t.m tx=0 dir=0 m{w=\"abc\"}\n"
                          "T 0 m{w=\"abc\"} null\n"
                          "A t.incomplete\n"
                          "E t.m tx=1 dir=0 m{w=\"de\"}!I\n"
                          "T 1 m{w=\"de\"}!I null\n");
    free(eof);
    spu_bundle_unref(b);
}

/* Only the undecided tail of a token is held: past its last accepting
 * position, bounded by limits.token. Whole, the same bytes are fine. */
Test(gvm_input, token_tail_is_bounded_by_the_token_limit)
{
    struct ga *a = msg_ga("a b", "G_TOKEN /ab*c|a/ CAP; STORE_FIELD .a\n"
                                 "G_TOKEN /[b-d]*/ CAP; STORE_FIELD .b\n"
                                 "G_LIT \"\\n\"; G_EVENT %t.m; RET");
    ga_limit(a, "token", 8);
    struct spu_bundle *b = build(a);
    static const char in[] = "abbbbbbbbbbbbd\n";
    struct ga_result whole, bytes, held;
    client_once(b, in, sizeof(in) - 1, 0, GA_WHOLE, &whole);
    cr_assert_str_eq(whole.log, "E t.m tx=0 dir=0 m{a=\"a\" b=\"bbbbbbbbbbbbd\"}\n"
                                "T 0 m{a=\"a\" b=\"bbbbbbbbbbbbd\"} null\n");
    client_once(b, in, sizeof(in) - 1, 0, GA_BYTES, &bytes);
    cr_assert_str_eq(bytes.log, "A t.token_limit\nE t.m tx=0 dir=0 m{}!I\nT 0 m{}!I null\n");
    cr_assert_str_eq(bytes.err[0], "prog 'm' pc 0 (G_TOKEN): a token grew past limits.token");
    /* three undecided bytes wait in the hold buffer */
    client_once(b, "abbb", 4, 0, GA_WHOLE, &held);
    cr_assert_eq(held.conn.held_bytes, 3);
    ga_result_free(&whole);
    ga_result_free(&bytes);
    ga_result_free(&held);
    /* a captured token past its last accept: its accepted bytes are not
     * held, however long */
    char *log = CLIENT(b, "abbbbbbbbc\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{a=\"abbbbbbbbc\" b=\"\"}\n"
                          "T 0 m{a=\"abbbbbbbbc\" b=\"\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_input, captured_token_is_cut_at_the_field_limit)
{
    struct ga *a = msg_ga("w", "G_TOKEN /[a-z]+/ CAP; STORE_FIELD .w\n"
                               "G_LIT \"\\n\"; G_EVENT %t.m; RET");
    ga_limit(a, "field", 4);
    ga_limit(a, "token", 2);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "abcdefgh\nxy\n", 0);
    cr_assert_str_eq(log, "A t.field_truncated\n"
                          "E t.m tx=0 dir=0 m{w=\"abcd\"!T}\n"
                          "T 0 m{w=\"abcd\"!T} null\n"
                          "E t.m tx=1 dir=0 m{w=\"xy\"}\n"
                          "T 1 m{w=\"xy\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

/* ---- G_PREDICT ---- */

Test(gvm_input, predict_looks_at_most_token_limit_bytes)
{
    struct ga *a = msg_ga("a b", "G_PREDICT SURE [/a*b/]; PUSH_INT 0; EQ; JZ Lno\n"
                                 "G_TOKEN /a*b/ CAP; STORE_FIELD .a\n"
                                 "Lno: G_TOKEN /[a-z]*/ CAP; STORE_FIELD .b\n"
                                 "G_LIT \"\\n\"; G_EVENT %t.m; RET");
    ga_limit(a, "token", 4);
    struct spu_bundle *b = build(a);
    char *log = CLIENT(b, "aab\naaaaab\nc\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{a=\"aab\" b=\"\"}\n"
                          "T 0 m{a=\"aab\" b=\"\"} null\n"
                          "E t.m tx=1 dir=0 m{b=\"aaaaab\"}\n"
                          "T 1 m{b=\"aaaaab\"} null\n"
                          "E t.m tx=2 dir=0 m{b=\"c\"}\n"
                          "T 2 m{b=\"c\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_input, predict_decides_early_and_at_the_end)
{
    /* (GET | GIVE | POST): decided after "GE"/"GI"/"P"; -1 at EOF */
    struct spu_bundle *b =
        build(msg_ga("v", "G_PREDICT [\"GET\" | \"GIVE\" | \"POST\"]; STORE_LOCAL 0\n"
                          "LOAD_LOCAL 0; PUSH_INT 0; EQ; JNZ L0\n"
                          "LOAD_LOCAL 0; PUSH_INT 1; EQ; JNZ L1\n"
                          "LOAD_LOCAL 0; PUSH_INT 2; EQ; JNZ L2\n"
                          "G_ERROR \"expected a verb\"\n"
                          "L0: G_LIT \"GET\" CAP; STORE_FIELD .v; JMP Le\n"
                          "L1: G_LIT \"GIVE\" CAP; STORE_FIELD .v; JMP Le\n"
                          "L2: G_LIT \"POST\" CAP; STORE_FIELD .v\n"
                          "Le: G_LIT \"\\n\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "GIVE\nPOST\nGET\nGX", 1);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{v=\"GIVE\"}\n"
                          "T 0 m{v=\"GIVE\"} null\n"
                          "E t.m tx=1 dir=0 m{v=\"POST\"}\n"
                          "T 1 m{v=\"POST\"} null\n"
                          "E t.m tx=2 dir=0 m{v=\"GET\"}\n"
                          "T 2 m{v=\"GET\"} null\n"
                          "A t.expected a verb\n");
    free(log);
    spu_bundle_unref(b);
}

/* ---- G_BYTES ---- */

Test(gvm_input, bytes_of_a_parsed_length)
{
    struct spu_bundle *b = build(msg_ga("n body",
                                        "G_TOKEN /-?[0-9]+/ CAP; STORE_LOCAL 0\n"
                                        "LOAD_LOCAL 0; STORE_FIELD .n; G_LIT \":\"\n"
                                        "LOAD_LOCAL 0; CALL int 1; G_BYTES CAP; STORE_FIELD .body\n"
                                        "G_LIT \"\\n\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "5:hello\n0:\n3:a\nb\n", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{n=\"5\" body=\"hello\"}\n"
                          "T 0 m{n=\"5\" body=\"hello\"} null\n"
                          "E t.m tx=1 dir=0 m{n=\"0\" body=\"\"}\n"
                          "T 1 m{n=\"0\" body=\"\"} null\n"
                          "E t.m tx=2 dir=0 m{n=\"3\" body=\"a\\x0ab\"}\n"
                          "T 2 m{n=\"3\" body=\"a\\x0ab\"} null\n");
    free(log);
    char *neg = CLIENT(b, "-2:ab\n", 0);
    cr_assert_str_eq(neg, "A t.parse_error\nE t.m tx=0 dir=0 m{n=\"-2\"}!I\nT 0 m{n=\"-2\"}!I "
                          "null\n");
    free(neg);
    /* the stream ends inside: the content so far, flagged incomplete */
    char *cut = CLIENT(b, "9:abc", 1);
    cr_assert_str_eq(cut, "A t.incomplete\n"
                          "E t.m tx=0 dir=0 m{n=\"9\" body=\"abc\"!I}!I\n"
                          "T 0 m{n=\"9\" body=\"abc\"!I}!I null\n");
    free(cut);
    spu_bundle_unref(b);
}

Test(gvm_input, bytes_length_must_be_an_int)
{
    struct spu_bundle *b = build(msg_ga("a", "G_LIT \"x\"; PUSH_K \"7\"; G_BYTES; G_EVENT %t.m; RET"));
    struct ga_result r;
    client_once(b, "x1234567", 8, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.log, "A t.parse_error\nE t.m tx=0 dir=0 m{}!I\nT 0 m{}!I null\n");
    cr_assert_str_eq(r.err[0], "prog 'm' pc 2 (G_BYTES): bytes(): the length is not an int");
    ga_result_free(&r);
    spu_bundle_unref(b);
}

Test(gvm_input, large_body_streams_without_holding)
{
    struct spu_bundle *b = build(msg_ga("n body",
                                        "G_TOKEN /[0-9]+/ CAP; CALL int 1; G_BYTES CAP\n"
                                        "STORE_FIELD .body; G_EVENT %t.m; RET"));
    size_t n = 20000;
    char *in = malloc(n + 8);
    int k = snprintf(in, 8, "%zu", n);
    for (size_t i = 0; i < n; i++)
        in[k + i] = (char)('a' + i % 26);
    struct ga_step steps[] = {{GA_FEED, SPU_DIR_CLIENT, in, (size_t)k + n}};
    char *log = split_invariant(b, 0, steps, 1);
    char *want = malloc(2 * n + 100);
    int w = sprintf(want, "E t.m tx=0 dir=0 m{body=\"%.*s\"}\n", (int)n, in + k);
    sprintf(want + w, "T 0 m{body=\"%.*s\"} null\n", (int)n, in + k);
    cr_assert_str_eq(log, want);
    free(want);
    struct ga_result r;
    client_once(b, in, (size_t)k + n, 0, GA_RANDOM, &r);
    cr_assert_eq(r.conn.held_bytes, 0);
    ga_result_free(&r);
    free(log);
    free(in);
    spu_bundle_unref(b);
}

/* ---- G_UPTO ---- */

Test(gvm_input, upto_finds_the_first_delimiter)
{
    struct spu_bundle *b = build(msg_ga("a b", "PUSH_K \"\\r\\n--b\"; G_UPTO CAP; STORE_FIELD .a\n"
                                               "PUSH_K \"aab\"; G_UPTO CAP; STORE_FIELD .b\n"
                                               "G_LIT \"!\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "x\r\n-y\r\n--\r\n--b" "xaaaab!", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{a=\"x\\x0d\\x0a-y\\x0d\\x0a--\" b=\"xaa\"}\n"
                          "T 0 m{a=\"x\\x0d\\x0a-y\\x0d\\x0a--\" b=\"xaa\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

/* The search looks for the delimiter's first byte unlike text and base64
 * ('-' here, its third): near misses around it, a '-' in the first bytes
 * of a piece, one that ends a piece, and a delimiter that overlaps itself
 * ("\r\n--\r\n--=_b" holds "\r\n--" twice), at every split. */
Test(gvm_input, upto_search_by_a_rare_byte)
{
    struct spu_bundle *b = build(msg_ga("a b", "PUSH_K \"\\r\\n--\\r\\n--=_b\"; G_UPTO CAP; STORE_FIELD .a\n"
                                               "PUSH_K \"-\"; G_UPTO CAP; STORE_FIELD .b\n"
                                               "G_LIT \"!\"; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "-x\r\n-\r\n--\r\n--=\r\n--\r\n--\r\n--=_b" "QUJD-!", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{a=\"-x\\x0d\\x0a-\\x0d\\x0a--\\x0d\\x0a--=\\x0d\\x0a--\" b=\"QUJD\"}\n"
                          "T 0 m{a=\"-x\\x0d\\x0a-\\x0d\\x0a--\\x0d\\x0a--=\\x0d\\x0a--\" b=\"QUJD\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_input, upto_delimiter_computed_at_run_time)
{
    struct spu_bundle *b = build(msg_ga("bnd part",
                                        "G_TOKEN /[a-z]+/ CAP; STORE_FIELD .bnd; G_LIT \"\\n\"\n"
                                        "PUSH_K \"\\n--\"; LOAD_FIELD .bnd; CONCAT\n"
                                        "G_UPTO CAP; STORE_FIELD .part\n"
                                        "G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "xyz\nhello\n--xy\n--xyzabc\n\n--abc", 0);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{bnd=\"xyz\" part=\"hello\\x0a--xy\"}\n"
                          "T 0 m{bnd=\"xyz\" part=\"hello\\x0a--xy\"} null\n"
                          "E t.m tx=1 dir=0 m{bnd=\"abc\" part=\"\"}\n"
                          "T 1 m{bnd=\"abc\" part=\"\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_input, upto_cut_by_the_end_of_stream)
{
    struct spu_bundle *b = build(msg_ga("a", "PUSH_K \"END\"; G_UPTO CAP; STORE_FIELD .a\n"
                                             "G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "abcEN", 1);
    cr_assert_str_eq(log, "A t.incomplete\n"
                          "E t.m tx=0 dir=0 m{a=\"abcEN\"!I}!I\n"
                          "T 0 m{a=\"abcEN\"!I}!I null\n");
    free(log);
    spu_bundle_unref(b);
}

Test(gvm_input, upto_bad_delimiters)
{
    struct ga *a = msg_ga("a", "G_LIT \"e\"; PUSH_K \"\"; G_UPTO; RET\n");
    ga_layout(a, "m2", "a");
    ga_event(a, "t.m2", "m2");
    ga_prog(a, "message", "m2", "m2", 0, "G_LIT \"l\"; PUSH_K \"12345\"; G_UPTO; RET");
    ga_prog(a, "driver:client", "drv", NULL, 0,
            "G_LOOP_INIT 0\n"
            "Ltop: G_AWAIT; JZ Lend\n"
            "G_PREDICT [\"e\" | \"l\"]; PUSH_INT 0; EQ; JZ L2\n"
            "G_MESSAGE @m; G_LOOP 0 Ltop\n"
            "L2: G_MESSAGE @m2; G_LOOP 0 Ltop\n"
            "Lend: RET");
    ga_limit(a, "token", 4);
    ga_resync(a, SPU_DIR_CLIENT, "/\\n/", SPU_RESYNC_AFTER);
    struct spu_bundle *b = build(a);
    struct ga_result r;
    client_once(b, "e\nl\n", 4, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.log, "A t.parse_error\nT 0 m{}!I null\nA t.parse_error\nT 1 m2{}!I null\n");
    cr_assert_str_eq(r.err[0],
                     "prog 'm2' pc 2 (G_UPTO): upto: empty delimiter or longer than limits.token");
    cr_assert_eq(r.conn.resyncs, 2);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* ---- G_REST, G_AWAIT ---- */

Test(gvm_input, rest_runs_to_the_end_of_stream)
{
    struct spu_bundle *b =
        build(msg_ga("h rest", "G_TOKEN /[a-z]+/ CAP; STORE_FIELD .h; G_LIT \"\\n\"\n"
                               "G_REST CAP; STORE_FIELD .rest; G_EVENT %t.m; RET"));
    char *log = CLIENT(b, "abc\nthe rest\nof it", 1);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{h=\"abc\" rest=\"the rest\\x0aof it\"}\n"
                          "T 0 m{h=\"abc\" rest=\"the rest\\x0aof it\"} null\n");
    free(log);
    /* without the end, the message waits */
    struct ga_result r;
    client_once(b, "abc\nxyz", 7, 0, GA_WHOLE, &r);
    cr_assert_str_eq(r.log, "");
    cr_assert_eq(r.conn.held_bytes, 0);
    ga_result_free(&r);
    spu_bundle_unref(b);
}

/* A field captured in one chunk and read in the next: the chunk is freed
 * and scribbled over after each feed, so only a pinned copy survives. */
Test(gvm_input, values_outlive_their_chunk)
{
    struct spu_bundle *b = demo_bundle();
    struct ga_step steps[] = {
        GA_C("HELLO bo"), GA_C("b\r"), GA_C("\nNOOP"), GA_S("+OK hi"), GA_S("\r\n"),
        GA_C("\r\n"),     GA_S("-E"),  GA_S("RR x\r\n"),
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(log, "E t.command tx=0 dir=0 command{verb=\"HELLO\" arg=\"bob\"}\n"
                          "E t.reply tx=0 dir=1 reply{ok=\"+OK\" text=\" hi\"}\n"
                          "T 0 command{verb=\"HELLO\" arg=\"bob\"} reply{ok=\"+OK\" text=\" hi\"}\n"
                          "E t.command tx=1 dir=0 command{verb=\"NOOP\"}\n"
                          "E t.reply tx=1 dir=1 reply{ok=\"-ERR\" text=\" x\"}\n"
                          "T 1 command{verb=\"NOOP\"} reply{ok=\"-ERR\" text=\" x\"}\n");
    free(log);
    spu_bundle_unref(b);
}
