/*
 * bundle-format.h - the on-disk layout of a bundle (.spb).
 *
 * Written by spuc (compiler/bundle-write.c), read and verified by the VM
 * library (bundle.c, verify.c). All integers are little-endian; spurun
 * refuses a bundle on a host whose byte order differs (endian probe).
 *
 *   offset 0   struct spu_bhdr        (SPU_BHDR_SIZE bytes)
 *              struct spu_bsect[nsections]
 *              section data, each 8-byte aligned, in section-id order,
 *              non-overlapping, inside the file
 *
 * Every cross-reference is an index or (offset, length) that the verifier
 * checks against the section it points into before anything uses it. A
 * reference to "nothing" is SPU_NONE. Strings live in STRTAB and are
 * referenced by struct spu_bstr; arrays of u32 (ports, id lists) live in the
 * U32 pool and are referenced by (off, n) in u32 units.
 *
 * Identical input gives a byte-identical bundle: no timestamps, no
 * addresses, every table sorted or in source order.
 */
#ifndef SPU_BUNDLE_FORMAT_H
#define SPU_BUNDLE_FORMAT_H

#include <stdint.h>

#define SPU_BUNDLE_MAGIC "SPUBNDL\x1a" /* 8 bytes; \x1a stops `type` on DOS */
#define SPU_BUNDLE_VERSION 2u
#define SPU_BUNDLE_ENDIAN 0x01020304u
#define SPU_NONE 0xffffffffu
#define SPU_BHDR_SIZE 128u

struct spu_bstr {
    uint32_t off; /* byte offset in STRTAB */
    uint32_t len;
};

struct spu_bhdr {
    char magic[8];
    uint32_t version;     /* SPU_BUNDLE_VERSION */
    uint32_t hdr_size;    /* SPU_BHDR_SIZE */
    uint32_t endian;      /* SPU_BUNDLE_ENDIAN as written by the producer */
    uint16_t insn_size;   /* sizeof(struct spu_insn) == 8 */
    uint16_t value_size;  /* sizeof(struct spu_value) == 16 (probe) */
    uint32_t nsections;
    uint32_t flags;       /* SPU_BF_* */
    uint64_t file_size;   /* must equal the file's size */
    uint8_t checksum[32]; /* SHA-256 of the whole file with this field and the
                             SIG section's data zeroed (the signature signs it) */
    uint8_t stdlib_fp[32];/* fingerprint of the builtin/filter/record/event tables */
    uint8_t reserved[24];
};
_Static_assert(sizeof(struct spu_bhdr) == SPU_BHDR_SIZE, "bundle header size");

enum { SPU_BF_SIGNED = 1u << 0 };

struct spu_bsect {
    uint32_t id;      /* SPU_SEC_* */
    uint32_t entsize; /* size of one entry (1 for byte blobs) */
    uint64_t offset;  /* from the start of the file, 8-aligned */
    uint64_t size;    /* bytes; a multiple of entsize */
};

#define SPU_SECTION_LIST(X)                                                    \
    X(STRTAB, 1, "strtab")   /* bytes */                                       \
    X(U32, 2, "u32")         /* uint32_t pool */                               \
    X(GLOBALS, 3, "globals") /* one struct spu_bglobals */                     \
    X(CONST, 4, "const")     /* struct spu_bconst */                           \
    X(CODE, 5, "code")       /* struct spu_insn */                             \
    X(PROG, 6, "prog")       /* struct spu_bprog */                            \
    X(LAYOUT, 7, "layout")   /* struct spu_blayout */                          \
    X(FIELD, 8, "field")     /* struct spu_bfield */                           \
    X(DFA, 9, "dfa")         /* struct spu_bdfa */                             \
    X(DFADATA, 10, "dfadata")/* uint32_t: class maps, transitions, labels */   \
    X(REGEX, 11, "regex")    /* struct spu_bregex */                           \
    X(LIST, 12, "list")      /* struct spu_blist */                            \
    X(SINK, 13, "sink")      /* struct spu_bsink */                            \
    X(PROTO, 14, "proto")    /* struct spu_bproto */                           \
    X(EVENT, 15, "event")    /* struct spu_bevent */                           \
    X(RULE, 16, "rule")      /* struct spu_brule */                            \
    X(SESSION, 17, "session")/* struct spu_bsession */                         \
    X(INODE, 18, "inode")    /* struct spu_binode: lookup-tree nodes */        \
    X(IEDGE, 19, "iedge")    /* struct spu_biedge: lookup-tree edges */        \
    X(PATTERN, 20, "pattern")/* struct spu_bpattern: prefilter literals */     \
    X(OUTPUT, 21, "output")  /* struct spu_boutput */                          \
    X(META, 22, "meta")      /* struct spu_bmeta: key/value strings */         \
    X(SIG, 23, "sig")        /* struct spu_bsig (optional) */                  \
    X(HSDB, 24, "hsdb")      /* serialized pattern databases (optional cache) */ \
    X(LOG, 25, "log")        /* struct spu_blog: EVE log declarations */       \
    X(LOGENT, 26, "logent")  /* struct spu_blogent: their entries */                \
    X(STATE, 27, "state")    /* struct spu_bstate: state backends (optional) */   \
    X(QUEUE, 28, "queue")    /* struct spu_bqueue: queuing classes */

