/* process.c - pid file and privilege drop (see process.h). */
#include "process.h"

#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int process_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid,
                   struct spu_error *err)
{
    *uid = getuid();
    *gid = getgid();
    if (user) {
        struct passwd *pw = getpwnam(user);
        if (!pw) {
            char *end;
            long v = strtol(user, &end, 10);
            if (*end || v < 0)
                return spu_error_set(err, SPU_ENOTFOUND, "-u: no user '%s'", user);
            *uid = (uid_t)v;
        } else {
            *uid = pw->pw_uid;
            *gid = pw->pw_gid;
        }
    }
    if (group) {
        struct group *gr = getgrnam(group);
        if (!gr) {
            char *end;
            long v = strtol(group, &end, 10);
            if (*end || v < 0)
                return spu_error_set(err, SPU_ENOTFOUND, "-g: no group '%s'", group);
            *gid = (gid_t)v;
        } else {
            *gid = gr->gr_gid;
        }
    }
    return SPU_OK;
}

static long read_pid(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long pid = -1;
    if (fscanf(f, "%ld", &pid) != 1)
        pid = -1;
    fclose(f);
    return pid;
}

int process_pidfile_write(const char *path, struct spu_error *err)
{
    long old = read_pid(path);
    if (old > 0 && old != (long)getpid() && (kill((pid_t)old, 0) == 0 || errno == EPERM))
        return spu_error_at(err, SPU_EEXIST, path, UINT64_MAX,
                            "pid file names process %ld, which is running", old);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot write the pid file: %s",
                            strerror(errno));
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
    ssize_t w = write(fd, buf, (size_t)n);
    int rc = close(fd);
    if (w != n || rc != 0)
        return spu_error_at(err, SPU_EIO, path, UINT64_MAX, "cannot write the pid file");
    return SPU_OK;
}

void process_pidfile_remove(const char *path)
{
    if (path && read_pid(path) == (long)getpid())
        unlink(path);
}

int process_drop(uid_t uid, gid_t gid, struct spu_error *err)
{
    if (setgroups(1, &gid) != 0 && errno != EPERM)
        return spu_error_set(err, SPU_EIO, "setgroups: %s", strerror(errno));
    if (setgid(gid) != 0)
        return spu_error_set(err, SPU_EIO, "cannot change to group %ld: %s", (long)gid,
                             strerror(errno));
    if (setuid(uid) != 0)
        return spu_error_set(err, SPU_EIO, "cannot change to user %ld: %s", (long)uid,
                             strerror(errno));
    if (uid != 0 && setuid(0) == 0)
        return spu_error_set(err, SPU_EIO, "privileges could be regained after the drop");
    return SPU_OK;
}
