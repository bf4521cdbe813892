// The shifted Gram matrix of a block of rows (GramKernel.h), one body compiled twice.
//
// Layout. A slice of up to `slice_rows` rows is widened and shifted into the scratch as
// z = [x − shift_x | y − shift_y | 1 | 0 …], row-major with a row stride W that is a multiple
// of 4 (a whole number of 4-double vectors). The column of ones makes the column sums fall
// out of the same product as the Gram matrix (multiplying by 1 is exact), and the zero
// padding lets every product run on whole vectors without remainder loops.
//
// Product. With p = d + 1 and F = p rounded down to a multiple of 4, the upper triangle of
// the first F columns is covered by 4 × 8 tiles (4 broadcast columns times 2 vectors of 4),
// accumulated over the slice's rows in 8 vector registers: per row, 4 broadcasts, 2 loads and
// 8 multiply-adds. The last T = p + 1 − F ≤ 4 columns (the remainder of the features, the
// target and the ones) are broadcast against whole rows instead, which yields their column of
// the Gram matrix and, from the ones, the column sums. Each slice's tiles are added into an
// accumulator of W × W doubles in the scratch, copied out at the end.
//
// Cost for d = 32: 648 multiply-adds a row (576 in the tiles, 72 for the target and the
// ones) where the triangle has 561; the tiles run near the multiply pipes' limit.
//
// Contraction is ON in this file, unlike the other kernels (KernelSupport.h): the x86-64-v3
// version multiplies and adds with FMA, the baseline (no FMA hardware) with separate
// instructions. The tile loop is limited by the core's 6-wide dispatch, not its FP pipes, and
// an FMA is one instruction where a multiply and an add are two: on 4M × 32 float64, 2 threads,
// a quiet machine, the solver's whole pass went from ~100 ms to ~90 ms (interleaved runs of the
// two builds). The price: the two versions round differently (each within the tests' bound),
// so the closed form's last bits depend on the instruction set — as they already did through
// OpenBLAS's and LAPACK's per-CPU kernels. The training epochs (FusedGradientKernel.c) keep
// contraction off and give the same bits everywhere.
#include <stdint.h>
#include <string.h>

#include "KernelSupport.h"
#include "GramKernel.h"

// After KernelSupport.h, which turns contraction off for the kernels: this file turns it on.
#pragma STDC FP_CONTRACT ON
#pragma clang fp contract(fast)

#ifndef GRAM_PREFETCH_LOCALITY
#define GRAM_PREFETCH_LOCALITY 2
#endif

#ifndef GRAM_SLICE_BYTES
#define GRAM_SLICE_BYTES (24 * 1024)
#endif

typedef float DescentFloat4 __attribute__((vector_size(16), aligned(4)));

/// The row stride of the widened slice: p + 1 columns (the ones) rounded up to whole vectors.
static inline DESCENT_ALWAYS_INLINE size_t gram_row_stride(size_t d) { return (d + 2 + 3) & ~(size_t)3; }

/// Rows per slice: about 24 KB of widened rows, so the slice stays in L1 while every tile
/// reads it, and at least 16 rows so the accumulator updates stay cheap for wide rows.
static inline DESCENT_ALWAYS_INLINE size_t gram_slice_rows(size_t d) {
    size_t rows = (GRAM_SLICE_BYTES / sizeof(double)) / gram_row_stride(d);
    if (rows > 128) rows = 128;
    if (rows < 16) rows = 16;
    return rows;
}

size_t descent_gram_scratch_count(size_t d) {
    size_t stride = gram_row_stride(d);
    return gram_slice_rows(d) * stride + stride * stride + 8;  // + 8: room to align to 64 bytes
}

// Unaligned vector loads and stores through memcpy (no aliasing questions), as macros: a
// function taking or returning a 256-bit vector is an ABI change the baseline build warns about.
#define GRAM_LOAD(p) ({ DescentDouble4 gram_v_; memcpy(&gram_v_, (p), sizeof gram_v_); gram_v_; })
#define GRAM_STORE(p, v) do { DescentDouble4 gram_s_ = (v); memcpy((p), &gram_s_, sizeof gram_s_); } while (0)
#define GRAM_WIDEN(p) ({ DescentFloat4 gram_f_; memcpy(&gram_f_, (p), sizeof gram_f_); __builtin_convertvector(gram_f_, DescentDouble4); })