enum spu_section_id {
#define SPU_SEC_ENUM(name, id, text) SPU_SEC_##name = id,
    SPU_SECTION_LIST(SPU_SEC_ENUM)
#undef SPU_SEC_ENUM
    SPU_SEC__MAX = 28
};

/* Bundle-wide facts. */
struct spu_bglobals {
    struct spu_bstr name;    /* bundle name given to spuc (-n), may be empty */
    uint32_t flow_layout;    /* layout of `flow { ... }` variables, or SPU_NONE */
    uint32_t nprotos_entry;  /* number of protocols over tcp/udp (characterized) */
    uint32_t msg_ends;       /* U32 offset: grammar events that end a message (`message ends on`) */
    uint32_t nmsg_ends;
    uint32_t reserved[2];
};

/* Constants referenced by PUSH_K, G_LIT, G_ERROR, list items. LIST and
 * REGEX constants let PUSH_K pass a list or a regex to a built-in
 * (FindInList, FindInRegExList): val is the LIST / REGEX index. */
enum { SPU_K_INT = 1, SPU_K_STR = 2, SPU_K_IP = 3, SPU_K_LIST = 4, SPU_K_REGEX = 5 };
struct spu_bconst {
    uint8_t kind;  /* SPU_K_* */
    uint8_t flags; /* SPU_KF_NOCASE for list items */
    uint16_t aux;  /* IP: family 4 or 6 */
    uint32_t len;  /* STR: length; IP: prefix length */
    uint64_t val;  /* INT: the int64; STR: STRTAB offset; IP: STRTAB offset of 16 bytes;
                      LIST, REGEX: the index */
};
enum { SPU_KF_NOCASE = 1u };

/* Programs: rules, grammar units and messages, direction drivers, key
 * programs (compute one value from an event record: index levels,
 * prefilter fields, session keys). */
enum {
    SPU_PROG_RULE = 1,
    SPU_PROG_UNIT = 2,
    SPU_PROG_MESSAGE = 3,
    SPU_PROG_DRIVER = 4, /* loop over the messages of one direction */
    SPU_PROG_KEY = 5     /* rule-kind program returning one value (RET leaves it on the stack) */
};
struct spu_bprog {
    struct spu_bstr name;
    uint32_t kind;      /* SPU_PROG_* */
    uint32_t code_off;  /* first instruction (index into CODE) */
    uint32_t code_len;  /* instructions */
    uint16_t nlocals;   /* includes parameters */
    uint16_t nparams;   /* UNIT: arguments, the first locals */
    uint16_t max_stack; /* verified upper bound of the stack depth */
    uint16_t nloops;    /* grammar loop slots */
    uint32_t layout;    /* UNIT/MESSAGE: its record; RULE/KEY: the event's record */
    uint32_t proto;     /* grammar programs: protocol index; else SPU_NONE */
    uint32_t event;     /* RULE/KEY: event index; MESSAGE: completion event
                         * (raised flagged incomplete if the message aborts,
                         * docs/grammar-vm.md); else SPU_NONE */
    uint32_t flags;     /* SPU_PF_* */
};
enum { SPU_PF_STREAM = 1u /* UNIT yields content */ };

/* Record layouts: grammar units and messages, the protocol state, the flow
 * variables, each session's variables, runtime event records. */
enum { SPU_LF_MAP = 1u };
struct spu_blayout {
    struct spu_bstr name;  /* unit/message name, "state", "flow", session name */
    uint32_t first_field;  /* index into FIELD */
    uint32_t nfields;
    uint32_t flags;        /* SPU_LF_MAP */
    uint32_t map_key;      /* field index within the layout, or SPU_NONE */
    uint32_t map_value;
    uint32_t proto;        /* owning protocol, or SPU_NONE */
};

