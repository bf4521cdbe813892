import Dispatch

/// A synthetic linear-regression problem with known true parameters.
public struct SyntheticProblem<Scalar: BLASScalar>: Sendable {
    /// The generated samples: features, then `y = X·w + b + noise`.
    public var dataset: Dataset<Scalar>
    /// The weights used to make the targets.
    public var trueWeights: Vector<Scalar>
    /// The bias used to make the targets.
    public var trueBias: Scalar
}

/// Generates synthetic linear-regression data from a seed.
public enum SyntheticData {
    /// `rows` samples of `features` standard-normal features, true weights uniform in
    /// [-1, 1), a true bias uniform in [-1, 1), targets `X·w + b` plus Gaussian noise of
    /// standard deviation `noise`. The same seed gives the same data on every machine, in
    /// memory or through `descent generate` (see ``SyntheticGenerator``).
    public static func make<Scalar: BLASScalar>(rows: Int, features: Int, noise: Double = 0.1, seed: UInt64 = 42,
                                                as _: Scalar.Type = Scalar.self) -> SyntheticProblem<Scalar> {
        make(rows: rows, features: features, noise: noise, seed: seed, condition: 1, as: Scalar.self)
    }

    /// Like ``make(rows:features:noise:seed:as:)``, with correlated features whose matrix
    /// has condition number about `condition` (see ``SyntheticGenerator``).
    public static func make<Scalar: BLASScalar>(rows: Int, features: Int, noise: Double, seed: UInt64, condition: Double,
                                                as _: Scalar.Type = Scalar.self) -> SyntheticProblem<Scalar> {
        precondition(rows >= 0 && features >= 1, "SyntheticData.make: needs rows >= 0 and features >= 1, got \(rows) × \(features)")
        precondition(noise.isFinite && noise >= 0 && condition.isFinite && condition >= 1 && (features >= 2 || condition == 1),
                     "SyntheticData.make: invalid noise \(noise) or condition \(condition)")
        let generator = try! SyntheticGenerator<Scalar>(rows: rows, features: features, noise: noise, seed: seed, condition: condition)
        return generator.makeProblem()
    }
}

/// The synthetic data generator behind `descent generate` and `--data synthetic`.
///
/// Counter-based: the rows are cut into blocks of ``blockRows``, and block `k` draws from
/// its own random stream seeded by a hash of `(seed, k)`. Blocks are therefore generated
/// independently on all cores, in any order, in constant memory per block, and the data
/// never depend on the number of threads or on whether they go to memory or to a file.
///
/// Per block: the standard-normal matrix `Z` row by row, then the noise. Features are
/// `X = Z` or, with `condition` C > 1, `X = Z·diag(s)·Vᵀ` with `V` a random orthogonal
/// matrix and `s` log-spaced from 1 down to 1/C: the features are correlated and the
/// population condition number of `X` (σmax/σmin, what `numpy.linalg.cond` reports for
/// many rows) is C — the MSE Hessian's is about C². Targets are `X·w + b + noise·ε`.
/// The true weights and bias (uniform in [-1, 1)) and `V` come from the stream of `seed`.
public struct SyntheticGenerator<Scalar: BLASScalar>: Sendable {
    /// Rows per counter-based block.
    public static var blockRows: Int { 4096 }

    /// The number of rows.
    public let rows: Int
    /// The number of features.
    public let features: Int
    /// The standard deviation of the target noise.
    public let noise: Double
    /// The seed.
    public let seed: UInt64
    /// The requested condition number of the feature matrix (1: independent features).
    public let condition: Double
    /// The weights used to make the targets.
    public let trueWeights: Vector<Scalar>
    /// The bias used to make the targets.
    public let trueBias: Scalar
    /// `diag(s)·Vᵀ` (`features × features`) when `condition > 1`.
    let mixing: Matrix<Scalar>?

    /// Validates the parameters and draws the true weights, bias and mixing matrix.
    public init(rows: Int, features: Int, noise: Double = 0.1, seed: UInt64 = 42, condition: Double = 1) throws {
        guard rows >= 1 else { throw DescentError.invalidParameter(name: "--rows", value: String(rows), expected: "at least 1") }
        guard features >= 1 else { throw DescentError.invalidParameter(name: "--features", value: String(features), expected: "at least 1") }
        guard noise.isFinite, noise >= 0 else { throw DescentError.invalidParameter(name: "--noise", value: String(noise), expected: "a finite value >= 0") }
        guard condition.isFinite, condition >= 1 else {
            throw DescentError.invalidParameter(name: "--condition", value: String(condition), expected: "a finite value >= 1")
        }
        guard condition == 1 || features >= 2 else {
            throw DescentError.invalidParameter(name: "--condition", value: String(condition), expected: "1 with a single feature (correlation needs at least 2)")
        }
        let (count, overflow) = rows.multipliedReportingOverflow(by: features + 1)
        guard !overflow, count <= Int.max / 16 else {
            throw DescentError.invalidParameter(name: "--rows", value: String(rows), expected: "rows × (features + 1) to fit in memory addresses")
        }
        self.rows = rows
        self.features = features
        self.noise = noise
        self.seed = seed
        self.condition = condition
        var generator = SeededGenerator(seed: seed)
        trueWeights = Vector.random(count: features, distribution: .uniform(lower: -1, upper: 1), using: &generator)
        trueBias = Scalar(RandomDistribution.uniform(lower: -1, upper: 1).sample(&generator))
        if condition > 1 {
            mixing = SyntheticGenerator.mixingMatrix(features: features, condition: condition, using: &generator)
        } else {
            mixing = nil
        }
    }

