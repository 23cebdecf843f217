/* test-smtp-session.c - grammars/smtp.spg and grammars/email.spg on
 * hand-written SMTP sessions. Every session is checked split invariant
 * (fed whole, in 1-byte chunks and cut at every point give one log);
 * the checks then look for the rendered events, fields and transaction
 * pairings in that log. */
#include "test-smtp.h"

#include "bundle-view.h"
#include "dfa-run.h"

static char *session(const struct ga_step *steps, size_t n)
{
    struct spu_bundle *b = smtp_bundle();
    char *log = split_invariant(b, smtp_proto(b, "smtp"), steps, n);
    spu_bundle_unref(b);
    if (getenv("SMTP_LOG")) /* to read a failing test's whole log */
        fprintf(stderr, "%s", log);
    return log;
}
#define SESSION(...)                                                                               \
    ({                                                                                             \
        struct ga_step s_[] = {__VA_ARGS__};                                                       \
        session(s_, sizeof(s_) / sizeof(s_[0]));                                                   \
    })
#define EOFS {GA_EOF, SPU_DIR_CLIENT, NULL, 0}, {GA_EOF, SPU_DIR_SERVER, NULL, 0}

/* The log has this text (a line or part of one). */
#define HAS(log, text) cr_expect_not_null(strstr((log), (text)), "missing: %s", (text))
#define HASNT(log, text) cr_expect_null(strstr((log), (text)), "unexpected: %s", (text))

