import ArgumentParser
import Descent
import Foundation

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
    @Option(help: ArgumentHelp("Where the samples come from: 'thermometer' (the chapter's 11 readings), 'synthetic', or a path to a .csv/.tsv or .npy file.", valueName: "thermometer|synthetic|PATH"))
    var data: String = "thermometer"

    @Option(help: ArgumentHelp("The target: a column name (CSV) or a 0-based column index (CSV or .npy; negative counts from the end). Default: the last column.", valueName: "NAME|INDEX"))
    var target: String?

    @Option(help: ArgumentHelp("CSV: the feature columns, comma-separated (default: all but the target). Synthetic: the number of features.", valueName: "a,b,c|D"))
    var features: String?

    @Option(help: ArgumentHelp(".npy: a separate 1-D .npy file of targets; every column of --data is then a feature, and the features are memory-mapped without a copy.", valueName: "PATH"))
    var labels: String?

    @Option(help: ArgumentHelp("CSV: the field delimiter, one character, or 'tab' (default: ',' or tab for .tsv).", valueName: "CHAR"))
    var delimiter: String?

    @Option(help: ArgumentHelp("Synthetic data: the number of rows.", valueName: "N"))
    var rows: Int = 100_000

    @Option(help: ArgumentHelp("Synthetic data: the standard deviation of the Gaussian noise on the target.", valueName: "S"))
    var noise: Double = 0.1

    @Option(help: ArgumentHelp("Synthetic data: correlate the features so their matrix has this condition number (>= 1).", valueName: "C"))
    var condition: Double = 1

    @Option(help: ArgumentHelp("The random seed (synthetic data, shuffling, validation split).", valueName: "K"))
    var seed: UInt64 = 42

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1, got \(rows)") }
        guard noise.isFinite, noise >= 0 else { throw ValidationError("--noise must be finite and >= 0, got \(noise)") }
        guard condition.isFinite, condition >= 1 else { throw ValidationError("--condition must be finite and >= 1, got \(condition)") }
        if data == "synthetic", let features, Int(features) == nil || Int(features)! < 1 {
            throw ValidationError("--features must be a whole number >= 1 for synthetic data, got '\(features)'")
        }
        if data == "synthetic", condition > 1, syntheticFeatureCount < 2 {
            throw ValidationError("--condition needs at least 2 features (correlation), got --features \(syntheticFeatureCount)")
        }
        if let delimiter { _ = try DataOptions.delimiterByte(delimiter) }
        if labels != nil, !data.lowercased().hasSuffix(".npy") {
            throw ValidationError("--labels is for .npy data (a separate 1-D array of targets); --data is '\(data)'")
        }
    }

    /// The number of synthetic features (`--features D`, default 16).
    var syntheticFeatureCount: Int { features.flatMap { Int($0) } ?? 16 }

    /// The kind of file `path` names, by extension.
    enum FileKind { case csv, npy }

    /// `.npy` or CSV (`.csv`, `.tsv`, `.txt`), or a usage error.
    static func fileKind(_ path: String) throws -> FileKind {
        let lower = path.lowercased()
        if lower.hasSuffix(".npy") { return .npy }
        if lower.hasSuffix(".csv") || lower.hasSuffix(".tsv") || lower.hasSuffix(".txt") { return .csv }
        throw DescentError.invalidParameter(name: "--data", value: path, expected: "thermometer, synthetic, or a file ending in .csv, .tsv, .txt or .npy")
    }

    /// The delimiter byte for `--delimiter` text.
    static func delimiterByte(_ text: String) throws -> UInt8 {
        switch text {
        case "tab", "\\t", "\t": return 0x09
        case "space": return 0x20
        default:
            let bytes = Array(text.utf8)
            guard bytes.count == 1, bytes[0] != UInt8(ascii: "\""), bytes[0] != 0x0A, bytes[0] != 0x0D else {
                throw ValidationError("--delimiter must be one ASCII character (or 'tab'), not a quote or newline; got '\(text)'")
            }
            return bytes[0]
        }
    }

    /// The CSV format for `path` from `--delimiter` (tab by default for .tsv).
    func csvFormat(for path: String) throws -> CSVFormat {
        let byte = try delimiter.map(DataOptions.delimiterByte) ?? (path.lowercased().hasSuffix(".tsv") ? 0x09 : UInt8(ascii: ","))
        return CSVFormat(delimiter: byte)
    }

    /// The comma-separated `--features` names.
    var featureList: [String]? {
        features.map { $0.split(separator: ",", omittingEmptySubsequences: true).map { String($0).trimmingCharacters(in: .whitespaces) } }
    }

    /// Loads (or generates) the data in precision `Scalar`.
    func load<Scalar: BLASScalar>(_: Scalar.Type) throws -> LoadedData<Scalar> {
        switch data {
        case "thermometer":
            return LoadedData(dataset: Thermometer.dataset(Scalar.self))
        case "synthetic":
            let problem = SyntheticData.make(rows: rows, features: syntheticFeatureCount, noise: noise, seed: seed,
                                             condition: condition, as: Scalar.self)
            return LoadedData(dataset: problem.dataset, trueWeights: problem.trueWeights, trueBias: problem.trueBias)
        default:
            switch try DataOptions.fileKind(data) {
            case .npy:
                if features != nil {
                    throw DescentError.invalidParameter(name: "--features", value: features!, expected: "no --features for .npy data (the features are every column but the target)")
                }
                var index: Int? = nil
                if let target {
                    guard let parsed = Int(target) else {
                        throw DescentError.invalidParameter(name: "--target", value: target, expected: "a 0-based column index for .npy data")
                    }
                    index = parsed
                }
                return LoadedData(dataset: try NPY.loadDataset(data, targetIndex: index, labelsPath: labels, as: Scalar.self))
            case .csv:
                return LoadedData(dataset: try CSV.loadDataset(data, target: target, features: featureList,
                                                               format: try csvFormat(for: data), as: Scalar.self))
            }
        }
    }
}