    /// The number of blocks.
    public var blockCount: Int { (rows + Self.blockRows - 1) / Self.blockRows }

    /// The rows of block `block`.
    public func rowRange(ofBlock block: Int) -> Range<Int> {
        let start = block * Self.blockRows
        return start..<min(rows, start + Self.blockRows)
    }

    /// `diag(s)·Vᵀ`: `V` orthogonal (modified Gram–Schmidt on a Gaussian matrix), `s`
    /// log-spaced from 1 to 1/condition.
    static func mixingMatrix(features d: Int, condition: Double, using generator: inout SeededGenerator) -> Matrix<Scalar> {
        var v = [Double](repeating: 0, count: d * d) // columns of V stored as rows: v[j*d + i] = V[i, j]
        for k in 0..<(d * d) { v[k] = generator.nextNormal() }
        for j in 0..<d {
            for previous in 0..<j {
                var dot = 0.0
                for i in 0..<d { dot += v[j * d + i] * v[previous * d + i] }
                for i in 0..<d { v[j * d + i] -= dot * v[previous * d + i] }
            }
            var norm = 0.0
            for i in 0..<d { norm += v[j * d + i] * v[j * d + i] }
            norm = norm.squareRoot()
            for i in 0..<d { v[j * d + i] /= norm }
        }
        // M[j, i] = s_j · V[i, j] = s_j · v[j*d + i]: row j of M is s_j times column j of V.
        return Matrix(rows: d, columns: d) { out in
            for j in 0..<d {
                let s = _powDouble(condition, -Double(j) / Double(d - 1))
                for i in 0..<d { out[j * d + i] = Scalar(s * v[j * d + i]) }
            }
        }
    }

    /// The seed of block `block`'s stream: a 64-bit hash of `(seed, block)`, so streams of
    /// neighbouring blocks and seeds do not overlap.
    static func blockSeed(_ seed: UInt64, _ block: Int) -> UInt64 {
        func mix(_ value: UInt64) -> UInt64 {
            var z = value
            z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
            z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
            return z ^ (z >> 33)
        }
        return mix(mix(seed) ^ (UInt64(block) &* 0x9E37_79B9_7F4A_7C15 &+ 0x632B_E59B_D9B4_E019))
    }

