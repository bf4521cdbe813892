/// Generic wrappers over LAPACKE's `_work` routines, written once for every ``BLASScalar``.
///
/// All routines take **column-major** storage, LAPACK's native layout (LAPACKE's row-major
/// entry points transpose in and out on every call). A row-major symmetric matrix is the
/// same matrix in column-major with the other triangle. Each wrapper checks `info` and
/// throws a ``DescentError`` that names the routine (`dpotrf`, `sgelsd`, ...) and says what
/// the code means; workspace is queried (`lwork = -1`) and allocated inside the wrapper.
public enum LAPACK {
    private static let columnMajor: Int32 = 102  // LAPACK_COL_MAJOR

    /// A LAPACK character argument.
    private static func flag(_ character: Unicode.Scalar) -> CChar { CChar(UInt8(ascii: character)) }

    /// `"d" + name` or `"s" + name`.
    static func routineName<T: BLASScalar>(_ name: String, _: T.Type) -> String {
        (T.self == Float.self ? "s" : "d") + name
    }

    /// Maps a LAPACKE `info` to a typed error; `positive` interprets `info > 0`.
    ///
    /// LAPACKE's `_work` routines count `matrix_layout` as argument 1, so they return the
    /// Fortran routine's `info - 1` for an illegal argument; the error reports the routine's
    /// own numbering (the one in LAPACK's documentation and in xerbla's message) instead.
    private static func check<T: BLASScalar>(
        _ info: Int32, _ name: String, _: T.Type,
        positive: (String, Int) -> DescentError = { .lapackFailure(routine: $0, info: $1) }
    ) throws {
        guard info != 0 else { return }
        let routine = routineName(name, T.self)
        if info < 0 { throw DescentError.lapackInvalidArgument(routine: routine, argument: max(1, Int(-info) - 1)) }
        throw positive(routine, Int(info))
    }

    /// Runs a workspace query (`lwork = -1`) and returns the optimal size it reports.
    private static func queriedSize<T: BLASScalar>(_ name: String, _: T.Type, _ query: (UnsafeMutablePointer<T>) -> Int32) throws -> Int {
        var size = T.zero
        try check(withUnsafeMutablePointer(to: &size) { query($0) }, name, T.self)
        return max(1, Int(size.rounded(.up)))
    }

    // MARK: Cholesky

    /// Cholesky factorization A = UᵀU or LLᵀ of a symmetric positive definite `n × n` matrix,
    /// in place. Throws ``DescentError/notPositiveDefinite(routine:minor:)`` with the order of
    /// the first leading minor that is not positive definite.
    public static func potrf<T: BLASScalar>(_ triangle: Triangle, n: Int, _ a: UnsafeMutablePointer<T>, lda: Int) throws {
        let info = T.routines.potrf(columnMajor, triangle.lapack, Int32(n), a, Int32(max(1, lda)))
        try check(info, "potrf", T.self) { .notPositiveDefinite(routine: $0, minor: $1) }
    }