/// Adds to `acc` (row-major, stride `ld`) the products of `ni` columns starting at `i0`
/// (broadcast) with `nv` vectors of columns starting at `j0`, over `rows` rows of `z`.
/// `ni` ≤ 4 and `nv` ≤ 4 are constants after inlining, so the accumulators live in registers.
/// A single vector (`nv` = 1) gets two sets of accumulators, even and odd rows, else its few
/// add chains would wait on the add latency instead of filling the pipes.
static inline DESCENT_ALWAYS_INLINE void gram_tile(const double *z, size_t stride, size_t rows, size_t i0, size_t j0,
                                                   const int ni, const int nv, double *acc, size_t ld) {
    DescentDouble4 sum[4][4] = {{{0}}};
    size_t k = 0;
    if (nv == 1) {
        for (; k + 2 <= rows; k += 2) {
            const double *row = z + k * stride;
            DescentDouble4 even = GRAM_LOAD(row + j0), odd = GRAM_LOAD(row + stride + j0);
            for (int a = 0; a < ni; a++) {
                double s = row[i0 + a], t = row[stride + i0 + a];
                DescentDouble4 broadcastEven = {s, s, s, s}, broadcastOdd = {t, t, t, t};
                sum[a][0] += broadcastEven * even;
                sum[a][1] += broadcastOdd * odd;
            }
        }
        for (int a = 0; a < ni; a++) sum[a][0] += sum[a][1];
    }
    // Two rows an iteration: the same sums in the same order, with half the loop overhead
    // (the multiply-add loop is otherwise limited by the 6-wide dispatch, not the FP pipes).
#pragma clang loop unroll_count(2)
    for (; k < rows; k++) {
        const double *row = z + k * stride;
        DescentDouble4 b[4];
        for (int v = 0; v < nv; v++) b[v] = GRAM_LOAD(row + j0 + 4 * v);
        for (int a = 0; a < ni; a++) {
            double s = row[i0 + a];
            DescentDouble4 broadcast = {s, s, s, s};
            for (int v = 0; v < nv; v++) sum[a][v] += broadcast * b[v];
        }
    }
    for (int a = 0; a < ni; a++) {
        double *out = acc + (i0 + a) * ld + j0;
        for (int v = 0; v < nv; v++) GRAM_STORE(out + 4 * v, GRAM_LOAD(out + 4 * v) + sum[a][v]);
    }
}

/// The last `ni` columns (from `i0`) against whole rows of `width` columns: wide tiles when
/// few columns are broadcast (enough independent accumulators to hide the add latency).
static inline DESCENT_ALWAYS_INLINE void gram_tail(const double *z, size_t stride, size_t rows, size_t i0, size_t width,
                                                   const int ni, double *acc) {
    const int nv = ni <= 2 ? 4 : 2;
    size_t j0 = 0;
    for (; j0 + 4 * (size_t)nv <= width; j0 += 4 * (size_t)nv) gram_tile(z, stride, rows, i0, j0, ni, nv, acc, stride);
    for (; j0 < width; j0 += 4) gram_tile(z, stride, rows, i0, j0, ni, 1, acc, stride);
}

/// Widens rows `[x | y]` (double when `x32` is null, else float) minus `shift` into `z`,
/// whose columns of ones and zeros past `d` are set once per call.
static inline DESCENT_ALWAYS_INLINE void gram_widen(const double *x64, const double *y64, const float *x32, const float *y32,
                                                    size_t rows, size_t d, const double *shift, double *z, size_t stride) {
    for (size_t k = 0; k < rows; k++) {
        double *out = z + k * stride;
        size_t j = 0;
        if (x32) {
            const float *in = x32 + k * d;
            for (; j + 4 <= d; j += 4) GRAM_STORE(out + j, GRAM_WIDEN(in + j) - GRAM_LOAD(shift + j));
            for (; j < d; j++) out[j] = (double)in[j] - shift[j];
            out[d] = (double)y32[k] - shift[d];
        } else {
            const double *in = x64 + k * d;
            for (; j + 4 <= d; j += 4) GRAM_STORE(out + j, GRAM_LOAD(in + j) - GRAM_LOAD(shift + j));
            for (; j < d; j++) out[j] = in[j] - shift[j];
            out[d] = y64[k] - shift[d];
        }
    }
}

/// Asks for the bytes `[begin, end)` ∩ `[from, to)` of the next slice (into L2, where
/// the widening reads them), a part at a time so the requests spread over the product.
static inline DESCENT_ALWAYS_INLINE void gram_prefetch(const char *begin, const char *end, size_t part, size_t parts) {
    size_t bytes = (size_t)(end - begin);
    const char *from = begin + bytes * part / parts, *to = begin + bytes * (part + 1) / parts;
    for (const char *line = from; line < to; line += 64) __builtin_prefetch(line, 0, GRAM_PREFETCH_LOCALITY);
}

