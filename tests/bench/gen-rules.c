/*
 * gen-rules - write a realistic rule set for the compile benchmark
 * (make bench-compile): N rules on one request event, deterministic for a
 * seed. Single-threaded tool; writes the rules on stdout.
 *
 *   gen-rules [-n N] [-s SEED] [-p PROTO] [-e EVENT] [-H HOST] [-d DIR] [-x EXT]
 *             [-u URI] [-a AGENT] [-S]
 *
 * Defaults fit tests/bench/web.spg (import web; event web.req; fields
 * host, url.directory, url.ext, uri, headers["user-agent"]); the options
 * name the protocol, the event and each field, so the same rules can be
 * written for another request grammar (e.g. -p http -e http.request).
 *
 * The mix, per rule: a host test (about 60%: equality with one of ~N/4
 * hosts, an ends_with domain, or a list), a directory test (about 50%:
 * equality or starts_with, some case-insensitive), an extension test
 * (about 40%: equality, an inline list, a declared list), one or two
 * literal tests on the URI or the user agent (`~ "lit"`, contains,
 * StringInString), about 10% with a regex on the URI, a few with `||`
 * (not prefilterable) and a few with flow state; sids from 1000000,
 * msg, rev, classtype, priority, an action (Alert, some Drop or Log).
 *
 * Those terms alone make loose rules: a rule may be just `url.ext in
 * script_ext`, `StringInString(uri, "id=")` or `user_agent ~ "curl/"`,
 * so on real traffic most selected rules match (on the bench's mix, 887
 * of 946 candidates) and about six alerts are written per request. Real
 * rule sets rarely fire: nearly every signature carries a content of its
 * own. -S (specific) adds to every rule one such literal on the URI (a
 * generated word with a number next to an attack marker); without -S the
 * loose rules are kept, to measure the case where rules match.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t rng;

static uint32_t rnd(uint32_t n)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)((rng >> 33) % n);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const syl[] = {"ad", "min", "log", "in", "up", "load", "api", "v", "cms",
                                  "wp", "con", "tent", "img", "stat", "ic", "shop", "cart",
                                  "user", "auth", "test", "dev", "data", "file", "x"};
static const char *const tlds[] = {"com", "net", "org", "example", "test", "io"};
static const char *const exts[] = {"php", "asp", "aspx", "jsp", "cgi", "pl", "exe", "dll",
                                   "js", "html", "zip", "jar", "sh", "bak", "sql", "ini"};
static const char *const lits[] = {"select", "union", "passwd", "../", "cmd=", "<script",
                                   "eval(", "base64_decode", "wget ", "/etc/", "%00", "xp_",
                                   "id=", "shell", "exec", "benchmark("};
static const char *const agents[] = {"sqlmap", "nikto", "curl/", "python-requests", "masscan",
                                     "zgrab", "Go-http-client", "nmap", "dirbuster", "wpscan"};
static const char *const classes[] = {"web-application-attack", "web-application-activity",
                                      "attempted-recon", "trojan-activity", "policy-violation"};

struct names {
    const char *proto, *event, *host, *dir, *ext, *uri, *agent;
    int specific; /* -S: every rule needs a literal of its own (see the top) */
};

/* A word of 1 to 3 syllables and, with k, a number. */
static void word(char *out, size_t n, int k)
{
    size_t len = 0;
    unsigned ns = 1 + rnd(3);
    out[0] = '\0';
    for (unsigned i = 0; i < ns && len + 8 < n; i++)
        len += (size_t)snprintf(out + len, n - len, "%s", syl[rnd(N(syl))]);
    if (k && len + 8 < n)
        snprintf(out + len, n - len, "%u", rnd(100));
}

static void host_test(const struct names *nm, uint32_t nhosts)
{
    char w[32];
    uint32_t h = rnd(nhosts);
    uint64_t save = rng;
    rng = h * 0x9e3779b97f4a7c15ull + 1; /* the same host name for the same h */
    word(w, sizeof(w), 1);
    const char *tld = tlds[rnd(N(tlds))];
    rng = save;
    switch (rnd(10)) {
    case 0:
    case 1:
        printf("ends_with(%s, \".%s.%s\")", nm->host, w, tld);
        break;
    case 2:
        printf("%s in { \"www.%s.%s\", \"%s.%s\" }", nm->host, w, tld, w, tld);
        break;
    default:
        printf("%s == \"www.%s.%s\"", nm->host, w, tld);
        break;
    }
}

static void dir_test(const struct names *nm)
{
    char a[32], b[32];
    word(a, sizeof(a), 0);
    word(b, sizeof(b), 0);
    switch (rnd(6)) {
    case 0:
        printf("starts_with(%s, \"/%s/\")", nm->dir, a);
        break;
    case 1:
        printf("starts_with(%s, \"/%s/\", nocase: true)", nm->dir, a);
        break;
    case 2:
        printf("%s == \"/%s/\"", nm->dir, a);
        break;
    default:
        printf("%s == \"/%s/%s/\"", nm->dir, a, b);
        break;
    }
}

static void ext_test(const struct names *nm)
{
    switch (rnd(5)) {
    case 0:
        printf("%s in { \"%s\", \"%s\" }", nm->ext, exts[rnd(N(exts))], exts[rnd(N(exts))]);
        break;
    case 1:
        printf("%s in %s", nm->ext, rnd(2) ? "script_ext" : "binary_ext");
        break;
    default:
        printf("%s == \"%s\"", nm->ext, exts[rnd(N(exts))]);
        break;
    }
}

/* A literal of the rule's own: a generated word with a number next to
 * an attack marker, in the URI, as most real signatures have one. */
