/*
 * process.h - process hygiene for spurun as a service: the pid file and
 * the drop from root to an unprivileged user once every privileged thing
 * (capture, output, control socket) is open.
 *
 * Main thread only.
 */
#ifndef SPU_PROCESS_H
#define SPU_PROCESS_H

#include <sys/types.h>

struct spu_error;

/* Resolve -u USER / -g GROUP (either may be NULL; a group defaults to the
 * user's). Returns 0, or SPU_ENOTFOUND naming the unknown one. */
int process_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
                   struct spu_error *err);

/* Write our pid to `path`. A pid file naming a live process is refused
 * (SPU_EEXIST); a stale one is replaced. */
int process_pidfile_write(const char *path, struct spu_error *err);

/* Remove the pid file if it still names us. */
void process_pidfile_remove(const char *path);

/* Become uid/gid for good: supplementary groups reset to gid, then gid,
 * then uid; checked by trying to get root back. */
int process_drop(uid_t uid, gid_t gid, struct spu_error *err);

#endif
