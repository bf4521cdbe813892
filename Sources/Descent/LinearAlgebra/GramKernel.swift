internal import CDescentKernels

/// The shifted Gram matrix of a block of rows, by the C kernel in
/// `Sources/CDescentKernels/GramKernel.c`: for Z = [X | y] − shift (formed in `Double`,
/// `Float` data widened exactly first), ZᵀZ (upper triangle) and Zᵀ·1.
///
/// It replaces a widened copy of the block plus OpenBLAS `syrk` and `gemv`: on a tall, thin
/// block (d ≈ 32, ~1000 rows) `dsyrk` runs at a third of the core's peak, while the kernel
/// widens an L1-sized slice at a time and multiplies it with register-blocked tiles.
enum GramKernel {
    /// The widest rows the kernel is used for. From 128 features on, OpenBLAS's `syrk` on a
    /// widened block is as fast or faster (measured at d = 128 and 256: its packing for L2
    /// beats the kernel's L1 slices once a row is 1 KB or more); ``shiftedBlockGram`` then
    /// calls it instead.
    static let widestFeatureCount = 127

    /// The number of `Double`s of scratch one call with `d` features needs (one scratch per
    /// thread, reused across calls; the kernel allocates nothing).
    static func scratchCount(featureCount d: Int) -> Int { descent_gram_scratch_count(d) }

    /// Rows per block for ``shiftedBlockGram``: for the kernel, at least 1024 (it slices the
    /// block for the cache itself; longer blocks make the caller's per-block O(p²) work
    /// negligible); for `syrk`, a widened block of about 256 KB.
    static func blockRows(featureCount d: Int) -> Int {
        let rows = RowPasses.blockRows(columns: d + 1)
        return d <= widestFeatureCount ? max(1024, rows) : rows
    }

    /// Scratch for ``shiftedBlockGram`` on blocks of up to `rows` rows.
    static func blockScratchCount(featureCount d: Int, rows: Int) -> Int {
        d <= widestFeatureCount ? scratchCount(featureCount: d) : rows * (d + 2)
    }

    /// ``shiftedGram(x:y:rows:featureCount:shift:gram:ldc:sums:scratch:version:)`` for
    /// `d ≤` ``widestFeatureCount``, else the same numbers by widening the block into
    /// `scratch` (``blockScratchCount(featureCount:rows:)`` doubles) and `syrk` + `gemv`.
    static func shiftedBlockGram<S: BLASScalar>(x: UnsafePointer<S>, y: UnsafePointer<S>, rows m: Int, featureCount d: Int,
                                                shift: UnsafePointer<Double>, gram: UnsafeMutablePointer<Double>, ldc: Int,
                                                sums: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>) {
        guard d > widestFeatureCount else {
            shiftedGram(x: x, y: y, rows: m, featureCount: d, shift: shift, gram: gram, ldc: ldc, sums: sums, scratch: scratch)
            return
        }
        let p = d + 1
        let ones = scratch + m * p
        ones.update(repeating: 1, count: m)
        RowPasses.widenCentred(x: x, y: y, rows: m, d: d, shift: shift, out: scratch)
        BLAS.gemv(.transposed, rows: m, columns: p, alpha: 1, scratch, lda: p, ones, 1, beta: 0, sums, 1)
        BLAS.syrk(.upper, .transposed, n: p, k: m, alpha: 1, scratch, lda: p, beta: 0, gram, ldc: ldc)
    }

    /// Writes ZᵀZ (upper triangle, `p × p` at `gram`, leading dimension `ldc ≥ p`, p = d + 1;
    /// the strict lower triangle is left alone) and Zᵀ·1 (`p` values at `sums`) for the `rows`
    /// rows of `x` (row-major, `rows × d`) and `y`, shifted by `shift` (`p` values, the
    /// target's last). `scratch` holds ``scratchCount(featureCount:)`` doubles.
    static func shiftedGram<S: BLASScalar>(x: UnsafePointer<S>, y: UnsafePointer<S>, rows: Int, featureCount d: Int,
                                           shift: UnsafePointer<Double>, gram: UnsafeMutablePointer<Double>, ldc: Int,
                                           sums: UnsafeMutablePointer<Double>, scratch: UnsafeMutablePointer<Double>,
                                           version: NativeKernelVersion = .dispatched) {
        precondition(rows >= 0 && d >= 0 && ldc >= d + 1, "shiftedGram: rows \(rows), d \(d), ldc \(ldc)")
        precondition(version != .v3 || NativeKernels.cpuHasV3, "shiftedGram: the v3 kernel needs an x86-64-v3 CPU")
        S.nativeKernels.shiftedGram(version)(x, y, rows, d, shift, gram, ldc, sums, scratch)
    }
}
