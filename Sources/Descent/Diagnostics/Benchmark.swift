import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Median, minimum and maximum of repeated timings, in seconds.
public struct TimingStatistics: Sendable, Equatable {
    /// The median sample (the mean of the two middle ones for an even count).
    public var median: Double
    /// The fastest sample.
    public var min: Double
    /// The slowest sample.
    public var max: Double
    /// Every sample, in the order measured.
    public var samples: [Double]

    /// Statistics of `samples` (at least one).
    public init(samples: [Double]) {
        precondition(!samples.isEmpty, "TimingStatistics needs at least one sample")
        let sorted = samples.sorted()
        let middle = sorted.count / 2
        self.median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        self.min = sorted[0]
        self.max = sorted[sorted.count - 1]
        self.samples = samples
    }
}

/// What ``KernelBenchmark/run(_:options:progress:)`` measures and how often.
public struct BenchmarkOptions: Sendable, Equatable {
    /// Timed samples per measurement (after one untimed warm-up); medians are over these.
    public var repeats: Int = 5
    /// Epochs per timed epoch sample; the sample is their total divided by this number.
    public var epochsPerSample: Int = 1
    /// Mini-batch sizes for the samples/s measurement (empty: skip it); each trains
    /// `repeats + 1` epochs and reports the median epoch after the first.
    public var batchSizes: [Int] = [1, 32, 256, 4096]
    /// At most this many rows (a zero-copy prefix of the data) are used for the mini-batch
    /// measurement, so batch 1 on 10⁷ rows stays a few seconds.
    public var minibatchRows: Int = 1_000_000
    /// Closed-form methods to time (empty: skip them).
    public var solveMethods: [LeastSquaresMethod] = LeastSquaresMethod.allCases
    /// Timed samples per closed-form method (they are slow on large data).
    public var solveRepeats: Int = 3

    /// The defaults.
    public init() {}

    /// Throws ``DescentError/invalidParameter(name:value:expected:)`` for counts below 1.
    public func validate() throws {
        guard repeats >= 1 else { throw DescentError.invalidParameter(name: "repeats", value: "\(repeats)", expected: "at least 1") }
        guard epochsPerSample >= 1 else { throw DescentError.invalidParameter(name: "epochs", value: "\(epochsPerSample)", expected: "at least 1") }
        guard minibatchRows >= 1 else { throw DescentError.invalidParameter(name: "minibatch rows", value: "\(minibatchRows)", expected: "at least 1") }
        guard solveRepeats >= 1 else { throw DescentError.invalidParameter(name: "solve repeats", value: "\(solveRepeats)", expected: "at least 1") }
        for size in batchSizes where size < 1 {
            throw DescentError.invalidParameter(name: "batch size", value: "\(size)", expected: "at least 1")
        }
    }
}

/// The measurements of one ``KernelBenchmark`` run.
public struct BenchmarkReport: Sendable {
    /// Rows `n` of the data.
    public var rows: Int
    /// Features `d`.
    public var features: Int
    /// `"float32"` or `"float64"`.
    public var precision: String
    /// OpenBLAS threads during the run.
    public var threads: Int
    /// `openblas_get_config()`.
    public var openblas: String
    /// The core kernels OpenBLAS picked (e.g. `"Haswell"`; see `OPENBLAS_CORETYPE`).
    public var coreName: String
    /// The instruction set Descent's own C kernels run with (``NativeKernels/instructionSet``).
    public var nativeKernels: String
    /// One full-batch epoch through the engine's fused kernel (`meanSquaredErrorGradient`).
    public var fusedEpoch: TimingStatistics
    /// One full-batch epoch as two full `gemv` passes (`r = Xw + b − y`, `g = Xᵀr`), like NumPy.
    public var twoGemvEpoch: TimingStatistics
    /// One full-batch epoch on the Gram path: O(d²) from XᵀX, Xᵀy and the sums.
    public var gramEpoch: TimingStatistics
    /// The one-time Gram set-up (one pass of the shifted Gram kernel over X; `syrk` for d ≥ 128).
    public var gramSetup: TimingStatistics
    /// One streaming read of X (a SIMD sum over all its elements on every core): the
    /// memory-bandwidth limit for any full-batch epoch.
    public var readPass: TimingStatistics
    /// Bytes of X divided by the median read-pass time.
    public var readBandwidthBytesPerSecond: Double
    /// Mini-batch training throughput by batch size: rows / seconds of one epoch (reshuffle
    /// and steps), the median over the epochs of one training run after its first (the first
    /// carries the run's set-up and page faults; see ``minibatchEpochs``).
    public var minibatchSamplesPerSecond: [(batchSize: Int, samplesPerSecond: Double)]
    /// The same epochs' rows per CPU-second of the whole process (every thread): less
    /// sensitive than wall time to other processes sharing the cores.
    public var minibatchSamplesPerCPUSecond: [(batchSize: Int, samplesPerSecond: Double)]
    /// Epochs per mini-batch training run; the median is over all but the first.
    public var minibatchEpochs: Int
    /// The rows the mini-batch measurement used.
    public var minibatchRows: Int
    /// Closed-form solve time by method.
    public var solveSeconds: [(method: LeastSquaresMethod, seconds: TimingStatistics)]
    /// Fused-epoch median over read-pass median.
    public var ratioToReadPass: Double { fusedEpoch.median / readPass.median }
}

