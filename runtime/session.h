/*
 * session.h - the meta-session store: state shared by every connection whose
 * events give the same key (`session NAME keyed by EXPR ttl D max N` in a
 * rule file), whichever worker handles them.
 *
 * One struct session_space per declared session (name and number of
 * variables): a hash of entries split into SESSION_SHARDS shards, each with
 * its own mutex, hash chains and LRU list. Memory is bounded: at most `max`
 * entries (spread evenly over the shards; the least recently used entry of
 * a full shard is evicted to make room) and at most `entry_cap` bytes of
 * stored values per entry (an arena; a store past it is refused and the
 * rule faults with a counted STORE fault). An entry not used for `ttl_ms`
 * of packet time has expired: it is removed when met (lookup, or at the LRU
 * tail of its shard) and a lookup of its key starts fresh.
 *
 * Entries are held while a rule runs on them: session_space_get() returns
 * the entry held by the caller, session_entry_release() gives it back. A
 * held entry is never evicted or expired. An entry held by another worker
 * is waited for (on the shard's condition variable, woken when an entry is
 * given back, at most SESSION_WAIT_MS: then the get fails with SPU_ESTATE,
 * counted as busy) so two rules that take two sessions in opposite orders
 * cannot deadlock. The bound is in time, not in tries: a holder descheduled
 * on a loaded machine must not make another worker's update be lost.
 *
 * Thread-safe: any worker may call any function except _new/_free (main
 * thread, no other user).
 */
#ifndef SPU_SESSION_H
#define SPU_SESSION_H

#include "value.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define SESSION_SHARDS 16u
#define SESSION_WAIT_MS 1000u
#define SESSION_DEFAULT_MAX 65536u
#define SESSION_DEFAULT_ENTRY_CAP 4096u

struct session_space;
struct session_entry;

struct session_stats {
    _Atomic uint64_t entries; /* live entries (gauge) */
    _Atomic uint64_t created, evicted, expired, refused, busy;
    _Atomic uint64_t memcap; /* entries evicted or refused for the memcap */
    _Atomic int64_t memuse; /* bytes of entries and their arenas (gauge) */
};

/* Returns new, or NULL (out of memory). `name` is copied. max 0: the
 * default; entry_cap 0: the default. */
struct session_space *session_space_new(const char *name, size_t namelen, uint32_t nslots,
                                        uint64_t ttl_ms, uint32_t max, size_t entry_cap);

/* Bound the memory of this space's entries, with other spaces, by bytes:
 * each new entry reserves what it may come to hold (struct, variables,
 * key and its value cap, entry_cap) in *reserved (shared by the spaces,
 * borrowed: it outlives them), which stays at or below cap; when an entry
 * does not fit, the least recently used unheld entries of its shard (or,
 * when it has none, of another shard of the space not locked at the
 * moment) are evicted until it does, and it is refused when none is left
 * (the cap held by other spaces or by held entries): each counted in
 * `memcap`, evictions also in `evicted`, refusals in `refused`. Call
 * before the space is used. */
void session_space_set_memcap(struct session_space *s, _Atomic int64_t *reserved, uint64_t cap);

/* Frees every entry (none may be held). NULL is a no-op. */
void session_space_free(struct session_space *s);

/* The space's declaration, for sharing it between bundles. */
const char *session_space_name(const struct session_space *s, size_t *len);
uint32_t session_space_nslots(const struct session_space *s);
const struct session_stats *session_space_stats(const struct session_space *s);

/* What session_space_get does when the key has no entry (or an expired
 * one). */
enum session_get_mode {
    SESSION_LOOKUP, /* *out = NULL */
    SESSION_CREATE, /* a new entry */
    /* A hold on the absent key, by the caller: the key stays absent for everyone
     * (no variables, not counted, no room taken) but no other worker can
     * create it until the caller confirms or releases it. A rule that reads
     * a missing entry and then writes it (`s.count += 1`) is one atomic
     * update this way: without it, two workers would both read the
     * absence, and the second creation would overwrite the first's. */
    SESSION_HOLD_ABSENT,
};

/* The entry of `key` (a string, int, bool or ip), held by the caller.
 * Absent (or expired): see the mode. Returns SPU_OK, SPU_EINVAL (key of
 * another type), SPU_ENOMEM or SPU_ELIMIT (shard full of held entries),
 * SPU_ESTATE (held elsewhere for too long). now_ms is packet time. */
int session_space_get(struct session_space *s, const struct spu_value *key, int64_t now_ms,
                      enum session_get_mode mode, struct session_entry **out);

/* True for an absent-key hold (SESSION_HOLD_ABSENT): it has no variables. */
int session_entry_is_absent(const struct session_entry *e);

/* Make an absent-key hold a real entry (counted created, room taken as
 * for SESSION_CREATE). No-op on a real entry. Returns SPU_OK, SPU_ENOMEM
 * or SPU_ELIMIT (it stays an absent-key hold). */
int session_entry_confirm(struct session_space *s, struct session_entry *e);

/* The variables of a held entry (n slots) and the arena stored values must
 * be copied into. */
struct spu_value *session_entry_slots(const struct session_space *s, struct session_entry *e,
                                      uint32_t *n, struct spu_arena **arena);

/* Give a held entry back; it was used at now_ms (its ttl restarts). A
 * hold on an absent key is removed: the key is absent again. */
void session_entry_release(struct session_space *s, struct session_entry *e, int64_t now_ms);

/* Remove expired entries that are not held (packet time now_ms). Returns
 * how many. */
unsigned session_space_expire(struct session_space *s, int64_t now_ms);

/* Live entries (sum over shards). */
uint64_t session_space_count(const struct session_space *s);

/* Copy live values of `slots` into a fresh arena when `arena` holds more
 * than half of its cap; *arena is replaced on success. Shared by session
 * entries and flow variables so that a long-lived state that rewrites a
 * string does not fill its cap with dead copies. Returns SPU_OK or
 * SPU_ENOMEM (nothing changed). */
int session_compact(struct spu_value *slots, uint32_t n, struct spu_arena **arena, size_t cap);

#endif
