/// The sufficient statistics of the mean squared error of a linear model on (X, y), in
/// `Double` whatever the data's precision, centred for accuracy: the means x̄ and ȳ, the
/// centred Gram matrix C = XcᵀXc, the centred cross-products c = Xcᵀyc and Syy = Σ(yᵢ − ȳ)².
///
/// They cost one pass over the data (the Gram kernel, `GramKernel`, on blocks of `[X | y]`
/// shifted and widened to `Double` in cache, O(n·d²) flops); afterwards every full-batch
/// epoch costs O(d²) instead of O(n·d):
/// with δ = x̄ᵀw + b − ȳ (the mean residual),
///
/// ```
/// loss = (wᵀCw − 2cᵀw + Syy)/n + δ² + l2·‖w‖²
/// ∇w   = (2/n)(Cw − c) + 2δ·x̄ + 2·l2·w
/// ∂b   = 2δ
/// ```
/// (the cross terms vanish because centred columns sum to zero).
///
/// Precision: centring removes the large offsets that make the expanded quadratic form
/// (wᵀXᵀXw − 2wᵀXᵀy + yᵀy) cancel catastrophically. What is left is the cancellation of
/// wᵀCw − 2cᵀw + Syy near the optimum: its absolute error is a few `Double` ulps of
/// Syy + wᵀCw, so the loss's relative error is about 1e-16 / (1 − R²) — 1e-12 for a fit
/// that explains 99.99% of the variance, far below what a `Float` fused pass achieves. The
/// gradient carries the same cancellation as the fused kernel's Xᵀr.
///
/// Deterministic: the pass is ``RowPasses/moments(features:targets:threads:normalization:)``
/// (fixed tasks merged in order), so 1 or 2 threads give the same bits.
public struct MeanSquaredErrorStatistics: Sendable {
    /// The number of rows n.
    public let rows: Int
    /// The number of features d.
    public let featureCount: Int
    /// The feature means x̄.
    public let featureMeans: [Double]
    /// The target mean ȳ.
    public let targetMean: Double
    /// C = XcᵀXc, `d × d` row-major, both triangles.
    public let centredGram: [Double]
    /// c = Xcᵀyc.
    public let centredCross: [Double]
    /// Syy = Σ(yᵢ − ȳ)².
    public let centredTargetSquares: Double

    /// The statistics of `features` and `targets` (same row count), on up to `threads`
    /// threads (default: every core) of the persistent worker pool.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    public init<S: BLASScalar>(features: Matrix<S>, targets: Vector<S>, threads: Int? = nil) {
        self.init(features: features, targets: targets, threads: threads, normalization: nil)
    }

    /// The statistics of the normalized features `x′ⱼ = (xⱼ − offsetⱼ)·multiplierⱼ`
    /// (``Normalizer/rowTransform(as:)``'s numbers) and `targets`, without a normalized copy
    /// of X (issue 6): each block is normalized in `S` into the worker's scratch as it is read,
    /// the same values a copy made by ``Normalizer/transform(_:)-(Matrix<S>)`` holds, so the same bits.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    init<S: BLASScalar>(features: Matrix<S>, targets: Vector<S>, threads: Int? = nil,
                        normalization: (offsets: [S], multipliers: [S])?) {
        precondition(features.rows == targets.count,
                     "MeanSquaredErrorStatistics: features \(features.rows) × \(features.columns) but targets [\(targets.count)]")
        let n = features.rows, d = features.columns, p = d + 1
        let total = RowPasses.moments(features: features, targets: targets, threads: threads, normalization: normalization)
        let (gram, cross) = total.featureGramAndCross
        self.rows = n
        self.featureCount = d
        self.featureMeans = Array(total.means.prefix(d))
        self.targetMean = n > 0 ? total.means[d] : 0
        self.centredGram = gram
        self.centredCross = cross
        self.centredTargetSquares = n > 0 ? total.comoments[d * p + d] : 0
    }

    /// The loss at (w, b) and, when `weightsGradient` is given, its gradient (`d` values
    /// written there); O(d²). `product` is scratch of `d` values.
    /// - Returns: the loss `(1/n)·Σ(xᵢᵀw + b − yᵢ)² + l2·‖w‖²` and `∂L/∂b`.
    public func lossAndGradient(weights w: UnsafePointer<Double>, bias b: Double, l2: Double,
                                weightsGradient: UnsafeMutablePointer<Double>?,
                                product: UnsafeMutablePointer<Double>) -> (loss: Double, biasGradient: Double) {
        let d = featureCount
        let count = Double(Swift.max(rows, 1))
        let weights = UnsafeBufferPointer(start: w, count: d)
        // The mean residual, with compensation: x̄ᵀw, b and ȳ may be large and cancel.
        let delta = CompensatedSum.dot(featureMeans, weights, plus: [b, -targetMean])
        var quadratic = centredTargetSquares, penalty = 0.0
        if d > 0 {
            centredGram.withUnsafeBufferPointer { gram in
                BLAS.gemv(.none, rows: d, columns: d, alpha: 1, gram.baseAddress!, lda: d, w, 1, beta: 0, product, 1)
            }
            var form = 0.0
            for j in 0..<d {
                form += w[j] * (product[j] - 2 * centredCross[j])
                penalty += w[j] * w[j]
            }
            quadratic += form
            if let g = weightsGradient {
                let scale = 2 / count
                for j in 0..<d {
                    g[j] = scale * (product[j] - centredCross[j]) + 2 * delta * featureMeans[j] + 2 * l2 * w[j]
                }
            }
        }
        let loss = Swift.max(quadratic, 0) / count + delta * delta + l2 * penalty
        return (loss, 2 * delta)
    }
}
