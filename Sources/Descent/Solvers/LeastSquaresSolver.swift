/// Closed-form least squares: the weights w and intercept b minimizing
/// `(1/n)·Σ(xᵢᵀw + b − yᵢ)² + l2·‖w‖²`, the same loss the trainer minimizes, through LAPACK.
///
/// Every method fits the intercept by **centring** (never by a column of ones, which would
/// add a huge, nearly dependent column when the features have large offsets): one pass over
/// the rows accumulates the means and the centred cross-products of `[X | y]` (`syrk` on
/// row blocks, merged exactly; see ``RowPasses``), the centred problem
/// `(XcᵀXc + n·l2·I)·w = Xcᵀyc` is solved, and `b = ȳ − x̄ᵀw`. The L2 penalty never touches
/// the bias. All arithmetic is in `Double` whatever the data's precision (`Float` data are
/// widened exactly), so the closed form is a trustworthy reference for a `Float` trainer;
/// the data's own precision sets the rank cutoff, since nothing below it is information.
///
/// - ``LeastSquaresMethod/normal``: the columns of the centred Gram matrix are scaled to a unit
///   diagonal, Cholesky-factored (`potrf`), its condition estimated (`pocon`), solved (`potrs`).
/// - ``LeastSquaresMethod/qr``: Householder QR with column pivoting (`geqp3`) of the centred,
///   column-scaled design in a column-major copy (transposed once here, not by LAPACKE), then
///   `ormqr` and `trtrs`. Rank-deficient → the SVD.
/// - ``LeastSquaresMethod/svd``: `gelsd` on the centred, unscaled design, so the answer has the
///   minimum ‖w‖; singular values σᵢ ≤ ε·max(n, d)·σ₁ count as zero (ε of the data's precision,
///   NumPy's `lstsq` default).
/// - ``LeastSquaresMethod/auto``: the normal equations when κ(G)·ε₆₄ ≤ 10⁻⁶ for the scaled Gram
///   matrix G (so their cond² error stays below 10⁻⁶ before refinement and far below QR's
///   after it), with one step of iterative refinement when κ(G)·ε₆₄ > 10⁻¹²; else QR; else
///   (rank-deficient, or n − 1 < d) the SVD.
///
/// Ridge (`l2 > 0`) adds `n·l2` to the Gram diagonal (normal) or appends the rows `√(n·l2)·I`
/// with a zero target (QR, SVD).
public enum LeastSquaresSolver {
    /// The largest κ(G)·ε for which `auto` trusts the normal equations.
    static let normalEquationsLimit = 1e-6
    /// Above this κ(G)·ε the normal-equation answer gets one step of iterative refinement.
    static let refinementThreshold = 1e-12

    /// Solves least squares for `dataset` with `method`, penalizing `l2·‖w‖²`.
    ///
    /// - Throws: ``DescentError/invalidParameter(name:value:expected:)`` for a negative or
    ///   non-finite `l2`; ``DescentError/invalidData(_:reason:)`` for no rows or non-finite
    ///   values (finite values too large to square are rescaled and solved); LAPACK failures
    ///   (an SVD that does not converge) as their typed errors.
    public static func solve<S: BLASScalar>(_ dataset: Dataset<S>, method: LeastSquaresMethod = .auto, l2: Double = 0) throws -> LeastSquaresSolution<S> {
        guard l2.isFinite, l2 >= 0 else {
            throw DescentError.invalidParameter(name: "l2", value: "\(l2)", expected: "a finite number >= 0")
        }
        guard dataset.rowCount > 0 else {
            throw DescentError.invalidData(InputLocation(file: dataset.source), reason: "no samples to fit")
        }
        let moments = RowPasses.moments(dataset)
        guard moments.isFinite else {
            return try solveRescaled(dataset, method: method, l2: l2)
        }
        let problem = CentredProblem(moments, l2: l2)
        let dataEpsilon = Double(S.ulpOfOne)
        var answer: Answer
        if problem.d == 0 {
            answer = Answer(weights: [], method: method == .auto ? .normal : method, rank: 0, conditionNumber: 1)
        } else {
            switch method {
            case .normal:
                // A singular Gram matrix has no Cholesky factor: like `qr`, hand a
                // rank-deficient system to the SVD for its minimum-norm answer.
                do {
                    answer = try normal(problem, dataset, cholesky: try problem.cholesky())
                } catch DescentError.notPositiveDefinite {
                    answer = try svd(dataset, problem, dataEpsilon: dataEpsilon)
                }
            case .qr:
                answer = try qr(dataset, problem, dataEpsilon: dataEpsilon) ?? (try svd(dataset, problem, dataEpsilon: dataEpsilon))
            case .svd:
                answer = try svd(dataset, problem, dataEpsilon: dataEpsilon)
            case .auto:
                answer = try auto(dataset, problem, dataEpsilon: dataEpsilon)
            }
        }
        return finish(answer, problem, dataset)
    }

