/* vm.c - the rule and key program interpreter (see vm.h). */
#include "vm.h"

#include "arena.h"
#include "bundle-int.h"
#include "bytecode.h"
#include "lists.h"
#include "vm-ops.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 1000000u
#define DEFAULT_SCRATCH_CAP (16u << 20)
#define DEFAULT_MATCH_LIMIT 100000u
#define DEFAULT_DEPTH_LIMIT 10000u

static const char *const fault_names[SPU_VMF__COUNT] = {
#define SPU_VMF_NAME(name, text) text,
    SPU_VM_FAULT_LIST(SPU_VMF_NAME)
#undef SPU_VMF_NAME
};

const char *spu_vm_fault_name(unsigned fault)
{
    return fault < SPU_VMF__COUNT ? fault_names[fault] : "unknown fault";
}

/* Two frames: a rule and, nested once, a session's KEY program (KEY
 * programs cannot reach sessions, the verifier sees to it). */
enum { LEVELS = 2 };

struct spu_vm {
    struct spu_vm_config cfg;
    struct spu_arena *scratch;
    pcre2_match_data *md;
    pcre2_match_context *mc;
    struct spu_value *skey; /* per session: key of the current run */
    uint32_t *skstamp;      /* run id that computed skey[i] */
    uint32_t skcap;
    uint32_t run_id;
    struct spu_value stack[LEVELS * SPU_MAX_STACK];
    struct spu_value locals[LEVELS * SPU_MAX_LOCALS];
};

struct run {
    struct spu_vm *vm;
    const struct spu_bundle *b;
    const struct spu_host *host;
    void *hctx;
    const struct spu_record *rec; /* the event record */
    uint32_t rule;
    uint64_t steps;
    uint64_t budget;
    int touched_session;
    int fault;
    uint32_t pc, prog;
    const char *detail;
};

struct spu_vm *spu_vm_new(const struct spu_vm_config *cfg, struct spu_error *err)
{
    struct spu_vm *vm = calloc(1, sizeof(*vm));
    if (!vm)
        goto oom;
    if (cfg)
        vm->cfg = *cfg;
    if (!vm->cfg.builtins)
        vm->cfg.builtins = spu_builtin_fns;
    if (!vm->cfg.budget)
        vm->cfg.budget = DEFAULT_BUDGET;
    if (!vm->cfg.scratch_cap)
        vm->cfg.scratch_cap = DEFAULT_SCRATCH_CAP;
    if (!vm->cfg.regex_match_limit)
        vm->cfg.regex_match_limit = DEFAULT_MATCH_LIMIT;
    if (!vm->cfg.regex_depth_limit)
        vm->cfg.regex_depth_limit = DEFAULT_DEPTH_LIMIT;
    vm->scratch = spu_arena_new(0, vm->cfg.scratch_cap);
    vm->md = pcre2_match_data_create(1, NULL);
    vm->mc = pcre2_match_context_create(NULL);
    if (!vm->scratch || !vm->md || !vm->mc)
        goto oom;
    pcre2_set_match_limit(vm->mc, vm->cfg.regex_match_limit);
    pcre2_set_depth_limit(vm->mc, vm->cfg.regex_depth_limit);
    return vm;
oom:
    spu_vm_free(vm);
    spu_error_set(err, SPU_ENOMEM, "out of memory creating a VM");
    return NULL;
}

void spu_vm_free(struct spu_vm *vm)
{
    if (!vm)
        return;
    spu_arena_free(vm->scratch);
    pcre2_match_data_free(vm->md);
    pcre2_match_context_free(vm->mc);
    free(vm->skey);
    free(vm->skstamp);
    free(vm);
}

struct spu_arena *spu_vm_scratch(struct spu_vm *vm)
{
    return vm->scratch;
}

void spu_vm_reset(struct spu_vm *vm)
{
    spu_arena_reset(vm->scratch);
}

/* ---- the out-of-line parts of instructions ---- */

