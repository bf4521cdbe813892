internal import CDescentKernels

/// The fused mean-squared-error pass over one block of rows, in C (`FusedGradientKernel.h`):
/// rᵢ = xᵢ·w + b − yᵢ, Σr², Σr, and `partialGradient += gradientScale · Σ rᵢ xᵢ`, reading every
/// row once while it is in registers or L1, with the optional normalization applied in
/// registers. ``MeanSquaredErrorKernel`` calls it once per row block.
enum FusedGradientPass {
    /// Runs the pass over `rows × columns` row-major `x` (see the C header for the arithmetic).
    /// `partialGradient` (when given) is added to, not overwritten; `normalization` is
    /// `offsets` and `multipliers`, `columns` each. Returns Σr² and Σr, each summed in `S`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func accumulate<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows: Int, columns: Int, weights: UnsafePointer<S>,
        bias: S, gradientScale: S, partialGradient: UnsafeMutablePointer<S>?,
        normalization: (offsets: UnsafePointer<S>, multipliers: UnsafePointer<S>)? = nil,
        version: NativeKernelVersion = .dispatched
    ) -> (sumOfSquares: Double, sum: Double) {
        precondition(version != .v3 || NativeKernels.cpuHasV3, "FusedGradientPass: the v3 kernel needs an x86-64-v3 CPU")
        let sums = S.nativeKernels.fusedGradient(version)(
            x, y, rows, columns, weights, bias, gradientScale, partialGradient, normalization?.offsets, normalization?.multipliers)
        return (sums.sumOfSquares, sums.sum)
    }

    /// Whether ``MeanSquaredErrorKernel`` uses this pass for rows of `columns` features of `S`
    /// (otherwise it runs its two `gemv` calls per block, the block in L2 between them).
    ///
    /// The rule: while a row group (4 float64 or 8 float32 rows) fits in 16 KB, half of L1, so
    /// it is still there when the gradient update reads it again: up to 512 features in either
    /// precision. Measured (2-core Zen 3, ratio to a read pass in the same run): as fast as or
    /// faster than the two `gemv`s at every width up to 256 (1M × 256: float64 1.01–1.04× vs
    /// 1.09–1.14×, float32 1.41–1.44× vs 1.41–1.58×). Wider rows keep the `gemv` path, whose
    /// blocks are sized for L2. The rule is by width only, never by thread count, so a
    /// result's bits stay independent of the threads.
    static func isFaster<S: BLASScalar>(columns: Int, as _: S.Type) -> Bool {
        let groupRows = 32 / MemoryLayout<S>.stride  // the C kernel's rows per group
        return groupRows * columns * MemoryLayout<S>.stride <= 16_384
    }
}
