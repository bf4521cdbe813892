import ArgumentParser
import Descent
#if canImport(Glibc)
import Glibc
#endif

/// `descent train`: fit a linear model by gradient descent and report it in original units.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a linear model by gradient descent.",
        discussion: """
        Exits 3 (after printing the result) when the divergence guard stops the run.

        Examples:
          descent train --data thermometer --normalize scale=0.1 --lr 1e-2 --epochs 5000
          descent train --data synthetic --rows 100000 --features 16 --normalize standardize --batch-size 256 --json
        """
    )

    @OptionGroup var data: DataOptions
    @OptionGroup var training: TrainingOptions

    @Option(help: ArgumentHelp("Save the trained model (original units) as JSON to PATH.", valueName: "PATH"))
    var save: String?

    @Option(help: ArgumentHelp("Write SVG figures into DIR: the loss curve (log scale, training and validation) and, for one feature, the data with the fitted line.", valueName: "DIR"))
    var plot: String?

    @OptionGroup var output: OutputOptions

    @Flag(help: "Under `mpirun -np K` (a build with DESCENT_MPI=1): each rank reads only its rows; gradients and losses are reduced across ranks (full batch every epoch, mini-batch every global batch, the validation split on global rows), equal to one process to rounding; rank 0 prints and saves.")
    var distributed = false

    @Option(help: ArgumentHelp("Save a checkpoint to PATH every --checkpoint-every epochs and when interrupted (Ctrl-C), atomically.", valueName: "PATH"))
    var checkpoint: String?

    @Option(help: ArgumentHelp("Epochs between checkpoints.", valueName: "N"))
    var checkpointEvery: Int = 100

    @Option(help: ArgumentHelp("Continue the run saved in this checkpoint (same data and options; --epochs may grow). The result equals an uninterrupted run.", valueName: "PATH"))
    var resume: String?

    func run() throws {
        try training.precision.dispatch { try run($0) }
    }

    private func run<S: BLASScalar>(_: S.Type) throws {
        let configuration = try training.configuration(seed: data.seed)
        let communicator = try makeCommunicator(distributed: distributed)
        defer { finishCommunicator(communicator) }
        let (loaded, totalRows) = try data.loadRows(S.self, communicator: communicator)
        // What the report needs of the data is kept aside, and the trainer is handed the only
        // reference to the rows: with a validation split it may then reorder them in place
        // instead of holding a second copy (issue 6).
        let summary = DataSummary(loaded, fitPoints: plot != nil)
        let dataset = (consume loaded).dataset
        let trainer = try Trainer<S>(configuration)
        let bar = ProgressBar(enabled: !output.quiet && isatty(2) != 0 && communicator.isRoot)
        if distributed && (checkpoint != nil || resume != nil) {
            throw ValidationError("--checkpoint and --resume are not available with --distributed")
        }
        let policy = try checkpoint.map { try CheckpointPolicy(path: $0, every: checkpointEvery) }
        let resumed = try resume.map { try TrainingCheckpoint<S>.read(from: $0) }
        Interruption.install()
        let result = try trainer.train(consume dataset, communicator: communicator, checkpoint: policy, resume: resumed,
                                       progress: { bar.update($0) }, shouldStop: { Interruption.requested })
        bar.finish()
        if result.status == .interrupted {
            let saved = checkpoint.map { "; checkpoint saved to \($0): continue with --resume \($0)" } ?? "; pass --checkpoint PATH to be able to resume"
            printError("interrupted after epoch \(result.epochs)\(saved)")
            throw ExitCode(130)
        }
        guard communicator.isRoot else {
            if result.divergence != nil { throw ExitCode(3) }
            return
        }
        // Rank 0 reports the whole data set's shape (its fit figure shows its own rows).
        let source = distributed ? "\(summary.source) (\(communicator.size) ranks)" : summary.source
        if let plot {
            _ = try FigureDirectory.write(trainingFigures(result, data: summary), into: plot)
        }

        if output.json {
            print(json(result, data: summary).rendered)
        } else {
            print(text(result, data: summary, source: source, rows: totalRows))
        }
        if let divergence = result.divergence {
            throw DescentError.numericalFailure(divergence.description)
        }
        if let save {
            let trainingSummary: [String: String] = [
                "optimizer": configuration.optimizer.name, "learning_rate": "\(configuration.learningRate)",
                "epochs": "\(result.epochs)", "status": result.status.rawValue,
                "batch_size": configuration.batchSize.map(String.init) ?? "full",
                "train_loss": "\(result.trainLoss)", "l2": "\(configuration.l2)", "seed": "\(configuration.seed)",
                "data": summary.source,
            ]
            let model = SavedModel(weights: result.model.weights, bias: result.model.bias, normalization: result.normalizer.saved,
                                   featureNames: summary.featureNames, targetName: summary.targetName, training: trainingSummary)
            try model.write(to: save)
        }
    }

    private func json<S: BLASScalar>(_ result: TrainingResult<S>, data: DataSummary<S>) -> JSONValue {
        var members = trainingResultMembers(result, featureNames: data.featureNames)
        members += [
            ("seconds", .scalar(result.seconds)),
            ("seconds_per_epoch", .scalar(result.seconds / Double(max(result.epochs, 1)))),
            ("gradient", .string(result.gradientMethod.rawValue)),
        ]
        if let trueWeights = data.trueWeights, let trueBias = data.trueBias {
            members += [("true_weights", .scalars(trueWeights.array)), ("true_bias", .scalar(trueBias))]
        }
        return .object(members)
    }

    private func text<S: BLASScalar>(_ result: TrainingResult<S>, data: DataSummary<S>, source: String, rows: Int) -> String {
        let configuration = training
        var lines = ["gradient descent on \(source): \(rows) rows × \(data.featureNames.count) features, \(S.precisionName), "
            + "\(configuration.optimizer.rawValue) lr \(configuration.learningRate), normalize \(configuration.normalize.kind)"]
        let status: String
        switch result.status {
        case .converged: status = "converged (gradient norm below \(configuration.gradientTolerance))"
        case .maxEpochs: status = "ran all \(configuration.epochs) epochs"
        case .interrupted: status = "interrupted (Ctrl-C)"
        case .earlyStopped: status = "stopped early (validation loss stopped improving)"
        case .diverged: status = "diverged at epoch \(result.divergedAtEpoch ?? 0)"
        }
        lines.append("\(status) after \(result.epochs) epochs in \(formatSeconds(result.seconds)) (\(result.gradientMethod.rawValue) gradient)")
        let names = data.featureNames
        let shown = min(names.count, 12)
        for j in 0..<shown {
            var line = "  \(names[j]): \(result.model.weights[j])"
            if !result.normalizer.isIdentity { line += "   (scaled: \(result.trainedModel.weights[j]))" }
            if let truth = data.trueWeights { line += "   (true: \(truth[j]))" }
            lines.append(line)
        }
        if names.count > shown { lines.append("  … \(names.count - shown) more weights (use --json)") }
        var biasLine = "  bias: \(result.model.bias)"
        if !result.normalizer.isIdentity { biasLine += "   (scaled: \(result.trainedModel.bias))" }
        if let truth = data.trueBias { biasLine += "   (true: \(truth))" }
        lines.append(biasLine)
        var losses = "training loss \(result.trainLoss)"
        if let validation = result.validationLoss { losses += ", validation loss \(validation)" }
        lines.append(losses)
        return lines.joined(separator: "\n")
    }
}

