/* config.c - command line parsing and validation (see config.h). */
#include "config.h"

#include "bundle-hashes.h"
#include "dispatch.h"
#include "err.h"
#include "logger.h"
#include "stream-tcp.h"
#include "value.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage[] =
    "usage: spurun [-b [NAME=]BUNDLE]... [SOURCE] [-w N] [-o EVE.json | -l DIR]\n"
    "              [--bpf EXPR] [--checksum auto|yes|no] [--midstream]\n"
    "              [--hash-seed N|random]\n"
    "\n"
    "SOURCE\n"
    "  -r FILE|DIR|-        read a capture (classic pcap is memory-mapped; pcapng and\n"
    "                       standard input go through libpcap; a DIR is read file by\n"
    "                       file in name order)\n"
    "  -i IFACE             live capture (AF_PACKET TPACKET_V3 ring)\n"
    "\n"
    "OPTIONS\n"
    "  -b [NAME=]BUNDLE     load a compiled bundle (.spb; repeatable); it is verified\n"
    "                       before any packet is read and a bad one stops the run.\n"
    "                       NAME defaults to the file's base name\n"
    "  -w N                 worker threads (default: one per core minus one, >= 1)\n"
    "  --split-read         with -r FILE|DIR: each worker reads the files itself and\n"
    "                       keeps its flows' packets (a software fanout), so N workers\n"
    "                       use N threads instead of a reading thread and N workers;\n"
    "                       flows are split among the workers as before\n"
    "  -o FILE              EVE JSON output file ('-' = standard output)\n"
    "  -l DIR               write DIR/eve.json (default: ./eve.json)\n"
    "  --bpf EXPR           libpcap filter applied to the source\n"
    "  --checksum MODE      auto (default: off when the first 1000 packets show\n"
    "                       offloaded checksums), yes, no; -k is an alias\n"
    "                       (-k none = no, -k all = yes)\n"
    "  --midstream          pick up TCP sessions without seeing their handshake\n"
    "  --hash-seed N|random flow hash seed (default: fixed for files, random live)\n"
    "  --realtime           replay a file at the pace of its timestamps\n"
    "  --fanout hash        live: one kernel ring per worker in a fanout group\n"
    "  --inline nfq:N[,M..] inline prevention from netfilter queues (docs/inline.md)\n"
    "  --inline bridge:IF1,IF2  inline prevention bridging two interfaces\n"
    "  --fail-open          inline: accept uninspected when overloaded\n"
    "  --stream-policy P    overlapping TCP data: first (default, bytes seen first\n"
    "                       win) or last (the newest bytes win)\n"
    "  --flow-memcap B      bytes of flow state for all workers (default 128 MiB)\n"
    "  --stream-memcap B    out-of-order bytes held by all flows (default 256 MiB)\n"
    "  --stream-flow-cap B  out-of-order bytes held per flow (default 1 MiB)\n"
    "  --defrag-memcap B    bytes of IP fragments held for reassembly (default 16 MiB)\n"
    "  --app-memcap B       bytes of grammar buffers (partial tokens, messages and\n"
    "                       bodies being parsed) of all flows (default 64 MiB)\n"
    "  --session-memcap B   bytes reserved by meta-session entries (default 256 MiB)\n"
    "  --eve-rotate N       rotate the EVE file by size (100K, 100M, 1G) or by age\n"
    "                       (30s, 15m, 1h, 1d; may be given for both): the file is\n"
    "                       renamed to FILE.N (next free N) and FILE opened anew,\n"
    "                       between two records. SIGUSR1 reopens FILE (logrotate)\n"
    "  --pcap-log alerts    each flow keeps copies of its last packets; when a rule\n"
    "                       alerts on it they and the next ones are written to\n"
    "                       DIR/<flow_id>.pcap, named in the alert (spu.pcap_file)\n"
    "  --pcap-log-dir DIR   where those pcaps go (default: the EVE file's directory)\n"
    "  --pcap-log-packets N packets kept per flow before an alert (default 32)\n"
    "  --pcap-log-after M   packets written after an alert (default 32)\n"
    "  --pcap-log-memcap B  bytes of kept packets for all flows (default 64 MiB); a\n"
    "                       packet over it is not kept (counted)\n"
    "  --stats-interval S   write a stats event every S seconds (default 0: at exit)\n"
    "  --no-progress        no progress line on the terminal\n"
    "  --filestore DIR      store the files of the application layer (HTTP bodies,\n"
    "                       mail attachments) in DIR, each named by its sha256\n"
    "  --filestore-cap B    bytes stored in DIR by this run at most (default 1 GiB);\n"
    "                       a file over it is not stored (fileinfo.stored false)\n"
    "  --force-hash LIST    hash every file with LIST (md5,sha1,sha256; may repeat):\n"
    "                       fileinfo md5/sha1/sha256 (without it only the hashes\n"
    "                       loaded rules read, and sha256 with --filestore)\n"
    "  --force-magic        type every file with libmagic: fileinfo.magic, and\n"
    "                       file_magic/magic_type for rules (null without it, as\n"
    "                       in Suricata: libmagic takes 0.1 to 4 ms per file)\n"
    "  --anomaly-repeat N   applayer anomaly records of one anomaly in one flow\n"
    "                       (default 10; 0: no bound): later ones are counted\n"
    "                       (spu.app.anomalies_folded), and the flow's last\n"
    "                       record of it says how many (spu.folded)\n"
    "  --rule-budget N      VM steps a rule may run per event (default 1000000); a\n"
    "                       rule over it is stopped and counted\n"
    "  --top-rules N        print the N rules that cost the most time at exit (also\n"
    "                       in the stats record: spu.detect.top_rules)\n"
    "  --explain            write an `explain` record for every event with rules: the\n"
    "                       index path and prefilter literals that selected each rule\n"
    "  --classification F   classification.config giving alert categories and\n"
    "                       default severities (e.g. rules/classification.config)\n"
    "  --metrics ADDR:PORT  serve Prometheus metrics over HTTP at /metrics (e.g.\n"
    "                       127.0.0.1:9100, [::1]:9100, :9100 for every address):\n"
    "                       the counters of the stats record, refreshed every second\n"
    "  --metrics-top-rules N  rules exported one by one: the N that cost the most\n"
    "                       time (default 10; also in spu.detect.top_rules)\n"
    "  --metrics-linger S   once the input is fully processed, keep serving the\n"
    "                       final counters for S seconds (or until SIGINT/SIGTERM)\n"
    "\n"
    "SPAM-SOURCE MONITORING (docs/spam.md)\n"
    "  --state URL          where TokenBucket, WindowCount, lists and scores live:\n"
    "                       memory (default) or redis://HOST:PORT (shared by sensors)\n"
    "  --state-max N        entries of the in-memory store (default 262144; least\n"
    "                       recently used evicted)\n"
    "  --local-net CIDRS    comma-separated local networks for IsLocal() (default:\n"
    "                       the addresses of -i IFACE)\n"
    "  --sensor-name NAME   the `sensor` field of tcp.syn and of published counts\n"
    "  --spam-threshold N   a message (`message ends on`) whose rules' scores plus\n"
    "                       its source's Score() exceed N raises spam.message\n"
    "                       (default 10)\n"
    "  --report URL         publish Report() counts per source, at least every\n"
    "                       second, to the stream redis://HOST:PORT/STREAM\n"
    "  --monitor URL        monitor mode, instead of -r/-i: read the stream\n"
    "                       redis://HOST:PORT/STREAM and raise monitor.counts\n"
    "  --eve-redis URL      EVE records also to the stream redis://HOST:PORT/STREAM,\n"
    "                       spooled on disk while Redis is away (nothing lost up to\n"
    "                       the spool's cap; -r waits instead of dropping)\n"
    "  --eve-spool FILE     the spool (default: the EVE file + .spool)\n"
    "  --eve-spool-cap B    its size (default 64 MiB)\n"
    "  -v                   more messages on standard error\n"
    "  -h, --help           this text\n"
    "  -V, --version        the version\n"
    "\n"
    "CONTROL AND DAEMON\n"
    "  --control PATH       serve the control socket (spuctl) at PATH, mode 0600;\n"
    "                       'auto' = /run/spu/spurun.sock as root, else\n"
    "                       $XDG_RUNTIME_DIR/spu/spurun.sock. With no SOURCE spurun\n"
    "                       always serves it and processes the capture files queued\n"
    "                       by 'spuctl pcap FILE', in order, until 'spuctl shutdown'\n"
    "  --config FILE        read options from a JSON object: each key is a long\n"
    "                       option name (\"workers\": 2, \"bundle\": [\"web.spb\"],\n"
    "                       \"midstream\": true); the command line overrides it\n"
    "  --set KEY=VALUE      set one option as the configuration file would\n"
    "  -T, --test-config    check the configuration and load and verify every\n"
    "                       bundle, then exit (0: good, 1: not)\n"
    "  --pidfile FILE       write the process id to FILE (removed at exit)\n"
    "  -u, --user USER      drop to USER once the capture, the output and the\n"
    "                       control socket are open\n"
    "  -g, --group GROUP    drop to GROUP (default: USER's group)\n"
    "  --log-file FILE      log lines go to FILE instead of standard error\n"
    "  --log-level L        error, warning, notice, info or debug (default:\n"
    "                       notice in a file or without a SOURCE, else warning)\n"
    "  Long names of the short options, for --config and --set: bundle (-b),\n"
    "  read (-r), interface (-i), workers (-w), eve (-o), log-dir (-l),\n"
    "  verbose (-v)\n"
    "\n"
    "BENCHMARK BASELINE\n"
    "  --bare               with -r: one thread reads the capture the same way\n"
    "                       (memory-mapped), decodes every packet's headers and\n"
    "                       computes its flow hash, nothing else. Prints one line:\n"
    "                         bare: packets=N bytes=N seconds=S pps=N gbps=G\n"
    "  --bare-json          the same figures as one JSON object on standard output:\n"
    "                         {\"mode\":\"bare\",\"packets\":N,\"bytes\":N,\"seconds\":S,\n"
    "                          \"pps\":N,\"gbps\":G}\n"
    "  A normal run prints, at exit on standard error, one summary line:\n"
    "    spurun: packets=N bytes=N seconds=S pps=N gbps=G flows=N events=N\n"
    "            queue_drops=N kernel_drops=N workers=N\n"
    "\n"
    "EXAMPLES\n"
    "  spuc -o web.spb rules/web.spr && spurun -b web.spb -r trace.pcap -l out/\n"
    "      compile rules, run them on a capture, events in out/eve.json\n"
    "  spurun -b web.spb -i eth0 -w 4 -l /var/log/spu --eve-rotate 1h \\\n"
    "         --metrics 127.0.0.1:9100 --pcap-log alerts\n"
    "      a sensor: hourly EVE files, Prometheus metrics, a pcap per alerting flow\n"
    "  spurun -r trace.pcap --realtime --stats-interval 10 -o -\n"
    "      replay at the capture's pace, EVE lines (stats every 10 s) on stdout\n"
    "\n"
    "With no bundle spurun decodes, tracks flows and reassembles TCP, and writes\n"
    "flow, stats and anomaly events. Exit status: 0, 1 on a capture error (every\n"
    "packet before it is processed and its events written), 2 on usage errors.\n";

