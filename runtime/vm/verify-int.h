/*
 * verify-int.h - what verify.c and verify-code.c share: the checking
 * context and the error helper. Internal to the verifier.
 */
#ifndef SPU_VERIFY_INT_H
#define SPU_VERIFY_INT_H

#include "builtin-api.h"
#include "bundle-view.h"
#include "err.h"

struct vctx {
    const struct spu_bview *v;
    struct spu_error *err;
    uint8_t arity[SPU_BI__COUNT]; /* declared parameters of each builtin */
};

/* Fail with SPU_EVERIFY at entry `index` of section `sec` (+ `field`
 * bytes). Returns SPU_EVERIFY. */
int spu_vfail(const struct vctx *vc, unsigned sec, uint64_t index, uint64_t field, const char *fmt,
              ...) __attribute__((format(printf, 5, 6)));

/* Number of FLOWKEY entries of events.def and RT_EVENTs. */
unsigned spu_vflowkey_count(void);
unsigned spu_vrt_event_count(void);

/* Check the LOG and LOGENT sections (program headers already verified). */
int spu_verify_logs(const struct vctx *vc);

/* Check the code of program `pi` (its header is already verified). */
int spu_verify_code(const struct vctx *vc, uint32_t pi);

#endif