static int call_builtin(struct run *r, uint32_t id, unsigned argc, const struct spu_value *args,
                        struct spu_value *ret)
{
    if (++r->steps > r->budget)
        return SPU_VMF_BUDGET;
    struct spu_call c = {
        .scratch = r->vm->scratch,
        .lists = r->b->lists,
        .host = r->host,
        .host_ctx = r->hctx,
        .rule = r->rule,
        .builtin = id,
        .fault = NULL,
    };
    int rc = r->vm->cfg.builtins[id](&c, args, argc, ret);
    if (rc != SPU_OK) {
        r->detail = c.fault ? c.fault : spu_strerror(rc);
        return SPU_VMF_BUILTIN;
    }
    return SPU_VMF_NONE;
}

static int list_has(struct run *r, uint32_t list, const struct spu_value *v, struct spu_value *out)
{
    int rc = spu_lists_has(r->b->lists, list, v);
    if (rc < 0) {
        r->detail = "list lookup failed";
        return rc == SPU_ENOMEM ? SPU_VMF_MEMORY : SPU_VMF_TYPE;
    }
    *out = spu_v_bool(rc == 1);
    return SPU_VMF_NONE;
}

/* The typed zero of field `f` of layout `l`: what an unset variable reads. */
static struct spu_value typed_zero(const struct spu_bview *v, uint32_t l, uint32_t f)
{
    const struct spu_bfield *fd = &v->fields[v->layouts[l].first_field + f];
    if (fd->flags & SPU_FF_ARRAY)
        return spu_v_null();
    if (fd->type == SPU_T_INT)
        return spu_v_int(0);
    if (fd->type == SPU_T_BOOL)
        return spu_v_bool(false);
    return spu_v_null();
}

static struct spu_value slot_value(const struct spu_bview *v, uint32_t l, uint32_t f,
                                   const struct spu_value *slot)
{
    return slot->type == SPU_T_NULL ? typed_zero(v, l, f) : *slot;
}

static int flowvar_load(struct run *r, uint32_t b, struct spu_value *out)
{
    const struct spu_bview *v = &r->b->v;
    uint32_t fl = v->globals->flow_layout, n = 0;
    struct spu_arena *arena = NULL;
    if (!r->host || !r->host->flowvars) {
        r->detail = "no flow variables from the host";
        return SPU_VMF_HOST;
    }
    struct spu_value *slots = r->host->flowvars(r->hctx, &n, &arena);
    if (!slots) {
        *out = typed_zero(v, fl, b);
        return SPU_VMF_NONE;
    }
    if (b >= n) {
        r->detail = "the host's flow variables do not fit the bundle";
        return SPU_VMF_HOST;
    }
    *out = slot_value(v, fl, b, &slots[b]);
    return SPU_VMF_NONE;
}

static int store_copy(struct run *r, struct spu_arena *arena, const struct spu_value *val,
                      struct spu_value *slot)
{
    if (!spu_vmop_storable(val)) {
        r->detail = "records, regexes and lists cannot be stored";
        return SPU_VMF_TYPE;
    }
    if (!arena) {
        r->detail = "the host gave no arena for the stored value";
        return SPU_VMF_HOST;
    }
    struct spu_value copy;
    if (spu_value_copy(arena, val, &copy) != SPU_OK) {
        r->detail = "state arena full";
        return SPU_VMF_STORE;
    }
    *slot = copy;
    return SPU_VMF_NONE;
}

static int flowvar_store(struct run *r, uint32_t b, const struct spu_value *val)
{
    uint32_t n = 0;
    struct spu_arena *arena = NULL;
    struct spu_value *slots =
        r->host && r->host->flowvars ? r->host->flowvars(r->hctx, &n, &arena) : NULL;
    if (!slots || b >= n) {
        r->detail = "no flow variables from the host";
        return SPU_VMF_HOST;
    }
    return store_copy(r, arena, val, &slots[b]);
}

