// The body of the fused gradient kernel, written once for both precisions: FusedGradientKernel.c
// includes this file twice, with these macros defined:
//   FUSED_T        the scalar type (double, float)
//   FUSED_V        its vector type of FUSED_W lanes (DescentDouble4, DescentFloat8)
//   FUSED_W        the lanes of FUSED_V, which is also the rows of a group (4, 8)
//   FUSED_NAME(s)  a name suffixed with the precision (s##_f64, s##_f32)
//   FUSED_ROW_DOTS the reduction of FUSED_W accumulators (one per row) to one vector of their sums
//
// Why row groups: a row's dot product is a sum across lanes, and reducing one row at a time
// costs a horizontal reduction per row (measured 2× slower than two sgemv calls at d = 16).
// A group of FUSED_W rows keeps one accumulator per row and reduces all of them together with
// one in-register transpose-and-add, which yields their residuals as one vector; the gradient
// update then broadcasts each row's scaled residual and adds the group's Σ sᵢxᵢ to the partial
// gradient once per group. The group's rows (at most 8 × 256 × 8 B = 16 KB) are still in L1
// when they are read again for the gradient, so X comes from memory once.
//
// Columns past the last whole vector (d mod FUSED_W) are loaded into zero-padded vectors; the
// padded lanes contribute exactly +0 to every sum.

#include <string.h>

static inline DESCENT_ALWAYS_INLINE FUSED_V FUSED_NAME(fused_load)(const FUSED_T *pointer) {
    FUSED_V v;
    memcpy(&v, pointer, sizeof v);
    return v;
}

static inline DESCENT_ALWAYS_INLINE void FUSED_NAME(fused_store)(FUSED_T *pointer, FUSED_V v) {
    memcpy(pointer, &v, sizeof v);
}

/// The first `count` (< FUSED_W) elements at `pointer`, the other lanes zero.
static inline DESCENT_ALWAYS_INLINE FUSED_V FUSED_NAME(fused_load_head)(const FUSED_T *pointer, size_t count) {
    FUSED_T lanes[FUSED_W] = {0};
    for (size_t i = 0; i < count; i++) lanes[i] = pointer[i];
    return FUSED_NAME(fused_load)(lanes);
}

static inline DESCENT_ALWAYS_INLINE void FUSED_NAME(fused_store_head)(FUSED_T *pointer, FUSED_V v, size_t count) {
    FUSED_T lanes[FUSED_W];
    FUSED_NAME(fused_store)(lanes, v);
    for (size_t i = 0; i < count; i++) pointer[i] = lanes[i];
}

static inline DESCENT_ALWAYS_INLINE FUSED_V FUSED_NAME(fused_splat)(FUSED_T value) {
    FUSED_V v;
    for (int k = 0; k < FUSED_W; k++) v[k] = value;
    return v;
}

/// The lanes of `v` summed pairwise, in a fixed order.
static inline DESCENT_ALWAYS_INLINE FUSED_T FUSED_NAME(fused_lane_sum)(FUSED_V v) {
    FUSED_T lanes[FUSED_W];
    FUSED_NAME(fused_store)(lanes, v);
    for (int width = FUSED_W; width > 1; width /= 2) {
        for (int k = 0; k < width / 2; k++) lanes[k] = lanes[2 * k] + lanes[2 * k + 1];
    }
    return lanes[0];
}

/// `terms[0] + … + terms[FUSED_W − 1]` as a pairwise tree (shorter dependency chains than a
/// running sum).
static inline DESCENT_ALWAYS_INLINE FUSED_V FUSED_NAME(fused_tree_sum)(FUSED_V terms[FUSED_W]) {
    for (int width = FUSED_W; width > 1; width /= 2) {
        for (int k = 0; k < width / 2; k++) terms[k] = terms[2 * k] + terms[2 * k + 1];
    }
    return terms[0];
}

/// The feature vector `x` normalized when `normalize`: `(x − offset)·multiplier`, exactly the
/// expression of `Normalizer.transform` and `normalizeRows` (no contraction).
static inline DESCENT_ALWAYS_INLINE FUSED_V FUSED_NAME(fused_feature)(FUSED_V x, bool normalize, FUSED_V offset,
                                                                     FUSED_V multiplier) {
    return normalize ? (x - offset) * multiplier : x;
}

