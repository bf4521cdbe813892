/// Scratch memory for the fused loss and gradient kernels: one residual buffer of a row
/// block per thread, and the per-task partial results. Allocate one per training run and
/// reuse it every epoch, so an epoch allocates nothing (the partials grow once, on the
/// first epoch that needs them).
///
/// A reference type on purpose: it is scratch, never a value anyone reads; do not use one
/// from two threads at once.
public final class GradientWorkspace<Scalar: BLASScalar> {
    /// The number of rows per block: about 192 KB of features, so a block of X stays in
    /// L2 between the two `gemv` calls (see DESIGN.md: 128–256 KB blocks are the fast size).
    public let blockRows: Int
    /// The most threads an epoch runs on (at least 1).
    public let threads: Int
    /// Row blocks per task. A task (`blocksPerTask × blockRows` rows) is the unit of work a
    /// thread takes and of the reduction: its boundaries depend on the block size only, never
    /// on the thread count, and task partials are summed in task order, so the result is the
    /// same bits on 1 or 64 threads.
    public static var blocksPerTask: Int { 8 }

    let residuals: AlignedStorage<Scalar>
    let residualStride: Int
    private(set) var partialGradients: AlignedStorage<Scalar>
    private(set) var partialSums: AlignedStorage<Double>
    /// Per thread, one normalized row block (`blockRows × columns`), when the kernel
    /// normalizes as it reads (empty until a run needs it).
    private(set) var normalizedBlocks: AlignedStorage<Scalar>
    private(set) var normalizedBlockStride = 0

    /// A workspace for data of `featureCount` columns; `blockRows` overrides the block size,
    /// `threads` (default: every core) bounds the threads of an epoch.
    public init(featureCount: Int, blockRows: Int? = nil, threads: Int? = nil) {
        let automatic = 196_608 / (max(1, featureCount) * MemoryLayout<Scalar>.stride)
        let rows = blockRows ?? min(4096, max(64, automatic))
        precondition(rows >= 1, "GradientWorkspace: blockRows must be at least 1, got \(rows)")
        let threads = threads ?? availableCoreCount
        precondition(threads >= 1, "GradientWorkspace: threads must be at least 1, got \(threads)")
        self.blockRows = rows
        self.threads = threads
        // Each thread's residual starts on its own cache line.
        let perLine = storageAlignment / MemoryLayout<Scalar>.stride
        residualStride = (rows + perLine - 1) / perLine * perLine
        residuals = AlignedStorage(zeroedCount: residualStride * threads)
        partialGradients = AlignedStorage(zeroedCount: 0)
        partialSums = AlignedStorage(zeroedCount: 0)
        normalizedBlocks = AlignedStorage(zeroedCount: 0)
    }

    /// Makes room for the partial results of `tasks` tasks of `columns` gradient elements.
    func reserve(tasks: Int, columns: Int) {
        if partialGradients.count < tasks * columns { partialGradients = AlignedStorage(zeroedCount: tasks * columns) }
        if partialSums.count < 2 * tasks { partialSums = AlignedStorage(zeroedCount: 2 * tasks) }
    }

    /// Makes room for one normalized block of `columns` per thread (each on its own cache lines).
    func reserveNormalizedBlocks(columns: Int) {
        let perLine = storageAlignment / MemoryLayout<Scalar>.stride
        let stride = (blockRows * columns + perLine - 1) / perLine * perLine
        if normalizedBlockStride < stride || normalizedBlocks.count < stride * threads {
            normalizedBlockStride = stride
            normalizedBlocks = AlignedStorage(uninitializedCount: stride * threads)
        }
    }
}

/// Raw pointers handed to the worker threads of one epoch; every task writes only its own
/// partial slots and reads shared inputs.
private struct EpochPointers<S: BLASScalar>: @unchecked Sendable {
    let x: UnsafePointer<S>, y: UnsafePointer<S>, weights: UnsafePointer<S>
    let residuals: UnsafeMutablePointer<S>
    let partialGradients: UnsafeMutablePointer<S>
    let partialSums: UnsafeMutablePointer<Double>
    /// Normalization (`offsets`, `multipliers`) and the per-thread normalized blocks, or nil.
    let normalization: (offsets: UnsafePointer<S>, multipliers: UnsafePointer<S>, blocks: UnsafeMutablePointer<S>)?
}

