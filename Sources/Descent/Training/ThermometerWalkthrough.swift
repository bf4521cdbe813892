/// The chapter's thermometer walkthrough (`/work/shared/thermometer.md`, "Deep Learning with
/// PyTorch" ch. 5), every step computed by the engine in precision `Scalar` (the chapter's
/// tensors are `Float`). The CLI's `descent thermometer` only prints this.
public struct ThermometerWalkthrough<Scalar: BLASScalar>: Sendable {
    /// Parameters and the loss at them, in the units the step trains in.
    public struct Fit: Sendable, Equatable {
        /// The weight.
        public var w: Double
        /// The bias.
        public var b: Double
        /// The loss at (w, b).
        public var loss: Double
    }

    /// Step 1: predictions and loss at w = 1, b = 0.
    public var initialPredictions: [Double]
    /// Step 1: the loss at w = 1, b = 0.
    public var initialLoss: Double
    /// Step 2: the central-difference rates (δ = 0.1) at w = 1, b = 0, and the parameters after
    /// one step of lr 1e-2 on both (`loss` is the loss there).
    public var finiteDifference: (dw: Double, db: Double, step: Fit)
    /// Step 3: the analytic gradient at w = 1, b = 0.
    public var analyticGradient: (dw: Double, db: Double)
    /// Step 4: lr 1e-2 on raw t_u, 100 epochs: what the divergence guard reported.
    public var diverging: DivergenceReport
    /// Step 4: the loss history up to the stop.
    public var divergingHistory: [Double]
    /// Step 5: lr 1e-4, 100 epochs.
    public var smallLearningRate: Fit
    /// Step 6: input scaled by 0.1, lr 1e-2, 100 epochs (scaled units).
    public var scaled100: Fit
    /// Step 6: the same, 5000 epochs (scaled units).
    public var scaled5000: Fit
    /// Step 7: step 6's 5000-epoch fit with gradients from automatic differentiation.
    public var autograd5000: Fit
    /// Step 8: Adam, lr 1e-1, raw t_u, 5000 epochs.
    public var adam: Fit
    /// Step 9: the split and the final losses (scaled units).
    public var validation: (trainIndices: [Int], validationIndices: [Int], fit: Fit, trainLoss: Double, validationLoss: Double, epochs: Int)
    /// Step 9: (epoch, training loss, validation loss) at epochs 1, 2, 3 and every 500.
    public var validationReport: [(epoch: Int, trainLoss: Double, validationLoss: Double)]
    /// Step 10: the closed-form least-squares fit in the original units of t_u.
    public var closedForm: Fit
    /// Step 10: the condition number the solver reported.
    public var closedFormConditionNumber: Double
    /// Step 11 input: the loss curve of step 6's 5000-epoch run.
    public var scaled5000History: [Double]
    /// Step 9's training and validation loss per epoch (for the loss-curve figure).
    public var validationHistory: (training: [Double], validation: [Double])

    /// The chapter's scale factor for the input (`t_un = 0.1 * t_u`).
    public static var inputScale: Double { 0.1 }

