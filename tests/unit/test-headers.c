/* Every shared header compiles on its own and its static layout promises
 * hold (a header that breaks its includers should fail here first). */
#include <criterion/criterion.h>

#include "builtin-api.h"
#include "bundle-format.h"
#include "bytecode.h"
#include "err.h"
#include "host.h"
#include "value.h"

Test(headers, layouts)
{
    cr_assert_eq(sizeof(struct spu_bhdr), SPU_BHDR_SIZE);
    cr_assert_eq(sizeof(struct spu_insn), 8);
    cr_assert_eq(sizeof(struct spu_value), 16);
    cr_assert_eq(sizeof(struct spu_bstr), 8);
    cr_assert_eq(sizeof(struct spu_bsect), 24);
    cr_assert_eq(sizeof(struct spu_bconst), 16);
    cr_assert_eq(sizeof(struct spu_bsig), 72);
}

Test(headers, counts)
{
    cr_assert_gt(SPU_OP__COUNT, 0);
    cr_assert_gt(SPU_BI__COUNT, 0);
    cr_assert_gt(SPU_FLT__COUNT, 0);
    cr_assert_gt(SPU_REC__COUNT, 0);
    /* the highest id is the last of the list */
#define SEC_ID(name, id, text) id,
    static const unsigned ids[] = {SPU_SECTION_LIST(SEC_ID)};
#undef SEC_ID
    cr_assert_eq(SPU_SEC__MAX, ids[sizeof(ids) / sizeof(ids[0]) - 1]);
}
