/* filestore.c - files of the application layer kept on disk (filestore.h). */
#include "filestore.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int filestore_put(const char *dir, uint64_t cap, _Atomic uint64_t *used, int worker,
                  const uint8_t *p, size_t n, bool *stored, struct spu_error *err)
{
    *stored = false;
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned dn = 0;
    if (EVP_Digest(p, n, d, &dn, EVP_sha256(), NULL) != 1)
        return spu_error_set(err, SPU_EIO, "filestore: sha256 unavailable");
    char hex[2 * EVP_MAX_MD_SIZE + 1];
    for (unsigned i = 0; i < dn; i++)
        snprintf(hex + 2 * i, 3, "%02x", d[i]);
    char path[4096], tmp[4096];
    if (snprintf(path, sizeof(path), "%s/%s", dir, hex) >= (int)sizeof(path) ||
        snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", dir, hex, worker) >= (int)sizeof(tmp))
        return spu_error_set(err, SPU_EIO, "filestore: directory name too long");
    struct stat st;
    if (stat(path, &st) == 0) {
        *stored = true; /* the same content, stored before */
        return SPU_OK;
    }
    uint64_t before = atomic_fetch_add(used, (uint64_t)n);
    if (before + n > cap || before + n < before) {
        atomic_fetch_sub(used, (uint64_t)n);
        return SPU_OK;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool bad = fd < 0;
    int e = errno;
    if (!bad) {
        bad = write_all(fd, p, n) != 0;
        e = errno;
        if (close(fd) != 0 && !bad) {
            bad = true;
            e = errno;
        }
        if (!bad && rename(tmp, path) != 0) {
            bad = true;
            e = errno;
        }
        if (bad)
            unlink(tmp);
    }
    if (bad) {
        atomic_fetch_sub(used, (uint64_t)n);
        return spu_error_set(err, SPU_EIO, "filestore: %s: %s", tmp, strerror(e));
    }
    *stored = true;
    return SPU_OK;
}