/// Measures the engine's kernels on one data set: epoch time by kernel against a streaming
/// read of the same X (measured in the same run, interleaved), mini-batch throughput and
/// the closed-form solvers. The engine never prints; stages are reported through `progress`.
public enum KernelBenchmark {
    /// Runs every measurement on `dataset`.
    ///
    /// - Throws: ``DescentError`` for invalid options or a failing solver or trainer.
    public static func run<S: BLASScalar>(_ dataset: Dataset<S>, options: BenchmarkOptions = BenchmarkOptions(),
                                          progress: ((String) -> Void)? = nil) throws -> BenchmarkReport {
        try options.validate()
        let x = dataset.features, y = dataset.targets
        let (n, d) = (x.rows, x.columns)
        guard n >= 1, d >= 1 else {
            throw DescentError.invalidData(InputLocation(file: dataset.source), reason: "benchmarking needs at least one row and one feature, got \(n) × \(d)")
        }
        let threads = max(1, BLAS.threadCount)

        // Weights away from zero so no kernel can shortcut; the values do not matter.
        var generator = SeededGenerator(seed: 7)
        let weights = Vector<S>.random(count: d, distribution: .uniform(lower: -1, upper: 1), using: &generator)
        let bias = S(0.25)

        // Every buffer is allocated once, here, outside the timed regions.
        let workspace = GradientWorkspace<S>(featureCount: d, threads: threads)
        var fusedGradient = Vector<S>(zeros: d)
        var residual = Vector<S>(zeros: n)
        var naiveGradient = Vector<S>(zeros: d)
        let readPartials = AlignedStorage<Double>(zeroedCount: threads * 8)  // a cache line per thread
        var sink = 0.0

        progress?("Gram set-up (shifted Gram kernel pass over X)")
        // The trainer's Gram path (`--gradient gram`): statistics once, then its per-epoch call.
        var gram = MeanSquaredErrorStatistics(features: x, targets: y, threads: threads)
        var gramSetupSamples: [Double] = []
        for _ in 0..<min(options.repeats, 3) {
            gramSetupSamples.append(seconds { gram = MeanSquaredErrorStatistics(features: x, targets: y, threads: threads) })
        }
        var gramParameters = Vector<S>(zeros: d + 1)
        for j in 0..<d { gramParameters[j] = weights[j] }
        gramParameters[d] = bias
        var gramGradient = Vector<S>(zeros: d + 1)
        let gramScratch = AlignedStorage<Double>(zeroedCount: 3 * (d + 1))

        func fused() {
            let result = meanSquaredErrorGradient(features: x, targets: y, weights: weights, bias: bias,
                                                  weightsGradient: &fusedGradient, workspace: workspace)
            sink += Double(result.loss)
        }
        func twoGemv() {
            // r ← y, then r ← X·w − r, then r += b, then g ← (2/n)·Xᵀr: two full passes over X.
            residual.withUnsafeMutableBufferPointer { r in
                BLAS.copy(n, y.baseAddress, 1, r.baseAddress!, 1)
                BLAS.gemv(.none, rows: n, columns: d, alpha: 1, x.baseAddress, lda: d, weights.baseAddress, 1, beta: -1, r.baseAddress!, 1)
                addConstant(bias, to: r.baseAddress!, count: n)
                naiveGradient.withUnsafeMutableBufferPointer { g in
                    BLAS.gemv(.transposed, rows: n, columns: d, alpha: 2 / S(n), x.baseAddress, lda: d, r.baseAddress!, 1, beta: 0, g.baseAddress!, 1)
                }
            }
            sink += Double(naiveGradient[0])
        }
        func gramEpoch() {
            sink += gramGradient.withUnsafeMutableBufferPointer { g in
                gramLossAndGradient(gram, gramParameters.baseAddress, l2: 0, gradient: g.baseAddress!, scratch: gramScratch.pointer).loss
            }
        }
        func readPass() {
            sink += x.withUnsafeBufferPointer { streamingSum($0, threads: threads, partials: readPartials.pointer) }
        }

        progress?("epochs: fused, two-gemv, Gram, read pass (interleaved, \(options.repeats) repeats)")
        let kernels: [() -> Void] = [fused, twoGemv, gramEpoch, readPass]
        for kernel in kernels { kernel() }  // warm-up: page in X, start OpenBLAS's threads
        var samples = [[Double]](repeating: [], count: kernels.count)
        for _ in 0..<options.repeats {
            for (k, kernel) in kernels.enumerated() {
                let total = seconds { for _ in 0..<options.epochsPerSample { kernel() } }
                samples[k].append(total / Double(options.epochsPerSample))
            }
        }
        let readPassStatistics = TimingStatistics(samples: samples[3])

        var minibatch: [(batchSize: Int, samplesPerSecond: Double)] = []
        var minibatchCPU: [(batchSize: Int, samplesPerSecond: Double)] = []
        let batchRows = min(n, options.minibatchRows)
        let minibatchEpochs = options.repeats + 1
        if !options.batchSizes.isEmpty {
            let prefix = batchRows == n ? dataset : dataset.rows(0..<batchRows)
            for batchSize in options.batchSizes {
                progress?("mini-batch SGD, batch \(batchSize), \(batchRows) rows, \(minibatchEpochs) epochs")
                var configuration = TrainingConfiguration()
                configuration.learningRate = 1e-4
                configuration.epochs = minibatchEpochs
                configuration.batchSize = batchSize
                configuration.divergenceFactor = .infinity
                configuration.gradientTolerance = 0
                let trainer = try Trainer<S>(configuration)
                // One run; the trainer reports the elapsed time after every epoch, so each
                // epoch's time is the difference of consecutive reports (the reports cost
                // nothing measurable). The first epoch is dropped: it carries the set-up.
                var ends: [Double] = [], cpuEnds: [Double] = [processCPUSeconds()]
                _ = try trainer.train(prefix) {
                    ends.append($0.elapsedSeconds)
                    cpuEnds.append(processCPUSeconds())
                }
                cpuEnds.removeFirst()
                func rates(_ times: [Double]) -> Double {
                    let samples = (1..<times.count).map { Double(batchRows) / (times[$0] - times[$0 - 1]) }
                    return TimingStatistics(samples: samples.isEmpty ? [Double(batchRows) / times[0]] : samples).median
                }
                minibatch.append((batchSize, rates(ends)))
                minibatchCPU.append((batchSize, rates(cpuEnds)))
            }
        }

        var solves: [(method: LeastSquaresMethod, seconds: TimingStatistics)] = []
        for method in options.solveMethods {
            progress?("closed form: \(method.rawValue)")
            var times: [Double] = []
            for _ in 0..<options.solveRepeats {
                times.append(try seconds { sink += Double(try LeastSquaresSolver.solve(dataset, method: method).bias) })
            }
            solves.append((method, TimingStatistics(samples: times)))
        }
        keepAlive(sink)

        return BenchmarkReport(
            rows: n, features: d, precision: S.precisionName, threads: threads,
            openblas: BLAS.configuration, coreName: BLAS.coreName, nativeKernels: NativeKernels.instructionSet,
            fusedEpoch: TimingStatistics(samples: samples[0]), twoGemvEpoch: TimingStatistics(samples: samples[1]),
            gramEpoch: TimingStatistics(samples: samples[2]), gramSetup: TimingStatistics(samples: gramSetupSamples),
            readPass: readPassStatistics,
            readBandwidthBytesPerSecond: Double(n * d * MemoryLayout<S>.stride) / readPassStatistics.median,
            minibatchSamplesPerSecond: minibatch, minibatchSamplesPerCPUSecond: minibatchCPU, minibatchEpochs: minibatchEpochs, minibatchRows: batchRows, solveSeconds: solves)
    }

