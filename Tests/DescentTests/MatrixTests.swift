import Descent
import Testing

/// Every ``Matrix`` operation against a naive loop accumulated in Double, for Float and Double,
/// at empty, 1 × 1, odd and > 1000 shapes.
@Suite("Matrix operations against naive loops")
struct MatrixTests {
    @Test("A·x and Aᵀ·x (gemv plain and transposed)", arguments: scalarTypes)
    func gemv(_ type: any BLASScalar.Type) { checkGemv(type) }

    func checkGemv<S: BLASScalar>(_: S.Type) {
        for (m, n) in matrixShapes {
            let a = randomMatrix(m, n, seed: 31, as: S.self)
            let x = randomVector(n, seed: 32, as: S.self), z = randomVector(m, seed: 33, as: S.self)
            let da = doubles(a), dx = doubles(x), dz = doubles(z)

            let y = a * x
            #expect(y.count == m)
            for i in 0..<m {
                var reference = 0.0, magnitude = 0.0
                for j in 0..<n { reference += da[i * n + j] * dx[j]; magnitude += abs(da[i * n + j] * dx[j]) }
                #expect(closeToSum(y[i], reference, terms: n, magnitude: magnitude), "gemv \(m)×\(n) row \(i)")
            }

            let w = a.transposeMultiplied(by: z)
            #expect(w.count == n)
            for j in 0..<n {
                var reference = 0.0, magnitude = 0.0
                for i in 0..<m { reference += da[i * n + j] * dz[i]; magnitude += abs(da[i * n + j] * dz[i]) }
                #expect(closeToSum(w[j], reference, terms: m, magnitude: magnitude), "gemvᵀ \(m)×\(n) column \(j)")
            }
        }
    }

    @Test("A·B (gemm) including empty inner and outer dimensions", arguments: scalarTypes)
    func gemm(_ type: any BLASScalar.Type) { checkGemm(type) }

    func checkGemm<S: BLASScalar>(_: S.Type) {
        let shapes = [(0, 3, 4), (3, 0, 4), (3, 4, 0), (1, 1, 1), (7, 5, 3), (1001, 5, 3), (3, 1001, 5), (5, 3, 1001)]
        for (m, k, n) in shapes {
            let a = randomMatrix(m, k, seed: 41, as: S.self), b = randomMatrix(k, n, seed: 42, as: S.self)
            let da = doubles(a), db = doubles(b)
            let c = a * b
            #expect(c.rows == m && c.columns == n)
            var ok = true
            for i in 0..<m {
                for j in 0..<n {
                    var reference = 0.0, magnitude = 0.0
                    for p in 0..<k { reference += da[i * k + p] * db[p * n + j]; magnitude += abs(da[i * k + p] * db[p * n + j]) }
                    ok = ok && closeToSum(c[i, j], reference, terms: k, magnitude: magnitude)
                }
            }
            #expect(ok, "gemm \(m)×\(k) · \(k)×\(n)")
        }
    }

    @Test("the Gram matrix AᵀA (syrk), both triangles, symmetric", arguments: scalarTypes)
    func gram(_ type: any BLASScalar.Type) { checkGram(type) }

    func checkGram<S: BLASScalar>(_: S.Type) {
        for (m, n) in matrixShapes + [(1001, 7)] {
            let a = randomMatrix(m, n, seed: 51, as: S.self)
            let da = doubles(a)
            let g = a.gram()
            #expect(g.rows == n && g.columns == n)
            var ok = true
            for i in 0..<n {
                for j in 0..<n {
                    var reference = 0.0, magnitude = 0.0
                    for r in 0..<m { reference += da[r * n + i] * da[r * n + j]; magnitude += abs(da[r * n + i] * da[r * n + j]) }
                    ok = ok && closeToSum(g[i, j], reference, terms: m, magnitude: magnitude) && g[i, j] == g[j, i]
                }
            }
            #expect(ok, "gram \(m)×\(n)")
        }
    }

    @Test("transpose, row views, columns, rank-1 update, sum, mean, norm", arguments: scalarTypes)
    func structure(_ type: any BLASScalar.Type) { checkStructure(type) }

