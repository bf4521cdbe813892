import Descent
import Testing

/// Every ``Vector`` operation against a naive loop accumulated in Double, for Float and Double,
/// at sizes 0, 1, odd sizes and above 1000.
@Suite("Vector operations against naive loops")
struct VectorTests {
    @Test("dot, norm, sum, mean, absolute sum and largest magnitude", arguments: scalarTypes)
    func reductions(_ type: any BLASScalar.Type) { checkReductions(type) }

    func checkReductions<S: BLASScalar>(_: S.Type) {
        for n in vectorSizes {
            let x = randomVector(n, seed: 11, as: S.self), y = randomVector(n, seed: 12, as: S.self)
            let dx = doubles(x), dy = doubles(y)

            var dot = 0.0, dotMagnitude = 0.0
            for i in 0..<n { dot += dx[i] * dy[i]; dotMagnitude += abs(dx[i] * dy[i]) }
            #expect(closeToSum(x.dot(y), dot, terms: n, magnitude: dotMagnitude), "dot n=\(n)")

            var squares = 0.0
            for v in dx { squares += v * v }
            #expect(closeToSum(x.norm, squares.squareRoot(), terms: n, magnitude: squares.squareRoot()), "norm n=\(n)")

            var sum = 0.0, magnitude = 0.0
            for v in dx { sum += v; magnitude += abs(v) }
            #expect(closeToSum(x.sum, sum, terms: n, magnitude: magnitude), "sum n=\(n)")
            #expect(closeToSum(x.absoluteSum, magnitude, terms: n, magnitude: magnitude), "asum n=\(n)")
            let mean = n == 0 ? 0 : sum / Double(n)
            #expect(closeToSum(x.mean, mean, terms: n, magnitude: n == 0 ? 0 : magnitude / Double(n)), "mean n=\(n)")

            // The first element of largest magnitude, exactly.
            var largest = 0.0
            for v in dx where abs(v) > largest { largest = abs(v) }
            #expect(Double(x.maxMagnitude) == largest, "iamax n=\(n)")
        }
    }

    @Test("axpy, scaling, +, −, negation, scalar × and elementwise product", arguments: scalarTypes)
    func elementwise(_ type: any BLASScalar.Type) { checkElementwise(type) }

    func checkElementwise<S: BLASScalar>(_: S.Type) {
        let eps = Double(S.ulpOfOne)
        let alpha = S(-0.75)  // exact in both precisions
        for n in vectorSizes {
            let x = randomVector(n, seed: 21, as: S.self), y = randomVector(n, seed: 22, as: S.self)
            let dx = doubles(x), dy = doubles(y), a = Double(alpha)

            // One or two roundings per element: |error| ≤ 2·eps·(|terms|).
            func matches(_ result: Vector<S>, _ reference: (Int) -> Double, _ magnitude: (Int) -> Double) -> Bool {
                guard result.count == n else { return false }
                return (0..<n).allSatisfy { abs(Double(result[$0]) - reference($0)) <= 2 * eps * magnitude($0) }
            }

            var axpy = y
            axpy.add(x, scaledBy: alpha)
            #expect(matches(axpy, { dy[$0] + a * dx[$0] }, { abs(dy[$0]) + abs(a * dx[$0]) }), "axpy n=\(n)")
            var scaled = x
            scaled.scale(by: alpha)
            #expect(matches(scaled, { a * dx[$0] }, { abs(a * dx[$0]) }), "scal n=\(n)")
            #expect(matches(x + y, { dx[$0] + dy[$0] }, { abs(dx[$0]) + abs(dy[$0]) }), "+ n=\(n)")
            #expect(matches(x - y, { dx[$0] - dy[$0] }, { abs(dx[$0]) + abs(dy[$0]) }), "- n=\(n)")
            #expect(matches(-x, { -dx[$0] }, { abs(dx[$0]) }), "negation n=\(n)")
            #expect(matches(x * alpha, { a * dx[$0] }, { abs(a * dx[$0]) }), "x·α n=\(n)")
            #expect(matches(alpha * x, { a * dx[$0] }, { abs(a * dx[$0]) }), "α·x n=\(n)")
            #expect(matches(x.elementwiseProduct(y), { dx[$0] * dy[$0] }, { abs(dx[$0] * dy[$0]) }), "hadamard n=\(n)")

            var compound = x
            compound += y
            compound -= x        // back to y up to rounding
            compound *= alpha
            #expect(matches(compound, { a * dy[$0] }, { 2 * abs(a) * (abs(dx[$0]) + abs(dy[$0])) }), "compound n=\(n)")

            var filled = Vector<S>(zeros: n)
            filled.assign(from: x)
            #expect(filled == x, "copy n=\(n)")
            #expect(x.copied() == x, "copied n=\(n)")
        }
    }

