/*
 * import-rule.h - one rule while it is translated: what its options were
 * read into (import-match.c: contents, pcre, sizes, flags; import-opts.c:
 * attributes, flow, flowbits, thresholds, the option loop) and what
 * import-write.c writes from it. Internal to the importer.
 */
#ifndef SPUC_IMPORT_RULE_H
#define SPUC_IMPORT_RULE_H

#include "import-int.h"

#define MAX_ITEMS 128
#define MAX_CONDS 32
#define MAX_PAT 4096

enum {
    IT_NOCASE = 1u << 0,
    IT_NOT = 1u << 1,
    IT_OFFSET = 1u << 2,
    IT_DEPTH = 1u << 3,
    IT_DISTANCE = 1u << 4,
    IT_WITHIN = 1u << 5,
    IT_STARTS = 1u << 6,
    IT_ENDS = 1u << 7,
    IT_ISDATAAT = 1u << 8,
    IT_RELATIVE = 1u << 9,
    IT_FP = 1u << 10,
    IT_PCRE = 1u << 11,
    IT_BYTE = 1u << 12,
};

struct item {
    int buf;
    uint8_t *pat;
    size_t plen;
    unsigned flags;
    long offset, depth, distance, within, at;
    char re_flags[8]; /* IT_PCRE: i s m x */
    char bmods[160];  /* IT_BYTE: content_match's byte_test/byte_jump words */
    char *alt;        /* IT_PCRE not relative: the same test as `@ ~ /re/`,
                       * used when nothing after it in the chain depends on it */
};

struct cond {
    int buf;
    char *text; /* "@" stands for the buffer's expression */
};

struct fbit_op {
    int op; /* 's' set, 'u' unset, 't' toggle, 'i' isset, 'n' isnotset */
    char names[256];
};

struct rule {
    char msg[1024];
    long sid, rev, gid, priority;
    char classtype[128];
    char *refs[32];
    unsigned nrefs;
    char *meta[64];
    unsigned nmeta;
    struct item items[MAX_ITEMS];
    unsigned nitems;
    struct cond conds[MAX_CONDS];
    unsigned nconds;
    bool to_server, to_client, noalert;
    bool tls_summary; /* written on tls.handshake: imp_tls_summary_expr() */
    char alproto[96]; /* app-layer-protocol's test of flow.app_proto, or "" */
    struct fbit_op fb[16];
    unsigned nfb;
    struct imp_thr thr;
    const char *kw, *why; /* the imp_skip */
};

/* Record why the rule is skipped; returns -1. */
int imp_skip(struct rule *r, const char *kw, const char *why);
/* A whole decimal number (spaces around allowed). */
bool imp_parse_long(const char *s, long *out);
void imp_free_rule(struct rule *r);

/* import-match.c: each adds an item or a condition on buffer `buf`;
 * 0, or -1 after imp_skip(). */
int imp_add_content(struct rule *r, const char *val, int buf);
struct item *imp_last_content(struct rule *r);
int imp_content_mod(struct rule *r, const struct imp_opt *o);
int imp_add_isdataat(struct rule *r, const char *val, int buf);
int imp_add_byte(struct rule *r, const char *kw, const char *val, int buf);
int imp_size_cond(struct rule *r, int buf, const char *kw, const char *val, const char *len);
int imp_add_pcre(struct rule *r, const char *val, int cur);
int imp_add_flags(struct rule *r, const char *val);
/* A condition on buffer buf: fmt's text, "@" standing for the buffer's
 * expression; 0, or -1 after imp_skip(). */
int imp_add_cond(struct rule *r, int buf, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* import-proto.c: tls.version, ssl_version, ssl_state (Suricata's), and
 * app-layer-protocol; 0, or -1 after imp_skip(). */
int imp_add_tls_version(struct rule *r, const char *kw, const char *val);
int imp_add_ssl_state(struct rule *r, const char *val);
int imp_add_app_proto(struct rule *r, const char *val);

/* import-opts.c: every option of pr into r. */
int imp_read_options(struct importer *im, const struct imp_rule *pr, struct rule *r);

/* import-write.c: the spu rule (declarations it needs go to im). */
int imp_write_rule(struct importer *im, const struct imp_rule *pr, struct rule *r, FILE *out);

#endif