enum { SPU_FF_ARRAY = 1u };
struct spu_bfield {
    struct spu_bstr name;
    uint8_t type;    /* enum spu_type of the value (of each element when ARRAY) */
    uint8_t flags;   /* SPU_FF_ARRAY */
    uint16_t pad;
    uint32_t sub;    /* REC: bundle layout index or SPU_LAYOUT_STD|stdlib record id */
};

/* A DFA over bytes. Transitions, class map and labels live in DFADATA
 * (uint32 units). State 0 is the dead state; `start` is the initial state. */
struct spu_bdfa {
    uint32_t nstates;
    uint32_t nclasses;   /* 1..256 byte classes */
    uint32_t start;
    uint32_t nlabels;    /* accepting labels are 0..nlabels-1 */
    uint32_t classmap;   /* DFADATA index of 64 words = 256 class bytes */
    uint32_t trans;      /* DFADATA index of nstates*nclasses next-state words */
    uint32_t accept;     /* DFADATA index of nstates words: label accepted here (lowest wins), or SPU_NONE */
    uint32_t decide;     /* DFADATA index of nstates words: the only label still reachable, or SPU_NONE */
    uint32_t flags;      /* SPU_DFA_* */
    struct spu_bstr source; /* the pattern text (diagnostics); len 0 when none */
};
enum { SPU_DFA_ANCHORED = 1u, SPU_DFA_SEARCH = 2u /* unanchored (.*) prefix */ };

/* Regexes for rules (PCRE2, compiled at load). */
struct spu_bregex {
    struct spu_bstr pattern;
    uint32_t flags; /* SPU_RE_* */
};
enum { SPU_RE_I = 1u, SPU_RE_S = 2u, SPU_RE_M = 4u, SPU_RE_X = 8u };

/* Lists: inline items are constants (U32 pool of CONST indexes), or regex
 * indexes for regex lists; file lists name their file. */
enum { SPU_LIST_STR = 1, SPU_LIST_IP = 2, SPU_LIST_REGEX = 3 };
enum { SPU_LISTF_NOCASE = 1u, SPU_LISTF_FILE = 2u };
struct spu_blist {
    struct spu_bstr name;
    uint32_t kind;      /* SPU_LIST_* */
    uint32_t flags;     /* SPU_LISTF_* */
    struct spu_bstr path; /* FILE: path as written, resolved against base */
    struct spu_bstr base; /* FILE: directory of the rule file at compile time */
    uint32_t items;     /* U32 offset */
    uint32_t nitems;
};

/* Sub-stream sinks: filter chain, child parse, stored-content limit. */
struct spu_bsink {
    uint32_t filters;   /* U32 offset of filter ids (stdlib/filters.def) */
    uint32_t nfilters;  /* == number of conditions popped by G_SINK_OPEN */
    uint32_t child;     /* UNIT or MESSAGE program run on the content, or SPU_NONE */
    uint32_t nargs;     /* arguments for the child, popped by G_SINK_OPEN */
    uint32_t limit;     /* stored bytes (0: no storage, SPU_NONE: protocol default) */
    uint32_t flags;     /* SPU_SINKF_* */
};
/* SPAN: the sink receives every byte its context consumes while it is the
 * innermost sink (a captured group); otherwise only bytes of ops flagged
 * SPU_GF_YIELD and `yield`s (docs/grammar-vm.md). */
/* SPAN: the sink receives every byte its context consumes (group
 * captures). RECORD: G_SINK_CLOSE with CAPTURE pushes the record the child
 * unit built (copied into the opener's arena; null without a child)
 * instead of the stored content. DIGEST: every byte reaching the end of
 * the filter chain is counted and hashed (md5, sha1, sha256), also past
 * the limit, and the stored string carries the result (SPU_VF_DIGEST). */
enum { SPU_SINKF_SPAN = 1u, SPU_SINKF_RECORD = 2u, SPU_SINKF_DIGEST = 4u };

