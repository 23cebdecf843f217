/* localnet.c - the sensor's local networks (localnet.h). */
#include "localnet.h"

#include "err.h"
#include "value.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define LOCALNET_MAX 256

struct localnet {
    unsigned n;
    struct {
        uint8_t a[16];
        unsigned bits; /* over the 16-byte form */
    } b[LOCALNET_MAX];
};

static int add(struct localnet *l, const uint8_t a[16], unsigned bits)
{
    if (l->n >= LOCALNET_MAX)
        return SPU_ELIMIT;
    memcpy(l->b[l->n].a, a, 16);
    l->b[l->n].bits = bits;
    l->n++;
    return SPU_OK;
}

static int parse_spec(struct localnet *l, const char *spec, struct spu_error *err)
{
    const char *s = spec;
    while (*s) {
        const char *e = strchr(s, ',');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        uint8_t a[16];
        uint16_t fam = 0;
        uint32_t prefix = 0;
        if (n == 0 || spu_ip_parse(s, n, a, &fam, &prefix) != SPU_OK)
            return spu_error_set(err, SPU_EINVAL, "--local-net: bad address or block '%.*s'",
                                 (int)n, s);
        if (add(l, a, fam == 4 ? 96 + prefix : prefix) != SPU_OK)
            return spu_error_set(err, SPU_ELIMIT, "--local-net: more than %d blocks", LOCALNET_MAX);
        s += n;
        if (*s == ',')
            s++;
    }
    return SPU_OK;
}

static void from_iface(struct localnet *l, const char *iface)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) != 0)
        return;
    for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
        if (!i->ifa_addr || !i->ifa_name || strcmp(i->ifa_name, iface) != 0)
            continue;
        uint8_t a[16] = {0};
        if (i->ifa_addr->sa_family == AF_INET) {
            a[10] = a[11] = 0xff;
            memcpy(a + 12, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, 4);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            memcpy(a, &((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, 16);
        } else {
            continue;
        }
        add(l, a, 128);
    }
    freeifaddrs(ifa);
}

struct localnet *localnet_new(const char *spec, const char *iface, struct spu_error *err)
{
    struct localnet *l = calloc(1, sizeof(*l));
    if (!l) {
        spu_error_set(err, SPU_ENOMEM, "local networks");
        return NULL;
    }
    if (spec) {
        if (parse_spec(l, spec, err) != SPU_OK) {
            free(l);
            return NULL;
        }
    } else if (iface) {
        from_iface(l, iface);
    }
    return l;
}

void localnet_free(struct localnet *l)
{
    free(l);
}

bool localnet_has(const struct localnet *l, const uint8_t ip[16])
{
    for (unsigned i = 0; l && i < l->n; i++) {
        unsigned bits = l->b[i].bits, full = bits / 8, rest = bits % 8;
        if (memcmp(ip, l->b[i].a, full) != 0)
            continue;
        if (rest && ((ip[full] ^ l->b[i].a[full]) & (uint8_t)(0xff << (8 - rest))))
            continue;
        return true;
    }
    return false;
}

unsigned localnet_count(const struct localnet *l)
{
    return l ? l->n : 0;
}
