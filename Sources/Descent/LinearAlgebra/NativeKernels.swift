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