const char *config_usage(void)
{
    return usage;
}

enum {
    OPT_BPF = 256,
    OPT_CONTROL,
    OPT_PIDFILE,
    OPT_LOG_FILE,
    OPT_LOG_LEVEL,
    OPT_CHECKSUM,
    OPT_MIDSTREAM,
    OPT_SEED,
    OPT_REALTIME,
    OPT_FANOUT,
    OPT_INLINE,
    OPT_FAIL_OPEN,
    OPT_BARE,
    OPT_BARE_JSON,
    OPT_STATS,
    OPT_POLICY,
    OPT_FLOW_MEMCAP,
    OPT_STREAM_MEMCAP,
    OPT_STREAM_FLOW_CAP,
    OPT_DEFRAG_MEMCAP,
    OPT_APP_MEMCAP,
    OPT_SESSION_MEMCAP,
    OPT_NO_PROGRESS,
    OPT_RULE_BUDGET,
    OPT_TOP_RULES,
    OPT_EXPLAIN,
    OPT_CLASSIFICATION,
    OPT_METRICS,
    OPT_METRICS_LINGER,
    OPT_METRICS_TOP,
    OPT_EVE_ROTATE,
    OPT_PCAP_LOG,
    OPT_PCAP_LOG_DIR,
    OPT_PCAP_LOG_PACKETS,
    OPT_PCAP_LOG_AFTER,
    OPT_PCAP_LOG_MEMCAP,
    OPT_STATE,
    OPT_STATE_MAX,
    OPT_LOCAL_NET,
    OPT_SENSOR_NAME,
    OPT_SPAM_THRESHOLD,
    OPT_REPORT,
    OPT_MONITOR,
    OPT_EVE_REDIS,
    OPT_EVE_SPOOL,
    OPT_EVE_SPOOL_CAP,
    OPT_FILESTORE,
    OPT_FILESTORE_CAP,
    OPT_FORCE_MAGIC,
    OPT_FORCE_HASH,
    OPT_SPLIT_READ,
    OPT_ANOMALY_REPEAT,
};