    func checkStructure<S: BLASScalar>(_: S.Type) {
        let eps = Double(S.ulpOfOne)
        for (m, n) in matrixShapes + [(33, 65)] {  // 33 × 65 crosses the 32-element transpose tiles
            let a = randomMatrix(m, n, seed: 61, as: S.self)
            let da = doubles(a)

            let t = a.transposed()
            #expect(t.rows == n && t.columns == m)
            #expect((0..<m).allSatisfy { i in (0..<n).allSatisfy { j in t[j, i] == a[i, j] } }, "transpose \(m)×\(n)")

            for i in [0, m / 2, m - 1] where i >= 0 && i < m {
                #expect(doubles(a.row(i)) == Array(da[(i * n)..<(i * n + n)]), "row \(i) of \(m)×\(n)")
            }
            for j in [0, n / 2, n - 1] where j >= 0 && j < n {
                #expect(doubles(a.column(j)) == (0..<m).map { da[$0 * n + j] }, "column \(j) of \(m)×\(n)")
            }
            if m >= 3 {
                let block = a.rowBlock(1..<3)
                #expect(block.rows == 2 && block.columns == n)
                #expect(doubles(block) == Array(da[n..<(3 * n)]))
            }

            let x = randomVector(m, seed: 62, as: S.self), y = randomVector(n, seed: 63, as: S.self)
            let dx = doubles(x), dy = doubles(y)
            var updated = a
            updated.addOuterProduct(x, y, scaledBy: S(0.5))
            #expect((0..<m).allSatisfy { i in (0..<n).allSatisfy { j in
                let reference = da[i * n + j] + 0.5 * dx[i] * dy[j]
                return abs(Double(updated[i, j]) - reference) <= 3 * eps * (abs(da[i * n + j]) + abs(0.5 * dx[i] * dy[j]))
            } }, "ger \(m)×\(n)")

            var sum = 0.0, magnitude = 0.0, squares = 0.0
            for v in da { sum += v; magnitude += abs(v); squares += v * v }
            #expect(closeToSum(a.sum, sum, terms: m * n, magnitude: magnitude), "sum \(m)×\(n)")
            #expect(closeToSum(a.mean, m * n == 0 ? 0 : sum / Double(m * n), terms: m * n,
                               magnitude: m * n == 0 ? 0 : magnitude / Double(m * n)), "mean \(m)×\(n)")
            #expect(closeToSum(a.norm, squares.squareRoot(), terms: m * n, magnitude: squares.squareRoot()), "norm \(m)×\(n)")
        }
    }

    @Test("+, −, scalar ×, in-place axpy and scaling, elementwise product", arguments: scalarTypes)
    func elementwise(_ type: any BLASScalar.Type) { checkElementwise(type) }

    func checkElementwise<S: BLASScalar>(_: S.Type) {
        let eps = Double(S.ulpOfOne)
        for (m, n) in matrixShapes {
            let a = randomMatrix(m, n, seed: 71, as: S.self), b = randomMatrix(m, n, seed: 72, as: S.self)
            let da = doubles(a), db = doubles(b)
            func matches(_ c: Matrix<S>, _ reference: (Double, Double) -> Double, _ bound: (Double, Double) -> Double) -> Bool {
                guard c.rows == m, c.columns == n else { return false }
                let dc = doubles(c)
                return (0..<(m * n)).allSatisfy { abs(dc[$0] - reference(da[$0], db[$0])) <= 2 * eps * bound(da[$0], db[$0]) }
            }
            #expect(matches(a + b, { $0 + $1 }, { abs($0) + abs($1) }), "+ \(m)×\(n)")
            #expect(matches(a - b, { $0 - $1 }, { abs($0) + abs($1) }), "- \(m)×\(n)")
            #expect(matches(a * S(3), { a, _ in 3 * a }, { a, _ in 3 * abs(a) }), "A·α \(m)×\(n)")
            #expect(matches(S(3) * a, { a, _ in 3 * a }, { a, _ in 3 * abs(a) }), "α·A \(m)×\(n)")
            #expect(matches(a.elementwiseProduct(b), { $0 * $1 }, { abs($0 * $1) }), "hadamard \(m)×\(n)")
            var c = a
            c.add(b, scaledBy: S(-2))
            #expect(matches(c, { $0 - 2 * $1 }, { abs($0) + 2 * abs($1) }), "axpy \(m)×\(n)")
            c = a
            c.scale(by: S(-0.5))
            #expect(matches(c, { a, _ in -0.5 * a }, { a, _ in 0.5 * abs(a) }), "scal \(m)×\(n)")
        }
    }

    @Test("construction, identity, equality and finiteness", arguments: scalarTypes)
    func construction(_ type: any BLASScalar.Type) { checkConstruction(type) }

    func checkConstruction<S: BLASScalar>(_: S.Type) {
        let literal: Matrix<S> = [[1, 2, 3], [4, 5, 6]]
        #expect(literal.rows == 2 && literal.columns == 3 && literal.count == 6)
        #expect(literal.shape == (2, 3))
        #expect(literal.array == [1, 2, 3, 4, 5, 6])
        #expect(literal.rowArrays == [[1, 2, 3], [4, 5, 6]])
        #expect(literal == Matrix(rows: 2, columns: 3, elements: [1, 2, 3, 4, 5, 6]))
        #expect(literal != Matrix(rows: 3, columns: 2, elements: [1, 2, 3, 4, 5, 6]), "same elements, other shape")
        #expect(Matrix<S>(rows: 2, columns: 2, repeating: 7).array == [7, 7, 7, 7])
        #expect(Matrix<S>.identity(3).array == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(Matrix<S>(rows: 0, columns: 4).count == 0)
        #expect(literal.isFinite && !Matrix<S>([[1, S.nan]]).isFinite)
        let a = randomMatrix(7, 5, seed: 81, as: S.self)
        #expect(a * Matrix<S>.identity(5) == a, "multiplying by I is exact")
    }

    @Test("products with an empty dimension give zeros of the right shape", arguments: scalarTypes)
    func emptyProducts(_ type: any BLASScalar.Type) { checkEmptyProducts(type) }

    func checkEmptyProducts<S: BLASScalar>(_: S.Type) {
        let noRows = Matrix<S>(rows: 0, columns: 3)
        #expect((noRows * Vector<S>(repeating: 1, count: 3)).count == 0)
        #expect(noRows.transposeMultiplied(by: Vector<S>(zeros: 0)) == Vector<S>(zeros: 3))
        #expect(noRows.gram() == Matrix<S>(rows: 3, columns: 3))
        let noColumns = Matrix<S>(rows: 3, columns: 0)
        #expect(noColumns * Vector<S>(zeros: 0) == Vector<S>(zeros: 3))
        #expect(noColumns * Matrix<S>(rows: 0, columns: 2) == Matrix<S>(rows: 3, columns: 2))
        #expect(noColumns.transposed().rows == 0 && noColumns.transposed().columns == 3)
        #expect(noRows.sum == 0 && noRows.mean == 0 && noRows.norm == 0)
    }
}