extension DataOptions {
    /// This rank's rows of the data (all of them for a single process) and the total row
    /// count. `.npy` files are mapped and only this rank's rows are touched; synthetic rows
    /// are generated only for this rank's blocks, from (seed, block); CSV files are parsed
    /// whole and sliced (use `.npy` for data sets that matter).
    func loadRows<Scalar: BLASScalar>(_: Scalar.Type, communicator: any Communicator) throws -> (data: LoadedData<Scalar>, totalRows: Int) {
        if communicator.size == 1 {
            let loaded = try load(Scalar.self)
            return (loaded, loaded.dataset.rowCount)
        }
        switch data {
        case "synthetic":
            let generator = try SyntheticGenerator<Scalar>(rows: rows, features: syntheticFeatureCount, noise: noise,
                                                            seed: seed, condition: condition)
            let local = DistributedData.syntheticRows(generator, communicator.rowRange(of: rows))
            return (LoadedData(dataset: local, trueWeights: generator.trueWeights, trueBias: generator.trueBias), rows)
        case "thermometer":
            break
        default:
            if try DataOptions.fileKind(data) == .npy, features == nil {
                let total = try NPY.readHeader(data).shape.first ?? 0
                let index = try target.map { value -> Int in
                    guard let parsed = Int(value) else {
                        throw DescentError.invalidParameter(name: "--target", value: value, expected: "a 0-based column index for .npy data")
                    }
                    return parsed
                }
                let local = try NPY.loadDataset(data, targetIndex: index, labelsPath: labels,
                                                rows: communicator.rowRange(of: total), as: Scalar.self)
                return (LoadedData(dataset: local), total)
            }
        }
        let all = try load(Scalar.self)
        let total = all.dataset.rowCount
        var local = all
        local.dataset = all.dataset.rows(communicator.rowRange(of: total))
        return (local, total)
    }
}

/// `--json` and `--quiet`.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Print one JSON object on standard output instead of text.")
    var json = false

    @Flag(help: "No progress bar or commentary on standard error.")
    var quiet = false
}
