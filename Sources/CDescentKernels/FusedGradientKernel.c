// The fused mean-squared-error pass (FusedGradientKernel.h): the body in
// FusedGradientKernelBody.h, instantiated for float64 (4 lanes, groups of 4 rows) and float32
// (8 lanes, groups of 8 rows), each compiled for x86-64-v3 and for the baseline.
#include "FusedGradientKernel.h"
#include "KernelSupport.h"

// The helpers below take and return 32-byte vectors. They are all always-inline, so no call
// ever passes one through the ABI; clang still warns that the baseline (no-AVX) convention
// would differ. The warning is about calls that never happen here.
#pragma clang diagnostic ignored "-Wpsabi"

/// Four accumulators (one per row) → one vector of their lane sums:
/// [Σa, Σb, Σc, Σd] by two rounds of interleave-and-add.
static inline DESCENT_ALWAYS_INLINE DescentDouble4 descent_row_dots_f64(const DescentDouble4 a[4]) {
    // [a0+a1, b0+b1, a2+a3, b2+b3] and [c0+c1, d0+d1, c2+c3, d2+d3]
    const DescentDouble4 ab = __builtin_shufflevector(a[0], a[1], 0, 4, 2, 6) + __builtin_shufflevector(a[0], a[1], 1, 5, 3, 7);
    const DescentDouble4 cd = __builtin_shufflevector(a[2], a[3], 0, 4, 2, 6) + __builtin_shufflevector(a[2], a[3], 1, 5, 3, 7);
    return __builtin_shufflevector(ab, cd, 0, 1, 4, 5) + __builtin_shufflevector(ab, cd, 2, 3, 6, 7);
}

/// Eight accumulators (one per row) → one vector of their lane sums, by three rounds of
/// interleave-and-add (an 8×8 transpose folded into the additions).
static inline DESCENT_ALWAYS_INLINE DescentFloat8 descent_row_dots_f32(const DescentFloat8 a[8]) {
    DescentFloat8 pairs[4];
    for (int p = 0; p < 4; p++) {
        // [a01, b01, a23, b23, a45, b45, a67, b67] for rows 2p (a) and 2p + 1 (b)
        pairs[p] = __builtin_shufflevector(a[2 * p], a[2 * p + 1], 0, 8, 2, 10, 4, 12, 6, 14) +
                   __builtin_shufflevector(a[2 * p], a[2 * p + 1], 1, 9, 3, 11, 5, 13, 7, 15);
    }
    // [a0123, b0123, c0123, d0123, a4567, b4567, c4567, d4567] and the same for rows 4–7
    const DescentFloat8 low = __builtin_shufflevector(pairs[0], pairs[1], 0, 1, 8, 9, 4, 5, 12, 13) +
                              __builtin_shufflevector(pairs[0], pairs[1], 2, 3, 10, 11, 6, 7, 14, 15);
    const DescentFloat8 high = __builtin_shufflevector(pairs[2], pairs[3], 0, 1, 8, 9, 4, 5, 12, 13) +
                               __builtin_shufflevector(pairs[2], pairs[3], 2, 3, 10, 11, 6, 7, 14, 15);
    return __builtin_shufflevector(low, high, 0, 1, 2, 3, 8, 9, 10, 11) +
           __builtin_shufflevector(low, high, 4, 5, 6, 7, 12, 13, 14, 15);
}

#define FUSED_T double
#define FUSED_V DescentDouble4
#define FUSED_W 4
#define FUSED_NAME(s) s##_f64
#define FUSED_ROW_DOTS descent_row_dots_f64
#include "FusedGradientKernelBody.h"
#undef FUSED_T
#undef FUSED_V
#undef FUSED_W
#undef FUSED_NAME
#undef FUSED_ROW_DOTS

#define FUSED_T float
#define FUSED_V DescentFloat8
#define FUSED_W 8
#define FUSED_NAME(s) s##_f32
#define FUSED_ROW_DOTS descent_row_dots_f32
#include "FusedGradientKernelBody.h"
#undef FUSED_T
#undef FUSED_V
#undef FUSED_W
#undef FUSED_NAME
#undef FUSED_ROW_DOTS

#define DESCENT_FUSED_ENTRY_POINTS(T, SUFFIX)                                                                     \
    DESCENT_TARGET_V3 DescentResidualSums descent_fused_gradient_##SUFFIX##_v3(                                  \
        const T *x, const T *y, size_t rows, size_t columns, const T *weights, T bias, T gradientScale,          \
        T *partialGradient, const T *offsets, const T *multipliers) {                                            \
        return fused_dispatch_##SUFFIX(x, y, rows, columns, weights, bias, gradientScale, partialGradient,       \
                                       offsets, multipliers);                                                    \
    }                                                                                                            \
    DescentResidualSums descent_fused_gradient_##SUFFIX##_baseline(                                              \
        const T *x, const T *y, size_t rows, size_t columns, const T *weights, T bias, T gradientScale,          \
        T *partialGradient, const T *offsets, const T *multipliers) {                                            \
        return fused_dispatch_##SUFFIX(x, y, rows, columns, weights, bias, gradientScale, partialGradient,       \
                                       offsets, multipliers);                                                    \
    }                                                                                                            \
    DescentResidualSums descent_fused_gradient_##SUFFIX(                                                         \
        const T *x, const T *y, size_t rows, size_t columns, const T *weights, T bias, T gradientScale,          \
        T *partialGradient, const T *offsets, const T *multipliers) {                                            \
        return descent_kernels_cpu_has_v3()                                                                      \
            ? descent_fused_gradient_##SUFFIX##_v3(x, y, rows, columns, weights, bias, gradientScale,            \
                                                   partialGradient, offsets, multipliers)                        \
            : descent_fused_gradient_##SUFFIX##_baseline(x, y, rows, columns, weights, bias, gradientScale,      \
                                                         partialGradient, offsets, multipliers);                 \
    }

DESCENT_FUSED_ENTRY_POINTS(double, f64)
DESCENT_FUSED_ENTRY_POINTS(float, f32)
