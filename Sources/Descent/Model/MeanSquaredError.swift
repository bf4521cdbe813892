/// Scratch memory for the fused loss and gradient kernels: a residual buffer of one row
/// block. Allocate one per training run (and one per thread) and reuse it every epoch,
/// so an epoch allocates nothing.
///
/// A reference type on purpose: it is scratch, never a value anyone reads; do not share
/// one between threads.
public final class GradientWorkspace<Scalar: BLASScalar> {
    /// The number of rows per block: about 192 KB of features, so a block of X stays in
    /// L2 between the two `gemv` calls (see DESIGN.md: 128–256 KB blocks are the fast size).
    public let blockRows: Int
    let residual: AlignedStorage<Scalar>

    /// A workspace for data of `featureCount` columns; `blockRows` overrides the block size.
    public init(featureCount: Int, blockRows: Int? = nil) {
        let automatic = 196_608 / (max(1, featureCount) * MemoryLayout<Scalar>.stride)
        let rows = blockRows ?? min(4096, max(64, automatic))
        precondition(rows >= 1, "GradientWorkspace: blockRows must be at least 1, got \(rows)")
        self.blockRows = rows
        self.residual = AlignedStorage(zeroedCount: rows)
    }
}

/// The fused mean-squared-error kernel on raw row-major buffers. This is the one place the
/// loss and gradient are computed; every caller (``LinearModel``, the ``Trainer``, the free
/// functions below) goes through ``accumulate(x:y:rows:columns:weights:bias:gradientScale:weightsGradient:workspace:)``,
/// so it can be made multi-threaded without touching them.
///
/// The kernels carry `@_specialize` for `Float` and `Double`: the CLI reaches the engine
/// through an opened existential (`--precision`), and unspecialized generic SIMD code is
/// tens of times slower.
enum MeanSquaredErrorKernel {
    /// For every block of rows: r = X_b·w + b − y_b (copy + `gemv` into the workspace), then
    /// `weightsGradient += gradientScale · X_bᵀ·r` (`gemv` transposed), while summing r and r².
    /// X is read once from memory; the block is still in cache for the second `gemv`.
    ///
    /// - Returns: Σr² and Σr over all rows, accumulated across blocks in `Double` (each block's
    ///   partial sum is in `Scalar`), so long float runs do not lose the loss to rounding.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func accumulate<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows: Int, columns: Int,
        weights: UnsafePointer<S>, bias: S, gradientScale: S,
        weightsGradient: UnsafeMutablePointer<S>?, workspace: GradientWorkspace<S>
    ) -> (sumOfSquares: Double, sum: Double) {
        let residual = workspace.residual.pointer
        let blockRows = workspace.blockRows
        var sumOfSquares = 0.0, sum = 0.0
        var start = 0
        while start < rows {
            let m = min(blockRows, rows - start)
            let xb = x + start * columns
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
            if let weightsGradient, columns > 0 {
                BLAS.gemv(.transposed, rows: m, columns: columns, alpha: gradientScale, xb, lda: columns,
                          residual, 1, beta: 1, weightsGradient, 1)
            }
            start += m
        }
        return (sumOfSquares, sum)
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
    /// with `(2/n)·Xᵀr + 2·l2·w` and returns the loss and `∂L/∂b`. Allocates nothing.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func lossAndGradient<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows n: Int, columns d: Int,
        weights: UnsafePointer<S>, bias: S, l2: S,
        weightsGradient gradient: UnsafeMutablePointer<S>, workspace: GradientWorkspace<S>
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
                                        gradientScale: 2 / S(n), weightsGradient: gradient, workspace: workspace)
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