static const struct option longopts[] = {
    {"bpf", required_argument, NULL, OPT_BPF},
    {"control", required_argument, NULL, OPT_CONTROL},
    {"pidfile", required_argument, NULL, OPT_PIDFILE},
    {"log-file", required_argument, NULL, OPT_LOG_FILE},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"test-config", no_argument, NULL, 'T'},
    {"user", required_argument, NULL, 'u'},
    {"group", required_argument, NULL, 'g'},
    {"bundle", required_argument, NULL, 'b'},
    {"read", required_argument, NULL, 'r'},
    {"interface", required_argument, NULL, 'i'},
    {"workers", required_argument, NULL, 'w'},
    {"eve", required_argument, NULL, 'o'},
    {"log-dir", required_argument, NULL, 'l'},
    {"verbose", no_argument, NULL, 'v'},
    {"checksum", required_argument, NULL, OPT_CHECKSUM},
    {"midstream", no_argument, NULL, OPT_MIDSTREAM},
    {"hash-seed", required_argument, NULL, OPT_SEED},
    {"realtime", no_argument, NULL, OPT_REALTIME},
    {"fanout", required_argument, NULL, OPT_FANOUT},
    {"inline", required_argument, NULL, OPT_INLINE},
    {"fail-open", no_argument, NULL, OPT_FAIL_OPEN},
    {"bare", no_argument, NULL, OPT_BARE},
    {"bare-json", no_argument, NULL, OPT_BARE_JSON},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"stream-policy", required_argument, NULL, OPT_POLICY},
    {"flow-memcap", required_argument, NULL, OPT_FLOW_MEMCAP},
    {"stream-memcap", required_argument, NULL, OPT_STREAM_MEMCAP},
    {"stream-flow-cap", required_argument, NULL, OPT_STREAM_FLOW_CAP},
    {"defrag-memcap", required_argument, NULL, OPT_DEFRAG_MEMCAP},
    {"app-memcap", required_argument, NULL, OPT_APP_MEMCAP},
    {"session-memcap", required_argument, NULL, OPT_SESSION_MEMCAP},
    {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
    {"rule-budget", required_argument, NULL, OPT_RULE_BUDGET},
    {"top-rules", required_argument, NULL, OPT_TOP_RULES},
    {"explain", no_argument, NULL, OPT_EXPLAIN},
    {"classification", required_argument, NULL, OPT_CLASSIFICATION},
    {"metrics", required_argument, NULL, OPT_METRICS},
    {"metrics-linger", required_argument, NULL, OPT_METRICS_LINGER},
    {"metrics-top-rules", required_argument, NULL, OPT_METRICS_TOP},
    {"eve-rotate", required_argument, NULL, OPT_EVE_ROTATE},
    {"pcap-log", required_argument, NULL, OPT_PCAP_LOG},
    {"pcap-log-dir", required_argument, NULL, OPT_PCAP_LOG_DIR},
    {"pcap-log-packets", required_argument, NULL, OPT_PCAP_LOG_PACKETS},
    {"pcap-log-after", required_argument, NULL, OPT_PCAP_LOG_AFTER},
    {"pcap-log-memcap", required_argument, NULL, OPT_PCAP_LOG_MEMCAP},
    {"state", required_argument, NULL, OPT_STATE},
    {"state-max", required_argument, NULL, OPT_STATE_MAX},
    {"local-net", required_argument, NULL, OPT_LOCAL_NET},
    {"sensor-name", required_argument, NULL, OPT_SENSOR_NAME},
    {"spam-threshold", required_argument, NULL, OPT_SPAM_THRESHOLD},
    {"report", required_argument, NULL, OPT_REPORT},
    {"monitor", required_argument, NULL, OPT_MONITOR},
    {"eve-redis", required_argument, NULL, OPT_EVE_REDIS},
    {"eve-spool", required_argument, NULL, OPT_EVE_SPOOL},
    {"eve-spool-cap", required_argument, NULL, OPT_EVE_SPOOL_CAP},
    {"filestore", required_argument, NULL, OPT_FILESTORE},
    {"filestore-cap", required_argument, NULL, OPT_FILESTORE_CAP},
    {"force-magic", no_argument, NULL, OPT_FORCE_MAGIC},
    {"force-hash", required_argument, NULL, OPT_FORCE_HASH},
    {"split-read", no_argument, NULL, OPT_SPLIT_READ},
    {"anomaly-repeat", required_argument, NULL, OPT_ANOMALY_REPEAT},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* --eve-rotate: a size (K/M/G, or k/g) or an age (s, m, h, d). */
static int rotate_arg(struct config *c, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *s == '-' || v == 0 || (end[0] && end[1]))
        return SPU_EINVAL;
    uint64_t bytes = 0, secs = 0;
    switch (*end) {
    case 'k':
    case 'K':
        bytes = 1ULL << 10;
        break;
    case 'M':
        bytes = 1ULL << 20;
        break;
    case 'g':
    case 'G':
        bytes = 1ULL << 30;
        break;
    case 's':
        secs = 1;
        break;
    case 'm':
        secs = 60;
        break;
    case 'h':
        secs = 3600;
        break;
    case 'd':
        secs = 86400;
        break;
    default:
        return SPU_EINVAL; /* a bare number says neither size nor age */
    }
    if (bytes) {
        if (v > (1ULL << 50) / bytes)
            return SPU_EINVAL;
        c->eve_rotate_bytes = v * bytes;
    } else {
        if (v > 366ULL * 86400 / secs)
            return SPU_EINVAL;
        c->eve_rotate_seconds = v * secs;
    }
    return SPU_OK;
}

