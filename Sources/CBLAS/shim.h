#ifndef DESCENT_CBLAS_SHIM_H
#define DESCENT_CBLAS_SHIM_H
// OpenBLAS's complex types as structs of two reals: C99 _Complex does not import into Swift.
#define FORCE_OPENBLAS_COMPLEX_STRUCT 1
#include <cblas.h>
// A software prefetch for read (Swift has no prefetch intrinsic): the mini-batch gather
// reads rows in random order and is bound by memory latency without it.
static inline void descent_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
