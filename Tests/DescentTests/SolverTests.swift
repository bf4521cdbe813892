import Descent
import Foundation
import Testing

/// One problem of `Fixtures/exact_least_squares.json` (written by `scripts/exact_least_squares.py`):
/// data stored exactly as binary floats, and the exact rational least-squares answer rounded once.
struct ExactProblem: Decodable {
    let name: String
    let dtype: String
    let features: [[Double]]
    let targets: [Double]
    let weights: [Double]
    let bias: Double
    let residual_sum_of_squares: Double
    let rank: Int
    let condition_centred_scaled: Double
    let numpy_lstsq_relative_error: Double?
    let scipy_gelsy_relative_error: Double?

    static let all: [ExactProblem] = {
        struct File: Decodable { let problems: [ExactProblem] }
        let data = try! Data(contentsOf: fixtureURL("exact_least_squares.json"))
        return try! JSONDecoder().decode(File.self, from: data).problems
    }()

    static func named(_ name: String) -> ExactProblem { all.first { $0.name == name }! }

    func dataset<S: BLASScalar>(_: S.Type) -> Dataset<S> {
        Dataset(features: Matrix(features.map { $0.map { S($0) } }), targets: Vector(targets.map { S($0) }), source: name)
    }

    /// ‖(w, b) − (w*, b*)‖ / ‖(w*, b*)‖.
    func relativeError(weights w: [Double], bias b: Double) -> Double {
        var num = (b - bias) * (b - bias), den = bias * bias
        for (x, y) in zip(w, weights) { num += (x - y) * (x - y); den += y * y }
        return (num / den).squareRoot()
    }
}

/// A random, well-conditioned problem: standard-normal features with offsets, y = Xw + b + noise.
func randomProblem<S: BLASScalar>(_: S.Type, rows: Int, features: Int, seed: UInt64) -> Dataset<S> {
    var generator = SeededGenerator(seed: seed)
    var x = Matrix<S>.random(rows: rows, columns: features, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
    for i in 0..<rows { for j in 0..<features { x[i, j] += S(Double(j) * 3 - 4) } }
    let w = Vector<S>.random(count: features, distribution: .uniform(lower: -2, upper: 2), using: &generator)
    var y = x.multiplied(by: w)
    for i in 0..<rows { y[i] += S(0.5 + 0.3 * generator.nextNormal()) }
    return Dataset(features: x, targets: y)
}

enum Precision: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case float, double
    var testDescription: String { rawValue }
    /// Runs a generic body with this precision's scalar type.
    func run(_ body: (any BLASScalar.Type) throws -> Void) rethrows {
        switch self {
        case .float: try body(Float.self)
        case .double: try body(Double.self)
        }
    }
}

@Suite("Least-squares solver")
struct SolverTests {
    @Test("thermometer: every method gives the textbook slope and intercept", arguments: Precision.allCases)
    func thermometer(_ precision: Precision) throws {
        try precision.run { try thermometerBody($0) }
    }

    private func thermometerBody<S: BLASScalar>(_: S.Type) throws {
        // Independent reference: simple regression by its textbook formulas, in exact-ish Double.
        let x = Thermometer.unknownUnits.map { Double(S($0)) }, y = Thermometer.celsius.map { Double(S($0)) }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = sxy / sxx, intercept = my - slope * mx
        let rss = zip(x, y).reduce(0) { $0 + pow($1.1 - slope * $1.0 - intercept, 2) }
        for method in LeastSquaresMethod.allCases {
            let solution = try LeastSquaresSolver.solve(Thermometer.dataset(S.self), method: method)
            #expect(isClose(solution.preciseWeights[0], slope, tolerance: 1e-13), "\(method)")
            #expect(isClose(solution.preciseBias, intercept, tolerance: 1e-13), "\(method)")
            #expect(isClose(Double(solution.weights[0]), slope, tolerance: tolerance(S.self, factor: 2)))
            #expect(isClose(solution.residualSumOfSquares, rss, tolerance: 1e-12), "\(method)")
            #expect(isClose(solution.meanSquaredError, rss / n, tolerance: 1e-12))
            #expect(solution.rank == 1)
            #expect(method == .auto ? solution.method == .normal : solution.method == method)
        }
        // The chapter's answer, to the digits it prints: w ≈ 0.5368, b ≈ −17.30.
        let solution = try LeastSquaresSolver.solve(Thermometer.dataset(S.self))
        #expect(abs(Double(solution.weights[0]) - 0.5368) < 1e-4)
        #expect(abs(Double(solution.bias) + 17.305) < 1e-2)
    }

