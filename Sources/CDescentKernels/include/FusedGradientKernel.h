// The fused mean-squared-error pass over a block of rows: residuals, their sums, and the
// gradient's partial sum, reading each row once while it is in registers or L1.
//
// One body (FusedGradientKernelBody.h) is compiled for x86-64-v3 and for the baseline; the
// entry points without a suffix choose the version once per call from
// `descent_kernels_cpu_has_v3()`, and the `_v3` / `_baseline` versions are exported so tests
// can compare them (they return the same bits: contraction is off, see KernelSupport.h).
#ifndef DESCENT_FUSED_GRADIENT_KERNEL_H
#define DESCENT_FUSED_GRADIENT_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma clang assume_nonnull begin

/// Σr² and Σr over a block of rows, each summed in the block's scalar type and returned
/// widened to `double`.
typedef struct {
    /// Σ rᵢ² over the block.
    double sumOfSquares;
    /// Σ rᵢ over the block.
    double sum;
} DescentResidualSums;

/// For the `rows × columns` row-major block `x` (float64): rᵢ = xᵢ·w + b − yᵢ, computed as
/// `(xᵢ·w − yᵢ) + b`; returns Σr² and Σr, and when `partialGradient` is not null adds
/// `gradientScale · Σ rᵢ xᵢ` to it (`columns` elements). When `offsets` and `multipliers` are
/// not null, every feature is first normalized in registers, `x′ⱼ = (xⱼ − offsetⱼ)·multiplierⱼ`
/// (the expression of a normalized copy, so the same bits as passing that copy). No memory is
/// allocated; rows are taken in groups of 4 whose dot products are reduced together.
DescentResidualSums descent_fused_gradient_f64(
    const double *x, const double *y, size_t rows, size_t columns, const double *weights, double bias,
    double gradientScale, double *_Nullable partialGradient, const double *_Nullable offsets,
    const double *_Nullable multipliers);

/// ``descent_fused_gradient_f64`` compiled for x86-64-v3 (AVX2); only call it when
/// `descent_kernels_cpu_has_v3()` is true.
DescentResidualSums descent_fused_gradient_f64_v3(
    const double *x, const double *y, size_t rows, size_t columns, const double *weights, double bias,
    double gradientScale, double *_Nullable partialGradient, const double *_Nullable offsets,
    const double *_Nullable multipliers);

/// ``descent_fused_gradient_f64`` compiled for baseline x86-64 (SSE2).
DescentResidualSums descent_fused_gradient_f64_baseline(
    const double *x, const double *y, size_t rows, size_t columns, const double *weights, double bias,
    double gradientScale, double *_Nullable partialGradient, const double *_Nullable offsets,
    const double *_Nullable multipliers);

/// ``descent_fused_gradient_f64`` for float32 data: the same pass, rows in groups of 8, every
/// sum in `float` (returned widened to `double`).
DescentResidualSums descent_fused_gradient_f32(
    const float *x, const float *y, size_t rows, size_t columns, const float *weights, float bias,
    float gradientScale, float *_Nullable partialGradient, const float *_Nullable offsets,
    const float *_Nullable multipliers);

/// ``descent_fused_gradient_f32`` compiled for x86-64-v3 (AVX2); only call it when
/// `descent_kernels_cpu_has_v3()` is true.
DescentResidualSums descent_fused_gradient_f32_v3(
    const float *x, const float *y, size_t rows, size_t columns, const float *weights, float bias,
    float gradientScale, float *_Nullable partialGradient, const float *_Nullable offsets,
    const float *_Nullable multipliers);

/// ``descent_fused_gradient_f32`` compiled for baseline x86-64 (SSE2).
DescentResidualSums descent_fused_gradient_f32_baseline(
    const float *x, const float *y, size_t rows, size_t columns, const float *weights, float bias,
    float gradientScale, float *_Nullable partialGradient, const float *_Nullable offsets,
    const float *_Nullable multipliers);

#pragma clang assume_nonnull end

#ifdef __cplusplus
}
#endif

#endif
