/* compile.c - the back-end pipeline of one compilation (see compile.h). */
#include "compile.h"

#include "bundle-crypt.h"
#include "bundle-view.h"
#include "bundle.h"
#include "cg-int.h"
#include "diag.h"
#include "err.h"
#include "front.h"
#include "verify.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static void report(struct diag *d, const char *fmt, const struct spu_error *e)
{
    char buf[600];
    struct src_loc none = {0};
    diag_report(d, DIAG_ERROR, none, fmt, spu_error_str(e, buf, sizeof(buf)));
}

/* "sha256-hex  path" of each file of the compilation, in order. */
static struct cg_meta *make_meta(struct cg *cg, struct front *f, uint32_t *n)
{
    unsigned nf = front_file_count(f);
    struct cg_meta *m = cg_alloc(cg, (nf + 1) * sizeof(*m));
    if (!m)
        return NULL;
    m[0].key = "compiler";
    m[0].value = "spuc " SPUC_VERSION;
    *n = 1;
    for (unsigned i = 0; i < nf; i++) {
        const struct src_file *s = front_file_src(f, i);
        if (!s)
            continue;
        unsigned char md[32];
        unsigned int mdlen = 0;
        if (EVP_Digest(s->text, s->len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
            cg->status = SPU_ENOMEM;
            return NULL;
        }
        char hex[65];
        for (int k = 0; k < 32; k++)
            snprintf(hex + 2 * k, 3, "%02x", md[k]);
        m[*n].key = "source";
        m[*n].value = cg_sprintf(cg, "%s  %s", hex, s->path);
        (*n)++;
    }
    return m;
}

/* The written bytes through the verifier, then through the loader (which
 * also compiles regexes, builds lists and prefilter databases). A list
 * file that cannot be read now is a warning: spurun reads it at load. */
static int verify_bytes(struct diag *d, const uint8_t *data, size_t len, const uint8_t *sk)
{
    struct spu_error e;
    spu_error_clear(&e);
    struct spu_bview v;
    int rc = spu_bview_parse(data, len, &v, &e);
    if (rc == SPU_OK)
        rc = spu_verify(&v, &e);
    if (rc != SPU_OK) {
        report(d, "the bundle spuc produced fails verification (a bug in spuc): %s", &e);
        return rc == SPU_ENOMEM ? rc : SPU_EVERIFY;
    }
    uint8_t pk[SPU_PUBLIC_KEY_SIZE];
    struct spu_bundle_opts o = {0};
    if (sk) {
        memcpy(pk, sk + 32, sizeof(pk)); /* libsodium: seed, then public key */
        o.trusted_keys = (const uint8_t(*)[SPU_PUBLIC_KEY_SIZE])pk;
        o.ntrusted_keys = 1;
        o.require_signature = 1;
    }
    spu_error_clear(&e);
    struct spu_bundle *b = spu_bundle_load_mem(data, len, &o, &e);
    if (b) {
        spu_bundle_unref(b);
        return SPU_OK;
    }
    if (strcmp(e.where, "list") == 0 || (e.code == SPU_EIO)) {
        char buf[600];
        struct src_loc none = {0};
        diag_report(d, DIAG_WARNING, none, "%s (spurun reads list files when it loads the bundle)",
                    spu_error_str(&e, buf, sizeof(buf)));
        return SPU_OK;
    }
    report(d, "the bundle spuc produced does not load: %s", &e);
    return e.code == SPU_ENOMEM ? SPU_ENOMEM : SPU_EVERIFY;
}

int compile_bundle(struct front *f, const struct compile_opts *opts, uint8_t **out, size_t *len,
                   struct compile_stats *stats)
{
    static const struct compile_opts none;
    const struct compile_opts *o = opts ? opts : &none;
    struct diag *d = front_diag(f);
    const struct sema_program *prog = front_program(f);
    if (out)
        *out = NULL;
    if (len)
        *len = 0;
    if (!prog || diag_errors(d))
        return SPU_EPARSE;
    struct spu_error err;
    spu_error_clear(&err);
    struct spu_bw *bw = spu_bw_new(&err);
    if (!bw)
        return SPU_ENOMEM;
    struct cg cg;
    int rc = cg_init(&cg, prog, d, bw);
    uint8_t *bytes = NULL;
    size_t nbytes = 0;
    struct opt_stats ost = {0};
    if (rc == SPU_OK)
        rc = lower_grammars_declare(&cg);
    if (rc == SPU_OK)
        rc = lower_rules(&cg);
    if (rc == SPU_OK)
        rc = lower_sessions(&cg);
    if (rc == SPU_OK)
        rc = lower_logs(&cg);
    if (rc == SPU_OK)
        rc = lower_grammars(&cg);
    if (rc == SPU_OK)
        rc = index_build(&cg);
    if (rc == SPU_OK)
        rc = patterns_build(&cg);
    for (uint32_t i = 0; rc == SPU_OK && !o->no_opt && i < cg.nfuncs; i++)
        rc = opt_func(&cg, cg.funcs[i], &ost);
    if (rc == SPU_OK && o->ir_out && !cg.errors)
        ir_dump(o->ir_out, &cg);
    uint32_t nmeta = 0;
    struct cg_meta *meta = rc == SPU_OK ? make_meta(&cg, f, &nmeta) : NULL;
    if (rc == SPU_OK && !meta)
        rc = cg.status ? cg.status : SPU_ENOMEM;
    if (rc == SPU_OK && !cg.errors)
        rc = emit_bundle(&cg, o->name, meta, nmeta);
    if (rc == SPU_OK && !cg.errors) {
        struct spu_bw_opts wo = {.sign_key = o->sign_key, .hs_cache = o->hs_cache};
        rc = spu_bw_write(bw, &wo, &bytes, &nbytes, &err);
        if (rc != SPU_OK && rc != SPU_ENOMEM)
            report(d, "cannot write the bundle: %s", &err);
    }
    if (rc == SPU_OK && !cg.errors)
        rc = verify_bytes(d, bytes, nbytes, o->sign_key);
    if (rc == SPU_OK && cg.errors)
        rc = SPU_EPARSE;
    if (rc == SPU_EINVAL)
        rc = SPU_EVERIFY; /* an internal inconsistency, already reported */
    if (stats) {
        memset(stats, 0, sizeof(*stats));
        stats->programs = cg.nfuncs;
        stats->rules = prog->nrules;
        for (uint32_t i = 0; i < prog->nrules; i++) {
            stats->indexed += !!(cg.rule_flags[i] & SPU_RF_INDEXED);
            stats->prefiltered += !!(cg.rule_flags[i] & SPU_RF_PREFILTERED);
        }
        stats->patterns = cg.npats;
        stats->tree_nodes = spu_bw_count(bw, SPU_SEC_INODE);
        stats->dfas = spu_bw_count(bw, SPU_SEC_DFA);
        stats->folded = ost.folded;
        stats->dead = ost.dead;
        stats->threaded = ost.threaded;
        stats->peephole = ost.peephole;
        stats->bytes = nbytes;
    }
    cg_fini(&cg);
    spu_bw_free(bw);
    if (rc == SPU_OK && out) {
        *out = bytes;
        *len = nbytes;
    } else {
        free(bytes);
    }
    return rc;
}