    /// Solves A·X = B with the Cholesky factor from ``potrf(_:n:_:lda:)``; B (`n × nrhs`) is overwritten by X.
    public static func potrs<T: BLASScalar>(_ triangle: Triangle, n: Int, nrhs: Int, _ a: UnsafePointer<T>, lda: Int, _ b: UnsafeMutablePointer<T>, ldb: Int) throws {
        let info = T.routines.potrs(columnMajor, triangle.lapack, Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)))
        try check(info, "potrs", T.self)
    }

    /// The 1-norm of a symmetric matrix (needed by ``pocon(_:n:_:lda:anorm:)``), read from one triangle.
    public static func lansyOneNorm<T: BLASScalar>(_ triangle: Triangle, n: Int, _ a: UnsafePointer<T>, lda: Int) -> T {
        guard n > 0 else { return 0 }
        let work = UnsafeMutablePointer<T>.allocate(capacity: n)
        defer { work.deallocate() }
        return T.routines.lansy(columnMajor, flag("1"), triangle.lapack, Int32(n), a, Int32(max(1, lda)), work)
    }

    /// The reciprocal condition number (1-norm) of a symmetric positive definite matrix from
    /// its Cholesky factor and the 1-norm `anorm` of the original matrix.
    public static func pocon<T: BLASScalar>(_ triangle: Triangle, n: Int, _ a: UnsafePointer<T>, lda: Int, anorm: T) throws -> T {
        guard n > 0 else { return 1 }
        var rcond = T.zero
        let work = UnsafeMutablePointer<T>.allocate(capacity: 3 * n)
        let iwork = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { work.deallocate(); iwork.deallocate() }
        let info = T.routines.pocon(columnMajor, triangle.lapack, Int32(n), a, Int32(max(1, lda)), anorm, &rcond, work, iwork)
        try check(info, "pocon", T.self)
        return rcond
    }

    // MARK: Least squares

    /// Least squares by Householder QR (full column rank assumed): A is `m × n` (`m ≥ n`, or
    /// minimum norm for `m < n`), B is `max(m, n) × nrhs` and receives the solution in its
    /// first `n` rows. Throws ``DescentError/singularMatrix(routine:index:)`` when R has an
    /// exactly zero diagonal element.
    public static func gels<T: BLASScalar>(m: Int, n: Int, nrhs: Int, _ a: UnsafeMutablePointer<T>, lda: Int, _ b: UnsafeMutablePointer<T>, ldb: Int) throws {
        let trans = flag("N")
        let lwork = try queriedSize("gels", T.self) {
            T.routines.gels(columnMajor, trans, Int32(m), Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)), $0, -1)
        }
        let work = UnsafeMutablePointer<T>.allocate(capacity: lwork)
        defer { work.deallocate() }
        let info = T.routines.gels(columnMajor, trans, Int32(m), Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)), work, Int32(lwork))
        try check(info, "gels", T.self) { .singularMatrix(routine: $0, index: $1) }
    }

    /// Minimum-norm least squares by complete orthogonal factorization with column pivoting
    /// (`gelsy`); columns whose pivoted R diagonal falls below `rcond × |R₁₁|` are treated as
    /// dependent. Returns the effective rank. `pivots` (length `n`) receives the 1-based column permutation.
    public static func gelsy<T: BLASScalar>(m: Int, n: Int, nrhs: Int, _ a: UnsafeMutablePointer<T>, lda: Int, _ b: UnsafeMutablePointer<T>, ldb: Int, rcond: T) throws -> Int {
        var rank: Int32 = 0
        let jpvt = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, n))
        jpvt.initialize(repeating: 0, count: max(1, n))  // 0: every column is free to pivot
        defer { jpvt.deallocate() }
        let lwork = try queriedSize("gelsy", T.self) {
            T.routines.gelsy(columnMajor, Int32(m), Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)), jpvt, rcond, &rank, $0, -1)
        }
        let work = UnsafeMutablePointer<T>.allocate(capacity: lwork)
        defer { work.deallocate() }
        let info = T.routines.gelsy(columnMajor, Int32(m), Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)), jpvt, rcond, &rank, work, Int32(lwork))
        try check(info, "gelsy", T.self)
        return Int(rank)
    }

    /// Minimum-norm least squares by the SVD (divide and conquer, `gelsd`). Singular values
    /// `σᵢ ≤ rcond × σ₁` are treated as zero (pass a negative `rcond` for machine precision).
    /// `singularValues` (length `min(m, n)`) receives σ in decreasing order. Returns the
    /// effective rank; throws ``DescentError/noConvergence(routine:count:)`` if the SVD fails.
    public static func gelsd<T: BLASScalar>(m: Int, n: Int, nrhs: Int, _ a: UnsafeMutablePointer<T>, lda: Int, _ b: UnsafeMutablePointer<T>, ldb: Int, singularValues: UnsafeMutablePointer<T>, rcond: T) throws -> Int {
        var rank: Int32 = 0
        var iworkSize: Int32 = 0
        let lwork = try queriedSize("gelsd", T.self) {
            T.routines.gelsd(columnMajor, Int32(m), Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)), singularValues, rcond, &rank, $0, -1, &iworkSize)
        }
        let work = UnsafeMutablePointer<T>.allocate(capacity: lwork)
        let iwork = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, Int(iworkSize)))
        defer { work.deallocate(); iwork.deallocate() }
        let info = T.routines.gelsd(columnMajor, Int32(m), Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)), singularValues, rcond, &rank, work, Int32(lwork), iwork)
        try check(info, "gelsd", T.self) { .noConvergence(routine: $0, count: $1) }
        return Int(rank)
    }

    // MARK: QR building blocks

    /// Householder QR A = QR in place (`m × n`); `tau` has length `min(m, n)`.
    public static func geqrf<T: BLASScalar>(m: Int, n: Int, _ a: UnsafeMutablePointer<T>, lda: Int, tau: UnsafeMutablePointer<T>) throws {
        let lwork = try queriedSize("geqrf", T.self) {
            T.routines.geqrf(columnMajor, Int32(m), Int32(n), a, Int32(max(1, lda)), tau, $0, -1)
        }
        let work = UnsafeMutablePointer<T>.allocate(capacity: lwork)
        defer { work.deallocate() }
        try check(T.routines.geqrf(columnMajor, Int32(m), Int32(n), a, Int32(max(1, lda)), tau, work, Int32(lwork)), "geqrf", T.self)
    }

    /// QR with column pivoting A·P = QR in place; `pivots` (length `n`, 1-based, 0 = free)
    /// receives the permutation, `tau` has length `min(m, n)`.
    public static func geqp3<T: BLASScalar>(m: Int, n: Int, _ a: UnsafeMutablePointer<T>, lda: Int, pivots: UnsafeMutablePointer<Int32>, tau: UnsafeMutablePointer<T>) throws {
        let lwork = try queriedSize("geqp3", T.self) {
            T.routines.geqp3(columnMajor, Int32(m), Int32(n), a, Int32(max(1, lda)), pivots, tau, $0, -1)
        }
        let work = UnsafeMutablePointer<T>.allocate(capacity: lwork)
        defer { work.deallocate() }
        try check(T.routines.geqp3(columnMajor, Int32(m), Int32(n), a, Int32(max(1, lda)), pivots, tau, work, Int32(lwork)), "geqp3", T.self)
    }

    /// C ← Qᵀ·C (or Q·C with `transposition == .none`) for the Q of ``geqrf(m:n:_:lda:tau:)``
    /// with `k` reflectors; C is `m × n`, applied from the left.
    public static func ormqrLeft<T: BLASScalar>(_ transposition: Transposition, m: Int, n: Int, k: Int, _ a: UnsafePointer<T>, lda: Int, tau: UnsafePointer<T>, _ c: UnsafeMutablePointer<T>, ldc: Int) throws {
        let side = flag("L"), trans = flag(transposition == .none ? "N" : "T")
        let lwork = try queriedSize("ormqr", T.self) {
            T.routines.ormqr(columnMajor, side, trans, Int32(m), Int32(n), Int32(k), a, Int32(max(1, lda)), tau, c, Int32(max(1, ldc)), $0, -1)
        }
        let work = UnsafeMutablePointer<T>.allocate(capacity: lwork)
        defer { work.deallocate() }
        try check(T.routines.ormqr(columnMajor, side, trans, Int32(m), Int32(n), Int32(k), a, Int32(max(1, lda)), tau, c, Int32(max(1, ldc)), work, Int32(lwork)), "ormqr", T.self)
    }

    /// Solves op(A)·X = B for a triangular `n × n` A (non-unit diagonal); B is overwritten.
    /// Throws ``DescentError/singularMatrix(routine:index:)`` for an exactly zero diagonal.
    public static func trtrs<T: BLASScalar>(_ triangle: Triangle, _ transposition: Transposition, n: Int, nrhs: Int, _ a: UnsafePointer<T>, lda: Int, _ b: UnsafeMutablePointer<T>, ldb: Int) throws {
        let info = T.routines.trtrs(columnMajor, triangle.lapack, flag(transposition == .none ? "N" : "T"), flag("N"), Int32(n), Int32(nrhs), a, Int32(max(1, lda)), b, Int32(max(1, ldb)))
        try check(info, "trtrs", T.self) { .singularMatrix(routine: $0, index: $1) }
    }

    /// The reciprocal condition number (1-norm) of a triangular `n × n` matrix (non-unit diagonal).
    public static func trcon<T: BLASScalar>(_ triangle: Triangle, n: Int, _ a: UnsafePointer<T>, lda: Int) throws -> T {
        guard n > 0 else { return 1 }
        var rcond = T.zero
        let work = UnsafeMutablePointer<T>.allocate(capacity: 3 * n)
        let iwork = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        defer { work.deallocate(); iwork.deallocate() }
        let info = T.routines.trcon(columnMajor, flag("1"), triangle.lapack, flag("N"), Int32(n), a, Int32(max(1, lda)), &rcond, work, iwork)
        try check(info, "trcon", T.self)
        return rcond
    }

    // MARK: Symmetric eigenproblem

    /// Eigenvalues (ascending, into `eigenvalues`, length `n`) and optionally eigenvectors
    /// (overwriting A's columns) of a symmetric `n × n` matrix, by divide and conquer.
    public static func syevd<T: BLASScalar>(computeVectors: Bool, _ triangle: Triangle, n: Int, _ a: UnsafeMutablePointer<T>, lda: Int, eigenvalues: UnsafeMutablePointer<T>) throws {
        guard n > 0 else { return }
        let jobz = flag(computeVectors ? "V" : "N")
        var iworkSize: Int32 = 0
        let lwork = try queriedSize("syevd", T.self) {
            T.routines.syevd(columnMajor, jobz, triangle.lapack, Int32(n), a, Int32(max(1, lda)), eigenvalues, $0, -1, &iworkSize, -1)
        }
        let work = UnsafeMutablePointer<T>.allocate(capacity: lwork)
        let iwork = UnsafeMutablePointer<Int32>.allocate(capacity: max(1, Int(iworkSize)))
        defer { work.deallocate(); iwork.deallocate() }
        let info = T.routines.syevd(columnMajor, jobz, triangle.lapack, Int32(n), a, Int32(max(1, lda)), eigenvalues, work, Int32(lwork), iwork, max(1, iworkSize))
        try check(info, "syevd", T.self) { .noConvergence(routine: $0, count: $1) }
    }
}