/// The fused mean-squared-error kernel on raw row-major buffers. This is the one place the
/// loss and gradient are computed; every caller (``LinearModel``, the ``Trainer``, the free
/// functions below) goes through ``accumulate(x:y:rows:columns:weights:bias:gradientScale:weightsGradient:workspace:normalization:)``.
///
/// The kernels carry `@_specialize` for `Float` and `Double`: the CLI reaches the engine
/// through an opened existential (`--precision`), and unspecialized generic SIMD code is
/// tens of times slower.
enum MeanSquaredErrorKernel {
    /// `weightsGradient += gradientScale · Xᵀr` for r = X·w + b − y, returning Σr² and Σr.
    ///
    /// The rows are cut into tasks of ``GradientWorkspace/blocksPerTask`` blocks; a task runs
    /// on one thread of the persistent ``WorkerPool`` (OpenBLAS limited to one thread inside).
    /// Every block of it goes through ``FusedGradientPass`` (the C kernel: each row read once,
    /// r, Σr², Σr and `partial += gradientScale · X_bᵀ·r` while the row is in L1) when
    /// ``FusedGradientPass/isFaster(columns:as:)`` (up to 512 columns), or else through two
    /// BLAS calls: r = X_b·w + b − y_b (copy + `gemv` into the thread's residual), then
    /// `partial += gradientScale · X_bᵀ·r` (`gemv` transposed, the block still in L2). Either
    /// way X is read from memory once. The task partials are then summed in task order in
    /// `Double`, so the bits do not depend on the thread count.
    ///
    /// With `normalization` (its `row` is not used), X is the raw features and every block is
    /// normalized, `x′ⱼ = (xⱼ − offsetⱼ)·multiplierⱼ`: in registers by the C pass, or into the
    /// thread's scratch block before the two `gemv`s. Both give the values, blocks and order of
    /// a normalized copy of X (so the same bits), without the copy (issue 6).
    ///
    /// - Returns: Σr² and Σr over all rows, in `Double` (each block's partial is in `Scalar`).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func accumulate<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows: Int, columns: Int,
        weights: UnsafePointer<S>, bias: S, gradientScale: S,
        weightsGradient: UnsafeMutablePointer<S>?, workspace: GradientWorkspace<S>,
        normalization: RowNormalization<S>? = nil
    ) -> (sumOfSquares: Double, sum: Double) {
        let blockRows = workspace.blockRows
        let taskRows = blockRows * GradientWorkspace<S>.blocksPerTask
        let tasks = (rows + taskRows - 1) / taskRows
        guard tasks > 0 else { return (0, 0) }
        workspace.reserve(tasks: tasks, columns: columns)
        let wantGradient = weightsGradient != nil && columns > 0
        // Only the gemv path normalizes into scratch blocks; the C pass normalizes in registers.
        if normalization != nil, !FusedGradientPass.isFaster(columns: columns, as: S.self) {
            workspace.reserveNormalizedBlocks(columns: columns)
        }
        let shared = EpochPointers(x: x, y: y, weights: weights, residuals: workspace.residuals.pointer,
                                   partialGradients: workspace.partialGradients.pointer,
                                   partialSums: workspace.partialSums.pointer,
                                   normalization: normalization.map { ($0.offsets, $0.multipliers, workspace.normalizedBlocks.pointer) })
        let stride = workspace.residualStride
        let blockStride = workspace.normalizedBlockStride
        let threads = min(workspace.threads, tasks)
        let work = { (task: Int, worker: Int) in
            let lower = task * taskRows, upper = min(rows, lower + taskRows)
            let partial = shared.partialGradients + task * columns
            let (squares, sum) = accumulateRows(
                lower..<upper, x: shared.x, y: shared.y, columns: columns, weights: shared.weights, bias: bias,
                gradientScale: gradientScale, partialGradient: wantGradient ? partial : nil,
                residual: shared.residuals + worker * stride, blockRows: blockRows,
                normalization: shared.normalization.map { ($0.offsets, $0.multipliers, $0.blocks + worker * blockStride) })
            shared.partialSums[2 * task] = squares
            shared.partialSums[2 * task + 1] = sum
        }
        // OpenBLAS's own threads inside ours are slower, and would make a block's sums depend
        // on its thread count: one BLAS thread while the kernel runs.
        if rows * columns >= 4096, BLAS.threadCount != 1 {
            BLAS.withThreadCount(1) { WorkerPool.shared.run(tasks: tasks, threads: threads, work) }
        } else {
            WorkerPool.shared.run(tasks: tasks, threads: threads, work)
        }
        // The reduction, in task order.
        var sumOfSquares = 0.0, sum = 0.0
        let sums = shared.partialSums
        for task in 0..<tasks {
            sumOfSquares += sums[2 * task]
            sum += sums[2 * task + 1]
        }
        if wantGradient, let gradient = weightsGradient {
            let partials = shared.partialGradients
            for j in 0..<columns {
                var total = Double(gradient[j])
                for task in 0..<tasks { total += Double(partials[task * columns + j]) }
                gradient[j] = S(total)
            }
        }
        return (sumOfSquares, sum)
    }

    /// One task: the fused pass over `range` (blocks of `blockRows`), writing
    /// `gradientScale · X_rangeᵀ r` into `partialGradient` (when given) and returning Σr², Σr.
    /// With `normalization`, the C pass normalizes in registers; the `gemv` path (wide rows)
    /// first normalizes each block into `block` (`blockRows × columns`).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func accumulateRows<S: BLASScalar>(
        _ range: Range<Int>, x: UnsafePointer<S>, y: UnsafePointer<S>, columns: Int,
        weights: UnsafePointer<S>, bias: S, gradientScale: S, partialGradient: UnsafeMutablePointer<S>?,
        residual: UnsafeMutablePointer<S>, blockRows: Int,
        normalization: (offsets: UnsafePointer<S>, multipliers: UnsafePointer<S>, block: UnsafeMutablePointer<S>)? = nil
    ) -> (sumOfSquares: Double, sum: Double) {
        partialGradient?.update(repeating: 0, count: columns)
        var sumOfSquares = 0.0, sum = 0.0
        var start = range.lowerBound
        if FusedGradientPass.isFaster(columns: columns, as: S.self) {
            // One pass per block in C: each row read once, normalized in registers. Still block
            // by block, so Σr² and Σr are summed in `S` over a block and in `Double` across blocks.
            while start < range.upperBound {
                let m = min(blockRows, range.upperBound - start)
                let (blockSquares, blockSum) = FusedGradientPass.accumulate(
                    x: x + start * columns, y: y + start, rows: m, columns: columns, weights: weights, bias: bias,
                    gradientScale: gradientScale, partialGradient: partialGradient,
                    normalization: normalization.map { ($0.offsets, $0.multipliers) })
                sumOfSquares += blockSquares
                sum += blockSum
                start += m
            }
            return (sumOfSquares, sum)
        }
        while start < range.upperBound {
            let m = min(blockRows, range.upperBound - start)
            var xb = x + start * columns
            if let (offsets, multipliers, block) = normalization {
                normalizeRows(xb, rows: m, columns: columns, offsets: offsets, multipliers: multipliers, into: block)
                xb = UnsafePointer(block)
            }
            BLAS.copy(m, y + start, 1, residual, 1)
            if columns > 0 {
                BLAS.gemv(.none, rows: m, columns: columns, alpha: 1, xb, lda: columns, weights, 1,
                          beta: -1, residual, 1)
            } else {
                BLAS.scal(m, -1, residual, 1)
            }
            let (blockSquares, blockSum) = addBiasAndSum(residual, count: m, bias: bias)
            sumOfSquares += Double(blockSquares)
            sum += Double(blockSum)
            if let partialGradient {
                BLAS.gemv(.transposed, rows: m, columns: columns, alpha: gradientScale, xb, lda: columns,
                          residual, 1, beta: 1, partialGradient, 1)
            }
            start += m
        }
        return (sumOfSquares, sum)
    }

    /// `target[i·columns + j] = (source[i·columns + j] − offsets[j]) · multipliers[j]` for
    /// `rows` rows: `Normalizer.transform`'s expression (so a copy's bits), 8 lanes at a time.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func normalizeRows<S: BLASScalar>(_ source: UnsafePointer<S>, rows: Int, columns: Int, offsets: UnsafePointer<S>,
                                             multipliers: UnsafePointer<S>, into target: UnsafeMutablePointer<S>) {
        let vectorColumns = columns / 8 * 8
        let stride = MemoryLayout<S>.stride
        for i in 0..<rows {
            let from = UnsafeRawPointer(source + i * columns), to = UnsafeMutableRawPointer(target + i * columns)
            var j = 0
            while j < vectorColumns {
                let x = from.loadUnaligned(fromByteOffset: j * stride, as: SIMD8<S>.self)
                let o = UnsafeRawPointer(offsets + j).loadUnaligned(as: SIMD8<S>.self)
                let k = UnsafeRawPointer(multipliers + j).loadUnaligned(as: SIMD8<S>.self)
                to.storeBytes(of: (x - o) * k, toByteOffset: j * stride, as: SIMD8<S>.self)
                j += 8
            }
            while j < columns {
                target[i * columns + j] = (source[i * columns + j] - offsets[j]) * multipliers[j]
                j += 1
            }
        }
    }

    /// r ← r + b, returning Σr² and Σr, with 8-wide SIMD accumulators.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func addBiasAndSum<S: BLASScalar>(_ r: UnsafeMutablePointer<S>, count: Int, bias: S) -> (S, S) {
        var squares = SIMD8<S>(), sums = SIMD8<S>()
        let b = SIMD8<S>(repeating: bias)
        var i = 0
        while i + 8 <= count {
            let raw = UnsafeMutableRawPointer(r + i)
            let v = raw.loadUnaligned(as: SIMD8<S>.self) + b
            raw.storeBytes(of: v, as: SIMD8<S>.self)
            squares += v * v
            sums += v
            i += 8
        }
        var totalSquares = squares.sum(), total = sums.sum()
        while i < count {
            let v = r[i] + bias
            r[i] = v
            totalSquares += v * v
            total += v
            i += 1
        }
        return (totalSquares, total)
    }
}