    @Test("methods agree on random well-conditioned problems (tolerance ∝ ε·cond)", arguments: Precision.allCases)
    func methodsAgree(_ precision: Precision) throws {
        try precision.run { try methodsAgreeBody($0) }
    }

    private func methodsAgreeBody<S: BLASScalar>(_: S.Type) throws {
        for (seed, shape) in [(1, (200, 5)), (2, (50, 12)), (3, (3_000, 3))] {
            for l2 in [0.0, 0.05] {
                let data = randomProblem(S.self, rows: shape.0, features: shape.1, seed: UInt64(seed))
                let solutions = try LeastSquaresMethod.allCases.map { try LeastSquaresSolver.solve(data, method: $0, l2: l2) }
                let reference = solutions[1]  // normal
                // All arithmetic is in Double (Float data are widened exactly), so the methods
                // agree to ε₆₄·cond², whatever the data's precision.
                let bound = 1_000 * Double.ulpOfOne * pow(reference.conditionNumber, 2)
                for solution in solutions {
                    let scale = reference.preciseWeights.map(abs).max()!
                    for (a, b) in zip(solution.preciseWeights, reference.preciseWeights) {
                        #expect(abs(a - b) <= bound * scale, "seed \(seed) l2 \(l2) \(solution.method): \(a) vs \(b)")
                    }
                    #expect(isClose(solution.objective, reference.objective, tolerance: 1e-10))
                    #expect(solution.rank == shape.1)
                }
            }
        }
    }

    @Test("ill-conditioned problems: auto matches the exact rational answer and beats NumPy and gelsy",
          arguments: ["vandermonde_exact_f64", "vandermonde_noisy_float64", "near_collinear_float64", "huge_offsets_float64",
                      "vandermonde_noisy_float32", "near_collinear_float32", "huge_offsets_float32"])
    func exactReferences(_ name: String) throws {
        let problem = ExactProblem.named(name)
        let solution: (weights: [Double], bias: Double, method: LeastSquaresMethod, rss: Double)
        if problem.dtype == "float32" {
            let s = try LeastSquaresSolver.solve(problem.dataset(Float.self))
            solution = (s.preciseWeights, s.preciseBias, s.method, s.residualSumOfSquares)
        } else {
            let s = try LeastSquaresSolver.solve(problem.dataset(Double.self))
            solution = (s.preciseWeights, s.preciseBias, s.method, s.residualSumOfSquares)
        }
        let error = problem.relativeError(weights: solution.weights, bias: solution.bias)
        // Backward-stable methods are accurate to about ε·cond (cond of the centred, scaled design).
        let bound = 50 * Double.ulpOfOne * problem.condition_centred_scaled
        #expect(error <= bound, "\(name) via \(solution.method): error \(error), bound \(bound)")
        let peers = [problem.numpy_lstsq_relative_error, problem.scipy_gelsy_relative_error].compactMap { $0 }
        #expect(error <= max(peers.min()!, 1e-15), "\(name): \(error) vs NumPy/gelsy \(peers)")
        if problem.residual_sum_of_squares > 0 {
            #expect(isClose(solution.rss, problem.residual_sum_of_squares, tolerance: 1e-8))
        }
    }

    @Test("centring is exact: shifting every feature by 10⁶ changes only the bias (direct and shifted-copy paths agree)")
    func shiftInvariance() throws {
        // Centred standard-normal data take the unshifted fast path; the shifted copy cannot.
        let data = SyntheticData.make(rows: 20_000, features: 6, noise: 0.1, seed: 11, as: Double.self).dataset
        let shifted = Matrix<Double>(rows: data.rowCount, columns: 6) { out in
            for i in 0..<data.rowCount { for j in 0..<6 { out[i * 6 + j] = data.features[i, j] + 1e6 } }
        }
        let plain = try LeastSquaresSolver.solve(data)
        let moved = try LeastSquaresSolver.solve(Dataset(features: shifted, targets: data.targets))
        #expect(plain.method == .normal && moved.method == .normal)
        for j in 0..<6 {
            // The shifted data are themselves rounded (|x| ~ 1e6 keeps ~1e-10 absolute).
            #expect(abs(plain.preciseWeights[j] - moved.preciseWeights[j]) < 1e-9)
        }
        let expectedBias = plain.preciseBias - 1e6 * plain.preciseWeights.reduce(0, +)
        #expect(abs(moved.preciseBias - expectedBias) < 1e-3)
        #expect(isClose(moved.residualSumOfSquares, plain.residualSumOfSquares, tolerance: 1e-6))
    }