static void specific_test(const struct names *nm)
{
    char w[32];
    word(w, sizeof(w), 1);
    if (rnd(2))
        printf("contains(%s, \"%s%s\")", nm->uri, lits[rnd(N(lits))], w);
    else
        printf("%s ~ \"%s=%s\"", nm->uri, w, lits[rnd(N(lits))]);
}

static void literal_test(const struct names *nm)
{
    char w[32];
    word(w, sizeof(w), 0);
    switch (rnd(6)) {
    case 0:
        printf("contains(%s, \"%s%s\")", nm->uri, lits[rnd(N(lits))], w);
        break;
    case 1:
        printf("StringInString(%s, \"%s\", nocase: true)", nm->uri, lits[rnd(N(lits))]);
        break;
    case 2:
        printf("%s ~ \"%s\"", nm->agent, agents[rnd(N(agents))]);
        break;
    default:
        printf("%s ~ \"%s=%s\"", nm->uri, w, lits[rnd(N(lits))]);
        break;
    }
}

/* A literal inside a regex: '/' and the metacharacters escaped. */
static void re_lit(const char *s)
{
    for (; *s; s++)
        printf("%s%c", strchr("/\\.^$|?*+()[]{}", *s) ? "\\" : "", *s);
}

static void regex_test(const struct names *nm)
{
    char w[32];
    word(w, sizeof(w), 0);
    switch (rnd(4)) {
    case 0:
        printf("%s ~ /\\/%s\\/[a-z0-9_]+\\.(php|asp)\\?id=[0-9]+/i", nm->uri, w);
        break;
    case 1:
        printf("%s ~ /%s[^&]*(union|select)\\s+/i", nm->uri, w);
        break;
    case 2:
        printf("%s ~ /^(", nm->agent);
        re_lit(agents[rnd(N(agents))]);
        printf("|");
        re_lit(agents[rnd(N(agents))]);
        printf(")\\/[0-9]+\\.[0-9]+/");
        break;
    default:
        printf("%s ~ /\\.\\.(\\/|%%2f){%u,}/i", nm->uri, 2 + rnd(3));
        break;
    }
}

static void rule(const struct names *nm, uint32_t i, uint32_t nhosts)
{
    char w[32];
    word(w, sizeof(w), 1);
    printf("rule sid %u rev %u \"bench %s %u\" classtype %s priority %u on %s {\n",
           1000000 + i, 1 + rnd(5), w, i, classes[rnd(N(classes))], 1 + rnd(3), nm->event);
    unsigned n = 0;
    printf("    if (");
    if (rnd(10) < 6) {
        host_test(nm, nhosts);
        n++;
    }
    if (rnd(10) < 5) {
        printf("%s", n++ ? " && " : "");
        dir_test(nm);
    }
    if (rnd(10) < 4) {
        printf("%s", n++ ? " && " : "");
        ext_test(nm);
    }
    unsigned nl = n ? rnd(2) : 1 + rnd(2);
    if (nm->specific) {
        printf("%s", n++ ? " && " : "");
        specific_test(nm);
    }
    for (unsigned k = 0; k < nl; k++) {
        printf("%s", n++ ? " && " : "");
        literal_test(nm);
    }
    if (rnd(20) == 0) { /* an alternative: the rule is not prefiltered */
        printf("%s(", n++ ? " && " : "");
        literal_test(nm);
        printf(" || ");
        literal_test(nm);
        printf(")");
    }
    if (rnd(10) == 0) {
        printf("%s", n++ ? " && " : "");
        regex_test(nm);
    }
    printf(") {\n");
    if (rnd(15) == 0)
        printf("        flow.hits += 1;\n        if (flow.hits > %u)\n    ", 1 + rnd(10));
    switch (rnd(12)) {
    case 0:
        printf("        Drop();\n");
        break;
    case 1:
        printf("        Log(%s);\n", nm->uri);
        break;
    default:
        printf("        Alert();\n");
        break;
    }
    printf("    }\n}\n");
}

static void usage(void)
{
    fprintf(stderr, "usage: gen-rules [-n N] [-s SEED] [-p PROTO] [-e EVENT] [-H HOST] [-d DIR]"
                    " [-x EXT] [-u URI] [-a AGENT] [-S]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct names nm = {"web",     "web.req", "host", "url.directory",
                       "url.ext", "uri",     "headers[\"user-agent\"]", 0};
    unsigned long n = 1000;
    rng = 1;
    int c;
    while ((c = getopt(argc, argv, "n:s:p:e:H:d:x:u:a:Sh")) != -1) {
        switch (c) {
        case 'S':
            nm.specific = 1;
            break;
        case 'n':
            n = strtoul(optarg, NULL, 10);
            break;
        case 's':
            rng = strtoull(optarg, NULL, 10);
            break;
        case 'p':
            nm.proto = optarg;
            break;
        case 'e':
            nm.event = optarg;
            break;
        case 'H':
            nm.host = optarg;
            break;
        case 'd':
            nm.dir = optarg;
            break;
        case 'x':
            nm.ext = optarg;
            break;
        case 'u':
            nm.uri = optarg;
            break;
        case 'a':
            nm.agent = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || n == 0 || n > 10000000)
        usage();
    printf("// %lu generated rules (tests/bench/gen-rules.c)\n", n);
    printf("import %s;\n\n", nm.proto);
    printf("list script_ext = { \"php\", \"asp\", \"aspx\", \"jsp\", \"cgi\", \"pl\" };\n");
    printf("list binary_ext = { \"exe\", \"dll\", \"jar\", \"zip\", \"sh\" };\n");
    printf("flow { int hits; }\n\n");
    uint32_t nhosts = (uint32_t)(n / 4 + 1);
    for (uint32_t i = 0; i < n; i++)
        rule(&nm, i, nhosts);
    return fflush(stdout) == 0 ? 0 : 1;
}
