/*
 * test-gvm.h - fixtures shared by the grammar VM's test files (header
 * only, static functions): the demo protocol of docs/grammar-language.md
 * assembled by hand, and a split-invariance check.
 */
#ifndef SPU_TEST_GVM_H
#define SPU_TEST_GVM_H

#include "helper-gasm.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The demo protocol: "HELLO name\r\n" ... "BYE\r\n" answered by "+OK ..."
 * or "-ERR ...". command -> reply transactions, resync client after \n. */
static inline void demo_grammar(struct ga *a)
{
    ga_layout(a, "command", "verb arg");
    ga_layout(a, "reply", "ok text");
    ga_event(a, "t.command", "command");
    ga_event(a, "t.reply", "reply");
    ga_resync(a, SPU_DIR_CLIENT, "/\\n/", SPU_RESYNC_AFTER);
    ga_sink(a, "span", "", NULL, SPU_NONE, SPU_SINKF_SPAN);
    ga_prog(a, "message", "command", "command", 0,
            "G_TOKEN /[A-Z]+/ CAP\n"
            "STORE_FIELD .verb\n"
            "G_PREDICT SURE [\" \"]\n"
            "PUSH_INT 0\n"
            "EQ\n"
            "JZ Ls\n"
            "G_LIT \" \"\n"
            "G_TOKEN /[^\\r\\n]*/ CAP\n"
            "STORE_FIELD .arg\n"
            "Ls: G_TOKEN /\\r?\\n/\n"
            "G_EVENT %t.command\n"
            "RET\n");
    ga_prog(a, "message", "reply", "reply", 0,
            "G_SINK_OPEN $span\n"
            "G_PREDICT [\"+OK\" | \"-ERR\"]\n"
            "STORE_LOCAL 0\n"
            "LOAD_LOCAL 0; PUSH_INT 0; EQ; JNZ La\n"
            "LOAD_LOCAL 0; PUSH_INT 1; EQ; JNZ Lb\n"
            "G_ERROR \"expected +OK or -ERR\"\n"
            "La: G_LIT \"+OK\"\n"
            "JMP Le\n"
            "Lb: G_LIT \"-ERR\"\n"
            "Le: G_SINK_CLOSE CAP\n"
            "STORE_FIELD .ok\n"
            "G_TOKEN /[^\\r\\n]*/ CAP\n"
            "STORE_FIELD .text\n"
            "G_TOKEN /\\r?\\n/\n"
            "LOAD_PAIR .verb@command\n"
            "PUSH_K \"BYE\"\n"
            "EQ\n"
            "JZ Lx\n"
            "G_STOP\n"
            "Lx: G_EVENT %t.reply\n"
            "RET\n");
    ga_tx(a, "command", "reply");
    ga_driver(a, SPU_DIR_CLIENT, "command", NULL);
    ga_driver(a, SPU_DIR_SERVER, "reply", NULL);
}

static inline struct spu_bundle *demo_bundle(void)
{
    struct ga *a = ga_new();
    demo_grammar(a);
    struct spu_bundle *b = ga_build(a);
    ga_free(a);
    return b;
}

/* A small HTTP: request and response lines, headers into a map array,
 * bodies by chunked transfer coding (a stream unit yielding into the
 * sink), by content-length, or none; bodies gunzipped when
 * content-encoding says gzip; HEAD and 204/304 responses have no body.
 * `lines` parses a body as text lines (a sub-stream) when the message's
 * content-type is text/lines. */