/// A one-line progress bar on standard error, drawn only on a terminal and only once a run
/// has lasted a second, at most ten times a second.
final class ProgressBar {
    private let enabled: Bool
    private var drawn = false
    private var lastDraw = -1.0

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ progress: TrainingProgress) {
        guard enabled, progress.elapsedSeconds > 1, progress.elapsedSeconds - lastDraw >= 0.1 || progress.epoch == progress.totalEpochs else { return }
        lastDraw = progress.elapsedSeconds
        let width = 24
        let filled = width * progress.epoch / max(progress.totalEpochs, 1)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var line = "\r[\(bar)] epoch \(progress.epoch)/\(progress.totalEpochs)  loss \(shortNumber(progress.trainLoss))"
        if let validation = progress.validationLoss { line += "  val \(shortNumber(validation))" }
        line += "  \(shortNumber(Double(progress.rowsProcessed) / progress.elapsedSeconds)) rows/s"
        line.withCString { _ = write(2, $0, strlen($0)) }
        drawn = true
    }

    func finish() {
        guard drawn else { return }
        let clear = "\r\u{1B}[K"
        clear.withCString { _ = write(2, $0, strlen($0)) }
    }
}

/// A number in at most about 7 significant characters.
private func shortNumber(_ value: Double) -> String {
    guard value.isFinite else { return value.isNaN ? "nan" : "inf" }
    let magnitude = abs(value)
    if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6) {
        let exponent = Int(log10(magnitude).rounded(.down))
        let mantissa = value / pow(10, Double(exponent))
        return "\((mantissa * 1000).rounded() / 1000)e\(exponent)"
    }
    return "\((value * 10000).rounded() / 10000)"
}

