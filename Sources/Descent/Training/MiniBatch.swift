internal import CBLAS

/// A row index of the mini-batch visiting order: `UInt32` when the rows fit (half the memory
/// and half the cache traffic of `Int`), `Int` otherwise. The kernels are generic over it.
protocol ShuffleIndex: FixedWidthInteger, Sendable {}
extension UInt32: ShuffleIndex {}
extension Int: ShuffleIndex {}

/// The order in which an epoch of mini-batches visits the rows: a permutation of `0..<n`,
/// reshuffled in place every epoch (each epoch's shuffle starts from the previous order, as a
/// checkpoint records it). Stored as `UInt32` when `n < 2³²`, else `Int`.
struct ShuffleOrder: Sendable {
    private enum Storage: Sendable {
        case narrow([UInt32])
        case wide([Int])
    }
    private var storage: Storage

    /// The identity order `0..<count`.
    init(count: Int) {
        storage = count < 1 << 32 ? .narrow((0..<count).map { UInt32(truncatingIfNeeded: $0) }) : .wide(Array(0..<count))
    }

    /// An order saved by a checkpoint (as `Int`s).
    init(restoring indices: [Int]) {
        storage = indices.count < 1 << 32 ? .narrow(indices.map { UInt32(truncatingIfNeeded: $0) }) : .wide(indices)
    }

    /// The number of rows.
    var count: Int {
        switch storage {
        case .narrow(let indices): return indices.count
        case .wide(let indices): return indices.count
        }
    }

    /// The order as `Int`s (what a checkpoint stores).
    var indices: [Int] {
        switch storage {
        case .narrow(let indices): return indices.map { Int($0) }
        case .wide(let indices): return indices
        }
    }

    /// Shuffles the order with `generator` (see ``MiniBatchKernel/shuffle(_:count:generator:)``)
    /// and runs one epoch of mini-batch steps through it (see
    /// ``MiniBatchKernel/epoch(x:y:order:rows:columns:batchSize:parameters:gradient:meanGradient:batchScratch:normalization:l2:stepper:workspace:)``).
    /// - Returns: Σ over batches of m × the batch loss.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    mutating func shuffledEpoch<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, columns d: Int, batchSize: Int, generator: inout SeededGenerator,
        parameters: UnsafeMutablePointer<S>, gradient: UnsafeMutablePointer<S>, meanGradient: UnsafeMutablePointer<S>,
        batchScratch: UnsafeMutablePointer<S>, normalization: RowNormalization<S>? = nil, l2: S,
        stepper: inout ParameterStepper<S>, workspace: GradientWorkspace<S>
    ) -> Double {
        // Take the array out of the enum while it is mutated, so it stays uniquely referenced
        // (no copy on write).
        let taken = storage
        storage = .wide([])
        func run<I: ShuffleIndex>(_ indices: inout [I]) -> Double {
            indices.withUnsafeMutableBufferPointer { order in
                MiniBatchKernel.shuffle(order.baseAddress!, count: order.count, generator: &generator)
                return MiniBatchKernel.epoch(
                    x: x, y: y, order: UnsafePointer(order.baseAddress!), rows: order.count, columns: d, batchSize: batchSize,
                    parameters: parameters, gradient: gradient, meanGradient: meanGradient, batchScratch: batchScratch,
                    normalization: normalization, l2: l2, stepper: &stepper, workspace: workspace)
            }
        }
        switch taken {
        case .narrow(var indices):
            defer { storage = .narrow(indices) }
            return run(&indices)
        case .wide(var indices):
            defer { storage = .wide(indices) }
            return run(&indices)
        }
    }
}

/// Where a batch's rows come from: sample `k` of the epoch is a row pointer and its target.
/// The kernels are generic over it, so the contiguous and the shuffled case share one loop.
protocol MiniBatchRows {
    associatedtype Scalar: BLASScalar
    /// The features (`d` contiguous values) and target of sample `k`.
    func sample(_ k: Int) -> (row: UnsafePointer<Scalar>, target: Scalar)
    /// A hint that sample `k` is about to be read (a software prefetch, or nothing).
    func prefetch(_ k: Int)
}

/// Rows stored one after the other (a contiguous block of the data).
struct ContiguousRows<Scalar: BLASScalar>: MiniBatchRows {
    let x: UnsafePointer<Scalar>, y: UnsafePointer<Scalar>, columns: Int

