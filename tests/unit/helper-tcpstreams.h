/*
 * helper-tcpstreams.h - the TCP byte streams of a capture file, for tests
 * that run grammars on real traffic (test-smtp-corpus.c).
 *
 * Every packet is decoded by the runtime's decode_packet(); TCP payload
 * is put in order per direction by sequence number (retransmitted bytes
 * dropped, segments that arrive early held until the hole before them is
 * filled); each packet's newly in-order bytes become one step, in capture
 * order, so replies and commands interleave as they did on the wire. The
 * client of a connection is the side that sent the SYN, or without one
 * the side that sent to the lower port. Bytes never filled in are left
 * out (counted in `held`). Test-only, single-threaded.
 */
#ifndef SPU_TEST_HELPER_TCPSTREAMS_H
#define SPU_TEST_HELPER_TCPSTREAMS_H

#include <stddef.h>
#include <stdint.h>

struct ts_step {
    unsigned dir; /* 0: client to server, 1: server to client */
    uint8_t *data;
    size_t len;
    uint64_t pkt; /* 1-based number of the packet that delivered these bytes */
};

struct ts_conn {
    uint16_t cport, sport; /* client and server ports */
    struct ts_step *steps;
    size_t nsteps;
    size_t bytes[2]; /* in-order bytes per direction */
    size_t held[2];  /* bytes never put in order */
    int fin[2];      /* the direction sent FIN or RST */
};

/* The TCP connections of pcap file `path` whose server port is `port`
 * (0: every connection), in order of their first packet. Returns the
 * number of connections (array in *out, free with ts_free), or -1 with a
 * message in err. */
int ts_load(const char *path, uint16_t port, struct ts_conn **out, char *err, size_t errlen);
void ts_free(struct ts_conn *c, int n);

#endif
