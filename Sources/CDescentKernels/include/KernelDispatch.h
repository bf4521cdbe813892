// Descent's hand-written C kernels: which instruction set they run with.
//
// Swift code is compiled for baseline x86-64 (SSE2, no FMA); OpenBLAS picks AVX2 kernels at
// run time. The few hot loops where BLAS's call shape loses (a Gram matrix of a tall, thin
// block; a fused gradient pass over narrow rows) are written here in C, compiled twice (for
// x86-64-v3 — AVX2, FMA, BMI — and for the baseline) from one body, and chosen once at run time.
#ifndef DESCENT_KERNEL_DISPATCH_H
#define DESCENT_KERNEL_DISPATCH_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Whether this CPU runs the x86-64-v3 (AVX2 + FMA) versions of the kernels.
bool descent_kernels_cpu_has_v3(void);

/// The instruction set the kernels run with on this CPU, for benchmark reports:
/// "x86-64-v3 (AVX2, FMA)", "x86-64 baseline (SSE2)" or "portable C".
const char *descent_kernels_instruction_set(void);

#ifdef __cplusplus
}
#endif

#endif
