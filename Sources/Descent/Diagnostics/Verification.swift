/// The outcome of comparing gradient descent with the closed form.
public enum VerificationVerdict: String, Sendable, Equatable {
    /// The parameters and the loss agree within the tolerance.
    case agrees
    /// Training stopped (epoch cap, early stopping, a gradient tolerance too loose) before
    /// reaching the closed form; more epochs, standardizing or another optimizer would fix it.
    case notConverged = "not_converged"
    /// Training diverged (the learning rate is above 2/λmax).
    case diverged
    /// The loss is so flat along some direction (huge condition number, or a rank-deficient
    /// design) that a near-optimal loss does not pin the parameters down.
    case illConditioned = "ill_conditioned"
}

/// Gradient descent checked against closed-form least squares: relative parameter error
/// ‖θ_gd − θ*‖/‖θ*‖ with θ = (w, b) in original units, relative loss gap (L_gd − L*)/L*, and
/// the gradient norm at θ_gd, all evaluated in `Double` by the same centred residual pass
/// (so both losses carry the same rounding), plus a verdict that says what went wrong.
///
/// The loss is the trainer's: `mean((Xw + b − y)²) + l2·‖w′‖²`, where w′ are the weights the
/// trainer sees after its normalization. Without a penalty every normalization has the same
/// minimizer; with one, the closed form is solved on the normalized features, as the trainer is.
///
/// ## Distributed
/// With a `communicator` of more than one rank, `dataset` is this rank's rows and every pass
/// over the data goes through the communicator: each rank sums over its own rows and the sums
/// are reduced in rank order, so every rank computes the same verification —
/// the normalization from merged moments (``DistributedData``), the Hessian spectrum from the
/// summed Gram matrices and column sums, the training (``Trainer``), the closed form from the
/// merged centred moments (``LeastSquaresSolver/solve(localRows:totalRows:method:l2:communicator:)``),
/// and both objectives and the gradient from the summed residual sums.
/// The result equals the single-process verification to rounding, not to the bit: the same sums
/// are grouped by rank instead of by row block (≈1e-15 relative per reduction; the derived
/// learning rate and gradient tolerance differ in their last bits, so the iterates differ by
/// rounding too). Two things differ by design: the closed form is the normal equations only
/// (QR and SVD need every row on one process, so `method` must be `.auto` or `.normal`, and
/// `auto` cannot fall back to QR on an ill-conditioned design), and a rank-deficient design is
/// a ``DescentError/numericalFailure(_:)`` (the minimum-norm SVD answer needs a single process)
/// instead of an ``VerificationVerdict/illConditioned`` verdict.
public struct Verification<Scalar: BLASScalar>: Sendable {
    /// The gradient-descent run.
    public var training: TrainingResult<Scalar>
    /// The closed-form answer (original units).
    public var closedForm: LeastSquaresSolution<Scalar>
    /// The closed-form weights in original units, in `Double`.
    public var closedFormWeights: [Double]
    /// The closed-form bias in original units, in `Double`.
    public var closedFormBias: Double
    /// ‖θ_gd − θ*‖ / ‖θ*‖ over (w, b) in original units.
    public var parameterRelativeError: Double
    /// (L(θ_gd) − L(θ*)) / L(θ*).
    public var lossRelativeGap: Double
    /// L(θ_gd), evaluated in `Double`.
    public var gradientDescentLoss: Double
    /// L(θ*), evaluated in `Double`.
    public var closedFormLoss: Double
    /// ‖∇L(θ_gd)‖ over (w, b) in original units.
    public var gradientNorm: Double
    /// The relative tolerance both errors must meet.
    public var tolerance: Double
    /// The Hessian's spectrum in the coordinates the trainer used (after normalization).
    public var spectrum: HessianSpectrum
    /// The epochs the condition number predicts are still needed (plain SGD at the run's
    /// learning rate), when the verdict is ``VerificationVerdict/notConverged``.
    public var predictedRemainingEpochs: Double?
    /// The verdict.
    public var verdict: VerificationVerdict
    /// A plain explanation of the verdict, naming what to change.
    public var explanation: String

    /// Whether gradient descent agrees with the closed form.
    public var agrees: Bool { verdict == .agrees }

    /// The default agreement tolerance: 1e-6 in `Double`, 1e-4 in `Float` (about 1000 ulps).
    public static var defaultTolerance: Double { Scalar.self == Float.self ? 1e-4 : 1e-6 }