static int flowkey_load(struct run *r, uint32_t b, struct spu_value *out)
{
    if (!r->host || !r->host->flowkey) {
        r->detail = "no flow keys from the host";
        return SPU_VMF_HOST;
    }
    /* an event without a connection has no flow key: null */
    if (r->host->flowkey(r->hctx, b, out) != SPU_OK)
        *out = spu_v_null();
    return SPU_VMF_NONE;
}

static int exec(struct run *r, uint32_t pi, const struct spu_record *rec, int level,
                struct spu_value *out);

/* The key of session `s` for this run: computed once by its KEY program. */
static int session_key(struct run *r, uint32_t s, const struct spu_value **key)
{
    struct spu_vm *vm = r->vm;
    if (vm->skstamp[s] != vm->run_id) {
        const struct spu_bsession *ss = &r->b->v.sessions[s];
        const struct spu_record *rec = ss->key_event == SPU_NONE ? NULL : r->rec;
        if (exec(r, ss->key_prog, rec, 1, &vm->skey[s]) != SPU_OK)
            return r->fault;
        vm->skstamp[s] = vm->run_id;
    }
    *key = &vm->skey[s];
    return SPU_VMF_NONE;
}

static int session_slots(struct run *r, uint32_t s, int create, struct spu_value **slots,
                         struct spu_arena **arena)
{
    const struct spu_value *key = NULL;
    int f = session_key(r, s, &key);
    *slots = NULL;
    if (f)
        return f;
    if (key->type == SPU_T_NULL)
        return SPU_VMF_NONE;
    if (!r->host || !r->host->session) {
        r->detail = "no sessions from the host";
        return SPU_VMF_HOST;
    }
    uint32_t n = 0;
    r->touched_session = 1;
    *slots = r->host->session(r->hctx, s, key, create, &n, arena);
    const struct spu_bview *v = &r->b->v;
    if (*slots && n < v->layouts[v->sessions[s].layout].nfields) {
        r->detail = "the host's session variables do not fit the bundle";
        return SPU_VMF_HOST;
    }
    if (!*slots && create) {
        r->detail = "session store refused a new entry";
        return SPU_VMF_STORE;
    }
    return SPU_VMF_NONE;
}

static int sess_load(struct run *r, uint32_t s, uint32_t b, struct spu_value *out)
{
    struct spu_value *slots;
    struct spu_arena *arena = NULL;
    int f = session_slots(r, s, 0, &slots, &arena);
    if (f)
        return f;
    const struct spu_value *key = &r->vm->skey[s];
    uint32_t l = r->b->v.sessions[s].layout;
    if (key->type == SPU_T_NULL)
        *out = spu_v_null();
    else
        *out = slots ? slot_value(&r->b->v, l, b, &slots[b]) : typed_zero(&r->b->v, l, b);
    return SPU_VMF_NONE;
}

static int sess_store(struct run *r, uint32_t s, uint32_t b, const struct spu_value *val)
{
    if (!spu_vmop_storable(val)) {
        r->detail = "records, regexes and lists cannot be stored";
        return SPU_VMF_TYPE;
    }
    struct spu_value *slots;
    struct spu_arena *arena = NULL;
    int f = session_slots(r, s, 1, &slots, &arena);
    if (f || !slots) /* a null key: nothing to store into */
        return f;
    return store_copy(r, arena, val, &slots[b]);
}

/* ---- the interpreter loop ---- */

/* Computed goto under GCC/Clang (SPU_VM_SWITCH forces the portable
 * switch, to test it); both jump back to `dispatch` after each body. */
#if defined(__GNUC__) && !defined(SPU_VM_SWITCH)
#define VM_LABEL_R(name) &&L_##name
#define VM_LABEL_RG(name) &&L_##name
#define VM_LABEL_G(name) &&op_bad
#define DISPATCH() goto *labels[(in = ip++)->op]
#define VM_CASE(name) L_##name:
#define VM_NEXT() DISPATCH()
#define DISPATCH_END
#else
#define DISPATCH()                                                                                 \
    dispatch:                                                                                      \
    in = ip++;                                                                                     \
    switch (in->op) {
#define VM_CASE(name) case SPU_OP_##name:
#define VM_NEXT() goto dispatch
#define DISPATCH_END                                                                               \
    default:                                                                                       \
        goto op_bad;                                                                               \
        }
