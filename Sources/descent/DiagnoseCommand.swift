import ArgumentParser
import Descent

/// `descent diagnose`: Describe the data's conditioning and the learning rates it allows.
struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Describe the data's conditioning and the learning rates it allows.",
        discussion: """
        Per-feature mean, standard deviation, min and max; the condition number of the raw and of the standardized design [X 1]; the smallest and largest eigenvalue of the MSE loss's Hessian (2/n)·[X 1]ᵀ[X 1]; the largest stable learning rate 2/λmax; the epochs plain gradient descent needs, about κ·ln(1/tol) with κ = λmax/λmin; and plain advice.
        """
    )

    @OptionGroup var data: DataOptions

    @Option(help: "The precision of the data: float or double.")
    var precision: PrecisionChoice = .double

    @Option(help: ArgumentHelp("An L2 penalty l2·‖w‖² to include in the Hessian.", valueName: "X"))
    var l2: Double = 0

    @Option(help: ArgumentHelp("The relative error to predict epochs for.", valueName: "TOL"))
    var tolerance: Double = 1e-6

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard l2.isFinite, l2 >= 0 else { throw ValidationError("--l2 must be finite and >= 0, got \(l2)") }
        guard tolerance > 0, tolerance < 1 else { throw ValidationError("--tolerance must be in (0, 1), got \(tolerance)") }
    }

    func run() throws {
        try precision.dispatch { try run($0) }
    }

    private func run<S: BLASScalar>(_: S.Type) throws {
        let dataset = try data.load(S.self).dataset
        let report = try ConditioningReport.of(dataset, l2: l2)
        let epochs = report.predictedEpochs(tolerance: tolerance)
        let advice = report.advice(tolerance: tolerance)
        if output.json {
            func column(_ c: ColumnStatistics) -> JSONValue {
                .object([("name", .string(c.name)), ("mean", .scalar(c.mean)), ("std", .scalar(c.standardDeviation)),
                         ("min", .scalar(c.minimum)), ("max", .scalar(c.maximum))])
            }
            func spectrum(_ h: HessianSpectrum) -> JSONValue {
                .object([("lambda_min", .scalar(h.smallest)), ("lambda_max", .scalar(h.largest)),
                         ("condition_number", .scalar(h.conditionNumber))])
            }
            let object: JSONValue = .object([
                ("source", .string(dataset.source)),
                ("rows", .integer(report.rows)),
                ("precision", .string(S.precisionName)),
                ("features", .array(report.features.map(column))),
                ("target", column(report.target)),
                ("rank", .integer(report.rank)),
                ("condition_number_raw", .scalar(report.rawConditionNumber)),
                ("condition_number_standardized", .scalar(report.standardizedConditionNumber)),
                ("hessian_raw", spectrum(report.raw)),
                ("hessian_standardized", spectrum(report.standardized)),
                ("largest_stable_learning_rate_raw", .scalar(report.raw.largestStableLearningRate)),
                ("largest_stable_learning_rate_standardized", .scalar(report.standardized.largestStableLearningRate)),
                ("l2", .scalar(l2)),
                ("tolerance", .scalar(tolerance)),
                ("predicted_epochs_raw", .scalar(epochs.raw)),
                ("predicted_epochs_standardized", .scalar(epochs.standardized)),
                ("advice", .array(advice.map { .string($0) })),
            ])
            print(object.rendered)
            return
        }
        let f = SolverFormatting.number
        var lines = ["diagnosis of \(dataset.source): \(report.rows) rows × \(report.features.count) features, \(S.precisionName)"]
        let width = min(24, max(6, (report.features + [report.target]).map(\.name.count).max() ?? 0))
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        lines.append("  " + pad("column") + "  mean        std         min         max")
        for c in (report.features.prefix(30) + [report.target]) {
            lines.append("  " + pad(c.name) + [c.mean, c.standardDeviation, c.minimum, c.maximum]
                .map { "  " + f($0).padding(10) }.joined())
        }
        if report.features.count > 30 { lines.append("  … \(report.features.count - 30) more features (use --json for all)") }
        lines.append("  rank \(report.rank) of \(report.features.count)")
        lines.append("                          raw          standardized")
        lines.append("  condition number [X 1]  \(f(report.rawConditionNumber).padding(12)) \(f(report.standardizedConditionNumber))")
        lines.append("  Hessian λmin            \(f(report.raw.smallest).padding(12)) \(f(report.standardized.smallest))")
        lines.append("  Hessian λmax            \(f(report.raw.largest).padding(12)) \(f(report.standardized.largest))")
        lines.append("  largest stable lr       \(f(report.raw.largestStableLearningRate).padding(12)) \(f(report.standardized.largestStableLearningRate))")
        lines.append("  epochs to tol \(f(tolerance).padding(9)) \(f(epochs.raw).padding(12)) \(f(epochs.standardized))")
        lines.append("advice:")
        lines += advice.map { "  - " + $0 }
        print(lines.joined(separator: "\n"))
    }
}

private extension String {
    /// Left-aligned in a field of `width` characters.
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
