/* dot.c - Graphviz text of a bundle's lookup trees (see tools.h). */
#include "tools.h"

#include "bundle-format.h"
#include "bundle-view.h"
#include "err.h"

#include <stdlib.h>

static void label_bytes(FILE *out, const char *p, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"')
            fputs("\\\"", out);
        else if (c == '\\')
            fputs("\\\\", out);
        else if (c < 0x20 || c >= 0x7f)
            fprintf(out, "\\\\x%02x", c);
        else
            fputc(c, out);
    }
}

static void str(FILE *out, const struct spu_bview *v, struct spu_bstr s)
{
    label_bytes(out, spu_bview_str(v, s), s.len);
}

static void node(FILE *out, const struct spu_bview *v, const struct spu_bevent *e, uint32_t ni)
{
    const struct spu_binode *n = &v->inodes[ni];
    fprintf(out, "    n%u [label=\"N%u ", ni, ni);
    if (n->nedges && n->level < e->nlevels)
        str(out, v, v->progs[v->u32[e->levels + n->level]].name);
    for (uint32_t k = 0; k < n->nrules; k++) {
        const struct spu_brule *r = &v->rules[v->u32[n->rules + k]];
        fprintf(out, "%s%u:%u", k ? " " : "\\nrules ", r->gid, r->sid);
    }
    fprintf(out, "\"];\n");
    for (uint32_t k = 0; k < n->nedges; k++) {
        const struct spu_biedge *ed = &v->iedges[n->edges + k];
        const char *kind = ed->kind == SPU_IE_EXACT    ? "= "
                           : ed->kind == SPU_IE_PREFIX ? "prefix "
                                                       : "suffix ";
        fprintf(out, "    n%u -> n%u [label=\"%s\\\"", ni, ed->child, kind);
        str(out, v, ed->value);
        fprintf(out, "\\\"%s\"];\n", (ed->flags & SPU_IEF_NOCASE) ? " nocase" : "");
    }
    if (n->any != SPU_NONE)
        fprintf(out, "    n%u -> n%u [label=\"any\", style=dashed];\n", ni, n->any);
}

int spuc_dot(FILE *out, const struct spu_bview *v)
{
    /* each node is pushed at most once per edge into it */
    uint32_t *stack = malloc(((size_t)v->niedges + v->ninodes + 1) * sizeof(*stack));
    uint8_t *seen = calloc((size_t)v->ninodes + 1, 1);
    if (!stack || !seen) {
        free(stack);
        free(seen);
        return SPU_ENOMEM;
    }
    fprintf(out, "digraph spu {\n  node [shape=box, fontname=\"monospace\"];\n");
    for (uint32_t ei = 0; ei < v->nevents; ei++) {
        const struct spu_bevent *e = &v->events[ei];
        if (e->index_root == SPU_NONE)
            continue;
        fprintf(out, "  subgraph cluster_%u {\n    label=\"", ei);
        str(out, v, e->name);
        fprintf(out, "\";\n");
        /* depth first from the root; trees are acyclic (verified) */
        stack[0] = e->index_root;
        uint32_t sp = 1;
        while (sp) {
            uint32_t ni = stack[--sp];
            if (seen[ni])
                continue;
            seen[ni] = 1;
            node(out, v, e, ni);
            const struct spu_binode *n = &v->inodes[ni];
            if (n->any != SPU_NONE && !seen[n->any])
                stack[sp++] = n->any;
            for (uint32_t k = n->nedges; k-- > 0;)
                if (!seen[v->iedges[n->edges + k].child])
                    stack[sp++] = v->iedges[n->edges + k].child;
        }
        fprintf(out, "  }\n");
    }
    fprintf(out, "}\n");
    free(stack);
    free(seen);
    return ferror(out) ? SPU_EIO : SPU_OK;
}
