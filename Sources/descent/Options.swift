import ArgumentParser
import Descent

/// `--precision float|double`.
enum PrecisionChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case float, double

    /// Runs `body` with the scalar type this choice names.
    func dispatch<R>(_ body: (any BLASScalar.Type) throws -> R) rethrows -> R {
        switch self {
        case .float: return try body(Float.self)
        case .double: return try body(Double.self)
        }
    }
}

/// What the data options produced: the samples and, for synthetic data, the truth.
struct LoadedData<Scalar: BLASScalar> {
    var dataset: Dataset<Scalar>
    var trueWeights: Vector<Scalar>? = nil
    var trueBias: Scalar? = nil
}

/// The options every command that reads data shares.
struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Where the samples come from: 'thermometer' (the chapter's 11 readings), 'synthetic', or a path to a .csv or .npy file.", valueName: "thermometer|synthetic|PATH"))
    var data: String = "thermometer"

    @Option(help: ArgumentHelp("The target: a column name (CSV) or a 0-based column index (.npy). Default: the last column.", valueName: "NAME|INDEX"))
    var target: String?

    @Option(help: ArgumentHelp("CSV: the feature columns, comma-separated (default: all but the target). Synthetic: the number of features.", valueName: "a,b,c|D"))
    var features: String?

    @Option(help: ArgumentHelp("Synthetic data: the number of rows.", valueName: "N"))
    var rows: Int = 100_000

    @Option(help: ArgumentHelp("Synthetic data: the standard deviation of the Gaussian noise on the target.", valueName: "S"))
    var noise: Double = 0.1

    @Option(help: ArgumentHelp("The random seed (synthetic data, shuffling, validation split).", valueName: "K"))
    var seed: UInt64 = 42

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1, got \(rows)") }
        guard noise.isFinite, noise >= 0 else { throw ValidationError("--noise must be finite and >= 0, got \(noise)") }
        if data == "synthetic", let features, Int(features) == nil || Int(features)! < 1 {
            throw ValidationError("--features must be a whole number >= 1 for synthetic data, got '\(features)'")
        }
    }

    /// The number of synthetic features (`--features D`, default 16).
    var syntheticFeatureCount: Int { features.flatMap { Int($0) } ?? 16 }

    /// Loads (or generates) the data in precision `Scalar`.
    func load<Scalar: BLASScalar>(_: Scalar.Type) throws -> LoadedData<Scalar> {
        switch data {
        case "thermometer":
            return LoadedData(dataset: Thermometer.dataset(Scalar.self))
        case "synthetic":
            let problem = SyntheticData.make(rows: rows, features: syntheticFeatureCount, noise: noise, seed: seed, as: Scalar.self)
            return LoadedData(dataset: problem.dataset, trueWeights: problem.trueWeights, trueBias: problem.trueBias)
        default:
            throw DescentError.io(path: data, reason: "reading data files is not implemented yet")
        }
    }
}

/// `--json` and `--quiet`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object on standard output instead of text.")
    var json = false

    @Flag(help: "No progress bar or commentary on standard error.")
    var quiet = false
}