    /// Finite data whose squares overflow `Double` (|x| ≳ 1e154): divide the features by one
    /// power of two and the target by another (exact), solve, and map back —
    /// w = (s_y/s_x)·w′, b = s_y·b′, with l2′ = l2/s_x² so the penalty scales like the loss.
    /// NaN or infinite input is refused as such.
    private static func solveRescaled<S: BLASScalar>(_ dataset: Dataset<S>, method: LeastSquaresMethod, l2: Double) throws -> LeastSquaresSolution<S> {
        let ranges = RowPasses.columnRanges(dataset)
        let d = dataset.featureCount
        guard ranges.allFinite else {
            throw DescentError.invalidData(InputLocation(file: dataset.source),
                                           reason: "the features or targets contain NaN or infinity; least squares is undefined")
        }
        func powerOfTwo(_ magnitude: Double) -> Double { magnitude > 0 ? Double(sign: .plus, exponent: magnitude.exponent, significand: 1) : 1 }
        let featureScale = powerOfTwo((0..<d).map { Swift.max(abs(ranges.minimum[$0]), abs(ranges.maximum[$0])) }.max() ?? 0)
        let targetScale = powerOfTwo(Swift.max(abs(ranges.minimum[d]), abs(ranges.maximum[d])))
        guard featureScale > 1 || targetScale > 1 else {
            throw DescentError.numericalFailure("\(dataset.source): the sums of squares overflow although the values are moderate; too many rows for Double")
        }
        let (fx, fy) = (S(1 / featureScale), S(1 / targetScale))
        var scaled = dataset
        scaled.features = Matrix(rows: dataset.rowCount, columns: d) { out in
            dataset.features.withUnsafeBufferPointer { x in for i in 0..<x.count { out[i] = x[i] * fx } }
        }
        scaled.targets = Vector(unsafeUninitializedCount: dataset.rowCount) { out in
            dataset.targets.withUnsafeBufferPointer { y in for i in 0..<y.count { out[i] = y[i] * fy } }
        }
        var solution = try solve(scaled, method: method, l2: l2 / (featureScale * featureScale))
        let ratio = targetScale / featureScale
        solution.preciseWeights = solution.preciseWeights.map { $0 * ratio }
        solution.preciseBias *= targetScale
        solution.weights = Vector(solution.preciseWeights.map { S($0) })
        solution.bias = S(solution.preciseBias)
        solution.residualSumOfSquares *= targetScale * targetScale
        solution.meanSquaredError *= targetScale * targetScale
        solution.objective *= targetScale * targetScale
        solution.l2 = l2
        solution.featureMeans = solution.featureMeans.map { $0 * featureScale }
        solution.targetMean *= targetScale
        if let values = solution.singularValues { solution.singularValues = values.map { $0 * featureScale } }
        return solution
    }

    // MARK: - Methods

    /// What a method produced, before the common bookkeeping.
    struct Answer {
        var weights: [Double]
        var method: LeastSquaresMethod
        var rank: Int
        var conditionNumber: Double
        var singularValues: [Double]? = nil
        var refinementSteps = 0
        /// Σr² when the method already computed it accurately.
        var residualSumOfSquares: Double? = nil
    }

