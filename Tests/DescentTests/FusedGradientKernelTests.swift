@testable import Descent
import Testing

// The C fused gradient pass (FusedGradientKernel.h, FusedGradientPass): against plain loops
// in Double, against finite differences of the loss, v3 against baseline bit for bit, the
// in-register normalization against a normalized copy bit for bit, and thread independence
// through MeanSquaredErrorKernel.

/// Feature counts: empty, below one vector of either precision, around 4, 8, 16, 32, 64, and
/// one wide shape, so whole vectors, padded tails and both group sizes are all exercised.
private let fusedColumnCounts = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 64, 65, 256]
/// Row counts: empty, fewer than a group, exactly one group of 8, one past it, and many.
private let fusedRowCounts = [0, 1, 2, 3, 7, 8, 9, 1000]

/// One problem for the pass: raw features around 5 with spread 3 (so normalization matters),
/// targets, weights, the normalization numbers, and a non-zero starting gradient (the pass adds).
private struct FusedProblem<S: BLASScalar> {
    let rows: Int, columns: Int
    let x: [S], y: [S], weights: [S], offsets: [S], multipliers: [S], startGradient: [S]
    let bias: S, scale: S

    init(rows: Int, columns: Int, seed: UInt64) {
        self.rows = rows
        self.columns = columns
        let raw = randomMatrix(rows, columns, seed: seed, as: S.self).array
        x = raw.map { 3 * $0 + 5 }
        y = randomVector(rows, seed: seed + 1, as: S.self).array.map { 2 * $0 }
        weights = randomVector(columns, seed: seed + 2, as: S.self).array
        offsets = randomVector(columns, seed: seed + 3, as: S.self).array.map { $0 + 5 }
        multipliers = randomVector(columns, seed: seed + 4, as: S.self).array.map { S(1) / (2 + $0) }
        startGradient = randomVector(columns, seed: seed + 5, as: S.self).array
        bias = S(0.25)
        scale = S(2) / S(max(rows, 1))
    }

    /// Feature j of row i as the pass sees it: raw, or `(x − offset)·multiplier` in `S` (the
    /// definition of the normalization: a normalized copy holds exactly these values).
    func feature(_ i: Int, _ j: Int, normalized: Bool) -> S {
        let value = x[i * columns + j]
        return normalized ? (value - offsets[j]) * multipliers[j] : value
    }

    /// Runs the pass; returns the sums and the gradient (nil without one).
    func run(normalized: Bool, gradient wantGradient: Bool, version: NativeKernelVersion = .dispatched)
        -> (squares: Double, sum: Double, gradient: [S]?) {
        var gradient = startGradient
        let result = x.withUnsafeBufferPointer { x in
            y.withUnsafeBufferPointer { y in
                weights.withUnsafeBufferPointer { w in
                    offsets.withUnsafeBufferPointer { o in
                        multipliers.withUnsafeBufferPointer { m in
                            gradient.withUnsafeMutableBufferPointer { g in
                                FusedGradientPass.accumulate(
                                    x: nonNull(x), y: nonNull(y), rows: rows, columns: columns, weights: nonNull(w),
                                    bias: bias, gradientScale: scale,
                                    partialGradient: wantGradient ? nonNull(g) : nil,
                                    normalization: normalized ? (nonNull(o), nonNull(m)) : nil, version: version)
                            }
                        }
                    }
                }
            }
        }
        return (result.sumOfSquares, result.sum, wantGradient ? gradient : nil)
    }

