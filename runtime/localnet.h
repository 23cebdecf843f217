/*
 * localnet.h - the sensor's local networks (`--local-net CIDR[,CIDR...]`,
 * else the addresses of the capture interface), for the IsLocal() built-in
 * that rules/spam.spr uses to select connections to the local servers.
 * Built on the main thread, then read-only (shared by the workers).
 */
#ifndef SPU_LOCALNET_H
#define SPU_LOCALNET_H

#include <stdbool.h>
#include <stdint.h>

struct spu_error;
struct localnet;

/* From `spec` (comma-separated addresses or CIDR blocks, IPv4 or IPv6) when
 * not NULL, else from the addresses of interface `iface` (each as a host
 * address), else empty. Returns new, or NULL with err (a bad block). */
struct localnet *localnet_new(const char *spec, const char *iface, struct spu_error *err);
void localnet_free(struct localnet *l);

/* Whether the 16-byte address (IPv4 as ::ffff:a.b.c.d) is in a block. */
bool localnet_has(const struct localnet *l, const uint8_t ip[16]);
unsigned localnet_count(const struct localnet *l);

#endif