int config_option_arg(const char *name)
{
    for (const struct option *o = longopts; o->name; o++)
        if (strcmp(o->name, name) == 0 && strcmp(name, "help") != 0 && strcmp(name, "version") != 0)
            return o->has_arg == required_argument ? 1 : 0;
    return -1;
}

/* "md5,sha1,sha256" (any of them, in any order; "none" adds nothing) into
 * SPU_HASH_* bits ORed into *out. */
static int hash_list(const char *s, unsigned *out)
{
    unsigned m = 0;
    while (*s) {
        size_t n = strcspn(s, ", ");
        unsigned bit = spu_hash_bit(s, n);
        if (bit)
            m |= bit;
        else if (!(n == 4 && !strncmp(s, "none", 4)))
            return SPU_EINVAL;
        s += n;
        s += strspn(s, ", ");
    }
    *out |= m;
    return SPU_OK;
}

static int number(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *s == '-')
        return SPU_EINVAL;
    uint64_t mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1024;
    else if (*end == 'm' || *end == 'M')
        mult = 1024 * 1024;
    else if (*end == 'g' || *end == 'G')
        mult = 1024ULL * 1024 * 1024;
    if (mult != 1)
        end++;
    if (*end || v > max / mult)
        return SPU_EINVAL;
    *out = v * mult;
    return SPU_OK;
}

