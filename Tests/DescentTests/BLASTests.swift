import Descent
import Testing

/// The raw generic BLAS wrappers: strides, `n = 0`, leading dimensions larger than the
/// column count, the configuration strings.
@Suite("BLAS wrappers on raw buffers")
struct BLASTests {
    @Test("level 1 with strides: dot, axpy, scal, copy, nrm2, asum, iamax", arguments: scalarTypes)
    func stridedLevel1(_ type: any BLASScalar.Type) { checkStrided(type) }

    func checkStrided<S: BLASScalar>(_: S.Type) {
        // x uses every 2nd element of a 2n buffer, y every 3rd of a 3n buffer.
        for n in vectorSizes {
            let xs = randomVector(2 * n, seed: 91, as: S.self), ys = randomVector(3 * n, seed: 92, as: S.self)
            let dx = (0..<n).map { Double(xs[2 * $0]) }, dy = (0..<n).map { Double(ys[3 * $0]) }
            var dot = 0.0, magnitude = 0.0, squares = 0.0, absSum = 0.0
            for i in 0..<n {
                dot += dx[i] * dy[i]; magnitude += abs(dx[i] * dy[i]); squares += dx[i] * dx[i]; absSum += abs(dx[i])
            }
            #expect(closeToSum(BLAS.dot(n, xs.baseAddress, 2, ys.baseAddress, 3), dot, terms: n, magnitude: magnitude), "dot n=\(n)")
            #expect(closeToSum(BLAS.nrm2(n, xs.baseAddress, 2), squares.squareRoot(), terms: n, magnitude: squares.squareRoot()), "nrm2 n=\(n)")
            #expect(closeToSum(BLAS.asum(n, xs.baseAddress, 2), absSum, terms: n, magnitude: absSum), "asum n=\(n)")
            var expectedIndex = 0
            for i in 0..<n where abs(dx[i]) > abs(dx[expectedIndex]) { expectedIndex = i }
            #expect(BLAS.iamax(n, xs.baseAddress, 2) == expectedIndex, "iamax n=\(n)")

            var y = ys
            y.withUnsafeMutableBufferPointer { BLAS.axpy(n, S(2), xs.baseAddress, 2, $0.baseAddress!, 3) }
            let eps = Double(S.ulpOfOne)
            func axpyHolds(_ k: Int) -> Bool {
                if k % 3 != 0 { return y[k] == ys[k] }  // elements between the strided ones untouched
                let before = Double(ys[k]), added: Double = 2 * dx[k / 3]
                return abs(Double(y[k]) - (before + added)) <= 2 * eps * (abs(before) + abs(added))
            }
            #expect((0..<(3 * n)).allSatisfy(axpyHolds), "axpy n=\(n)")

            var scaled = xs
            scaled.withUnsafeMutableBufferPointer { BLAS.scal(n, S(-3), $0.baseAddress!, 2) }
            #expect((0..<(2 * n)).allSatisfy { k in k % 2 != 0 ? scaled[k] == xs[k] : scaled[k] == S(-3) * xs[k] }, "scal n=\(n)")

            var copied = Vector<S>(zeros: 3 * n)
            copied.withUnsafeMutableBufferPointer { BLAS.copy(n, xs.baseAddress, 2, $0.baseAddress!, 3) }
            #expect((0..<(3 * n)).allSatisfy { k in copied[k] == (k % 3 == 0 ? xs[2 * (k / 3)] : 0) }, "copy n=\(n)")
        }
    }

    @Test("iamax returns the first of equal magnitudes, 0-based", arguments: scalarTypes)
    func iamaxTies(_ type: any BLASScalar.Type) { checkIamax(type) }

    func checkIamax<S: BLASScalar>(_: S.Type) {
        let x: Vector<S> = [1, -5, 3, 5, -5]
        #expect(BLAS.iamax(x.count, x.baseAddress) == 1)
        #expect(x.maxMagnitude == 5)
        #expect(BLAS.iamax(0, x.baseAddress) == 0)
    }