#endif

#define VM_JUMP(t)                                                                                 \
    do {                                                                                           \
        ip = code + (t);                                                                           \
        VM_NEXT();                                                                                 \
    } while (0)
#define VM_FAULT(k)                                                                                \
    do {                                                                                           \
        fk = (k);                                                                                  \
        goto fault;                                                                                \
    } while (0)
#define VM_RECORD rec
#define VM_LOCALS locals
#define VM_STORE_LOCAL(slot, v) (*(slot) = (v))
#define VM_CONST(i) (&b->kvals[i])
#define VM_REGEX(i) (b->re[i])
#define VM_MATCH_DATA (r->vm->md)
#define VM_MATCH_CTX (r->vm->mc)
#define VM_SCRATCH (r->vm->scratch)
#define VM_CALL(id, argc, args, ret) call_builtin(r, (id), (argc), (args), (ret))
#define VM_IN_LIST(i, v, out) list_has(r, (i), (v), (out))

static int exec(struct run *r, uint32_t pi, const struct spu_record *rec, int level,
                struct spu_value *out)
{
#if defined(__GNUC__) && !defined(SPU_VM_SWITCH)
    static const void *const labels[SPU_OP__COUNT] = {
#define OP(name, fmt, pop, push, where, doc) [SPU_OP_##name] = VM_LABEL_##where(name),
#include "opcodes.def"
#undef OP
    };
#endif
    const struct spu_bundle *b = r->b;
    const struct spu_bprog *p = &b->v.progs[pi];
    const struct spu_insn *code = b->v.code + p->code_off;
    const struct spu_insn *ip = code, *in = code;
    struct spu_value *sp = r->vm->stack + level * SPU_MAX_STACK;
    struct spu_value *locals = r->vm->locals + level * SPU_MAX_LOCALS;
    int fk = SPU_VMF_NONE;
    memset(locals, 0, (size_t)p->nlocals * sizeof(*locals));

    DISPATCH();
#include "vm-ops.inc"

    VM_CASE(LOOP)
    {
        /* the loop body runs again: charge its length, so the budget bounds
         * the instructions executed whatever the program's size */
        r->steps += (uint64_t)(in - code) - in->c + 1;
        if (r->steps > r->budget)
            VM_FAULT(SPU_VMF_BUDGET);
        VM_JUMP(in->c);
    }
    VM_CASE(RET)
    {
        if (out)
            *out = p->kind == SPU_PROG_KEY ? sp[-1] : spu_v_null();
        return SPU_OK;
    }
    VM_CASE(LOAD_FLOWVAR)
    {
        int f_ = flowvar_load(r, in->b, sp);
        if (f_)
            VM_FAULT(f_);
        sp++;
        VM_NEXT();
    }
    VM_CASE(STORE_FLOWVAR)
    {
        int f_ = flowvar_store(r, in->b, &sp[-1]);
        if (f_)
            VM_FAULT(f_);
        sp--;
        VM_NEXT();
    }
    VM_CASE(LOAD_FLOWKEY)
    {
        int f_ = flowkey_load(r, in->b, sp);
        if (f_)
            VM_FAULT(f_);
        sp++;
        VM_NEXT();
    }
    VM_CASE(LOAD_SESS)
    {
        int f_ = sess_load(r, in->a, in->b, sp);
        if (f_)
            VM_FAULT(f_);
        sp++;
        VM_NEXT();
    }
    VM_CASE(STORE_SESS)
    {
        int f_ = sess_store(r, in->a, in->b, &sp[-1]);
        if (f_)
            VM_FAULT(f_);
        sp--;
        VM_NEXT();
    }
    DISPATCH_END

op_bad:
    /* A grammar opcode: the verifier refuses them in rule programs. */
    r->detail = "grammar opcode in a rule program";
    fk = SPU_VMF_TYPE;
fault:
    if (r->fault == SPU_VMF_NONE) { /* a nested KEY program reported first */
        r->fault = fk;
        r->pc = (uint32_t)(in - code);
        r->prog = pi;
    }
    if (out)
        *out = spu_v_null();
    return SPU_EFAULT;
}