    /// A configuration whose plain gradient descent converges on `dataset`: starting from
    /// `base`, every value passed as nil is derived — normalization `standardize`, the learning
    /// rate 2/(λmax + λmin) of the normalized loss (1/λmax when λmin ≈ 0; for Adam the base's
    /// rate is kept), a gradient tolerance small enough that the parameters are within
    /// `tolerance/100` of the optimum, and an epoch cap of 10·κ·ln(100/tolerance) + 100
    /// (at most 200 000).
    public static func convergentConfiguration(
        for dataset: Dataset<Scalar>, base: TrainingConfiguration, tolerance: Double,
        learningRate: Double? = nil, epochs: Int? = nil, normalization: NormalizationKind? = nil,
        gradientTolerance: Double? = nil, communicator: any Communicator = SingleProcessCommunicator()
    ) throws -> TrainingConfiguration {
        var configuration = base
        configuration.normalization = normalization ?? .standardize
        let normalizer = try DistributedData.normalizer(configuration.normalization, localFeatures: dataset.features, communicator: communicator)
        let trained = normalizer.transform(dataset)
        let spectrum = try HessianSpectrum.of(trained, l2: configuration.l2, communicator: communicator)
        let isAdam: Bool
        if case .adam = configuration.optimizer { isAdam = true } else { isAdam = false }
        let smallest = spectrum.smallest > 1e-12 * spectrum.largest ? spectrum.smallest : 0
        if let learningRate {
            configuration.learningRate = learningRate
        } else if !isAdam {
            configuration.learningRate = smallest > 0 ? 2 / (spectrum.largest + smallest) : 1 / spectrum.largest
        }
        let kappa = smallest > 0 ? spectrum.largest / smallest : 1e6
        if let epochs {
            configuration.epochs = epochs
        } else {
            let predicted = 10 * kappa * logarithm(100 / tolerance) + 100
            configuration.epochs = Int(Swift.min(200_000, Swift.max(1_000, predicted.rounded(.up))))
        }
        if let gradientTolerance {
            configuration.gradientTolerance = gradientTolerance
        } else {
            // ‖θ − θ*‖ ≤ ‖∇L‖/λmin: ask for a gradient that bounds the error well below the
            // tolerance, but not below what the precision can resolve.
            let solution = try closedForm(trained, l2: configuration.l2, communicator: communicator)
            let size = Swift.max(1, (solution.preciseWeights.reduce(0) { $0 + $1 * $1 } + solution.preciseBias * solution.preciseBias).squareRoot())
            let wanted = 1e-2 * tolerance * Swift.max(smallest, 1e-12) * size
            let floor = 100 * Double(Scalar.ulpOfOne) * spectrum.largest * size
            configuration.gradientTolerance = Swift.max(wanted, floor)
        }
        try configuration.validate()
        return configuration
    }

    /// Trains with `configuration`, solves in closed form, and compares. With a distributed
    /// `communicator`, `dataset` is this rank's rows (see the type's discussion).
    ///
    /// - Throws: ``DescentError/invalidParameter(name:value:expected:)`` for a tolerance out of
    ///   range, or `.qr`/`.svd` with a distributed communicator; the trainer's and solver's errors.
    public static func run(_ dataset: Dataset<Scalar>, configuration: TrainingConfiguration, tolerance: Double,
                           method: LeastSquaresMethod = .auto, communicator: any Communicator = SingleProcessCommunicator(),
                           progress: ((TrainingProgress) -> Void)? = nil) throws -> Verification {
        guard tolerance.isFinite, tolerance > 0 else {
            throw DescentError.invalidParameter(name: "tolerance", value: "\(tolerance)", expected: "a finite number > 0")
        }
        try checkMethod(method, communicator: communicator)
        let training = try Trainer<Scalar>(configuration).train(dataset, communicator: communicator, progress: progress)
        return try compare(training, dataset: dataset, configuration: configuration, tolerance: tolerance, method: method,
                           communicator: communicator)
    }

