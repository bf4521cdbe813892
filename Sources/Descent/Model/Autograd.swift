import _Differentiation

// Reverse-mode automatic differentiation over Descent's BLAS vectors.
//
// `Vector` is `Differentiable` (its tangent is ``VectorTangent``), and the BLAS operations
// have registered derivatives (`@derivative(of:)`), so a loss written as an ordinary Swift
// expression differentiates with BLAS in both directions:
//
//     let g = gradient(at: parameters) { p in
//         meanSquaredErrorLoss(matvec(x, p.weights).adding(p.bias), y)
//     }
//
// What the compiler's AD cannot do here, and the workaround used:
// - `BLASScalar` does not refine `Differentiable` (the protocol is shared and Float/Double
//   would need `TangentVector == Self` spelled in every generic signature), so derivatives are
//   registered in extensions `where Scalar: Differentiable, Scalar.TangentVector == Scalar`,
//   and code generic over plain `BLASScalar` reaches them through a cast to `Float` or
//   `Double` (``AutogradTraining/fitLinear(_:learningRate:epochs:initialWeights:initialBias:)``).
// - `Vector.zero` cannot know a length, so the tangent has a symbolic zero (`storage == nil`)
//   that every tangent operation treats as "all zeros, any length".
// - Stored `Int` properties such as `count` are not differentiable: inside a differentiated
//   closure write `withoutDerivative(at: x.count)`, or use ``Vector/mean``, whose derivative
//   is registered.
// - `Matrix` is not differentiable: gradients flow to the vector of `matvec(_:_:)` only
//   (the data matrix is a constant of the loss, as it is in the chapter).

/// The tangent (gradient) of a ``Vector``: a vector of the same length, or the symbolic zero.
public struct VectorTangent<Scalar: BLASScalar>: Differentiable, AdditiveArithmetic, Sendable {
    /// Its own tangent.
    public typealias TangentVector = VectorTangent
    /// The elements, or nil for the zero tangent of any length.
    public var storage: Vector<Scalar>?

    /// A tangent with these elements (nil: zero).
    public init(_ vector: Vector<Scalar>?) { self.storage = vector }

    /// The symbolic zero.
    public static var zero: VectorTangent { VectorTangent(nil) }

    /// The elements as a dense vector of `count` (zeros for the symbolic zero).
    public func dense(count: Int) -> Vector<Scalar> { storage ?? Vector(zeros: count) }

    /// Elementwise sum (BLAS `axpy`); the symbolic zero is the identity.
    public static func + (lhs: VectorTangent, rhs: VectorTangent) -> VectorTangent {
        guard let l = lhs.storage else { return rhs }
        guard let r = rhs.storage else { return lhs }
        return VectorTangent(l + r)
    }

    /// Elementwise difference (BLAS `axpy`).
    public static func - (lhs: VectorTangent, rhs: VectorTangent) -> VectorTangent {
        guard let r = rhs.storage else { return lhs }
        guard let l = lhs.storage else { return VectorTangent(-r) }
        return VectorTangent(l - r)
    }

    /// Equal elements, the symbolic zero equal to any all-zero vector.
    public static func == (lhs: VectorTangent, rhs: VectorTangent) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (nil, nil): return true
        case (let l?, nil): return l.allSatisfy { $0 == 0 }
        case (nil, let r?): return r.allSatisfy { $0 == 0 }
        case (let l?, let r?): return l == r
        }
    }

    /// self ← self + offset.
    public mutating func move(by offset: VectorTangent) { self = self + offset }
}

extension Vector: Differentiable {
    /// The gradient of a function of a vector is a ``VectorTangent``.
    public typealias TangentVector = VectorTangent<Scalar>

    /// self ← self + offset (BLAS `axpy`).
    public mutating func move(by offset: VectorTangent<Scalar>) {
        if let v = offset.storage { add(v) }
    }
}

/// The pullbacks of the BLAS vector operations (registered for `Float` and `Double`).
extension Vector where Scalar: Differentiable, Scalar.TangentVector == Scalar {
    /// d(x + y) = (g, g).
    @derivative(of: +)
    public static func _vjpAdd(lhs: Vector, rhs: Vector) -> (value: Vector, pullback: (VectorTangent<Scalar>) -> (VectorTangent<Scalar>, VectorTangent<Scalar>)) {
        (lhs + rhs, { ($0, $0) })
    }

    /// d(x − y) = (g, −g).
    @derivative(of: -)
    public static func _vjpSubtract(lhs: Vector, rhs: Vector) -> (value: Vector, pullback: (VectorTangent<Scalar>) -> (VectorTangent<Scalar>, VectorTangent<Scalar>)) {
        (lhs - rhs, { g in (g, .zero - g) })
    }

