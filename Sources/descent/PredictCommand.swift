import ArgumentParser
import Descent
import Foundation

/// `descent predict`: predict targets with a saved model.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict targets with a saved model.",
        discussion: """
        Reads a model saved with `descent train --save` (weights and bias in original units) and
        computes X·w + b for every row of --data. CSV data: the model's feature columns are found
        by name in the header (any order, other columns ignored). .npy data: a 2-D array with
        exactly the model's number of features, or one more column (the target, last unless
        --target INDEX). When the target is present, the mean squared error is reported too.
        The predictions go to --output (.csv with a `prediction` header, or a 1-D .npy), written
        atomically; without --output they are printed as CSV. The output may not be the input.

        Examples:
          descent train --data thermometer --normalize scale=0.1 --save model.json
          descent predict --model model.json --data readings.csv --output predictions.csv
          descent predict --model model.json --data x.npy --output predictions.npy --json
        """
    )

    @Option(help: ArgumentHelp("The model file written by `descent train --save`.", valueName: "PATH"))
    var model: String

    @Option(help: ArgumentHelp("The samples: a .csv/.tsv or .npy file.", valueName: "PATH"))
    var data: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Where to write the predictions: PATH.csv or PATH.npy (default: CSV on standard output).", valueName: "PATH"))
    var output: String?

    @Option(help: ArgumentHelp(".npy data with a target column: its 0-based index (default: the last column).", valueName: "INDEX"))
    var target: Int?

    @Option(help: ArgumentHelp("CSV: the field delimiter, one character, or 'tab'.", valueName: "CHAR"))
    var delimiter: String?

    @Option(help: "The precision to compute in: float or double (default: the model's).")
    var precision: PrecisionChoice?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        if let output {
            let lower = output.lowercased()
            guard lower.hasSuffix(".csv") || lower.hasSuffix(".npy") else {
                throw ValidationError("--output must end in .csv or .npy, got '\(output)'")
            }
            for (name, input) in [("--data", data), ("--model", model)] where samePath(output, input) {
                throw ValidationError("--output '\(output)' is the same file as \(name) '\(input)'; refusing to overwrite an input")
            }
        }
        if let delimiter { _ = try DataOptions.delimiterByte(delimiter) }
    }

    func run() throws {
        let saved = try SavedModel.read(from: model)
        let choice = precision ?? (saved.precision == "float32" ? .float : .double)
        try choice.dispatch { try run(saved, $0) }
    }

    private func run<S: BLASScalar>(_ saved: SavedModel, _: S.Type) throws {
        let (features, targets) = try loadFeatures(saved, S.self)
        let predictions = saved.predict(features)
        var mse: Double? = nil
        if let targets {
            var sum = 0.0
            for i in 0..<targets.count { let r = Double(predictions[i]) - Double(targets[i]); sum += r * r }
            mse = sum / Double(max(targets.count, 1))
        }
        if let output {
            if output.lowercased().hasSuffix(".npy") {
                try NPY.write(predictions, to: output)
            } else {
                try CSV.write(predictions, header: "prediction", to: output)
            }
        }
        if outputOptions.json {
            var members: [(String, JSONValue)] = [("model", .string(model)), ("data", .string(data)), ("rows", .integer(predictions.count)),
                                                  ("precision", .string(S.precisionName))]
            members.append(("mean_squared_error", mse.map { .scalar($0) } ?? .null))
            if let output {
                members.append(("output", .string(output)))
            } else {
                members.append(("predictions", .scalars(predictions.array)))
            }
            print(JSONValue.object(members).rendered)
        } else if let output {
            var line = "wrote \(predictions.count) predictions of '\(saved.targetName)' to \(output)"
            if let mse { line += "; mean squared error against the data's target: \(mse)" }
            print(line)
        } else {
            var text = "prediction\n"
            for value in predictions { text += value.description + "\n" }
            print(text, terminator: "")
            if let mse, !outputOptions.quiet { printError("mean squared error against the data's target: \(mse)") }
        }
    }

    /// The model's features from --data, and the target when the file has it.
    private func loadFeatures<S: BLASScalar>(_ saved: SavedModel, _: S.Type) throws -> (Matrix<S>, Vector<S>?) {
        let d = saved.featureCount
        switch try DataOptions.fileKind(data) {
        case .npy:
            let array = try NPY.read(data, as: S.self)
            let matrix: Matrix<S>
            if array.shape.count == 1 && d == 1 {
                matrix = array.matrix
            } else if array.shape.count == 2 {
                matrix = array.matrix
            } else {
                throw DescentError.invalidData(InputLocation(file: data), reason: "expected a 2-D array of \(d) feature columns, found shape \(array.shape)")
            }
            if matrix.columns == d && target == nil { return (matrix, nil) }
            if matrix.columns == d + 1 {
                let index = target ?? d
                let resolved = index < 0 ? d + 1 + index : index
                guard resolved >= 0 && resolved <= d else {
                    throw DescentError.invalidParameter(name: "--target", value: String(index), expected: "a column index below \(d + 1)")
                }
                let dataset = try NPY.loadDataset(data, targetIndex: resolved, as: S.self)
                return (dataset.features, dataset.targets)
            }
            throw DescentError.shapeMismatch("\(data) has \(matrix.columns) columns; the model \(model) expects \(d) features (or \(d + 1) with the target)")
        case .csv:
            let format = CSVFormat(delimiter: try delimiter.map(DataOptions.delimiterByte) ?? (data.lowercased().hasSuffix(".tsv") ? 0x09 : UInt8(ascii: ",")))
            let header = try CSV.readHeader(data, format: format)
            let missing = saved.featureNames.filter { !header.contains($0) }
            if missing.isEmpty {
                if header.contains(saved.targetName) {
                    let dataset = try CSV.loadDataset(data, target: saved.targetName, features: saved.featureNames, format: format, as: S.self)
                    return (dataset.features, dataset.targets)
                }
                return (try CSV.readColumns(data, columns: saved.featureNames, format: format, as: S.self).values, nil)
            }
            // A file without the names (no header): use the columns by position, target last.
            if header.allSatisfy({ $0.hasPrefix("column") }) && (header.count == d || header.count == d + 1) {
                if header.count == d { return (try CSV.readColumns(data, format: format, as: S.self).values, nil) }
                let dataset = try CSV.loadDataset(data, format: format, as: S.self)
                return (dataset.features, dataset.targets)
            }
            throw DescentError.invalidData(InputLocation(file: data, line: 1),
                                           reason: "the model's feature column(s) \(missing.joined(separator: ", ")) are not in the header (\(header.joined(separator: ", ")))")
        }
    }
}

/// Whether two paths name the same file: the same inode when both exist, else the same
/// absolute, normalized path.
func samePath(_ a: String, _ b: String) -> Bool {
    var infoA = stat(), infoB = stat()
    if stat(a, &infoA) == 0, stat(b, &infoB) == 0 {
        return infoA.st_dev == infoB.st_dev && infoA.st_ino == infoB.st_ino
    }
    return URL(fileURLWithPath: a).standardizedFileURL.path == URL(fileURLWithPath: b).standardizedFileURL.path
}
