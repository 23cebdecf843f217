/* test-gvm-spg.c - the grammar VM on grammars compiled by spuc: the test
 * grammars of tests/unit/gvm/NAME.spg (read from the repository root, where
 * the tests run), fed split in every way, checked field by field. */
#include "test-gvm.h"

#include "helper-compile.h"
#include "helper-file.h"

#include <zlib.h>

/* The grammar file compiled and loaded; fails the test when it does not
 * compile. */
static struct spu_bundle *spg(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "tests/unit/gvm/%s.spg", name);
    char *text = hf_read(path, NULL);
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

/* `when` conditions on `state` set by the other direction (354), a
 * multi-line reply, pipelined commands paired in order, a mail delimited by
 * `upto`, dot-unstuffed and parsed as a sub-stream (its event carries the
 * data message as parent), folded header lines appended with `+:`. */
Test(gvm_spg, mail_conversation)
{
    struct spu_bundle *b = spg("mail");
    struct ga_step steps[] = {
        GA_S("220 mx ESMTP\r\n"),
        GA_C("EHLO a\r\n"),
        GA_S("250-mx\r\n250-SIZE 10\r\n250 PIPELINING\r\n"),
        GA_C("MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
        GA_S("250 ok\r\n250 ok\r\n354 go\r\n"),
        GA_C("Subject: hi\r\n there\r\nFrom: a\r\n\r\nbody\r\n..dot\r\n.\r\nQUIT\r\n"),
        GA_S("250 queued\r\n221 bye\r\n"),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
#define R220 "reply{code=\"220\" text=\"mx ESMTP\" status=220}"
#define EHLO "command{verb=\"EHLO\" arg=\"a\"}"
#define R250M "reply{code=\"250\" lines=[\"mx\", \"SIZE 10\"] text=\"PIPELINING\" status=250}"
#define MAIL "command{verb=\"MAIL\" arg=\"FROM:<a@b>\"}"
#define RCPT "command{verb=\"RCPT\" arg=\"TO:<c@d>\"}"
#define OK "reply{code=\"250\" text=\"ok\" status=250}"
#define R354 "reply{code=\"354\" text=\"go\" status=354}"
#define DATA                                                                                       \
    "data{content=\"Subject: hi\\x0d\\x0a there\\x0d\\x0aFrom: "                                   \
    "a\\x0d\\x0a\\x0d\\x0abody\\x0d\\x0a.dot\"}"
#define QUEUED "reply{code=\"250\" text=\"queued\" status=250}"
    cr_assert_str_eq(log, "E mail.reply tx=0 dir=1 " R220 "\n"
                          "T 0 null " R220 "\n"
                          "E mail.command tx=1 dir=0 " EHLO "\n"
                          "E mail.reply tx=1 dir=1 " R250M "\n"
                          "T 1 " EHLO " " R250M "\n"
                          "E mail.command tx=2 dir=0 " MAIL "\n"
                          "E mail.command tx=3 dir=0 " RCPT "\n"
                          "E mail.command tx=4 dir=0 command{verb=\"DATA\"}\n"
                          "E mail.reply tx=2 dir=1 " OK "\n"
                          "T 2 " MAIL " " OK "\n"
                          "E mail.reply tx=3 dir=1 " OK "\n"
                          "T 3 " RCPT " " OK "\n"
                          "E mail.reply tx=4 dir=1 " R354 "\n"
                          "T 4 command{verb=\"DATA\"} " R354 "\n"
                          "E mail.body tx=5 dir=0 body{headers=[hline{name=\"Subject\" "
                          "value=\"hithere\"}, hline{name=\"From\" value=\"a\"}] "
                          "subject=\"hithere\" text=\"body\\x0d\\x0a.dot\"} <data\n"
                          "E mail.data tx=5 dir=0 " DATA "\n"
                          "E mail.command tx=6 dir=0 command{verb=\"QUIT\"}\n"
                          "E mail.reply tx=5 dir=1 " QUEUED "\n"
                          "T 5 " DATA " " QUEUED "\n"
                          "E mail.reply tx=6 dir=1 reply{code=\"221\" text=\"bye\" status=221}\n"
                          "T 6 command{verb=\"QUIT\"} reply{code=\"221\" text=\"bye\" "
                          "status=221}\n");
    free(log);
    spu_bundle_unref(b);
}

/* Limits of a compiled grammar, each hit: `iterations 50` aborts a reply
 * of 60 continuation lines (the server resyncs at the next reply code),
 * `limit 512` cuts the stored mail while its child parse sees all of it;
 * then STARTTLS answered 220 stops the connection (the rest is ignored). */
Test(gvm_spg, mail_limits_and_stop)
{
    struct spu_bundle *b = spg("mail");
    char many[2048];
    size_t n = 0;
    for (int i = 0; i < 60; i++)
        n += (size_t)snprintf(many + n, sizeof(many) - n, "250-l%d\r\n", i);
    n += (size_t)snprintf(many + n, sizeof(many) - n, "250 end\r\n220 ready\r\n");
    char big[3000];
    size_t m = (size_t)snprintf(big, sizeof(big), "Subject: big\r\n\r\n");
    memset(big + m, 'y', 1000);
    m += 1000;
    m += (size_t)snprintf(big + m, sizeof(big) - m, "\r\n.\r\nSTARTTLS\r\n");
    struct ga_step steps[] = {
        {GA_FEED, SPU_DIR_SERVER, many, n},
        GA_C("DATA\r\n"),
        GA_S("354 go\r\n"),
        {GA_FEED, SPU_DIR_CLIENT, big, m},
        GA_S("250 ok\r\n220 go ahead\r\n"),
        GA_C("\x16\x03\x01"),
        GA_S("garbage"),
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));

    /* the expected log, built */
    char *want = NULL;
    size_t wn = 0;
    FILE *w = open_memstream(&want, &wn);
    char lines[1024];
    size_t ln = 0;
    for (int i = 0; i <= 50; i++)
        ln += (size_t)snprintf(lines + ln, sizeof(lines) - ln, "%s\"l%d\"", i ? ", " : "", i);
    fprintf(w,
            "A mail.iteration_limit\n"
            "E mail.reply tx=0 dir=1 reply{code=\"250\" lines=[%s]}!I\n"
            "T 0 null reply{code=\"250\" lines=[%s]}!I\n",
            lines, lines);
    ln = 0;
    for (int i = 52; i < 60; i++)
        ln += (size_t)snprintf(lines + ln, sizeof(lines) - ln, "%s\"l%d\"", i > 52 ? ", " : "", i);
    fprintf(w,
            "E mail.reply tx=1 dir=1 reply{code=\"250\" lines=[%s] text=\"end\" status=250}\n"
            "T 1 null reply{code=\"250\" lines=[%s] text=\"end\" status=250}\n",
            lines, lines);
    fprintf(w, "E mail.reply tx=2 dir=1 reply{code=\"220\" text=\"ready\" status=220}\n"
               "T 2 null reply{code=\"220\" text=\"ready\" status=220}\n"
               "E mail.command tx=3 dir=0 command{verb=\"DATA\"}\n"
               "E mail.reply tx=3 dir=1 " R354 "\n"
               "T 3 command{verb=\"DATA\"} " R354 "\n"
               "A mail.field_truncated\n");
    fprintf(w,
            "E mail.body tx=4 dir=0 body{headers=[hline{name=\"Subject\" value=\"big\"}] "
            "subject=\"big\" text=\"%.*s\"} <data\n",
            1000, big + 16);
    char content[600];
    snprintf(content, sizeof(content), "data{content=\"Subject: big\\x0d\\x0a\\x0d\\x0a%.*s\"!T}",
             496, big + 16);
    fprintf(w,
            "E mail.data tx=4 dir=0 %s\n"
            "E mail.command tx=5 dir=0 command{verb=\"STARTTLS\"}\n"
            "E mail.reply tx=4 dir=1 " OK "\n"
            "T 4 %s " OK "\n"
            "T 5 command{verb=\"STARTTLS\"} reply{code=\"220\" text=\"go ahead\" status=220}\n",
            content, content);
    fclose(w);
    cr_assert_str_eq(log, want);
    free(want);
    free(log);
    spu_bundle_unref(b);
}

/* A body parsed as text lines in a child (its events carry the chain of
 * enclosing records), `limit 1KB` cutting a stored body, a bad request
 * aborted (flagged incomplete, still paired) and the client resyncing
 * after the blank line, `pipeline 4` overflowing, a 304 without body. */
Test(gvm_spg, web_children_limits_resync)
{
    struct spu_bundle *b = spg("web");
    char big[3000];
    int h = snprintf(big, sizeof(big), "POST /big HTTP/1.1\r\nContent-Length: 2000\r\n\r\n");
    memset(big + h, 'x', 2000);
    struct ga_step steps[] = {
        GA_C("POST /l HTTP/1.1\r\nContent-Type: text/lines\r\nContent-Length: 12\r\n\r\n"
             "one\ntwo\nsix\n"),
        {GA_FEED, SPU_DIR_CLIENT, big, (size_t)h + 2000},
        GA_C("BAD\r\n\r\n"
             "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nGET /3 HTTP/1.1\r\n\r\n"),
        GA_S("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 304 Not Modified\r\n\r\n"),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0},
        {GA_EOF, SPU_DIR_SERVER, NULL, 0},
    };
    char *log = split_invariant(b, 0, steps, sizeof(steps) / sizeof(steps[0]));
#define LREQ                                                                                       \
    "request{method=\"POST\" uri=\"/l\" version=\"HTTP/1.1\" "                                     \
    "headers=[header{name=\"Content-Type\" "                                                       \
    "value=\"text/lines\"}, header{name=\"Content-Length\" value=\"12\"}] "                        \
    "text=\"one\\x0atwo\\x0asix\\x0a\"}"
    char bigreq[1200];
    snprintf(bigreq, sizeof(bigreq),
             "request{method=\"POST\" uri=\"/big\" version=\"HTTP/1.1\" headers=[header{name="
             "\"Content-Length\" value=\"2000\"}] body=\"%.*s\"!T}",
             1024, big + h);
#define GET(u) "request{method=\"GET\" uri=\"/" u "\" version=\"HTTP/1.1\" body=\"\"}"
#define R200                                                                                       \
    "response{version=\"HTTP/1.1\" code=\"200\" status=200 reason=\"OK\" headers=[header{name="    \
    "\"Content-Length\" value=\"2\"}] body=\"ok\"}"
#define R304 "response{version=\"HTTP/1.1\" code=\"304\" status=304 reason=\"Not Modified\"}"
    char *want = NULL;
    size_t wn = 0;
    FILE *w = open_memstream(&want, &wn);
    fprintf(w,
            "E web.line tx=0 dir=0 line{text=\"one\"} <lines <request\n"
            "E web.line tx=0 dir=0 line{text=\"two\"} <lines <request\n"
            "E web.line tx=0 dir=0 line{text=\"six\"} <lines <request\n"
            "E web.request tx=0 dir=0 " LREQ "\n"
            "A web.field_truncated\n"
            "E web.request tx=1 dir=0 %s\n"
            "A web.parse_error\n"
            "E web.request tx=2 dir=0 request{method=\"BAD\"}!I\n"
            "E web.request tx=3 dir=0 " GET(
                "1") "\n"
                     "E web.request tx=4 dir=0 " GET(
                         "2") "\n"
                              "A web.pipeline_overflow\n"
                              "T 0 " LREQ " null\n"
                              "E web.request tx=5 dir=0 " GET(
                                  "3") "\n"
                                       "A web.pipeline_overflow\n"
                                       "T 1 %s null\n"
                                       "E web.response tx=2 dir=1 " R200 "\n"
                                       "T 2 request{method=\"BAD\"}!I " R200 "\n"
                                       "E web.response tx=3 dir=1 " R304 "\n"
                                       "T 3 " GET("1") " " R304 "\n"
                                                       "T 4 " GET("2") " null\n"
                                                                       "T 5 " GET("3") " null\n",
            bigreq, bigreq);
    fclose(w);
    cr_assert_str_eq(log, want);
    free(want);
    free(log);
    spu_bundle_unref(b);
}

