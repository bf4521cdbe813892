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

/// Checks a learning rate: finite and > 0 (PyTorch allows 0, but a rate of 0 never learns:
/// it is always a mistake on the command line).
func validateLearningRate(_ value: Double, name: String = "learning rate") throws {
    guard value.isFinite, value > 0 else {
        throw DescentError.invalidParameter(name: name, value: "\(value)", expected: "a finite number > 0")
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
    public internal(set) var velocity: [Scalar]?

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
    public internal(set) var stepCount: Int = 0
    /// The first moment estimate, created on the first step.
    public internal(set) var firstMoment: [Scalar]?
    /// The second moment estimate, created on the first step.
    public internal(set) var secondMoment: [Scalar]?

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

/// The update of ``SGD`` or ``Adam`` on raw buffers, for the trainer's hot loop: the
/// concrete algorithm picked once per run (no existential dispatch per step), the state in
/// 64-byte-aligned storage updated in place with SIMD (no per-step allocation or
/// copy-on-write), and element by element the same arithmetic, in the same order, as the
/// optimizers' ``Optimizer/step(_:gradient:)`` — so the iterates are the same bits.
struct ParameterStepper<S: BLASScalar> {
    private enum Kind { case sgd, adam }
    private let kind: Kind
    private let count: Int
    private var lr: S = 0
    private var learningRateValue: Double = 0
    // SGD
    private let mu: S, keep: S, decay: S
    private let useMomentum: Bool, nesterov: Bool
    private var firstStep: Bool
    // Adam
    private let beta1: Double, beta2: Double
    private let b1: S, b2: S, eps: S
    private var stepCount: Int
    private let state1: AlignedStorage<S>, state2: AlignedStorage<S>

    /// A stepper for `optimizer` (an ``SGD`` or ``Adam``) over `count` parameters, starting
    /// from its state.
    init(_ optimizer: any Optimizer<S>, count: Int) {
        self.count = count
        state1 = AlignedStorage(zeroedCount: count)
        state2 = AlignedStorage(zeroedCount: count)
        if let sgd = optimizer as? SGD<S> {
            kind = .sgd
            mu = S(sgd.momentum); keep = 1 - S(sgd.dampening); decay = S(sgd.weightDecay)
            useMomentum = sgd.momentum != 0; nesterov = sgd.nesterov
            firstStep = sgd.velocity == nil
            if let velocity = sgd.velocity { for i in 0..<min(count, velocity.count) { state1.pointer[i] = velocity[i] } }
            beta1 = 0; beta2 = 0; b1 = 0; b2 = 0; eps = 0; stepCount = 0
        } else if let adam = optimizer as? Adam<S> {
            kind = .adam
            mu = 0; keep = 1; decay = S(adam.weightDecay); useMomentum = false; nesterov = false; firstStep = true
            beta1 = adam.beta1; beta2 = adam.beta2
            b1 = S(adam.beta1); b2 = S(adam.beta2); eps = S(adam.epsilon)
            stepCount = adam.stepCount
            if let m = adam.firstMoment { for i in 0..<min(count, m.count) { state1.pointer[i] = m[i] } }
            if let v = adam.secondMoment { for i in 0..<min(count, v.count) { state2.pointer[i] = v[i] } }
        } else {
            preconditionFailure("ParameterStepper: \(type(of: optimizer)) is not an optimizer the trainer builds")
        }
        setLearningRate(optimizer.learningRate)
    }

    /// Sets the step size (a schedule changes it between epochs).
    mutating func setLearningRate(_ value: Double) {
        learningRateValue = value
        lr = S(value)
    }

    /// One update of `theta` from `gradient` (`count` elements each).
    @inline(__always)
    mutating func step(_ theta: UnsafeMutablePointer<S>, _ gradient: UnsafePointer<S>) {
        switch kind {
        case .sgd: sgdStep(theta, gradient)
        case .adam: adamStep(theta, gradient)
        }
    }

    @inline(__always)
    private mutating func sgdStep(_ theta: UnsafeMutablePointer<S>, _ gradient: UnsafePointer<S>) {
        let first = firstStep, lr = self.lr, mu = self.mu, keep = self.keep, decay = self.decay
        let useMomentum = self.useMomentum, nesterov = self.nesterov
        let v = state1.pointer
        let rawTheta = UnsafeMutableRawPointer(theta), rawGradient = UnsafeRawPointer(gradient), rawV = UnsafeMutableRawPointer(v)
        let width = 8, stride = MemoryLayout<S>.stride
        var i = 0
        if !useMomentum && decay == 0 {
            let lrs = SIMD8<S>(repeating: lr)
            while i + width <= count {
                let t = rawTheta.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<S>.self)
                let g = rawGradient.loadUnaligned(fromByteOffset: i * stride, as: SIMD8<S>.self)
                rawTheta.storeBytes(of: t - lrs * g, toByteOffset: i * stride, as: SIMD8<S>.self)
                i += width
            }
            while i < count { theta[i] -= lr * gradient[i]; i += 1 }
            return
        }
        let lrs = SIMD8<S>(repeating: lr), mus = SIMD8<S>(repeating: mu), keeps = SIMD8<S>(repeating: keep)
        let decays = SIMD8<S>(repeating: decay)
        while i + width <= count {
            let offset = i * stride
            let t = rawTheta.loadUnaligned(fromByteOffset: offset, as: SIMD8<S>.self)
            var g = rawGradient.loadUnaligned(fromByteOffset: offset, as: SIMD8<S>.self)
            if decay != 0 { g += decays * t }
            if useMomentum {
                let velocity = first ? g : mus * rawV.loadUnaligned(fromByteOffset: offset, as: SIMD8<S>.self) + keeps * g
                rawV.storeBytes(of: velocity, toByteOffset: offset, as: SIMD8<S>.self)
                g = nesterov ? g + mus * velocity : velocity
            }
            rawTheta.storeBytes(of: t - lrs * g, toByteOffset: offset, as: SIMD8<S>.self)
            i += width
        }
        while i < count {
            var g = gradient[i]
            if decay != 0 { g += decay * theta[i] }
            if useMomentum {
                v[i] = first ? g : mu * v[i] + keep * g
                g = nesterov ? g + mu * v[i] : v[i]
            }
            theta[i] -= lr * g
            i += 1
        }
        if useMomentum { firstStep = false }
    }

    @inline(__always)
    private mutating func adamStep(_ theta: UnsafeMutablePointer<S>, _ gradient: UnsafePointer<S>) {
        stepCount += 1
        let t = Double(stepCount)
        let b1 = self.b1, b2 = self.b2, eps = self.eps, decay = self.decay
        let stepSize = S(learningRateValue / (1 - _pow(beta1, t)))
        let correction2 = S(((1 - _pow(beta2, t))).squareRoot())
        let m = state1.pointer, v = state2.pointer
        let rawTheta = UnsafeMutableRawPointer(theta), rawGradient = UnsafeRawPointer(gradient)
        let rawM = UnsafeMutableRawPointer(m), rawV = UnsafeMutableRawPointer(v)
        let width = 8, stride = MemoryLayout<S>.stride
        let oneMinusB1 = SIMD8<S>(repeating: 1 - b1), b2s = SIMD8<S>(repeating: b2), oneMinusB2 = SIMD8<S>(repeating: 1 - b2)
        let decays = SIMD8<S>(repeating: decay), epss = SIMD8<S>(repeating: eps)
        let corrections = SIMD8<S>(repeating: correction2), stepSizes = SIMD8<S>(repeating: stepSize)
        var i = 0
        while i + width <= count {
            let offset = i * stride
            let th = rawTheta.loadUnaligned(fromByteOffset: offset, as: SIMD8<S>.self)
            var g = rawGradient.loadUnaligned(fromByteOffset: offset, as: SIMD8<S>.self)
            if decay != 0 { g += decays * th }
            var mi = rawM.loadUnaligned(fromByteOffset: offset, as: SIMD8<S>.self)
            mi += oneMinusB1 * (g - mi)
            let vi = b2s * rawV.loadUnaligned(fromByteOffset: offset, as: SIMD8<S>.self) + oneMinusB2 * g * g
            rawM.storeBytes(of: mi, toByteOffset: offset, as: SIMD8<S>.self)
            rawV.storeBytes(of: vi, toByteOffset: offset, as: SIMD8<S>.self)
            let denominator = vi.squareRoot() / corrections + epss
            rawTheta.storeBytes(of: th - stepSizes * mi / denominator, toByteOffset: offset, as: SIMD8<S>.self)
            i += width
        }
        while i < count {
            var g = gradient[i]
            if decay != 0 { g += decay * theta[i] }
            m[i] += (1 - b1) * (g - m[i])
            v[i] = b2 * v[i] + (1 - b2) * g * g
            let denominator = v[i].squareRoot() / correction2 + eps
            theta[i] -= stepSize * m[i] / denominator
            i += 1
        }
    }

    /// Writes the state (and learning rate) back into `optimizer`, so a saved run resumes exactly.
    func store(into optimizer: inout any Optimizer<S>) {
        switch kind {
        case .sgd:
            guard var sgd = optimizer as? SGD<S> else { return }
            sgd.learningRate = learningRateValue
            if useMomentum && !firstStep { sgd.velocity = Array(UnsafeBufferPointer(start: state1.pointer, count: count)) }
            optimizer = sgd
        case .adam:
            guard var adam = optimizer as? Adam<S> else { return }
            adam.learningRate = learningRateValue
            adam.restore(stepCount: stepCount,
                         firstMoment: stepCount > 0 ? Array(UnsafeBufferPointer(start: state1.pointer, count: count)) : nil,
                         secondMoment: stepCount > 0 ? Array(UnsafeBufferPointer(start: state2.pointer, count: count)) : nil)
            optimizer = adam
        }
    }
}

extension Adam {
    /// Sets the state (for ``ParameterStepper``).
    mutating func restore(stepCount: Int, firstMoment: [Scalar]?, secondMoment: [Scalar]?) {
        self.stepCount = stepCount
        self.firstMoment = firstMoment
        self.secondMoment = secondMoment
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
