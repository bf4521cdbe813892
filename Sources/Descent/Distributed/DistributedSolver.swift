extension LeastSquaresSolver {
    /// Data-parallel closed-form least squares: each rank passes over its own rows once
    /// (means and centred cross-products of `[X | y]`, the same row-block pass as
    /// ``solve(_:method:l2:)``), the partial moments are gathered and merged **in rank order**
    /// (Chan's exact pairwise update), and every rank solves the same normal equations, so
    /// every rank returns the same answer. The one step of iterative refinement, when the
    /// condition number asks for it, reduces the residual sums the same way.
    ///
    /// Only the normal equations distribute this way (their statistics are sums over rows);
    /// QR and SVD need the whole design on one process, so `.qr` and `.svd` are refused,
    /// and a rank-deficient system asks for a single-process run (minimum-norm SVD).
    ///
    /// With one rank this is ``solve(_:method:l2:)`` restricted to the normal equations. With
    /// K ranks the moments are merged in a different grouping than the single process's block
    /// order, so results agree to rounding (≈1e-15 relative in Double), not to the bit.
    public static func solve<S: BLASScalar>(localRows dataset: Dataset<S>, totalRows: Int, method: LeastSquaresMethod = .auto,
                                            l2: Double = 0, communicator: any Communicator) throws -> LeastSquaresSolution<S> {
        guard method == .auto || method == .normal else {
            throw DescentError.invalidParameter(name: "--method", value: method.rawValue,
                                                expected: "auto or normal with --distributed (QR and SVD need every row on one process)")
        }
        guard l2.isFinite, l2 >= 0 else {
            throw DescentError.invalidParameter(name: "l2", value: "\(l2)", expected: "a finite number >= 0")
        }
        let d = dataset.featureCount
        let local = RowPasses.moments(dataset)
        let merged = try local.merged(over: communicator)
        guard merged.count == totalRows, merged.count > 0 else {
            throw DescentError.shapeMismatch("the ranks hold \(merged.count) rows together, expected \(totalRows)")
        }
        guard merged.isFinite else {
            throw DescentError.invalidData(InputLocation(file: dataset.source), reason: "the features or targets contain NaN or infinity, or their squares overflow")
        }
        let problem = CentredProblem(merged, l2: l2)
        let cholesky: CentredProblem.Cholesky
        do {
            cholesky = try problem.cholesky()
        } catch DescentError.notPositiveDefinite(let routine, let minor) {
            throw DescentError.numericalFailure(
                "\(routine): the Gram matrix is singular at column \(minor) (rank-deficient features); distributed solving uses the normal equations only — run without --distributed for the minimum-norm SVD answer")
        }
        var weights = try cholesky.solve(problem.cross)
        var refinementSteps = 0
        if cholesky.conditionNumber * Double.ulpOfOne > refinementThreshold {
            let bias = problem.bias(for: weights)
            let sums = RowPasses.residuals(dataset, weights: weights, bias: bias, means: problem.means)
            var gradient = try communicator.allReduceSum(sums.centredCross)
            for j in 0..<d { gradient[j] -= Double(problem.n) * l2 * weights[j] }
            let correction = try cholesky.solve(gradient)
            for j in 0..<d { weights[j] += correction[j] }
            refinementSteps = 1
        }
        let bias = problem.bias(for: weights)
        var rss: Double
        if let formula = problem.residualSumOfSquares(weights) {
            rss = formula
        } else {
            let squares = RowPasses.residuals(dataset, weights: weights, bias: bias, means: problem.means).squares
            rss = try communicator.allReduceSum([squares])[0]
        }
        rss = max(0, rss)
        let n = Double(problem.n)
        let total = problem.targetSquares
        let r2 = total > 0 ? 1 - rss / total : (rss == 0 ? 1 : 0)
        let penalty = l2 * weights.reduce(0) { $0 + $1 * $1 }
        return LeastSquaresSolution(
            weights: Vector(weights.map { S($0) }), bias: S(bias), method: .normal, rank: d,
            conditionNumber: cholesky.conditionNumber.squareRoot(), singularValues: nil,
            residualSumOfSquares: rss, meanSquaredError: rss / n, r2: r2, l2: l2,
            objective: rss / n + penalty, refinementSteps: refinementSteps,
            preciseWeights: weights, preciseBias: bias,
            featureMeans: Array(problem.means.prefix(d)), targetMean: problem.means[d])
    }
}