static inline DESCENT_ALWAYS_INLINE void gram_body(const double *x64, const double *y64, const float *x32, const float *y32,
                                                   size_t rows, size_t d, const double *shift, double *gram, size_t ldc,
                                                   double *sums, double *scratch) {
    const size_t p = d + 1, stride = gram_row_stride(d), slice = gram_slice_rows(d);
    const size_t full = p & ~(size_t)3;  // columns covered by 4 × 8 tiles
    // Cache-line aligned (whatever the caller's allocator gave): rows are whole vectors
    // apart, so no vector load or store of the slice or the accumulator splits a line.
    double *z = (double *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63), *acc = z + slice * stride;
    memset(acc, 0, stride * stride * sizeof(double));
    for (size_t k = 0; k < slice; k++) {
        z[k * stride + d + 1] = 1;
        for (size_t j = d + 2; j < stride; j++) z[k * stride + j] = 0;
    }
    for (size_t start = 0; start < rows; start += slice) {
        size_t m = rows - start < slice ? rows - start : slice;
        gram_widen(x64 ? x64 + start * d : NULL, y64 ? y64 + start : NULL, x32 ? x32 + start * d : NULL,
                   y32 ? y32 + start : NULL, m, d, shift, z, stride);
        // The next slice's rows, fetched while this one is multiplied: the hardware prefetcher
        // alone leaves the widening waiting on memory for about a third of the time.
        size_t next = start + m, nextRows = rows - next < slice ? rows - next : slice;
        size_t width = x32 ? sizeof(float) : sizeof(double);
        const char *xNext = x32 ? (const char *)(x32 + next * d) : (const char *)(x64 ? x64 + next * d : NULL);
        const char *yNext = y32 ? (const char *)(y32 + next) : (const char *)(y64 ? y64 + next : NULL);
        size_t parts = full / 4 + 1;
        for (size_t i0 = 0; i0 < full; i0 += 4) {
            gram_prefetch(xNext, xNext + nextRows * d * width, i0 / 4, parts);
            size_t j0 = i0;
            for (; j0 + 8 <= full; j0 += 8) gram_tile(z, stride, m, i0, j0, 4, 2, acc, stride);
            if (j0 < full) gram_tile(z, stride, m, i0, j0, 4, 1, acc, stride);
        }
        gram_prefetch(xNext, xNext + nextRows * d * width, parts - 1, parts);
        gram_prefetch(yNext, yNext + nextRows * width, 0, 1);
        switch (p + 1 - full) {
        case 1: gram_tail(z, stride, m, full, stride, 1, acc); break;
        case 2: gram_tail(z, stride, m, full, stride, 2, acc); break;
        case 3: gram_tail(z, stride, m, full, stride, 3, acc); break;
        default: gram_tail(z, stride, m, full, stride, 4, acc); break;
        }
    }
    // Columns below `full` are in the tiles' rows; the tail columns (and the ones, which give
    // the sums) are in their own rows, the lower-triangle mirror of what the caller wants.
    for (size_t i = 0; i < p; i++) {
        for (size_t j = i; j < p; j++) gram[i * ldc + j] = j < full ? acc[i * stride + j] : acc[j * stride + i];
        sums[i] = acc[p * stride + i];
    }
}

#define DESCENT_GRAM_VERSIONS(suffix, attributes)                                                                   \
    attributes void descent_gram_f64_##suffix(const double *x, const double *y, size_t rows, size_t d,              \
                                              const double *shift, double *gram, size_t ldc, double *sums,          \
                                              double *scratch) {                                                    \
        gram_body(x, y, NULL, NULL, rows, d, shift, gram, ldc, sums, scratch);                                      \
    }                                                                                                               \
    attributes void descent_gram_f32_##suffix(const float *x, const float *y, size_t rows, size_t d,                \
                                              const double *shift, double *gram, size_t ldc, double *sums,          \
                                              double *scratch) {                                                    \
        gram_body(NULL, NULL, x, y, rows, d, shift, gram, ldc, sums, scratch);                                      \
    }

DESCENT_GRAM_VERSIONS(baseline, )

#if DESCENT_HAVE_V3
DESCENT_GRAM_VERSIONS(v3, DESCENT_TARGET_V3)
#else
void descent_gram_f64_v3(const double *x, const double *y, size_t rows, size_t d, const double *shift,
                         double *gram, size_t ldc, double *sums, double *scratch) {
    descent_gram_f64_baseline(x, y, rows, d, shift, gram, ldc, sums, scratch);
}
void descent_gram_f32_v3(const float *x, const float *y, size_t rows, size_t d, const double *shift,
                         double *gram, size_t ldc, double *sums, double *scratch) {
    descent_gram_f32_baseline(x, y, rows, d, shift, gram, ldc, sums, scratch);
}
#endif

void descent_gram_f64(const double *x, const double *y, size_t rows, size_t d, const double *shift,
                      double *gram, size_t ldc, double *sums, double *scratch) {
    if (descent_kernels_cpu_has_v3()) descent_gram_f64_v3(x, y, rows, d, shift, gram, ldc, sums, scratch);
    else descent_gram_f64_baseline(x, y, rows, d, shift, gram, ldc, sums, scratch);
}

void descent_gram_f32(const float *x, const float *y, size_t rows, size_t d, const double *shift,
                      double *gram, size_t ldc, double *sums, double *scratch) {
    if (descent_kernels_cpu_has_v3()) descent_gram_f32_v3(x, y, rows, d, shift, gram, ldc, sums, scratch);
    else descent_gram_f32_baseline(x, y, rows, d, shift, gram, ldc, sums, scratch);
}
