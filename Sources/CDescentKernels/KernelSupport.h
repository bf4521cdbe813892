// Private to the C kernels: how one kernel body becomes two compiled versions.
//
// A kernel file writes its body once as a `static inline DESCENT_ALWAYS_INLINE` function over
// GCC/Clang vector types (`DescentDouble4`, `DescentFloat8`: lane-wise arithmetic that lowers to
// AVX2 under x86-64-v3 and to pairs of SSE2 registers on the baseline), then defines a
// `DESCENT_TARGET_V3` wrapper and a plain wrapper that both inline the body, and a public entry
// point that calls `descent_kernels_cpu_has_v3() ? v3 : baseline`. Tests call both versions.
//
// Floating-point contraction is off in every kernel file (the pragma below): the v3 version
// then does the same multiplies and adds, in the same order, as the baseline one, so the two
// return the same bits and a result never depends on the machine's instruction set. (On AMD
// Zen, separate multiplies and adds have the throughput of FMAs: two of each per cycle.)
// One exception, by measurement: GramKernel.c, which is compute-bound and dispatch-limited,
// turns contraction back on (see its header comment).
#ifndef DESCENT_KERNEL_SUPPORT_H
#define DESCENT_KERNEL_SUPPORT_H

#include "KernelDispatch.h"

#pragma STDC FP_CONTRACT OFF

#define DESCENT_ALWAYS_INLINE __attribute__((always_inline))

#if defined(__x86_64__)
#define DESCENT_HAVE_V3 1
#define DESCENT_TARGET_V3 __attribute__((target("arch=x86-64-v3")))
#else
#define DESCENT_HAVE_V3 0
#define DESCENT_TARGET_V3
#endif

typedef double DescentDouble4 __attribute__((vector_size(32), aligned(8)));
typedef float DescentFloat8 __attribute__((vector_size(32), aligned(4)));

#endif