    @inline(__always)
    func sample(_ k: Int) -> (row: UnsafePointer<Scalar>, target: Scalar) { (x + k * columns, y[k]) }

    /// Nothing: the hardware prefetcher follows a sequential walk.
    @inline(__always)
    func prefetch(_ k: Int) {}
}

/// A feature normalization applied to each row as it is read, `x′ⱼ = (xⱼ − offsetⱼ) · multiplierⱼ`:
/// the expression and precision of `Normalizer.transform` (from `Normalizer.rowTransform`), so
/// the values are bit-identical to a normalized copy of X, which is never made.
struct RowNormalization<Scalar: BLASScalar> {
    /// `d` offsets and `d` multipliers.
    let offsets: UnsafePointer<Scalar>, multipliers: UnsafePointer<Scalar>
    /// Room for one normalized row (`d` elements).
    let row: UnsafeMutablePointer<Scalar>

    /// Normalizes the `d` values at `source` into ``row``.
    @inline(__always)
    func apply(_ source: UnsafePointer<Scalar>, columns d: Int) -> UnsafePointer<Scalar> {
        for j in 0..<d { row[j] = (source[j] - offsets[j]) * multipliers[j] }
        return UnsafePointer(row)
    }
}

/// The rows of the data in the order `order[0..<count]`, read in place: no shuffled copy
/// (and, with a ``RowNormalization``, no normalized copy either).
/// Random rows make the walk bound by memory latency, so ``prefetch(_:)`` asks for the
/// cache lines of the sample ``distance`` positions ahead.
struct ShuffledRows<Scalar: BLASScalar, Index: ShuffleIndex>: MiniBatchRows {
    let x: UnsafePointer<Scalar>, y: UnsafePointer<Scalar>, order: UnsafePointer<Index>, count: Int, columns: Int
    let normalization: RowNormalization<Scalar>?

    /// How many samples ahead the prefetch runs (tuned on 1M × 16 f32/f64, batches 1–4096:
    /// far enough to cover a miss at batch 1, near enough that the lines are still in L1/L2).
    static var distance: Int { 16 }

    @inline(__always)
    func sample(_ k: Int) -> (row: UnsafePointer<Scalar>, target: Scalar) {
        let i = Int(truncatingIfNeeded: order[k])
        guard let normalization else { return (x + i * columns, y[i]) }
        return (normalization.apply(x + i * columns, columns: columns), y[i])
    }

    @inline(__always)
    func prefetch(_ k: Int) {
        let ahead = k + Self.distance
        guard ahead < count else { return }
        let i = Int(truncatingIfNeeded: order[ahead])
        // Every cache line the row touches (a row need not start on a line).
        let start = UInt(bitPattern: x + i * columns)
        var line = start & ~63
        let end = start &+ UInt(columns * MemoryLayout<Scalar>.stride)
        while line < end {
            descent_prefetch(UnsafeRawPointer(bitPattern: line))
            line &+= 64
        }
        descent_prefetch(y + i)
    }
}

/// The mini-batch hot loop: one epoch of steps over the rows in a shuffled order.
///
/// Built for small batches, where a step's arithmetic is a few dozen nanoseconds and any
/// overhead shows: the rows are read in place through the order (no shuffled copy of X, so
/// training from a memory-mapped file needs no second copy of it), with a software prefetch
/// ahead of the walk; the optimizer is a concrete ``ParameterStepper`` (no existential, state
/// in aligned storage); nothing is allocated; and a batch of at most ``directLimit`` elements
/// skips BLAS for a direct SIMD loop over its rows (two BLAS calls cost more than the work).
/// Larger batches are gathered into a scratch block of `batchSize × d` and go through the
/// fused epoch kernel (``MeanSquaredErrorKernel``). Everything runs on the calling thread, in order: the result does not
/// depend on the thread count.
enum MiniBatchKernel {
    /// Batches of at most this many elements (rows × features) use the direct loop.
    static var directLimit: Int { 65_536 }

    /// Whether batches of `batchSize` rows of `d` features use the direct loop.
    static func isDirect(batchSize: Int, columns d: Int) -> Bool { batchSize * d <= directLimit }

    /// The scratch a run needs for batches that go through BLAS (`batchSize × (d + 1)`
    /// elements: the gathered rows, then their targets), 0 for direct batches.
    static func scratchCount(batchSize: Int, columns d: Int) -> Int {
        isDirect(batchSize: batchSize, columns: d) ? 0 : batchSize * (d + 1)
    }