    /// d(−x) = −g.
    @derivative(of: -)
    public static func _vjpNegate(operand: Vector) -> (value: Vector, pullback: (VectorTangent<Scalar>) -> VectorTangent<Scalar>) {
        (-operand, { g in .zero - g })
    }

    /// d(x·α) = (g·α, gᵀx): `scal` and `dot`.
    @derivative(of: *)
    public static func _vjpScale(lhs: Vector, rhs: Scalar) -> (value: Vector, pullback: (VectorTangent<Scalar>) -> (VectorTangent<Scalar>, Scalar)) {
        (lhs * rhs, { g in
            guard let g = g.storage else { return (.zero, 0) }
            return (VectorTangent(g * rhs), g.dot(lhs))
        })
    }

    /// d(α·x) = (gᵀx, α·g).
    @derivative(of: *)
    public static func _vjpScaleLeft(lhs: Scalar, rhs: Vector) -> (value: Vector, pullback: (VectorTangent<Scalar>) -> (Scalar, VectorTangent<Scalar>)) {
        (lhs * rhs, { g in
            guard let g = g.storage else { return (0, .zero) }
            return (g.dot(rhs), VectorTangent(g * lhs))
        })
    }

    /// d(xᵀy) = (g·y, g·x).
    @derivative(of: dot)
    public func _vjpDot(_ other: Vector) -> (value: Scalar, pullback: (Scalar) -> (VectorTangent<Scalar>, VectorTangent<Scalar>)) {
        (dot(other), { g in (VectorTangent(other * g), VectorTangent(self * g)) })
    }

    /// d(x ⊙ y) = (g ⊙ y, g ⊙ x).
    @derivative(of: elementwiseProduct)
    public func _vjpElementwiseProduct(_ other: Vector) -> (value: Vector, pullback: (VectorTangent<Scalar>) -> (VectorTangent<Scalar>, VectorTangent<Scalar>)) {
        (elementwiseProduct(other), { g in
            guard let g = g.storage else { return (.zero, .zero) }
            return (VectorTangent(g.elementwiseProduct(other)), VectorTangent(g.elementwiseProduct(self)))
        })
    }

    /// d(Σx) = g·1.
    @derivative(of: sum)
    public func _vjpSum() -> (value: Scalar, pullback: (Scalar) -> VectorTangent<Scalar>) {
        let n = count
        return (sum, { g in VectorTangent(Vector(repeating: g, count: n)) })
    }

    /// d(mean x) = (g/n)·1.
    @derivative(of: mean)
    public func _vjpMean() -> (value: Scalar, pullback: (Scalar) -> VectorTangent<Scalar>) {
        let n = count
        return (mean, { g in VectorTangent(Vector(repeating: g / Scalar(Swift.max(n, 1)), count: n)) })
    }

    /// d(x[i]) = g·eᵢ, so packed parameters `p[0]`, `p[1]` differentiate like the chapter's `*params`.
    @derivative(of: subscript.get)
    public func _vjpSubscript(_ index: Int) -> (value: Scalar, pullback: (Scalar) -> VectorTangent<Scalar>) {
        let n = count
        return (self[index], { g in
            var tangent = Vector<Scalar>(zeros: n)
            tangent[index] = g
            return VectorTangent(tangent)
        })
    }

    /// x + α·1: adds a scalar to every element (the bias of a linear model, broadcast).
    @differentiable(reverse)
    public func adding(_ scalar: Scalar) -> Vector {
        Vector(unsafeUninitializedCount: count) { out in
            withUnsafeBufferPointer { x in for i in 0..<x.count { out[i] = x[i] + scalar } }
        }
    }

    /// d(x + α·1) = (g, Σg).
    @derivative(of: adding)
    public func _vjpAdding(_ scalar: Scalar) -> (value: Vector, pullback: (VectorTangent<Scalar>) -> (VectorTangent<Scalar>, Scalar)) {
        (adding(scalar), { g in (g, g.storage?.sum ?? 0) })
    }
}

/// A·x by BLAS `gemv`, differentiable in `x`: its pullback is Aᵀg, `gemv` transposed.
@differentiable(reverse, wrt: x)
public func matvec<S: BLASScalar & Differentiable>(_ a: Matrix<S>, _ x: Vector<S>) -> Vector<S> where S.TangentVector == S {
    a.multiplied(by: x)
}

