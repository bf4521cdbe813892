/// How the learning rate changes from epoch to epoch.
public enum LearningRateSchedule: Sendable, Equatable, Codable {
    /// The configured rate throughout.
    case constant
    /// Multiply the rate by `factor` every `every` epochs.
    case stepDecay(every: Int, factor: Double)
    /// Multiply the rate by `factor` when the monitored loss (validation if there is a
    /// validation set, else training) has not improved by more than `threshold` (relative)
    /// for `patience` epochs; never below `minimum`. PyTorch's `ReduceLROnPlateau` in `rel` mode.
    case reduceOnPlateau(factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, minimum: Double = 0)

    func validate() throws {
        switch self {
        case .constant: return
        case .stepDecay(let every, let factor):
            guard every >= 1 else { throw DescentError.invalidParameter(name: "step decay period", value: "\(every)", expected: "at least 1 epoch") }
            guard factor.isFinite, factor > 0, factor <= 1 else { throw DescentError.invalidParameter(name: "step decay factor", value: "\(factor)", expected: "a number in (0, 1]") }
        case .reduceOnPlateau(let factor, let patience, let threshold, let minimum):
            guard factor.isFinite, factor > 0, factor < 1 else { throw DescentError.invalidParameter(name: "plateau factor", value: "\(factor)", expected: "a number in (0, 1)") }
            guard patience >= 0 else { throw DescentError.invalidParameter(name: "plateau patience", value: "\(patience)", expected: "at least 0 epochs") }
            guard threshold.isFinite, threshold >= 0 else { throw DescentError.invalidParameter(name: "plateau threshold", value: "\(threshold)", expected: "a finite number >= 0") }
            guard minimum.isFinite, minimum >= 0 else { throw DescentError.invalidParameter(name: "minimum learning rate", value: "\(minimum)", expected: "a finite number >= 0") }
        }
    }
}

/// How a full-batch epoch computes the loss and gradient.
public enum GradientMethod: String, Sendable, Equatable, Codable, CaseIterable {
    /// One fused pass over the rows per epoch (O(n·d)), multi-threaded, thread-count independent.
    case fused
    /// The Gram path: ``MeanSquaredErrorStatistics`` once (one `syrk` pass, O(n·d²)), then
    /// O(d²) per epoch. Full batch only.
    case gram
    /// `gram` for full batch when epochs·n·d exceeds n·d² + epochs·d² (the work of the two),
    /// else `fused`; always `fused` for mini-batches.
    case auto

    /// The method `auto` resolves to (or this one) for `epochs` epochs over `rows` × `features`
    /// (plus `validationRows` evaluated every epoch).
    public func resolved(rows: Int, features: Int, epochs: Int, validationRows: Int = 0, fullBatch: Bool = true) -> GradientMethod {
        switch self {
        case .fused, .gram: return self
        case .auto:
            guard fullBatch else { return .fused }
            let n = Double(rows + validationRows), d = Double(features), e = Double(epochs)
            return e * n * d > n * d * d + e * d * d ? .gram : .fused
        }
    }
}

