/// Summary statistics of one column.
public struct ColumnStatistics: Sendable, Equatable {
    /// The column's name.
    public var name: String
    /// The mean.
    public var mean: Double
    /// The population standard deviation √(Σ(x − x̄)²/n), the one standardization divides by.
    public var standardDeviation: Double
    /// The smallest value.
    public var minimum: Double
    /// The largest value.
    public var maximum: Double
}

/// How well-posed a least-squares problem is and what that means for gradient descent:
/// per-column statistics, condition numbers of the raw and the standardized design, the
/// extreme eigenvalues of the loss's Hessian, the largest stable learning rates, and the
/// epochs plain gradient descent needs. Produced by ``ConditioningReport/of(_:l2:)``; the
/// CLI's `descent diagnose` prints it.
///
/// The loss `L = mean((Xw + b − y)²) + l2·‖w‖²` has the constant Hessian
/// `H = (2/n)·[X 1]ᵀ[X 1] + 2·l2·I` (no penalty on the bias). Gradient descent with learning
/// rate η multiplies the error along an eigenvector of eigenvalue λ by `1 − η·λ` each epoch:
/// it diverges once η > 2/λmax, and with η ≈ 1/λmax the slowest direction shrinks by
/// `1 − 1/κ` (κ = λmax/λmin), hence about κ·ln(1/tol) epochs to reduce the error by `tol`.
/// Standardizing (x − x̄)/σ turns H into `2·[corr 0; 0 1]`, whose κ is usually small.
public struct ConditioningReport: Sendable {
    /// The number of rows.
    public var rows: Int
    /// One entry per feature.
    public var features: [ColumnStatistics]
    /// The target's statistics.
    public var target: ColumnStatistics
    /// The L2 penalty included in the Hessian.
    public var l2: Double
    /// The Hessian's spectrum on the raw features.
    public var raw: HessianSpectrum
    /// The Hessian's spectrum on the standardized features.
    public var standardized: HessianSpectrum
    /// The numerical rank of the centred features (of `d`).
    public var rank: Int
    /// Features whose values are all the same (standard deviation 0).
    public var constantFeatures: [String]

    /// The 2-norm condition number of the raw design `[X 1]`: √(λmax/λmin) of the Hessian.
    public var rawConditionNumber: Double { raw.conditionNumber.squareRoot() }
    /// The 2-norm condition number of the standardized design `[Z 1]`.
    public var standardizedConditionNumber: Double { standardized.conditionNumber.squareRoot() }

    /// The epochs plain full-batch gradient descent (η = 1/λmax) needs to shrink the error by
    /// `tolerance`: κ·ln(1/tol) with κ the Hessian's condition number (raw, standardized).
    public func predictedEpochs(tolerance: Double) -> (raw: Double, standardized: Double) {
        let factor = Swift.max(0, -logarithm(tolerance))
        return (raw.conditionNumber * factor, standardized.conditionNumber * factor)
    }