static inline void web_grammar(struct ga *a)
{
    ga_layout(a, "header(name,value)", "name value");
    ga_layout(a, "chunked", "size:str[]");
    ga_layout(a, "line", "text");
    ga_layout(a, "lines", "count:int");
    ga_layout(a, "request", "method uri version headers:header[] host url:std:url body");
    ga_layout(a, "response", "version status:int reason headers:header[] body");
    ga_event(a, "t.request", "request");
    ga_event(a, "t.response", "response");
    ga_event(a, "t.line", "line");
    ga_resync(a, SPU_DIR_CLIENT, "/\\r?\\n\\r?\\n/", SPU_RESYNC_AFTER);
    ga_sink(a, "body", "gunzip", NULL, SPU_NONE, 0);
    ga_sink(a, "textbody", "", "lines", SPU_NONE, 0);
    ga_prog(a, "unit", "header", "header", 0,
            "G_TOKEN /[A-Za-z0-9-]+/ CAP; STORE_FIELD .name\n"
            "G_LIT \":\"; G_TOKEN /[ \\t]*/\n"
            "G_TOKEN /[^\\r\\n]*/ CAP; STORE_FIELD .value\n"
            "G_TOKEN /\\r?\\n/\n"
            "RET\n");
    /* headers: header* until crlf */
    static const char headers[] =
        "G_LOOP_INIT 0\n"
        "Lh: G_PREDICT [/\\r?\\n/ | /[A-Za-z0-9-]+/]\n"
        "STORE_LOCAL 0; LOAD_LOCAL 0; PUSH_INT 0; EQ; JNZ Lt\n"
        "LOAD_LOCAL 0; PUSH_INT 1; EQ; JZ Lerr\n"
        "G_CALL @header 0 CAP; APPEND_FIELD .headers; G_LOOP 0 Lh\n"
        "Lerr: G_ERROR \"expected a header\"\n"
        "Lt: G_TOKEN /\\r?\\n/\n";
    /* body: switch { te ~ chunked => chunked; cl => bytes(int(cl)); else
     * nothing } filter gunzip if (ce == "gzip"), or parse lines */
    static const char body[] =
        "LOAD_FIELD .headers; PUSH_K \"content-type\"; INDEX; PUSH_K \"text/lines\"; EQ\n"
        "JNZ Ltext\n"
        "LOAD_FIELD .headers; PUSH_K \"content-encoding\"; INDEX; PUSH_K \"gzip\"; EQ\n"
        "G_SINK_OPEN $body 1 0\n"
        "JMP Lsw\n"
        "Ltext: G_SINK_OPEN $textbody 0 0\n"
        "Lsw: LOAD_FIELD .headers; PUSH_K \"transfer-encoding\"; INDEX; PUSH_K \"chunked\"\n"
        "CONTAINS_I; JZ Lcl\n"
        "G_CALL @chunked 0\n"
        "JMP Lbe\n"
        "Lcl: LOAD_FIELD .headers; PUSH_K \"content-length\"; INDEX; JZ Lbe\n"
        "LOAD_FIELD .headers; PUSH_K \"content-length\"; INDEX; CALL int 1; G_BYTES Y\n"
        "Lbe: G_SINK_CLOSE CAP; STORE_FIELD .body\n";
    char text[4096];
    snprintf(text, sizeof(text),
             "G_TOKEN /[A-Z]+/ CAP; STORE_FIELD .method\n"
             "G_LIT \" \"; G_TOKEN /[^ \\r\\n]+/ CAP; STORE_FIELD .uri\n"
             "LOAD_FIELD .uri; CALL split_url 1; STORE_FIELD .url\n"
             "G_LIT \" \"; G_TOKEN /HTTP\\/[0-9]\\.[0-9]/ CAP; STORE_FIELD .version\n"
             "G_TOKEN /\\r?\\n/\n"
             "%s"
             "LOAD_FIELD .headers; PUSH_K \"host\"; INDEX; STORE_FIELD .host\n"
             "%s"
             "G_EVENT %%t.request\n"
             "RET\n",
             headers, body);
    ga_prog(a, "message", "request", "request", 0, text);
    snprintf(text, sizeof(text),
             "G_TOKEN /HTTP\\/[0-9]\\.[0-9]/ CAP; STORE_FIELD .version\n"
             "G_LIT \" \"; G_TOKEN /[0-9][0-9][0-9]/ CAP; CALL int 1; STORE_FIELD .status\n"
             "G_LIT \" \"; G_TOKEN /[^\\r\\n]*/ CAP; STORE_FIELD .reason\n"
             "G_TOKEN /\\r?\\n/\n"
             "%s"
             "LOAD_PAIR .method@request; PUSH_K \"HEAD\"; EQ; JNZ Lnobody\n"
             "LOAD_FIELD .status; PUSH_INT 204; EQ; JNZ Lnobody\n"
             "LOAD_FIELD .status; PUSH_INT 304; EQ; JNZ Lnobody\n"
             "%s"
             "Lnobody: G_EVENT %%t.response\n"
             "RET\n",
             headers, body);
    ga_prog(a, "message", "response", "response", 0, text);
    ga_prog(a, "stream", "chunked", "chunked", 0,
            "PUSH_INT 1; STORE_LOCAL 0\n"
            "G_LOOP_INIT 0\n"
            "Lr: G_TOKEN /[0-9A-Fa-f]+/ CAP; STORE_LOCAL 1\n"
            "LOAD_LOCAL 1; APPEND_FIELD .size\n"
            "LOAD_LOCAL 1; CALL hex 1; STORE_LOCAL 0\n"
            "G_TOKEN /[^\\r\\n]*/; G_TOKEN /\\r?\\n/\n"
            "LOAD_LOCAL 0; PUSH_INT 0; GT; JZ Lz\n"
            "LOAD_LOCAL 0; G_BYTES Y; G_TOKEN /\\r?\\n/\n"
            "Lz: LOAD_LOCAL 0; PUSH_INT 0; EQ; JNZ Lout\n"
            "G_LOOP 0 Lr\n"
            "Lout: G_TOKEN /\\r?\\n/\n"
            "RET\n");
    ga_prog(a, "unit", "lines", "lines", 0,
            "PUSH_INT 0; STORE_FIELD .count\n"
            "G_LOOP_INIT 0\n"
            "Lw: G_AWAIT; JZ Ldone\n"
            "G_CALL @line 0\n"
            "LOAD_FIELD .count; PUSH_INT 1; ADD; STORE_FIELD .count\n"
            "G_LOOP 0 Lw\n"
            "Ldone: RET\n");
    ga_prog(a, "unit", "line", "line", 0,
            "G_TOKEN /[^\\n]*/ CAP; STORE_FIELD .text; G_LIT \"\\n\"\n"
            "G_EVENT %t.line\n"
            "RET\n");
    ga_tx(a, "request", "response");
    ga_driver(a, SPU_DIR_CLIENT, "request", NULL);
    ga_driver(a, SPU_DIR_SERVER, "response", NULL);
}

