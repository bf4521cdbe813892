internal import CDescentKernels

/// Descent's own C kernels, for the loops where BLAS's call shape loses (see
/// `Sources/CDescentKernels`): each is compiled for x86-64-v3 (AVX2, FMA) and for baseline
/// x86-64 from one body, and the version this CPU supports is chosen at run time. The fused
/// gradient pass does the same arithmetic in the same order in both versions, so training never
/// depends on the instruction set; the Gram pass (closed form, Gram statistics) uses FMA in
/// the x86-64-v3 version (10% faster), so its last bits do.
public enum NativeKernels {
    /// The instruction set the kernels run with here: `"x86-64-v3 (AVX2, FMA)"`,
    /// `"x86-64 baseline (SSE2)"` or `"portable C"` (reported by `descent bench`).
    public static var instructionSet: String { String(cString: descent_kernels_instruction_set()) }

    /// Whether the x86-64-v3 versions run on this CPU.
    public static var cpuHasV3: Bool { descent_kernels_cpu_has_v3() }
}

/// Which compiled version of a native kernel to call: the one this CPU supports (what the
/// engine uses), or one named explicitly so tests can compare the two.
enum NativeKernelVersion: Sendable {
    /// x86-64-v3 when the CPU has it, else the baseline.
    case dispatched
    /// The x86-64-v3 (AVX2) version; only valid when ``NativeKernels/cpuHasV3``.
    case v3
    /// The baseline x86-64 (SSE2) version.
    case baseline
}

/// Descent's C kernels of one precision, as function values — the counterpart of
/// ``BLASRoutines`` for `Sources/CDescentKernels`: each conforming type hands over its table
/// (``BLASScalar/nativeKernels``), so ``FusedGradientPass`` and ``GramKernel`` are written once,
/// generically, and the `f32`/`f64` C function is chosen in one place. Users never construct one.
public final class NativeKernelRoutines<Scalar>: Sendable {
    /// `descent_fused_gradient_*`: x, y, rows, columns, weights, bias, gradientScale,
    /// partialGradient?, offsets?, multipliers? → Σr², Σr.
    typealias FusedGradient = @Sendable (UnsafePointer<Scalar>, UnsafePointer<Scalar>, Int, Int, UnsafePointer<Scalar>, Scalar, Scalar,
                                         UnsafeMutablePointer<Scalar>?, UnsafePointer<Scalar>?, UnsafePointer<Scalar>?) -> DescentResidualSums
    /// `descent_gram_*`: x, y, rows, d, shift, gram, ldc, sums, scratch (everything after y in `Double`).
    typealias ShiftedGram = @Sendable (UnsafePointer<Scalar>, UnsafePointer<Scalar>, Int, Int, UnsafePointer<Double>,
                                       UnsafeMutablePointer<Double>, Int, UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void

    private let fusedGradients: (dispatched: FusedGradient, v3: FusedGradient, baseline: FusedGradient)
    private let shiftedGrams: (dispatched: ShiftedGram, v3: ShiftedGram, baseline: ShiftedGram)

    init(fusedGradients: (dispatched: FusedGradient, v3: FusedGradient, baseline: FusedGradient),
         shiftedGrams: (dispatched: ShiftedGram, v3: ShiftedGram, baseline: ShiftedGram)) {
        self.fusedGradients = fusedGradients
        self.shiftedGrams = shiftedGrams
    }

    /// The fused gradient pass, in `version` (``NativeKernelVersion/v3`` only on a v3 CPU).
    func fusedGradient(_ version: NativeKernelVersion) -> FusedGradient {
        switch version {
        case .dispatched: fusedGradients.dispatched
        case .v3: fusedGradients.v3
        case .baseline: fusedGradients.baseline
        }
    }

    /// The shifted Gram kernel, in `version` (``NativeKernelVersion/v3`` only on a v3 CPU).
    func shiftedGram(_ version: NativeKernelVersion) -> ShiftedGram {
        switch version {
        case .dispatched: shiftedGrams.dispatched
        case .v3: shiftedGrams.v3
        case .baseline: shiftedGrams.baseline
        }
    }
}

let floatNativeKernels = NativeKernelRoutines<Float>(
    fusedGradients: (descent_fused_gradient_f32, descent_fused_gradient_f32_v3, descent_fused_gradient_f32_baseline),
    shiftedGrams: (descent_gram_f32, descent_gram_f32_v3, descent_gram_f32_baseline))

let doubleNativeKernels = NativeKernelRoutines<Double>(
    fusedGradients: (descent_fused_gradient_f64, descent_fused_gradient_f64_v3, descent_fused_gradient_f64_baseline),
    shiftedGrams: (descent_gram_f64, descent_gram_f64_v3, descent_gram_f64_baseline))
