import Descent
import Foundation
import Testing

// Issue 7, item 2: numerically hard but valid inputs. `solve` answers with the rank and
// the minimum-norm weights; `train` finishes or stops with a clear reason; nothing
// overflows silently. References are independent: hand-derived answers, or the
// minimum-norm solution w = Xcᵀ(Xc Xcᵀ)⁻¹yc computed here by plain Gaussian elimination.

/// A seeded n × d standard-normal-ish matrix (Box–Muller on a 64-bit LCG; no engine code).
func hardRandomRows(_ n: Int, _ d: Int, seed: UInt64) -> [[Double]] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    func uniform() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Double(state >> 11) + 0.5) / Double(1 << 53)
    }
    return (0..<n).map { _ in (0..<d).map { _ in sqrt(-2 * log(uniform())) * cos(2 * .pi * uniform()) } }
}

/// Solves the small dense system A z = b by Gaussian elimination with partial pivoting.
func gaussianSolve(_ a: [[Double]], _ b: [Double]) -> [Double] {
    var m = a, r = b
    let n = b.count
    for k in 0..<n {
        let pivot = (k..<n).max { abs(m[$0][k]) < abs(m[$1][k]) }!
        m.swapAt(k, pivot); r.swapAt(k, pivot)
        for i in (k + 1)..<n {
            let f = m[i][k] / m[k][k]
            for j in k..<n { m[i][j] -= f * m[k][j] }
            r[i] -= f * r[k]
        }
    }
    var z = [Double](repeating: 0, count: n)
    for i in stride(from: n - 1, through: 0, by: -1) {
        var s = r[i]
        for j in (i + 1)..<n { s -= m[i][j] * z[j] }
        z[i] = s / m[i][i]
    }
    return z
}

func hardDataset(_ rows: [[Double]], _ y: [Double]) -> Dataset<Double> {
    Dataset(features: Matrix(rows), targets: Vector(y), source: "<hard>")
}

/// Writes `rows` with `y` as the last column to a .npy file in a new directory.
func writeHardNPY(_ rows: [[Double]], _ y: [Double], name: String) throws -> (directory: String, path: String) {
    let directory = makeTemporaryDirectory("descent-hard")
    let path = directory + "/" + name
    try NPY.write(Matrix(zip(rows, y).map { $0 + [$1] }), to: path)
    return (directory, path)
}

/// The methods that must answer a rank-deficient problem with the minimum-norm solution.
let rankRevealingMethods: [LeastSquaresMethod] = [.auto, .qr, .svd]

@Suite("Hard input: the closed-form solver")
struct HardInputSolverTests {
    let x = hardRandomRows(40, 3, seed: 11)
    var y: [Double] { x.map { 1 * $0[0] + 2 * $0[1] + 3 * $0[2] + 0.5 } }

