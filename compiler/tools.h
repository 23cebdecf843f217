/*
 * tools.h - what spuc prints about a bundle besides its dump (disasm.h):
 * the lookup trees as Graphviz text (`spuc --dot`) and every event with
 * its fields and types (`spuc --fields`, the source of docs/fields.md).
 * Both read a verified bundle view (bundle-view.h; spu_verify passed), so
 * every index they follow is in range. They write to a FILE the caller
 * owns and return SPU_OK, SPU_EIO (write error) or SPU_ENOMEM. Any thread.
 */
#ifndef SPUC_TOOLS_H
#define SPUC_TOOLS_H

#include <stdio.h>

struct spu_bview;

/* One `digraph` with a cluster per event that has a tree: nodes name the
 * level they test and list their rules (gid:sid); edges show their kind
 * and value; `any` edges are dashed. */
int spuc_dot(FILE *out, const struct spu_bview *v);

/* Markdown: each grammar event of the bundle, then every runtime event of
 * events.def, with the canonical dotted name and the type of each field
 * (records expanded, array elements as NAME[].field, map arrays noted),
 * then the connection fields (flow.NAME). */
int spuc_fields(FILE *out, const struct spu_bview *v);

#endif
