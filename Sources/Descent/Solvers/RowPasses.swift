import Dispatch

/// A value handed to worker threads that the caller guarantees is used safely (each worker
/// touches only its own slot of a buffer).
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
}

/// Count, means and centred cross-products ("comoments") of the augmented columns
/// `[X | y]`, accumulated in `Double` whatever the data's precision.
///
/// `comoments[i·p + j]` (upper triangle, `j ≥ i`) is `Σₖ (aₖᵢ − āᵢ)(aₖⱼ − āⱼ)` with
/// `p = d + 1`: the centred Gram matrix XcᵀXc, the centred cross-products Xcᵀyc in its last
/// column, and Σ(y − ȳ)² in its corner. Partial results merge exactly (Chan, Golub and
/// LeVeque's pairwise update), so blocks and threads can be combined in any grouping.
struct CentredMoments: Sendable {
    /// `d + 1`.
    let dimension: Int
    /// The number of rows accumulated.
    var count: Int = 0
    /// The column means, the target's last.
    var means: [Double]
    /// `dimension × dimension`, row-major, upper triangle valid.
    var comoments: [Double]

    /// The features' centred Gram matrix XcᵀXc (`d × d`, both triangles, row-major) and the
    /// centred cross products Xcᵀyc (`d`), unpacked from the upper triangle of ``comoments``
    /// (the target is the last of the `d + 1` dimensions).
    var featureGramAndCross: (gram: [Double], cross: [Double]) {
        let p = dimension, d = p - 1
        var gram = [Double](repeating: 0, count: d * d)
        var cross = [Double](repeating: 0, count: d)
        for i in 0..<d {
            for j in i..<d {
                gram[i * d + j] = comoments[i * p + j]
                gram[j * d + i] = comoments[i * p + j]
            }
            cross[i] = comoments[i * p + d]
        }
        return (gram, cross)
    }

    init(dimension: Int) {
        self.dimension = dimension
        means = [Double](repeating: 0, count: dimension)
        comoments = [Double](repeating: 0, count: dimension * dimension)
    }

    /// Adds a block of `m` rows whose means are `blockMeans` and centred comoments `blockComoments`:
    /// M ← Mₐ + M_b + (nₐ·n_b / n)·δδᵀ with δ = x̄_b − x̄ₐ, and x̄ ← x̄ₐ + (n_b / n)·δ.
    mutating func merge(count m: Int, means blockMeans: UnsafePointer<Double>, comoments blockComoments: UnsafePointer<Double>) {
        guard m > 0 else { return }
        let p = dimension
        if count == 0 {
            for i in 0..<p { means[i] = blockMeans[i] }
            for k in 0..<(p * p) { comoments[k] = blockComoments[k] }
            count = m
            return
        }
        let total = count + m
        let weight = Double(count) * Double(m) / Double(total)
        let step = Double(m) / Double(total)
        means.withUnsafeMutableBufferPointer { mean in
            comoments.withUnsafeMutableBufferPointer { moment in
                for i in 0..<p {
                    let deltaI = blockMeans[i] - mean[i]
                    let scaled = weight * deltaI
                    for j in i..<p {
                        moment[i * p + j] += blockComoments[i * p + j] + scaled * (blockMeans[j] - mean[j])
                    }
                }
                for i in 0..<p { mean[i] += step * (blockMeans[i] - mean[i]) }
            }
        }
        count = total
    }

    /// Merges another partial result.
    mutating func merge(_ other: CentredMoments) {
        other.means.withUnsafeBufferPointer { m in
            other.comoments.withUnsafeBufferPointer { c in merge(count: other.count, means: m.baseAddress!, comoments: c.baseAddress!) }
        }
    }

    /// Whether every accumulated value is finite (false when the data hold NaN or infinity).
    var isFinite: Bool { means.allSatisfy(\.isFinite) && comoments.allSatisfy(\.isFinite) }
}

/// Raw pointers for the worker threads of the moments pass; each task writes only its own slots.
private struct MomentPointers<S: BLASScalar>: @unchecked Sendable {
    let x: UnsafePointer<S>, y: UnsafePointer<S>
    let scratch: UnsafeMutablePointer<Double>
    let results: UnsafeMutablePointer<Double>
    /// Normalization (`offsets`, `multipliers`) and per-worker blocks of `blockRows × d` scalars, or nil.
    let normalization: (offsets: UnsafePointer<S>, multipliers: UnsafePointer<S>, blocks: UnsafeMutablePointer<S>)?
}