    /// The reference by plain loops in Double, with an error bound for each result computed
    /// from the magnitudes of the terms (each sum of k terms in `S` is off by at most about
    /// k·eps·Σ|terms|; the bound takes 4× that, summation order free).
    func reference(normalized: Bool)
        -> (squares: Double, sum: Double, gradient: [Double], squaresBound: Double, sumBound: Double, gradientBound: [Double]) {
        let eps = Double(S.ulpOfOne)
        let (n, d) = (rows, columns)
        var squares = 0.0, sum = 0.0, squaresBound = 0.0, sumBound = 0.0
        var gradient = startGradient.map { Double($0) }
        var gradientBound = gradient.map { eps * abs($0) }
        for i in 0..<n {
            var dot = 0.0, magnitude = abs(Double(y[i])) + abs(Double(bias))
            for j in 0..<d {
                let term = Double(feature(i, j, normalized: normalized)) * Double(weights[j])
                dot += term
                magnitude += abs(term)
            }
            let r = dot - Double(y[i]) + Double(bias)
            // The residual as the pass computes it (in S) is off by at most this much.
            let residualError = 4 * eps * Double(d + 2) * magnitude
            squares += r * r
            sum += r
            squaresBound += 2 * abs(r) * residualError + residualError * residualError + 4 * eps * Double(n + 1) * r * r
            sumBound += residualError + 4 * eps * Double(n + 1) * abs(r)
            for j in 0..<d {
                let f = Double(feature(i, j, normalized: normalized))
                gradient[j] += Double(scale) * r * f
                gradientBound[j] += abs(Double(scale)) * abs(f) * (residualError + 4 * eps * Double(n + 3) * abs(r))
            }
        }
        return (squares, sum, gradient, squaresBound, sumBound, gradientBound)
    }
}

/// The base address of a buffer the tests know is allocated (`Array` gives one even when empty
/// only sometimes, so an empty buffer gets a dangling-but-unused pointer instead).
private func nonNull<S>(_ buffer: UnsafeBufferPointer<S>) -> UnsafePointer<S> {
    buffer.baseAddress ?? UnsafePointer(bitPattern: MemoryLayout<S>.alignment)!
}

private func nonNull<S>(_ buffer: UnsafeMutableBufferPointer<S>) -> UnsafeMutablePointer<S> {
    buffer.baseAddress ?? UnsafeMutablePointer(bitPattern: MemoryLayout<S>.alignment)!
}

/// The values' bits (widening to Double is exact and keeps the sign of zero).
private func bitPatterns<S: BLASScalar>(_ values: [S]?) -> [UInt64]? {
    values?.map { Double($0).bitPattern }
}

@Suite("FusedGradientKernel: the C pass over a row block")
struct FusedGradientKernelTests {
    @Test("= plain loops in Double, every shape, with and without normalization and gradient",
          arguments: scalarTypes)
    func matchesReference(_ type: any BLASScalar.Type) { checkReference(type) }