/* ---- entry points ---- */

static void run_init(struct run *r, struct spu_vm *vm, const struct spu_bundle *b,
                     const struct spu_host *host, void *hctx, const struct spu_record *rec,
                     uint32_t rule)
{
    memset(r, 0, sizeof(*r));
    r->vm = vm;
    r->b = b;
    r->host = host;
    r->hctx = hctx;
    r->rec = rec;
    r->rule = rule;
    r->budget = vm->cfg.budget;
}

static int run_prog(struct run *r, uint32_t pi, const struct spu_record *rec, struct spu_value *out,
                    struct spu_vm_result *res)
{
    struct spu_vm *vm = r->vm;
    const struct spu_bview *v = &r->b->v;
    const struct spu_bprog *p = &v->progs[pi];
    int rc;
    if (v->nsessions > vm->skcap) {
        struct spu_value *nk = realloc(vm->skey, v->nsessions * sizeof(*nk));
        if (nk)
            vm->skey = nk;
        uint32_t *ns = nk ? realloc(vm->skstamp, v->nsessions * sizeof(*ns)) : NULL;
        if (!ns) {
            r->fault = SPU_VMF_MEMORY;
            r->prog = pi;
            r->detail = "out of memory for session keys";
            rc = SPU_EFAULT;
            goto out;
        }
        memset(ns + vm->skcap, 0, (v->nsessions - vm->skcap) * sizeof(*ns));
        vm->skstamp = ns;
        vm->skcap = v->nsessions;
    }
    if (++vm->run_id == 0) { /* stamps wrapped: forget them all */
        memset(vm->skstamp, 0, vm->skcap * sizeof(*vm->skstamp));
        vm->run_id = 1;
    }
    if (p->layout == SPU_NONE) /* a flow-key program reads no record */
        rec = NULL;
    /* log programs may run on stdlib records (SPU_LAYOUT_STD | id) */
    if (rec && (!rec->layout || rec->layout->id != p->layout ||
                rec->nslots < spu_bundle_layout(r->b, p->layout)->nfields)) {
        r->fault = SPU_VMF_RECORD;
        r->prog = pi;
        rc = SPU_EFAULT;
        goto out;
    }
    rc = exec(r, pi, rec, 0, out);
out:
    if (res) {
        res->fault = r->fault;
        res->pc = r->pc;
        res->prog = r->fault ? r->prog : pi;
        res->rule = r->rule;
        res->steps = r->steps;
        res->detail = r->detail ? r->detail : (r->fault ? spu_vm_fault_name(r->fault) : NULL);
    }
    return rc;
}

int spu_vm_run_rule(struct spu_vm *vm, const struct spu_bundle *b, uint32_t rule,
                    const struct spu_record *rec, const struct spu_host *host, void *host_ctx,
                    struct spu_vm_result *res)
{
    if (rule >= b->v.nrules)
        return SPU_EINVAL;
    struct run r;
    run_init(&r, vm, b, host, host_ctx, rec, rule);
    int rc = run_prog(&r, b->v.rules[rule].prog, rec, NULL, res);
    if (r.touched_session && host && host->end_rule)
        host->end_rule(host_ctx, rule);
    return rc;
}

int spu_vm_run_key(struct spu_vm *vm, const struct spu_bundle *b, uint32_t prog,
                   const struct spu_record *rec, const struct spu_host *host, void *host_ctx,
                   struct spu_value *out, struct spu_vm_result *res)
{
    *out = spu_v_null();
    if (prog >= b->v.nprogs || b->v.progs[prog].kind != SPU_PROG_KEY)
        return SPU_EINVAL;
    struct run r;
    run_init(&r, vm, b, host, host_ctx, rec, SPU_NONE);
    return run_prog(&r, prog, rec, out, res);
}
