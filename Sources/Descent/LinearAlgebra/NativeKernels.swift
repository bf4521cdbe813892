internal import CDescentKernels

/// Descent's own C kernels, for the loops where BLAS's call shape loses (see
/// `Sources/CDescentKernels`): each is compiled for x86-64-v3 (AVX2, FMA) and for baseline
/// x86-64 from one body, and the version this CPU supports is chosen at run time. Both versions
/// do the same arithmetic in the same order, so results never depend on the instruction set.
public enum NativeKernels {
    /// The instruction set the kernels run with here: `"x86-64-v3 (AVX2, FMA)"`,
    /// `"x86-64 baseline (SSE2)"` or `"portable C"` (reported by `descent bench`).
    public static var instructionSet: String { String(cString: descent_kernels_instruction_set()) }

    /// Whether the x86-64-v3 versions run on this CPU.
    public static var cpuHasV3: Bool { descent_kernels_cpu_has_v3() }
}