    /// Runs every step.
    public static func run() throws -> ThermometerWalkthrough {
        let data = Thermometer.dataset(Scalar.self)
        let start = LinearModel<Scalar>(weights: [1], bias: 0)

        // 1. The model at w = 1, b = 0.
        let predictions = start.predict(data.features)
        let initialLoss = start.loss(on: data)

        // 2. Rates of change by central differences at (1, 0), then one step of lr 1e-2.
        func loss(_ w: Scalar, _ b: Scalar) -> Scalar { LinearModel(weights: [w], bias: b).loss(on: data) }
        let delta = Scalar(0.1)
        let dw = FiniteDifference.derivative(at: Scalar(1), delta: delta) { loss($0, 0) }
        let db = FiniteDifference.derivative(at: Scalar(0), delta: delta) { loss(1, $0) }
        let rate = Scalar(1e-2)
        let stepped = (w: 1 - rate * dw, b: 0 - rate * db)

        // 3. The analytic gradient.
        let analytic = start.lossAndGradient(on: data)

        // 4–6, 8: the chapter's training loops, params starting at [1.0, 0.0].
        func configuration(_ optimizer: OptimizerChoice = .sgd(), lr: Double, epochs: Int,
                           normalization: NormalizationKind = .none, validation: Double = 0) -> TrainingConfiguration {
            var c = TrainingConfiguration(optimizer: optimizer, learningRate: lr, epochs: epochs, normalization: normalization,
                                          validationFraction: validation, seed: 42)
            c.initialWeights = [1]
            c.initialBias = 0
            return c
        }
        func fit(_ result: TrainingResult<Scalar>) -> Fit {
            Fit(w: Double(result.trainedModel.weights[0]), b: Double(result.trainedModel.bias), loss: result.trainLoss)
        }
        let diverging = try Trainer<Scalar>(configuration(lr: 1e-2, epochs: 100)).train(data)
        guard let report = diverging.divergence else {
            throw DescentError.numericalFailure("thermometer step 4: lr 1e-2 on raw t_u was expected to diverge and did not")
        }
        let small = try Trainer<Scalar>(configuration(lr: 1e-4, epochs: 100)).train(data)
        let scaling = NormalizationKind.scale(inputScale)
        let scaled100 = try Trainer<Scalar>(configuration(lr: 1e-2, epochs: 100, normalization: scaling)).train(data)
        let scaled5000 = try Trainer<Scalar>(configuration(lr: 1e-2, epochs: 5000, normalization: scaling)).train(data)

        // 7. The same fit with gradients by automatic differentiation.
        let scaledData = try Normalizer.fit(scaling, to: data.features).transform(data)
        let autograd = try AutogradTraining.fitLinear(scaledData, learningRate: 1e-2, epochs: 5000, initialWeights: [1], initialBias: 0)

        // 8. Adam on raw input.
        let adam = try Trainer<Scalar>(configuration(.adam(), lr: 1e-1, epochs: 5000)).train(data)

        // 9. Hold out 20% with a seeded permutation; train on the scaled rest.
        let split = try Split.trainValidation(data, validationFraction: 0.2, seed: 42)
        let validated = try Trainer<Scalar>(configuration(lr: 1e-2, epochs: 3000, normalization: scaling))
            .train(split.train, validation: split.validation)
        let reported = (1...validated.epochs).filter { $0 <= 3 || $0 % 500 == 0 }
        let validationReport = reported.map { ($0, validated.history.trainLoss[$0 - 1], validated.history.validationLoss[$0 - 1]) }

        // 10. The closed form (LAPACK), in original units.
        let closed = try LeastSquaresSolver.solve(data)

        return ThermometerWalkthrough(
            initialPredictions: predictions.map { Double($0) }, initialLoss: Double(initialLoss),
            finiteDifference: (Double(dw), Double(db), Fit(w: Double(stepped.w), b: Double(stepped.b), loss: Double(loss(stepped.w, stepped.b)))),
            analyticGradient: (Double(analytic.weights[0]), Double(analytic.bias)),
            diverging: report, divergingHistory: diverging.history.trainLoss,
            smallLearningRate: fit(small), scaled100: fit(scaled100), scaled5000: fit(scaled5000),
            autograd5000: Fit(w: Double(autograd.model.weights[0]), b: Double(autograd.model.bias), loss: Double(autograd.loss)),
            adam: fit(adam),
            validation: (split.trainIndices, split.validationIndices, fit(validated), validated.trainLoss, validated.validationLoss ?? .nan, validated.epochs),
            validationReport: validationReport,
            closedForm: Fit(w: Double(closed.weights[0]), b: Double(closed.bias), loss: closed.meanSquaredError),
            closedFormConditionNumber: closed.conditionNumber,
            scaled5000History: scaled5000.history.trainLoss,
            validationHistory: (validated.history.trainLoss, validated.history.validationLoss))
    }
}