    @Test("gemv, ger, gemm and syrk honour a leading dimension larger than the columns", arguments: scalarTypes)
    func leadingDimension(_ type: any BLASScalar.Type) { checkLeadingDimension(type) }

    func checkLeadingDimension<S: BLASScalar>(_: S.Type) {
        // A 5 × 3 matrix stored in the first 3 columns of a 5 × 8 buffer.
        let (m, n, lda) = (5, 3, 8)
        let buffer = randomMatrix(m, lda, seed: 95, as: S.self)
        let a = Matrix<S>(rows: m, columns: n) { out in
            for i in 0..<m { for j in 0..<n { out[i * n + j] = buffer[i, j] } }
        }
        let x = randomVector(n, seed: 96, as: S.self), z = randomVector(m, seed: 97, as: S.self)
        let eps = Double(S.ulpOfOne)
        func near(_ u: Vector<S>, _ v: Vector<S>) -> Bool {
            u.count == v.count && (0..<u.count).allSatisfy { abs(Double(u[$0]) - Double(v[$0])) <= 64 * eps }
        }

        // y ← 2·A·x + 0.5·y
        var y = Vector<S>(repeating: 1, count: m)
        y.withUnsafeMutableBufferPointer {
            BLAS.gemv(.none, rows: m, columns: n, alpha: 2, buffer.baseAddress, lda: lda, x.baseAddress, 1, beta: S(0.5), $0.baseAddress!, 1)
        }
        #expect(near(y, (a * x) * 2 + Vector(repeating: 0.5, count: m)))
        var w = Vector<S>(zeros: n)
        w.withUnsafeMutableBufferPointer {
            BLAS.gemv(.transposed, rows: m, columns: n, alpha: 1, buffer.baseAddress, lda: lda, z.baseAddress, 1, beta: 0, $0.baseAddress!, 1)
        }
        #expect(near(w, a.transposeMultiplied(by: z)))

        // ger into the strided block leaves the padding columns untouched.
        var target = buffer
        target.withUnsafeMutableBufferPointer {
            BLAS.ger(rows: m, columns: n, alpha: 1, z.baseAddress, 1, x.baseAddress, 1, $0.baseAddress!, lda: lda)
        }
        #expect((0..<m).allSatisfy { i in (n..<lda).allSatisfy { j in target[i, j] == buffer[i, j] } })
        #expect((0..<m).allSatisfy { i in (0..<n).allSatisfy { j in
            abs(Double(target[i, j]) - (Double(buffer[i, j]) + Double(z[i]) * Double(x[j]))) <= 4 * eps
        } })

        // C (3 × 3, ldc 4) ← Aᵀ·A via gemm and via syrk (upper triangle).
        var c = Matrix<S>(rows: n, columns: 4)
        c.withUnsafeMutableBufferPointer {
            BLAS.gemm(.transposed, .none, m: n, n: n, k: m, alpha: 1, buffer.baseAddress, lda: lda, buffer.baseAddress, ldb: lda, beta: 0, $0.baseAddress!, ldc: 4)
        }
        var s = Matrix<S>(rows: n, columns: 4, repeating: -1)
        s.withUnsafeMutableBufferPointer {
            BLAS.syrk(.upper, .transposed, n: n, k: m, alpha: 1, buffer.baseAddress, lda: lda, beta: 0, $0.baseAddress!, ldc: 4)
        }
        let gram = a.gram()
        for i in 0..<n {
            for j in 0..<n {
                #expect(abs(Double(c[i, j]) - Double(gram[i, j])) <= 64 * eps)
                if j >= i { #expect(abs(Double(s[i, j]) - Double(gram[i, j])) <= 64 * eps) }
                else { #expect(s[i, j] == -1, "syrk must not touch the lower triangle") }
            }
            #expect(s[i, 3] == -1 && c[i, 3] == 0, "padding column untouched")
        }
    }

    @Test("n = 0 and 0-row operands leave outputs alone and read nothing", arguments: scalarTypes)
    func emptyOperands(_ type: any BLASScalar.Type) { checkEmpty(type) }

    func checkEmpty<S: BLASScalar>(_: S.Type) {
        let x: Vector<S> = [1, 2, 3]
        var y: Vector<S> = [4, 5, 6]
        #expect(BLAS.dot(0, x.baseAddress, 1, x.baseAddress, 1) == 0)
        #expect(BLAS.nrm2(0, x.baseAddress) == 0 && BLAS.asum(0, x.baseAddress) == 0)
        y.withUnsafeMutableBufferPointer { out in
            BLAS.axpy(0, S(1), x.baseAddress, 1, out.baseAddress!, 1)
            BLAS.scal(0, S(0), out.baseAddress!, 1)
            BLAS.copy(0, x.baseAddress, 1, out.baseAddress!, 1)
            // gemv with 0 columns: y ← 0·y + α·A·(empty) = β·y with β = 1 leaves y.
            BLAS.gemv(.none, rows: 3, columns: 0, alpha: 1, x.baseAddress, lda: 0, x.baseAddress, beta: 1, out.baseAddress!)
            // gemv with 0 rows, transposed: y (length 3) ← β·y with β = 1.
            BLAS.gemv(.transposed, rows: 0, columns: 3, alpha: 1, x.baseAddress, lda: 3, x.baseAddress, beta: 1, out.baseAddress!)
        }
        #expect(y.array == [4, 5, 6])
    }

    @Test("configuration names OpenBLAS and a core")
    func configuration() {
        #expect(BLAS.configuration.contains("OpenBLAS"))
        #expect(!BLAS.coreName.isEmpty)
        #expect(BLAS.threadCount >= 1)
    }
}