/// The mean squared error of a linear model on (X, y), plus the optional penalty `l2·‖w‖²`:
/// `(1/n)·Σ(xᵢᵀw + b − yᵢ)² + l2·‖w‖²`, in one pass over the rows without computing a gradient.
///
/// The penalty is on the weights only, never on the bias (the same as ridge regression with
/// `α = n·l2` in the un-averaged form `‖Xw + b − y‖² + α‖w‖²`).
public func meanSquaredError<S: BLASScalar>(
    features: Matrix<S>, targets: Vector<S>, weights: Vector<S>, bias: S, l2: S = 0,
    workspace: GradientWorkspace<S>? = nil
) -> S {
    checkShapes(features, targets, weights, "meanSquaredError")
    let scratch = workspace ?? GradientWorkspace(featureCount: features.columns)
    return MeanSquaredErrorKernel.loss(x: features.baseAddress, y: targets.baseAddress, rows: features.rows,
                                       columns: features.columns, weights: weights.baseAddress, bias: bias,
                                       l2: l2, workspace: scratch)
}

/// The mean squared error (plus `l2·‖w‖²`) and its analytic gradient, in one fused pass:
/// per row block, r = X_b·w + b − y_b by `gemv` into the workspace, then
/// `∂L/∂w += (2/n)·X_bᵀr` by `gemv` transposed, and `∂L/∂b = (2/n)·Σr`.
///
/// `weightsGradient` (count `d`) is overwritten with `∂L/∂w` (including `2·l2·w`).
/// Pass a ``GradientWorkspace`` to avoid allocating the residual buffer on every call.
/// - Returns: the loss and `∂L/∂b`.
public func meanSquaredErrorGradient<S: BLASScalar>(
    features: Matrix<S>, targets: Vector<S>, weights: Vector<S>, bias: S,
    weightsGradient: inout Vector<S>, l2: S = 0, workspace: GradientWorkspace<S>? = nil
) -> (loss: S, biasGradient: S) {
    checkShapes(features, targets, weights, "meanSquaredErrorGradient")
    precondition(weightsGradient.count == weights.count,
                 "meanSquaredErrorGradient: gradient [\(weightsGradient.count)] but weights [\(weights.count)]")
    let (n, d) = (features.rows, features.columns)
    let scratch = workspace ?? GradientWorkspace(featureCount: d)
    return weightsGradient.withUnsafeMutableBufferPointer { g in
        MeanSquaredErrorKernel.lossAndGradient(
            x: features.baseAddress, y: targets.baseAddress, rows: n, columns: d,
            weights: weights.baseAddress, bias: bias, l2: l2, weightsGradient: g.baseAddress!, workspace: scratch)
    }
}

