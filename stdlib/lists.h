/*
 * lists.h - the lists of a loaded bundle (the rules' `list` and `regexlist`
 * declarations), tested by `x in LIST`, FindInList and FindInRegExList.
 *
 * A struct spu_listset is one list's contents, of one kind (bundle-format.h):
 *   SPU_LIST_STR    strings, exact or ASCII case-insensitive
 *                   (SPU_LISTF_NOCASE); a hash set
 *   SPU_LIST_IP     IPv4/IPv6 addresses and CIDR blocks; disjoint sorted
 *                   ranges searched by bisection (IPv4 lives in ::ffff:0:0/96,
 *                   as in struct spu_value)
 *   SPU_LIST_REGEX  PCRE2 patterns (JIT-compiled when the platform allows);
 *                   a value is a member when any pattern matches it
 * It is built on one thread (add items, or load a file, then seal) and is
 * immutable once sealed, so any number of threads may test it at once.
 *
 * A struct spu_lists holds the sets of one bundle, indexed like the bundle's
 * LIST section (the index a rule passes as a SPU_T_LIST value). The bundle
 * loader fills it (spu_lists_install) before the bundle is published.
 *
 * Live reload, and the concurrency contract:
 *   - the reloading thread builds a new set aside (spu_listset_new,
 *     spu_listset_load_file, spu_listset_seal); on any error it frees the new
 *     set and the old one stays in force, untouched;
 *   - spu_lists_swap() publishes the new set with one atomic exchange
 *     (release ordering) and returns the old set; readers load the slot
 *     with acquire ordering (spu_lists_get / spu_lists_has), so a reader
 *     sees either the complete old set or the complete new one, never a
 *     half-built one;
 *   - a reader may still be using the old set: the caller frees it with
 *     spu_listset_free() only after a grace period in which every thread
 *     that tests lists has passed a quiescent point (e.g. finished the event
 *     it was processing; an RCU/epoch scheme such as liburcu's
 *     synchronize_rcu). Readers must not keep a set pointer across events.
 *   - at most one thread swaps a given slot at a time (the reload thread).
 *
 * Errors: int SPU_OK / negative SPU_E*; constructors return NULL and fill
 * struct spu_error. File errors name the file and line (err->where,
 * err->line).
 */
#ifndef SPU_LISTS_H
#define SPU_LISTS_H

#include "bundle-format.h"
#include "err.h"
#include "value.h"

#include <stddef.h>
#include <stdint.h>

struct spu_listset;
struct spu_lists;

/* Longest line accepted in a list file. */
#define SPU_LIST_MAX_LINE 65536
/* PCRE2 match limit for regex lists: a pattern that needs more steps on a
 * value counts as not matching it (bounded time on hostile input). */
#define SPU_LIST_MATCH_LIMIT 1000000

/* ---- one list ---- */

/* Returns a new, empty, unsealed set of `kind` (SPU_LIST_*) with `flags`
 * (SPU_LISTF_NOCASE makes strings case-insensitive and regexes caseless);
 * NULL with err filled on a bad kind or out of memory. */
struct spu_listset *spu_listset_new(unsigned kind, unsigned flags, struct spu_error *err);
/* Frees the set. NULL is a no-op. */
void spu_listset_free(struct spu_listset *s);

/* Add one item to an unsealed set (SPU_ESTATE once sealed; SPU_EINVAL when
 * the item does not fit the kind). Strings and patterns are copied.
 * Duplicates are allowed and stored once (string sets). */
int spu_listset_add_str(struct spu_listset *s, const void *p, size_t n);
int spu_listset_add_ip(struct spu_listset *s, const uint8_t ip[16], uint16_t family,
                       uint32_t prefix);
/* A PCRE2 pattern with SPU_RE_* flags; a pattern that does not compile
 * gives SPU_EPARSE with PCRE2's message in err. */
int spu_listset_add_regex(struct spu_listset *s, const void *pattern, size_t n,
                          uint32_t re_flags, struct spu_error *err);
/* A bundle constant: a string (string or regex set: taken as a pattern) or
 * an ip (ip set). */
int spu_listset_add_value(struct spu_listset *s, const struct spu_value *v,
                          struct spu_error *err);