    private static func auto<S: BLASScalar>(_ dataset: Dataset<S>, _ problem: CentredProblem, dataEpsilon: Double) throws -> Answer {
        // Centred data have rank at most n − 1: fewer rows than that cannot determine d weights.
        if problem.l2 == 0 && problem.n - 1 < problem.d {
            return try svd(dataset, problem, dataEpsilon: dataEpsilon)
        }
        if let cholesky = try? problem.cholesky(),
           cholesky.conditionNumber * Double.ulpOfOne <= normalEquationsLimit {
            return try normal(problem, dataset, cholesky: cholesky)
        }
        if let answer = try qr(dataset, problem, dataEpsilon: dataEpsilon) { return answer }
        return try svd(dataset, problem, dataEpsilon: dataEpsilon)
    }

    /// Normal equations from the moments, plus one step of refinement when κ(G) asks for it:
    /// the residual r = y − Xw − b is recomputed from the data (centred, in `Double`), and
    /// G·δ = Xcᵀr − n·l2·w is solved with the same Cholesky factor.
    private static func normal<S: BLASScalar>(_ problem: CentredProblem, _ dataset: Dataset<S>, cholesky: CentredProblem.Cholesky) throws -> Answer {
        var weights = try cholesky.solve(problem.cross)
        var answer = Answer(weights: weights, method: .normal, rank: problem.d,
                            conditionNumber: cholesky.conditionNumber.squareRoot())
        if cholesky.conditionNumber * Double.ulpOfOne > refinementThreshold {
            let bias = problem.bias(for: weights)
            let sums = RowPasses.residuals(dataset, weights: weights, bias: bias, means: problem.means)
            var gradient = sums.centredCross
            for j in 0..<problem.d { gradient[j] -= Double(problem.n) * problem.l2 * weights[j] }
            let correction = try cholesky.solve(gradient)
            for j in 0..<problem.d { weights[j] += correction[j] }
            answer.weights = weights
            answer.refinementSteps = 1
        }
        return answer
    }

    /// QR with column pivoting on the centred, scaled design; nil when it is rank-deficient.
    private static func qr<S: BLASScalar>(_ dataset: Dataset<S>, _ problem: CentredProblem, dataEpsilon: Double) throws -> Answer? {
        let (n, d) = (problem.n, problem.d)
        let m = problem.l2 > 0 ? n + d : n
        let ldb = max(m, d)
        let a = RowPasses.centredColumnMajor(dataset.features, means: problem.means, lda: m)
        let b = centredTargets(dataset, mean: problem.means[d], count: ldb)
        defer { a.deallocate(); b.deallocate() }
        for j in 0..<d {
            BLAS.scal(n, 1 / problem.scales[j], a + j * m)
            if problem.l2 > 0 { a[j * m + n + j] = (Double(n) * problem.l2).squareRoot() / problem.scales[j] }
        }
        var pivots = [Int32](repeating: 0, count: d)
        var tau = [Double](repeating: 0, count: max(1, min(m, d)))
        try pivots.withUnsafeMutableBufferPointer { pivot in
            try tau.withUnsafeMutableBufferPointer { tau in
                try LAPACK.geqp3(m: m, n: d, a, lda: m, pivots: pivot.baseAddress!, tau: tau.baseAddress!)
            }
        }
        // The rank: pivoted |Rₖₖ| decrease; those at or below ε·max(n, d)·|R₁₁| are noise.
        let cutoff = dataEpsilon * Double(max(n, d)) * abs(a[0])
        var rank = 0
        while rank < min(m, d) && abs(a[rank * m + rank]) > cutoff { rank += 1 }
        guard rank == d else { return nil }
        try tau.withUnsafeBufferPointer { tau in
            try LAPACK.ormqrLeft(.transposed, m: m, n: 1, k: d, a, lda: m, tau: tau.baseAddress!, b, ldc: ldb)
        }
        try LAPACK.trtrs(.upper, .none, n: d, nrhs: 1, a, lda: m, b, ldb: ldb)
        let reciprocalCondition = try LAPACK.trcon(.upper, n: d, a, lda: m)
        var weights = [Double](repeating: 0, count: d)
        for k in 0..<d {
            let column = Int(pivots[k]) - 1
            weights[column] = b[k] / problem.scales[column]
        }
        return Answer(weights: weights, method: .qr, rank: d, conditionNumber: 1 / reciprocalCondition)
    }

