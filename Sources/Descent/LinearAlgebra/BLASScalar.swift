internal import CBLAS
internal import CLAPACKE

/// A floating-point type BLAS and LAPACK have routines for: `Float` (the `s` routines) and
/// `Double` (the `d` routines).
///
/// This protocol is the one place the single- or double-precision routine is chosen: each
/// conforming type hands over a table of its routines (``BLASRoutines``, and
/// ``NativeKernelRoutines`` for Descent's C kernels), and every wrapper in ``BLAS``, ``LAPACK``,
/// the fused gradient pass and the Gram kernel is written once, generically, over that table.
public protocol BLASScalar: BinaryFloatingPoint, SIMDScalar, Sendable, Codable, CustomStringConvertible,
    LosslessStringConvertible
where RawSignificand: FixedWidthInteger {
    /// The routine table for this precision.
    static var routines: BLASRoutines<Self> { get }
    /// Descent's own C kernels for this precision.
    static var nativeKernels: NativeKernelRoutines<Self> { get }
    /// A short name: `"float32"` or `"float64"`.
    static var precisionName: String { get }
    /// The NumPy dtype descriptor, little-endian: `"<f4"` or `"<f8"`.
    static var numpyDescriptor: String { get }
}

/// The BLAS and LAPACK routines of one precision, as function values.
///
/// Built once per precision (see the `Float` and `Double` conformances); users never
/// construct one, they call ``BLAS`` and ``LAPACK``.
public final class BLASRoutines<Scalar>: Sendable {
    typealias Order = CBLAS_ORDER
    typealias Transpose = CBLAS_TRANSPOSE
    typealias Uplo = CBLAS_UPLO
    typealias CPointer = UnsafePointer<Scalar>?
    typealias CMutablePointer = UnsafeMutablePointer<Scalar>?

    // Level 1
    let dot: @Sendable (Int32, CPointer, Int32, CPointer, Int32) -> Scalar
    let axpy: @Sendable (Int32, Scalar, CPointer, Int32, CMutablePointer, Int32) -> Void
    let scal: @Sendable (Int32, Scalar, CMutablePointer, Int32) -> Void
    let copy: @Sendable (Int32, CPointer, Int32, CMutablePointer, Int32) -> Void
    let nrm2: @Sendable (Int32, CPointer, Int32) -> Scalar
    let asum: @Sendable (Int32, CPointer, Int32) -> Scalar
    let iamax: @Sendable (Int32, CPointer, Int32) -> Int
    // Level 2
    let gemv: @Sendable (Order, Transpose, Int32, Int32, Scalar, CPointer, Int32, CPointer, Int32, Scalar, CMutablePointer, Int32) -> Void
    let ger: @Sendable (Order, Int32, Int32, Scalar, CPointer, Int32, CPointer, Int32, CMutablePointer, Int32) -> Void
    // Level 3
    let gemm: @Sendable (Order, Transpose, Transpose, Int32, Int32, Int32, Scalar, CPointer, Int32, CPointer, Int32, Scalar, CMutablePointer, Int32) -> Void
    let syrk: @Sendable (Order, Uplo, Transpose, Int32, Int32, Scalar, CPointer, Int32, Scalar, CMutablePointer, Int32) -> Void
    // LAPACK (the `_work` forms: workspace is queried and allocated by the wrappers)
    let potrf: @Sendable (Int32, CChar, Int32, CMutablePointer, Int32) -> Int32
    let potrs: @Sendable (Int32, CChar, Int32, Int32, CPointer, Int32, CMutablePointer, Int32) -> Int32
    let pocon: @Sendable (Int32, CChar, Int32, CPointer, Int32, Scalar, CMutablePointer, CMutablePointer, UnsafeMutablePointer<Int32>?) -> Int32
    let lansy: @Sendable (Int32, CChar, CChar, Int32, CPointer, Int32, CMutablePointer) -> Scalar
    let gels: @Sendable (Int32, CChar, Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, Int32, CMutablePointer, Int32) -> Int32
    let gelsy: @Sendable (Int32, Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?, Scalar, UnsafeMutablePointer<Int32>?, CMutablePointer, Int32) -> Int32
    let gelsd: @Sendable (Int32, Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, Int32, CMutablePointer, Scalar, UnsafeMutablePointer<Int32>?, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?) -> Int32
    let geqrf: @Sendable (Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, CMutablePointer, Int32) -> Int32
    let geqp3: @Sendable (Int32, Int32, Int32, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?, CMutablePointer, CMutablePointer, Int32) -> Int32
    let ormqr: @Sendable (Int32, CChar, CChar, Int32, Int32, Int32, CPointer, Int32, CPointer, CMutablePointer, Int32, CMutablePointer, Int32) -> Int32
    let trtrs: @Sendable (Int32, CChar, CChar, CChar, Int32, Int32, CPointer, Int32, CMutablePointer, Int32) -> Int32
    let trcon: @Sendable (Int32, CChar, CChar, CChar, Int32, CPointer, Int32, CMutablePointer, CMutablePointer, UnsafeMutablePointer<Int32>?) -> Int32
    let syevd: @Sendable (Int32, CChar, CChar, Int32, CMutablePointer, Int32, CMutablePointer, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?, Int32) -> Int32