/// Everything a ``Trainer`` run depends on. Every field has a default; ``validate()`` names
/// the first one out of range.
public struct TrainingConfiguration: Sendable, Equatable {
    /// The optimizer and its hyper-parameters other than the learning rate.
    public var optimizer: OptimizerChoice = .sgd()
    /// The initial learning rate.
    public var learningRate: Double = 1e-2
    /// The maximum number of epochs (passes over the training rows).
    public var epochs: Int = 100
    /// Rows per step; `nil` (or ≥ the row count) is full batch, 1 is stochastic.
    public var batchSize: Int? = nil
    /// The learning-rate schedule.
    public var schedule: LearningRateSchedule = .constant
    /// The feature normalization, fitted on the training rows only.
    public var normalization: NormalizationKind = .none
    /// The fraction of rows held out for validation (0: none), by ``Split``.
    public var validationFraction: Double = 0
    /// Stop when the monitored loss has not improved by more than ``earlyStoppingTolerance``
    /// for this many epochs (`nil`: never); the best parameters are restored.
    public var earlyStoppingPatience: Int? = nil
    /// The absolute improvement that counts for early stopping.
    public var earlyStoppingTolerance: Double = 0
    /// Stop as converged when the gradient norm falls below this (0: never).
    public var gradientTolerance: Double = 0
    /// The L2 penalty `l2·‖w‖²` added to the mean squared error (the bias is not penalized).
    public var l2: Double = 0
    /// The seed of the validation split and the per-epoch shuffles.
    public var seed: UInt64 = 42
    /// The divergence guard stops when the loss exceeds this many times the first epoch's.
    public var divergenceFactor: Double = 1e4
    /// The starting weights in the trained (normalized) space; `nil`: zeros (the chapter uses 1).
    public var initialWeights: [Double]? = nil
    /// The starting bias in the trained space.
    public var initialBias: Double = 0
    /// The most threads an epoch runs on (`nil`: every core). The numbers do not depend on
    /// it: the kernels cut the rows into fixed tasks and reduce them in order.
    public var threads: Int? = nil
    /// How a full-batch epoch computes the gradient (``GradientMethod``).
    public var gradient: GradientMethod = .auto

    /// The default configuration.
    public init() {}

    /// A configuration with the common fields set.
    public init(optimizer: OptimizerChoice = .sgd(), learningRate: Double, epochs: Int, batchSize: Int? = nil,
                normalization: NormalizationKind = .none, validationFraction: Double = 0, seed: UInt64 = 42) {
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.epochs = epochs
        self.batchSize = batchSize
        self.normalization = normalization
        self.validationFraction = validationFraction
        self.seed = seed
    }

    /// Throws ``DescentError/invalidParameter(name:value:expected:)`` naming the first field out of range.
    public func validate() throws {
        try validateLearningRate(learningRate)
        _ = try optimizer.make(learningRate: learningRate, as: Double.self)
        guard epochs >= 1 else { throw DescentError.invalidParameter(name: "epochs", value: "\(epochs)", expected: "at least 1") }
        if let batchSize, batchSize < 1 {
            throw DescentError.invalidParameter(name: "batch size", value: "\(batchSize)", expected: "at least 1")
        }
        try schedule.validate()
        if case .scale(let factor) = normalization, !factor.isFinite || factor == 0 {
            throw DescentError.invalidParameter(name: "normalization scale factor", value: "\(factor)", expected: "a finite non-zero number")
        }
        guard validationFraction.isFinite, validationFraction >= 0, validationFraction < 1 else {
            throw DescentError.invalidParameter(name: "validation fraction", value: "\(validationFraction)", expected: "a number in [0, 1)")
        }
        if let earlyStoppingPatience, earlyStoppingPatience < 1 {
            throw DescentError.invalidParameter(name: "patience", value: "\(earlyStoppingPatience)", expected: "at least 1 epoch")
        }
        guard earlyStoppingTolerance.isFinite, earlyStoppingTolerance >= 0 else {
            throw DescentError.invalidParameter(name: "early stopping tolerance", value: "\(earlyStoppingTolerance)", expected: "a finite number >= 0")
        }
        guard gradientTolerance.isFinite, gradientTolerance >= 0 else {
            throw DescentError.invalidParameter(name: "gradient tolerance", value: "\(gradientTolerance)", expected: "a finite number >= 0")
        }
        guard l2.isFinite, l2 >= 0 else { throw DescentError.invalidParameter(name: "l2", value: "\(l2)", expected: "a finite number >= 0") }
        guard divergenceFactor > 1 else {
            throw DescentError.invalidParameter(name: "divergence factor", value: "\(divergenceFactor)", expected: "a number > 1")
        }
        if let initialWeights, !initialWeights.allSatisfy(\.isFinite) {
            throw DescentError.invalidParameter(name: "initial weights", value: "\(initialWeights)", expected: "finite numbers")
        }
        if let threads, threads < 1 {
            throw DescentError.invalidParameter(name: "threads", value: "\(threads)", expected: "at least 1")
        }
        guard initialBias.isFinite else { throw DescentError.invalidParameter(name: "initial bias", value: "\(initialBias)", expected: "a finite number") }
    }
}
