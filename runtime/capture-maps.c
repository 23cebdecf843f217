/*
 * capture-maps.c - mappings of capture files shared by the readers of the
 * same files (spurun --split-read; see capture.h). A file is known by its
 * device, inode and size; the first reader maps it, the others take the
 * same mapping, and the last to close it unmaps it. Each mapping also
 * records how far its page tables have been filled, so that the readers
 * after the first skip the madvise calls.
 */
#include "capture.h"

#include "err.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

struct capture_map {
    struct capture_map *next;
    dev_t dev;
    ino_t ino;
    size_t size;
    void *map;
    unsigned refs;
    _Atomic size_t populated;
};

struct capture_maps {
    pthread_mutex_t mu;
    struct capture_map *head;
};

struct capture_maps *capture_maps_new(void)
{
    struct capture_maps *m = calloc(1, sizeof(*m));
    if (m && pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void capture_maps_free(struct capture_maps *m)
{
    if (!m)
        return;
    /* every capture using it is closed: nothing is left, unless a reader
     * failed between mapping and keeping the mapping */
    while (m->head) {
        struct capture_map *e = m->head;
        m->head = e->next;
        munmap(e->map, e->size);
        free(e);
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

struct capture_map *capture_maps_get(struct capture_maps *m, int fd, const struct stat *st,
                                     size_t size, struct spu_error *err)
{
    pthread_mutex_lock(&m->mu);
    struct capture_map *e = m->head;
    while (e && !(e->dev == st->st_dev && e->ino == st->st_ino && e->size == size))
        e = e->next;
    if (e) {
        e->refs++;
        pthread_mutex_unlock(&m->mu);
        return e;
    }
    e = calloc(1, sizeof(*e));
    void *map = e ? mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (map == MAP_FAILED) {
        if (e)
            spu_error_set(err, SPU_EIO, "cannot map: %s", strerror(errno));
        else
            spu_error_set(err, SPU_ENOMEM, "out of memory");
        free(e);
        pthread_mutex_unlock(&m->mu);
        return NULL;
    }
    /* two calls: the advice values are not flags */
    madvise(map, size, MADV_SEQUENTIAL);
    madvise(map, size, MADV_WILLNEED);
    e->dev = st->st_dev;
    e->ino = st->st_ino;
    e->size = size;
    e->map = map;
    e->refs = 1;
    e->next = m->head;
    m->head = e;
    pthread_mutex_unlock(&m->mu);
    return e;
}

const void *capture_map_data(const struct capture_map *e)
{
    return e->map;
}

_Atomic size_t *capture_map_populated(struct capture_map *e)
{
    return &e->populated;
}

void capture_maps_put(struct capture_maps *m, struct capture_map *e)
{
    pthread_mutex_lock(&m->mu);
    if (--e->refs == 0) {
        struct capture_map **link = &m->head;
        while (*link && *link != e)
            link = &(*link)->next;
        if (*link)
            *link = e->next;
        munmap(e->map, e->size);
        free(e);
    }
    pthread_mutex_unlock(&m->mu);
}