enum { SPU_TRANSPORT_TCP = 1, SPU_TRANSPORT_UDP = 2, SPU_TRANSPORT_STREAM = 3 };
enum { SPU_DIR_CLIENT = 0, SPU_DIR_SERVER = 1 };
enum { SPU_RESYNC_AT = 0, SPU_RESYNC_AFTER = 1 };
struct spu_bproto {
    struct spu_bstr name;
    uint32_t transport;     /* SPU_TRANSPORT_* */
    uint32_t ports;         /* U32 offset */
    uint32_t nports;
    uint32_t detect[2];     /* DFA per direction, or SPU_NONE */
    uint32_t resync[2];     /* DFA (SEARCH) per direction, or SPU_NONE */
    uint32_t resync_rev[2]; /* AT mode: the reverse DFA that finds the match start
                             * (dfa-run.h spu_dfa_longest_rev), else SPU_NONE */
    uint32_t resync_mode[2];/* SPU_RESYNC_* */
    uint32_t driver[2];     /* DRIVER program per direction, or SPU_NONE */
    uint32_t state_layout;  /* or SPU_NONE */
    uint32_t tx_client;     /* U32 offset of MESSAGE program ids that open a transaction */
    uint32_t ntx_client;
    uint32_t tx_server;     /* U32 offset of MESSAGE program ids that complete one */
    uint32_t ntx_server;
    uint32_t lim_token, lim_field, lim_message, lim_pipeline, lim_depth, lim_iterations;
};

/* Events: grammar events (raised by G_EVENT) and runtime events
 * (events.def). `rules` lists every rule on the event; `index_root` is its
 * lookup tree (SPU_NONE: no tree, all rules are candidates). */
enum { SPU_EV_GRAMMAR = 1, SPU_EV_RUNTIME = 2 };
struct spu_bevent {
    struct spu_bstr name;
    uint32_t kind;       /* SPU_EV_* */
    uint32_t proto;      /* GRAMMAR: protocol index; RUNTIME: SPU_NONE */
    uint32_t runtime_id; /* RUNTIME: enum spu_rt_event; else SPU_NONE */
    uint32_t layout;     /* record layout of the event */
    uint32_t rules;      /* U32 offset of rule indexes */
    uint32_t nrules;
    uint32_t index_root; /* INODE index, or SPU_NONE */
    uint32_t levels;     /* U32 offset of KEY program ids, one per tree level */
    uint32_t nlevels;
};

/* Rules. refs and meta: U32 offsets of pairs of STRTAB (off,len) pairs
 * (4 words per reference: type off,len, value off,len; 2 per metadata). */
struct spu_brule {
    uint32_t gid, sid, rev;
    int32_t priority;       /* 0 when unset (classtype default applies) */
    struct spu_bstr msg;
    struct spu_bstr classtype;
    uint32_t event;
    uint32_t prog;
    uint32_t refs, nrefs;
    uint32_t meta, nmeta;
    int32_t score;
    uint32_t flags;         /* SPU_RF_* */
    uint32_t src_line;      /* where the rule was written, for messages */
    struct spu_bstr src_file;
};
enum { SPU_RF_INDEXED = 1u, SPU_RF_PREFILTERED = 2u };

/* Meta sessions. The key program is a KEY program run on the event. */
struct spu_bsession {
    struct spu_bstr name;
    uint32_t layout;     /* its variables */
    uint32_t key_event;  /* event whose records give the key, or SPU_NONE (flow keys) */
    uint32_t key_prog;   /* KEY program */
    uint32_t max;        /* entries kept, 0 = runtime default */
    uint64_t ttl_ms;
};

/* Lookup trees. A node tests the value of its level's key program against
 * its edges: exact (hash or compare), prefix, suffix; follows every edge that
 * matches and the `any` child; collects `rules` on the way. */
enum { SPU_IE_EXACT = 1, SPU_IE_PREFIX = 2, SPU_IE_SUFFIX = 3 };
enum { SPU_IEF_NOCASE = 1u };
struct spu_binode {
    uint32_t level;      /* index into the event's levels */
    uint32_t edges;      /* first IEDGE */
    uint32_t nedges;     /* exact edges first (sorted by bytes), then prefix, then suffix */
    uint32_t nexact;
    uint32_t any;        /* child for rules without a test at this level, or SPU_NONE */
    uint32_t rules;      /* U32 offset: rules selected when the walk reaches this node */
    uint32_t nrules;
};
struct spu_biedge {
    uint32_t kind;       /* SPU_IE_* */
    uint32_t flags;      /* SPU_IEF_* */
    struct spu_bstr value;
    uint32_t child;      /* INODE */
    uint32_t pad;
};

/* Prefilter literals: a rule with patterns runs only when at least one of
 * its literals (per `group`, all groups) was found in the key's value. */
struct spu_bpattern {
    uint32_t event;
    uint32_t key_prog;   /* KEY program giving the scanned value */
    struct spu_bstr literal;
    uint32_t flags;      /* SPU_IEF_NOCASE */
    uint32_t rule;
};