    @Test("a constant column gets weight 0 and rank d − 1", arguments: rankRevealingMethods)
    func constantColumn(_ method: LeastSquaresMethod) throws {
        let rows = x.map { $0 + [7] }
        let solution = try LeastSquaresSolver.solve(hardDataset(rows, y), method: method)
        #expect(solution.rank == 3)
        for (j, expected) in [1.0, 2, 3, 0].enumerated() { #expect(isClose(solution.weights[j], expected, tolerance: 1e-10)) }
        #expect(isClose(solution.bias, 0.5, tolerance: 1e-10))
    }

    @Test("a duplicated column splits its weight equally (minimum norm)", arguments: rankRevealingMethods)
    func duplicateColumn(_ method: LeastSquaresMethod) throws {
        let rows = x.map { $0 + [$0[0]] }
        let solution = try LeastSquaresSolver.solve(hardDataset(rows, y), method: method)
        #expect(solution.rank == 3)
        for (j, expected) in [0.5, 2, 3, 0.5].enumerated() { #expect(isClose(solution.weights[j], expected, tolerance: 1e-9)) }
    }

    @Test("n < d: the data are interpolated by the minimum-norm weights", arguments: rankRevealingMethods)
    func fewerRowsThanColumns(_ method: LeastSquaresMethod) throws {
        let rows = hardRandomRows(4, 7, seed: 5)
        let target = [0.3, -1.2, 2.5, 0.7]
        let solution = try LeastSquaresSolver.solve(hardDataset(rows, target), method: method)
        #expect(solution.rank == 3, "centring 4 rows leaves rank 3")
        // Reference: centre, then w = Xcᵀ z with (Xc Xcᵀ) z = yc on a basis of 3 rows (Xc has rank 3).
        let n = rows.count, d = rows[0].count
        let means = (0..<d).map { j in rows.map { $0[j] }.reduce(0, +) / Double(n) }
        let yMean = target.reduce(0, +) / Double(n)
        let xc = rows.map { row in (0..<d).map { row[$0] - means[$0] } }
        let yc = target.map { $0 - yMean }
        let basis = Array(xc.prefix(3))
        let gram = basis.map { a in basis.map { b in zip(a, b).map(*).reduce(0, +) } }
        let z = gaussianSolve(gram, Array(yc.prefix(3)))
        let reference = (0..<d).map { j in (0..<3).map { basis[$0][j] * z[$0] }.reduce(0, +) }
        for j in 0..<d { #expect(isClose(solution.weights[j], reference[j], tolerance: 1e-9), "w[\(j)]") }
        for i in 0..<n {
            let fitted = (0..<d).map { rows[i][$0] * solution.weights[$0] }.reduce(0, +) + solution.bias
            #expect(isClose(fitted, target[i], tolerance: 1e-9), "row \(i) is not interpolated")
        }
    }

    @Test("one row: weights 0, the bias is the target", arguments: rankRevealingMethods)
    func oneRow(_ method: LeastSquaresMethod) throws {
        let solution = try LeastSquaresSolver.solve(hardDataset([[1, 2, 3]], [4]), method: method)
        #expect(solution.rank == 0)
        #expect(solution.weights.allSatisfy { $0 == 0 })
        #expect(solution.bias == 4)
    }

    @Test("a constant target: weights 0, bias the constant", arguments: LeastSquaresMethod.allCases)
    func constantTarget(_ method: LeastSquaresMethod) throws {
        let solution = try LeastSquaresSolver.solve(hardDataset(x, Array(repeating: 4, count: x.count)), method: method)
        #expect(solution.rank == 3)
        for j in 0..<3 { #expect(abs(solution.weights[j]) <= 1e-12) }
        #expect(isClose(solution.bias, 4, tolerance: 1e-12))
    }

    @Test("features at 1e±150: weights scale by 1e∓150 exactly as in exact arithmetic",
          arguments: [1e150, 1e-150], LeastSquaresMethod.allCases)
    func extremeFeatureScales(_ scale: Double, _ method: LeastSquaresMethod) throws {
        let solution = try LeastSquaresSolver.solve(hardDataset(x.map { $0.map { $0 * scale } }, y), method: method)
        #expect(solution.rank == 3)
        for (j, expected) in [1.0, 2, 3].enumerated() {
            #expect(isClose(solution.weights[j] * scale, expected, tolerance: 1e-9), "w[\(j)] = \(solution.weights[j])")
        }
        #expect(isClose(solution.bias, 0.5, tolerance: 1e-9))
        #expect(solution.meanSquaredError.isFinite && solution.r2.isFinite)
    }

    @Test("targets at 1e150: the loss is reported, not overflowed", arguments: LeastSquaresMethod.allCases)
    func extremeTargetScale(_ method: LeastSquaresMethod) throws {
        let solution = try LeastSquaresSolver.solve(hardDataset(x, y.map { $0 * 1e150 }), method: method)
        for (j, expected) in [1.0, 2, 3].enumerated() { #expect(isClose(solution.weights[j] / 1e150, expected, tolerance: 1e-9)) }
        #expect(solution.meanSquaredError.isFinite && solution.residualSumOfSquares.isFinite)
    }

    @Test("finite features at 1e200 are solved (or refused honestly), never called NaN or infinity")
    func finiteButHuge() {
        let data = hardDataset(x.map { $0.map { $0 * 1e200 } }, y)
        do {
            let solution = try LeastSquaresSolver.solve(data, method: .svd)
            #expect(isClose(solution.weights[0] * 1e200, 1, tolerance: 1e-8))
        } catch {
            #expect(!"\(error)".contains("NaN or infinity"), "\(error)")
        }
    }

    @Test("--method normal on a rank-deficient design answers like qr does (falls back to the minimum norm)")
    func normalOnRankDeficient() throws {
        let solution = try LeastSquaresSolver.solve(hardDataset(x.map { $0 + [$0[0]] }, y), method: .normal)
        #expect(solution.rank == 3)
    }
}

@Suite("Hard input: gradient descent")
struct HardInputTrainerTests {
    let x = hardRandomRows(40, 3, seed: 11)
    var y: [Double] { x.map { 1 * $0[0] + 2 * $0[1] + 3 * $0[2] + 0.5 } }

    func train(_ rows: [[Double]], _ target: [Double], normalization: NormalizationKind = .standardize,
               learningRate: Double = 0.1, epochs: Int = 3000) throws -> TrainingResult<Double> {
        var configuration = TrainingConfiguration(learningRate: learningRate, epochs: epochs, normalization: normalization)
        configuration.gradientTolerance = 1e-10
        return try Trainer<Double>(configuration).train(hardDataset(rows, target))
    }

    /// Finished (converged or ran all epochs) with finite parameters and loss.
    func expectFinished(_ result: TrainingResult<Double>, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == .converged || result.status == .maxEpochs, "status \(result.status)", sourceLocation: sourceLocation)
        #expect(result.model.weights.allSatisfy(\.isFinite) && result.model.bias.isFinite && result.trainLoss.isFinite,
                "non-finite result \(result.model.weights.array) \(result.model.bias)", sourceLocation: sourceLocation)
    }

    @Test("a constant column under standardize: weight 0, no division by zero")
    func constantColumn() throws {
        let result = try train(x.map { $0 + [7] }, y)
        expectFinished(result)
        #expect(result.model.weights[3] == 0 || abs(result.model.weights[3]) < 1e-6)
        #expect(isClose(result.model.weights[2], 3, tolerance: 1e-4))
    }

    @Test("a duplicated column: converges to the minimum-norm split from zero")
    func duplicateColumn() throws {
        let result = try train(x.map { $0 + [$0[0]] }, y, normalization: .none)
        expectFinished(result)
        #expect(isClose(result.model.weights[0], 0.5, tolerance: 1e-4) && isClose(result.model.weights[3], 0.5, tolerance: 1e-4))
    }

    @Test("n < d and one row finish with finite answers that fit the data")
    func fewRows() throws {
        let rows = hardRandomRows(4, 7, seed: 5), target = [0.3, -1.2, 2.5, 0.7]
        let result = try train(rows, target, normalization: .none, learningRate: 0.05, epochs: 20000)
        expectFinished(result)
        #expect(result.trainLoss < 1e-8)
        let single = try train([[1, 2, 3]], [4], learningRate: 0.1)
        expectFinished(single)
        #expect(isClose(single.model.bias, 4, tolerance: 1e-6))
    }

    @Test("a constant target: bias the constant, weights 0")
    func constantTarget() throws {
        let result = try train(x, Array(repeating: 4, count: x.count))
        expectFinished(result)
        #expect(isClose(result.model.bias, 4, tolerance: 1e-6))
        #expect(result.model.weights.allSatisfy { abs($0) < 1e-6 })
    }

    @Test("features at 1e±150 with standardize: the original-unit weights are right", arguments: [1e150, 1e-150])
    func extremeScalesStandardized(_ scale: Double) throws {
        let result = try train(x.map { $0.map { $0 * scale } }, y)
        expectFinished(result)
        for (j, expected) in [1.0, 2, 3].enumerated() {
            #expect(isClose(result.model.weights[j] * scale, expected, tolerance: 1e-5), "w[\(j)] = \(result.model.weights[j])")
        }
    }

    @Test("features at 1e150 without normalization: a divergence with a report, not a silent inf")
    func extremeScaleRaw() throws {
        let result = try train(x.map { $0.map { $0 * 1e150 } }, y, normalization: .none, learningRate: 0.01, epochs: 100)
        #expect(result.status == .diverged)
        let report = try #require(result.divergence)
        #expect(report.largestStableLearningRate.isFinite && report.largestStableLearningRate < 1e-290, "\(report)")
    }

    @Test("features at 1e200 with standardize: the normalizer does not overflow")
    func normalizerOverflow() throws {
        let result = try train(x.map { $0.map { $0 * 1e200 } }, y)
        expectFinished(result)
    }
}

@Suite("Hard input: the CLI")
struct HardInputCLITests {
    let x = hardRandomRows(40, 3, seed: 11)
    var y: [Double] { x.map { 1 * $0[0] + 2 * $0[1] + 3 * $0[2] + 0.5 } }

    @Test("solve says the rank and that the answer is the minimum norm")
    func solveRankDeficient() throws {
        let file = try writeHardNPY(x.map { $0 + [$0[0]] }, y, name: "dup.npy")
        defer { try? FileManager.default.removeItem(atPath: file.directory) }
        let text = try DescentCLI.run(["solve", "--data", file.path])
        #expect(text.status == 0 && !text.signaled, "\(text)")
        #expect(text.stdout.contains("rank 3 of 4") && text.stdout.contains("minimum-norm"), "\(text)")
        let json = try DescentCLI.run(["solve", "--data", file.path, "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["rank"] as? Int == 3)
        let weights = try #require(object["weights"] as? [Double])
        #expect(isClose(weights[0], 0.5, tolerance: 1e-9) && isClose(weights[3], 0.5, tolerance: 1e-9))
    }

    @Test("train on raw 1e150 features stops with exit 3 and one clear reason")
    func trainDiverges() throws {
        let file = try writeHardNPY(x.map { $0.map { $0 * 1e150 } }, y, name: "big.npy")
        defer { try? FileManager.default.removeItem(atPath: file.directory) }
        let run = try DescentCLI.run(["train", "--data", file.path, "--quiet", "--epochs", "50"])
        DescentCLI.expectCleanFailure(run, code: 3, mentions: ["diverged", "learning rate"])
        #expect(!run.stderr.contains("below nan") && !run.stderr.contains("= nan"), "the advice holds a nan: \(run)")
    }

    @Test("train finishes on hard but valid files", arguments: ["constant_column", "one_row", "constant_target", "n_lt_d"])
    func trainFinishes(_ kind: String) throws {
        let rows: [[Double]], target: [Double]
        switch kind {
        case "constant_column": rows = x.map { $0 + [7] }; target = y
        case "one_row": rows = [[1, 2]]; target = [3]
        case "constant_target": rows = x; target = Array(repeating: 4, count: x.count)
        default: rows = hardRandomRows(3, 6, seed: 2); target = [1, 2, 3]
        }
        let file = try writeHardNPY(rows, target, name: kind + ".npy")
        defer { try? FileManager.default.removeItem(atPath: file.directory) }
        for command in [["train", "--normalize", "standardize", "--lr", "0.1", "--epochs", "500"], ["solve"]] {
            let run = try DescentCLI.run(command + ["--data", file.path, "--json", "--quiet"])
            #expect(run.status == 0 && !run.signaled, "\(command[0]) \(kind): \(run)")
            #expect(!run.stdout.contains("nan") && !run.stdout.contains("inf"), "\(run)")
        }
    }
}
