/*
 * import-int.h - shared between the importer's files (import*.c): the
 * parsed form of one Suricata/Snort rule, the sticky-buffer table and the
 * helpers that write spu expressions.
 */
#ifndef SPUC_IMPORT_INT_H
#define SPUC_IMPORT_INT_H

#include "import.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define IMP_MAX_OPTS 256

/* One option of a rule: `name` or `name:value` (value unquoted later). */
struct imp_opt {
    char *name;
    char *val; /* NULL when the option has no value; trimmed */
};

/* A rule split into its header words and options; every pointer points
 * into the rule's own mutable copy. */
struct imp_rule {
    char *action, *proto, *src, *sport, *dir, *dst, *dport;
    struct imp_opt opts[IMP_MAX_OPTS];
    unsigned nopts;
};

/* Split `line` (modified in place) into a rule; 0, or -1 with *why. */
int imp_split_rule(char *line, struct imp_rule *r, const char **why);

/* Unquote a content/msg/pcre value: strips the quotes, undoes \" \; \\
 * escapes. Writes into `out` (cap bytes); returns the length or -1. */
int imp_unquote(const char *val, char *out, size_t cap);
/* The same for pcre: quotes and '!' stripped, escapes kept (PCRE reads
 * \\ \" \; as the literal characters Suricata means by them). */
int imp_unquote_raw(const char *val, char *out, size_t cap);
/* A content pattern (already unquoted) with |hex| blocks decoded into
 * out; returns the length, or -1 (bad hex). */
int imp_content_bytes(const char *s, uint8_t *out, size_t cap);

/* Write bytes as a spu string literal ("..." with \xNN escapes). */
void imp_put_str(FILE *out, const uint8_t *p, size_t n);

/* Where a buffer lives. */
enum imp_side {
    SIDE_PAYLOAD, /* packet payload (`packet` event) */
    SIDE_REQ,     /* the HTTP request (its fields, or request.X on a response) */
    SIDE_RESP,    /* the HTTP response */
    SIDE_HDRS,    /* the headers of the message the rule's direction names */
    SIDE_DNSQ,    /* each query name of a DNS query (`dns.query`, a loop) */
    SIDE_TLS_CH,  /* the TLS ClientHello (`tls.client_hello`) */
    SIDE_TLS_SH,  /* the TLS ServerHello (`tls.server_hello`) */
    SIDE_TLS_CERT, /* the server's leaf certificate (`tls.certificate`) */
    SIDE_TLS_CERTS, /* each certificate of the chain, DER (a loop) */
    /* the mail (grammars/smtp.spg, email.spg); every side from SIDE_SMTP on */
    SIDE_SMTP,      /* the envelope of a mail (`smtp.mail`: helo, mail_from) */
    SIDE_SMTP_RCPT, /* each RCPT TO path of the mail's envelope (a loop) */
    SIDE_MAIL,      /* a header of the mail (`smtp.mail`, mail.headers[...]) */
    SIDE_MAIL_RCVD, /* each Received header of the mail (a loop) */
    SIDE_MAIL_URL,  /* each http URL of the mail's text parts (a loop) */
    SIDE_MAIL_FILE, /* an attachment's decoded content (`email.attachment`) */
};

/* The event of a side other than payload/HTTP, and for a loop side the
 * array iterated and the loop variable (the buffer's expression uses it);
 * the handshake summary's field for a TLS buffer (the event of a rule
 * mixing TLS messages), or NULL. */
const char *imp_side_event(enum imp_side s);
const char *imp_side_loop(enum imp_side s);
bool imp_side_from_server(enum imp_side s);
const char *imp_tls_summary_expr(const char *expr);

struct imp_buf {
    const char *name; /* sticky buffer (Suricata 5+) */
    const char *old;  /* content modifier (Suricata 4, Snort 2), or NULL */
    enum imp_side side;
    const char *expr; /* %s: "" or "request." (for SIDE_REQ/SIDE_HDRS) */
};

/* The buffer table; imp_buf_find returns an index or -1. */
extern const struct imp_buf imp_bufs[];
int imp_buf_find(const char *name, bool modifier);
/* Suricata 4's sticky names of the same buffers (dns_query, tls_sni, ...),
 * mapped to the Suricata 5 name; NULL when `name` is none. */
const char *imp_buf_alias(const char *name);
/* The buffer `buf` with a transform applied (`dotprefix`), or -1. */
int imp_buf_transform(int buf, const char *transform);
#define IMP_BUF_PAYLOAD 0

