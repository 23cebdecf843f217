/*
 * classification.h - the classtype table (Suricata's classification.config
 * format): one line per class,
 *
 *   config classification: SHORTNAME,DESCRIPTION,PRIORITY
 *
 * with '#' comments and blank lines. An alert's `category` is the
 * description of its rule's classtype and its default severity the class's
 * priority (rules/classification.config is the shipped table).
 *
 * Loaded once on the main thread, immutable after: any thread may read it.
 */
#ifndef SPU_CLASSIFICATION_H
#define SPU_CLASSIFICATION_H

#include <stddef.h>

struct spu_error;
struct classification;

struct class_entry {
    const char *name;
    const char *desc;
    int priority;
};

/* Parse `path`. Returns new, or NULL with err (file:line and the reason). */
struct classification *classification_load(const char *path, struct spu_error *err);

/* Parse text (for tests); `origin` names it in errors. */
struct classification *classification_parse(const char *text, size_t len, const char *origin,
                                            struct spu_error *err);

void classification_free(struct classification *c);

/* The class named name[0..len) (case-insensitive), or NULL. */
const struct class_entry *classification_find(const struct classification *c, const char *name,
                                              size_t len);

size_t classification_count(const struct classification *c);

#endif