int config_parse(struct config *c, int argc, char **argv, struct spu_error *err)
{
    memset(c, 0, sizeof(*c));
    c->checksum = CHECKSUM_AUTO;
    c->stream_policy = STREAM_POLICY_FIRST;
    c->flow_memcap = 128ULL << 20;
    c->filestore_cap = 1ULL << 30;
    c->anomaly_repeat = CONFIG_ANOMALY_REPEAT;
    c->stream_memcap = 256ULL << 20;
    c->stream_flow_cap = 1ULL << 20;
    c->defrag_memcap = 16ULL << 20;
    c->app_memcap = 64ULL << 20;
    c->session_memcap = 256ULL << 20;
    c->progress = true;
    c->metrics_top = 10;
    c->pcap_log_packets = 32;
    c->pcap_log_after = 32;
    c->pcap_log_memcap = 64ULL << 20;
    c->spam_threshold = 10;
    c->log_level = -1;
    const char *log_dir = NULL;
    optind = 1;
    opterr = 0;
    int ch;
    uint64_t v;
    while ((ch = getopt_long(argc, argv, ":b:r:i:w:o:l:k:u:g:vhTV", longopts, NULL)) != -1) {
        switch (ch) {
        case 'b': {
            if (c->nbundles == CONFIG_MAX_BUNDLES)
                return spu_error_set(err, SPU_ELIMIT, "-b: at most %d bundles",
                                     CONFIG_MAX_BUNDLES);
            struct config_bundle *b = &c->bundles[c->nbundles];
            const char *eq = strchr(optarg, '=');
            const char *slash = strrchr(optarg, '/');
            if (eq && (!slash || eq < slash)) {
                if (eq == optarg || (size_t)(eq - optarg) >= sizeof(b->name))
                    return spu_error_set(err, SPU_EINVAL, "-b: bad bundle name in '%s'", optarg);
                snprintf(b->name, sizeof(b->name), "%.*s", (int)(eq - optarg), optarg);
                b->path = eq + 1;
            } else {
                const char *base = slash ? slash + 1 : optarg;
                const char *dot = strrchr(base, '.');
                size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
                snprintf(b->name, sizeof(b->name), "%.*s", (int)n, base);
                b->path = optarg;
            }
            if (!*b->path)
                return spu_error_set(err, SPU_EINVAL, "-b: no bundle file in '%s'", optarg);
            for (unsigned i = 0; i < c->nbundles; i++)
                if (strcmp(c->bundles[i].name, b->name) == 0)
                    return spu_error_set(err, SPU_EEXIST, "-b: two bundles named '%s'", b->name);
            c->nbundles++;
            break;
        }
        case 'r':
            c->read_path = optarg;
            break;
        case 'i':
            c->iface = optarg;
            break;
        case 'w':
            if (number(optarg, 1024, &v) != SPU_OK || v == 0)
                return spu_error_set(err, SPU_EINVAL, "-w: expected 1..1024, got '%s'", optarg);
            c->workers = (unsigned)v;
            break;
        case 'o':
            c->eve_path = optarg;
            break;
        case 'l':
            log_dir = optarg;
            break;
        case 'k':
        case OPT_CHECKSUM:
            if (!strcmp(optarg, "auto"))
                c->checksum = CHECKSUM_AUTO;
            else if (!strcmp(optarg, "yes") || !strcmp(optarg, "all"))
                c->checksum = CHECKSUM_YES;
            else if (!strcmp(optarg, "no") || !strcmp(optarg, "none"))
                c->checksum = CHECKSUM_NO;
            else
                return spu_error_set(err, SPU_EINVAL, "--checksum: expected auto, yes or no");
            break;
        case OPT_BPF:
            c->bpf = optarg;
            break;
        case OPT_MIDSTREAM:
            c->midstream = true;
            break;
        case OPT_SEED:
            if (!strcmp(optarg, "random")) {
                c->seed_random = true;
            } else {
                if (number(optarg, UINT32_MAX, &v) != SPU_OK)
                    return spu_error_set(err, SPU_EINVAL, "--hash-seed: expected a 32-bit "
                                                          "number or 'random'");
                c->seed_given = true;
                c->seed = (uint32_t)v;
            }
            break;
        case OPT_REALTIME:
            c->realtime = true;
            break;
        case OPT_INLINE:
            c->inline_spec = optarg;
            break;
        case OPT_FAIL_OPEN:
            c->fail_open = true;
            break;
        case OPT_FANOUT:
            if (strcmp(optarg, "hash") != 0)
                return spu_error_set(err, SPU_EINVAL, "--fanout: only 'hash' is supported");
            c->fanout = 1;
            break;
        case OPT_BARE:
            c->bare = true;
            break;
        case OPT_BARE_JSON:
            c->bare = true;
            c->bare_json = true;
            break;
        case OPT_STATS:
            if (number(optarg, 86400, &v) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL, "--stats-interval: expected seconds");
            c->stats_interval = (unsigned)v;
            break;
        case OPT_POLICY:
            if (!strcmp(optarg, "first"))
                c->stream_policy = STREAM_POLICY_FIRST;
            else if (!strcmp(optarg, "last"))
                c->stream_policy = STREAM_POLICY_LAST;
            else
                return spu_error_set(err, SPU_EINVAL, "--stream-policy: expected first or last");
            break;
        case OPT_FILESTORE:
            c->filestore = optarg;
            break;
        case OPT_FLOW_MEMCAP:
        case OPT_STREAM_MEMCAP:
        case OPT_STREAM_FLOW_CAP:
        case OPT_DEFRAG_MEMCAP:
        case OPT_APP_MEMCAP:
        case OPT_SESSION_MEMCAP:
        case OPT_FILESTORE_CAP:
            if (number(optarg, 1ULL << 40, &v) != SPU_OK || v == 0)
                return spu_error_set(err, SPU_EINVAL, "%s: expected a size in bytes (k/m/g)",
                                     argv[optind - 2 >= 0 ? optind - 2 : 0]);
            if (ch == OPT_FLOW_MEMCAP)
                c->flow_memcap = v;
            else if (ch == OPT_STREAM_MEMCAP)
                c->stream_memcap = v;
            else if (ch == OPT_DEFRAG_MEMCAP)
                c->defrag_memcap = v;
            else if (ch == OPT_FILESTORE_CAP)
                c->filestore_cap = v;
            else if (ch == OPT_APP_MEMCAP)
                c->app_memcap = v;
            else if (ch == OPT_SESSION_MEMCAP)
                c->session_memcap = v;
            else
                c->stream_flow_cap = v;
            break;
        case OPT_NO_PROGRESS:
            c->progress = false;
            break;
        case OPT_SPLIT_READ:
            c->split_read = true;
            break;
        case OPT_FORCE_MAGIC:
            c->force_magic = true;
            break;
        case OPT_FORCE_HASH:
            if (hash_list(optarg, &c->force_hash) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL,
                                     "--force-hash: expected md5, sha1, sha256 separated by "
                                     "commas, got '%s'",
                                     optarg);
            break;
        case OPT_ANOMALY_REPEAT:
            if (number(optarg, 1000000000, &v) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL, "--anomaly-repeat: expected a count");
            c->anomaly_repeat = (unsigned)v;
            break;
        case OPT_RULE_BUDGET:
            if (number(optarg, 1ULL << 40, &v) != SPU_OK || v == 0)
                return spu_error_set(err, SPU_EINVAL, "--rule-budget: expected steps > 0");
            c->rule_budget = v;
            break;
        case OPT_TOP_RULES:
            if (number(optarg, 100000, &v) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL, "--top-rules: expected a count");
            c->top_rules = (unsigned)v;
            break;
        case OPT_EXPLAIN:
            c->explain = true;
            break;
        case OPT_CLASSIFICATION:
            c->classification = optarg;
            break;
        case OPT_PCAP_LOG:
            if (strcmp(optarg, "alerts") != 0)
                return spu_error_set(err, SPU_EINVAL, "--pcap-log: only 'alerts' is supported");
            c->pcap_log = true;
            break;
        case OPT_PCAP_LOG_DIR:
            c->pcap_log_dir = optarg;
            break;
        case OPT_PCAP_LOG_PACKETS:
            if (number(optarg, 4096, &v) != SPU_OK || v == 0)
                return spu_error_set(err, SPU_EINVAL, "--pcap-log-packets: expected 1..4096");
            c->pcap_log_packets = (unsigned)v;
            break;
        case OPT_PCAP_LOG_AFTER:
            if (number(optarg, 1000000, &v) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL, "--pcap-log-after: expected 0..1000000");
            c->pcap_log_after = (unsigned)v;
            break;
        case OPT_PCAP_LOG_MEMCAP:
            if (number(optarg, 1ULL << 40, &v) != SPU_OK || v == 0)
                return spu_error_set(err, SPU_EINVAL, "--pcap-log-memcap: expected a size");
            c->pcap_log_memcap = v;
            break;
        case OPT_EVE_ROTATE:
            if (rotate_arg(c, optarg) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL,
                                     "--eve-rotate: expected a size (100M) "
                                     "or an age (1h), got '%s'",
                                     optarg);
            break;
        case OPT_METRICS:
            c->metrics = optarg;
            break;
        case OPT_METRICS_TOP:
            if (number(optarg, 100000, &v) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL, "--metrics-top-rules: expected a count");
            c->metrics_top = (unsigned)v;
            break;
        case OPT_METRICS_LINGER:
            if (number(optarg, 86400, &v) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL, "--metrics-linger: expected seconds");
            c->metrics_linger = (unsigned)v;
            break;
        case OPT_STATE:
            c->state_url = optarg;
            break;
        case OPT_STATE_MAX:
            if (number(optarg, UINT32_MAX, &v) != SPU_OK || v < 16)
                return spu_error_set(err, SPU_EINVAL, "--state-max: expected entries >= 16");
            c->state_max = (size_t)v;
            break;
        case OPT_LOCAL_NET:
            c->local_net = optarg;
            break;
        case OPT_SENSOR_NAME:
            c->sensor_name = optarg;
            break;
        case OPT_SPAM_THRESHOLD:
            if (number(optarg, 1000000000, &v) != SPU_OK)
                return spu_error_set(err, SPU_EINVAL, "--spam-threshold: expected a score >= 0");
            c->spam_threshold = (int64_t)v;
            break;
        case OPT_REPORT:
            c->report_url = optarg;
            break;
        case OPT_MONITOR:
            c->monitor_url = optarg;
            break;
        case OPT_EVE_REDIS:
            c->eve_redis = optarg;
            break;
        case OPT_EVE_SPOOL:
            c->eve_spool = optarg;
            break;
        case OPT_EVE_SPOOL_CAP:
            if (number(optarg, 1ULL << 40, &c->eve_spool_cap) != SPU_OK || c->eve_spool_cap < 4096)
                return spu_error_set(err, SPU_EINVAL, "--eve-spool-cap: expected bytes >= 4096");
            break;
        case 'v':
            c->verbose++;
            break;
        case OPT_CONTROL:
            c->control = optarg;
            break;
        case OPT_PIDFILE:
            c->pidfile = optarg;
            break;
        case OPT_LOG_FILE:
            c->log_file = optarg;
            break;
        case OPT_LOG_LEVEL:
            c->log_level = logger_level_parse(optarg);
            if (c->log_level < 0)
                return spu_error_set(err, SPU_EINVAL, "--log-level: expected error, warning, "
                                                      "notice, info or debug");
            break;
        case 'T':
            c->test = true;
            break;
        case 'u':
            c->user = optarg;
            break;
        case 'g':
            c->group = optarg;
            break;
        case 'h':
            return CONFIG_HELP;
        case 'V':
            return CONFIG_VERSION;
        case ':':
            return spu_error_set(err, SPU_EINVAL, "option %s needs an argument",
                                 argv[optind - 1]);
        default:
            return spu_error_set(err, SPU_EINVAL, "unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return spu_error_set(err, SPU_EINVAL, "unexpected argument '%s'", argv[optind]);
    if (c->inline_spec && (c->read_path || c->iface))
        return spu_error_set(err, SPU_EINVAL, "--inline is the packet source: no -r or -i");
    if (c->fail_open && !c->inline_spec)
        return spu_error_set(err, SPU_EINVAL, "--fail-open applies to --inline");
    if (c->monitor_url && (c->read_path || c->iface))
        return spu_error_set(err, SPU_EINVAL, "--monitor reads a stream: no -r or -i");
    if (!c->read_path && !c->iface && !c->inline_spec && !c->test && !c->monitor_url) {
        if (c->bare)
            return spu_error_set(err, SPU_EINVAL, "--bare reads a capture: give -r");
        /* no source: wait for capture files queued through the socket */
        c->queue_mode = true;
        if (!c->control)
            c->control = "auto";
    }
    if (c->control && !*c->control)
        return spu_error_set(err, SPU_EINVAL, "--control: empty path");
    if (c->read_path && c->iface)
        return spu_error_set(err, SPU_EINVAL, "-r and -i are exclusive");
    if (c->eve_path && log_dir)
        return spu_error_set(err, SPU_EINVAL, "-o and -l are exclusive");
    if (c->bare && !c->read_path)
        return spu_error_set(err, SPU_EINVAL, "--bare reads a capture: give -r");
    if (c->split_read && (!c->read_path || c->bare || strcmp(c->read_path, "-") == 0))
        return spu_error_set(err, SPU_EINVAL,
                             "--split-read applies to -r FILE|DIR (not -, not --bare): "
                             "each worker reads the files itself");
    if (c->fanout && !c->iface)
        return spu_error_set(err, SPU_EINVAL, "--fanout applies to live capture (-i)");
    if (c->metrics_linger && !c->metrics)
        return spu_error_set(err, SPU_EINVAL, "--metrics-linger needs --metrics");
    if (!c->workers) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->workers = n > 1 ? (unsigned)(n - 1) : 1;
    }
    if (log_dir) {
        snprintf(c->eve_buf, sizeof(c->eve_buf), "%s/eve.json", log_dir);
        c->eve_path = c->eve_buf;
    } else if (!c->eve_path) {
        c->eve_path = "eve.json";
    }
    if ((c->pcap_log_dir || c->pcap_log_packets != 32 || c->pcap_log_after != 32 ||
         c->pcap_log_memcap != 64ULL << 20) &&
        !c->pcap_log)
        return spu_error_set(err, SPU_EINVAL, "--pcap-log-* options need --pcap-log alerts");
    if (c->pcap_log && !c->pcap_log_dir) {
        const char *slash = strrchr(c->eve_path, '/');
        if (!slash || strcmp(c->eve_path, "-") == 0)
            snprintf(c->pcap_log_dir_buf, sizeof(c->pcap_log_dir_buf), ".");
        else
            snprintf(c->pcap_log_dir_buf, sizeof(c->pcap_log_dir_buf), "%.*s",
                     (int)(slash - c->eve_path), c->eve_path);
        c->pcap_log_dir = c->pcap_log_dir_buf;
    }
    if (c->eve_redis && !c->eve_spool) {
        snprintf(c->spool_buf, sizeof(c->spool_buf), "%s.spool",
                 strcmp(c->eve_path, "-") == 0 ? "eve.json" : c->eve_path);
        c->eve_spool = c->spool_buf;
    }
    return CONFIG_RUN;
}