    func checkReference<S: BLASScalar>(_: S.Type) {
        for columns in fusedColumnCounts {
            for rows in fusedRowCounts {
                let problem = FusedProblem<S>(rows: rows, columns: columns, seed: UInt64(1000 * columns + rows))
                for normalized in [false, true] {
                    let expected = problem.reference(normalized: normalized)
                    for wantGradient in [false, true] {
                        let got = problem.run(normalized: normalized, gradient: wantGradient)
                        let label = "\(S.self) rows \(rows) columns \(columns) normalized \(normalized) gradient \(wantGradient)"
                        #expect(abs(got.squares - expected.squares) <= expected.squaresBound, "Σr² \(label)")
                        #expect(abs(got.sum - expected.sum) <= expected.sumBound, "Σr \(label)")
                        if let gradient = got.gradient {
                            for j in 0..<columns {
                                #expect(abs(Double(gradient[j]) - expected.gradient[j]) <= expected.gradientBound[j] + Double(S.ulpOfOne),
                                        "gradient[\(j)] \(label)")
                            }
                        }
                    }
                }
            }
        }
    }

    @Test("the gradient = central finite differences of the loss it returns (float64)")
    func matchesFiniteDifferences() {
        for normalized in [false, true] {
            let problem = FusedProblem<Double>(rows: 61, columns: 9, seed: 77)
            let n = Double(problem.rows)
            // L(w, b) = (1/n)·Σr²: the gradient pass with scale 2/n gives ∂L/∂w and (2/n)·Σr = ∂L/∂b.
            func loss(weights: [Double], bias: Double) -> Double {
                let shifted = FusedProblem<Double>(copying: problem, weights: weights, bias: bias)
                return shifted.run(normalized: normalized, gradient: false).squares / n
            }
            let zeroStart = FusedProblem<Double>(copying: problem, weights: problem.weights, bias: problem.bias, startGradient: 0)
            let analytic = zeroStart.run(normalized: normalized, gradient: true)
            let h = 1e-5
            for j in 0..<problem.columns {
                var plus = problem.weights, minus = problem.weights
                plus[j] += h
                minus[j] -= h
                let numeric = (loss(weights: plus, bias: problem.bias) - loss(weights: minus, bias: problem.bias)) / (2 * h)
                #expect(isClose(analytic.gradient![j], numeric, tolerance: 1e-7), "∂L/∂w[\(j)] normalized \(normalized)")
            }
            let numericBias = (loss(weights: problem.weights, bias: problem.bias + h)
                - loss(weights: problem.weights, bias: problem.bias - h)) / (2 * h)
            #expect(isClose(2 * analytic.sum / n, numericBias, tolerance: 1e-7), "∂L/∂b normalized \(normalized)")
        }
    }

    @Test("v3 and baseline return the same bits", .enabled(if: NativeKernels.cpuHasV3), arguments: scalarTypes)
    func versionsAgree(_ type: any BLASScalar.Type) { checkVersions(type) }

    func checkVersions<S: BLASScalar>(_: S.Type) {
        for columns in fusedColumnCounts {
            for rows in fusedRowCounts {
                let problem = FusedProblem<S>(rows: rows, columns: columns, seed: UInt64(7 * columns + rows))
                for normalized in [false, true] {
                    for wantGradient in [false, true] {
                        let v3 = problem.run(normalized: normalized, gradient: wantGradient, version: .v3)
                        let baseline = problem.run(normalized: normalized, gradient: wantGradient, version: .baseline)
                        let label = "\(S.self) rows \(rows) columns \(columns) normalized \(normalized) gradient \(wantGradient)"
                        #expect(v3.squares.bitPattern == baseline.squares.bitPattern, "Σr² \(label)")
                        #expect(v3.sum.bitPattern == baseline.sum.bitPattern, "Σr \(label)")
                        #expect(bitPatterns(v3.gradient) == bitPatterns(baseline.gradient), "gradient \(label)")
                    }
                }
            }
        }
    }

    @Test("normalizing in registers = the pass on a copy normalized by plain loops, bit for bit",
          arguments: scalarTypes)
    func inRegisterNormalizationEqualsCopy(_ type: any BLASScalar.Type) { checkNormalizedCopy(type) }

    func checkNormalizedCopy<S: BLASScalar>(_: S.Type) {
        for columns in fusedColumnCounts {
            for rows in [0, 3, 9, 1000] {
                let problem = FusedProblem<S>(rows: rows, columns: columns, seed: UInt64(13 * columns + rows))
                var copied = [S](repeating: 0, count: rows * columns)
                for i in 0..<rows { for j in 0..<columns { copied[i * columns + j] = problem.feature(i, j, normalized: true) } }
                let copy = FusedProblem<S>(copying: problem, x: copied)
                let inRegisters = problem.run(normalized: true, gradient: true)
                let onCopy = copy.run(normalized: false, gradient: true)
                let label = "\(S.self) rows \(rows) columns \(columns)"
                #expect(inRegisters.squares.bitPattern == onCopy.squares.bitPattern, "Σr² \(label)")
                #expect(inRegisters.sum.bitPattern == onCopy.sum.bitPattern, "Σr \(label)")
                #expect(bitPatterns(inRegisters.gradient) == bitPatterns(onCopy.gradient), "gradient \(label)")
            }
        }
    }

    @Test("through MeanSquaredErrorKernel (C pass and, past 512 columns, gemv): 1 = 2 threads bit for bit, = plain loops",
          arguments: scalarTypes)
    func threadIndependence(_ type: any BLASScalar.Type) { checkThreads(type) }

    func checkThreads<S: BLASScalar>(_: S.Type) {
        // Blocks of 24 rows, tasks of 192: 2000 rows make 11 tasks, the last ragged.
        for columns in [3, 16, 33, 256, 600] {
            #expect(FusedGradientPass.isFaster(columns: columns, as: S.self) == (columns <= 512))
            let problem = FusedProblem<S>(rows: 2000, columns: columns, seed: UInt64(columns))
            for normalized in [false, true] {
                var results: [(Double, Double, [S])] = []
                for threads in [1, 2] {
                    let workspace = GradientWorkspace<S>(featureCount: columns, blockRows: 24, threads: threads)
                    var gradient = [S](repeating: 0, count: columns)
                    // `RowNormalization.row` is the mini-batch's scratch; the full-batch kernel never uses it.
                    var unusedRow = [S](repeating: 0, count: columns)
                    let sums = problem.x.withUnsafeBufferPointer { x in
                        problem.y.withUnsafeBufferPointer { y in
                            problem.weights.withUnsafeBufferPointer { w in
                                problem.offsets.withUnsafeBufferPointer { o in
                                    problem.multipliers.withUnsafeBufferPointer { m in
                                        gradient.withUnsafeMutableBufferPointer { g in
                                            unusedRow.withUnsafeMutableBufferPointer { row in
                                            MeanSquaredErrorKernel.accumulate(
                                                x: nonNull(x), y: nonNull(y), rows: problem.rows, columns: columns,
                                                weights: nonNull(w), bias: problem.bias, gradientScale: problem.scale,
                                                weightsGradient: nonNull(g), workspace: workspace,
                                                normalization: normalized
                                                    ? RowNormalization(offsets: nonNull(o), multipliers: nonNull(m), row: nonNull(row)) : nil)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    results.append((sums.sumOfSquares, sums.sum, gradient))
                }
                let label = "\(S.self) columns \(columns) normalized \(normalized)"
                // The kernel starts the gradient from zero; the reference starts from `startGradient`.
                let expected = FusedProblem<S>(copying: problem, startGradient: 0).reference(normalized: normalized)
                #expect(abs(results[0].0 - expected.squares) <= expected.squaresBound, "Σr² \(label)")
                #expect(abs(results[0].1 - expected.sum) <= expected.sumBound, "Σr \(label)")
                for j in 0..<columns {
                    #expect(abs(Double(results[0].2[j]) - expected.gradient[j]) <= expected.gradientBound[j] + Double(S.ulpOfOne),
                            "gradient[\(j)] \(label)")
                }
                #expect(results[0].0.bitPattern == results[1].0.bitPattern, "Σr² \(label)")
                #expect(results[0].1.bitPattern == results[1].1.bitPattern, "Σr \(label)")
                #expect(bitPatterns(results[0].2) == bitPatterns(results[1].2), "gradient \(label)")
            }
        }
    }
}

extension FusedProblem {
    /// `problem` with some of its inputs replaced (the finite-difference and copy tests).
    init(copying problem: FusedProblem, x: [S]? = nil, weights: [S]? = nil, bias: S? = nil, startGradient: S? = nil) {
        self.rows = problem.rows
        self.columns = problem.columns
        self.x = x ?? problem.x
        self.y = problem.y
        self.weights = weights ?? problem.weights
        self.offsets = problem.offsets
        self.multipliers = problem.multipliers
        self.startGradient = startGradient.map { [S](repeating: $0, count: problem.columns) } ?? problem.startGradient
        self.bias = bias ?? problem.bias
        self.scale = problem.scale
    }
}
