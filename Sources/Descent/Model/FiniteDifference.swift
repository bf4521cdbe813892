/// Central finite differences: `f′(x) ≈ (f(x + δ) − f(x − δ)) / 2δ`, the chapter's
/// "rate of change", used to check analytic and automatic gradients.
public enum FiniteDifference {
    /// The central difference of a function of one scalar.
    public static func derivative<S: BLASScalar>(at x: S, delta: S, of f: (S) -> S) -> S {
        (f(x + delta) - f(x - delta)) / (2 * delta)
    }

    /// The central-difference gradient of `f` at `point`, one coordinate at a time
    /// (2 evaluations of `f` per coordinate).
    public static func gradient<S: BLASScalar>(at point: Vector<S>, delta: S, of f: (Vector<S>) -> S) -> Vector<S> {
        var probe = point.copied()
        var result = Vector<S>(zeros: point.count)
        for i in 0..<point.count {
            let original = probe[i]
            probe[i] = original + delta
            let forward = f(probe)
            probe[i] = original - delta
            let backward = f(probe)
            probe[i] = original
            result[i] = (forward - backward) / (2 * delta)
        }
        return result
    }

    /// A step that balances truncation and rounding error for central differences:
    /// `ε^(1/3)·max(1, |x|)`, about 5e-3 for `Float` and 6e-6 for `Double`.
    public static func defaultDelta<S: BLASScalar>(at x: S) -> S {
        S(_cbrt(Double(S.ulpOfOne))) * Swift.max(1, Swift.abs(x))
    }
}

/// The result of comparing an analytic (or automatic) gradient with finite differences.
public struct GradientCheck<Scalar: BLASScalar>: Sendable {
    /// The gradient being checked.
    public var analytic: Vector<Scalar>
    /// The central-difference gradient.
    public var numeric: Vector<Scalar>
    /// The largest `|analytic − numeric| / max(|analytic|, |numeric|, |loss|)` over the coordinates.
    public var largestRelativeError: Double
    /// The accepted error: `10·√ε` of `Scalar` (about 3e-3 for `Float`, 1.5e-7 for `Double`).
    public var tolerance: Double
    /// Whether `largestRelativeError ≤ tolerance`.
    public var passed: Bool { largestRelativeError <= tolerance }

    /// Compares `analytic` with `numeric`. The loss value scales the denominator because the
    /// rounding error of a central difference is about `ε·|loss|/δ`, which stays far below
    /// `tolerance·|loss|` for the default step; near an optimum the gradient is close to zero
    /// and a purely relative error would be meaningless.
    public init(analytic: Vector<Scalar>, numeric: Vector<Scalar>, loss: Scalar) {
        precondition(analytic.count == numeric.count, "GradientCheck: gradients [\(analytic.count)] and [\(numeric.count)]")
        self.analytic = analytic
        self.numeric = numeric
        self.tolerance = 10 * Double(Scalar.ulpOfOne).squareRoot()
        var worst = 0.0
        for i in 0..<analytic.count {
            let a = Double(analytic[i]), b = Double(numeric[i])
            let scale = Swift.max(Swift.abs(a), Swift.abs(b), Swift.abs(Double(loss)), Double.leastNormalMagnitude)
            let error = Swift.abs(a - b) / scale
            worst = Swift.max(worst, error.isNaN ? .infinity : error)
        }
        self.largestRelativeError = worst
    }

    /// Checks the fused analytic gradient of the MSE loss of `model` on `dataset`.
    public static func linearModel(_ model: LinearModel<Scalar>, on dataset: Dataset<Scalar>, l2: Scalar = 0) -> GradientCheck {
        let (loss, weights, bias) = model.lossAndGradient(on: dataset, l2: l2)
        var analytic = weights.array
        analytic.append(bias)
        let parameters = model.parameters
        let workspace = GradientWorkspace<Scalar>(featureCount: dataset.featureCount)
        var numeric = Vector<Scalar>(zeros: parameters.count)
        for i in 0..<parameters.count {
            // One step per coordinate, scaled by its magnitude.
            let delta = FiniteDifference.defaultDelta(at: parameters[i])
            let component = FiniteDifference.derivative(at: parameters[i], delta: delta) { value in
                var probe = parameters
                probe[i] = value
                let m = LinearModel(parameters: probe)
                return meanSquaredError(features: dataset.features, targets: dataset.targets,
                                        weights: m.weights, bias: m.bias, l2: l2, workspace: workspace)
            }
            numeric[i] = component
        }
        return GradientCheck(analytic: Vector(analytic), numeric: numeric, loss: loss)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _cbrt(_ x: Double) -> Double { cbrt(x) }
