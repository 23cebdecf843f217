/*
 * version.h - spu's version, one for the three programs (spuc, spurun,
 * spuctl --version) and the bundles spuc writes.
 */
#ifndef SPU_VERSION_H
#define SPU_VERSION_H

#define SPU_VERSION "0.1.0"

#endif
