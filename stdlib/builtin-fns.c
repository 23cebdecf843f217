/* builtin-fns.c - the C function of every built-in, indexed by builtin id
 * (builtins.def, c_symbol column). Names and signatures are in
 * builtin-table.c. */
#include "stdlib-int.h"

const spu_builtin_fn spu_builtin_fns[SPU_BI__COUNT] = {
#define BUILTIN(name, sym, ret, flags, params) [SPU_BI_##name] = sym,
#include "builtins.def"
#undef BUILTIN
};
