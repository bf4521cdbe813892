/// How ``LeastSquaresSolver`` solves a least-squares problem.
public enum LeastSquaresMethod: String, Sendable, CaseIterable, Codable {
    /// Chooses for you: the normal equations when the condition number allows them, else
    /// Householder QR, else the SVD when the design is rank-deficient.
    case auto
    /// Normal equations: one pass of `syrk` over the rows, then Cholesky (`potrf`/`potrs`).
    /// The fastest, but its error grows like cond². A singular system (no Cholesky factor)
    /// is handed to the SVD, as with ``qr``.
    case normal
    /// Householder QR with column pivoting (`geqp3`); reveals the rank. A rank-deficient
    /// system is handed to the SVD for its minimum-norm answer.
    case qr
    /// The singular value decomposition (`gelsd`): the minimum-norm answer for rank-deficient
    /// and underdetermined (n < d) systems.
    case svd
}

/// The closed-form least-squares answer and what the solver learned about the problem.
///
/// The intercept is never fitted through a column of ones: the features and the target are
/// centred, the weights solve the centred problem, and `bias = ȳ − x̄ᵀw`.
public struct LeastSquaresSolution<Scalar: BLASScalar>: Sendable {
    /// The weights, in the data's original units.
    public var weights: Vector<Scalar>
    /// The intercept, in the data's original units.
    public var bias: Scalar
    /// The method that produced the answer (``LeastSquaresMethod/auto`` resolves to one of the others).
    public var method: LeastSquaresMethod
    /// The numerical rank of the centred design (at most `min(n − 1, d)`; `d` with ridge).
    public var rank: Int
    /// An estimate of the 2-norm condition number of the centred design: of its columns
    /// scaled to unit norm for `normal` and `qr` (from the Cholesky or R factor), and σ₁/σₘᵢₙ
    /// of the unscaled columns for `svd`. Infinite when a singular value is zero.
    public var conditionNumber: Double
    /// The singular values of the centred design in decreasing order (`svd` only).
    public var singularValues: [Double]?
    /// Σ(yᵢ − xᵢᵀw − b)².
    public var residualSumOfSquares: Double
    /// The residual sum of squares over n: the chapter's loss, without the L2 penalty.
    public var meanSquaredError: Double
    /// The coefficient of determination 1 − RSS / Σ(yᵢ − ȳ)² (1 for a perfect fit of a constant target, 0 otherwise).
    public var r2: Double
    /// The L2 penalty the answer was solved with (see ``LeastSquaresSolver/solve(_:method:l2:)``).
    public var l2: Double
    /// The loss the trainer minimizes: `meanSquaredError + l2·‖w‖²`.
    public var objective: Double
    /// The number of steps of iterative refinement that were applied (0 or 1).
    public var refinementSteps: Int
    /// The weights as computed, in `Double`, before rounding to `Scalar`.
    public var preciseWeights: [Double]
    /// The intercept as computed, in `Double`, before rounding to `Scalar`.
    public var preciseBias: Double
    /// The column means x̄ the problem was centred by.
    public var featureMeans: [Double]
    /// The target mean ȳ.
    public var targetMean: Double
}