    @Test("rank-deficient and underdetermined: the rank is said and the answer is the minimum-norm one",
          arguments: ["duplicate_column_float64", "duplicate_column_float32", "underdetermined_float64", "underdetermined_float32"])
    func minimumNorm(_ name: String) throws {
        let problem = ExactProblem.named(name)
        for method in [LeastSquaresMethod.auto, .qr, .svd] {
            let s: (weights: [Double], bias: Double, rank: Int, method: LeastSquaresMethod, rss: Double)
            if problem.dtype == "float32" {
                let r = try LeastSquaresSolver.solve(problem.dataset(Float.self), method: method)
                s = (r.preciseWeights, r.preciseBias, r.rank, r.method, r.residualSumOfSquares)
            } else {
                let r = try LeastSquaresSolver.solve(problem.dataset(Double.self), method: method)
                s = (r.preciseWeights, r.preciseBias, r.rank, r.method, r.residualSumOfSquares)
            }
            #expect(s.rank == problem.rank, "\(name) \(method)")
            #expect(s.method == .svd)
            #expect(problem.relativeError(weights: s.weights, bias: s.bias) <= 1e-12, "\(name) \(method)")
            #expect(abs(s.rss - problem.residual_sum_of_squares) <= 1e-10 * max(1, problem.residual_sum_of_squares))
        }
    }

    @Test("duplicate column: the minimum-norm answer splits the weight of the full-rank fit", arguments: Precision.allCases)
    func duplicateColumnSplitsWeight(_ precision: Precision) throws {
        try precision.run { try duplicateBody($0) }
    }

    private func duplicateBody<S: BLASScalar>(_: S.Type) throws {
        let base = randomProblem(S.self, rows: 100, features: 2, seed: 9)
        let duplicated = Matrix<S>(rows: 100, columns: 3) { out in
            for i in 0..<100 { out[3 * i] = base.features[i, 0]; out[3 * i + 1] = base.features[i, 0]; out[3 * i + 2] = base.features[i, 1] }
        }
        let full = try LeastSquaresSolver.solve(base, method: .qr)
        let deficient = try LeastSquaresSolver.solve(Dataset(features: duplicated, targets: base.targets))
        #expect(deficient.rank == 2)
        #expect(deficient.method == .svd)
        let w = deficient.preciseWeights, reference = full.preciseWeights
        #expect(isClose(w[0], reference[0] / 2, tolerance: 1e-12))
        #expect(isClose(w[1], reference[0] / 2, tolerance: 1e-12))
        #expect(isClose(w[2], reference[1], tolerance: 1e-12))
        #expect(isClose(deficient.preciseBias, full.preciseBias, tolerance: 1e-12))
        #expect(isClose(deficient.residualSumOfSquares, full.residualSumOfSquares, tolerance: 1e-10))
        // The normal equations have no Cholesky factor here; like qr, they hand over to the SVD.
        let normal = try LeastSquaresSolver.solve(Dataset(features: duplicated, targets: base.targets), method: .normal)
        #expect(normal.method == .svd && normal.rank == 2)
        #expect(isClose(normal.preciseWeights[0], reference[0] / 2, tolerance: 1e-12))
    }

    @Test("ridge: the closed form zeroes the trainer's penalized gradient and matches the 1-feature formula", arguments: Precision.allCases)
    func ridge(_ precision: Precision) throws {
        try precision.run { try ridgeBody($0) }
    }