    /// Measures `dataset` (one pass for the moments, one for the ranges) and its Hessians (`syevd`).
    public static func of<S: BLASScalar>(_ dataset: Dataset<S>, l2: Double = 0) throws -> ConditioningReport {
        guard l2.isFinite, l2 >= 0 else {
            throw DescentError.invalidParameter(name: "l2", value: "\(l2)", expected: "a finite number >= 0")
        }
        let n = dataset.rowCount, d = dataset.featureCount, p = d + 1
        guard n > 0 else { throw DescentError.invalidData(InputLocation(file: dataset.source), reason: "no samples to diagnose") }
        let moments = RowPasses.moments(dataset)
        let ranges = RowPasses.columnRanges(dataset)
        guard ranges.allFinite else {
            throw DescentError.invalidData(InputLocation(file: dataset.source), reason: "the features or targets contain NaN or infinity")
        }
        guard moments.isFinite else {
            throw DescentError.numericalFailure("\(dataset.source): the values are finite but so large that their squares overflow Double (largest magnitude \(ranges.maximum.map(abs).max() ?? 0)); rescale the data")
        }
        let count = Double(n)
        let names = dataset.featureNames + [dataset.targetName]
        let statistics = (0..<p).map { j in
            ColumnStatistics(name: names[j], mean: moments.means[j],
                             standardDeviation: (Swift.max(0, moments.comoments[j * p + j]) / count).squareRoot(),
                             minimum: ranges.minimum[j], maximum: ranges.maximum[j])
        }
        let problem = CentredProblem(moments, l2: 0)
        // Raw Hessian (2/n)·[XᵀX, Xᵀ1; 1ᵀX, n], rebuilt from centred moments: XᵀX = XcᵀXc + n·x̄x̄ᵀ.
        var rawHessian = [Double](repeating: 0, count: p * p)
        let mean = moments.means
        for i in 0..<d {
            for j in 0..<d {
                rawHessian[i * p + j] = 2 / count * problem.gram[i * d + j] + 2 * mean[i] * mean[j]
            }
            rawHessian[i * p + i] += 2 * l2
            rawHessian[i * p + d] = 2 * mean[i]
            rawHessian[d * p + i] = 2 * mean[i]
        }
        rawHessian[d * p + d] = 2
        // Standardized: 2·corr (+ 2·l2), and 2 for the bias (Z has zero mean, so no coupling).
        var standardizedHessian = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d {
                let scale = problem.scales[i] * problem.scales[j]
                standardizedHessian[i * d + j] = 2 * problem.gram[i * d + j] / scale
            }
            standardizedHessian[i * d + i] += 2 * l2
        }
        let rawEigenvalues = try symmetricEigenvalues(&rawHessian, order: p)
        var standardizedEigenvalues = try symmetricEigenvalues(&standardizedHessian, order: d)
        standardizedEigenvalues.append(2)
        let constant = (0..<d).filter { problem.gram[$0 * d + $0] <= 0 }.map { names[$0] }
        // The rank: eigenvalues of the centred, scaled Gram above ε·max(n, d) relative to the largest.
        let correlationEigenvalues = standardizedEigenvalues.dropLast().map { $0 / 2 - l2 }
        let top = correlationEigenvalues.max() ?? 0
        let cutoff = Double(S.ulpOfOne) * Double(Swift.max(n, d))
        let rank = correlationEigenvalues.filter { $0 > top * cutoff && $0 > 0 }.count
        return ConditioningReport(
            rows: n, features: Array(statistics.prefix(d)), target: statistics[d], l2: l2,
            raw: HessianSpectrum(largest: rawEigenvalues.max()!, smallest: Swift.max(0, rawEigenvalues.min()!)),
            standardized: HessianSpectrum(largest: standardizedEigenvalues.max()!, smallest: Swift.max(0, standardizedEigenvalues.min()!)),
            rank: rank, constantFeatures: constant)
    }

    /// Plain-language advice: what to change so gradient descent converges, and how fast.
    public func advice(tolerance: Double = 1e-6) -> [String] {
        var lines: [String] = []
        let epochs = predictedEpochs(tolerance: tolerance)
        let d = features.count
        if !constantFeatures.isEmpty {
            lines.append("Feature(s) \(constantFeatures.joined(separator: ", ")) never change: they carry no information and make the system singular; drop them.")
        }
        if rank < d {
            lines.append("The features are linearly dependent (rank \(rank) of \(d)): infinitely many weights fit equally well. `descent solve` returns the minimum-norm answer; gradient descent will not settle on a unique one. Drop or merge the dependent features.")
        } else if rows <= d {
            lines.append("There are no more rows than features (\(rows) ≤ \(d)): the fit interpolates; collect more data.")
        }
        lines.append("Plain gradient descent diverges above learning rate 2/λmax: \(short(raw.largestStableLearningRate)) on the raw features, \(short(standardized.largestStableLearningRate)) standardized.")
        let offsets = features.filter { $0.standardDeviation > 0 && abs($0.mean) > 10 * $0.standardDeviation }.map(\.name)
        if !offsets.isEmpty {
            lines.append("Feature(s) \(offsets.joined(separator: ", ")) sit far from zero compared with their spread: the bias direction is nearly parallel to them, which is what makes the raw problem ill-conditioned. Centring (standardize) removes it.")
        }
        if raw.conditionNumber > 10 * standardized.conditionNumber {
            lines.append("Standardize the features (--normalize standardize): the Hessian's condition number drops from \(short(raw.conditionNumber)) to \(short(standardized.conditionNumber)), so reaching a tolerance of \(short(tolerance)) takes about \(short(epochs.standardized)) epochs instead of \(short(epochs.raw)).")
        } else {
            lines.append("Reaching a tolerance of \(short(tolerance)) takes about \(short(epochs.raw)) epochs raw and \(short(epochs.standardized)) standardized at learning rate 1/λmax.")
        }
        if rank == d && standardizedConditionNumber > 1e4 {
            lines.append("Even standardized the features are nearly collinear (condition number \(short(standardizedConditionNumber))): gradient descent will crawl along the collinear direction and momentum or Adam only partly help; prefer the closed form (`descent solve`) or ridge (--l2).")
        } else if rank == d && epochs.standardized < 1e4 {
            lines.append("This problem is well-conditioned once standardized: gradient descent with the default settings converges.")
        }
        return lines
    }

    private func short(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : "∞" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 {
            var exponent = 0, mantissa = magnitude
            while mantissa >= 10 { mantissa /= 10; exponent += 1 }
            while mantissa < 1 { mantissa *= 10; exponent -= 1 }
            return (value < 0 ? "-" : "") + "\((mantissa * 100).rounded() / 100)e\(exponent)"
        }
        let digits = magnitude >= 100 ? 0 : (magnitude >= 1 ? 2 : 4)
        let scale = [1.0, 10, 100, 1000, 10000][digits]
        let rounded = (value * scale).rounded() / scale
        return digits == 0 ? "\(Int(rounded))" : "\(rounded)"
    }
}

/// Eigenvalues (ascending) of a symmetric row-major matrix by `dsyevd` (A is overwritten).
func symmetricEigenvalues(_ a: inout [Double], order: Int) throws -> [Double] {
    guard order > 0 else { return [] }
    var eigenvalues = [Double](repeating: 0, count: order)
    try a.withUnsafeMutableBufferPointer { a in
        try eigenvalues.withUnsafeMutableBufferPointer { w in
            try LAPACK.syevd(computeVectors: false, .upper, n: order, a.baseAddress!, lda: order, eigenvalues: w.baseAddress!)
        }
    }
    return eigenvalues
}

/// The natural logarithm (Glibc's `log`), without importing Foundation into the engine.
func logarithm(_ x: Double) -> Double { _logDouble(x) }
