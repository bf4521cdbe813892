import Descent
import Testing

/// Float and Double, for the trainer's generic test bodies.
let trainerScalarTypes: [any BLASScalar.Type] = [Float.self, Double.self]

/// A seeded regression problem in precision `S` (features ~ N(0, 1) scaled by column).
func trainerProblem<S: BLASScalar>(rows: Int, features: Int, seed: UInt64, as _: S.Type) -> Dataset<S> {
    SyntheticData.make(rows: rows, features: features, noise: 0.5, seed: seed, as: S.self).dataset
}

/// The loss and gradient by plain loops in Double: the independent reference.
func referenceLossAndGradient<S: BLASScalar>(_ data: Dataset<S>, weights: [Double], bias: Double, l2: Double)
    -> (loss: Double, weights: [Double], bias: Double) {
    let (n, d) = (data.rowCount, data.featureCount)
    var loss = 0.0, gb = 0.0
    var gw = [Double](repeating: 0, count: d)
    for i in 0..<n {
        var r = bias - Double(data.targets[i])
        for j in 0..<d { r += weights[j] * Double(data.features[i, j]) }
        loss += r * r
        gb += 2 * r / Double(n)
        for j in 0..<d { gw[j] += 2 * r * Double(data.features[i, j]) / Double(n) }
    }
    for j in 0..<d { gw[j] += 2 * l2 * weights[j] }
    return (loss / Double(n) + l2 * weights.reduce(0) { $0 + $1 * $1 }, gw, gb)
}

@Suite("Trainer: loss and gradient kernels")
struct TrainerGradientTests {
    @Test("fused gradient = two-pass gradient = plain-loop reference, ragged last block", arguments: trainerScalarTypes)
    func fusedMatchesReferences(_ type: any BLASScalar.Type) { checkFused(type) }

    func checkFused<S: BLASScalar>(_: S.Type) {
        // 1000 rows in blocks of 64 leaves a ragged block of 40; 7 is not a SIMD width.
        for (rows, blockRows, l2) in [(1000, 64, 0.0), (1000, 64, 0.3), (5, 8, 0.0), (1, 1, 0.1), (130, 3, 0.0)] {
            let data = trainerProblem(rows: rows, features: 7, seed: 11, as: S.self)
            let weights = Vector<S>((0..<7).map { S(Double($0) * 0.25 - 0.7) })
            let bias = S(0.4)
            var fused = Vector<S>(zeros: 7)
            let (loss, biasGradient) = meanSquaredErrorGradient(
                features: data.features, targets: data.targets, weights: weights, bias: bias,
                weightsGradient: &fused, l2: S(l2), workspace: GradientWorkspace(featureCount: 7, blockRows: blockRows))
            let twoPass = meanSquaredErrorGradientTwoPass(features: data.features, targets: data.targets,
                                                          weights: weights, bias: bias, l2: S(l2))
            let reference = referenceLossAndGradient(data, weights: weights.map { Double($0) }, bias: Double(bias), l2: l2)
            // Sums of n products: relative error grows like n·ε at worst.
            let tol = Double(S.ulpOfOne) * Double(4 * rows + 50)
            let scale = max(1, reference.weights.map(abs).max()!, abs(reference.bias))
            #expect(isClose(Double(loss), reference.loss, tolerance: tol), "loss rows=\(rows) block=\(blockRows)")
            #expect(isClose(Double(twoPass.loss), reference.loss, tolerance: tol))
            #expect(abs(Double(biasGradient) - reference.bias) <= tol * scale)
            #expect(abs(Double(twoPass.bias) - reference.bias) <= tol * scale)
            for j in 0..<7 {
                #expect(abs(Double(fused[j]) - reference.weights[j]) <= tol * scale, "w\(j) rows=\(rows) block=\(blockRows)")
                #expect(abs(Double(twoPass.weights[j]) - reference.weights[j]) <= tol * scale)
            }
            // The loss-only kernel agrees with the fused one.
            let lossOnly = meanSquaredError(features: data.features, targets: data.targets, weights: weights, bias: bias,
                                            l2: S(l2), workspace: GradientWorkspace(featureCount: 7, blockRows: blockRows))
            #expect(lossOnly == loss)
        }
    }

    @Test("the analytic gradient passes the finite-difference check; a wrong one fails it", arguments: trainerScalarTypes)
    func gradientCheck(_ type: any BLASScalar.Type) { checkGradientCheck(type) }

    func checkGradientCheck<S: BLASScalar>(_: S.Type) {
        let data = trainerProblem(rows: 300, features: 5, seed: 3, as: S.self)
        let model = LinearModel<S>(weights: [0.5, -1, 2, 0, 0.25], bias: -0.5)
        for l2 in [0.0, 0.2] {
            let check = GradientCheck.linearModel(model, on: data, l2: S(l2))
            #expect(check.passed, "error \(check.largestRelativeError) > \(check.tolerance)")
        }
        // A gradient off by 1% in one coordinate is caught.
        let good = GradientCheck.linearModel(model, on: data)
        var wrong = good.analytic
        wrong[2] *= 1.01
        let bad = GradientCheck<S>(analytic: wrong, numeric: good.numeric, loss: model.loss(on: data))
        #expect(!bad.passed)
    }

    @Test("central differences are exact for a quadratic up to rounding")
    func finiteDifferenceQuadratic() {
        // f(x, y) = 3x² + xy − 2y at (1, 2): ∇f = (6x + y, x − 2) = (8, −1).
        let g = FiniteDifference.gradient(at: Vector<Double>([1, 2]), delta: 1e-3) { p in 3 * p[0] * p[0] + p[0] * p[1] - 2 * p[1] }
        #expect(abs(g[0] - 8) < 1e-9)
        #expect(abs(g[1] + 1) < 1e-9)
        #expect(abs(FiniteDifference.derivative(at: 2.0, delta: 0.1) { $0 * $0 } - 4) < 1e-12)
    }

    @Test("predict is X·w + b, on a matrix and on one row", arguments: trainerScalarTypes)
    func predict(_ type: any BLASScalar.Type) { checkPredict(type) }

    func checkPredict<S: BLASScalar>(_: S.Type) {
        let model = LinearModel<S>(weights: [2, -1], bias: 0.5)
        let x: Matrix<S> = [[1, 2], [3, 0.5], [0, 0]]
        #expect(model.predict(x).array == [0.5, 6, 0.5])
        #expect(model.predict(row: x.row(1)) == 6)
        #expect(LinearModel(parameters: model.parameters) == model)
    }
}
