/// An optimization algorithm that updates packed parameters from their gradient.
///
/// Parameters are one vector (for a ``LinearModel``: `[w₀ … w_{d−1}, b]`). State (momentum
/// buffers, Adam's moments) is created lazily on the first step, like PyTorch's, and is
/// `Codable`, so a run can be saved and resumed: encode the optimizer, decode it, and the
/// next ``step(_:gradient:)`` continues exactly where it stopped.
public protocol Optimizer<Scalar>: Codable, Sendable {
    /// The precision of the parameters.
    associatedtype Scalar: BLASScalar
    /// The step size; a schedule may change it between epochs.
    var learningRate: Double { get set }
    /// One update of `parameters` from `gradient` (same count).
    mutating func step(_ parameters: inout Vector<Scalar>, gradient: Vector<Scalar>)
    /// Forgets the state (momentum, moments, step count), keeping the hyper-parameters.
    mutating func resetState()
    /// Throws ``DescentError/invalidParameter(name:value:expected:)`` naming the first
    /// hyper-parameter outside its range.
    func validate() throws
}

/// Checks a learning rate: finite and ≥ 0 (PyTorch's rule).
func validateLearningRate(_ value: Double, name: String = "learning rate") throws {
    guard value.isFinite, value >= 0 else {
        throw DescentError.invalidParameter(name: name, value: "\(value)", expected: "a finite number >= 0")
    }
}

private func requireRange(_ name: String, _ value: Double, _ expected: String, _ ok: Bool) throws {
    guard value.isFinite, ok else { throw DescentError.invalidParameter(name: name, value: "\(value)", expected: expected) }
}

/// Stochastic gradient descent with optional momentum, dampening, Nesterov momentum and
/// weight decay, exactly PyTorch's `torch.optim.SGD`:
///
/// ```
/// g ← g + weightDecay·θ                       (if weightDecay ≠ 0)
/// if momentum ≠ 0:
///     v ← g                                   (first step)
///     v ← momentum·v + (1 − dampening)·g      (later steps)
///     g ← g + momentum·v   if nesterov, else   g ← v
/// θ ← θ − lr·g
/// ```
public struct SGD<Scalar: BLASScalar>: Optimizer {
    /// The step size lr (≥ 0).
    public var learningRate: Double
    /// The momentum factor (≥ 0; 0 is plain gradient descent).
    public var momentum: Double
    /// The dampening of the gradient in the momentum buffer (≥ 0).
    public var dampening: Double
    /// Nesterov momentum (needs momentum > 0 and dampening 0).
    public var nesterov: Bool
    /// The L2 weight decay added to the gradient (≥ 0).
    public var weightDecay: Double
    /// The momentum buffer, created on the first step.
    public private(set) var velocity: [Scalar]?

    /// A validated SGD optimizer; throws ``DescentError/invalidParameter(name:value:expected:)``.
    public init(learningRate: Double, momentum: Double = 0, dampening: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) throws {
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        self.velocity = nil
        try validate()
    }

    /// Checks every hyper-parameter (PyTorch's rules).
    public func validate() throws {
        try validateLearningRate(learningRate)
        try requireRange("momentum", momentum, "a finite number >= 0", momentum >= 0)
        try requireRange("dampening", dampening, "a finite number >= 0", dampening >= 0)
        try requireRange("weight decay", weightDecay, "a finite number >= 0", weightDecay >= 0)
        if nesterov && (momentum <= 0 || dampening != 0) {
            throw DescentError.invalidParameter(name: "nesterov", value: "true with momentum \(momentum), dampening \(dampening)",
                                                expected: "momentum > 0 and dampening 0")
        }
    }

    /// Clears the momentum buffer.
    public mutating func resetState() { velocity = nil }

    /// One SGD update.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: inout Vector<Scalar>, gradient: Vector<Scalar>) {
        precondition(parameters.count == gradient.count, "SGD.step: parameters [\(parameters.count)] but gradient [\(gradient.count)]")
        let lr = Scalar(learningRate), mu = Scalar(momentum), decay = Scalar(weightDecay)
        let keep = 1 - Scalar(dampening)
        let (useMomentum, nesterov) = (momentum != 0, self.nesterov)
        let first = velocity == nil
        var buffer = velocity ?? (useMomentum ? [Scalar](repeating: 0, count: parameters.count) : [])
        parameters.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeBufferPointer { grad in
                buffer.withUnsafeMutableBufferPointer { v in
                    for i in 0..<theta.count {
                        var g = grad[i]
                        if decay != 0 { g += decay * theta[i] }
                        if useMomentum {
                            v[i] = first ? g : mu * v[i] + keep * g
                            g = nesterov ? g + mu * v[i] : v[i]
                        }
                        theta[i] -= lr * g
                    }
                }
            }
        }
        if useMomentum { velocity = buffer }
    }
}