/* A chunked, gzip-encoded response: the stream unit's yields go through
 * the gunzip filter the grammar enables from a header. */
Test(gvm_spg, chunked_gzip_response)
{
    struct spu_bundle *b = spg("web");
    static const char plain[] = "the quick brown fox jumps over the lazy dog, twice: "
                                "the quick brown fox jumps over the lazy dog";
    unsigned char z[512];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    cr_assert_eq(deflateInit2(&zs, 9, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)(uintptr_t)plain;
    zs.avail_in = sizeof(plain) - 1;
    zs.next_out = z;
    zs.avail_out = sizeof(z);
    cr_assert_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t zn = zs.total_out;
    deflateEnd(&zs);
    /* the gzip bytes in two chunks of the chunked coding */
    char rsp[1024];
    size_t half = zn / 2;
    size_t n = (size_t)snprintf(rsp, sizeof(rsp),
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                                "Content-Encoding: gzip\r\n\r\n%zx\r\n",
                                half);
    memcpy(rsp + n, z, half);
    n += half;
    n += (size_t)snprintf(rsp + n, sizeof(rsp) - n, "\r\n%zx\r\n", zn - half);
    memcpy(rsp + n, z + half, zn - half);
    n += zn - half;
    n += (size_t)snprintf(rsp + n, sizeof(rsp) - n, "\r\n0\r\n\r\n");
    struct ga_step steps[] = {
        GA_C("GET /z HTTP/1.1\r\n\r\n"),
        {GA_FEED, SPU_DIR_SERVER, rsp, n},
    };
    char *log = split_invariant(b, 0, steps, 2);
    char want[1024];
    snprintf(
        want, sizeof(want),
        "E web.request tx=0 dir=0 " GET(
            "z") "\n"
                 "E web.response tx=0 dir=1 response{version=\"HTTP/1.1\" code=\"200\" status=200 "
                 "reason=\"OK\" headers=[header{name=\"Transfer-Encoding\" value=\"chunked\"}, "
                 "header{name=\"Content-Encoding\" value=\"gzip\"}] body=\"%s\"}\n"
                 "T 0 " GET("z") " response{version=\"HTTP/1.1\" code=\"200\" status=200 "
                                 "reason=\"OK\" headers=[header{name=\"Transfer-Encoding\" "
                                 "value=\"chunked\"}, "
                                 "header{name=\"Content-Encoding\" value=\"gzip\"}] body=\"%s\"}\n",
        plain, plain);
    cr_assert_str_eq(log, want);
    free(log);
    spu_bundle_unref(b);
}

/* A `record` capture: the parent reads what its sub-stream found. The
 * child record arrives whole (and split invariant), also when the child
 * aborted (flagged incomplete); the parent derives from it. */
Test(gvm_spg, record_capture_of_a_sub_stream)
{
    static const char grammar[] = "protocol sub over stream {\n"
                                  "  unit words { ( w: /[a-z]+/ | /[ ,]/ )*; n = count(w); "
                                  "\"!\"; }\n"
                                  "}\n"
                                  "%%\n"
                                  "import sub;\n"
                                  "protocol top over tcp {\n"
                                  "  message m from client {\n"
                                  "    found: upto \"\\n\" filter base64 parse sub.words record;\n"
                                  "    first = found.w[0];\n"
                                  "    event top.m;\n"
                                  "  }\n"
                                  "}\n";
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    uint32_t np = 0;
    const struct spu_bproto *p = spu_bundle_protos(b, &np);
    uint32_t top = 0;
    for (uint32_t i = 0; i < np; i++) {
        uint32_t len;
        const char *s = spu_bundle_str(b, p[i].name, &len);
        if (len == 3 && memcmp(s, "top", 3) == 0)
            top = i;
    }
    /* "ab, cd!" and "xy z" in base64: the second has no "!" (aborted) */
    struct ga_step steps[] = {GA_C("YWIsIGNkIQ==\neHkgeg==\n")};
    char *log = split_invariant(b, top, steps, 1);
    cr_assert_str_eq(log,
                     "E top.m tx=0 dir=0 m{found=words{w=[\"ab\", \"cd\"] n=2} first=\"ab\"}\n"
                     "T 0 m{found=words{w=[\"ab\", \"cd\"] n=2} first=\"ab\"} null\n"
                     "A sub.incomplete\n"
                     "E top.m tx=1 dir=0 m{found=words{w=[\"xy\", \"z\"] n=2}!I first=\"xy\"}\n"
                     "T 1 m{found=words{w=[\"xy\", \"z\"] n=2}!I first=\"xy\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

/* A group capture inside a group capture: each gets every byte consumed
 * inside it (the inner one's bytes are the outer one's too). */
Test(gvm_spg, nested_group_captures)
{
    static const char grammar[] = "protocol n over tcp {\n"
                                  "  message m from client {\n"
                                  "    all: ( \"<\" inner: ( /[a-z]+/ \"@\" /[a-z]+/ ) \">\" ) "
                                  "/\\n/;\n"
                                  "    event n.m;\n"
                                  "  }\n"
                                  "}\n";
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    struct ga_step steps[] = {GA_C("<ab@cd>\n")};
    char *log = split_invariant(b, 0, steps, 1);
    cr_assert_str_eq(log, "E n.m tx=0 dir=0 m{inner=\"ab@cd\" all=\"<ab@cd>\"}\n"
                          "T 0 m{inner=\"ab@cd\" all=\"<ab@cd>\"} null\n");
    free(log);
    spu_bundle_unref(b);
}

/* A group capture inside a capture with sink options (a content sink):
 * the content keeps the group's bytes. */
Test(gvm_spg, group_capture_inside_content)
{
    static const char grammar[] = "protocol n over tcp {\n"
                                  "  message m from client {\n"
                                  "    body: ( ( tag: ( \"<\" name: /[a-z]+/ \">\" ) | /[^<\\n]/ )* ) "
                                  "limit 64;\n"
                                  "    \"\\n\";\n"
                                  "    event n.m;\n"
                                  "  }\n"
                                  "}\n";
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    struct ga_step steps[] = {GA_C("a<b>c<de>\n")};
    char *log = split_invariant(b, 0, steps, 1);
    cr_assert_str_eq(log, "E n.m tx=0 dir=0 m{name=[\"b\", \"de\"] tag=[\"<b>\", \"<de>\"] "
                          "body=\"a<b>c<de>\"}\n"
                          "T 0 m{name=[\"b\", \"de\"] tag=[\"<b>\", \"<de>\"] body=\"a<b>c<de>\"} "
                          "null\n");
    free(log);
    spu_bundle_unref(b);
}

/* The records nested in a `record` capture's copy name the copy that holds
 * them as their parent (not the originals, which die with the
 * sub-stream). */
struct nest_seen {
    int checked;
};

static void nest_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                       unsigned dir)
{
    struct nest_seen *s = ctx;
    /* m{found=list{items=[item{...}, ...]}}: slot 0 of m, slot 0 of list */
    if (rec->nslots < 1 || rec->slot[0].type != SPU_T_REC)
        return;
    const struct spu_record *list = rec->slot[0].u.rec;
    cr_assert_eq(list->parent, rec);
    cr_assert_eq(list->slot[0].type, SPU_T_ARR);
    const struct spu_array *items = list->slot[0].u.arr;
    cr_assert_eq(items->n, 2);
    for (uint32_t i = 0; i < items->n; i++) {
        cr_assert_eq(items->v[i].type, SPU_T_REC);
        cr_assert_eq(items->v[i].u.rec->parent, list);
    }
    s->checked++;
}

Test(gvm_spg, record_capture_reparents)
{
    static const char grammar[] = "protocol sub over stream {\n"
                                  "  unit item { k: /[a-z]+/; \"=\"; v: /[0-9]+/; \";\"; }\n"
                                  "  unit list { items: item*; }\n"
                                  "}\n"
                                  "%%\n"
                                  "import sub;\n"
                                  "protocol top over tcp {\n"
                                  "  message m from client {\n"
                                  "    found: upto \"\\n\" parse sub.list record;\n"
                                  "    event top.m;\n"
                                  "  }\n"
                                  "}\n";
    struct spu_bundle *b = hc_bundle(grammar, NULL);
    cr_assert_not_null(b);
    uint32_t np = 0, top = 0;
    const struct spu_bproto *p = spu_bundle_protos(b, &np);
    for (uint32_t i = 0; i < np; i++) {
        uint32_t len;
        const char *s = spu_bundle_str(b, p[i].name, &len);
        if (len == 3 && memcmp(s, "top", 3) == 0)
            top = i;
    }
    struct spu_error err;
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    struct nest_seen seen = {0};
    struct spu_gvm_hooks hooks = {.event = nest_event};
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, b, top, &hooks, &seen, &err);
    cr_assert_not_null(c);
    static const char in[] = "a=1;b=22;\n";
    for (size_t i = 0; i < sizeof(in) - 1; i++) /* byte by byte: views become copies */
        spu_gvm_feed(c, SPU_DIR_CLIENT, (const uint8_t *)in + i, 1);
    spu_gvm_conn_free(c);
    spu_gvm_free(g);
    cr_assert_eq(seen.checked, 1);
    spu_bundle_unref(b);
}
/* A local holding a built-in's result (an array in scratch memory) lives
 * across consuming ops and chunk ends: STORE_LOCAL copies it out of the
 * scratch arena, which those ops reset. */
Test(gvm_spg, local_array_survives_suspension)
{
    struct spu_bundle *b = hc_bundle("protocol t over tcp {\n"
                                     "    message m from client {\n"
                                     "        var w = split(\"aa bb cc\", \" \");\n"
                                     "        var s = upper(\"xy\");\n"
                                     "        word: /[a-z]+/; \"\\n\";\n"
                                     "        third = w[2];\n"
                                     "        up = s;\n"
                                     "        event t.m;\n"
                                     "    }\n"
                                     "}\n",
                                     NULL);
    cr_assert_not_null(b);
    struct ga_step steps[] = {GA_C("hello\nworld\n")};
    char *log = split_invariant(b, 0, steps, 1);
    cr_assert_str_eq(log, "E t.m tx=0 dir=0 m{word=\"hello\" third=\"cc\" up=\"XY\"}\n"
                          "T 0 m{word=\"hello\" third=\"cc\" up=\"XY\"} null\n"
                          "E t.m tx=1 dir=0 m{word=\"world\" third=\"cc\" up=\"XY\"}\n"
                          "T 1 m{word=\"world\" third=\"cc\" up=\"XY\"} null\n");
    free(log);
    spu_bundle_unref(b);
}