static inline struct spu_bundle *web_bundle(void)
{
    struct ga *a = ga_new();
    web_grammar(a);
    struct spu_bundle *b = ga_build(a);
    ga_free(a);
    return b;
}

static inline char *run_log(struct spu_bundle *b, uint32_t proto, const struct ga_step *steps,
                            size_t n, struct ga_split split)
{
    struct ga_result r;
    ga_run(b, proto, steps, n, split, &r);
    return r.log;
}

/* Longest feed of the steps. */
static inline size_t longest_feed(const struct ga_step *steps, size_t n)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (steps[i].kind == GA_FEED && steps[i].len > m)
            m = steps[i].len;
    return m;
}

/* The log of the steps fed whole; asserts that 1-byte chunks, every split
 * point (feeds under 4 KiB) or 64 random splittings (larger ones) give
 * the same log. Returns the log (free it). */
static inline char *split_invariant(struct spu_bundle *b, uint32_t proto,
                                    const struct ga_step *steps, size_t n)
{
    struct ga_split whole = {GA_WHOLE, 0, 0, NULL};
    char *ref = run_log(b, proto, steps, n, whole);
    struct ga_split bytes = {GA_BYTES, 0, 0, NULL};
    char *l = run_log(b, proto, steps, n, bytes);
    cr_assert_str_eq(l, ref, "1-byte chunks differ");
    free(l);
    size_t m = longest_feed(steps, n);
    size_t tries = m < 4096 ? m : 64;
    for (size_t at = 1; at < tries; at++) {
        struct ga_split s = {m < 4096 ? GA_AT : GA_RANDOM, at, (uint32_t)at * 2654435761u, NULL};
        l = run_log(b, proto, steps, n, s);
        cr_assert_str_eq(l, ref, "split at %zu differs", at);
        free(l);
    }
    return ref;
}

/* A protocol "t" whose client messages are `m` (fields `fields`, event
 * t.m) parsed by `text`; the caller may add to it before building. */
static inline struct ga *msg_ga(const char *fields, const char *text)
{
    struct ga *a = ga_new();
    ga_layout(a, "m", fields);
    ga_event(a, "t.m", "m");
    ga_prog(a, "message", "m", "m", 0, text);
    ga_driver(a, SPU_DIR_CLIENT, "m", NULL);
    return a;
}

static inline struct spu_bundle *build(struct ga *a)
{
    struct spu_bundle *b = ga_build(a);
    ga_free(a);
    return b;
}

/* The client stream `data` (then its end when `eof`), checked split
 * invariant; returns the log. */
static inline char *client_run(struct spu_bundle *b, const char *data, size_t len, int eof)
{
    struct ga_step steps[2] = {{GA_FEED, SPU_DIR_CLIENT, data, len},
                               {GA_EOF, SPU_DIR_CLIENT, NULL, 0}};
    return split_invariant(b, 0, steps, eof ? 2 : 1);
}
#define CLIENT(b, lit, eof) client_run((b), (lit), sizeof(lit) - 1, (eof))

/* The same, cut in one given way, with the whole result. */
static inline void client_once(struct spu_bundle *b, const char *data, size_t len, int eof,
                               int mode, struct ga_result *r)
{
    struct ga_step steps[2] = {{GA_FEED, SPU_DIR_CLIENT, data, len},
                               {GA_EOF, SPU_DIR_CLIENT, NULL, 0}};
    struct ga_split s = {mode, 0, 7, NULL};
    ga_run(b, 0, steps, eof ? 2 : 1, s, r);
}

#endif
