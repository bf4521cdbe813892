internal import CBLAS

/// Whether a BLAS matrix operand is used as stored or transposed.
public enum Transposition: Sendable {
    /// Use the matrix as stored.
    case none
    /// Use the transpose of the stored matrix.
    case transposed

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Which triangle of a symmetric matrix a routine reads or writes.
public enum Triangle: Sendable {
    /// The upper triangle.
    case upper
    /// The lower triangle.
    case lower

    var cblas: CBLAS_UPLO { self == .upper ? CblasUpper : CblasLower }
    var lapack: CChar { CChar(UInt8(ascii: self == .upper ? "U" : "L")) }
}

/// Thin generic wrappers over CBLAS, written once for every ``BLASScalar``.
///
/// Matrices are row-major with a leading dimension (`lda`, the distance between rows),
/// which is how ``Matrix`` stores them. Counts are `Int`; a count that does not fit the
/// 32-bit BLAS integer traps. Callers in the engine go through ``Vector`` and ``Matrix``;
/// these are public for kernels and benchmarks that work on raw buffers.
public enum BLAS {
    /// The number of threads OpenBLAS uses (process-global).
    public static var threadCount: Int {
        get { Int(openblas_get_num_threads()) }
        set {
            precondition(newValue >= 1, "BLAS.threadCount must be at least 1, got \(newValue)")
            openblas_set_num_threads(Int32(newValue))
        }
    }

    /// OpenBLAS's build configuration string (`openblas_get_config()`), e.g.
    /// `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"`.
    public static var configuration: String { String(cString: openblas_get_config()) }

    /// The name of the CPU core kernels OpenBLAS selected at run time, e.g. `"Haswell"`.
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// Runs `body` with OpenBLAS limited to `count` threads, restoring the previous count.
    /// Use inside regions that already run on several threads of their own.
    public static func withThreadCount<R>(_ count: Int, _ body: () throws -> R) rethrows -> R {
        let previous = threadCount
        if previous != count { threadCount = count }
        defer { if previous != count { threadCount = previous } }
        return try body()
    }

    // MARK: Level 1

    /// xᵀy over `n` elements with strides.
    public static func dot<T: BLASScalar>(_ n: Int, _ x: UnsafePointer<T>, _ incx: Int = 1, _ y: UnsafePointer<T>, _ incy: Int = 1) -> T {
        T.routines.dot(Int32(n), x, Int32(incx), y, Int32(incy))
    }

    /// y ← αx + y.
    public static func axpy<T: BLASScalar>(_ n: Int, _ alpha: T, _ x: UnsafePointer<T>, _ incx: Int = 1, _ y: UnsafeMutablePointer<T>, _ incy: Int = 1) {
        T.routines.axpy(Int32(n), alpha, x, Int32(incx), y, Int32(incy))
    }

    /// x ← αx.
    public static func scal<T: BLASScalar>(_ n: Int, _ alpha: T, _ x: UnsafeMutablePointer<T>, _ incx: Int = 1) {
        T.routines.scal(Int32(n), alpha, x, Int32(incx))
    }

    /// y ← x.
    public static func copy<T: BLASScalar>(_ n: Int, _ x: UnsafePointer<T>, _ incx: Int = 1, _ y: UnsafeMutablePointer<T>, _ incy: Int = 1) {
        T.routines.copy(Int32(n), x, Int32(incx), y, Int32(incy))
    }

    /// ‖x‖₂, computed without overflow for large elements.
    public static func nrm2<T: BLASScalar>(_ n: Int, _ x: UnsafePointer<T>, _ incx: Int = 1) -> T {
        T.routines.nrm2(Int32(n), x, Int32(incx))
    }

    /// Σ|xᵢ|.
    public static func asum<T: BLASScalar>(_ n: Int, _ x: UnsafePointer<T>, _ incx: Int = 1) -> T {
        T.routines.asum(Int32(n), x, Int32(incx))
    }

    /// The 0-based index of the first element of largest absolute value (0 when `n == 0`).
    public static func iamax<T: BLASScalar>(_ n: Int, _ x: UnsafePointer<T>, _ incx: Int = 1) -> Int {
        T.routines.iamax(Int32(n), x, Int32(incx))
    }

    // MARK: Level 2

    /// y ← α·op(A)·x + βy for a row-major `rows × columns` matrix A with leading dimension `lda`.
    public static func gemv<T: BLASScalar>(
        _ transposition: Transposition, rows: Int, columns: Int, alpha: T,
        _ a: UnsafePointer<T>, lda: Int, _ x: UnsafePointer<T>, _ incx: Int = 1,
        beta: T, _ y: UnsafeMutablePointer<T>, _ incy: Int = 1
    ) {
        T.routines.gemv(CblasRowMajor, transposition.cblas, Int32(rows), Int32(columns), alpha, a,
                        Int32(max(lda, 1)), x, Int32(incx), beta, y, Int32(incy))
    }

    /// A ← αxyᵀ + A for a row-major `rows × columns` matrix A.
    public static func ger<T: BLASScalar>(
        rows: Int, columns: Int, alpha: T, _ x: UnsafePointer<T>, _ incx: Int = 1,
        _ y: UnsafePointer<T>, _ incy: Int = 1, _ a: UnsafeMutablePointer<T>, lda: Int
    ) {
        T.routines.ger(CblasRowMajor, Int32(rows), Int32(columns), alpha, x, Int32(incx), y, Int32(incy), a, Int32(max(lda, 1)))
    }

    // MARK: Level 3

    /// C ← α·op(A)·op(B) + βC, row-major; op(A) is `m × k`, op(B) is `k × n`, C is `m × n`.
    public static func gemm<T: BLASScalar>(
        _ transA: Transposition, _ transB: Transposition, m: Int, n: Int, k: Int, alpha: T,
        _ a: UnsafePointer<T>, lda: Int, _ b: UnsafePointer<T>, ldb: Int,
        beta: T, _ c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        T.routines.gemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k), alpha,
                        a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), beta, c, Int32(max(ldc, 1)))
    }

    /// C ← α·AᵀA + βC (with `.transposed`, A is `k × n`) or C ← α·AAᵀ + βC (with `.none`,
    /// A is `n × k`), row-major; only `triangle` of the `n × n` matrix C is written.
    public static func syrk<T: BLASScalar>(
        _ triangle: Triangle, _ transposition: Transposition, n: Int, k: Int, alpha: T,
        _ a: UnsafePointer<T>, lda: Int, beta: T, _ c: UnsafeMutablePointer<T>, ldc: Int
    ) {
        T.routines.syrk(CblasRowMajor, triangle.cblas, transposition.cblas, Int32(n), Int32(k), alpha,
                        a, Int32(max(lda, 1)), beta, c, Int32(max(ldc, 1)))
    }
}