    /// Fisher–Yates over `order[0..<n]` in place: the index for position i is the high half
    /// of a 64-bit random number times i + 1 (Lemire's multiply-shift: no division per element).
    @_specialize(where I == UInt32)
    @_specialize(where I == Int)
    static func shuffle<I: ShuffleIndex>(_ order: UnsafeMutablePointer<I>, count n: Int, generator: inout SeededGenerator) {
        var i = n - 1
        while i > 0 {
            let j = Int(truncatingIfNeeded: generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            let swap = order[i]
            order[i] = order[j]
            order[j] = swap
            i -= 1
        }
    }

    /// Steps through the `n` rows of (x, y) in the order `order[0..<n]`, in batches of
    /// `batchSize`, updating `parameters` (`d + 1`: weights then bias). `gradient` (`d + 1`)
    /// is scratch; `meanGradient` (`d + 1`) receives Σ (m/n)·gradient over the batches;
    /// `batchScratch` holds ``scratchCount(batchSize:columns:)`` elements. With `normalization`
    /// every row is normalized as it is read (the steps equal those on a normalized copy).
    /// - Returns: Σ over batches of m × the batch loss (stops early after a non-finite batch loss).
    @_specialize(where S == Float, I == UInt32)
    @_specialize(where S == Double, I == UInt32)
    @_specialize(where S == Float, I == Int)
    @_specialize(where S == Double, I == Int)
    static func epoch<S: BLASScalar, I: ShuffleIndex>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, order: UnsafePointer<I>, rows n: Int, columns d: Int, batchSize: Int,
        parameters theta: UnsafeMutablePointer<S>, gradient: UnsafeMutablePointer<S>, meanGradient: UnsafeMutablePointer<S>,
        batchScratch: UnsafeMutablePointer<S>, normalization: RowNormalization<S>? = nil, l2: S,
        stepper: inout ParameterStepper<S>, workspace: GradientWorkspace<S>
    ) -> Double {
        let p = d + 1
        let rows = ShuffledRows(x: x, y: y, order: order, count: n, columns: d, normalization: normalization)
        meanGradient.update(repeating: 0, count: p)
        var total = 0.0
        var start = 0
        let direct = isDirect(batchSize: batchSize, columns: d)
        while start < n {
            let m = min(batchSize, n - start)
            let batchLoss: Double
            if direct {
                batchLoss = directLossAndGradient(rows, start: start, count: m, columns: d, parameters: theta,
                                                  l2: l2, gradient: gradient)
            } else {
                // Gather the batch (it fits in L2), then the fused BLAS kernel on the block.
                let features = batchScratch, targets = batchScratch + batchSize * d
                for i in 0..<m {
                    rows.prefetch(start + i)
                    let (row, target) = rows.sample(start + i)
                    (features + i * d).update(from: row, count: d)
                    targets[i] = target
                }
                let (loss, biasGradient) = MeanSquaredErrorKernel.lossAndGradient(
                    x: features, y: targets, rows: m, columns: d, weights: theta, bias: theta[d], l2: l2,
                    weightsGradient: gradient, workspace: workspace)
                gradient[d] = biasGradient
                batchLoss = Double(loss)
            }
            total += batchLoss * Double(m)
            accumulate(gradient, scaledBy: S(Double(m) / Double(n)), into: meanGradient, count: p)
            stepper.step(theta, gradient)
            start += m
            if !batchLoss.isFinite { break }
        }
        return total
    }

