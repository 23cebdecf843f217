/* shun-cmd.c - list, add and remove shuns for the control socket (see shun-cmd.h). */
#include "shun-cmd.h"

#include "err.h"
#include "shun.h"

#include <arpa/inet.h>
#include <string.h>

enum { SHUN_CMD_MAX_SECS = 365 * 24 * 3600 };

/* IPv4 text as ::ffff:a.b.c.d (the table's form), or IPv6 text. */
static int parse_addr(const char *s, uint8_t ip[16])
{
    uint8_t v4[4];
    if (s && inet_pton(AF_INET, s, v4) == 1) {
        memset(ip, 0, 10);
        ip[10] = ip[11] = 0xff;
        memcpy(ip + 12, v4, 4);
        return 0;
    }
    return s && inet_pton(AF_INET6, s, ip) == 1 ? 0 : -1;
}

static void format_addr(const uint8_t ip[16], char *out, size_t n)
{
    static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};
    if (!memcmp(ip, mapped, 12))
        inet_ntop(AF_INET, ip + 12, out, (socklen_t)n);
    else
        inet_ntop(AF_INET6, ip, out, (socklen_t)n);
}

struct list_ctx {
    json_t *arr;
    int64_t now_ms;
};

static json_t *entry(const uint8_t ip[16], int64_t until_ms, int64_t now_ms)
{
    char a[INET6_ADDRSTRLEN];
    format_addr(ip, a, sizeof(a));
    return json_pack("{s:s, s:I, s:I}", "addr", a, "until_ms", (json_int_t)until_ms,
                     "remaining_ms", (json_int_t)(until_ms - now_ms));
}

static void list_one(void *ctx, const uint8_t ip[16], int64_t until_ms)
{
    struct list_ctx *l = ctx;
    json_array_append_new(l->arr, entry(ip, until_ms, l->now_ms));
}

int shun_cmd(struct shun_table *t, const char *op, const char *addr, int64_t secs, int64_t now_ms,
             json_t **res, struct spu_error *err)
{
    uint8_t ip[16];
    if (!op || strcmp(op, "list") == 0) {
        struct list_ctx l = {json_array(), now_ms};
        size_t n = shun_foreach(t, now_ms, list_one, &l);
        *res = json_pack("{s:I, s:I, s:o}", "now_ms", (json_int_t)now_ms, "count", (json_int_t)n,
                         "shuns", l.arr);
        return *res ? SPU_OK : spu_error_set(err, SPU_ENOMEM, "out of memory");
    }
    if (strcmp(op, "add") && strcmp(op, "remove"))
        return spu_error_set(err, SPU_EINVAL, "shun: op '%.32s' is not list, add or remove", op);
    if (parse_addr(addr, ip) < 0)
        return spu_error_set(err, SPU_EINVAL, "shun %s: '%.64s' is not an IPv4 or IPv6 address",
                             op, addr ? addr : "");
    if (!strcmp(op, "remove")) {
        if (shun_remove(t, ip, now_ms) != SPU_OK)
            return spu_error_set(err, SPU_ENOTFOUND, "shun remove: %.64s is not shunned", addr);
        *res = json_pack("{s:s, s:b}", "addr", addr, "removed", 1);
        return *res ? SPU_OK : spu_error_set(err, SPU_ENOMEM, "out of memory");
    }
    if (secs < 1 || secs > SHUN_CMD_MAX_SECS)
        return spu_error_set(err, SPU_EINVAL, "shun add: the duration is 1 to %d seconds",
                             SHUN_CMD_MAX_SECS);
    int64_t until = now_ms + secs * 1000;
    if (shun_add(t, ip, now_ms, until) != SPU_OK)
        return spu_error_set(err, SPU_ELIMIT, "shun add: the table of shunned addresses is full");
    *res = entry(ip, until, now_ms);
    return *res ? SPU_OK : spu_error_set(err, SPU_ENOMEM, "out of memory");
}