/* Address and port expressions. `subject` is the spu expression of the
 * address (or port); `vars` collects the variable names used (the caller
 * declares them). Return 0, or -1 with *why. Output "true" for any. */
struct imp_vars;
int imp_addr_expr(FILE *out, const char *spec, const char *subject, struct imp_vars *vars,
                  const char **why);
int imp_port_expr(FILE *out, const char *spec, const char *subject, struct imp_vars *vars,
                  const char **why);

/* The set of variables seen: names, address or port kind. */
struct imp_vars {
    char **names;
    bool *is_port;
    unsigned n, cap;
};
int imp_vars_add(struct imp_vars *v, const char *name, bool is_port);
/* A flowbit's name as the rest of an identifier (after "fb_"): letters and
 * digits as they are, every other byte as _XX (hex), so that two names
 * never give one variable ("ET.x" -> ET_2Ex). */
void imp_put_flowbit(FILE *out, const char *name);
void imp_vars_free(struct imp_vars *v);
/* Suricata's default value of a variable, or NULL when it has none. */
const char *imp_var_default(const char *name);

/* ---- the importer's state (import.c) ---- */

struct imp_class {
    char *name;
    int priority;
};

enum imp_thr_type { THR_NONE, THR_LIMIT, THR_THRESHOLD, THR_BOTH, THR_DETECTION };

struct imp_thr {
    enum imp_thr_type type;
    bool by_dst;
    long count, seconds;
};

/* A threshold.config line about one rule. */
struct imp_thr_entry {
    long gid, sid;
    bool suppress;     /* suppress (ip NULL: every alert) */
    char *suppress_ip; /* address spec, or NULL */
    bool suppress_by_dst;
    struct imp_thr thr; /* threshold / event_filter */
};

/* Threshold state lives in a few sessions, one per tracked address kind
 * (flow.src_ip, flow.dst_ip, packet.src_ip, packet.dst_ip) and per 16
 * rules (a bundle holds at most 256 sessions): variables n_G_S and t0_G_S
 * of rule G:S; ttl the longest window of its rules. */
#define IMP_THR_PER_SESSION 16
#define IMP_THR_MAX_SESSIONS 200
struct imp_thr_chunk {
    int kind;
    unsigned n;
    long ttl;
    long gid[IMP_THR_PER_SESSION], sid[IMP_THR_PER_SESSION];
};

struct imp_reason {
    char *text;
    unsigned count;
};

struct importer {
    enum import_dialect dialect;
    struct imp_vars vars;  /* address and port variables used */
    struct imp_vars fbits; /* flowbit names used (is_port unused) */
    struct imp_vars once;  /* flow variables once_G_S: the SMTP transaction (txn + 1)
                            * rule G:S last matched on (file.data on SMTP) */
    struct imp_class *classes;
    unsigned nclasses;
    struct imp_thr_entry *thr;
    unsigned nthr;
    char *body; /* the rules' text (memstream) */
    size_t body_len;
    FILE *bodyf;
    struct imp_thr_chunk *chunks; /* sessions of thresholds */
    unsigned nchunks;
    int cur_chunk[4]; /* per key kind, or -1 */
    bool uses_http, uses_dns, uses_tls, uses_smtp;
    uint64_t *ids; /* (gid << 32 | sid) of the rules written: open addressing, 0 free */
    size_t nids, idcap;
    unsigned seen, translated;
    struct imp_reason *reasons;
    unsigned nreasons;
};

/* Translate one rule line (modified in place): writes the rule to
 * im->bodyf (threshold sessions into im->chunks), or returns -1 with the sid (or
 * 0), the keyword and the reason of the skip. */
int imp_translate_rule(struct importer *im, char *line, long *sid, const char **keyword,
                       const char **why);

/* The session (name written into sess) holding rule gid:sid's threshold
 * state for key kind 0..3 and window `seconds`; false when no more sessions
 * fit (or no memory). */
bool imp_thr_session(struct importer *im, int kind, long gid, long sid, long seconds, char *sess,
                     size_t cap);
extern const char *const imp_thr_keys[4];

/* Whether (gid, sid) was written already. */
bool imp_id_used(const struct importer *im, long gid, long sid);
/* Record (gid, sid) as written: false when it already was (or no memory). */
bool imp_claim_id(struct importer *im, long gid, long sid);

/* The classtype's priority from classification.config, or 0. */
int imp_class_priority(const struct importer *im, const char *name);
/* threshold.config entries for (gid, sid), or NULL. */
const struct imp_thr_entry *imp_thr_find(const struct importer *im, long gid, long sid);

#endif