    init(
        dot: @escaping @Sendable (Int32, CPointer, Int32, CPointer, Int32) -> Scalar,
        axpy: @escaping @Sendable (Int32, Scalar, CPointer, Int32, CMutablePointer, Int32) -> Void,
        scal: @escaping @Sendable (Int32, Scalar, CMutablePointer, Int32) -> Void,
        copy: @escaping @Sendable (Int32, CPointer, Int32, CMutablePointer, Int32) -> Void,
        nrm2: @escaping @Sendable (Int32, CPointer, Int32) -> Scalar,
        asum: @escaping @Sendable (Int32, CPointer, Int32) -> Scalar,
        iamax: @escaping @Sendable (Int32, CPointer, Int32) -> Int,
        gemv: @escaping @Sendable (Order, Transpose, Int32, Int32, Scalar, CPointer, Int32, CPointer, Int32, Scalar, CMutablePointer, Int32) -> Void,
        ger: @escaping @Sendable (Order, Int32, Int32, Scalar, CPointer, Int32, CPointer, Int32, CMutablePointer, Int32) -> Void,
        gemm: @escaping @Sendable (Order, Transpose, Transpose, Int32, Int32, Int32, Scalar, CPointer, Int32, CPointer, Int32, Scalar, CMutablePointer, Int32) -> Void,
        syrk: @escaping @Sendable (Order, Uplo, Transpose, Int32, Int32, Scalar, CPointer, Int32, Scalar, CMutablePointer, Int32) -> Void,
        potrf: @escaping @Sendable (Int32, CChar, Int32, CMutablePointer, Int32) -> Int32,
        potrs: @escaping @Sendable (Int32, CChar, Int32, Int32, CPointer, Int32, CMutablePointer, Int32) -> Int32,
        pocon: @escaping @Sendable (Int32, CChar, Int32, CPointer, Int32, Scalar, CMutablePointer, CMutablePointer, UnsafeMutablePointer<Int32>?) -> Int32,
        lansy: @escaping @Sendable (Int32, CChar, CChar, Int32, CPointer, Int32, CMutablePointer) -> Scalar,
        gels: @escaping @Sendable (Int32, CChar, Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, Int32, CMutablePointer, Int32) -> Int32,
        gelsy: @escaping @Sendable (Int32, Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?, Scalar, UnsafeMutablePointer<Int32>?, CMutablePointer, Int32) -> Int32,
        gelsd: @escaping @Sendable (Int32, Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, Int32, CMutablePointer, Scalar, UnsafeMutablePointer<Int32>?, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?) -> Int32,
        geqrf: @escaping @Sendable (Int32, Int32, Int32, CMutablePointer, Int32, CMutablePointer, CMutablePointer, Int32) -> Int32,
        geqp3: @escaping @Sendable (Int32, Int32, Int32, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?, CMutablePointer, CMutablePointer, Int32) -> Int32,
        ormqr: @escaping @Sendable (Int32, CChar, CChar, Int32, Int32, Int32, CPointer, Int32, CPointer, CMutablePointer, Int32, CMutablePointer, Int32) -> Int32,
        trtrs: @escaping @Sendable (Int32, CChar, CChar, CChar, Int32, Int32, CPointer, Int32, CMutablePointer, Int32) -> Int32,
        trcon: @escaping @Sendable (Int32, CChar, CChar, CChar, Int32, CPointer, Int32, CMutablePointer, CMutablePointer, UnsafeMutablePointer<Int32>?) -> Int32,
        syevd: @escaping @Sendable (Int32, CChar, CChar, Int32, CMutablePointer, Int32, CMutablePointer, CMutablePointer, Int32, UnsafeMutablePointer<Int32>?, Int32) -> Int32
    ) {
        self.dot = dot; self.axpy = axpy; self.scal = scal; self.copy = copy
        self.nrm2 = nrm2; self.asum = asum; self.iamax = iamax
        self.gemv = gemv; self.ger = ger; self.gemm = gemm; self.syrk = syrk
        self.potrf = potrf; self.potrs = potrs; self.pocon = pocon; self.lansy = lansy
        self.gels = gels; self.gelsy = gelsy; self.gelsd = gelsd
        self.geqrf = geqrf; self.geqp3 = geqp3; self.ormqr = ormqr; self.trtrs = trtrs; self.trcon = trcon
        self.syevd = syevd
    }
}