    /// The batch loss `(1/m)·Σr² + l2·‖w‖²` and its gradient into `gradient` (`d` weights,
    /// then the bias) for `m` contiguous rows at (x, y).
    @inline(__always)
    static func directLossAndGradient<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows m: Int, columns d: Int,
        parameters w: UnsafeMutablePointer<S>, l2: S, gradient g: UnsafeMutablePointer<S>
    ) -> Double {
        directLossAndGradient(ContiguousRows(x: x, y: y, columns: d), start: 0, count: m, columns: d,
                              parameters: w, l2: l2, gradient: g)
    }

    /// The batch loss `(1/m)·Σr² + l2·‖w‖²` and its gradient into `gradient` (`d` weights,
    /// then the bias) for samples `start..<start + m` of `rows`, by one loop over them:
    /// r = xᵢ·w + b − yᵢ (8-wide SIMD dot), g += r·xᵢ.
    @inline(__always)
    static func directLossAndGradient<S: BLASScalar, Rows: MiniBatchRows>(
        _ rows: Rows, start: Int, count m: Int, columns d: Int,
        parameters w: UnsafeMutablePointer<S>, l2: S, gradient g: UnsafeMutablePointer<S>
    ) -> Double where Rows.Scalar == S {
        typealias Lanes = SIMD8<S>
        let width = Lanes.scalarCount, stride = MemoryLayout<S>.stride
        let b = w[d]
        g.update(repeating: 0, count: d)
        let rawW = UnsafeRawPointer(w), rawG = UnsafeMutableRawPointer(g)
        var squares: S = 0, sum: S = 0
        for i in 0..<m {
            rows.prefetch(start + i)
            let (row, target) = rows.sample(start + i)
            let rawRow = UnsafeRawPointer(row)
            var lanes = Lanes()
            var j = 0
            while j + width <= d {
                lanes += rawRow.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self)
                    * rawW.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self)
                j += width
            }
            // A tree sum (4 + 2 + 1 lanes): three dependent adds where `sum()` chains seven.
            let half = lanes.lowHalf + lanes.highHalf, quarter = half.lowHalf + half.highHalf
            var dot = quarter[0] + quarter[1]
            while j < d { dot += row[j] * w[j]; j += 1 }
            let r = dot + b - target
            squares += r * r
            sum += r
            let rs = Lanes(repeating: r)
            j = 0
            while j + width <= d {
                let offset = j * stride
                rawG.storeBytes(of: rawG.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
                                    + rs * rawRow.loadUnaligned(fromByteOffset: offset, as: Lanes.self),
                                toByteOffset: offset, as: Lanes.self)
                j += width
            }
            while j < d { g[j] += r * row[j]; j += 1 }
        }
        let scale = 2 / S(m)
        var penalty: S = 0
        if l2 != 0 {
            for j in 0..<d {
                g[j] = scale * g[j] + 2 * l2 * w[j]
                penalty += w[j] * w[j]
            }
        } else {
            for j in 0..<d { g[j] *= scale }
        }
        g[d] = scale * sum
        return Double(squares) / Double(m) + Double(l2 * penalty)
    }

    /// The loss `(1/n)·Σr² + l2·‖w‖²` on the normalized rows of (x, y), normalizing one task of
    /// the fused kernel at a time into `scratch` (``normalizedLossScratchCount(rows:columns:workspace:)``
    /// elements): bit-identical to `MeanSquaredErrorKernel.loss` on a normalized copy, since the
    /// kernel sums its tasks' `Double` partials in order, one task per call here.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func normalizedLoss<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows n: Int, columns d: Int, normalization: RowNormalization<S>,
        weights: UnsafePointer<S>, bias: S, l2: S, scratch: UnsafeMutablePointer<S>, workspace: GradientWorkspace<S>
    ) -> Double {
        let penalty = l2 != 0 ? l2 * BLAS.dot(d, weights, 1, weights, 1) : 0
        guard n > 0 else { return Double(penalty) }
        let taskRows = workspace.blockRows * GradientWorkspace<S>.blocksPerTask
        var squares = 0.0
        var lower = 0
        while lower < n {
            let m = min(taskRows, n - lower)
            for i in 0..<m {
                let source = x + (lower + i) * d, target = scratch + i * d
                for j in 0..<d { target[j] = (source[j] - normalization.offsets[j]) * normalization.multipliers[j] }
            }
            squares += MeanSquaredErrorKernel.accumulate(x: scratch, y: y + lower, rows: m, columns: d, weights: weights, bias: bias,
                                                         gradientScale: 0, weightsGradient: nil, workspace: workspace).sumOfSquares
            lower += m
        }
        return Double(S(squares / Double(n)) + penalty)
    }

    /// The scratch ``normalizedLoss(x:y:rows:columns:normalization:weights:bias:l2:scratch:workspace:)`` needs: one task's rows.
    static func normalizedLossScratchCount<S: BLASScalar>(rows n: Int, columns d: Int, workspace: GradientWorkspace<S>) -> Int {
        min(n, workspace.blockRows * GradientWorkspace<S>.blocksPerTask) * d
    }

    /// target += scale · source.
    @inline(__always)
    static func accumulate<S: BLASScalar>(_ source: UnsafePointer<S>, scaledBy scale: S, into target: UnsafeMutablePointer<S>, count: Int) {
        for j in 0..<count { target[j] += scale * source[j] }
    }
}