/// `BLAS.threadCount` is process-global: these tests run one at a time and restore it.
@Suite("BLAS thread count", .serialized)
struct BLASThreadCountTests {
    @Test("set and get round-trip, and the previous count is restored")
    func setAndGet() {
        let original = BLAS.threadCount
        defer { BLAS.threadCount = original }
        BLAS.threadCount = 1
        #expect(BLAS.threadCount == 1)
        BLAS.threadCount = 2
        #expect(BLAS.threadCount == 2)
    }

    @Test("withThreadCount limits the count inside and restores it after, even on throw")
    func scoped() throws {
        let original = BLAS.threadCount
        defer { BLAS.threadCount = original }
        BLAS.threadCount = 2
        let inside = BLAS.withThreadCount(1) { BLAS.threadCount }
        #expect(inside == 1)
        #expect(BLAS.threadCount == 2)
        struct Boom: Error {}
        #expect(throws: Boom.self) { try BLAS.withThreadCount(1) { throw Boom() } }
        #expect(BLAS.threadCount == 2)
    }

    @Test("results do not depend on the thread count beyond rounding", arguments: scalarTypes)
    func resultsAcrossThreadCounts(_ type: any BLASScalar.Type) { checkAcrossThreads(type) }

    func checkAcrossThreads<S: BLASScalar>(_: S.Type) {
        let original = BLAS.threadCount
        defer { BLAS.threadCount = original }
        let a = randomMatrix(2000, 64, seed: 99, as: S.self), x = randomVector(64, seed: 100, as: S.self)
        BLAS.threadCount = 1
        let one = (a * x, a.gram())
        BLAS.threadCount = 2
        let two = (a * x, a.gram())
        let eps = Double(S.ulpOfOne)
        #expect((0..<2000).allSatisfy { abs(Double(one.0[$0]) - Double(two.0[$0])) <= 64 * eps * 8 })
        #expect(zip(one.1.array, two.1.array).allSatisfy { abs(Double($0) - Double($1)) <= 64 * eps * 2000 })
    }
}
