/* test-smtp-evelog.c - the EVE records grammars/smtp.spg and email.spg
 * declare (log smtp on smtp.mail, log fileinfo on email.attachment),
 * built by runtime/evelog from the events and transactions of SMTP
 * sessions run by the grammar VM, checked as compact JSON with sorted
 * keys. */
#include "test-smtp.h"

#include "evelog.h"
#include "gvm.h"

#include <jansson.h>

struct out {
    FILE *f;
    struct evelog *el;
    struct spu_bundle *b;
    uint32_t proto;
};

static void emit(void *ctx, const char *type, json_t *obj)
{
    struct out *o = ctx;
    char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_not_null(s);
    cr_assert_not_null(json_object_get(obj, type));
    fprintf(o->f, "%s\n", s);
    free(s);
    json_decref(obj);
}

static void on_event(void *ctx, uint32_t event, const struct spu_record *rec, uint64_t tx_id,
                     unsigned dir)
{
    struct out *o = ctx;
    struct spu_error err;
    cr_assert_eq(evelog_event(o->el, o->b, event, rec, emit, o, &err), SPU_OK);
}

static void on_tx(void *ctx, uint64_t tx_id, const struct spu_record *client,
                  const struct spu_record *server)
{
    struct out *o = ctx;
    struct spu_error err;
    cr_assert_eq(evelog_tx(o->el, o->b, o->proto, client, server, emit, o, &err), SPU_OK);
}

/* The records a session gives; chunk > 0 feeds each step in pieces of
 * that size (the records must not depend on it). */
static char *records(const struct ga_step *steps, size_t n, size_t chunk)
{
    struct out o = {0};
    char *text = NULL;
    size_t len = 0;
    struct spu_error err;
    o.f = open_memstream(&text, &len);
    o.el = evelog_new(&err);
    cr_assert_not_null(o.el);
    o.b = smtp_bundle();
    o.proto = smtp_proto(o.b, "smtp");
    struct spu_gvm *g = spu_gvm_new(NULL, &err);
    cr_assert_not_null(g);
    struct spu_gvm_hooks hooks = {.event = on_event, .tx_complete = on_tx};
    struct spu_gvm_conn *c = spu_gvm_conn_new(g, o.b, o.proto, &hooks, &o, &err);
    cr_assert_not_null(c);
    for (size_t i = 0; i < n; i++) {
        if (steps[i].kind == GA_EOF) {
            spu_gvm_eof(c, steps[i].dir);
            continue;
        }
        size_t step = chunk ? chunk : steps[i].len;
        for (size_t at = 0; at < steps[i].len; at += step) {
            size_t k = steps[i].len - at < step ? steps[i].len - at : step;
            spu_gvm_feed(c, steps[i].dir, (const uint8_t *)steps[i].data + at, k);
        }
    }
    spu_gvm_conn_free(c);
    spu_gvm_free(g);
    struct evelog_stats st;
    evelog_get_stats(o.el, &st);
    cr_expect_eq(st.faults, 0);
    evelog_free(o.el);
    spu_bundle_unref(o.b);
    fclose(o.f);
    return text;
}

#define RECORDS(...)                                                                               \
    ({                                                                                             \
        struct ga_step s_[] = {__VA_ARGS__};                                                       \
        size_t n_ = sizeof(s_) / sizeof(s_[0]);                                                    \
        char *whole_ = records(s_, n_, 0);                                                         \
        char *bytes_ = records(s_, n_, 1);                                                         \
        cr_assert_str_eq(bytes_, whole_, "1-byte chunks differ");                                  \
        free(bytes_);                                                                              \
        whole_;                                                                                    \
    })

/* A mail with an attachment ("PK\3\4" in base64; hashes computed
 * elsewhere): one fileinfo record (with the smtp and email objects known
 * when the file ends) and one smtp record (envelope paths as written, the
 * To list as written with its quoted comma, the http URLs without their
 * scheme and last first, as Suricata logs them by default). */