    /// Wall-clock seconds of `body`.
    public static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        let elapsed = clock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}

// MARK: - Kernels measured here

/// r ← r + c elementwise.
@_specialize(where S == Float)
@_specialize(where S == Double)
func addConstant<S: BLASScalar>(_ c: S, to r: UnsafeMutablePointer<S>, count: Int) {
    for i in 0..<count { r[i] += c }
}

/// A read-only pointer for the `@Sendable` worker closures; each worker reads a disjoint range.
private struct ReadOnlyPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
}

/// A pointer to per-thread result slots, one cache line apart so the workers do not share lines.
private struct PartialsPointer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
}

/// The sum of a buffer read once, split into one contiguous range per thread of the
/// ``WorkerPool``, each summed
/// with four 64-byte SIMD accumulators (enough loads in flight to saturate memory).
/// `partials` has room for `threads × 8` doubles.
@_specialize(where S == Float)
@_specialize(where S == Double)
func streamingSum<S: BLASScalar>(_ buffer: UnsafeBufferPointer<S>, threads: Int, partials: UnsafeMutablePointer<Double>) -> Double {
    let count = buffer.count
    guard count > 0, let start = buffer.baseAddress else { return 0 }
    let source = ReadOnlyPointer(base: start), slots = PartialsPointer(base: partials)
    let workers = max(1, min(threads, count / 4096))
    let chunk = (count + workers - 1) / workers
    let body: @Sendable (Int) -> Void = { t in
        let lower = t * chunk, upper = min(count, lower + chunk)
        slots.base[t * 8] = lower < upper ? sumRange(source.base + lower, count: upper - lower) : 0
    }
    // The same persistent pool as the epoch kernels. Through `concurrentPerform` the read pass
    // flipped between two speeds about 2× apart from one run to the next (as if both ranges
    // sometimes ran on one thread), flattering every ratio to it in the slow runs.
    if workers == 1 { body(0) } else { WorkerPool.shared.run(tasks: workers, threads: workers) { task, _ in body(task) } }
    var total = 0.0
    for t in 0..<workers { total += partials[t * 8] }
    return total
}