enum { SPU_OUT_FILE = 1, SPU_OUT_UNIX = 2 };
struct spu_boutput {
    struct spu_bstr name;
    uint32_t kind;
    struct spu_bstr path;
};

/* A queuing class (`queue NAME rate RATE [burst B] [priority P];`): the
 * packets of flows given to it by Queue(NAME) are shaped inline by a token
 * bucket of `rate_bps` bits per second holding at most `burst` bytes
 * (runtime/shaper.h). */
enum { SPU_QUEUE_MAX_PRIORITY = 7 };
struct spu_bqueue {
    struct spu_bstr name;
    uint32_t priority; /* 0 (first) .. SPU_QUEUE_MAX_PRIORITY */
    uint32_t burst;    /* bytes, >= 1500 */
    uint64_t rate_bps; /* bits per second, > 0 */
};

/* `state KIND [NAME] in BACKEND;`: the backend of a table of the state
 * built-ins (docs/spam.md), overriding spurun --state. */
enum { SPU_ST_LIST = 1, SPU_ST_BUCKET = 2, SPU_ST_WINDOW = 3, SPU_ST_SCORE = 4 };
struct spu_bstate {
    uint32_t kind;           /* SPU_ST_* */
    struct spu_bstr name;    /* LIST: the list's name; else empty */
    struct spu_bstr backend; /* "memory" or "redis://HOST:PORT" */
};

struct spu_bmeta {
    struct spu_bstr key;
    struct spu_bstr value;
};

/* EVE log declarations (`log TYPE on EVENT { ... }` and `log TYPE on
 * transaction PROTO { ... }` in a grammar, docs/grammar-language.md).
 * Each builds one JSON object {"TYPE": {...}} per event / completed
 * transaction (runtime/evelog.h).
 *
 * EVENT: `trigger` is the event index, `layout` its record layout, and the
 * entries' programs run on the event's record. TX: `trigger` is the
 * protocol index and `layout` a transaction layout spuc synthesises: one
 * REC field per message of the protocol's transactions (named after the
 * message, sub = its layout); the runtime fills the field whose sub is
 * the client's / server's record layout and leaves the others null.
 *
 * An entry writes the value of KEY program `prog` (run on a record of
 * `layout`, event SPU_NONE for TX and element records) at `path`
 * (dot-separated names, each non-empty) below the TYPE object. With
 * nsubs > 0 the value is an array of records (or one record) of layout
 * `sub_layout` (a bundle layout or SPU_LAYOUT_STD|id), and each element
 * becomes an object built by the entries [first_sub, first_sub + nsubs)
 * run on it; sub entries come after their parent (first_sub > the
 * parent's index), so nesting is finite. Without subs, records become
 * objects of all their fields. A log's top entries are
 * [first_entry, first_entry + nentries). */
/* SPU_LOG_ALERT: like EVENT, but the object is only for the alerts raised on the
 * event (runtime/detect-txlog.c), never an EVE record of its own */
enum { SPU_LOG_EVENT = 1, SPU_LOG_TX = 2, SPU_LOG_ALERT = 3 };
#define SPU_LOG_MAX_DEPTH 8u /* a log's entries are depth 1, their subs 2, ... */
struct spu_blog {
    struct spu_bstr type;  /* EVE event_type, the object's key */
    uint32_t kind;         /* SPU_LOG_* */
    uint32_t trigger;      /* EVENT: event index; TX: protocol index */
    uint32_t layout;       /* record layout the top entries run on */
    uint32_t first_entry;  /* LOGENT index */
    uint32_t nentries;
    uint32_t pad;
};
struct spu_blogent {
    struct spu_bstr path;
    uint32_t prog;         /* KEY program */
    uint32_t first_sub;    /* LOGENT index, or 0 when nsubs == 0 */
    uint32_t nsubs;
    uint32_t sub_layout;   /* layout of the value's records, or SPU_NONE */
};

/* Ed25519 (libsodium) signature over the header checksum; the key id is the
 * first 8 bytes of the public key's SHA-256. The checksum is computed with
 * the SIG section's data zeroed, so the signature can be written after it. */
struct spu_bsig {
    uint8_t key_id[8];
    uint8_t sig[64];
};

/* HSDB: one entry per prefilter group (event, key_prog) in ascending
 * order, each followed by `size` bytes of hs_serialize_database() output
 * padded with zeros to 8 bytes. Pattern ids in a database are PATTERN
 * indexes. Only used when the bundle's signature is from a trusted key. */
struct spu_bhsdb {
    uint32_t event;
    uint32_t key_prog;
    uint32_t size;
    uint32_t pad;
};

#endif