/// Sums of a residual pass: r = y − x·w − b over all rows.
struct ResidualSums: Sendable {
    /// Σ rᵢ².
    var squares: Double = 0
    /// Σ rᵢ.
    var sum: Double = 0
    /// Σ (xᵢ − x̄)·rᵢ, one per feature (the centred data's Xcᵀr).
    var centredCross: [Double]
}

/// Passes over the rows of a data set in blocks of about 256 KB, widening each block to
/// `Double` in a scratch buffer while subtracting a shift, so every BLAS call sees small,
/// centred numbers in cache. Row ranges run on BLAS's thread count of workers, each with
/// OpenBLAS limited to one thread (its threads and ours together are slower).
enum RowPasses {
    /// Rows per block for a scratch of `columns` doubles a row: 256 KB, at least 64 rows.
    static func blockRows(columns: Int) -> Int { min(16_384, max(64, 32_768 / max(1, columns))) }

    /// Runs `body` over contiguous row ranges covering `0..<rows`, in parallel when there are
    /// enough rows, and returns the results in row order.
    static func map<R>(rows: Int, minimumRowsPerWorker: Int = 32_768, _ body: (Range<Int>) -> R) -> [R] {
        let workers = max(1, min(BLAS.threadCount, rows / max(1, minimumRowsPerWorker)))
        if workers == 1 { return [body(0..<rows)] }
        let results = UnsafeMutableBufferPointer<R?>.allocate(capacity: workers)
        results.initialize(repeating: nil)
        defer { results.deinitialize(); results.deallocate() }
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(value: (body, results))
            BLAS.withThreadCount(1) {
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let (body, results) = shared.value
                    let lower = rows * worker / workers, upper = rows * (worker + 1) / workers
                    results[worker] = body(lower..<upper)
                }
            }
        }
        return results.map { $0! }
    }

    /// Rows per task of the moments pass: fixed, so the result does not depend on the thread count.
    static var momentTaskRows: Int { 16_384 }

    /// The count, means and centred comoments of `[X | y]` in one pass (see
    /// ``moments(features:targets:threads:normalization:)``).
    static func moments<S: BLASScalar>(_ dataset: Dataset<S>) -> CentredMoments {
        moments(features: dataset.features, targets: dataset.targets)
    }

    /// The count, means and centred comoments of `[X | y]` (or of the normalized features
    /// `x′ⱼ = (xⱼ − offsetⱼ)·multiplierⱼ` and y) in one pass over the rows, on up to `threads`
    /// threads (default: every core) of the persistent ``WorkerPool``, OpenBLAS at one thread.
    ///
    /// The rows are cut into fixed tasks of ``momentTaskRows``. A task shifts its rows by the
    /// mean of its first 64, so the Gram kernel (``GramKernel``) sums products of small numbers
    /// whatever the columns' offsets, accumulates the shifted ZᵀZ and Zᵀ·1 over its blocks, and
    /// turns them into its own means and centred comoments (M = S − s·sᵀ/m); the tasks are then
    /// merged in task order with Chan, Golub and LeVeque's exact update. So the bits do not
    /// depend on the thread count, and the O(p²) bookkeeping happens once per task, not per
    /// block (per-block merging cost the pass ~10% at 4M × 32).
    ///
    /// With `normalization`, each block is normalized in `S` into the worker's scratch as it is
    /// read (`Normalizer.transform`'s expression), so the same bits as on a normalized copy.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func moments<S: BLASScalar>(features: Matrix<S>, targets: Vector<S>, threads: Int? = nil,
                                       normalization: (offsets: [S], multipliers: [S])? = nil) -> CentredMoments {
        precondition(features.rows == targets.count,
                     "moments: features \(features.rows) × \(features.columns) but targets [\(targets.count)]")
        let n = features.rows, d = features.columns, p = d + 1
        let taskRows = momentTaskRows
        let tasks = (n + taskRows - 1) / taskRows
        let blockRows = min(taskRows, GramKernel.blockRows(featureCount: d))
        let workers = max(1, min(threads ?? availableCoreCount, tasks))
        // Per worker: the Gram kernel's scratch, a block's product and sums, and the task's.
        let kernelScratch = GramKernel.blockScratchCount(featureCount: d, rows: blockRows)
        let scratchStride = kernelScratch + 2 * (p * p + p)
        let resultStride = 1 + p + p * p  // count, means, comoments
        let scratch = AlignedStorage<Double>(zeroedCount: max(1, workers * scratchStride))
        let results = AlignedStorage<Double>(zeroedCount: max(1, tasks * resultStride))
        let normalizedBlocks = AlignedStorage<S>(uninitializedCount: normalization == nil ? 0 : workers * blockRows * d)
        let offsets = normalization.map { AlignedStorage<S>(copying: $0.offsets, count: d) }
        let multipliers = normalization.map { AlignedStorage<S>(copying: $0.multipliers, count: d) }
        let shared = MomentPointers(x: features.baseAddress, y: targets.baseAddress,
                                    scratch: scratch.pointer, results: results.pointer,
                                    normalization: offsets.flatMap { o in
                                        multipliers.map { (UnsafePointer(o.pointer), UnsafePointer($0.pointer), normalizedBlocks.pointer) }
                                    })
        let work = { (task: Int, worker: Int) in
            let lower = task * taskRows, upper = min(n, lower + taskRows)
            let base = shared.scratch + worker * scratchStride
            let kernel = base, blockProduct = base + kernelScratch, blockSums = blockProduct + p * p
            let product = blockSums + p, sums = product + p * p
            let result = shared.results + task * resultStride
            let means = result + 1, comoments = result + 1 + p
            sums.update(repeating: 0, count: p)
            product.update(repeating: 0, count: p * p)
            blockProduct.update(repeating: 0, count: p * p)  // the kernel writes only the upper triangle
            // With normalization, a block of normalized rows (the expression of `Normalizer.transform`).
            let normalized = shared.normalization.map { ($0.offsets, $0.multipliers, $0.blocks + worker * blockRows * d) }
            func rows(_ start: Int, _ m: Int) -> UnsafePointer<S> {
                guard case let (offsets, multipliers, out)? = normalized else { return shared.x + start * d }
                MeanSquaredErrorKernel.normalizeRows(shared.x + start * d, rows: m, columns: d, offsets: offsets,
                                                     multipliers: multipliers, into: out)
                return UnsafePointer(out)
            }
            // The shift: the mean of the task's first (up to 64) rows, so even a short task is
            // shifted close to its mean and S − s·sᵀ/m below cancels little (a single row can
            // lie several σ out). Overflow here means the squares overflow too, which the
            // caller sees as non-finite moments.
            let head = min(64, upper - lower)
            let headRows = rows(lower, head)
            for j in 0..<p { means[j] = 0 }
            for k in 0..<head {
                for j in 0..<d { means[j] += Double(headRows[k * d + j]) }
                means[d] += Double(shared.y[lower + k])
            }
            for j in 0..<p { means[j] /= Double(max(head, 1)) }
            var start = lower
            while start < upper {
                let m = min(blockRows, upper - start)
                GramKernel.shiftedBlockGram(x: rows(start, m), y: shared.y + start, rows: m, featureCount: d, shift: means,
                                            gram: blockProduct, ldc: p, sums: blockSums, scratch: kernel)
                for i in 0..<p {
                    sums[i] += blockSums[i]
                    for j in i..<p { product[i * p + j] += blockProduct[i * p + j] }
                }
                start += m
            }
            // Shifted sums to the task's own mean and centred comoments: M = S − s·sᵀ/m.
            let count = Double(upper - lower), inverse = 1 / count
            result[0] = count
            for i in 0..<p {
                for j in i..<p { comoments[i * p + j] = product[i * p + j] - sums[i] * sums[j] * inverse }
            }
            for i in 0..<p { means[i] += sums[i] * inverse }
        }
        if n * p >= 4096, BLAS.threadCount != 1 {
            BLAS.withThreadCount(1) { WorkerPool.shared.run(tasks: tasks, threads: workers, work) }
        } else {
            WorkerPool.shared.run(tasks: tasks, threads: workers, work)
        }
        withExtendedLifetime((normalizedBlocks, offsets, multipliers)) {}
        var total = CentredMoments(dimension: p)
        for task in 0..<tasks {
            let result = results.pointer + task * resultStride
            total.merge(count: Int(result[0]), means: result + 1, comoments: result + 1 + p)
        }
        return total
    }

    /// Σr², Σr and Xcᵀr for r = y − x·w − b, with r formed from data centred by `means`
    /// (`d + 1` values, the target's last) so no large offsets cancel: r = (y − ȳ) − (x − x̄)·w − δ
    /// with δ = b − ȳ + x̄·w summed with compensation.
    static func residuals<S: BLASScalar>(_ dataset: Dataset<S>, weights: [Double], bias: Double, means: [Double]) -> ResidualSums {
        let n = dataset.rowCount, d = dataset.featureCount
        precondition(weights.count == d && means.count == d + 1,
                     "residuals: \(d) features but \(weights.count) weights and \(means.count) means")
        let offset = CompensatedSum.dot(means.prefix(d), weights, plus: [bias, -means[d]])
        let partials = map(rows: n) { range in
            residualsOfRows(range, x: dataset.features.baseAddress, y: dataset.targets.baseAddress, d: d,
                            weights: weights, offset: offset, means: means)
        }
        var total = ResidualSums(centredCross: [Double](repeating: 0, count: d))
        for partial in partials {
            total.squares += partial.squares
            total.sum += partial.sum
            for j in 0..<d { total.centredCross[j] += partial.centredCross[j] }
        }
        return total
    }

    private static func residualsOfRows<S: BLASScalar>(_ range: Range<Int>, x: UnsafePointer<S>, y: UnsafePointer<S>, d: Int,
                                                       weights: [Double], offset: Double, means: [Double]) -> ResidualSums {
        let p = d + 1
        var total = ResidualSums(centredCross: [Double](repeating: 0, count: d))
        guard !range.isEmpty else { return total }
        let blockRows = blockRows(columns: p)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * p)
        let residual = UnsafeMutablePointer<Double>.allocate(capacity: blockRows)
        defer { scratch.deallocate(); residual.deallocate() }
        weights.withUnsafeBufferPointer { w in
            means.withUnsafeBufferPointer { shift in
                total.centredCross.withUnsafeMutableBufferPointer { cross in
                    var start = range.lowerBound
                    while start < range.upperBound {
                        let m = min(blockRows, range.upperBound - start)
                        widenCentred(x: x + start * d, y: y + start, rows: m, d: d, shift: shift.baseAddress!, out: scratch)
                        BLAS.copy(m, scratch + d, p, residual, 1)
                        if d > 0 {
                            BLAS.gemv(.none, rows: m, columns: d, alpha: -1, scratch, lda: p, w.baseAddress!, 1, beta: 1, residual, 1)
                        }
                        var squares = 0.0, sum = 0.0
                        for i in 0..<m {
                            let r = residual[i] - offset
                            residual[i] = r
                            squares += r * r
                            sum += r
                        }
                        total.squares += squares
                        total.sum += sum
                        if d > 0 {
                            BLAS.gemv(.transposed, rows: m, columns: d, alpha: 1, scratch, lda: p, residual, 1, beta: 1, cross.baseAddress!, 1)
                        }
                        start += m
                    }
                }
            }
        }
        return total
    }

    /// The smallest and largest value of every column of `[X | y]` (the target's last).
    /// `allFinite` is false when any value is NaN or infinite.
    static func columnRanges<S: BLASScalar>(_ dataset: Dataset<S>) -> (minimum: [Double], maximum: [Double], allFinite: Bool) {
        let n = dataset.rowCount, d = dataset.featureCount, p = d + 1
        var minimum = [Double](repeating: .infinity, count: p), maximum = [Double](repeating: -.infinity, count: p)
        var allFinite = true
        let blockRows = blockRows(columns: p)
        let scratch = UnsafeMutablePointer<Double>.allocate(capacity: blockRows * p)
        let zero = [Double](repeating: 0, count: p)
        defer { scratch.deallocate() }
        var start = 0
        while start < n {
            let m = min(blockRows, n - start)
            zero.withUnsafeBufferPointer { shift in
                widenCentred(x: dataset.features.baseAddress + start * d, y: dataset.targets.baseAddress + start,
                             rows: m, d: d, shift: shift.baseAddress!, out: scratch)
            }
            for i in 0..<m {
                for j in 0..<p {
                    let value = scratch[i * p + j]
                    if !value.isFinite { allFinite = false }
                    if value < minimum[j] { minimum[j] = value }
                    if value > maximum[j] { maximum[j] = value }
                }
            }
            start += m
        }
        return (minimum, maximum, allFinite)
    }

    /// Copies `rows` rows of `[x | y]` into `out` (row-major, `d + 1` columns) as `Double`
    /// minus `shift`. (No sums here: a loop with a single store per element vectorizes.)
    ///
    /// Dispatches to a loop specialized for the concrete element type, so the hot loop is
    /// never run through generic witness tables when the caller is an unspecialized generic.
    static func widenCentred<S: BLASScalar>(x: UnsafePointer<S>, y: UnsafePointer<S>, rows: Int, d: Int,
                                            shift: UnsafePointer<Double>, out: UnsafeMutablePointer<Double>) {
        if S.self == Double.self {
            widenCentredKernel(x: UnsafeRawPointer(x).assumingMemoryBound(to: Double.self),
                               y: UnsafeRawPointer(y).assumingMemoryBound(to: Double.self),
                               rows: rows, d: d, shift: shift, out: out)
        } else {
            precondition(S.self == Float.self, "widenCentred: unsupported scalar \(S.self)")
            widenCentredKernel(x: UnsafeRawPointer(x).assumingMemoryBound(to: Float.self),
                               y: UnsafeRawPointer(y).assumingMemoryBound(to: Float.self),
                               rows: rows, d: d, shift: shift, out: out)
        }
    }

    @inline(__always)
    private static func widenCentredKernel<T: BinaryFloatingPoint>(x: UnsafePointer<T>, y: UnsafePointer<T>, rows: Int, d: Int,
                                                                   shift: UnsafePointer<Double>, out: UnsafeMutablePointer<Double>) {
        let p = d + 1
        for i in 0..<rows {
            let source = x + i * d, target = out + i * p
            for j in 0..<d { target[j] = Double(source[j]) - shift[j] }
            target[d] = Double(y[i]) - shift[d]
        }
    }

    /// The centred features as a column-major `Double` matrix with leading dimension `lda`
    /// (≥ n; rows n..<lda are zero): aᵢⱼ = xᵢⱼ − x̄ⱼ at `a[j·lda + i]`. The one transpose the
    /// QR and SVD paths need, done in tiles so both sides stay in cache.
    static func centredColumnMajor<S: BLASScalar>(_ features: Matrix<S>, means: [Double], lda: Int) -> UnsafeMutablePointer<Double> {
        let n = features.rows, d = features.columns
        let a = UnsafeMutablePointer<Double>.allocate(capacity: max(1, lda * d))
        a.initialize(repeating: 0, count: max(1, lda * d))
        means.withUnsafeBufferPointer { mean in
            if S.self == Double.self {
                transposeKernel(UnsafeRawPointer(features.baseAddress).assumingMemoryBound(to: Double.self), n: n, d: d, means: mean.baseAddress!, a, lda: lda)
            } else {
                precondition(S.self == Float.self, "centredColumnMajor: unsupported scalar \(S.self)")
                transposeKernel(UnsafeRawPointer(features.baseAddress).assumingMemoryBound(to: Float.self), n: n, d: d, means: mean.baseAddress!, a, lda: lda)
            }
        }
        return a
    }

    @inline(__always)
    private static func transposeKernel<T: BinaryFloatingPoint>(_ x: UnsafePointer<T>, n: Int, d: Int, means: UnsafePointer<Double>,
                                                                _ a: UnsafeMutablePointer<Double>, lda: Int) {
        let tile = 64
        for i0 in stride(from: 0, to: n, by: tile) {
            let i1 = min(i0 + tile, n)
            for j in 0..<d {
                let column = a + j * lda, mean = means[j]
                for i in i0..<i1 { column[i] = Double(x[i * d + j]) - mean }
            }
        }
    }
}

/// Sums and dot products with error-free transformations (TwoSum, TwoProduct by FMA), about
/// twice the working precision: used where a few large terms cancel (bias = ȳ − x̄ᵀw with
/// huge column offsets).
enum CompensatedSum {
    /// Σ aᵢbᵢ + Σ extras, accurate to about u² relative to the terms.
    static func dot<A: Collection, B: Collection>(_ a: A, _ b: B, plus extras: [Double] = []) -> Double
    where A.Element == Double, B.Element == Double {
        var sum = 0.0, compensation = 0.0
        func add(_ value: Double) {
            let t = sum + value
            let bp = t - sum
            compensation += (sum - (t - bp)) + (value - bp)
            sum = t
        }
        for (x, y) in zip(a, b) {
            let product = x * y
            add(product)
            compensation += (-product).addingProduct(x, y)  // the product's rounding error, exactly
        }
        for extra in extras { add(extra) }
        return sum + compensation
    }
}
