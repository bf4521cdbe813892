/// A linear model `ŷ = X·w + b`: one weight per feature and a bias.
///
/// A value type. Predictions are one BLAS `gemv` (plus the bias); the parameters can be
/// packed into one vector `[w₀ … w_{d−1}, b]` (``parameters``), the layout the trainer
/// and the optimizers work on.
public struct LinearModel<Scalar: BLASScalar>: Sendable, Equatable {
    /// One weight per feature.
    public var weights: Vector<Scalar>
    /// The intercept.
    public var bias: Scalar

    /// A model with these weights and bias.
    public init(weights: Vector<Scalar>, bias: Scalar) {
        self.weights = weights
        self.bias = bias
    }

    /// A model of `featureCount` zero weights and a zero bias.
    public init(featureCount: Int) {
        self.init(weights: Vector(zeros: featureCount), bias: 0)
    }

    /// A model from packed parameters `[w₀ … w_{d−1}, b]` (at least one element: the bias).
    public init(parameters: Vector<Scalar>) {
        precondition(parameters.count >= 1, "LinearModel(parameters:) needs at least the bias, got [\(parameters.count)]")
        let d = parameters.count - 1
        self.init(weights: Vector(parameters.prefix(d)), bias: parameters[d])
    }

    /// The number of features `d`.
    public var featureCount: Int { weights.count }

    /// The packed parameters `[w₀ … w_{d−1}, b]` (a new vector of `d + 1` elements).
    public var parameters: Vector<Scalar> {
        Vector(unsafeUninitializedCount: weights.count + 1) { out in
            weights.withUnsafeBufferPointer { w in
                if !w.isEmpty { out.baseAddress!.update(from: w.baseAddress!, count: w.count) }
            }
            out[weights.count] = bias
        }
    }

    /// Whether every weight and the bias are finite.
    public var isFinite: Bool { weights.isFinite && bias.isFinite }

    /// Predictions `X·w + b` for every row of `features` (`gemv` with β = 0 after filling with b).
    public func predict(_ features: Matrix<Scalar>) -> Vector<Scalar> {
        precondition(features.columns == weights.count,
                     "LinearModel.predict: features \(features.rows) × \(features.columns) but \(weights.count) weights")
        var result = Vector<Scalar>(repeating: bias, count: features.rows)
        guard features.rows > 0, features.columns > 0 else { return result }
        let (m, d) = (features.rows, features.columns)
        result.withUnsafeMutableBufferPointer { out in
            BLAS.gemv(.none, rows: m, columns: d, alpha: 1, features.baseAddress, lda: d,
                      weights.baseAddress, 1, beta: 1, out.baseAddress!, 1)
        }
        return result
    }

    /// The prediction `xᵀw + b` for one sample.
    public func predict(row: Vector<Scalar>) -> Scalar {
        precondition(row.count == weights.count, "LinearModel.predict(row:): row [\(row.count)] but \(weights.count) weights")
        return row.dot(weights) + bias
    }

    /// The loss (mean squared error plus `l2·‖w‖²`) on a data set.
    public func loss(on dataset: Dataset<Scalar>, l2: Scalar = 0) -> Scalar {
        meanSquaredError(features: dataset.features, targets: dataset.targets, weights: weights, bias: bias, l2: l2)
    }

    /// The loss and its analytic gradient on a data set, in one fused pass over the rows.
    public func lossAndGradient(on dataset: Dataset<Scalar>, l2: Scalar = 0) -> (loss: Scalar, weights: Vector<Scalar>, bias: Scalar) {
        var gradient = Vector<Scalar>(zeros: weights.count)
        let (loss, biasGradient) = meanSquaredErrorGradient(
            features: dataset.features, targets: dataset.targets, weights: weights, bias: bias,
            weightsGradient: &gradient, l2: l2)
        return (loss, gradient, biasGradient)
    }
}
