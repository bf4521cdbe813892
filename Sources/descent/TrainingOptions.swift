import ArgumentParser
import Descent

/// `--optimizer sgd|momentum|nesterov|adam`.
enum OptimizerName: String, ExpressibleByArgument, CaseIterable, Sendable {
    case sgd, momentum, nesterov, adam
}

extension GradientMethod: ExpressibleByArgument {}

/// `--normalize none|standardize|scale=F`.
struct NormalizationArgument: ExpressibleByArgument, Sendable {
    var kind: NormalizationKind

    init(kind: NormalizationKind) { self.kind = kind }

    init?(argument: String) {
        switch argument {
        case "none": kind = .none
        case "standardize": kind = .standardize
        default:
            guard argument.hasPrefix("scale="), let factor = Double(argument.dropFirst("scale=".count)) else { return nil }
            kind = .scale(factor)
        }
    }

    var defaultValueDescription: String { kind.description }
}

/// `--schedule constant|step:EVERY:FACTOR|plateau[:FACTOR:PATIENCE]`.
struct ScheduleArgument: ExpressibleByArgument, Sendable {
    var schedule: LearningRateSchedule

    init(schedule: LearningRateSchedule) { self.schedule = schedule }

    init?(argument: String) {
        let parts = argument.split(separator: ":").map(String.init)
        switch parts.first {
        case "constant" where parts.count == 1:
            schedule = .constant
        case "step" where parts.count == 3:
            guard let every = Int(parts[1]), let factor = Double(parts[2]) else { return nil }
            schedule = .stepDecay(every: every, factor: factor)
        case "plateau" where parts.count == 1:
            schedule = .reduceOnPlateau()
        case "plateau" where parts.count == 3:
            guard let factor = Double(parts[1]), let patience = Int(parts[2]) else { return nil }
            schedule = .reduceOnPlateau(factor: factor, patience: patience)
        default:
            return nil
        }
    }

    var defaultValueDescription: String { "constant" }
}

/// Every option of a gradient-descent run, shared by `train` and `verify` (`@OptionGroup`).
/// The seed is `--seed` of ``DataOptions`` (one seed drives data, split and shuffles).
struct TrainingOptions: ParsableArguments {
    @Option(help: "The optimizer: sgd (the chapter's plain gradient descent), momentum, nesterov or adam.")
    var optimizer: OptimizerName = .sgd

    @Option(name: .customLong("lr"), help: ArgumentHelp("The learning rate.", valueName: "X"))
    var learningRate: Double = 1e-2

    @Option(help: ArgumentHelp("The momentum factor for --optimizer momentum or nesterov.", valueName: "X"))
    var momentum: Double = 0.9

    @Option(help: ArgumentHelp("The maximum number of epochs.", valueName: "N"))
    var epochs: Int = 1000

    @Option(help: ArgumentHelp("Rows per step (default: all rows, full batch; 1: stochastic).", valueName: "N"))
    var batchSize: Int?

    @Option(help: ArgumentHelp("Feature normalization: none, standardize, or scale=F (multiply by F, like the chapter's 0.1 * t_u).", valueName: "none|standardize|scale=F"))
    var normalize: NormalizationArgument = NormalizationArgument(kind: .none)

    @Option(help: ArgumentHelp("The fraction of rows held out for validation (seeded permutation).", valueName: "F"))
    var validationFraction: Double = 0

    @Option(help: ArgumentHelp("Early stopping: stop after N epochs without improvement of the validation (or training) loss.", valueName: "N"))
    var patience: Int?

    @Option(help: ArgumentHelp("Early stopping: the smallest loss decrease that counts as an improvement.", valueName: "X"))
    var earlyStoppingTolerance: Double = 0

    @Option(help: ArgumentHelp("Stop as converged when the gradient norm falls below X (0: never).", valueName: "X"))
    var gradientTolerance: Double = 1e-6

    @Option(help: ArgumentHelp("The learning-rate schedule: constant, step:EVERY:FACTOR, or plateau[:FACTOR:PATIENCE].", valueName: "SCHEDULE"))
    var schedule: ScheduleArgument = ScheduleArgument(schedule: .constant)

    @Option(help: ArgumentHelp("The L2 penalty l2·‖w‖² on the weights (not the bias).", valueName: "X"))
    var l2: Double = 0

    @Option(help: "The precision of the data and the training.")
    var precision: PrecisionChoice = .double

    @Option(help: ArgumentHelp("Threads per epoch (default: every core); the numbers do not depend on it.", valueName: "T"))
    var threads: Int?

    @Option(help: ArgumentHelp("Full-batch gradient: fused (one pass over the rows per epoch), gram (XᵀX once, then O(d²) per epoch), or auto (by epochs × n × d against n × d²).", valueName: "fused|gram|auto"))
    var gradient: GradientMethod = .auto

    func validate() throws {
        if let threads, threads < 1 {
            throw ValidationError("--threads must be at least 1, got \(threads)")
        }
    }

    /// The engine configuration; throws ``DescentError/invalidParameter(name:value:expected:)`` (exit 2) for values out of range.
    func configuration(seed: UInt64) throws -> TrainingConfiguration {
        var configuration = TrainingConfiguration()
        switch optimizer {
        case .sgd: configuration.optimizer = .sgd()
        case .momentum: configuration.optimizer = .sgd(momentum: momentum)
        case .nesterov: configuration.optimizer = .sgd(momentum: momentum, nesterov: true)
        case .adam: configuration.optimizer = .adam()
        }
        configuration.learningRate = learningRate
        configuration.epochs = epochs
        configuration.batchSize = batchSize
        configuration.normalization = normalize.kind
        configuration.validationFraction = validationFraction
        configuration.earlyStoppingPatience = patience
        configuration.earlyStoppingTolerance = earlyStoppingTolerance
        configuration.gradientTolerance = gradientTolerance
        configuration.schedule = schedule.schedule
        configuration.l2 = l2
        configuration.seed = seed
        configuration.threads = threads
        configuration.gradient = gradient
        do {
            try configuration.validate()
        } catch DescentError.invalidParameter(let name, let value, let expected) {
            // The engine names fields in words; a CLI user needs the flag they typed.
            throw DescentError.invalidParameter(name: Self.flag(forEngineParameter: name), value: value, expected: expected)
        }
        return configuration
    }

    /// The command-line flag for a ``TrainingConfiguration`` field as the engine names it in
    /// ``DescentError/invalidParameter(name:value:expected:)`` ("batch size" → "--batch-size").
    /// Names with no flag of their own are returned unchanged.
    static func flag(forEngineParameter name: String) -> String {
        switch name {
        case "learning rate": return "--lr"
        case "epochs": return "--epochs"
        case "batch size": return "--batch-size"
        case "momentum": return "--momentum"
        case "validation fraction": return "--validation-fraction"
        case "patience": return "--patience"
        case "early stopping tolerance": return "--early-stopping-tolerance"
        case "gradient tolerance": return "--gradient-tolerance"
        case "l2": return "--l2"
        case "threads": return "--threads"
        case "normalization scale factor": return "--normalize"
        case "step decay factor", "step decay period", "plateau factor", "plateau patience", "plateau threshold",
             "minimum learning rate":
            return "--schedule (\(name))"
        default: return name
        }
    }
}