/* Lines of the log starting with `prefix`. */
static int count_lines(const char *log, const char *prefix)
{
    int n = 0;
    size_t pl = strlen(prefix);
    for (const char *p = log; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
        n += strncmp(p, prefix, pl) == 0;
    return n;
}

/* The URL scan of a text body: URLs after separators, inside words
 * ("x.http://" is a scheme of its own), a mailto, other schemes, one
 * right after a word of 200 letters (a word token's bound), and prose
 * between them, at every split of the session. */
Test(smtp_session, body_urls)
{
    char *log = SESSION(GA_C("EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
                        GA_S("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
                        GA_C("Subject: u\r\n\r\nsee http://a.example/x, then x.http://b.example/ "
                             "(c) mailto:me@c.example; go foo+bar://d.example/ end.\r\n"
                             "https://e.example\r\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaahttp://f.example/ ok, "
                             "fine: a (b)\r\n.\r\n"),
                        GA_S("250 queued\r\n"), EOFS);
    HAS(log, "E email.body tx=4 dir=0 text{web=[\"a.example/x,\", \"f.example/\"] "
             "urls=[\"http://a.example/x,\", \"x.http://b.example/\", \"mailto:me@c.example\", "
             "\"foo+bar://d.example/\", \"https://e.example\", \"http://f.example/\"]");
    cr_expect_eq(count_lines(log, "A "), 0, "%s", log);
    free(log);
}

/* "http://" with nothing after it (a blank, a line end, the end of the
 * body) is text, not a URL and not a parse error: the body's event and
 * the URL after it are kept. */
Test(smtp_session, body_bare_http_scheme)
{
    char *log = SESSION(GA_C("EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
                        GA_S("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
                        GA_C("Subject: u\r\n\r\ntype http:// then a name, or HTTP://\r\n"
                             "like http://g.example/ here; or http://\r\n.\r\n"),
                        GA_S("250 queued\r\n"), EOFS);
    HAS(log, "E email.body tx=4 dir=0 text{web=[\"g.example/\"] urls=[\"http://g.example/\"]");
    HASNT(log, "parse_error");
    cr_expect_eq(count_lines(log, "A "), 0, "%s", log);
    free(log);
    /* a text part that ends right after the scheme */
    log = SESSION(GA_C("EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
                  GA_S("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
                  GA_C("Subject: u\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
                       "--b\r\nContent-Type: text/plain\r\n\r\nsee http://h.example/ or http://"
                       "\r\n--b--\r\n.\r\n"),
                  GA_S("250 queued\r\n"), EOFS);
    HAS(log, "text{web=[\"h.example/\"] urls=[\"http://h.example/\", \"http://\"]");
    HASNT(log, "parse_error");
    free(log);
}

/* Greeting, EHLO with a multi-line reply, pipelined MAIL/RCPT/RCPT/DATA
 * paired in order, the mail after 354 (dot-unstuffed, parsed: addresses,
 * an encoded subject, a URL), its envelope from connection state, QUIT. */
Test(smtp_session, pipelined_mail)
{
    char *log =
        SESSION(GA_S("220 mx ESMTP\r\n"), GA_C("EHLO a.example\r\n"),
                GA_S("250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n"),
                GA_C("MAIL FROM:<a@b.example> SIZE=100\r\nRCPT TO:<c@d.example>\r\n"
                     "RCPT TO:<e@f.example>\r\nDATA\r\n"),
                GA_S("250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
                GA_C("From: \"A B\" <a@b.example>\r\nTo: c@d.example, E <e@f.example>\r\n"
                     "Subject: =?utf-8?q?caf=C3=A9?= hi\r\n\r\nsee http://x.example/a?b=1 now\r\n"
                     "..dot\r\n.\r\nQUIT\r\n"),
                GA_S("250 queued\r\n221 bye\r\n"), EOFS);
#define EHLO "command{verb=\"EHLO\" command=\"EHLO\" arg=\"a.example\"}"
#define R250M "reply{code=\"250\" lines=[\"mx\", \"PIPELINING\"] text=\"STARTTLS\" status=250}"
#define MAILC                                                                                      \
    "command{verb=\"MAIL\" command=\"MAIL\" mailbox=\"a@b.example\" path=\"<a@b.example>\" "       \
    "params=\"SIZE=100\" arg=\"FROM:<a@b.example> SIZE=100\" addr=addr{address=\"a@b.example\" "     \
    "user=\"a\" domain=\"b.example\" text=\"<a@b.example>\"}}"
#define OK "reply{code=\"250\" text=\"ok\" status=250}"
    HAS(log, "T 0 null reply{code=\"220\" text=\"mx ESMTP\" status=220}\n");
    HAS(log, "T 1 " EHLO " " R250M "\n");
    HAS(log, "E smtp.command tx=2 dir=0 " MAILC "\n");
    HAS(log, "T 2 " MAILC " " OK "\n");
    HAS(log, "T 3 command{verb=\"RCPT\" command=\"RCPT\" mailbox=\"c@d.example\" "
             "path=\"<c@d.example>\"");
    HAS(log, "T 4 command{verb=\"RCPT\" command=\"RCPT\" mailbox=\"e@f.example\" "
             "path=\"<e@f.example>\"");
    HAS(log, "T 5 command{verb=\"DATA\" command=\"DATA\"} reply{code=\"354\"");
    /* the mail: header event, then body event, then the data message */
    HAS(log, "E email.header tx=6 dir=0 message{headers=[header{name=\"From\" "
             "value=\"\\x22A B\\x22 <a@b.example>\"}");
    HAS(log, "from_addr=addr{display=\"A B\" address=\"a@b.example\" user=\"a\" "
             "domain=\"b.example\" text=\"\\x22A B\\x22 <a@b.example>\"} "
             "to=[addr{address=\"c@d.example\" user=\"c\" domain=\"d.example\" "
             "text=\"c@d.example\"}, addr{display=\"E\" address=\"e@f.example\" user=\"e\" "
             "domain=\"f.example\" text=\"E <e@f.example>\"}] "
             "to_list=[\"c@d.example\", \"E <e@f.example>\"] subject=\"caf\\xc3\\xa9 hi\"");
    HAS(log, "E email.body tx=6 dir=0 text{web=[\"x.example/a?b=1\"] urls=[\"http://x.example/a?b=1\"] "
             "content=\"see http://x.example/a?b=1 now\\x0d\\x0a.dot\\x0d\\x0a\" size=38 "
             "url_list=\"http://x.example/a?b=1\" web_list=\"x.example/a?b=1\"} <leaf <entity <message <transfer <data\n");
    HAS(log, "E smtp.mail tx=6 dir=0 transfer{helo=\"a.example\" mail_from=\"<a@b.example>\" "
             "rcpt_to=[\"<c@d.example>\", \"<e@f.example>\"] txn=0 mail=message{");
    HAS(log, "urls=[\"http://x.example/a?b=1\"] web_urls=[\"x.example/a?b=1\"]}} <data\n");
    HAS(log, "E smtp.command tx=7 dir=0 command{verb=\"QUIT\" command=\"QUIT\"}\n");
    HAS(log, " web_urls=[\"x.example/a?b=1\"]}}} reply{code=\"250\" text=\"queued\" "
             "status=250}\n");
    HAS(log, "T 7 command{verb=\"QUIT\" command=\"QUIT\"} reply{code=\"221\"");
    cr_expect_eq(count_lines(log, "T "), 8);
    cr_expect_eq(count_lines(log, "A "), 0, "%s", log);
    free(log);
}

#define MIME_MAIL                                                                                  \
    "From: a@b.example\r\nTo: c@d.example\r\nCc: x@y.example, Z <z@y.example>\r\n"                 \
    "Bcc: hidden@h.example\r\nReply-To: r@b.example\r\nReturn-Path: <bounce@b.example>\r\n"       \
    "Received: from a by b;\r\n Mon, 7 Dec 2026 07:00:00 +0000\r\nReceived: from c by d\r\n"      \
    "Message-ID: <id1@b.example>\r\nDate: Mon, 7 Dec 2026 07:20:30 +0100\r\n"                       \
    "Subject: =?ISO-8859-1?B?U2No9m4=?=\r\n"                                                       \
    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary=\"outer\"\r\n\r\n"         \
    "preamble\r\n--outer\r\nContent-Type: multipart/alternative; boundary=inner\r\n\r\n"        \
    "--inner\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" \
    "caf=C3=A9 https://q.example/p=\r\nath\r\n--inner\r\nContent-Type: text/html\r\n\r\n"        \
    "<a href=\"http://h.example/\">x</a>\r\n--inner--\r\n\r\n--outer\r\n"                         \
    "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"           \
    "Content-Disposition: attachment;\r\n filename*=UTF-8''%C3%A9t%C3%A9.ZIP\r\n\r\n"          \
    "aGVsbG8gd29y\r\nbGQ=\r\n--outer\r\n"                                                         \
    "Content-Type: text/plain; name=\"=?utf-8?q?n=C3=B6te?=.txt\"\r\n\r\n"                       \
    "plain text\r\n--outer--\r\nepilogue\r\n"

/* Headers of every kind, nested multiparts with run-time boundaries,
 * quoted-printable and base64 parts, attachments named the RFC 2231 and
 * the RFC 2047 way; the mail record gathers every URL and file name. */
Test(smtp_session, mime_mail)
{
    char *log = SESSION(GA_C("DATA\r\n"), GA_S("354 go\r\n"), GA_C(MIME_MAIL ".\r\n"),
                        GA_S("250 ok\r\n"));
    HAS(log, "received=[\"from a by b; Mon, 7 Dec 2026 07:00:00 +0000\", \"from c by d\"]");
    HAS(log, "cc=[addr{address=\"x@y.example\" user=\"x\" domain=\"y.example\" "
             "text=\"x@y.example\"}, addr{display=\"Z\" address=\"z@y.example\" user=\"z\" "
             "domain=\"y.example\" text=\"Z <z@y.example>\"}] "
             "cc_list=[\"x@y.example\", \"Z <z@y.example>\"] bcc=[addr{address=\"hidden@h.example\" "
             "user=\"hidden\" domain=\"h.example\" text=\"hidden@h.example\"}] "
             "reply_to=[addr{address=\"r@b.example\" user=\"r\" domain=\"b.example\" "
             "text=\"r@b.example\"}] return_path=addr{address=\"bounce@b.example\" "
             "user=\"bounce\" domain=\"b.example\" text=\"<bounce@b.example>\"} subject=\"Sch\\xc3\\xb6n\" message_id=\"<id1@b.example>\" "
             "date=date{year=2026 month=12 day=7 hour=7 minute=20 second=30 zone=\"+0100\" "
             "weekday=\"Mon\" epoch=1796624430} mime_version=\"1.0\" "
             "content_type=\"multipart/mixed\" boundary=\"outer\"} <transfer <data\n");
    /* the two text leaves of the inner alternative, decoded and scanned */
    HAS(log, "E email.body tx=1 dir=0 text{urls=[\"https://q.example/path\"] "
             "content=\"caf\\xc3\\xa9 https://q.example/path\" size=28 "
             "url_list=\"https://q.example/path\"} <leaf <entity <part <multipart <entity "
             "<part <multipart <entity <message <transfer <data\n");
    HAS(log, "E email.body tx=1 dir=0 text{web=[\"h.example/\"] urls=[\"http://h.example/\"] "
             "content=\"<a href=\\x22http://h.example/\\x22>x</a>\"");
    /* attachments: base64 decoded, hashed, RFC 2231 and RFC 2047 names */
    HAS(log, "E email.attachment tx=1 dir=0 leaf{content_type=\"application/octet-stream\" "
             "transfer_encoding=\"base64\" data=\"hello world\" size=11 "
             "md5=\"5eb63bbbe01eeed093cb22bb8f5acdc3\" "
             "sha1=\"2aae6c35c94fcfb415dbe95f408b9ce91ee846ed\" "
             "sha256=\"b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9\" "
             "stored=false filename=\"\\xc3\\xa9t\\xc3\\xa9.ZIP\" ext=\"zip\" "
             "file_list=\"\\xc3\\xa9t\\xc3\\xa9.ZIP\"} <entity <part <multipart <entity "
             "<message <transfer <data\n");
    HAS(log, "E email.attachment tx=1 dir=0 leaf{content_type=\"text/plain\" "
             "data=\"plain text\" size=10");
    HAS(log, "filename=\"n\\xc3\\xb6te.txt\" ext=\"txt\"");
    /* gathered into the mail record the data message holds */
    HAS(log, "urls=[\"https://q.example/path\", \"http://h.example/\"] web_urls=[\"h.example/\"] "
             "attachments=[\"\\xc3\\xa9t\\xc3\\xa9.ZIP\", \"n\\xc3\\xb6te.txt\"]}}}\n"
             "E smtp.reply tx=1 dir=1 reply{code=\"250\" text=\"ok\" status=250}\n");
    /* bulk content is left out of the gathered records */
    HASNT(log, "data=\"hello world\"} file_list");
    cr_expect_eq(count_lines(log, "E email.body "), 2);
    cr_expect_eq(count_lines(log, "E email.attachment "), 2);
    cr_expect_eq(count_lines(log, "A "), 0, "%s", log);
    free(log);
}

/* BDAT: the chunks up to LAST are one mail (a header split across two
 * chunks), the command after it is a command again; a malformed BDAT
 * reads no chunk; pipelined, the replies stay paired with their commands
 * (a chunk before the last has a reply of its own). */
Test(smtp_session, bdat_chunks)
{
    char *log = SESSION(GA_C("EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
                             "BDAT 5 X\r\nBDAT 12\r\nSubject: spl"),
                        GA_C("BDAT 19 LAST\r\nit\r\n\r\nhello there\r\nNOOP\r\n"),
                        GA_S("250 hi\r\n250 ok\r\n250 ok\r\n521 bad\r\n250 ok\r\n250 done\r\n"
                             "250 noop\r\n"),
                        EOFS);
    HAS(log, "A smtp.bad_bdat\n");
    HAS(log, "E smtp.command tx=3 dir=0 command{verb=\"BDAT\" command=\"BDAT\" arg=\"5 X\" "
             "size=\"5\" tail=\" X\" last=false}\n");
    HAS(log, "E email.header tx=4 dir=0 message{headers=[header{name=\"Subject\" "
             "value=\"split\"}] subject=\"split\"} <transfer <command\n");
    HAS(log, "E email.body tx=4 dir=0 text{content=\"hello there\\x0d\\x0a\" size=13} "
             "<leaf <entity <message <transfer <command\n");
    HAS(log, "E smtp.command tx=4 dir=0 command{verb=\"BDAT\" command=\"BDAT\" arg=\"12\" "
             "size=\"12\" tail=\"\" last=false transfer=transfer{helo=\"c\" "
             "mail_from=\"<a@b>\" rcpt_to=[\"<c@d>\"] txn=0 mail=message{");
    HAS(log, "E smtp.command tx=5 dir=0 command{verb=\"NOOP\" command=\"NOOP\"}\n");
    HAS(log, "T 3 command{verb=\"BDAT\" command=\"BDAT\" arg=\"5 X\"");
    /* the first chunk's reply pairs with nothing; the mail's reply is the
     * second chunk's, and NOOP gets its own */
    HAS(log, "E smtp.chunk_reply tx=6 dir=1 chunk_reply{code=\"250\" text=\"ok\" status=250}\n"
             "T 6 null chunk_reply{code=\"250\" text=\"ok\" status=250}\n");
    HAS(log, "body=entity{single=leaf{text=text{size=13}}}}}} reply{code=\"250\" "
             "text=\"done\" status=250}\n");
    HAS(log, "T 5 command{verb=\"NOOP\" command=\"NOOP\"} reply{code=\"250\" text=\"noop\"");
    cr_expect_eq(count_lines(log, "A "), 1, "%s", log);
    free(log);
}

/* AUTH LOGIN: each 334 makes the next client line AUTH data (decoded);
 * the envelope and commands go on after 235. AUTH PLAIN with its initial
 * response. */
Test(smtp_session, auth_login)
{
    char *log = SESSION(GA_C("AUTH LOGIN\r\n"), GA_S("334 VXNlcm5hbWU6\r\n"),
                        GA_C("dXNlcg==\r\n"), GA_S("334 UGFzc3dvcmQ6\r\n"),
                        GA_C("c2VjcmV0\r\n"), GA_S("235 ok\r\n"), GA_C("QUIT\r\n"),
                        GA_S("221 bye\r\n"), GA_C("AUTH PLAIN AHUAcA==\r\n"), EOFS);
    /* the initial response of AUTH PLAIN: "\0u\0p" */
    HAS(log, "E smtp.command tx=4 dir=0 command{verb=\"AUTH\" command=\"AUTH\" "
             "arg=\"PLAIN AHUAcA==\" auth_mechanism=\"PLAIN\" "
             "auth_initial=\"\\x00u\\x00p\"}\n");
    HAS(log, "T 0 command{verb=\"AUTH\" command=\"AUTH\" arg=\"LOGIN\" "
             "auth_mechanism=\"LOGIN\"} reply{code=\"334\" text=\"VXNlcm5hbWU6\" status=334}\n");
    HAS(log, "T 1 auth_data{line=\"dXNlcg==\" decoded=\"user\"} reply{code=\"334\"");
    HAS(log, "T 2 auth_data{line=\"c2VjcmV0\" decoded=\"secret\"} reply{code=\"235\"");
    HAS(log, "T 3 command{verb=\"QUIT\" command=\"QUIT\" ended=ended{txn=0}} reply{code=\"221\"");
    cr_expect_eq(count_lines(log, "A "), 0, "%s", log);
    free(log);
}

/* STARTTLS answered 220 ends inspection: the TLS bytes that follow in
 * either direction raise nothing. RSET before it forgets the envelope. */
Test(smtp_session, starttls_stops)
{
    char *log = SESSION(GA_C("EHLO c\r\nMAIL FROM:<a@b>\r\nRSET\r\nSTARTTLS\r\n"),
                        GA_S("250 hi\r\n250 ok\r\n250 reset\r\n220 go ahead\r\n"),
                        GA_C("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"),
                        GA_S("\x16\x03\x03\x00\x5d\x02"), GA_C("QUIT\r\n"), EOFS);
    HAS(log, "T 3 command{verb=\"STARTTLS\" command=\"STARTTLS\"} reply{code=\"220\" "
             "text=\"go ahead\" status=220}\n");
    /* EHLO, MAIL, the envelope RSET ends, RSET, STARTTLS, four replies */
    cr_expect_eq(count_lines(log, "E "), 9, "%s", log);
    HAS(log, "E smtp.envelope tx=2 dir=0 ended{helo=\"c\" mail_from=\"<a@b>\" txn=0} <command\n");
    cr_expect_eq(count_lines(log, "A "), 0, "%s", log);
    HASNT(log, "QUIT");
    free(log);
}

/* RSET and a new MAIL FROM start a new envelope: the mail carries only
 * what was given since. */
Test(smtp_session, rset_clears_envelope)
{
    char *log = SESSION(GA_C("HELO one\r\nMAIL FROM:<x@y>\r\nRCPT TO:<p@q>\r\nRSET\r\n"
                             "HELO two\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"),
                        GA_S("250 a\r\n250 b\r\n250 c\r\n250 d\r\n250 e\r\n250 f\r\n250 g\r\n"
                             "354 h\r\n"),
                        GA_C("Subject: s\r\n\r\nb\r\n.\r\n"), GA_S("250 i\r\n"), EOFS);
    HAS(log, "E smtp.mail tx=8 dir=0 transfer{helo=\"two\" mail_from=\"<a@b>\" "
             "rcpt_to=[\"<c@d>\"] txn=1 mail=message{");
    free(log);
}

/* DATA refused (554): what follows is commands again. DATA whose reply
 * is not in the capture (the client went on at once): the mail. An empty
 * mail, and a mail line far longer than any token limit. */
Test(smtp_session, data_modes)
{
    char big[70000];
    size_t n = (size_t)snprintf(big, sizeof(big), "DATA\r\nSubject: long\r\n\r\n");
    memset(big + n, 'w', 65000);
    n += 65000;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n.\r\nDATA\r\n");
    struct ga_step steps[] = {
        GA_C("DATA\r\n"),
        GA_S("554 no\r\n"),
        GA_C("RSET\r\n"),
        GA_S("250 ok\r\n"),
        {GA_FEED, SPU_DIR_CLIENT, big, n},
        GA_S("354 go\r\n"),
        GA_C(".\r\nQUIT\r\n"),
        EOFS,
    };
    struct spu_bundle *b = smtp_bundle();
    char *log = split_invariant(b, smtp_proto(b, "smtp"), steps, sizeof(steps) / sizeof(steps[0]));
    spu_bundle_unref(b);
    if (getenv("SMTP_LOG"))
        fprintf(stderr, "%s", log);
    HAS(log, "T 0 command{verb=\"DATA\" command=\"DATA\"} reply{code=\"554\"");
    HAS(log, "E smtp.command tx=1 dir=0 command{verb=\"RSET\" command=\"RSET\"}\n");
    HAS(log, "E email.header tx=3 dir=0 message{headers=[header{name=\"Subject\" "
             "value=\"long\"}] subject=\"long\"} <transfer <data\n");
    HAS(log, "body=entity{single=leaf{text=text{size=65002}}}}} <data\n");
    HAS(log, "E smtp.command tx=4 dir=0 command{verb=\"DATA\" command=\"DATA\"}\n");
    /* replies pair in order: the 354 goes to the first DATA; the refused
     * DATA ended transaction 0, so the mails are 1 and 2 */
    HAS(log, "T 2 command{verb=\"DATA\" command=\"DATA\"} reply{code=\"354\"");
    HAS(log, "E smtp.data tx=5 dir=0 data{transfer=transfer{txn=2 mail=message{body=entity{single="
             "leaf{text=text{size=0}}}}}}\n");
    cr_expect_eq(count_lines(log, "A "), 0, "%s", log);
    HAS(log, "E smtp.command tx=6 dir=0 command{verb=\"QUIT\" command=\"QUIT\"}\n");
    free(log);
}

/* Bytes lost inside a mail (issue-4220-01-ids: an ACK seen before the
 * segment it acknowledges): the mail ends incomplete and the direction
 * resyncs at the next line, still inside the mail. Its remaining lines
 * (base64: words, "+", "/" and digits first) are skipped up to the "."
 * line, not read as commands: no parse_error, no pipeline_overflow, and
 * the reply after the "." and the QUIT pair as they should. */
Test(smtp_session, gap_in_mail)
{
    char *log = SESSION(GA_S("220 hi\r\n"), GA_C("HELO a\r\n"), GA_S("250 ok\r\n"),
                        GA_C("MAIL FROM:<a@b.c>\r\n"), GA_S("250 ok\r\n"),
                        GA_C("RCPT TO:<d@e.f>\r\n"), GA_S("250 ok\r\n"), GA_C("DATA\r\n"),
                        GA_S("354 go\r\n"),
                        GA_C("Subject: x\r\n\r\nTVpQAAIAAAAEAA8A\r\nQAAsEE"),
                        {GA_GAP, SPU_DIR_CLIENT, NULL, 10},
                        GA_C("AAAA\r\n+AAAAgRD\r\n/3+LwFgQ\r\n6Lf///\r\nTVpQ\r\nRCPT TO:<x@y.z>\r\n"
                             ".\r\n"),
                        GA_S("250 queued\r\n"), GA_C("QUIT\r\n"), GA_S("221 bye\r\n"), EOFS);
    HAS(log, "A smtp.gap\n");
    HASNT(log, "parse_error");
    HASNT(log, "pipeline_overflow");
    /* HELO, MAIL, RCPT, DATA, QUIT: no line of the mail is a command */
    cr_expect_eq(count_lines(log, "E smtp.command "), 5, "%s", log);
    HASNT(log, "x@y.z");
    HAS(log, "reply{code=\"250\" text=\"queued\"");
    HAS(log, "command{verb=\"QUIT\" command=\"QUIT\"");
    HAS(log, "reply{code=\"221\" text=\"bye\"");
    free(log);
}

/* Hostile mails: multiparts nested past limits.depth (the deepest are
 * left unparsed with an anomaly, the mail still completes), a header
 * line longer than limits.field (stored cut, flagged), and the session
 * goes on after them. */
Test(smtp_session, hostile_mails)
{
    char *mail = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&mail, &n);
    fprintf(m, "DATA\r\n");
    fprintf(m, "Subject: deep\r\nX-Long: ");
    for (int i = 0; i < 70000; i++)
        fputc('h', m);
    fprintf(m, "\r\nContent-Type: multipart/mixed; boundary=b0\r\n\r\n");
    for (int d = 0; d < 30; d++)
        fprintf(m, "--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n", d, d + 1);
    fprintf(m, "--b30\r\n\r\nhttp://deep.example/\r\n--b30--\r\n");
    for (int d = 29; d >= 0; d--)
        fprintf(m, "--b%d--\r\n", d);
    fprintf(m, ".\r\nQUIT\r\n");
    fclose(m);
    struct ga_step steps[] = {
        {GA_FEED, SPU_DIR_CLIENT, mail, 6},
        GA_S("354 go\r\n"),
        {GA_FEED, SPU_DIR_CLIENT, mail + 6, n - 6},
        GA_S("250 ok\r\n221 bye\r\n"),
        EOFS,
    };
    struct spu_bundle *b = smtp_bundle();
    char *log = split_invariant(b, smtp_proto(b, "smtp"), steps, sizeof(steps) / sizeof(steps[0]));
    spu_bundle_unref(b);
    if (getenv("SMTP_LOG"))
        fprintf(stderr, "%s", log);
    HAS(log, "A email.field_truncated\n");
    HAS(log, "A email.depth_limit\n");
    HAS(log, "E smtp.mail tx=1 dir=0 transfer{txn=0 mail=message{headers=[header{name=\"Subject\" "
             "value=\"deep\"}, header{name=\"X-Long\" value=\"hhhh");
    HAS(log, "\"!T}, header{name=\"Content-Type\"");
    HAS(log, "E smtp.command tx=2 dir=0 command{verb=\"QUIT\" command=\"QUIT\"}\n");
    HAS(log, "T 2 command{verb=\"QUIT\" command=\"QUIT\"} reply{code=\"221\"");
    /* the URL too deep to be parsed is not found */
    HASNT(log, "deep.example");
    free(log);
    free(mail);
}

/* Rules reach the fields of the mail events by name, the enclosing SMTP
 * transfer and mail by unit name, and misnamed fields are refused. */
Test(smtp_session, rules_on_mail_events)
{
    char *g = smtp_grammars();
    static const char ok[] =
        "import smtp;\nimport email;\n"
        "rule sid 1 rev 1 \"exe from outside\" on email.attachment {\n"
        "  if (ext == \"exe\" && transfer.mail_from ~ \"evil\") { Alert(); } }\n"
        "rule sid 2 rev 1 \"invoice url\" on email.body {\n"
        "  if (count(urls) > 0 && email.message.subject ~ \"invoice\") { Alert(); } }\n"
        "rule sid 3 rev 1 \"many rcpt\" on smtp.mail {\n"
        "  if (count(rcpt_to) > 50 || mail.from_addr.domain == \"x.example\") { Alert(); } }\n";
    static const char bad[] = "import smtp;\nimport email;\n"
                              "rule sid 4 rev 1 \"x\" on email.attachment {\n"
                              "  if (no_such_field == \"exe\") { Alert(); } }\n";
    size_t len;
    char *diag = NULL;
    uint8_t *out = hc_compile(g, ok, NULL, &len, &diag);
    cr_expect_not_null(out, "%s", diag ? diag : "");
    free(out);
    free(diag);
    diag = NULL;
    out = hc_compile(g, bad, NULL, &len, &diag);
    cr_expect_null(out);
    cr_expect_not_null(diag && strstr(diag, "no_such_field"), "%s", diag ? diag : "");
    free(out);
    free(diag);
    free(g);
}

/* Characterization: the client's first bytes are EHLO/HELO with a name or
 * alone at the end of the line (either case); the server's are a 220. */
Test(smtp_session, detect_patterns)
{
    struct spu_bundle *b = smtp_bundle();
    const struct spu_bview *v = spu_bundle_view(b);
    const struct spu_bproto *p = &v->protos[smtp_proto(b, "smtp")];
    static const struct {
        int dir;
        const char *in;
        int match;
    } cases[] = {
        {0, "EHLO a.example\r\n", 1}, {0, "helo x\r\n", 1}, {0, "EHLO\r\n", 1},
        {0, "EHLO\n", 1},             {0, "EHLOX\r\n", 0},  {0, "GET / HTTP/1.1\r\n", 0},
        {1, "220 mx ESMTP\r\n", 1},   {1, "220-mx\r\n", 1}, {1, "HTTP/1.1 200 OK\r\n", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct spu_dfa d;
        uint32_t di = p->detect[cases[i].dir];
        cr_assert_neq(di, SPU_NONE);
        cr_assert_eq(spu_dfa_from_bundle(&d, &v->dfas[di], v->dfadata, v->ndfadata), SPU_OK);
        uint32_t label = spu_dfa_match(&d, (const uint8_t *)cases[i].in, strlen(cases[i].in), NULL);
        cr_expect_eq(label != SPU_NONE, cases[i].match, "%s", cases[i].in);
    }
    spu_bundle_unref(b);
}
