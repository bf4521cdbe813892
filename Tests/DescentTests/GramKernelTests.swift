@testable import Descent
import Testing

/// Rows `[x | y]` with column offsets far from the shift and unit spread, and a shift that is
/// near but not at the columns' centres, from a fixed seed.
private struct GramProblem<S: BLASScalar> {
    let rows: Int, d: Int
    let x: [S], y: [S]
    let shift: [Double]

    init(rows: Int, d: Int, offset: Double, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        self.rows = rows
        self.d = d
        let centres = (0...d).map { j in offset * Double(j % 3 + 1) + Double(j) }
        x = (0..<(rows * d)).map { k in S(centres[k % max(d, 1)] + generator.nextNormal()) }
        y = (0..<rows).map { _ in S(centres[d] + 2 * generator.nextNormal()) }
        shift = centres.map { $0 + 0.25 + generator.nextUnit() }
    }

    /// zₖ = [xₖ | yₖ] − shift in Double: one correctly rounded subtraction, as in the kernel.
    func shifted(_ k: Int, _ j: Int) -> Double {
        (j < d ? Double(x[k * d + j]) : Double(y[k])) - shift[j]
    }
}

/// ZᵀZ, Zᵀ·1 and the sums of |products| (for the error bound), by a plain loop in Double.
private func referenceGram<S: BLASScalar>(_ problem: GramProblem<S>) -> (gram: [Double], sums: [Double], magnitude: [Double]) {
    let p = problem.d + 1
    var gram = [Double](repeating: 0, count: p * p), magnitude = gram
    var sums = [Double](repeating: 0, count: p)
    for k in 0..<problem.rows {
        let z = (0..<p).map { problem.shifted(k, $0) }
        for i in 0..<p {
            sums[i] += z[i]
            for j in i..<p {
                gram[i * p + j] += z[i] * z[j]
                magnitude[i * p + j] += abs(z[i] * z[j])
            }
        }
    }
    return (gram, sums, magnitude)
}

/// The kernel's ZᵀZ (in a `p × (p + 2)` array whose lower triangle and padding hold NaN, so a
/// write outside the upper triangle shows) and Zᵀ·1.
private func kernelGram<S: BLASScalar>(_ problem: GramProblem<S>, version: NativeKernelVersion) -> (gram: [Double], sums: [Double]) {
    let p = problem.d + 1, ldc = p + 2
    var gram = [Double](repeating: .nan, count: p * ldc)
    var sums = [Double](repeating: .nan, count: p)
    var scratch = [Double](repeating: .nan, count: GramKernel.scratchCount(featureCount: problem.d))
    problem.x.withUnsafeBufferPointer { x in
        problem.y.withUnsafeBufferPointer { y in
            problem.shift.withUnsafeBufferPointer { shift in
                GramKernel.shiftedGram(x: x.baseAddress ?? UnsafePointer(bitPattern: 8)!, y: y.baseAddress ?? UnsafePointer(bitPattern: 8)!,
                                       rows: problem.rows, featureCount: problem.d, shift: shift.baseAddress!,
                                       gram: &gram, ldc: ldc, sums: &sums, scratch: &scratch, version: version)
            }
        }
    }
    return (gram, sums)
}

private let featureCounts = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65]
private let rowCounts = [0, 1, 2, 63, 64, 65, 1000]

@Suite("GramKernel: the shifted Gram matrix of a block of rows")
struct GramKernelTests {
    /// Checks every version this CPU runs against the reference loop: each entry within
    /// 2·rows·ε of the sum of its products' magnitudes (the bound for any summation order).
    private func checkAgainstReference<S: BLASScalar>(_: S.Type, d: Int) {
        var versions: [NativeKernelVersion] = [.dispatched, .baseline]
        if NativeKernels.cpuHasV3 { versions.append(.v3) }
        for rows in rowCounts {
            let problem = GramProblem<S>(rows: rows, d: d, offset: 1000, seed: UInt64(d * 7919 + rows))
            let reference = referenceGram(problem)
            let p = d + 1, ldc = p + 2
            let bound = 2 * Double(max(rows, 1)) * Double.ulpOfOne
            for version in versions {
                let (gram, sums) = kernelGram(problem, version: version)
                for i in 0..<p {
                    for j in 0..<ldc {
                        let value = gram[i * ldc + j]
                        if j >= i && j < p {
                            let expected = reference.gram[i * p + j]
                            #expect(abs(value - expected) <= bound * reference.magnitude[i * p + j],
                                    "\(S.self) d \(d) rows \(rows) \(version): gram[\(i), \(j)] = \(value), expected \(expected)")
                        } else {
                            #expect(value.isNaN, "\(S.self) d \(d) rows \(rows) \(version): wrote outside the upper triangle at [\(i), \(j)]")
                        }
                    }
                    let magnitude = reference.magnitude[i * p + i].squareRoot() * Double(rows).squareRoot()
                    #expect(abs(sums[i] - reference.sums[i]) <= bound * magnitude,
                            "\(S.self) d \(d) rows \(rows) \(version): sums[\(i)] = \(sums[i]), expected \(reference.sums[i])")
                }
            }
        }
    }

    @Test("matches a plain Double loop, Float and Double input, every version", arguments: featureCounts)
    func matchesReference(d: Int) {
        checkAgainstReference(Double.self, d: d)
        checkAgainstReference(Float.self, d: d)
    }
    // No bit-equality test between the versions: the v3 one fuses multiply-adds (GramKernel.c
    // says why), so each is held to the reference bound above instead.
}