// `lansy` takes a workspace only in its `_work` form; `iamax` returns `size_t` in OpenBLAS.
private let floatRoutines = BLASRoutines<Float>(
    dot: cblas_sdot, axpy: cblas_saxpy, scal: cblas_sscal, copy: cblas_scopy,
    nrm2: cblas_snrm2, asum: cblas_sasum, iamax: { Int(cblas_isamax($0, $1, $2)) },
    gemv: cblas_sgemv, ger: cblas_sger, gemm: cblas_sgemm, syrk: cblas_ssyrk,
    potrf: LAPACKE_spotrf_work, potrs: LAPACKE_spotrs_work, pocon: LAPACKE_spocon_work,
    lansy: LAPACKE_slansy_work, gels: LAPACKE_sgels_work, gelsy: LAPACKE_sgelsy_work,
    gelsd: LAPACKE_sgelsd_work, geqrf: LAPACKE_sgeqrf_work, geqp3: LAPACKE_sgeqp3_work,
    ormqr: LAPACKE_sormqr_work, trtrs: LAPACKE_strtrs_work, trcon: LAPACKE_strcon_work,
    syevd: LAPACKE_ssyevd_work)

private let doubleRoutines = BLASRoutines<Double>(
    dot: cblas_ddot, axpy: cblas_daxpy, scal: cblas_dscal, copy: cblas_dcopy,
    nrm2: cblas_dnrm2, asum: cblas_dasum, iamax: { Int(cblas_idamax($0, $1, $2)) },
    gemv: cblas_dgemv, ger: cblas_dger, gemm: cblas_dgemm, syrk: cblas_dsyrk,
    potrf: LAPACKE_dpotrf_work, potrs: LAPACKE_dpotrs_work, pocon: LAPACKE_dpocon_work,
    lansy: LAPACKE_dlansy_work, gels: LAPACKE_dgels_work, gelsy: LAPACKE_dgelsy_work,
    gelsd: LAPACKE_dgelsd_work, geqrf: LAPACKE_dgeqrf_work, geqp3: LAPACKE_dgeqp3_work,
    ormqr: LAPACKE_dormqr_work, trtrs: LAPACKE_dtrtrs_work, trcon: LAPACKE_dtrcon_work,
    syevd: LAPACKE_dsyevd_work)

extension Float: BLASScalar {
    /// The single-precision (`s`) routines.
    public static var routines: BLASRoutines<Float> { floatRoutines }
    /// The `f32` C kernels.
    public static var nativeKernels: NativeKernelRoutines<Float> { floatNativeKernels }
    /// `"float32"`.
    public static var precisionName: String { "float32" }
    /// `"<f4"`.
    public static var numpyDescriptor: String { "<f4" }
}

extension Double: BLASScalar {
    /// The double-precision (`d`) routines.
    public static var routines: BLASRoutines<Double> { doubleRoutines }
    /// The `f64` C kernels.
    public static var nativeKernels: NativeKernelRoutines<Double> { doubleNativeKernels }
    /// `"float64"`.
    public static var precisionName: String { "float64" }
    /// `"<f8"`.
    public static var numpyDescriptor: String { "<f8" }
}