Test(smtp_evelog, smtp_and_fileinfo)
{
    char *log = RECORDS(
        GA_S("220 mx\r\n"), GA_C("EHLO client.example\r\n"), GA_S("250 mx\r\n"),
        GA_C("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nRCPT TO:<e@f.example>\r\n"
             "DATA\r\n"),
        GA_S("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
        GA_C("From: toto <a@b.example>\r\nTo: \"jam,abra\" <c@d.example>, e@f.example\r\n"
             "Cc: x@y.example\r\nSubject: =?utf-8?B?aMOpbGxv?=\r\n"
             "Date: Fri, 21 Apr 2023 05:10:36 +0000\r\nMessage-ID: <m1@b.example>\r\n"
             "X-Mailer: tester 1.0\r\nReceived: from a by b\r\n"
             "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n"
             "--b1\r\nContent-Type: text/plain\r\n\r\nsee http://w.example/a https://u.example/x "
             "http://v.example/\r\n"
             "--b1\r\nContent-Type: application/zip; name=\"f.zip\"\r\n"
             "Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b1--\r\n.\r\n"),
        GA_S("250 queued\r\n"), GA_C("QUIT\r\n"), GA_S("221 bye\r\n"),
        {GA_EOF, SPU_DIR_CLIENT, NULL, 0}, {GA_EOF, SPU_DIR_SERVER, NULL, 0});
    if (getenv("SMTP_LOG"))
        fprintf(stderr, "%s", log);
    cr_assert_str_eq(
        log,
        "{\"email\":{\"attachment\":[\"f.zip\"],\"cc\":[\"x@y.example\"],"
        "\"from\":\"toto <a@b.example>\",\"status\":\"PARSE_DONE\","
        "\"to\":[\"\\\"jam,abra\\\" <c@d.example>\",\"e@f.example\"]},"
        "\"fileinfo\":{\"filename\":\"f.zip\",\"gaps\":false,"
        "\"md5\":\"10893fd7cff66dca193f658ca9438d15\","
        "\"sha1\":\"fb467bb25be45fcf0c84c03ce5801abd5a28c1fd\","
        "\"sha256\":\"8dcc7e601606217f3b754766511182a916b17e9a26a94c9d887104eba92e9bb2\","
        "\"size\":4,"
        "\"state\":\"CLOSED\",\"stored\":false},"
        "\"smtp\":{\"helo\":\"client.example\",\"mail_from\":\"<a@b.example>\","
        "\"rcpt_to\":[\"<c@d.example>\",\"<e@f.example>\"]},"
        "\"spu\":{\"content_type\":\"application/zip\",\"ext\":\"zip\"},\"tx_id\":0}\n"
        "{\"email\":{\"attachment\":[\"f.zip\"],\"cc\":[\"x@y.example\"],"
        "\"date\":\"Fri, 21 Apr 2023 05:10:36 +0000\",\"from\":\"toto <a@b.example>\","
        "\"message_id\":\"<m1@b.example>\",\"received\":[\"from a by b\"],"
        "\"status\":\"PARSE_DONE\",\"subject\":\"h\xc3\xa9llo\","
        "\"to\":[\"\\\"jam,abra\\\" <c@d.example>\",\"e@f.example\"],"
        "\"url\":[\"v.example/\",\"w.example/a\"],\"x_mailer\":\"tester 1.0\"},"
        "\"smtp\":{\"helo\":\"client.example\",\"mail_from\":\"<a@b.example>\","
        "\"rcpt_to\":[\"<c@d.example>\",\"<e@f.example>\"]},\"tx_id\":0}\n");
    free(log);
}

/* Transactions without a mail: RSET ends one (its envelope logged), a
 * refused DATA ends one, and the mail after them is a record of its own;
 * their "/tx_id" numbers them as Suricata's tx_id does. */
Test(smtp_evelog, transactions_without_mail)
{
    char *log = RECORDS(GA_C("HELO c\r\nMAIL FROM:<a@b>\r\nRSET\r\n"),
                        GA_S("250 hi\r\n250 ok\r\n250 reset\r\n"), GA_C("DATA\r\n"),
                        GA_S("503 need RCPT\r\n"),
                        GA_C("MAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\n"),
                        GA_S("250 ok\r\n250 ok\r\n354 go\r\n"), GA_C("From: x@y\r\n\r\nhi\r\n.\r\n"),
                        GA_S("250 queued\r\n"));
    cr_assert_str_eq(log, "{\"smtp\":{\"helo\":\"c\",\"mail_from\":\"<a@b>\"},"
                          "\"tx_id\":0}\n"
                          "{\"smtp\":{\"helo\":\"c\"},\"tx_id\":1}\n"
                          "{\"email\":{\"from\":\"x@y\",\"status\":\"PARSE_DONE\"},"
                          "\"smtp\":{\"helo\":\"c\",\"mail_from\":\"<x@y>\","
                          "\"rcpt_to\":[\"<z@w>\"]},\"tx_id\":2}\n");
    free(log);
}