/// Seconds with a unit that reads well.
private func formatSeconds(_ seconds: Double) -> String {
    seconds < 1 ? "\((seconds * 1e5).rounded() / 100) ms" : "\((seconds * 1000).rounded() / 1000) s"
}

/// What `train` and `verify` report about their data, kept aside before the rows go to the
/// trainer (which may reorder them in place, issue 6): names, source, the true model of
/// synthetic data, and the points of the fit figure.
struct DataSummary<Scalar: BLASScalar> {
    /// One name per feature column.
    var featureNames: [String]
    /// The name of the target.
    var targetName: String
    /// Where the data came from, for messages.
    var source: String
    /// The weights and bias that generated synthetic data.
    var trueWeights: Vector<Scalar>?
    var trueBias: Scalar?
    /// For one feature: at most 5000 evenly spaced rows (x, y) in the order read, for the fit
    /// figure (the picture is the same, the file stays small). Nil otherwise, or when not asked for.
    var fitPoints: (x: [Double], y: [Double])?

    init(_ loaded: LoadedData<Scalar>, fitPoints: Bool) {
        self.init(loaded.dataset, fitPoints: fitPoints)
        trueWeights = loaded.trueWeights
        trueBias = loaded.trueBias
    }

    init(_ dataset: Dataset<Scalar>, fitPoints: Bool) {
        featureNames = dataset.featureNames
        targetName = dataset.targetName
        source = dataset.source
        if fitPoints && dataset.featureCount == 1 {
            let rows = Swift.stride(from: 0, to: dataset.rowCount, by: max(1, dataset.rowCount / 5000))
            self.fitPoints = (rows.map { Double(dataset.features[$0, 0]) }, rows.map { Double(dataset.targets[$0]) })
        }
    }
}

/// `--plot` figures of a training run: the loss curve and, for one feature, the fit in
/// original units.
func trainingFigures<S: BLASScalar>(_ result: TrainingResult<S>, data: DataSummary<S>) -> [(name: String, svg: String)] {
    var figures: [(name: String, svg: String)] = [
        ("loss.svg", SVGPlot.lossCurve(training: result.history.trainLoss,
                                       validation: result.history.validationLoss.isEmpty ? nil : result.history.validationLoss,
                                       title: "Loss per epoch on \(data.source)")),
    ]
    if let points = data.fitPoints {
        figures.append(("fit.svg", SVGPlot.fit(
            x: points.x, y: points.y,
            slope: Double(result.model.weights[0]), intercept: Double(result.model.bias),
            xLabel: data.featureNames[0], yLabel: data.targetName, title: "Data and the fitted line")))
    }
    return figures
}

/// The JSON members `train --json` and `verify --json` (its `gradient_descent` object) share:
/// the model in original units (and in the trained space when normalized), losses, epochs,
/// status, feature names and precision.
func trainingResultMembers<S: BLASScalar>(_ result: TrainingResult<S>, featureNames: [String]) -> [(String, JSONValue)] {
    var members: [(String, JSONValue)] = [
        ("weights", .scalars(result.model.weights.array)),
        ("bias", .scalar(result.model.bias)),
    ]
    if !result.normalizer.isIdentity {
        members.append(("scaled", .object([("weights", .scalars(result.trainedModel.weights.array)), ("bias", .scalar(result.trainedModel.bias))])))
    }
    members += [
        ("train_loss", .scalar(result.trainLoss)),
        ("validation_loss", .optional(result.validationLoss)),
        ("epochs", .integer(result.epochs)),
        ("status", .string(result.status.rawValue)),
        ("diverged_at_epoch", result.divergedAtEpoch.map { .integer($0) } ?? .null),
        ("feature_names", .array(featureNames.map { .string($0) })),
        ("precision", .string(S.precisionName)),
    ]
    return members
}