/// The kernel. `normalize`, `withGradient` and `fixedVectors` (the whole vectors per row, or 0
/// for "read it from `columns`") are constants at every call site, so each combination
/// compiles to its own loop without run-time branches.
static inline DESCENT_ALWAYS_INLINE DescentResidualSums FUSED_NAME(fused_body)(
    const FUSED_T *restrict x, const FUSED_T *restrict y, size_t rows, size_t columns,
    const FUSED_T *restrict weights, FUSED_T bias, FUSED_T gradientScale, FUSED_T *restrict gradient,
    const FUSED_T *restrict offsets, const FUSED_T *restrict multipliers, const bool normalize,
    const bool withGradient, const size_t fixedVectors) {
    const FUSED_V zero = FUSED_NAME(fused_splat)(0);
    const size_t whole = fixedVectors ? fixedVectors * FUSED_W : columns / FUSED_W * FUSED_W;
    const size_t tail = columns - whole;
    // The last partial vector of columns: weights, normalization and gradient, zero-padded.
    // The gradient's tail stays in a register for the whole block and is stored at the end.
    const FUSED_V weightsTail = tail ? FUSED_NAME(fused_load_head)(weights + whole, tail) : zero;
    const FUSED_V offsetsTail = normalize && tail ? FUSED_NAME(fused_load_head)(offsets + whole, tail) : zero;
    const FUSED_V multipliersTail = normalize && tail ? FUSED_NAME(fused_load_head)(multipliers + whole, tail) : zero;
    FUSED_V gradientTail = withGradient && tail ? FUSED_NAME(fused_load_head)(gradient + whole, tail) : zero;
    const FUSED_V biasVector = FUSED_NAME(fused_splat)(bias);
    const FUSED_V scaleVector = FUSED_NAME(fused_splat)(gradientScale);
    FUSED_V squares = zero, sums = zero;

    // Every load of X also asks for the place one group ahead (at least 1 KB ahead, for narrow
    // rows), so the rows are in L1 when their group starts: measured 1.30× → 1.15× a read pass
    // at 1M × 256 float32 and 1.24× → 1.12× at 4M × 32 float32, single-threaded. Prefetches
    // past the end of X are harmless (they never fault).
    const size_t prefetchDistance =
        FUSED_W * columns * sizeof(FUSED_T) > 1024 ? FUSED_W * columns : 1024 / sizeof(FUSED_T);
    size_t i = 0;
    for (; i + FUSED_W <= rows; i += FUSED_W) {
        const FUSED_T *group = x + i * columns;
        FUSED_V dots[FUSED_W];
        for (int k = 0; k < FUSED_W; k++) dots[k] = zero;
        // Row by row (each row's chunks in order), so X is read front to back like a
        // streaming pass; the rows' accumulator chains are independent and overlap out of
        // order. (Column chunk outermost, the group's rows side by side, read FUSED_W streams a
        // row apart: measured 1.69× a read pass at 1M × 256 float32 single-threaded, against
        // 1.15× this way.) Each row's additions are in the same order either way.
        for (int k = 0; k < FUSED_W; k++) {
            const FUSED_T *row = group + k * columns;
            for (size_t j = 0; j < whole; j += FUSED_W) {
                __builtin_prefetch(row + j + prefetchDistance);
                const FUSED_V offset = normalize ? FUSED_NAME(fused_load)(offsets + j) : zero;
                const FUSED_V multiplier = normalize ? FUSED_NAME(fused_load)(multipliers + j) : zero;
                const FUSED_V feature =
                    FUSED_NAME(fused_feature)(FUSED_NAME(fused_load)(row + j), normalize, offset, multiplier);
                dots[k] += feature * FUSED_NAME(fused_load)(weights + j);
            }
        }
        if (tail) {
            for (int k = 0; k < FUSED_W; k++) {
                const FUSED_V feature = FUSED_NAME(fused_feature)(
                    FUSED_NAME(fused_load_head)(group + k * columns + whole, tail), normalize, offsetsTail,
                    multipliersTail);
                dots[k] += feature * weightsTail;
            }
        }
        const FUSED_V residuals = (FUSED_ROW_DOTS(dots) - FUSED_NAME(fused_load)(y + i)) + biasVector;
        squares += residuals * residuals;
        sums += residuals;
        if (withGradient) {
            const FUSED_V scaled = residuals * scaleVector;
            FUSED_V broadcast[FUSED_W];
            for (int k = 0; k < FUSED_W; k++) broadcast[k] = FUSED_NAME(fused_splat)(scaled[k]);
            for (size_t j = 0; j < whole; j += FUSED_W) {
                const FUSED_V offset = normalize ? FUSED_NAME(fused_load)(offsets + j) : zero;
                const FUSED_V multiplier = normalize ? FUSED_NAME(fused_load)(multipliers + j) : zero;
                FUSED_V terms[FUSED_W];
                for (int k = 0; k < FUSED_W; k++) {
                    terms[k] = broadcast[k] * FUSED_NAME(fused_feature)(
                        FUSED_NAME(fused_load)(group + k * columns + j), normalize, offset, multiplier);
                }
                FUSED_NAME(fused_store)(gradient + j, FUSED_NAME(fused_load)(gradient + j) + FUSED_NAME(fused_tree_sum)(terms));
            }
            if (tail) {
                FUSED_V terms[FUSED_W];
                for (int k = 0; k < FUSED_W; k++) {
                    terms[k] = broadcast[k] * FUSED_NAME(fused_feature)(
                        FUSED_NAME(fused_load_head)(group + k * columns + whole, tail), normalize, offsetsTail,
                        multipliersTail);
                }
                gradientTail += FUSED_NAME(fused_tree_sum)(terms);
            }
        }
    }

    // The rows after the last whole group, one at a time.
    FUSED_T leftoverSquares = 0, leftoverSum = 0;
    for (; i < rows; i++) {
        const FUSED_T *row = x + i * columns;
        FUSED_V dot = zero;
        for (size_t j = 0; j < whole; j += FUSED_W) {
            const FUSED_V offset = normalize ? FUSED_NAME(fused_load)(offsets + j) : zero;
            const FUSED_V multiplier = normalize ? FUSED_NAME(fused_load)(multipliers + j) : zero;
            dot += FUSED_NAME(fused_feature)(FUSED_NAME(fused_load)(row + j), normalize, offset, multiplier) *
                   FUSED_NAME(fused_load)(weights + j);
        }
        if (tail) {
            dot += FUSED_NAME(fused_feature)(FUSED_NAME(fused_load_head)(row + whole, tail), normalize, offsetsTail,
                                             multipliersTail) * weightsTail;
        }
        const FUSED_T residual = (FUSED_NAME(fused_lane_sum)(dot) - y[i]) + bias;
        leftoverSquares += residual * residual;
        leftoverSum += residual;
        if (withGradient) {
            const FUSED_V scaled = FUSED_NAME(fused_splat)(residual * gradientScale);
            for (size_t j = 0; j < whole; j += FUSED_W) {
                const FUSED_V offset = normalize ? FUSED_NAME(fused_load)(offsets + j) : zero;
                const FUSED_V multiplier = normalize ? FUSED_NAME(fused_load)(multipliers + j) : zero;
                const FUSED_V feature = FUSED_NAME(fused_feature)(FUSED_NAME(fused_load)(row + j), normalize, offset,
                                                                  multiplier);
                FUSED_NAME(fused_store)(gradient + j, FUSED_NAME(fused_load)(gradient + j) + scaled * feature);
            }
            if (tail) {
                gradientTail += scaled * FUSED_NAME(fused_feature)(FUSED_NAME(fused_load_head)(row + whole, tail),
                                                                   normalize, offsetsTail, multipliersTail);
            }
        }
    }
    if (withGradient && tail) FUSED_NAME(fused_store_head)(gradient + whole, gradientTail, tail);
    return (DescentResidualSums){
        .sumOfSquares = (double)(FUSED_NAME(fused_lane_sum)(squares) + leftoverSquares),
        .sum = (double)(FUSED_NAME(fused_lane_sum)(sums) + leftoverSum),
    };
}

