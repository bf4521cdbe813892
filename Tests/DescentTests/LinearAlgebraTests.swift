import Descent
import Testing

// Shared helpers for the LinearAlgebra suites (Vector, Matrix, BLAS, LAPACK, Storage) and
// the tests of what is left in the folder: descriptions and the seeded random fill.
//
// Every generic test body is written once as `func check…<S: BLASScalar>(_: S.Type)` and run
// for both precisions through `@Test(arguments: scalarTypes)`: Swift opens the existential
// metatype when it is passed to the generic function.

/// The two precisions every linear-algebra test runs for.
let scalarTypes: [any BLASScalar.Type] = [Float.self, Double.self]

/// Vector sizes: empty, one element, odd sizes, and one above 1000 (past BLAS unrolling).
let vectorSizes = [0, 1, 3, 7, 33, 1001]

/// Matrix shapes (rows, columns): empty in either direction, 1 × 1, odd, and tall/wide past 1000.
let matrixShapes: [(Int, Int)] = [(0, 0), (0, 5), (5, 0), (1, 1), (1, 7), (7, 1), (13, 9), (1001, 3), (3, 1001)]

/// Deterministic uniform [-1, 1) data of one precision.
func randomVector<S: BLASScalar>(_ count: Int, seed: UInt64, as _: S.Type = S.self) -> Vector<S> {
    var generator = SeededGenerator(seed: seed)
    return Vector<S>.random(count: count, distribution: .uniform(lower: -1, upper: 1), using: &generator)
}

/// Deterministic uniform [-1, 1) matrix of one precision.
func randomMatrix<S: BLASScalar>(_ rows: Int, _ columns: Int, seed: UInt64, as _: S.Type = S.self) -> Matrix<S> {
    var generator = SeededGenerator(seed: seed)
    return Matrix<S>.random(rows: rows, columns: columns, distribution: .uniform(lower: -1, upper: 1), using: &generator)
}

/// The elements widened to Double (exactly), for the naive references.
func doubles<S: BLASScalar>(_ vector: Vector<S>) -> [Double] { vector.map { Double($0) } }

/// Row-major elements widened to Double (exactly).
func doubles<S: BLASScalar>(_ matrix: Matrix<S>) -> [Double] { matrix.array.map { Double($0) } }

/// The error allowed for a sum of `n` terms whose magnitudes add up to `magnitude`, computed in
/// precision `S` by any summation order BLAS picks: `(4√n + 4) · eps(S) · Σ|terms|`. The √n
/// (not n) is the usual statistical bound for rounding errors of random sign; the constant
/// leaves room for the final rounding to `S`.
func sumTolerance<S: BLASScalar>(_: S.Type, terms n: Int, magnitude: Double) -> Double {
    (4 * Double(n).squareRoot() + 4) * Double(S.ulpOfOne) * magnitude
}

/// Whether `computed` is within `sumTolerance` of the Double reference.
func closeToSum<S: BLASScalar>(_ computed: S, _ reference: Double, terms n: Int, magnitude: Double) -> Bool {
    abs(Double(computed) - reference) <= sumTolerance(S.self, terms: n, magnitude: magnitude) + Double.leastNormalMagnitude
}

/// Whether an address is a multiple of 64 bytes.
func isAligned64<T>(_ pointer: UnsafePointer<T>) -> Bool { Int(bitPattern: pointer) % 64 == 0 }

@Suite("LinearAlgebra: descriptions and seeded random fill")
struct LinearAlgebraTests {
    @Test("a vector prints its precision, shape and values, eliding the middle", arguments: scalarTypes)
    func vectorDescription(_ type: any BLASScalar.Type) { checkVectorDescription(type) }

    func checkVectorDescription<S: BLASScalar>(_: S.Type) {
        let short: Vector<S> = [1, 2.5, -3]
        #expect(short.description == "Vector<\(S.precisionName)>[3] [1.0, 2.5, -3.0]")
        let empty = Vector<S>(zeros: 0)
        #expect(empty.description == "Vector<\(S.precisionName)>[0] []")
        let long = Vector<S>((0..<10).map { S($0) })
        #expect(long.description == "Vector<\(S.precisionName)>[10] [0.0, 1.0, 2.0, …, 7.0, 8.0, 9.0]")
    }

    @Test("a matrix prints its precision, shape and rows, eliding the middle", arguments: scalarTypes)
    func matrixDescription(_ type: any BLASScalar.Type) { checkMatrixDescription(type) }

    func checkMatrixDescription<S: BLASScalar>(_: S.Type) {
        let small: Matrix<S> = [[1, 2, 3], [4, 5, 6]]
        #expect(small.description == "Matrix<\(S.precisionName)>[2 × 3]\n  [1.0, 2.0, 3.0]\n  [4.0, 5.0, 6.0]")
        let tall = Matrix<S>(rows: 8, columns: 1, elements: (0..<8).map { S($0) })
        let lines = tall.description.split(separator: "\n").map(String.init)
        #expect(lines == ["Matrix<\(S.precisionName)>[8 × 1]", "  [0.0]", "  [1.0]", "  [2.0]", "  …", "  [5.0]", "  [6.0]", "  [7.0]"])
    }

    @Test("the same seed gives the same stream; the stream matches xoshiro256** seeded by SplitMix64")
    func generatorStream() {
        var a = SeededGenerator(seed: 7), b = SeededGenerator(seed: 7), c = SeededGenerator(seed: 8)
        let streamA = (0..<16).map { _ in a.next() }
        #expect(streamA == (0..<16).map { _ in b.next() })
        #expect(streamA != (0..<16).map { _ in c.next() })
        // Independent reference: the published xoshiro256** and SplitMix64 algorithms, re-typed here.
        var sm: UInt64 = 7
        func splitMix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var s = [splitMix(), splitMix(), splitMix(), splitMix()]
        func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
        var reference: [UInt64] = []
        for _ in 0..<16 {
            reference.append(rotl(s[1] &* 5, 7) &* 9)
            let t = s[1] << 17
            s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
        }
        #expect(streamA == reference)
    }

    @Test("uniform fill stays in range and normal fill has the requested moments", arguments: scalarTypes)
    func randomFill(_ type: any BLASScalar.Type) { checkRandomFill(type) }

    func checkRandomFill<S: BLASScalar>(_: S.Type) {
        var generator = SeededGenerator(seed: 3)
        let uniform = Vector<S>.random(count: 20_000, distribution: .uniform(lower: 2, upper: 5), using: &generator)
        #expect(uniform.allSatisfy { $0 >= 2 && $0 <= 5 })
        let normal = Matrix<S>.random(rows: 200, columns: 100, distribution: .normal(mean: 3, standardDeviation: 2), using: &generator)
        let values = doubles(normal)
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        // 20,000 samples: the standard error of the mean is 2/√20000 ≈ 0.014; of the sd about 0.01.
        #expect(abs(mean - 3) < 0.06)
        #expect(abs(variance.squareRoot() - 2) < 0.05)
        var again = SeededGenerator(seed: 3)
        #expect(Vector<S>.random(count: 20_000, distribution: .uniform(lower: 2, upper: 5), using: &again) == uniform)
    }
}
