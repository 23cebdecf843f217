/*
 * import-config.c - the configuration files of a rule import:
 * classification.config (class priorities) and threshold.config
 * (threshold, event_filter and suppress entries by gen_id/sig_id).
 */
#include "import-int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- configuration files ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

int importer_read_classification(struct importer *im, const char *path, struct spu_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return spu_error_set(err, SPU_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int rc = SPU_OK;
    while (getline(&line, &cap, f) >= 0) {
        char *p = trim(line);
        const char *key = "config classification:";
        if (strncmp(p, key, strlen(key)) != 0)
            continue;
        p += strlen(key);
        char *c1 = strchr(p, ','), *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
        if (!c1 || !c2)
            continue;
        *c1 = '\0';
        struct imp_class *nc = realloc(im->classes, (im->nclasses + 1) * sizeof(*nc));
        if (!nc) {
            rc = spu_error_set(err, SPU_ENOMEM, "out of memory");
            break;
        }
        im->classes = nc;
        nc[im->nclasses].name = strdup(trim(p));
        nc[im->nclasses].priority = atoi(c2 + 1);
        if (!nc[im->nclasses].name) {
            rc = spu_error_set(err, SPU_ENOMEM, "out of memory");
            break;
        }
        im->nclasses++;
    }
    free(line);
    fclose(f);
    return rc;
}

int imp_class_priority(const struct importer *im, const char *name)
{
    for (unsigned i = 0; i < im->nclasses; i++)
        if (strcmp(im->classes[i].name, name) == 0)
            return im->classes[i].priority;
    return 0;
}

/* "key value, key value, ..." of one threshold.config line. */
static int thr_line(struct importer *im, char *p, struct spu_error *err, const char *path,
                    int lineno)
{
    struct imp_thr_entry e;
    memset(&e, 0, sizeof(e));
    e.gid = -1;
    e.sid = -1;
    e.thr.count = -1;
    e.thr.seconds = -1;
    char *word = p;
    while (*p && !isspace((unsigned char)*p))
        p++;
    if (*p)
        *p++ = '\0';
    if (strcmp(word, "suppress") == 0)
        e.suppress = true;
    else if (strcmp(word, "threshold") != 0 && strcmp(word, "event_filter") != 0)
        return spu_error_set(err, SPU_EPARSE, "%s:%d: unknown entry '%s'", path, lineno, word);
    for (char *save = NULL, *w = strtok_r(p, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char key[32], val[128];
        if (sscanf(w, " %31s %127s", key, val) != 2)
            return spu_error_set(err, SPU_EPARSE, "%s:%d: bad option", path, lineno);
        if (strcmp(key, "gen_id") == 0)
            e.gid = atol(val);
        else if (strcmp(key, "sig_id") == 0)
            e.sid = atol(val);
        else if (strcmp(key, "type") == 0)
            e.thr.type = strcmp(val, "limit") == 0       ? THR_LIMIT
                         : strcmp(val, "threshold") == 0 ? THR_THRESHOLD
                         : strcmp(val, "both") == 0      ? THR_BOTH
                                                         : THR_NONE;
        else if (strcmp(key, "track") == 0) {
            e.thr.by_dst = strcmp(val, "by_dst") == 0;
            e.suppress_by_dst = e.thr.by_dst;
        } else if (strcmp(key, "count") == 0)
            e.thr.count = atol(val);
        else if (strcmp(key, "seconds") == 0)
            e.thr.seconds = atol(val);
        else if (strcmp(key, "ip") == 0) {
            if (!(e.suppress_ip = strdup(val)))
                return spu_error_set(err, SPU_ENOMEM, "out of memory");
        } else
            return spu_error_set(err, SPU_EPARSE, "%s:%d: unknown option '%s'", path, lineno, key);
    }
    if (e.gid < 0 || e.sid <= 0 ||
        (!e.suppress && (e.thr.type == THR_NONE || e.thr.count < 1 || e.thr.seconds < 1))) {
        free(e.suppress_ip);
        return spu_error_set(err, SPU_EPARSE, "%s:%d: incomplete entry", path, lineno);
    }
    if (e.suppress)
        e.thr.type = THR_NONE;
    struct imp_thr_entry *nt = realloc(im->thr, (im->nthr + 1) * sizeof(*nt));
    if (!nt) {
        free(e.suppress_ip);
        return spu_error_set(err, SPU_ENOMEM, "out of memory");
    }
    im->thr = nt;
    nt[im->nthr++] = e;
    return SPU_OK;
}

int importer_read_threshold(struct importer *im, const char *path, struct spu_error *err)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return spu_error_set(err, SPU_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    int rc = SPU_OK, lineno = 0;
    while (rc == SPU_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        char *p = trim(line);
        if (*p && *p != '#')
            rc = thr_line(im, p, err, path, lineno);
    }
    free(line);
    fclose(f);
    return rc;
}

const struct imp_thr_entry *imp_thr_find(const struct importer *im, long gid, long sid)
{
    for (unsigned i = 0; i < im->nthr; i++)
        if (im->thr[i].sid == sid && (im->thr[i].gid == gid || im->thr[i].gid == 0))
            return &im->thr[i];
    return NULL;
}
