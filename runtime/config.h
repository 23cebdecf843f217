/*
 * config.h - spurun's command line, parsed into one struct and validated
 * completely before any thread starts.
 *
 *   spurun [SOURCE] [-w N] [-o EVE.json | -l DIR] [--bpf EXPR]
 *          [--checksum auto|yes|no] [--midstream] [--hash-seed N|random] ...
 *   SOURCE: -r FILE|DIR|- or -i IFACE; none: capture files are queued
 *   through the control socket (spuctl pcap FILE)
 *
 * -b [NAME=]BUNDLE (repeatable) names bundles to load; NAME defaults to the
 * file's base name without its extension. run.c loads and verifies them
 * before any thread starts.
 * Called from main() only.
 */
#ifndef SPU_CONFIG_H
#define SPU_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct spu_error;

#define CONFIG_MAX_BUNDLES 16

struct config_bundle {
    char name[64];    /* NAME, or the file's base name without extension */
    const char *path; /* borrowed from argv */
};

struct config {
    struct config_bundle bundles[CONFIG_MAX_BUNDLES]; /* -b [NAME=]BUNDLE */
    unsigned nbundles;
    const char *read_path;   /* -r */
    const char *iface;       /* -i */
    unsigned workers;        /* -w; default: cores - 1, at least 1 */
    const char *eve_path;    /* -o, or DIR/eve.json from -l */
    char eve_buf[4096];
    const char *bpf;         /* --bpf */
    int checksum;            /* enum checksum_mode */
    bool midstream;          /* --midstream */
    bool seed_given;         /* --hash-seed N */
    bool seed_random;        /* --hash-seed random */
    uint32_t seed;
    bool realtime;           /* --realtime */
    unsigned fanout;         /* --fanout hash: one ring per worker */
    const char *inline_spec; /* --inline nfq:N[,M...] */
    bool fail_open;          /* --fail-open */
    bool bare;               /* --bare */
    bool bare_json;          /* --bare-json */
    bool split_read;         /* --split-read: each worker reads the -r files itself */
    unsigned stats_interval; /* --stats-interval SECS (0 = only at exit) */
    int verbose;             /* -v (repeatable) */
    /* control, daemon (issue 6) */
    const char *control;     /* --control PATH ("auto": the default path) */
    bool queue_mode;         /* no SOURCE: capture files come through the socket */
    bool test;               /* -T: check the configuration and bundles, exit */
    const char *pidfile;     /* --pidfile FILE */
    const char *user;        /* -u USER: privileges dropped after opening */
    const char *group;       /* -g GROUP */
    const char *log_file;    /* --log-file FILE (default: standard error) */
    int log_level;           /* --log-level (enum logger_level), -1 = default */
    int stream_policy;       /* --stream-policy first|last */
    uint64_t flow_memcap;    /* --flow-memcap BYTES */
    uint64_t stream_memcap;  /* --stream-memcap BYTES (all held out-of-order bytes) */
    uint64_t stream_flow_cap;/* --stream-flow-cap BYTES (held per flow) */
    uint64_t defrag_memcap;  /* --defrag-memcap BYTES (fragments held) */
    uint64_t app_memcap;     /* --app-memcap BYTES (grammar buffers of all flows) */
    uint64_t session_memcap; /* --session-memcap BYTES (meta-session entries) */
    bool progress;           /* --no-progress turns the terminal line off */
    uint64_t rule_budget;    /* --rule-budget STEPS per rule run (0: the VM's default) */
    unsigned top_rules;      /* --top-rules N: summary of the N most expensive rules */
    bool explain;            /* --explain: an `explain` record per event with rules */
    const char *classification; /* --classification FILE (classification.config) */
    const char *metrics;     /* --metrics ADDR:PORT (Prometheus endpoint) */
    unsigned metrics_linger; /* --metrics-linger SECS after the input ends */
    unsigned metrics_top;    /* --metrics-top-rules N exported one by one (default 10) */
    uint64_t eve_rotate_bytes;   /* --eve-rotate SIZE (K/M/G) */
    uint64_t eve_rotate_seconds; /* --eve-rotate AGE (s/m/h/d) */
    bool pcap_log;               /* --pcap-log alerts */
    const char *pcap_log_dir;    /* --pcap-log-dir DIR (default: the EVE file's directory) */
    char pcap_log_dir_buf[4096];
    unsigned pcap_log_packets;   /* --pcap-log-packets N kept per flow (default 32) */
    unsigned pcap_log_after;     /* --pcap-log-after M written after an alert (default 32) */
    uint64_t pcap_log_memcap;    /* --pcap-log-memcap B for all rings (default 64 MiB) */
    const char *state_url;   /* --state memory|redis://HOST:PORT */
    size_t state_max;        /* --state-max N entries (0: default) */
    const char *local_net;   /* --local-net CIDR[,CIDR...] */
    const char *sensor_name; /* --sensor-name NAME */
    int64_t spam_threshold;  /* --spam-threshold N: a message scoring more is spam (default 10) */
    const char *report_url;  /* --report redis://HOST:PORT/STREAM */
    const char *monitor_url; /* --monitor redis://HOST:PORT/STREAM */
    const char *eve_redis;   /* --eve-redis redis://HOST:PORT/STREAM */
    const char *eve_spool;   /* --eve-spool FILE (default: the EVE file + ".spool") */
    uint64_t eve_spool_cap;  /* --eve-spool-cap BYTES (0: 64 MiB) */
    char spool_buf[4200];
    const char *filestore;   /* --filestore DIR: files of the app layer stored there */
    uint64_t filestore_cap;  /* --filestore-cap BYTES stored by the run at most */
    unsigned force_hash;     /* --force-hash LIST: SPU_HASH_* bits every file gets */
    bool force_magic;        /* --force-magic: files typed by libmagic (else magic() null) */
    unsigned anomaly_repeat; /* --anomaly-repeat N applayer anomaly records per flow and
                              * anomaly (0: no bound) */
};

/* --anomaly-repeat's default. */
#define CONFIG_ANOMALY_REPEAT 10u

enum { CONFIG_RUN = 0, CONFIG_HELP = 1, CONFIG_VERSION = 2 };

/* Parse argv into c (defaults first). Returns CONFIG_RUN, CONFIG_HELP or
 * CONFIG_VERSION, or a negative SPU_E* with err naming the bad option. */
int config_parse(struct config *c, int argc, char **argv, struct spu_error *err);

/* Whether `name` is a long option of spurun: 1 when it takes a value, 0
 * when it is a flag, -1 when there is no such option. Used to check
 * configuration file keys and --set (config-file.c). */
int config_option_arg(const char *name);

/* The --help text (static). */
const char *config_usage(void);

#endif