    private func ridgeBody<S: BLASScalar>(_: S.Type) throws {
        let l2 = 0.25
        // One feature: w = Sxy / (Sxx + n·l2), b = ȳ − w·x̄.
        let x = Thermometer.unknownUnits.map { Double(S($0)) }, y = Thermometer.celsius.map { Double(S($0)) }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }
        let slope = sxy / (sxx + n * l2)
        for method in LeastSquaresMethod.allCases {
            let s = try LeastSquaresSolver.solve(Thermometer.dataset(S.self), method: method, l2: l2)
            #expect(isClose(s.preciseWeights[0], slope, tolerance: 1e-13), "\(method)")
            #expect(isClose(s.preciseBias, my - slope * mx, tolerance: 1e-13), "\(method)")
            #expect(s.l2 == l2)
        }
        // Many features: the gradient of mean(r²) + l2·‖w‖², by the trainer's own kernel in Double, vanishes.
        let data = randomProblem(Double.self, rows: 400, features: 6, seed: 4)
        let s = try LeastSquaresSolver.solve(data, l2: l2)
        var gradient = Vector<Double>(zeros: 6)
        let (_, biasGradient) = meanSquaredErrorGradient(features: data.features, targets: data.targets,
                                                         weights: Vector(s.preciseWeights), bias: s.preciseBias,
                                                         weightsGradient: &gradient, l2: l2)
        #expect(gradient.norm < 1e-10)
        #expect(abs(biasGradient) < 1e-10)
    }

    @Test("finite but huge values (1e200) are rescaled exactly and solved, not called NaN", arguments: LeastSquaresMethod.allCases)
    func hugeFiniteValues(_ method: LeastSquaresMethod) throws {
        let base = randomProblem(Double.self, rows: 200, features: 3, seed: 21)
        let reference = try LeastSquaresSolver.solve(base, method: method)
        // ×2⁶⁶⁴ ≈ 1e200 on the features and ×2¹⁰ on the target are exact, so the answer is
        // the reference scaled: w·2¹⁰/2⁶⁶⁴, b·2¹⁰.
        let (sx, sy) = (0x1p664, 0x1p10)
        let huge = Dataset(features: base.features * sx, targets: base.targets * sy)
        let solution = try LeastSquaresSolver.solve(huge, method: method)
        for j in 0..<3 { #expect(isClose(solution.preciseWeights[j] * sx / sy, reference.preciseWeights[j], tolerance: 1e-12)) }
        #expect(isClose(solution.preciseBias / sy, reference.preciseBias, tolerance: 1e-12))
        #expect(isClose(solution.residualSumOfSquares / (sy * sy), reference.residualSumOfSquares, tolerance: 1e-10))
        #expect(solution.rank == 3)
    }

    @Test("bad input arrives as typed errors")
    func typedErrors() throws {
        #expect(throws: DescentError.self) { try LeastSquaresSolver.solve(Thermometer.dataset(Double.self), l2: -1) }
        var data = Thermometer.dataset(Double.self)
        data.targets[3] = .nan
        #expect(throws: DescentError.self) { try LeastSquaresSolver.solve(data) }
        do {
            _ = try LeastSquaresSolver.solve(Thermometer.dataset(Double.self), l2: .infinity)
            Issue.record("no error")
        } catch let error as DescentError {
            #expect(error.exitCode == 2)
        }
    }

    @Test("LAPACK failures are typed errors with their info", arguments: Precision.allCases)
    func lapackFailures(_ precision: Precision) {
        precision.run { lapackBody($0) }
    }

    private func lapackBody<S: BLASScalar>(_: S.Type) {
        let prefix = S.self == Float.self ? "s" : "d"
        // Indefinite: the 2 × 2 leading minor has determinant 1 − 4 < 0.
        var a: [S] = [1, 2, 2, 1]
        #expect(throws: DescentError.notPositiveDefinite(routine: prefix + "potrf", minor: 2)) {
            try a.withUnsafeMutableBufferPointer { try LAPACK.potrf(.upper, n: 2, $0.baseAddress!, lda: 2) }
        }
        var triangular: [S] = [1, 0, 5, 0]  // column-major upper triangle with R₂₂ = 0
        var b: [S] = [1, 1]
        #expect(throws: DescentError.singularMatrix(routine: prefix + "trtrs", index: 2)) {
            try triangular.withUnsafeMutableBufferPointer { r in
                try b.withUnsafeMutableBufferPointer { try LAPACK.trtrs(.upper, .none, n: 2, nrhs: 1, r.baseAddress!, lda: 2, $0.baseAddress!, ldb: 2) }
            }
        }
    }
}