/// Adam, exactly PyTorch's `torch.optim.Adam` (defaults lr 1e-3, β = (0.9, 0.999), ε = 1e-8,
/// no weight decay, no AMSGrad), with bias correction:
///
/// ```
/// t ← t + 1;  g ← g + weightDecay·θ
/// m ← m + (1 − β₁)(g − m)              (PyTorch's lerp)
/// v ← β₂·v + (1 − β₂)·g²
/// θ ← θ − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
/// ```
/// The bias corrections are computed in `Double`, as PyTorch computes them in Python floats.
public struct Adam<Scalar: BLASScalar>: Optimizer {
    /// The step size lr (≥ 0).
    public var learningRate: Double
    /// The decay of the first moment, in [0, 1).
    public var beta1: Double
    /// The decay of the second moment, in [0, 1).
    public var beta2: Double
    /// Added to the denominator for stability (≥ 0).
    public var epsilon: Double
    /// The L2 weight decay added to the gradient (≥ 0).
    public var weightDecay: Double
    /// The number of steps taken.
    public private(set) var stepCount: Int = 0
    /// The first moment estimate, created on the first step.
    public private(set) var firstMoment: [Scalar]?
    /// The second moment estimate, created on the first step.
    public private(set) var secondMoment: [Scalar]?

    /// A validated Adam optimizer; throws ``DescentError/invalidParameter(name:value:expected:)``.
    public init(learningRate: Double = 1e-3, beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) throws {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        try validate()
    }

    /// Checks every hyper-parameter (PyTorch's rules).
    public func validate() throws {
        try validateLearningRate(learningRate)
        try requireRange("beta1", beta1, "a number in [0, 1)", beta1 >= 0 && beta1 < 1)
        try requireRange("beta2", beta2, "a number in [0, 1)", beta2 >= 0 && beta2 < 1)
        try requireRange("epsilon", epsilon, "a finite number >= 0", epsilon >= 0)
        try requireRange("weight decay", weightDecay, "a finite number >= 0", weightDecay >= 0)
    }

    /// Clears the moments and the step count.
    public mutating func resetState() {
        stepCount = 0
        firstMoment = nil
        secondMoment = nil
    }

    /// One Adam update.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: inout Vector<Scalar>, gradient: Vector<Scalar>) {
        precondition(parameters.count == gradient.count, "Adam.step: parameters [\(parameters.count)] but gradient [\(gradient.count)]")
        stepCount += 1
        let t = Double(stepCount)
        let b1 = Scalar(beta1), b2 = Scalar(beta2), eps = Scalar(epsilon), decay = Scalar(weightDecay)
        let stepSize = Scalar(learningRate / (1 - _pow(beta1, t)))
        let correction2 = Scalar(((1 - _pow(beta2, t))).squareRoot())
        var m = firstMoment ?? [Scalar](repeating: 0, count: parameters.count)
        var v = secondMoment ?? [Scalar](repeating: 0, count: parameters.count)
        parameters.withUnsafeMutableBufferPointer { theta in
            gradient.withUnsafeBufferPointer { grad in
                for i in 0..<theta.count {
                    var g = grad[i]
                    if decay != 0 { g += decay * theta[i] }
                    m[i] += (1 - b1) * (g - m[i])
                    v[i] = b2 * v[i] + (1 - b2) * g * g
                    let denominator = v[i].squareRoot() / correction2 + eps
                    theta[i] -= stepSize * m[i] / denominator
                }
            }
        }
        firstMoment = m
        secondMoment = v
    }
}

/// Which optimizer a ``TrainingConfiguration`` builds, with its hyper-parameters other than
/// the learning rate (which the configuration and its schedule own).
public enum OptimizerChoice: Sendable, Equatable, Codable {
    /// ``SGD`` (momentum 0 is plain gradient descent, the chapter's loop).
    case sgd(momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0)
    /// ``Adam`` with PyTorch's defaults unless given.
    case adam(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0)

    /// A short name: `"sgd"`, `"momentum"` (SGD with momentum > 0), `"nesterov"` or `"adam"`.
    public var name: String {
        switch self {
        case .sgd(let momentum, let nesterov, _): return nesterov ? "nesterov" : (momentum > 0 ? "momentum" : "sgd")
        case .adam: return "adam"
        }
    }

    /// A validated optimizer in precision `S`.
    public func make<S: BLASScalar>(learningRate: Double, as _: S.Type = S.self) throws -> any Optimizer<S> {
        switch self {
        case .sgd(let momentum, let nesterov, let weightDecay):
            return try SGD<S>(learningRate: learningRate, momentum: momentum, nesterov: nesterov, weightDecay: weightDecay)
        case .adam(let beta1, let beta2, let epsilon, let weightDecay):
            return try Adam<S>(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, weightDecay: weightDecay)
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _pow(_ x: Double, _ y: Double) -> Double { pow(x, y) }
