import _Differentiation
import Descent
import Testing

@Suite("Trainer: automatic differentiation over BLAS vectors")
struct TrainerAutogradTests {
    @Test("the linear model's AD gradient = fused analytic gradient = finite differences (Float)")
    func linearFloat() { checkLinear(Float.self) }

    @Test("the linear model's AD gradient = fused analytic gradient = finite differences (Double)")
    func linearDouble() { checkLinear(Double.self) }

    func checkLinear<S: BLASScalar & Differentiable>(_: S.Type) where S.TangentVector == S {
        let data = trainerProblem(rows: 257, features: 6, seed: 21, as: S.self)
        let parameters = LinearParameters<S>(weights: Vector((0..<6).map { S(Double($0) * 0.3 - 1) }), bias: S(0.25))
        let (x, y) = (data.features, data.targets)
        let (value, g) = valueWithGradient(at: parameters) { p in meanSquaredErrorLoss(linearPrediction(x, p), y) }
        let model = LinearModel(weights: parameters.weights, bias: parameters.bias)
        let analytic = model.lossAndGradient(on: data)
        let tol = Double(S.ulpOfOne) * 2000
        #expect(isClose(Double(value), Double(analytic.loss), tolerance: tol))
        let gw = g.weights.dense(count: 6)
        let scale = max(1, Double(analytic.weights.maxMagnitude))
        for j in 0..<6 { #expect(abs(Double(gw[j]) - Double(analytic.weights[j])) <= tol * scale, "w\(j)") }
        #expect(abs(Double(g.bias) - Double(analytic.bias)) <= tol * scale)
        // And against central differences, through the gradient check.
        var packed = gw.array
        packed.append(g.bias)
        let check = GradientCheck.linearModel(model, on: data)
        let adCheck = GradientCheck<S>(analytic: Vector(packed), numeric: check.numeric, loss: analytic.loss)
        #expect(adCheck.passed, "AD vs finite differences: \(adCheck.largestRelativeError)")
    }

    /// The chapter's exercise: t_p = w2 * t_u² + w1 * t_u + b.
    struct Quadratic: Differentiable {
        var w2: Double
        var w1: Double
        var b: Double
    }

    @Test("the nonlinear model w2·t_u² + w1·t_u + b: AD = hand-derived gradient = finite differences")
    func quadraticModel() {
        let tu = Vector<Double>(Thermometer.unknownUnits), tc = Vector<Double>(Thermometer.celsius)
        let tu2 = tu.elementwiseProduct(tu)
        @differentiable(reverse)
        func loss(_ p: Quadratic) -> Double {
            let prediction = (tu2 * p.w2 + tu * p.w1).adding(p.b)
            return meanSquaredErrorLoss(prediction, tc)
        }
        let point = Quadratic(w2: 1e-3, w1: 0.2, b: -3)
        let g = gradient(at: point, of: loss)
        // Hand-derived: dL/dθ = mean(2 r ∂t_p/∂θ) with ∂t_p/∂(w2, w1, b) = (t_u², t_u, 1).
        var hand = (w2: 0.0, w1: 0.0, b: 0.0)
        let n = Double(tu.count)
        for i in 0..<tu.count {
            let r = point.w2 * tu2[i] + point.w1 * tu[i] + point.b - tc[i]
            hand.w2 += 2 * r * tu2[i] / n
            hand.w1 += 2 * r * tu[i] / n
            hand.b += 2 * r / n
        }
        #expect(isClose(g.w2, hand.w2, tolerance: 1e-12))
        #expect(isClose(g.w1, hand.w1, tolerance: 1e-12))
        #expect(isClose(g.b, hand.b, tolerance: 1e-12))
        let numeric = FiniteDifference.gradient(at: Vector<Double>([point.w2, point.w1, point.b]), delta: 1e-6) { v in
            loss(Quadratic(w2: v[0], w1: v[1], b: v[2]))
        }
        #expect(isClose(g.w2, numeric[0], tolerance: 1e-5))
        #expect(isClose(g.w1, numeric[1], tolerance: 1e-6))
        #expect(isClose(g.b, numeric[2], tolerance: 1e-6))
    }

    @Test("packed parameters p[0], p[1] differentiate like the chapter's params tensor")
    func packedParameters() {
        let tu = Vector<Float>(Thermometer.unknownUnits.map { Float($0) })
        let tc = Vector<Float>(Thermometer.celsius.map { Float($0) })
        let g = gradient(at: Vector<Float>([1, 0])) { p in meanSquaredErrorLoss((tu * p[0]).adding(p[1]), tc) }
        // The chapter's analytic gradient at (1, 0): [4517.2964, 82.6].
        let dense = g.dense(count: 2)
        #expect(abs(dense[0] - 4517.2964) < 5e-3)
        #expect(abs(dense[1] - 82.6) < 1e-3)
        // dot, Σ, − and mean through the vector ops: d(x·x + Σx + mean(x − c))/dx = 2x + 1 + 1/3.
        let x: Vector<Double> = [1, -2, 3]
        let gx = gradient(at: x) { v in v.dot(v) + v.sum + (v - x).mean }
        let third: Double = 1.0 / 3
        let expected: [Double] = [3 + third, -3 + third, 7 + third]
        let actual = gx.dense(count: 3).array
        for i in 0..<3 { #expect(abs(actual[i] - expected[i]) < 1e-15) }
    }
}
