/// The extreme eigenvalues of the Hessian of the mean-squared-error loss of a linear model,
/// `H = (2/n)·[X 1]ᵀ[X 1]` (plus `2·l2` on the weights' diagonal), which is constant because
/// the loss is quadratic.
///
/// Plain gradient descent on a quadratic converges exactly when the learning rate is below
/// `2/λmax`: along the top eigenvector each step multiplies the error by `1 − lr·λmax`.
/// That is the chapter's exploding loss with lr 1e-2 on raw `t_u` (λmax ≈ 5883, so the
/// largest stable rate is ≈ 3.4e-4), and why scaling the input (λmax ≈ 100× smaller) fixes it.
public struct HessianSpectrum: Sendable, Equatable {
    /// The largest eigenvalue λmax.
    public var largest: Double
    /// The smallest eigenvalue λmin (0 for rank-deficient data).
    public var smallest: Double

    /// `2/λmax`: plain gradient descent diverges for any larger learning rate.
    public var largestStableLearningRate: Double { 2 / largest }

    /// `λmax/λmin`, how many times slower the slowest direction converges than the fastest
    /// (infinite when λmin ≤ 0).
    public var conditionNumber: Double { smallest > 0 ? largest / smallest : .infinity }

    /// Creates a spectrum from its two eigenvalues.
    public init(largest: Double, smallest: Double) {
        self.largest = largest
        self.smallest = smallest
    }

    /// The spectrum of the MSE Hessian on `dataset`: the `(d+1) × (d+1)` matrix is formed
    /// from the Gram matrix (`syrk`) and the column sums (`gemv`), then solved by `dsyevd` in
    /// Double whatever the data's precision. The cost is O(n·d²) + O(d³): fine for thousands
    /// of features, not for millions (power iteration would be the tool there).
    ///
    /// Distributed (`communicator.size > 1`, `dataset` this rank's rows): each rank forms its
    /// Gram matrix and column sums, and the `d² + d + 1` numbers are summed over ranks in rank
    /// order, so every rank gets the same spectrum, equal to the single-process one to rounding.
    public static func of<S: BLASScalar>(_ dataset: Dataset<S>, l2: Double = 0,
                                         communicator: any Communicator = SingleProcessCommunicator()) throws -> HessianSpectrum {
        let d = dataset.featureCount
        let order = d + 1
        // [Gram (d × d, row-major), column sums (d), n], summed over ranks.
        var sums = [Double](repeating: 0, count: d * d + d + 1)
        if dataset.rowCount > 0 {
            let gram = dataset.features.gram()
            let columnSums = dataset.features.transposeMultiplied(by: Vector(repeating: 1, count: dataset.rowCount))
            for i in 0..<d {
                for j in 0..<d { sums[i * d + j] = Double(gram[i, j]) }
                sums[d * d + i] = Double(columnSums[i])
            }
            sums[d * d + d] = Double(dataset.rowCount)
        }
        if communicator.size > 1 { sums = try communicator.allReduceSum(sums) }
        let n = sums[d * d + d]
        guard n > 0 else { return HessianSpectrum(largest: 2 * l2, smallest: 0) }
        let factor = 2 / n
        var hessian = [Double](repeating: 0, count: order * order)
        for i in 0..<d {
            for j in 0..<d { hessian[i * order + j] = factor * sums[i * d + j] }
            hessian[i * order + i] += 2 * l2
            hessian[i * order + d] = factor * sums[d * d + i]
            hessian[d * order + i] = factor * sums[d * d + i]
        }
        hessian[d * order + d] = factor * n
        var eigenvalues = [Double](repeating: 0, count: order)
        try hessian.withUnsafeMutableBufferPointer { a in
            try eigenvalues.withUnsafeMutableBufferPointer { w in
                try LAPACK.syevd(computeVectors: false, .upper, n: order, a.baseAddress!, lda: order, eigenvalues: w.baseAddress!)
            }
        }
        return HessianSpectrum(largest: eigenvalues[order - 1], smallest: Swift.max(0, eigenvalues[0]))
    }
}
