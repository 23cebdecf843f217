/*
 * capture-pcap.c - offline sources read through libpcap: pcapng files and
 * standard input ("-"). libpcap reuses its buffer at every read, so each
 * packet is copied once into a slot (2 KiB slots from a free list, larger
 * packets in their own allocation) that is freed when the packet returns.
 */
#include "capture.h"

#include "err.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SLOT_DATA 2048u

struct slot {
    struct slot *next;
    uint32_t size;
    uint8_t data[];
};

struct offline {
    pcap_t *p;
    char path[1024];
    uint16_t source;
    struct slot *free_slots;
    uint64_t packets, bytes, size;
    bool nano;
};

static struct slot *slot_get(struct offline *o, uint32_t len)
{
    if (len <= SLOT_DATA && o->free_slots) {
        struct slot *s = o->free_slots;
        o->free_slots = s->next;
        return s;
    }
    uint32_t size = len <= SLOT_DATA ? SLOT_DATA : len;
    struct slot *s = malloc(sizeof(*s) + size);
    if (s)
        s->size = size;
    return s;
}

static int offline_next(struct capture *c, struct capture_pkt *out, unsigned max, bool *eof,
                        struct spu_error *err)
{
    struct offline *o = c->priv;
    unsigned n = 0;
    *eof = false;
    while (n < max) {
        struct pcap_pkthdr *h;
        const u_char *data;
        int rc = pcap_next_ex(o->p, &h, &data);
        if (rc == PCAP_ERROR_BREAK) {
            *eof = true;
            break;
        }
        if (rc == PCAP_ERROR) {
            if (n)
                break; /* hand out what came before; the error repeats next call */
            FILE *f = pcap_file(o->p);
            long off = f ? ftell(f) : -1;
            return spu_error_at(err, SPU_EFORMAT, o->path, off < 0 ? UINT64_MAX : (uint64_t)off,
                                "%s", pcap_geterr(o->p));
        }
        if (rc != 1)
            break;
        struct slot *s = slot_get(o, h->caplen);
        if (!s)
            return spu_error_set(err, SPU_ENOMEM, "out of memory");
        memcpy(s->data, data, h->caplen);
        struct capture_pkt *p = &out[n++];
        p->data = s->data;
        p->caplen = h->caplen;
        p->wirelen = h->len < h->caplen ? h->caplen : h->len;
        p->ts_ns = (int64_t)h->ts.tv_sec * 1000000000 +
                   (int64_t)h->ts.tv_usec * (o->nano ? 1 : 1000);
        p->linktype = pcap_datalink(o->p);
        p->source = o->source;
        p->vlan = 0;
        p->cookie = s;
        o->packets++;
        o->bytes += h->caplen;
    }
    return (int)n;
}

static void offline_release(struct capture *c, uint16_t source, void *cookie)
{
    struct offline *o = c->priv;
    struct slot *s = cookie;
    (void)source;
    if (!s)
        return;
    if (s->size == SLOT_DATA) {
        s->next = o->free_slots;
        o->free_slots = s;
    } else {
        free(s);
    }
}

static void offline_stats(struct capture *c, struct capture_stats *s)
{
    struct offline *o = c->priv;
    s->packets += o->packets;
    s->bytes += o->bytes;
    s->file_size += o->size;
    FILE *f = pcap_file(o->p);
    long pos = f && o->size ? ftell(f) : -1;
    s->file_pos += pos > 0 ? (uint64_t)pos : 0;
}

static void offline_close(struct capture *c)
{
    struct offline *o = c->priv;
    while (o->free_slots) {
        struct slot *s = o->free_slots;
        o->free_slots = s->next;
        free(s);
    }
    if (o->p)
        pcap_close(o->p);
    free(o);
    free(c);
}

static const struct capture_ops offline_ops = {"libpcap", offline_next, offline_release,
                                               offline_stats, offline_close};

struct capture *capture_pcap_open_offline(const char *path, uint16_t source,
                                          struct spu_error *err)
{
    char ebuf[PCAP_ERRBUF_SIZE] = "";
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        spu_error_at(err, SPU_EFORMAT, strcmp(path, "-") ? path : "stdin", 0, "%s", ebuf);
        return NULL;
    }
    struct capture *c = calloc(1, sizeof(*c));
    struct offline *o = calloc(1, sizeof(*o));
    if (!c || !o) {
        free(c);
        free(o);
        pcap_close(p);
        spu_error_set(err, SPU_ENOMEM, "out of memory");
        return NULL;
    }
    o->p = p;
    o->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
    o->source = source;
    snprintf(o->path, sizeof(o->path), "%s", strcmp(path, "-") ? path : "stdin");
    struct stat st;
    if (strcmp(path, "-") != 0 && stat(path, &st) == 0)
        o->size = (uint64_t)st.st_size;
    c->ops = &offline_ops;
    c->priv = o;
    return c;
}