    /// Fills block `block`: its rows' features into `x` (`rows × features`, contiguous),
    /// targets into `y`; `scratch` must hold `blockRows × features` elements when
    /// `condition > 1`. Thread-safe; callers run several blocks at once with OpenBLAS
    /// limited to one thread.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public func fillBlock(_ block: Int, x: UnsafeMutablePointer<Scalar>, y: UnsafeMutablePointer<Scalar>,
                          scratch: UnsafeMutablePointer<Scalar>?) {
        let range = rowRange(ofBlock: block)
        let n = range.count, d = features
        var generator = SeededGenerator(seed: Self.blockSeed(seed, block))
        if let mixing {
            let z = scratch!
            SyntheticGenerator.fillNormals(z, count: n * d, using: &generator)
            BLAS.gemm(.none, .none, m: n, n: d, k: d, alpha: 1, UnsafePointer(z), lda: d,
                      mixing.baseAddress, ldb: d, beta: 0, x, ldc: d)
        } else {
            SyntheticGenerator.fillNormals(x, count: n * d, using: &generator)
        }
        BLAS.gemv(.none, rows: n, columns: d, alpha: 1, UnsafePointer(x), lda: d, trueWeights.baseAddress, 1, beta: 0, y, 1)
        // The noise comes after the features in the block's stream.
        let b = trueBias
        let sigma = noise
        var pending: Double? = nil
        for i in 0..<n {
            let e: Double
            if let next = pending {
                e = next
                pending = nil
            } else {
                let (first, second) = SyntheticGenerator.normalPair(&generator)
                e = first
                pending = second
            }
            y[i] += b + Scalar(sigma * e)
        }
    }

    /// Two independent standard normals (Box–Muller, both outputs).
    @inline(__always)
    static func normalPair(_ generator: inout SeededGenerator) -> (Double, Double) {
        var u1 = generator.nextUnit()
        while u1 <= 0 { u1 = generator.nextUnit() }
        let u2 = generator.nextUnit()
        let r = (-2 * _logDouble(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        return (r * _cosDouble(theta), r * _sinDouble(theta))
    }

    /// `count` standard normals, in pairs.
    static func fillNormals(_ out: UnsafeMutablePointer<Scalar>, count: Int, using generator: inout SeededGenerator) {
        var k = 0
        while k < count {
            let (a, b) = normalPair(&generator)
            out[k] = Scalar(a)
            if k + 1 < count { out[k + 1] = Scalar(b) }
            k += 2
        }
    }

    /// Runs `body(block, x, y)` for every block on all cores, with per-thread scratch
    /// buffers and OpenBLAS limited to one thread; `progress` gets the fraction done.
    func forEachBlock(progress: (@Sendable (Double) -> Void)?,
                      _ body: @Sendable (_ block: Int, _ x: UnsafeMutablePointer<Scalar>, _ y: UnsafeMutablePointer<Scalar>) -> Void) {
        let blocks = blockCount
        let workers = min(blocks, dataThreadCount * 4)
        let done = ProgressCounter(total: blocks, report: progress)
        let d = features
        BLAS.withThreadCount(1) {
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let x = UnsafeMutablePointer<Scalar>.allocate(capacity: Self.blockRows * d)
                let y = UnsafeMutablePointer<Scalar>.allocate(capacity: Self.blockRows)
                defer { x.deallocate(); y.deallocate() }
                var block = worker
                while block < blocks {
                    body(block, x, y)
                    done.increment()
                    block += workers
                }
            }
        }
    }

    /// The whole data set in memory (blocks generated in parallel straight into place).
    public func makeProblem() -> SyntheticProblem<Scalar> {
        let d = features
        let x = Matrix<Scalar>(rows: rows, columns: d, unsafeUninitializedWith: { _ in })
        let y = Vector<Scalar>(unsafeUninitializedCount: rows) { _ in }
        let xOut = SendablePointer(x.baseAddress)
        let yOut = SendablePointer(y.baseAddress)
        let needsScratch = mixing != nil
        forEachBlock(progress: nil) { block, scratch, _ in
            let start = rowRange(ofBlock: block).lowerBound
            fillBlock(block, x: xOut.pointer + start * d, y: yOut.pointer + start, scratch: needsScratch ? scratch : nil)
        }
        return SyntheticProblem(dataset: Dataset(features: x, targets: y, source: "synthetic"),
                                trueWeights: trueWeights, trueBias: trueBias)
    }

    // MARK: Files

    /// Writes the data set to `path` (`.npy`: one `rows × (features + 1)` array, features
    /// then target; `.csv`: a header `x0,…,y` and one row per sample), atomically, in
    /// blocks on all cores, in memory proportional to the cores not to the rows.
    ///
    /// With `labelsPath` (`.npy` only) the features go to `path` as `rows × features` and
    /// the targets to `labelsPath` as a 1-D array: the layout the `.npy` reader maps
    /// without a copy.
    public func write(to path: String, labelsPath: String? = nil, progress: (@Sendable (Double) -> Void)? = nil) throws {
        if path.lowercased().hasSuffix(".npy") {
            if let labelsPath {
                guard labelsPath.lowercased().hasSuffix(".npy") else {
                    throw DescentError.invalidParameter(name: "--labels-output", value: labelsPath, expected: "a .npy path")
                }
                try AtomicFile.write(to: labelsPath) { labels in
                    try AtomicFile.write(to: path) { featureFile in
                        try writeNPY(featureFile, labels: labels, progress: progress)
                    }
                }
            } else {
                try AtomicFile.write(to: path) { try writeNPY($0, labels: nil, progress: progress) }
            }
        } else if path.lowercased().hasSuffix(".csv") {
            guard labelsPath == nil else {
                throw DescentError.invalidParameter(name: "--labels-output", value: labelsPath!, expected: "only with a .npy output")
            }
            try AtomicFile.write(to: path) { try writeCSV($0, progress: progress) }
        } else {
            throw DescentError.invalidParameter(name: "--output", value: path, expected: "a path ending in .npy or .csv")
        }
    }

    private func writeNPY(_ featureFile: AtomicFileWriter, labels: AtomicFileWriter?, progress: (@Sendable (Double) -> Void)?) throws {
        let d = features
        let width = labels == nil ? d + 1 : d
        let header = NPY.header(for: Scalar.self, shape: [rows, width])
        let stride = MemoryLayout<Scalar>.stride
        try featureFile.write(header)
        try featureFile.resize(to: header.count + rows * width * stride)
        var labelHeader: [UInt8] = []
        if let labels {
            labelHeader = NPY.header(for: Scalar.self, shape: [rows])
            try labels.write(labelHeader)
            try labels.resize(to: labelHeader.count + rows * stride)
        }
        let failure = FirstFailure()
        let needsScratch = mixing != nil
        let labelOffset = labelHeader.count
        forEachBlock(progress: progress) { block, x, y in
            let range = rowRange(ofBlock: block)
            let n = range.count
            // Features then target, interleaved per row unless the labels go to their own file.
            let rowBytes = width * stride
            let staging = UnsafeMutablePointer<Scalar>.allocate(capacity: n * (d + 1) + (needsScratch ? n * d : 0))
            defer { staging.deallocate() }
            let scratch = needsScratch ? staging + n * (d + 1) : nil
            if labels == nil {
                fillBlock(block, x: x, y: y, scratch: scratch)
                for i in 0..<n {
                    (staging + i * (d + 1)).update(from: x + i * d, count: d)
                    staging[i * (d + 1) + d] = y[i]
                }
            } else {
                fillBlock(block, x: staging, y: y, scratch: scratch)
            }
            do {
                try featureFile.write(UnsafeRawBufferPointer(start: staging, count: n * rowBytes),
                                   atOffset: header.count + range.lowerBound * rowBytes)
                if let labels {
                    try labels.write(UnsafeRawBufferPointer(start: y, count: n * stride), atOffset: labelOffset + range.lowerBound * stride)
                }
            } catch {
                failure.record(error)
            }
        }
        if let error = failure.error { throw error }
    }

    private func writeCSV(_ writer: AtomicFileWriter, progress: (@Sendable (Double) -> Void)?) throws {
        let d = features
        try writer.write(CSV.headerLine((0..<d).map { "x\($0)" } + ["y"]))
        let blocks = blockCount
        let wave = max(1, dataThreadCount * 2)
        let needsScratch = mixing != nil
        var first = 0
        while first < blocks {
            let count = min(wave, blocks - first)
            let texts = TextBlocks(count: count)
            let start = first
            BLAS.withThreadCount(1) {
                DispatchQueue.concurrentPerform(iterations: count) { k in
                    let block = start + k
                    let n = rowRange(ofBlock: block).count
                    let x = UnsafeMutablePointer<Scalar>.allocate(capacity: n * (d + 1) + (needsScratch ? n * d : 0))
                    defer { x.deallocate() }
                    let y = x + n * d
                    fillBlock(block, x: x, y: y, scratch: needsScratch ? y + n : nil)
                    var bytes: [UInt8] = []
                    bytes.reserveCapacity(n * (d + 1) * 20)
                    for i in 0..<n {
                        for j in 0..<d {
                            CSV.appendNumber(x[i * d + j], to: &bytes)
                            bytes.append(UInt8(ascii: ","))
                        }
                        CSV.appendNumber(y[i], to: &bytes)
                        bytes.append(0x0A)
                    }
                    texts.store(k, bytes)
                }
            }
            for bytes in texts.take() { try writer.write(bytes) }
            first += count
            progress?(Double(first) / Double(blocks))
        }
    }
}

