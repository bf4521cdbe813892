import ArgumentParser
import Descent
import Foundation

/// `descent generate`: write a synthetic linear-regression data set.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic linear-regression data set.",
        discussion: """
        Features are standard normal (correlated with --condition), targets y = X·w + b + noise·ε,
        with true weights and bias uniform in [-1, 1) drawn from the seed. The rows are generated
        in blocks of 4096 on all cores, each block from its own counter-based random stream, so the
        file is the same for any number of threads and equals `--data synthetic` with the same
        --rows/--features/--noise/--seed/--condition/--precision. Memory stays proportional to the
        cores, not the rows. The file is written atomically (temporary file, then rename).

        .npy output: one rows × (features + 1) array, features then target (read it with
        --data PATH); with --labels-output Y.npy the features go to PATH and the targets to Y.npy,
        the layout the trainer memory-maps without any copy (--data PATH --labels Y.npy).
        .csv output: a header x0,…,y and shortest round-trip decimals.

        Examples:
          descent generate --rows 1000000 --features 16 --output data.npy
          descent generate --rows 100000000 --features 4 --precision float --output x.npy --labels-output y.npy
          descent generate --rows 5000 --features 8 --condition 1000 --noise 0 --output ill.csv --json
        """
    )

    @Option(help: ArgumentHelp("The number of rows.", valueName: "N"))
    var rows: Int

    @Option(help: ArgumentHelp("The number of features.", valueName: "D"))
    var features: Int

    @Option(help: ArgumentHelp("The standard deviation of the Gaussian noise on the target.", valueName: "S"))
    var noise: Double = 0.1

    @Option(help: ArgumentHelp("The random seed.", valueName: "K"))
    var seed: UInt64 = 42

    @Option(help: "The precision of the values written: float or double.")
    var precision: PrecisionChoice = .double

    @Option(help: ArgumentHelp("Correlate the features so their matrix has this condition number (σmax/σmin, >= 1; the MSE Hessian's is about its square).", valueName: "C"))
    var condition: Double = 1

    @Option(name: .shortAndLong, help: ArgumentHelp("The file to write: PATH.npy or PATH.csv.", valueName: "PATH"))
    var output: String

    @Option(help: ArgumentHelp(".npy only: write the targets to this separate 1-D .npy file (features only in --output).", valueName: "PATH"))
    var labelsOutput: String?

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1, got \(rows)") }
        guard features >= 1 else { throw ValidationError("--features must be at least 1, got \(features)") }
        guard noise.isFinite, noise >= 0 else { throw ValidationError("--noise must be finite and >= 0, got \(noise)") }
        guard condition.isFinite, condition >= 1 else { throw ValidationError("--condition must be finite and >= 1, got \(condition)") }
        let lower = output.lowercased()
        guard lower.hasSuffix(".npy") || lower.hasSuffix(".csv") else {
            throw ValidationError("--output must end in .npy or .csv, got '\(output)'")
        }
        if let labelsOutput {
            guard lower.hasSuffix(".npy"), labelsOutput.lowercased().hasSuffix(".npy") else {
                throw ValidationError("--labels-output needs .npy paths for both --output and --labels-output")
            }
            guard labelsOutput != output else { throw ValidationError("--labels-output must differ from --output") }
        }
    }

    func run() throws {
        try precision.dispatch { try run($0) }
    }

    private func run<S: BLASScalar>(_: S.Type) throws {
        let generator = try SyntheticGenerator<S>(rows: rows, features: features, noise: noise, seed: seed, condition: condition)
        let bar = FractionBar(label: "generating", enabled: !outputOptions.quiet && isatty(2) != 0)
        let clock = ContinuousClock()
        let start = clock.now
        try generator.write(to: output, labelsPath: labelsOutput, progress: { bar.update($0) })
        bar.finish()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        let bytes = fileSize(output) + (labelsOutput.map(fileSize) ?? 0)
        if outputOptions.json {
            var members: [(String, JSONValue)] = [
                ("output", .string(output)),
                ("rows", .integer(rows)), ("features", .integer(features)),
                ("precision", .string(S.precisionName)), ("noise", .scalar(noise)), ("seed", .string(String(seed))),
                ("condition", .scalar(condition)),
                ("true_weights", .scalars(generator.trueWeights.array)), ("true_bias", .scalar(generator.trueBias)),
                ("bytes", .integer(bytes)), ("seconds", .scalar(seconds)),
            ]
            if let labelsOutput { members.insert(("labels_output", .string(labelsOutput)), at: 1) }
            print(JSONValue.object(members).rendered)
        } else {
            var lines = ["wrote \(output)" + (labelsOutput.map { " and \($0)" } ?? "")
                         + ": \(rows) rows × \(features) features + target, \(S.precisionName), \(humanBytes(bytes)) in \(String(format: "%.2f", seconds)) s"]
            lines.append("true weights: [" + generator.trueWeights.map { $0.description }.joined(separator: ", ") + "]")
            lines.append("true bias:    \(generator.trueBias)")
            lines.append("noise σ = \(noise), seed \(seed)" + (condition > 1 ? ", feature condition number ≈ \(condition)" : ""))
            print(lines.joined(separator: "\n"))
        }
    }
}

/// The size of a file in bytes (0 if it cannot be read).
func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
}

/// Bytes in the largest binary unit that keeps the number at least 1.
func humanBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024, unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
}

/// A progress bar on standard error for work reported as a fraction done: drawn only on a
/// terminal, only after a second, at most ten times a second.
final class FractionBar: @unchecked Sendable {
    private let label: String
    private let enabled: Bool
    private let clock = ContinuousClock()
    private let start: ContinuousClock.Instant
    private var lastDraw: Double = -1
    private var drawn = false
    private let lock = NSLock()

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled
        start = clock.now
    }

    func update(_ fraction: Double) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        guard seconds > 1, seconds - lastDraw >= 0.1 || fraction >= 1 else { return }
        lastDraw = seconds
        let width = 30
        let filled = min(width, Int(fraction * Double(width)))
        let line = "\r\(label) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(Int(fraction * 100))%  \(String(format: "%.1f", seconds)) s"
        printErrorRaw(line)
        drawn = true
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { printErrorRaw("\r\u{1B}[K") }
    }
}

/// Writes text to standard error without a newline.
func printErrorRaw(_ text: String) {
    text.withCString { _ = write(2, $0, strlen($0)) }
}
