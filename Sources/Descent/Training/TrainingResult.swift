/// Why a training run stopped.
public enum TrainingStatus: String, Sendable, Equatable, Codable {
    /// The gradient norm fell below the tolerance.
    case converged
    /// All configured epochs ran.
    case maxEpochs = "max_epochs"
    /// The monitored loss stopped improving for `patience` epochs.
    case earlyStopped = "early_stopped"
    /// The divergence guard stopped the run (see ``DivergenceReport``).
    case diverged
    /// The caller asked the run to stop (Ctrl-C); a checkpoint can resume it.
    case interrupted
}

/// The per-epoch record of a run. Entry `k` belongs to epoch `k + 1`.
///
/// The training loss of an epoch is measured at the parameters the epoch starts from, before
/// its update (what the chapter prints); for mini-batches it is the mean of the batch losses
/// over the epoch. The validation loss is measured without gradients at the epoch's starting
/// parameters.
public struct TrainingHistory: Sendable, Equatable, Codable {
    /// The training loss per epoch.
    public var trainLoss: [Double] = []
    /// The validation loss per epoch (empty without a validation set).
    public var validationLoss: [Double] = []
    /// The learning rate used in each epoch.
    public var learningRate: [Double] = []
    /// The gradient norm per epoch (full batch: exact; mini-batch: the norm of the epoch's
    /// mean batch gradient).
    public var gradientNorm: [Double] = []

    /// Creates an empty history.
    public init() {}
}

/// What the divergence guard found, and why it happens.
public struct DivergenceReport: Sendable, Equatable, CustomStringConvertible {
    /// The epoch at which training stopped (1-based).
    public var epoch: Int
    /// The last loss measured (may be infinite or NaN).
    public var lastLoss: Double
    /// The learning rate at that epoch.
    public var learningRate: Double
    /// λmax of the loss's Hessian on the training data in the space trained in.
    public var largestEigenvalue: Double
    /// `2/λmax`, the largest learning rate plain gradient descent survives on these data.
    public var largestStableLearningRate: Double
    /// Whether the features were normalized (the advice differs).
    public var normalized: Bool

    /// The explanation the CLI prints.
    public var description: String {
        let loss = lastLoss.isFinite ? "\(lastLoss)" : (lastLoss.isNaN ? "nan" : "inf")
        var text = "training diverged at epoch \(epoch): the loss reached \(loss). "
        if learningRate > largestStableLearningRate {
            text += "The learning rate \(learningRate) exceeds 2/λmax = \(largestStableLearningRate) "
                + "(λmax = \(largestEigenvalue), the largest eigenvalue of the loss's Hessian (2/n)·[X 1]ᵀ[X 1]), "
                + "so every step overshoots and the error grows along the steepest direction. "
        } else {
            text += "The largest stable learning rate for plain gradient descent on these data is 2/λmax = \(largestStableLearningRate) "
                + "(λmax = \(largestEigenvalue)). "
        }
        text += "Use a learning rate below \(largestStableLearningRate)"
        text += normalized ? "." : ", or scale the input (--normalize standardize or scale=F): large feature values make λmax large."
        return text
    }
}

/// One epoch's progress, handed to the callback (the engine never prints).
public struct TrainingProgress: Sendable {
    /// The epoch just finished (1-based).
    public var epoch: Int
    /// The configured maximum.
    public var totalEpochs: Int
    /// The epoch's training loss.
    public var trainLoss: Double
    /// The epoch's validation loss, if there is a validation set.
    public var validationLoss: Double?
    /// The learning rate used.
    public var learningRate: Double
    /// Seconds since training started.
    public var elapsedSeconds: Double
    /// Training rows processed so far.
    public var rowsProcessed: Int
}

/// The outcome of a ``Trainer`` run.
public struct TrainingResult<Scalar: BLASScalar>: Sendable {
    /// The model in the original units of the features (predicts from raw inputs).
    public var model: LinearModel<Scalar>
    /// The model in the space it was trained in (normalized features).
    public var trainedModel: LinearModel<Scalar>
    /// The normalization fitted on the training rows.
    public var normalizer: Normalizer
    /// The per-epoch record.
    public var history: TrainingHistory
    /// Why the run stopped.
    public var status: TrainingStatus
    /// The epoch the divergence guard stopped at, or nil.
    public var divergedAtEpoch: Int? { divergence?.epoch }
    /// The divergence guard's report, or nil.
    public var divergence: DivergenceReport?
    /// The number of epochs run.
    public var epochs: Int
    /// The training loss at the final parameters (including the L2 penalty).
    public var trainLoss: Double
    /// The validation loss at the final parameters, or nil.
    public var validationLoss: Double?
    /// The optimizer with its state at the end, to save and resume.
    public var optimizer: any Optimizer<Scalar>
    /// Wall-clock seconds spent training.
    public var seconds: Double
    /// How the full-batch epochs computed the gradient (``GradientMethod/fused`` for mini-batches).
    public var gradientMethod: GradientMethod = .fused
}
