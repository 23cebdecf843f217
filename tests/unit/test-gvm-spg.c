/* test-gvm-spg.c - the grammar VM on grammars compiled by spuc: the test
 * grammars of tests/unit/gvm/NAME.spg (read from the repository root, where
 * the tests run), fed split in every way, checked field by field. */
#include "test-gvm.h"

#include "helper-compile.h"

/* The grammar file compiled and loaded; fails the test when it does not
 * compile. */
static struct spu_bundle *spg(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/unit/gvm/%s.spg", name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *text = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&text, &n);
    char buf[4096];
    size_t k;
    while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, k, m);
    fclose(f);
    fclose(m);
    struct spu_bundle *b = hc_bundle(text, NULL);
    free(text);
    cr_assert_not_null(b, "%s does not compile", path);
    return b;
}

/* The demo protocol compiled by spuc parses as the hand-assembled one. */
Test(gvm_spg, demo_conversation)
{
    struct spu_bundle *b = spg("demo");
    struct ga_step steps[] = {
        GA_C("HELLO bob\r\n"),   GA_S("+OK hi bob\r\n"), GA_C("NOOP\r\n"),
        GA_S("-ERR what\r\n"),   GA_C("BYE\r\n"),        GA_S("+OK bye\r\n"),
        GA_C("HELLO again\r\n"),
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
    cr_assert_str_eq(log,
                     "E demo.command tx=0 dir=0 command{verb=\"HELLO\" arg=\"bob\"}\n"
                     "E demo.reply tx=0 dir=1 reply{ok=\"+OK\" text=\" hi bob\"}\n"
                     "T 0 command{verb=\"HELLO\" arg=\"bob\"} reply{ok=\"+OK\" text=\" hi bob\"}\n"
                     "E demo.command tx=1 dir=0 command{verb=\"NOOP\"}\n"
                     "E demo.reply tx=1 dir=1 reply{ok=\"-ERR\" text=\" what\"}\n"
                     "T 1 command{verb=\"NOOP\"} reply{ok=\"-ERR\" text=\" what\"}\n"
                     "E demo.command tx=2 dir=0 command{verb=\"BYE\"}\n"
                     "T 2 command{verb=\"BYE\"} reply{ok=\"+OK\" text=\" bye\"}\n");
    free(log);
    spu_bundle_unref(b);
}

#define REQ_GET                                                                                    \
    "request{method=\"GET\" uri=\"/a/b.html?x=1\" version=\"HTTP/1.1\" "                           \
    "headers=[header{name=\"Host\" value=\"example.com\"}] host=\"example.com\" body=\"\"}"
#define REQ_POST                                                                                   \
    "request{method=\"POST\" uri=\"/up\" version=\"HTTP/1.1\" headers=[header{name=\"Host\" "      \
    "value=\"h\"}, header{name=\"Content-Length\" value=\"5\"}] host=\"h\" body=\"hello\"}"
#define REQ_HEAD "request{method=\"HEAD\" uri=\"/h\" version=\"HTTP/1.0\" body=\"\"}"
#define RSP_CHUNKED                                                                                \
    "response{version=\"HTTP/1.1\" code=\"200\" status=200 reason=\"OK\" "                         \
    "headers=[header{name=\"Transfer-Encoding\" value=\"chunked\"}] body=\"abcdefg\"}"
#define RSP_204 "response{version=\"HTTP/1.1\" code=\"204\" status=204 reason=\"No Content\"}"
#define RSP_HEAD                                                                                   \
    "response{version=\"HTTP/1.1\" code=\"200\" status=200 reason=\"OK\" "                         \
    "headers=[header{name=\"Content-Length\" value=\"10\"}]}"

/* Units with records, a map array read by key, a stream unit yielding a
 * chunked body, lengths from headers, the paired request read from the
 * response (HEAD), pipelined requests: the hand-assembled web protocol's
 * test (test-gvm-run.c), on what spuc makes of the same grammar. */
Test(gvm_spg, web_pipeline)
{
    struct spu_bundle *b = spg("web");
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
    cr_assert_str_eq(log, "E web.request tx=0 dir=0 " REQ_GET "\n"
                          "E web.request tx=1 dir=0 " REQ_POST "\n"
                          "E web.request tx=2 dir=0 " REQ_HEAD "\n"
                          "E web.response tx=0 dir=1 " RSP_CHUNKED "\n"
                          "T 0 " REQ_GET " " RSP_CHUNKED "\n"
                          "E web.response tx=1 dir=1 " RSP_204 "\n"
                          "T 1 " REQ_POST " " RSP_204 "\n"
                          "E web.response tx=2 dir=1 " RSP_HEAD "\n"
                          "T 2 " REQ_HEAD " " RSP_HEAD "\n");
    free(log);
    spu_bundle_unref(b);
}