/// Counts finished blocks and reports the fraction done (throttled to whole percents).
final class ProgressCounter: @unchecked Sendable {
    private let total: Int
    private let report: (@Sendable (Double) -> Void)?
    private var done = 0
    private var lastPercent = -1
    private let lock = Lock()

    init(total: Int, report: (@Sendable (Double) -> Void)?) {
        self.total = total
        self.report = report
    }

    func increment() {
        guard let report else { return }
        let percent: Int? = lock.withLock {
            done += 1
            let percent = done * 100 / max(total, 1)
            if percent == lastPercent { return nil }
            lastPercent = percent
            return percent
        }
        if let percent { report(Double(percent) / 100) }
    }
}

/// The first error thrown by any of several threads.
final class FirstFailure: @unchecked Sendable {
    private var stored: (any Error)?
    private let lock = Lock()

    func record(_ error: any Error) { lock.withLock { if stored == nil { stored = error } } }
    var error: (any Error)? { lock.withLock { stored } }
}

/// Byte buffers produced by several threads, collected in order.
final class TextBlocks: @unchecked Sendable {
    private var blocks: [[UInt8]]
    private let lock = Lock()

    init(count: Int) { blocks = Array(repeating: [], count: count) }
    func store(_ index: Int, _ bytes: [UInt8]) { lock.withLock { blocks[index] = bytes } }
    func take() -> [[UInt8]] { lock.withLock { blocks } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _sinDouble(_ x: Double) -> Double { sin(x) }
@inline(__always) func _powDouble(_ x: Double, _ y: Double) -> Double { pow(x, y) }
