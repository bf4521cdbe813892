import Descent
import Testing

/// The LAPACK wrappers on hand-computable cases (column-major storage), and their typed errors.
@Suite("LAPACK wrappers and typed errors")
struct LAPACKTests {
    /// Runs `body` on a mutable copy of a column-major array and returns it.
    func mutated<S: BLASScalar>(_ values: [S], _ body: (UnsafeMutablePointer<S>) throws -> Void) rethrows -> [S] {
        var copy = values
        try copy.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
        return copy
    }

    func near<S: BLASScalar>(_ a: [S], _ b: [Double], factor: Double = 64) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs(Double($0) - $1) <= factor * Double(S.ulpOfOne) * max(1, abs($1)) }
    }

    @Test("Cholesky of an indefinite matrix throws notPositiveDefinite with the failing minor", arguments: scalarTypes)
    func choleskyFailure(_ type: any BLASScalar.Type) { checkCholeskyFailure(type) }

    func checkCholeskyFailure<S: BLASScalar>(_: S.Type) {
        let prefix = S.self == Float.self ? "s" : "d"
        // [[1, 2], [2, 1]]: the 1 × 1 minor is 1 > 0, the 2 × 2 one is 1 − 4 < 0.
        #expect(throws: DescentError.notPositiveDefinite(routine: prefix + "potrf", minor: 2)) {
            _ = try self.mutated([S(1), 2, 2, 1]) { try LAPACK.potrf(.upper, n: 2, $0, lda: 2) }
        }
        // diag(4, 1, −1, 2) with small off-diagonal couplings: minors 1, 2 positive, minor 3 not.
        let a: [S] = [4, 0.5, 0, 0,
                      0.5, 1, 0.25, 0,
                      0, 0.25, -1, 0,
                      0, 0, 0, 2]
        for triangle in [Triangle.upper, .lower] {
            do {
                _ = try mutated(a) { try LAPACK.potrf(triangle, n: 4, $0, lda: 4) }
                Issue.record("potrf accepted an indefinite matrix")
            } catch let error as DescentError {
                #expect(error == .notPositiveDefinite(routine: prefix + "potrf", minor: 3))
                #expect(error.lapackInfo == 3 && error.exitCode == 3)
                #expect(error.description.contains("\(prefix)potrf") && error.description.contains("order 3"))
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
        // A zero matrix fails at the first minor.
        #expect(throws: DescentError.notPositiveDefinite(routine: prefix + "potrf", minor: 1)) {
            _ = try self.mutated([S](repeating: 0, count: 9)) { try LAPACK.potrf(.lower, n: 3, $0, lda: 3) }
        }
    }

    @Test("Cholesky, solve and condition number of a hand-computed SPD matrix", arguments: scalarTypes)
    func cholesky(_ type: any BLASScalar.Type) throws { try checkCholesky(type) }

    func checkCholesky<S: BLASScalar>(_: S.Type) throws {
        // A = [[4, 2], [2, 3]] = L·Lᵀ with L = [[2, 0], [1, √2]].
        let a: [S] = [4, 2, 2, 3]
        let factor = try mutated(a) { try LAPACK.potrf(.lower, n: 2, $0, lda: 2) }
        #expect(near([factor[0], factor[1], factor[3]], [2, 1, Double(2.0).squareRoot()]))
        #expect(factor[2] == 2, "the other triangle is left as it was")
        // A·x = [8, 7] → x = [17/8, 3/2 − ...]: solve by hand: 4x + 2y = 8, 2x + 3y = 7 → y = 3/2, x = 5/4.
        let x = try factor.withUnsafeBufferPointer { l in
            try mutated([S(8), 7]) { try LAPACK.potrs(.lower, n: 2, nrhs: 1, l.baseAddress!, lda: 2, $0, ldb: 2) }
        }
        #expect(near(x, [1.25, 1.5]))
        // ‖A‖₁ = 6, A⁻¹ = [[3, −2], [−2, 4]] / 8 so ‖A⁻¹‖₁ = 6/8; rcond = 1 / (6 · 0.75) = 2/9.
        let anorm = a.withUnsafeBufferPointer { LAPACK.lansyOneNorm(.lower, n: 2, $0.baseAddress!, lda: 2) }
        #expect(anorm == 6)
        let rcond = try factor.withUnsafeBufferPointer { try LAPACK.pocon(.lower, n: 2, $0.baseAddress!, lda: 2, anorm: anorm) }
        #expect(near([rcond], [2.0 / 9.0]))
    }

    @Test("gels: QR least squares of a 3 × 2 line fit, and a zero column is singular", arguments: scalarTypes)
    func gels(_ type: any BLASScalar.Type) throws { try checkGels(type) }

    func checkGels<S: BLASScalar>(_: S.Type) throws {
        // Fit b ≈ x₀ + x₁·t at t = 1, 2, 3 with b = 1, 2, 2: normal equations [[3, 6], [6, 14]] x = [5, 11]
        // give x = [2/3, 1/2]. Column-major A = [1 1 1 | 1 2 3].
        var a: [S] = [1, 1, 1, 1, 2, 3]
        let b = try a.withUnsafeMutableBufferPointer { a in
            try mutated([S(1), 2, 2]) { try LAPACK.gels(m: 3, n: 2, nrhs: 1, a.baseAddress!, lda: 3, $0, ldb: 3) }
        }
        #expect(near(Array(b[0..<2]), [2.0 / 3.0, 0.5]))
        // The residual norm² is in b[2]²: residuals [1/6, −1/3, 1/6] → ‖r‖² = 1/6.
        #expect(near([b[2] * b[2]], [1.0 / 6.0]))

        let prefix = S.self == Float.self ? "s" : "d"
        var singular: [S] = [1, 0, 0, 0, 0, 0]
        #expect(throws: DescentError.singularMatrix(routine: prefix + "gels", index: 2)) {
            _ = try singular.withUnsafeMutableBufferPointer { a in
                try self.mutated([S(1), 2, 3]) { try LAPACK.gels(m: 3, n: 2, nrhs: 1, a.baseAddress!, lda: 3, $0, ldb: 3) }
            }
        }
    }

    @Test("gelsd: SVD least squares with singular values and rank, full and rank-deficient", arguments: scalarTypes)
    func gelsd(_ type: any BLASScalar.Type) throws { try checkGelsd(type) }

    func checkGelsd<S: BLASScalar>(_: S.Type) throws {
        // A = [[1, 0], [0, 2], [0, 0]], b = [1, 4, 5]: x = [1, 2], σ = [2, 1], rank 2.
        var a: [S] = [1, 0, 0, 0, 2, 0]
        var sigma = [S](repeating: -1, count: 2)
        var rank = 0
        let x = try a.withUnsafeMutableBufferPointer { a in
            try sigma.withUnsafeMutableBufferPointer { s in
                try mutated([S(1), 4, 5]) {
                    rank = try LAPACK.gelsd(m: 3, n: 2, nrhs: 1, a.baseAddress!, lda: 3, $0, ldb: 3, singularValues: s.baseAddress!, rcond: -1)
                }
            }
        }
        #expect(rank == 2)
        #expect(near(Array(x[0..<2]), [1, 2]))
        #expect(near(sigma, [2, 1]))

        // A = [[1, 1], [1, 1]], b = [2, 2]: rank 1, σ = [2, 0], minimum-norm x = [1, 1].
        var deficient: [S] = [1, 1, 1, 1]
        let y = try deficient.withUnsafeMutableBufferPointer { a in
            try sigma.withUnsafeMutableBufferPointer { s in
                try mutated([S(2), 2]) {
                    rank = try LAPACK.gelsd(m: 2, n: 2, nrhs: 1, a.baseAddress!, lda: 2, $0, ldb: 2, singularValues: s.baseAddress!, rcond: -1)
                }
            }
        }
        #expect(rank == 1)
        #expect(near(y, [1, 1]))
        #expect(near([sigma[0]], [2]) && abs(Double(sigma[1])) <= 8 * Double(S.ulpOfOne))
    }

    @Test("gelsy and the QR building blocks (geqrf, ormqr, trtrs, trcon, geqp3) on the same line fit", arguments: scalarTypes)
    func qrBlocks(_ type: any BLASScalar.Type) throws { try checkQRBlocks(type) }

    func checkQRBlocks<S: BLASScalar>(_: S.Type) throws {
        let line: [S] = [1, 1, 1, 1, 2, 3], b: [S] = [1, 2, 2]
        // gelsy: same answer as gels, rank 2.
        var a = line
        var rank = 0
        let x = try a.withUnsafeMutableBufferPointer { a in
            try mutated(b) { rank = try LAPACK.gelsy(m: 3, n: 2, nrhs: 1, a.baseAddress!, lda: 3, $0, ldb: 3, rcond: S(1e-5)) }
        }
        #expect(rank == 2 && near(Array(x[0..<2]), [2.0 / 3.0, 0.5]))

        // geqrf → Qᵀb (ormqr) → R x = (Qᵀb)[0..<2] (trtrs).
        var qr = line
        var tau = [S](repeating: 0, count: 2)
        try qr.withUnsafeMutableBufferPointer { a in
            try tau.withUnsafeMutableBufferPointer { try LAPACK.geqrf(m: 3, n: 2, a.baseAddress!, lda: 3, tau: $0.baseAddress!) }
        }
        // |R₀₀| = ‖[1, 1, 1]‖ = √3.
        #expect(near([abs(qr[0])], [Double(3.0).squareRoot()]))
        var rhs = b
        try qr.withUnsafeBufferPointer { a in
            try tau.withUnsafeBufferPointer { t in
                try rhs.withUnsafeMutableBufferPointer {
                    try LAPACK.ormqrLeft(.transposed, m: 3, n: 1, k: 2, a.baseAddress!, lda: 3, tau: t.baseAddress!, $0.baseAddress!, ldc: 3)
                }
            }
            try rhs.withUnsafeMutableBufferPointer {
                try LAPACK.trtrs(.upper, .none, n: 2, nrhs: 1, a.baseAddress!, lda: 3, $0.baseAddress!, ldb: 3)
            }
        }
        #expect(near(Array(rhs[0..<2]), [2.0 / 3.0, 0.5]))

        // trcon of diag(2, 8) (upper, lda 2): ‖R‖₁‖R⁻¹‖₁ = 8 · 0.5 = 4.
        let diagonal: [S] = [2, 0, 0, 8]
        let rcond = try diagonal.withUnsafeBufferPointer { try LAPACK.trcon(.upper, n: 2, $0.baseAddress!, lda: 2) }
        #expect(near([rcond], [0.25]))

        // geqp3 picks the column of largest norm first: [1, 2, 3] (column 2, 1-based).
        var pivoted = line
        var pivots = [Int32](repeating: 0, count: 2)
        try pivoted.withUnsafeMutableBufferPointer { a in
            try pivots.withUnsafeMutableBufferPointer { p in
                try tau.withUnsafeMutableBufferPointer {
                    try LAPACK.geqp3(m: 3, n: 2, a.baseAddress!, lda: 3, pivots: p.baseAddress!, tau: $0.baseAddress!)
                }
            }
        }
        #expect(pivots == [2, 1])
        #expect(near([abs(pivoted[0])], [Double(14.0).squareRoot()]))
    }

    @Test("syevd: eigenvalues ascending and eigenvectors of [[2, 1], [1, 2]]", arguments: scalarTypes)
    func syevd(_ type: any BLASScalar.Type) throws { try checkSyevd(type) }

    func checkSyevd<S: BLASScalar>(_: S.Type) throws {
        var a: [S] = [2, 1, 1, 2]
        var values = [S](repeating: 0, count: 2)
        try a.withUnsafeMutableBufferPointer { a in
            try values.withUnsafeMutableBufferPointer {
                try LAPACK.syevd(computeVectors: true, .upper, n: 2, a.baseAddress!, lda: 2, eigenvalues: $0.baseAddress!)
            }
        }
        #expect(near(values, [1, 3]))
        // Columns are unit eigenvectors, up to sign: (1, −1)/√2 for 1, (1, 1)/√2 for 3.
        let h = Double(0.5).squareRoot()
        #expect(near([abs(a[0]), abs(a[1]), abs(a[2]), abs(a[3])], [h, h, h, h]))
        #expect(Double(a[0]) * Double(a[1]) < 0 && Double(a[2]) * Double(a[3]) > 0)

        // Eigenvalues only, of diag(3, −1, 2): [−1, 2, 3].
        var d: [S] = [3, 0, 0, 0, -1, 0, 0, 0, 2]
        var three = [S](repeating: 0, count: 3)
        try d.withUnsafeMutableBufferPointer { a in
            try three.withUnsafeMutableBufferPointer {
                try LAPACK.syevd(computeVectors: false, .lower, n: 3, a.baseAddress!, lda: 3, eigenvalues: $0.baseAddress!)
            }
        }
        #expect(near(three, [-1, 2, 3]))
    }

    @Test("an illegal argument arrives as lapackInvalidArgument naming the routine and the argument")
    func invalidArgument() {
        // lda = 1 < n = 2 is argument 4 of dpotrf (uplo, n, a, lda); LAPACKE returns −5 because
        // it counts its matrix_layout argument first. The error must name the routine's argument.
        var a: [Double] = [4, 2, 2, 3]
        do {
            try a.withUnsafeMutableBufferPointer { try LAPACK.potrf(.upper, n: 2, $0.baseAddress!, lda: 1) }
            Issue.record("dpotrf accepted lda < n")
        } catch let error as DescentError {
            #expect(error == .lapackInvalidArgument(routine: "dpotrf", argument: 4))
            #expect(error.lapackInfo == -4)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("empty problems return without calling LAPACK")
    func emptyProblems() throws {
        var nothing: [Double] = [0]
        try nothing.withUnsafeMutableBufferPointer { a in
            try LAPACK.syevd(computeVectors: true, .upper, n: 0, a.baseAddress!, lda: 1, eigenvalues: a.baseAddress!)
            #expect(try LAPACK.pocon(.upper, n: 0, a.baseAddress!, lda: 1, anorm: 0) == 1)
            #expect(try LAPACK.trcon(.upper, n: 0, a.baseAddress!, lda: 1) == 1)
            #expect(LAPACK.lansyOneNorm(.upper, n: 0, a.baseAddress!, lda: 1) == 0)
        }
    }
}