    /// Compares a finished run (trained on all of `dataset`) with the closed form. With a
    /// distributed `communicator`, `dataset` is this rank's rows and `training` the run every
    /// rank shares (see the type's discussion).
    public static func compare(_ training: TrainingResult<Scalar>, dataset: Dataset<Scalar>, configuration: TrainingConfiguration,
                               tolerance: Double, method: LeastSquaresMethod = .auto,
                               communicator: any Communicator = SingleProcessCommunicator()) throws -> Verification {
        try checkMethod(method, communicator: communicator)
        let distributed = communicator.size > 1
        let d = dataset.featureCount
        let n = distributed ? try communicator.allReduceSum([Double(dataset.rowCount)])[0] : Double(dataset.rowCount)
        let l2 = configuration.l2
        let normalizer = training.normalizer
        // The closed form of the trainer's own objective (see the type's discussion).
        let closedForm: LeastSquaresSolution<Scalar>
        var optimumWeights: [Double], optimumBias: Double
        if l2 > 0 && !normalizer.isIdentity {
            let trained = try Self.closedForm(normalizer.transform(dataset), method: method, l2: l2, communicator: communicator)
            (optimumWeights, optimumBias) = originalUnits(trained.preciseWeights, trained.preciseBias, normalizer)
            var mapped = trained
            mapped.weights = Vector(optimumWeights.map { Scalar($0) })
            mapped.bias = Scalar(optimumBias)
            mapped.preciseWeights = optimumWeights
            mapped.preciseBias = optimumBias
            closedForm = mapped
        } else {
            closedForm = try Self.closedForm(dataset, method: method, l2: l2, communicator: communicator)
            (optimumWeights, optimumBias) = (closedForm.preciseWeights, closedForm.preciseBias)
        }
        // θ_gd in original units, mapped in Double from the parameters the trainer holds.
        let (weights, bias) = originalUnits(training.trainedModel.weights.map { Double($0) }, Double(training.trainedModel.bias), normalizer)
        let means = closedForm.featureMeans + [closedForm.targetMean]
        // The penalty in the trainer's coordinates: w′ⱼ = wⱼ·scaleⱼ.
        let penaltyScales = (0..<d).map { j -> Double in
            if case .scale(let factor) = normalizer.kind { return 1 / factor }
            return normalizer.scales[j]
        }
        func objective(_ w: [Double], _ b: Double) throws -> (loss: Double, gradient: [Double]) {
            var sums = RowPasses.residuals(dataset, weights: w, bias: b, means: means)
            if distributed {
                let total = try communicator.allReduceSum([sums.squares, sums.sum] + sums.centredCross)
                sums.squares = total[0]
                sums.sum = total[1]
                sums.centredCross = Array(total[2...])
            }
            var penalty = 0.0
            var gradient = [Double](repeating: 0, count: d + 1)
            for j in 0..<d {
                let c = penaltyScales[j] * penaltyScales[j]
                penalty += l2 * c * w[j] * w[j]
                gradient[j] = -2 / n * (sums.centredCross[j] + means[j] * sums.sum) + 2 * l2 * c * w[j]
            }
            gradient[d] = -2 / n * sums.sum
            return (sums.squares / n + penalty, gradient)
        }
        let atDescent = try objective(weights, bias)
        let atOptimum = try objective(optimumWeights, optimumBias)
        var difference = 0.0, size = optimumBias * optimumBias
        for j in 0..<d {
            difference += (weights[j] - optimumWeights[j]) * (weights[j] - optimumWeights[j])
            size += optimumWeights[j] * optimumWeights[j]
        }
        difference += (bias - optimumBias) * (bias - optimumBias)
        let parameterError = size > 0 ? (difference / size).squareRoot() : difference.squareRoot()
        let floor = Double.ulpOfOne * Swift.max(atOptimum.loss, 1e-300)
        let lossGap = (atDescent.loss - atOptimum.loss) / Swift.max(atOptimum.loss, floor)
        let gradientNorm = atDescent.gradient.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let spectrum = try HessianSpectrum.of(normalizer.transform(dataset), l2: l2, communicator: communicator)

        var verdict = VerificationVerdict.agrees
        var remaining: Double? = nil
        var explanation: String
        let errorText = "parameters \(short(parameterError)) from the closed form (relative), loss gap \(short(lossGap)), tolerance \(short(tolerance))"
        if parameterError <= tolerance && lossGap <= tolerance {
            explanation = "gradient descent agrees with the closed form: " + errorText
        } else if training.status == .diverged {
            verdict = .diverged
            explanation = "gradient descent diverged at epoch \(training.divergedAtEpoch ?? 0): learning rate \(short(configuration.learningRate)) is above the largest stable rate 2/λmax = \(short(spectrum.largestStableLearningRate)) for this normalization (\(normalizer.kind)); lower --lr or standardize"
        } else if closedForm.rank < d {
            verdict = .illConditioned
            explanation = "the design is rank-deficient (rank \(closedForm.rank) of \(d)): infinitely many parameters reach the same loss, so gradient descent need not find the closed form's minimum-norm answer; " + errorText
        } else {
            let kappa = spectrum.conditionNumber
            let rate = configuration.learningRate
            // Plain gradient descent shrinks the error by ρ = max|1 − η·λ| per epoch.
            let rho = Swift.max(abs(1 - rate * spectrum.largest), abs(1 - rate * spectrum.smallest))
            let isSGD: Bool
            if case .sgd = configuration.optimizer { isSGD = true } else { isSGD = false }
            if isSGD, configuration.batchSize == nil, rho < 1, parameterError > 0 {
                remaining = Swift.max(1, (logarithm(parameterError / tolerance) / -logarithm(rho)).rounded(.up))
            }
            let stalled = training.status == .converged && lossGap <= tolerance
            if stalled && kappa > 1e6 {
                verdict = .illConditioned
                explanation = "the loss is nearly flat along some direction (Hessian condition number \(short(kappa))): the loss is within \(short(lossGap)) of the optimum but the parameters are not; lower --gradient-tolerance, standardize, or trust the closed form; " + errorText
            } else {
                verdict = .notConverged
                var advice = "not converged after \(training.epochs) epochs (\(training.status.rawValue)): " + errorText
                if let remaining {
                    advice += "; the condition number \(short(kappa)) at lr \(short(rate)) predicts about \(short(remaining)) more epochs"
                }
                if normalizer.kind != .standardize { advice += "; --normalize standardize would shrink the condition number" }
                advice += "; raise --epochs, lower --gradient-tolerance, or try --optimizer adam"
                explanation = advice
            }
        }
        return Verification(
            training: training, closedForm: closedForm, closedFormWeights: optimumWeights, closedFormBias: optimumBias,
            parameterRelativeError: parameterError, lossRelativeGap: lossGap,
            gradientDescentLoss: atDescent.loss, closedFormLoss: atOptimum.loss, gradientNorm: gradientNorm,
            tolerance: tolerance, spectrum: spectrum, predictedRemainingEpochs: remaining, verdict: verdict, explanation: explanation)
    }

