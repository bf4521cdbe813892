// The shifted Gram matrix of a block of rows: the one pass least squares needs.
//
// For a block of `rows` rows of features `x` (row-major, `rows × d`) and targets `y`, and a
// shift `shift` (`d + 1` values, the target's last), the kernels form in `double` the shifted
// augmented rows zₖ = [xₖ | yₖ] − shift (float data widened exactly first) and write
//
//     gram = ZᵀZ   (upper triangle of a p × p matrix, p = d + 1, row-major, leading dimension ldc)
//     sums = Zᵀ·1  (p values)
//
// OpenBLAS's dsyrk reaches only a third of the core's peak on this tall, thin shape (n ≈ 33,
// k ≈ 1000) and needs the block widened and shifted into a copy first; these kernels widen an
// L1-sized slice of rows at a time into the caller's scratch and run a register-blocked
// product over it: the moments pass of a 4M × 32 solve takes ~0.86× the time of the old
// syrk fast path on raw rows and ~0.7× that of widen + syrk (2 threads, in-process A/B).
#ifndef DESCENT_GRAM_KERNEL_H
#define DESCENT_GRAM_KERNEL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The number of `double`s of scratch the Gram kernels need for `d` features (no allocation
/// happens inside a kernel; the caller keeps one scratch per thread and reuses it).
size_t descent_gram_scratch_count(size_t d);

/// ZᵀZ (upper triangle, `p × p` at `gram` with leading dimension `ldc ≥ p`) and Zᵀ·1 (`p`
/// values at `sums`) of the shifted rows Z = [X | y] − shift, p = d + 1, for `double` data.
/// `scratch` holds ``descent_gram_scratch_count(d)`` doubles. The strict lower triangle of
/// `gram` is not touched. Dispatches to the x86-64-v3 version (FMA) or the baseline one; they
/// differ only by rounding.
void descent_gram_f64(const double *x, const double *y, size_t rows, size_t d, const double *shift,
                      double *gram, size_t ldc, double *sums, double *scratch);

/// ``descent_gram_f64`` for `float` data, widened exactly to `double` before the shift.
void descent_gram_f32(const float *x, const float *y, size_t rows, size_t d, const double *shift,
                      double *gram, size_t ldc, double *sums, double *scratch);

/// ``descent_gram_f64`` compiled for x86-64-v3 (AVX2); only call when
/// `descent_kernels_cpu_has_v3()` (it is the baseline version off x86-64).
void descent_gram_f64_v3(const double *x, const double *y, size_t rows, size_t d, const double *shift,
                         double *gram, size_t ldc, double *sums, double *scratch);

/// ``descent_gram_f64`` compiled for baseline x86-64 (SSE2).
void descent_gram_f64_baseline(const double *x, const double *y, size_t rows, size_t d, const double *shift,
                               double *gram, size_t ldc, double *sums, double *scratch);

/// ``descent_gram_f32`` compiled for x86-64-v3 (AVX2); only call when
/// `descent_kernels_cpu_has_v3()` (it is the baseline version off x86-64).
void descent_gram_f32_v3(const float *x, const float *y, size_t rows, size_t d, const double *shift,
                         double *gram, size_t ldc, double *sums, double *scratch);

/// ``descent_gram_f32`` compiled for baseline x86-64 (SSE2).
void descent_gram_f32_baseline(const float *x, const float *y, size_t rows, size_t d, const double *shift,
                               double *gram, size_t ldc, double *sums, double *scratch);

#ifdef __cplusplus
}
#endif

#endif
