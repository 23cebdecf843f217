/*
 * import.h - spuc --import: Suricata and Snort rules translated into
 * readable spu rules (.spr). docs/import.md describes the mapping.
 *
 *   struct importer *im = importer_new(IMPORT_SURICATA, &err);
 *   importer_read_classification(im, "classification.config", &err);  (optional)
 *   importer_read_threshold(im, "threshold.config", &err);            (optional)
 *   importer_add_rules(im, "x.rules", text, len);   (any number of files)
 *   importer_write(im, out);      the .spr text
 *   importer_summary(im, stderr); translated / skipped per reason
 *   importer_write_vars(im, dir, &err);  default variable files (vars/NAME)
 *   importer_free(im);
 *
 * A rule that uses something the translation cannot express with the same
 * meaning is skipped: one diagnostic line (file:line: sid N: keyword:
 * reason) goes to the diagnostic stream given to importer_add_rules, and
 * the reason is counted. Library code: prints only to the streams given.
 */
#ifndef SPUC_IMPORT_H
#define SPUC_IMPORT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum import_dialect { IMPORT_SURICATA, IMPORT_SNORT2, IMPORT_SNORT3 };

struct importer;

/* "suricata", "snort2", "snort3" -> dialect; -1 for anything else. */
int import_dialect_of(const char *name);

struct importer *importer_new(enum import_dialect d, struct spu_error *err);
void importer_free(struct importer *im);

/* classification.config: `config classification: NAME,DESCRIPTION,PRIORITY`
 * lines; a rule's priority, when it gives none, is its class's. */
int importer_read_classification(struct importer *im, const char *path, struct spu_error *err);
/* threshold.config: `threshold gen_id G, sig_id S, type T, track BY, count
 * N, seconds S`, `event_filter` (the same), `suppress gen_id G, sig_id S[,
 * track BY, ip ADDR]` lines applied to the rules they name. */
int importer_read_threshold(struct importer *im, const char *path, struct spu_error *err);

/* Translate the rules of one file (text need not be NUL-terminated).
 * diag: where skipped rules are reported (may be NULL). SPU_OK or
 * SPU_ENOMEM. */
int importer_add_rules(struct importer *im, const char *name, const char *text, size_t len,
                       FILE *diag);

/* The .spr text of every rule translated so far, with its declarations. */
int importer_write(struct importer *im, FILE *out);

/* Default values of the address/port variables the rules use, one file
 * each (DIR/NAME and DIR/NAME_except), written only where no file exists. */
int importer_write_vars(struct importer *im, const char *dir, struct spu_error *err);

/* Counts: rules seen (active), translated, skipped; then skipped per
 * reason, most frequent first. */
void importer_summary(const struct importer *im, FILE *out);
unsigned importer_translated(const struct importer *im);
unsigned importer_skipped(const struct importer *im);

/* What spuc does with .rules files: read the optional configuration
 * files, translate every file in order, report skipped rules to diag and
 * the summary to summary (either may be NULL). The .spr text is returned
 * in *text (malloc'd, *len bytes); its variable lists are read from
 * SPR_DIR/vars/NAME, whose missing default files are written. SPU_OK, or an
 * error with err filled (unreadable file, no memory). */
struct import_opts {
    enum import_dialect dialect;
    const char *classification; /* or NULL */
    const char *threshold;      /* or NULL */
    const char *spr_dir;        /* the directory of the .spr: its lists are in SPR_DIR/vars/ */
};
int import_files(const struct import_opts *o, const char *const *files, int nfiles, FILE *diag,
                 FILE *summary, char **text, size_t *len, struct spu_error *err);

#endif