/// Means and centred comoments by two passes in Double: the mean (refined by the mean of the
/// residuals from it), then Σ(aᵢ − āᵢ)(aⱼ − āⱼ) with a compensated sum.
private func twoPassMoments<S: BLASScalar>(_ dataset: Dataset<S>) -> (means: [Double], comoments: [Double]) {
    let n = dataset.rowCount, d = dataset.featureCount, p = d + 1
    func value(_ k: Int, _ j: Int) -> Double { j < d ? Double(dataset.features[k, j]) : Double(dataset.targets[k]) }
    var means = [Double](repeating: 0, count: p)
    for j in 0..<p {
        var sum = 0.0
        for k in 0..<n { sum += value(k, j) }
        var mean = sum / Double(n), correction = 0.0
        for k in 0..<n { correction += value(k, j) - mean }
        mean += correction / Double(n)
        means[j] = mean
    }
    var comoments = [Double](repeating: 0, count: p * p)
    for i in 0..<p {
        for j in i..<p {
            let a = (0..<n).map { value($0, i) - means[i] }, b = (0..<n).map { value($0, j) - means[j] }
            comoments[i * p + j] = CompensatedSum.dot(a, b)
        }
    }
    return (means, comoments)
}

/// Features `offset + j + N(0, 1)` and a target `offset/2 + N(0, 1)`, from a fixed seed.
private func offsetDataset<S: BLASScalar>(_: S.Type, rows: Int, d: Int, offset: Double, seed: UInt64) -> Dataset<S> {
    var generator = SeededGenerator(seed: seed)
    let x = Matrix<S>(rows: rows, columns: d, elements: (0..<(rows * d)).map { k in S(offset + Double(k % d) + generator.nextNormal()) })
    let y = Vector<S>((0..<rows).map { _ in S(offset / 2 + generator.nextNormal()) })
    return Dataset(features: x, targets: y)
}

@Suite("Moments: the Gram kernel pass against a centred two-pass reference")
struct MomentsKernelTests {
    @Test("columns offset by 1e8 keep their centred moments", arguments: Precision.allCases)
    func hugeOffsets(precision: Precision) {
        precision.run { type in
            func check<S: BLASScalar>(_: S.Type) {
                // 70,000 rows: several blocks, and two workers when BLAS has two threads.
                let dataset = offsetDataset(S.self, rows: 70_000, d: 5, offset: 1e8, seed: 11)
                let moments = RowPasses.moments(dataset)
                let reference = twoPassMoments(dataset)
                let p = 6
                // The bound: the block means are Doubles of magnitude 1e8, each ulp(1e8) off, and
                // each merge's (nₐn_b/n)·δδᵀ carries that error; relative to the comoments' scale
                // it adds up to about offset·ε/σ (σ = 1), whatever the Gram kernel does.
                let bound = 1e8 * Double.ulpOfOne
                #expect(moments.count == 70_000)
                for i in 0..<p {
                    #expect(abs(moments.means[i] - reference.means[i]) <= 1e-15 * abs(reference.means[i]) + 1e-9, "mean \(i)")
                    for j in i..<p {
                        let scale = (reference.comoments[i * p + i] * reference.comoments[j * p + j]).squareRoot()
                        #expect(abs(moments.comoments[i * p + j] - reference.comoments[i * p + j]) <= bound * scale,
                                "\(S.self) comoment [\(i), \(j)]: \(moments.comoments[i * p + j]) vs \(reference.comoments[i * p + j])")
                    }
                }
            }
            check(type)
        }
    }

    @Test("either side of the kernel's widest rows (127: kernel, 128: syrk) the moments match the reference",
          arguments: [GramKernel.widestFeatureCount, GramKernel.widestFeatureCount + 1])
    func widthCrossover(d: Int) {
        let dataset = offsetDataset(Double.self, rows: 1_500, d: d, offset: 1e3, seed: UInt64(d))
        let moments = RowPasses.moments(dataset)
        let reference = twoPassMoments(dataset)
        let p = d + 1
        var worst = 0.0
        for i in 0..<p {
            #expect(abs(moments.means[i] - reference.means[i]) <= 1e-12 * abs(reference.means[i]))
            for j in i..<p {
                let scale = (reference.comoments[i * p + i] * reference.comoments[j * p + j]).squareRoot()
                worst = max(worst, abs(moments.comoments[i * p + j] - reference.comoments[i * p + j]) / scale)
            }
        }
        #expect(worst <= 1e-12, "d \(d): worst relative comoment error \(worst)")
    }

    @Test("the Gram statistics of offset data match the reference, on 1 and 2 threads", arguments: Precision.allCases)
    func gramStatistics(precision: Precision) {
        precision.run { type in
            func check<S: BLASScalar>(_: S.Type) {
                let dataset = offsetDataset(S.self, rows: 40_000, d: 9, offset: 1e6, seed: 5)
                let reference = twoPassMoments(dataset)
                let d = 9, p = 10
                for threads in [1, 2] {
                    let statistics = MeanSquaredErrorStatistics(features: dataset.features, targets: dataset.targets, threads: threads)
                    for i in 0..<d {
                        #expect(abs(statistics.featureMeans[i] - reference.means[i]) <= 1e-15 * abs(reference.means[i]) + 1e-9)
                        for j in 0..<d {
                            let (a, b) = (min(i, j), max(i, j))
                            let scale = (reference.comoments[a * p + a] * reference.comoments[b * p + b]).squareRoot()
                            #expect(abs(statistics.centredGram[i * d + j] - reference.comoments[a * p + b]) <= 1e-12 * scale)
                        }
                        let scale = (reference.comoments[i * p + i] * reference.comoments[d * p + d]).squareRoot()
                        #expect(abs(statistics.centredCross[i] - reference.comoments[i * p + d]) <= 1e-12 * scale)
                    }
                    #expect(abs(statistics.centredTargetSquares - reference.comoments[d * p + d]) <= 1e-12 * reference.comoments[d * p + d])
                }
            }
            check(type)
        }
    }
}