extension MeanSquaredErrorKernel {
    /// The loss and gradient on raw buffers: overwrites `weightsGradient` (`columns` elements)
    /// with `(2/n)·Xᵀr + 2·l2·w` and returns the loss and `∂L/∂b`. With `normalization`, X is
    /// normalized block by block as it is read (see ``accumulate(x:y:rows:columns:weights:bias:gradientScale:weightsGradient:workspace:normalization:)``).
    /// Allocates nothing (after the workspace's first normalized call).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func lossAndGradient<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows n: Int, columns d: Int,
        weights: UnsafePointer<S>, bias: S, l2: S,
        weightsGradient gradient: UnsafeMutablePointer<S>, workspace: GradientWorkspace<S>,
        normalization: RowNormalization<S>? = nil
    ) -> (loss: S, biasGradient: S) {
        // Start from the penalty's gradient 2·l2·w (or zero), then accumulate (2/n)·Xᵀr.
        if l2 != 0 {
            BLAS.copy(d, weights, 1, gradient, 1)
            BLAS.scal(d, 2 * l2, gradient, 1)
        } else {
            gradient.update(repeating: 0, count: d)
        }
        let penalty = l2 != 0 ? l2 * BLAS.dot(d, weights, 1, weights, 1) : 0
        guard n > 0 else { return (penalty, 0) }
        let (squares, sum) = accumulate(x: x, y: y, rows: n, columns: d, weights: weights, bias: bias,
                                        gradientScale: 2 / S(n), weightsGradient: gradient, workspace: workspace,
                                        normalization: normalization)
        return (S(squares / Double(n)) + penalty, S(2 * sum / Double(n)))
    }

    /// The loss alone on raw buffers (no gradient): `(1/n)·Σr² + l2·‖w‖²`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func loss<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows n: Int, columns d: Int,
        weights: UnsafePointer<S>, bias: S, l2: S, workspace: GradientWorkspace<S>
    ) -> S {
        let penalty = l2 != 0 ? l2 * BLAS.dot(d, weights, 1, weights, 1) : 0
        guard n > 0 else { return penalty }
        let (squares, _) = accumulate(x: x, y: y, rows: n, columns: d, weights: weights, bias: bias,
                                      gradientScale: 0, weightsGradient: nil, workspace: workspace)
        return S(squares / Double(n)) + penalty
    }
}