    /// `gelsd` on the centred, unscaled design: the minimum-norm answer.
    private static func svd<S: BLASScalar>(_ dataset: Dataset<S>, _ problem: CentredProblem, dataEpsilon: Double) throws -> Answer {
        let (n, d) = (problem.n, problem.d)
        let m = problem.l2 > 0 ? n + d : n
        let ldb = max(m, d)
        let a = RowPasses.centredColumnMajor(dataset.features, means: problem.means, lda: m)
        let b = centredTargets(dataset, mean: problem.means[d], count: ldb)
        defer { a.deallocate(); b.deallocate() }
        if problem.l2 > 0 {
            for j in 0..<d { a[j * m + n + j] = (Double(n) * problem.l2).squareRoot() }
        }
        var singularValues = [Double](repeating: 0, count: min(m, d))
        let rank = try singularValues.withUnsafeMutableBufferPointer { sigma in
            try LAPACK.gelsd(m: m, n: d, nrhs: 1, a, lda: m, b, ldb: ldb, singularValues: sigma.baseAddress!,
                             rcond: dataEpsilon * Double(max(n, d)))
        }
        let weights = Array(UnsafeBufferPointer(start: b, count: d))
        let smallest = singularValues.last ?? 0
        let largest = singularValues.first ?? 0
        let condition = largest == 0 ? 1 : (smallest == 0 ? Double.infinity : largest / smallest)
        return Answer(weights: weights, method: .svd, rank: rank, conditionNumber: condition, singularValues: singularValues)
    }

    /// `count` doubles: yᵢ − ȳ for i < n, then zeros.
    private static func centredTargets<S: BLASScalar>(_ dataset: Dataset<S>, mean: Double, count: Int) -> UnsafeMutablePointer<Double> {
        let targets = dataset.targets
        let column = Matrix(storage: targets.storage, offset: targets.offset, rows: targets.count, columns: 1)
        return RowPasses.centredColumnMajor(column, means: [mean], lda: count)
    }

    // MARK: - Bookkeeping

    private static func finish<S: BLASScalar>(_ answer: Answer, _ problem: CentredProblem, _ dataset: Dataset<S>) -> LeastSquaresSolution<S> {
        let weights = answer.weights
        let bias = problem.bias(for: weights)
        var rss: Double
        if let known = answer.residualSumOfSquares {
            rss = known
        } else if answer.method == .normal, let formula = problem.residualSumOfSquares(weights) {
            rss = formula
        } else {
            rss = RowPasses.residuals(dataset, weights: weights, bias: bias, means: problem.means).squares
        }
        rss = max(0, rss)
        let n = Double(problem.n)
        let total = problem.targetSquares
        let r2 = total > 0 ? 1 - rss / total : (rss == 0 ? 1 : 0)
        let penalty = problem.l2 * weights.reduce(0) { $0 + $1 * $1 }
        return LeastSquaresSolution(
            weights: Vector(weights.map { S($0) }), bias: S(bias), method: answer.method, rank: answer.rank,
            conditionNumber: answer.conditionNumber, singularValues: answer.singularValues,
            residualSumOfSquares: rss, meanSquaredError: rss / n, r2: r2, l2: problem.l2,
            objective: rss / n + penalty, refinementSteps: answer.refinementSteps,
            preciseWeights: weights, preciseBias: bias,
            featureMeans: Array(problem.means.prefix(problem.d)), targetMean: problem.means[problem.d])
    }
}

/// The centred least-squares problem read off the moments: XcᵀXc, Xcᵀyc, Σyc², the means,
/// and the column scales ‖Xc column‖ (1 for a constant column).
struct CentredProblem {
    let n: Int
    let d: Int
    let l2: Double
    /// The column means, the target's last.
    let means: [Double]
    /// XcᵀXc, `d × d`, both triangles.
    let gram: [Double]
    /// Xcᵀyc.
    let cross: [Double]
    /// Σ(yᵢ − ȳ)².
    let targetSquares: Double
    /// ‖Xc column j‖, or 1 where the column is constant.
    let scales: [Double]

