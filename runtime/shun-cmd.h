/*
 * shun-cmd.h - the control socket's "shun" command on the shared table of
 * shunned addresses (shun.h): list them, add one for a duration, remove
 * one. Replies are JSON objects for spuctl. Times are milliseconds of
 * packet time, which in inline and live modes is the wall clock.
 */
#ifndef SPU_SHUN_CMD_H
#define SPU_SHUN_CMD_H

#include <jansson.h>
#include <stdint.h>

struct shun_table;
struct spu_error;

/* op "list": *res = {"now_ms", "count", "shuns": [{"addr", "until_ms",
 * "remaining_ms"}]}; "add": shun `addr` (IPv4 or IPv6 text) for `secs`
 * seconds (1..31536000), *res = {"addr", "until_ms", "remaining_ms"};
 * "remove": end the shun of `addr`, *res = {"addr", "removed": true}.
 * SPU_EINVAL for a bad op, address or duration, SPU_ENOTFOUND when the
 * address to remove is not shunned, SPU_ELIMIT when the table is full,
 * with err filled. */
int shun_cmd(struct shun_table *t, const char *op, const char *addr, int64_t secs, int64_t now_ms,
             json_t **res, struct spu_error *err);

#endif