/// The pullback of ``matvec(_:_:)``: g ↦ Aᵀg.
@derivative(of: matvec, wrt: x)
public func _vjpMatvec<S: BLASScalar & Differentiable>(_ a: Matrix<S>, _ x: Vector<S>) -> (value: Vector<S>, pullback: (VectorTangent<S>) -> VectorTangent<S>) where S.TangentVector == S {
    (a.multiplied(by: x), { g in g.storage.map { VectorTangent(a.transposeMultiplied(by: $0)) } ?? .zero })
}

/// The mean squared error `mean((ŷ − y)²)`, differentiable in the predictions.
@differentiable(reverse, wrt: predictions)
public func meanSquaredErrorLoss<S: BLASScalar & Differentiable>(_ predictions: Vector<S>, _ targets: Vector<S>) -> S where S.TangentVector == S {
    let residual = predictions - targets
    return residual.elementwiseProduct(residual).mean
}

/// The parameters of a linear model as one differentiable value (the compiler synthesizes
/// its tangent: a ``VectorTangent`` for the weights and a scalar for the bias).
public struct LinearParameters<S: BLASScalar & Differentiable>: Differentiable where S.TangentVector == S {
    /// One weight per feature.
    public var weights: Vector<S>
    /// The intercept.
    public var bias: S

    /// Parameters with these values.
    public init(weights: Vector<S>, bias: S) {
        self.weights = weights
        self.bias = bias
    }
}

/// The linear model `X·w + b` as a differentiable expression: `gemv` forward, `gemv`
/// transposed and a sum backward.
@differentiable(reverse, wrt: parameters)
public func linearPrediction<S: BLASScalar & Differentiable>(_ features: Matrix<S>, _ parameters: LinearParameters<S>) -> Vector<S> where S.TangentVector == S {
    matvec(features, parameters.weights).adding(parameters.bias)
}

/// Training with gradients from automatic differentiation instead of the fused analytic
/// kernel (the chapter's `loss.backward()`); slower (the closures and tangents allocate) but
/// the same mathematics, which the thermometer walkthrough (step 7) shows.
public enum AutogradTraining {
    /// Plain gradient descent on the MSE of a linear model for `epochs` epochs, each gradient
    /// from `gradient(at:of:)` through ``linearPrediction(_:_:)`` and ``meanSquaredErrorLoss(_:_:)``.
    /// Works for `Float` and `Double` (see the file's notes on why it dispatches on the type).
    /// - Returns: the model and the loss at its final parameters.
    public static func fitLinear<S: BLASScalar>(_ dataset: Dataset<S>, learningRate: Double, epochs: Int,
                                                initialWeights: [Double]? = nil, initialBias: Double = 0) throws -> (model: LinearModel<S>, loss: S) {
        try validateLearningRate(learningRate)
        guard epochs >= 0 else { throw DescentError.invalidParameter(name: "epochs", value: "\(epochs)", expected: "at least 0") }
        let weights = initialWeights ?? Array(repeating: 0, count: dataset.featureCount)
        guard weights.count == dataset.featureCount else {
            throw DescentError.invalidParameter(name: "initial weights", value: "\(weights.count) values", expected: "\(dataset.featureCount), one per feature")
        }
        if let data = dataset as? Dataset<Float> {
            let result = differentiableFit(data, learningRate: Float(learningRate), epochs: epochs, weights: weights, bias: initialBias)
            return (result.model as! LinearModel<S>, S(result.loss))
        }
        if let data = dataset as? Dataset<Double> {
            let result = differentiableFit(data, learningRate: learningRate, epochs: epochs, weights: weights, bias: initialBias)
            return (result.model as! LinearModel<S>, S(result.loss))
        }
        throw DescentError.invalidParameter(name: "precision", value: S.precisionName, expected: "float32 or float64")
    }

    private static func differentiableFit<S: BLASScalar & Differentiable>(_ data: Dataset<S>, learningRate: S, epochs: Int, weights: [Double], bias: Double)
        -> (model: LinearModel<S>, loss: S) where S.TangentVector == S {
        let (x, y) = (data.features, data.targets)
        var parameters = LinearParameters(weights: Vector(weights.map { S($0) }), bias: S(bias))
        for _ in 0..<epochs {
            let g = gradient(at: parameters) { p in meanSquaredErrorLoss(linearPrediction(x, p), y) }
            // θ ← θ − lr·∇L, as the chapter's `params -= learning_rate * params.grad`.
            if let gw = g.weights.storage { parameters.weights.add(gw, scaledBy: -learningRate) }
            parameters.bias -= learningRate * g.bias
        }
        let model = LinearModel(weights: parameters.weights, bias: parameters.bias)
        return (model, meanSquaredErrorLoss(linearPrediction(x, parameters), y))
    }
}