/// The body with the number of whole vectors per row a constant for the common narrow widths
/// (1, 2, 4 or 8 vectors: 4–7, 8–11, 16–19, 32–35 float64 features; 8–15, 16–23, 32–39, 64–71
/// float32), so their loops unroll and the weights and normalization stay in registers across
/// rows. Measured single-threaded against the run-time width: normalized 4M × 32 float32
/// 1.37–1.46× → 1.14–1.15× a read pass, 1M × 16 float32 1.67–1.92× → 1.12–1.14×, 4M × 32
/// float64 1.27–1.41× → 1.16–1.19×; raw within noise.
/// The same arithmetic in the same order, so the same bits either way.
static inline DESCENT_ALWAYS_INLINE DescentResidualSums FUSED_NAME(fused_widths)(
    const FUSED_T *x, const FUSED_T *y, size_t rows, size_t columns, const FUSED_T *weights, FUSED_T bias,
    FUSED_T gradientScale, FUSED_T *gradient, const FUSED_T *offsets, const FUSED_T *multipliers, const bool normalize,
    const bool withGradient) {
    switch (columns / FUSED_W) {
    case 1:
        return FUSED_NAME(fused_body)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, normalize, withGradient, 1);
    case 2:
        return FUSED_NAME(fused_body)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, normalize, withGradient, 2);
    case 4:
        return FUSED_NAME(fused_body)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, normalize, withGradient, 4);
    case 8:
        return FUSED_NAME(fused_body)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, normalize, withGradient, 8);
    default:
        return FUSED_NAME(fused_body)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, normalize, withGradient, 0);
    }
}

/// The four specializations of the body, chosen by which optional inputs are present.
static inline DESCENT_ALWAYS_INLINE DescentResidualSums FUSED_NAME(fused_dispatch)(
    const FUSED_T *x, const FUSED_T *y, size_t rows, size_t columns, const FUSED_T *weights, FUSED_T bias,
    FUSED_T gradientScale, FUSED_T *gradient, const FUSED_T *offsets, const FUSED_T *multipliers) {
    const bool normalize = offsets != NULL && multipliers != NULL;
    if (normalize) {
        return gradient != NULL
            ? FUSED_NAME(fused_widths)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, true, true)
            : FUSED_NAME(fused_widths)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, true, false);
    }
    return gradient != NULL
        ? FUSED_NAME(fused_widths)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, false, true)
        : FUSED_NAME(fused_widths)(x, y, rows, columns, weights, bias, gradientScale, gradient, offsets, multipliers, false, false);
}