@_specialize(where S == Float)
@_specialize(where S == Double)
@inline(__always)
func sumRange<S: BLASScalar>(_ p: UnsafePointer<S>, count: Int) -> Double {
    typealias Lanes = SIMD16<S>  // 64 bytes of Float; two loads' worth of Double
    let width = Lanes.scalarCount
    var a0 = Lanes(), a1 = Lanes(), a2 = Lanes(), a3 = Lanes()
    let raw = UnsafeRawPointer(p)
    let stride = MemoryLayout<S>.stride
    var i = 0
    while i + 4 * width <= count {
        a0 += raw.loadUnaligned(fromByteOffset: i * stride, as: Lanes.self)
        a1 += raw.loadUnaligned(fromByteOffset: (i + width) * stride, as: Lanes.self)
        a2 += raw.loadUnaligned(fromByteOffset: (i + 2 * width) * stride, as: Lanes.self)
        a3 += raw.loadUnaligned(fromByteOffset: (i + 3 * width) * stride, as: Lanes.self)
        i += 4 * width
    }
    var total = Double(((a0 + a1) + (a2 + a3)).sum())
    while i < count { total += Double(p[i]); i += 1 }
    return total
}

/// CPU seconds used so far by every thread of this process.
func processCPUSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
}

/// Keeps a value alive so the optimizer cannot drop the work that made it.
@inline(never)
func keepAlive<T>(_ value: T) { _ = value }