    /// The closed form on `dataset` (this rank's rows when distributed: the normal equations
    /// from the ranks' merged moments).
    private static func closedForm(_ dataset: Dataset<Scalar>, method: LeastSquaresMethod = .auto, l2: Double,
                                   communicator: any Communicator) throws -> LeastSquaresSolution<Scalar> {
        guard communicator.size > 1 else { return try LeastSquaresSolver.solve(dataset, method: method, l2: l2) }
        let rows = Int(try communicator.allReduceSum([Double(dataset.rowCount)])[0])
        return try LeastSquaresSolver.solve(localRows: dataset, totalRows: rows, method: method, l2: l2, communicator: communicator)
    }

    /// Refuses a closed-form method that needs every row on one process (before training).
    private static func checkMethod(_ method: LeastSquaresMethod, communicator: any Communicator) throws {
        guard communicator.size > 1, method != .auto, method != .normal else { return }
        throw DescentError.invalidParameter(name: "--method", value: method.rawValue,
                                            expected: "auto or normal with --distributed (QR and SVD need every row on one process)")
    }

    /// A model in normalized coordinates mapped to original units, in `Double`.
    private static func originalUnits(_ w: [Double], _ b: Double, _ normalizer: Normalizer) -> ([Double], Double) {
        if normalizer.isIdentity { return (w, b) }
        var weights = w
        for j in 0..<w.count {
            if case .scale(let factor) = normalizer.kind { weights[j] = w[j] * factor } else { weights[j] = w[j] / normalizer.scales[j] }
        }
        let bias = CompensatedSum.dot(weights, normalizer.offsets.map { -$0 }, plus: [b])
        return (weights, bias)
    }

    private static func short(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : "∞" }
        if value == 0 { return "0" }
        var exponent = 0, mantissa = abs(value)
        while mantissa >= 10 { mantissa /= 10; exponent += 1 }
        while mantissa < 1 { mantissa *= 10; exponent -= 1 }
        if exponent >= -3 && exponent < 5 {
            let scale = [1.0, 10, 100, 1000, 10000, 100000, 1000000][Swift.max(0, Swift.min(6, 3 - exponent))]
            return "\((value * scale).rounded() / scale)"
        }
        return (value < 0 ? "-" : "") + "\((mantissa * 100).rounded() / 100)e\(exponent)"
    }
}