    init(_ moments: CentredMoments, l2: Double) {
        let p = moments.dimension, d = p - 1
        let (gram, cross) = moments.featureGramAndCross
        self.n = moments.count
        self.d = d
        self.l2 = l2
        self.means = moments.means
        self.gram = gram
        self.cross = cross
        self.targetSquares = moments.comoments[d * p + d]
        self.scales = (0..<d).map { j in
            let norm = max(0, gram[j * d + j]).squareRoot()
            return norm > 0 ? norm : 1
        }
    }

    /// b = ȳ − x̄ᵀw, summed with compensation (large offsets cancel here).
    func bias(for weights: [Double]) -> Double {
        CompensatedSum.dot(means.prefix(d), weights.map { -$0 }, plus: [means[d]])
    }

    /// RSS(w) = Σyc² − 2wᵀXcᵀyc + wᵀXcᵀXc·w from the moments, or nil when cancellation
    /// would leave fewer than about 9 correct digits (then the caller recomputes residuals).
    func residualSumOfSquares(_ w: [Double]) -> Double? {
        var linear = 0.0, quadratic = 0.0, magnitude = targetSquares
        for i in 0..<d {
            linear += w[i] * cross[i]
            magnitude += 2 * abs(w[i] * cross[i])
            var row = 0.0
            for j in 0..<d {
                row += gram[i * d + j] * w[j]
                magnitude += abs(w[i] * gram[i * d + j] * w[j])
            }
            quadratic += w[i] * row
        }
        let rss = targetSquares - 2 * linear + quadratic
        // A realistic (not worst-case) rounding estimate; the residual pass costs a full
        // read of the data, so take the formula whenever it keeps about 9 digits.
        let errorEstimate = 4 * Double.ulpOfOne * magnitude
        return rss > 0 && errorEstimate <= 1e-9 * rss ? rss : nil
    }

    /// The Cholesky factor of the scaled Gram matrix D⁻¹(XcᵀXc + n·l2·I)D⁻¹ and its condition.
    struct Cholesky {
        let d: Int
        let factor: [Double]
        let scales: [Double]
        /// κ₁ of the scaled Gram matrix, estimated by `pocon`.
        let conditionNumber: Double

        /// w = (XcᵀXc + n·l2·I)⁻¹·rhs, through the scaled system.
        func solve(_ rhs: [Double]) throws -> [Double] {
            var v = (0..<d).map { rhs[$0] / scales[$0] }
            try factor.withUnsafeBufferPointer { f in
                try v.withUnsafeMutableBufferPointer { v in
                    try LAPACK.potrs(.upper, n: d, nrhs: 1, f.baseAddress!, lda: d, v.baseAddress!, ldb: d)
                }
            }
            return (0..<d).map { v[$0] / scales[$0] }
        }
    }

    /// Scales, factors and estimates the condition of the Gram matrix.
    /// - Throws: ``DescentError/notPositiveDefinite(routine:minor:)`` when it is singular.
    func cholesky() throws -> Cholesky {
        var a = [Double](repeating: 0, count: d * d)
        for i in 0..<d {
            for j in 0..<d { a[i * d + j] = gram[i * d + j] / (scales[i] * scales[j]) }
            a[i * d + i] += Double(n) * l2 / (scales[i] * scales[i])
        }
        let d = self.d
        let reciprocal = try a.withUnsafeMutableBufferPointer { a -> Double in
            let norm = LAPACK.lansyOneNorm(.upper, n: d, a.baseAddress!, lda: d)
            try LAPACK.potrf(.upper, n: d, a.baseAddress!, lda: d)
            return try LAPACK.pocon(.upper, n: d, a.baseAddress!, lda: d, anorm: norm)
        }
        return Cholesky(d: d, factor: a, scales: scales, conditionNumber: reciprocal > 0 ? 1 / reciprocal : .infinity)
    }
}
