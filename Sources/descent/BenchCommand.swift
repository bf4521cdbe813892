import ArgumentParser
import Descent
import Foundation

/// `descent bench`: measure epoch, mini-batch and solver speed on synthetic data or a file.
///
/// The measurements live in the engine (``KernelBenchmark``); this command parses, loads or
/// generates the data, sets the thread count, and prints.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure epoch, mini-batch and solver speed on synthetic data.",
        discussion: """
        Reports median and min-max over repeats of: one full-batch epoch by kernel (fused, \
        naive two-gemv, Gram), a streaming read of the same X (the memory-bandwidth limit, \
        measured in the same run), mini-batch SGD samples/s, each closed-form method, and the \
        OpenBLAS build and threads. Kernels are interleaved within each repeat.
        Mini-batch samples/s (JSON minibatch_samples_per_second, by batch size): one training \
        run of R + 1 epochs (R = --repeats) on the first --minibatch-rows rows; each epoch's \
        rows divided by its time (reshuffle and every step; not the run's set-up), the median \
        over the epochs after the first; minibatch_samples_per_cpu_second divides by the \
        process's CPU time instead (all threads; steadier on a shared machine).

        Example: descent bench --rows 4000000 --features 32 --precision double --json
        """
    )

    @Option(help: ArgumentHelp("Synthetic rows (ignored with --data).", valueName: "N"))
    var rows: Int = 1_000_000

    @Option(help: ArgumentHelp("Synthetic features (ignored with --data).", valueName: "D"))
    var features: Int = 16

    @Option(help: ArgumentHelp("float or double (default: double, or the file's type with --data).", valueName: "float|double"))
    var precision: PrecisionChoice?

    @Option(help: ArgumentHelp("OpenBLAS threads (default: OpenBLAS's own choice).", valueName: "T"))
    var threads: Int?

    @Option(help: ArgumentHelp("Epochs per timed sample (the reported time is per epoch).", valueName: "E"))
    var epochs: Int = 1

    @Option(help: ArgumentHelp("Timed repeats per measurement (medians are over these).", valueName: "R"))
    var repeats: Int = 5

    @Option(help: ArgumentHelp("A .npy file to read instead of generating data (target = last column unless --labels).", valueName: "PATH"))
    var data: String?

    @Option(help: ArgumentHelp("A separate 1-D .npy file of targets for --data.", valueName: "PATH"))
    var labels: String?

    @Option(help: ArgumentHelp("Mini-batch sizes, comma-separated ('none' to skip).", valueName: "B,B,..."))
    var batchSizes: String = "1,32,256,4096"

    @Option(help: ArgumentHelp("At most this many rows for the mini-batch measurement.", valueName: "N"))
    var minibatchRows: Int = 1_000_000

    @Option(help: ArgumentHelp("Closed-form methods to time, comma-separated ('none' to skip).", valueName: "auto,normal,qr,svd"))
    var methods: String = "auto,normal,qr,svd"

    @Option(help: ArgumentHelp("Synthetic data seed.", valueName: "K"))
    var seed: UInt64 = 42

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard rows >= 1 else { throw ValidationError("--rows must be at least 1, got \(rows)") }
        guard features >= 1 else { throw ValidationError("--features must be at least 1, got \(features)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, got \(repeats)") }
        guard minibatchRows >= 1 else { throw ValidationError("--minibatch-rows must be at least 1, got \(minibatchRows)") }
        if labels != nil, data == nil { throw ValidationError("--labels needs --data") }
        _ = try parsedBatchSizes()
        _ = try parsedMethods()
    }

    func parsedBatchSizes() throws -> [Int] {
        if batchSizes == "none" { return [] }
        return try batchSizes.split(separator: ",").map { text in
            guard let size = Int(text.trimmingCharacters(in: .whitespaces)), size >= 1 else {
                throw ValidationError("--batch-sizes: '\(text)' is not a whole number >= 1")
            }
            return size
        }
    }

    func parsedMethods() throws -> [LeastSquaresMethod] {
        if methods == "none" { return [] }
        return try methods.split(separator: ",").map { text in
            guard let method = LeastSquaresMethod(rawValue: text.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--methods: '\(text)' is not one of auto, normal, qr, svd")
            }
            return method
        }
    }

    func run() throws {
        if let threads { BLAS.threadCount = threads }
        let choice: PrecisionChoice
        if let precision {
            choice = precision
        } else if let data {
            choice = try NPY.readHeader(data).elementType == .float32 ? .float : .double
        } else {
            choice = .double
        }
        try choice.dispatch { type in try run(type) }
    }

    private func run<S: BLASScalar>(_: S.Type) throws {
        let log: ((String) -> Void)? = output.json || output.quiet ? nil : { printError("bench: \($0)") }
        var generationSeconds: Double?
        let dataset: Dataset<S>
        if let data {
            log?("reading \(data)")
            dataset = try NPY.loadDataset(data, labelsPath: labels, as: S.self)
        } else {
            log?("generating \(rows) × \(features) \(S.precisionName)")
            var problem: SyntheticProblem<S>?
            generationSeconds = KernelBenchmark.seconds {
                problem = SyntheticData.make(rows: rows, features: features, noise: 0.1, seed: seed, as: S.self)
            }
            dataset = problem!.dataset
        }
        var options = BenchmarkOptions()
        options.repeats = repeats
        options.epochsPerSample = epochs
        options.batchSizes = try parsedBatchSizes()
        options.minibatchRows = minibatchRows
        options.solveMethods = try parsedMethods()
        let report = try KernelBenchmark.run(dataset, options: options, progress: log)
        if output.json {
            print(json(report, generationSeconds: generationSeconds, source: data).rendered)
        } else {
            print(text(report, generationSeconds: generationSeconds, source: data))
        }
    }

    private func json(_ report: BenchmarkReport, generationSeconds: Double?, source: String?) -> JSONValue {
        func stats(_ s: TimingStatistics) -> JSONValue {
            .object([("median", .scalar(s.median)), ("min", .scalar(s.min)), ("max", .scalar(s.max))])
        }
        return .object([
            ("rows", .integer(report.rows)),
            ("features", .integer(report.features)),
            ("precision", .string(report.precision)),
            ("threads", .integer(report.threads)),
            ("openblas", .string(report.openblas)),
            ("openblas_core", .string(report.coreName)),
            ("native_kernels", .string(report.nativeKernels)),
            ("data", source.map { .string($0) } ?? .string("synthetic")),
            ("epoch_seconds", .object([
                ("fused", stats(report.fusedEpoch)),
                ("two_gemv", stats(report.twoGemvEpoch)),
                ("gram", stats(report.gramEpoch)),
            ])),
            ("gram_setup_seconds", stats(report.gramSetup)),
            ("read_pass_seconds", stats(report.readPass)),
            ("read_bandwidth_gb_per_second", .scalar(report.readBandwidthBytesPerSecond / 1e9)),
            ("ratio_to_read_pass", .scalar(report.ratioToReadPass)),
            ("minibatch_rows", .integer(report.minibatchRows)),
            ("minibatch_epochs", .integer(report.minibatchEpochs)),
            ("minibatch_measure", .string("median per-epoch samples/s (reshuffle + steps) over epochs 2...\(report.minibatchEpochs) of one run")),
            ("minibatch_samples_per_second", .object(report.minibatchSamplesPerSecond.map { ("\($0.batchSize)", .scalar($0.samplesPerSecond)) })),
            ("minibatch_samples_per_cpu_second", .object(report.minibatchSamplesPerCPUSecond.map { ("\($0.batchSize)", .scalar($0.samplesPerSecond)) })),
            ("solve_seconds", .object(report.solveSeconds.map { ($0.method.rawValue, stats($0.seconds)) })),
            ("generation_seconds", generationSeconds.map { .scalar($0) } ?? .null),
        ])
    }

    private func text(_ report: BenchmarkReport, generationSeconds: Double?, source: String?) -> String {
        func ms(_ s: TimingStatistics) -> String {
            "\(fixed(s.median * 1e3, 3)) ms  (min \(fixed(s.min * 1e3, 3)), max \(fixed(s.max * 1e3, 3)))"
        }
        var lines: [String] = []
        lines.append("data: \(source ?? "synthetic") — \(report.rows) × \(report.features) \(report.precision)")
        lines.append("OpenBLAS: \(report.openblas) (core \(report.coreName)), threads \(report.threads)")
        lines.append("Descent's C kernels: \(report.nativeKernels)")
        if let generationSeconds { lines.append("generation:        \(fixed(generationSeconds, 3)) s") }
        lines.append("one epoch, median over \(report.fusedEpoch.samples.count) interleaved repeats:")
        lines.append("  read pass of X   \(ms(report.readPass))  = \(fixed(report.readBandwidthBytesPerSecond / 1e9, 1)) GB/s")
        lines.append("  fused            \(ms(report.fusedEpoch))  = \(fixed(report.ratioToReadPass, 2))× read pass")
        lines.append("  two gemv         \(ms(report.twoGemvEpoch))  = \(fixed(report.twoGemvEpoch.median / report.readPass.median, 2))× read pass")
        lines.append("  Gram (O(d²))     \(ms(report.gramEpoch))  after a set-up of \(ms(report.gramSetup))")
        if !report.minibatchSamplesPerSecond.isEmpty {
            lines.append("mini-batch SGD on \(report.minibatchRows) rows, reshuffling included (median epoch of \(report.minibatchEpochs - 1) after the first):")
            for ((batch, rate), (_, cpuRate)) in zip(report.minibatchSamplesPerSecond, report.minibatchSamplesPerCPUSecond) {
                lines.append("  batch \(pad(String(batch), 5))      \(fixed(rate / 1e6, 2)) M samples/s   (\(fixed(cpuRate / 1e6, 2)) M per CPU-second)")
            }
        }
        if !report.solveSeconds.isEmpty {
            lines.append("closed form:")
            for (method, seconds) in report.solveSeconds {
                lines.append("  \(pad(method.rawValue, 7))          \(ms(seconds))")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// `value` with `digits` decimals.
private func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

/// `text` left-aligned in `width` characters.
private func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(0, width - text.count)) }