/* One entry written as text, as in a list file (leading and trailing
 * whitespace already removed): a string set takes the text as it is; an ip
 * set an address or a CIDR block, optionally followed by whitespace and a
 * '#' comment; a regex set "/pattern/flags" (flags among i s m x) or a
 * bare pattern. SPU_EPARSE with a message in err when it is not one. */
int spu_listset_add_text(struct spu_listset *s, const void *p, size_t n, struct spu_error *err);
/* Remove from an unsealed set the entry written as `text` (as for
 * spu_listset_add_text, without a comment): a string (compared as the set
 * compares), or an address or CIDR block that was added exactly so (a
 * block is not split: removing one address of an added /24 is
 * SPU_ENOTFOUND). SPU_ENOTFOUND when absent, SPU_EPARSE for a bad
 * address, SPU_EINVAL for a regex set (patterns are not kept as text),
 * SPU_ESTATE once sealed; err says which. */
int spu_listset_remove_text(struct spu_listset *s, const void *text, size_t n,
                            struct spu_error *err);
/* Add every entry of the file at `path`: one per line, blank lines and
 * lines whose first non-blank character is '#' ignored, surrounding
 * whitespace (and CR) removed, a UTF-8 byte order mark ignored. Stops at the
 * first bad line: SPU_EPARSE with err->where = path, err->line = the line;
 * SPU_EIO when the file cannot be read; SPU_ELIMIT for a line longer than
 * SPU_LIST_MAX_LINE. The set is then partly filled: free it. */
int spu_listset_load_file(struct spu_listset *s, const char *path, struct spu_error *err);
/* Finish building (IP ranges merged, patterns JIT-compiled). After this the
 * set is immutable and may be installed. SPU_OK or SPU_ENOMEM. */
int spu_listset_seal(struct spu_listset *s, struct spu_error *err);

unsigned spu_listset_kind(const struct spu_listset *s);
/* Items held (after merging duplicates; IP blocks count as added). */
size_t spu_listset_size(const struct spu_listset *s);

/* Membership of `v` in a sealed set: 1 or 0, or SPU_ENOMEM (regex match
 * data) / SPU_ESTATE (unsealed). A string is looked up as is in a string
 * set, parsed as an address or block in an ip set (not one: 0), matched in
 * a regex set; an ip is looked up by its text form ("10.0.0.1",
 * "10.0.0.0/8" when it has a prefix) in string and regex sets, and in an ip
 * set it is a member when its whole block lies inside the set. An array is
 * a member when one of its elements is. Other types and null: 0. */
int spu_listset_has(const struct spu_listset *s, const struct spu_value *v);

/* ---- the lists of a bundle ---- */

/* Returns new lists with `n` empty slots; NULL with err on out of memory. */
struct spu_lists *spu_lists_new(unsigned n, struct spu_error *err);
/* Frees the lists and every set in them. NULL is a no-op. The caller
 * guarantees no thread still reads them. */
void spu_lists_free(struct spu_lists *l);
unsigned spu_lists_count(const struct spu_lists *l);

/* Put sealed set `s` in empty slot `idx` (before the lists are shared).
 * Takes ownership of s on success only. SPU_ERANGE (bad index), SPU_EEXIST
 * (slot taken), SPU_ESTATE (s not sealed). */
int spu_lists_install(struct spu_lists *l, unsigned idx, struct spu_listset *s);

/* Publish sealed set `s` in slot `idx` while readers run, and return the
 * set it replaces (may be NULL), which the caller frees after a grace
 * period (see above). Takes ownership of s on success. On a bad index or an
 * unsealed set returns NULL and leaves everything as it was; *rc (may be
 * NULL) says which. */
struct spu_listset *spu_lists_swap(struct spu_lists *l, unsigned idx, struct spu_listset *s,
                                   int *rc);

/* The set in slot idx (acquire load), or NULL when empty or out of range.
 * Borrowed: valid until the current event ends (see the contract). */
const struct spu_listset *spu_lists_get(const struct spu_lists *l, unsigned idx);

/* spu_listset_has on slot idx: an empty slot holds nothing (0); a bad
 * index gives SPU_ERANGE. */
int spu_lists_has(const struct spu_lists *l, unsigned idx, const struct spu_value *v);

#endif