/// The reference two-pass gradient: predictions by one `gemv`, then `(2/n)·Xᵀr` by a second
/// full `gemv`. X is read twice; kept to prove the fused kernel against.
public func meanSquaredErrorGradientTwoPass<S: BLASScalar>(
    features: Matrix<S>, targets: Vector<S>, weights: Vector<S>, bias: S, l2: S = 0
) -> (loss: S, weights: Vector<S>, bias: S) {
    checkShapes(features, targets, weights, "meanSquaredErrorGradientTwoPass")
    let n = features.rows
    let residual = LinearModel(weights: weights, bias: bias).predict(features) - targets
    var gradient = features.transposeMultiplied(by: residual)
    gradient.scale(by: 2 / S(max(n, 1)))
    if l2 != 0 { gradient.add(weights, scaledBy: 2 * l2) }
    let loss = residual.dot(residual) / S(max(n, 1)) + l2 * weights.dot(weights)
    return (loss, gradient, 2 * residual.sum / S(max(n, 1)))
}

private func checkShapes<S: BLASScalar>(_ features: Matrix<S>, _ targets: Vector<S>, _ weights: Vector<S>, _ name: String) {
    precondition(features.rows == targets.count,
                 "\(name): features \(features.rows) × \(features.columns) but targets [\(targets.count)]")
    precondition(features.columns == weights.count,
                 "\(name): features \(features.rows) × \(features.columns) but weights [\(weights.count)]")
}
