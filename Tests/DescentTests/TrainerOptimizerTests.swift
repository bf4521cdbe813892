import Descent
import Foundation
import Testing

@Suite("Trainer: optimizers")
struct TrainerOptimizerTests {
    /// Minimizes f(θ) = ½ Σ aᵢ(θᵢ − cᵢ)², whose optimum is c, with `steps` steps.
    func minimize<S: BLASScalar>(_ optimizer: inout some Optimizer<S>, steps: Int) -> Vector<S> {
        let a: [S] = [1, 4, 0.5], c: [S] = [3, -2, 0.5]
        var theta = Vector<S>(zeros: 3)
        for _ in 0..<steps {
            let gradient = Vector<S>((0..<3).map { a[$0] * (theta[$0] - c[$0]) })
            optimizer.step(&theta, gradient: gradient)
        }
        return theta
    }

    @Test("every optimizer reaches the known optimum of a quadratic", arguments: trainerScalarTypes)
    func knownOptimum(_ type: any BLASScalar.Type) throws { try checkOptimum(type) }

    func checkOptimum<S: BLASScalar>(_: S.Type) throws {
        let tol = S.self == Float.self ? 1e-4 : 1e-8
        let optimum: [Double] = [3, -2, 0.5]
        func expectOptimum(_ theta: Vector<S>, _ name: String) {
            for i in 0..<3 { #expect(abs(Double(theta[i]) - optimum[i]) < tol, "\(name) θ\(i) = \(theta[i])") }
        }
        var sgd = try SGD<S>(learningRate: 0.2)
        expectOptimum(minimize(&sgd, steps: 2000), "sgd")
        var momentum = try SGD<S>(learningRate: 0.05, momentum: 0.9)
        expectOptimum(minimize(&momentum, steps: 2000), "momentum")
        var nesterov = try SGD<S>(learningRate: 0.05, momentum: 0.9, nesterov: true)
        expectOptimum(minimize(&nesterov, steps: 2000), "nesterov")
        // Adam's step is about lr until the moments settle: a small rate and enough steps.
        var adamFinal = try Adam<S>(learningRate: 0.01)
        expectOptimum(minimize(&adamFinal, steps: 20000), "adam")
    }

    @Test("momentum and Nesterov follow PyTorch's formulas step by step (hand-computed)")
    func handComputedMomentum() throws {
        // f(θ) = θ²/2, so g = θ; θ₀ = 1, lr 0.1, momentum 0.9.
        func run(_ optimizer: SGD<Double>, steps: Int) -> [Double] {
            var o = optimizer
            var theta: Vector<Double> = [1]
            var out: [Double] = []
            for _ in 0..<steps { o.step(&theta, gradient: theta); out.append(theta[0]) }
            return out
        }
        // v₁ = g = 1 → θ = 0.9; v₂ = 0.9·1 + 0.9 = 1.8 → θ = 0.72; v₃ = 0.9·1.8 + 0.72 = 2.34 → θ = 0.486.
        let heavyBall = run(try SGD(learningRate: 0.1, momentum: 0.9), steps: 3)
        for (a, b) in zip(heavyBall, [0.9, 0.72, 0.486]) { #expect(abs(a - b) < 1e-15) }
        // Nesterov: g + μv: 1 + 0.9 = 1.9 → θ = 0.81; v = 0.9 + 0.81 = 1.71, g' = 0.81 + 1.539 → θ = 0.5751.
        let nesterov = run(try SGD(learningRate: 0.1, momentum: 0.9, nesterov: true), steps: 2)
        for (a, b) in zip(nesterov, [0.81, 0.5751]) { #expect(abs(a - b) < 1e-15) }
        // Dampening 0.5: v₂ = 0.9·1 + 0.5·0.9 = 1.35 → θ = 0.9 − 0.135 = 0.765.
        let damped = run(try SGD(learningRate: 0.1, momentum: 0.9, dampening: 0.5), steps: 2)
        #expect(abs(damped[1] - 0.765) < 1e-15)
        // Weight decay 0.1 adds 0.1·θ to the gradient: θ = 1 − 0.1·1.1 = 0.89.
        #expect(abs(run(try SGD(learningRate: 0.1, weightDecay: 0.1), steps: 1)[0] - 0.89) < 1e-15)
    }

    @Test("Adam's first steps match the bias-corrected formula (hand-computed)")
    func handComputedAdam() throws {
        var adam = try Adam<Double>(learningRate: 0.1)
        var theta: Vector<Double> = [1, -2]
        // Step 1: m̂ = g, v̂ = g², so θ ← θ − lr·g/(|g| + ε): a step of lr against the sign.
        adam.step(&theta, gradient: [4, -0.5])
        let first: Double = 1 - 0.1 * 4 / (4 + 1e-8)
        let second: Double = -2 + 0.1 * 0.5 / (0.5 + 1e-8)
        #expect(abs(theta[0] - first) < 1e-15)
        #expect(abs(theta[1] - second) < 1e-15)
        // Step 2 with gradient 2 on θ₀: m = 0.9·0.4 + 0.1·2 = 0.56, v = 0.999·0.016 + 0.001·4 = 0.019984,
        // θ ← θ − (0.1/0.19)·0.56/(√0.019984/√0.001999 + ε).
        let before = theta[0]
        adam.step(&theta, gradient: [2, 0])
        let stepSize: Double = 0.1 / (1 - 0.81)
        let denominator: Double = (0.019984).squareRoot() / (1 - 0.998001).squareRoot() + 1e-8
        let expected: Double = before - stepSize * 0.56 / denominator
        #expect(abs(theta[0] - expected) < 1e-14)
        #expect(adam.stepCount == 2)
    }

    @Test("state saved and restored continues exactly where it stopped")
    func stateRoundTrip() throws {
        for optimizer in [OptimizerChoice.sgd(momentum: 0.8, nesterov: true), .adam()] {
            let continuous = try optimizer.make(learningRate: 0.05, as: Float.self)
            try roundTrip(continuous)
        }
    }

    func roundTrip<O: Optimizer>(_ optimizer: O) throws where O.Scalar == Float {
        var straight = optimizer
        var interrupted = optimizer
        let a = minimize(&straight, steps: 10)
        _ = minimize(&interrupted, steps: 5)
        // Resume from JSON: the θ after 5 steps, the optimizer's state, 5 more steps.
        var theta = Vector<Float>(zeros: 3)
        var replay = optimizer
        let c: [Float] = [3, -2, 0.5], w: [Float] = [1, 4, 0.5]
        for _ in 0..<5 { replay.step(&theta, gradient: Vector((0..<3).map { w[$0] * (theta[$0] - c[$0]) })) }
        var restored = try JSONDecoder().decode(O.self, from: JSONEncoder().encode(replay))
        for _ in 0..<5 { restored.step(&theta, gradient: Vector((0..<3).map { w[$0] * (theta[$0] - c[$0]) })) }
        #expect(theta == a)
    }

    @Test("hyper-parameters out of range throw, naming the parameter")
    func validation() {
        func name(_ body: () throws -> Void) -> String? {
            do { try body() } catch let DescentError.invalidParameter(name, _, _) { return name } catch { return "other" }
            return nil
        }
        #expect(name { _ = try SGD<Double>(learningRate: -1) } == "learning rate")
        #expect(name { _ = try SGD<Double>(learningRate: .nan) } == "learning rate")
        #expect(name { _ = try SGD<Double>(learningRate: .infinity) } == "learning rate")
        #expect(name { _ = try SGD<Double>(learningRate: 0.1, momentum: -0.5) } == "momentum")
        #expect(name { _ = try SGD<Double>(learningRate: 0.1, nesterov: true) } == "nesterov")
        #expect(name { _ = try SGD<Double>(learningRate: 0.1, weightDecay: -1) } == "weight decay")
        #expect(name { _ = try Adam<Float>(learningRate: 0.1, beta1: 1) } == "beta1")
        #expect(name { _ = try Adam<Float>(learningRate: 0.1, beta2: -0.1) } == "beta2")
        #expect(name { _ = try Adam<Float>(learningRate: 0.1, epsilon: -1) } == "epsilon")
        // Issue 7: a learning rate <= 0 is refused (it never learns).
        #expect(name { _ = try SGD<Double>(learningRate: 0) } == "learning rate")
    }
}
