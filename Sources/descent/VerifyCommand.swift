import ArgumentParser
import Descent

/// `descent verify`: Train by gradient descent and check the result against the closed form.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Train by gradient descent and check the result against the closed form.",
        discussion: """
        Trains with the same options as `train`, solves least squares in closed form, and compares: ‖θ_gd − θ*‖/‖θ*‖ over (w, b) in original units, (L_gd − L*)/L*, and the gradient norm at θ_gd. Unless given, --normalize defaults to standardize, --lr to 2/(λmax + λmin) of the normalized loss's Hessian, --epochs to a cap the condition number predicts, and --gradient-tolerance to what the tolerance needs, so the defaults converge. Exits 3 with an explanation when the two do not agree.
        """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var training: TrainingOptions

    @Option(help: ArgumentHelp("The relative agreement required of parameters and loss (default 1e-6 in double, 1e-4 in float).", valueName: "X"))
    var tolerance: Double?

    @Option(help: "The closed-form method: auto, normal, qr or svd.")
    var method: MethodChoice = .auto

    @Option(help: ArgumentHelp("Write SVG figures into DIR: the loss curve and, for one feature, the data with the fitted line.", valueName: "DIR"))
    var plot: String?

    @OptionGroup var output: OutputOptions

    @Flag(help: "Under `mpirun -np K` (a build with DESCENT_MPI=1): each rank reads only its rows and every pass over the data (normalization, spectrum, training, closed form, comparison) is reduced across ranks; equals one process to rounding; --method auto or normal only; rank 0 prints.")
    var distributed = false

    func validate() throws {
        if let tolerance, !(tolerance > 0 && tolerance.isFinite) {
            throw ValidationError("--tolerance must be a finite number > 0, got \(tolerance)")
        }
    }

    func run() throws {
        try training.precision.dispatch { try run($0) }
    }

    /// Whether the user typed `--name` (or `--name=…`): options left out get derived defaults.
    private func given(_ name: String) -> Bool {
        CommandLine.arguments.contains { $0 == name || $0.hasPrefix(name + "=") }
    }

    private func run<S: BLASScalar>(_: S.Type) throws {
        if distributed && method.method != .auto && method.method != .normal {
            // Refused under any number of ranks, before MPI starts, like `solve --distributed`.
            throw DescentError.invalidParameter(name: "--method", value: method.method.rawValue,
                                                expected: "auto or normal with --distributed (QR and SVD need every row on one process)")
        }
        let communicator = try makeCommunicator(distributed: distributed)
        defer { finishCommunicator(communicator) }
        let (loaded, totalRows) = try data.loadRows(S.self, communicator: communicator)
        var dataset = loaded.dataset
        let tolerance = self.tolerance ?? Verification<S>.defaultTolerance
        let base = try training.configuration(seed: data.seed)
        let configuration = try Verification<S>.convergentConfiguration(
            for: dataset, base: base, tolerance: tolerance,
            learningRate: given("--lr") ? base.learningRate : nil,
            epochs: given("--epochs") ? base.epochs : nil,
            normalization: given("--normalize") ? base.normalization : nil,
            gradientTolerance: given("--gradient-tolerance") ? base.gradientTolerance : nil, communicator: communicator)
        let clock = ContinuousClock()
        let start = clock.now
        let verification = try Verification<S>.run(dataset, configuration: configuration, tolerance: tolerance,
                                                    method: method.method, communicator: communicator)
        let seconds = SolverFormatting.seconds(clock.now - start)
        // Every rank computed the same verification; rank 0 reports it for the whole data set.
        guard communicator.isRoot else {
            if !verification.agrees { throw ExitCode(3) }
            return
        }
        if distributed { dataset.source += " (\(communicator.size) ranks)" }
        if let plot {
            // Distributed: the fit figure shows rank 0's rows.
            _ = try FigureDirectory.write(trainingFigures(verification.training, data: DataSummary(dataset, fitPoints: true)), into: plot)
        }
        if output.json {
            print(json(verification, dataset: dataset, configuration: configuration, seconds: seconds, rows: totalRows).rendered)
            if !verification.agrees {
                printError("error: \(verification.explanation)")
                throw ExitCode(3)
            }
            return
        }
        print(text(verification, dataset: dataset, configuration: configuration, rows: totalRows))
        if !verification.agrees { throw DescentError.numericalFailure(verification.explanation) }
    }

    private func json<S: BLASScalar>(_ v: Verification<S>, dataset: Dataset<S>, configuration: TrainingConfiguration, seconds: Double, rows: Int) -> JSONValue {
        let result = v.training
        var descent = trainingResultMembers(result, featureNames: dataset.featureNames)
        descent += [
            ("optimizer", .string(configuration.optimizer.name)),
            ("learning_rate", .scalar(configuration.learningRate)),
            ("normalize", .string(configuration.normalization.description)),
            ("gradient_tolerance", .scalar(configuration.gradientTolerance)),
            ("max_epochs", .integer(configuration.epochs)),
            ("seconds", .scalar(result.seconds)),
        ]
        return .object([
            ("gradient_descent", .object(descent)),
            ("closed_form", solutionJSON(v.closedForm, dataset: dataset, seconds: max(0, seconds - result.seconds), rows: rows)),
            ("parameter_relative_error", .scalar(v.parameterRelativeError)),
            ("loss_relative_gap", .scalar(v.lossRelativeGap)),
            ("gradient_norm", .scalar(v.gradientNorm)),
            ("tolerance", .scalar(v.tolerance)),
            ("agrees", .bool(v.agrees)),
            ("verdict", .string(v.verdict.rawValue)),
            ("predicted_remaining_epochs", .optional(v.predictedRemainingEpochs)),
            ("explanation", .string(v.explanation)),
        ])
    }

    private func text<S: BLASScalar>(_ v: Verification<S>, dataset: Dataset<S>, configuration: TrainingConfiguration, rows: Int) -> String {
        let result = v.training
        var lines = ["verify on \(dataset.source): \(rows) rows × \(dataset.featureCount) features, \(S.precisionName)"]
        lines.append("  gradient descent: \(configuration.optimizer.name), lr \(configuration.learningRate), normalize \(configuration.normalization), "
            + "\(result.epochs) of at most \(configuration.epochs) epochs, \(result.status.rawValue) in \(SolverFormatting.duration(result.seconds))")
        lines.append("  closed form: \(v.closedForm.method.rawValue), rank \(v.closedForm.rank), condition number \(SolverFormatting.number(v.closedForm.conditionNumber))")
        let names = dataset.featureNames
        for j in 0..<min(names.count, 12) {
            lines.append("  w[\(names[j])]  descent \(result.model.weights[j])   closed form \(v.closedForm.weights[j])")
        }
        if names.count > 12 { lines.append("  … \(names.count - 12) more weights (use --json)") }
        lines.append("  b  descent \(result.model.bias)   closed form \(v.closedForm.bias)")
        lines.append("  loss: descent \(v.gradientDescentLoss), closed form \(v.closedFormLoss)")
        lines.append("  parameter relative error \(SolverFormatting.number(v.parameterRelativeError)), loss relative gap \(SolverFormatting.number(v.lossRelativeGap)), "
            + "gradient norm \(SolverFormatting.number(v.gradientNorm)), tolerance \(SolverFormatting.number(v.tolerance))")
        lines.append(v.agrees ? "  agrees: \(v.explanation)" : "  DOES NOT AGREE (\(v.verdict.rawValue))")
        return lines.joined(separator: "\n")
    }
}