    @Test("construction, collection conformance, equality and finiteness", arguments: scalarTypes)
    func construction(_ type: any BLASScalar.Type) { checkConstruction(type) }

    func checkConstruction<S: BLASScalar>(_: S.Type) {
        let literal: Vector<S> = [1, 2, 3]
        #expect(literal.array == [1, 2, 3])
        #expect(literal.count == 3 && literal.startIndex == 0 && literal.endIndex == 3)
        #expect(Array(literal.reversed()) == [3, 2, 1])
        #expect(Vector<S>(repeating: 4, count: 5).array == Array(repeating: 4, count: 5))
        #expect(Vector<S>(zeros: 4).allSatisfy { $0 == 0 })
        #expect(Vector<S>([S]()).count == 0)
        #expect(Vector<S>(zeros: 0) == Vector<S>([S]()))
        #expect(literal != [1, 2])
        #expect(literal != [1, 2, 4])
        #expect(Vector<S>([S.nan]) != Vector<S>([S.nan]), "NaN never equals")
        #expect(literal.isFinite)
        #expect(!Vector<S>([1, S.infinity]).isFinite)
        #expect(!Vector<S>([S.nan, 1]).isFinite)
        let built = Vector<S>(unsafeUninitializedCount: 4) { buffer in
            for i in 0..<4 { buffer[i] = S(i * i) }
        }
        #expect(built.array == [0, 1, 4, 9])
    }

    @Test("empty vectors are safe to pass to every BLAS-backed operation", arguments: scalarTypes)
    func emptyVectors(_ type: any BLASScalar.Type) { checkEmpty(type) }

    func checkEmpty<S: BLASScalar>(_: S.Type) {
        var empty = Vector<S>(zeros: 0)
        #expect(empty.dot(empty) == 0 && empty.norm == 0 && empty.sum == 0 && empty.mean == 0)
        #expect(empty.absoluteSum == 0 && empty.maxMagnitude == 0)
        empty.add(empty, scaledBy: 2)
        empty.scale(by: 3)
        #expect((empty + empty).count == 0 && (empty - empty).count == 0 && (empty * 2).count == 0)
        #expect(empty.elementwiseProduct(empty).count == 0)
        #expect(empty.copied().count == 0)
        #expect(empty.description.hasSuffix("[0] []"))
    }

    @Test("a sum of many equal terms keeps full precision (pairwise summation)", arguments: scalarTypes)
    func pairwiseSum(_ type: any BLASScalar.Type) { checkPairwise(type) }

    func checkPairwise<S: BLASScalar>(_: S.Type) {
        // 0.1 summed 10⁶ times: naive Float accumulation drifts by ~1%; pairwise stays within a few ulps·log n.
        let n = 1_000_000
        let x = Vector<S>(repeating: S(0.1), count: n)
        let reference = Double(S(0.1)) * Double(n)
        #expect(abs(Double(x.sum) - reference) <= 64 * Double(S.ulpOfOne) * reference)
    }
}
