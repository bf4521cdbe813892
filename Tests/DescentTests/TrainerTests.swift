import Descent
import Testing

@Suite("Trainer: training runs")
struct TrainerTests {
    @Test("full-batch SGD on standardized data converges to the closed form", arguments: trainerScalarTypes)
    func convergesToClosedForm(_ type: any BLASScalar.Type) throws { try checkClosedForm(type) }

    func checkClosedForm<S: BLASScalar>(_: S.Type) throws {
        let data = trainerProblem(rows: 500, features: 4, seed: 5, as: S.self)
        var configuration = TrainingConfiguration(learningRate: 0.3, epochs: 5000, normalization: .standardize)
        configuration.gradientTolerance = S.self == Float.self ? 1e-5 : 1e-10
        let result = try Trainer<S>(configuration).train(data)
        #expect(result.status == .converged)
        let closed = try LeastSquaresSolver.solve(data)
        let tol = S.self == Float.self ? 1e-4 : 1e-8
        for j in 0..<4 { #expect(abs(Double(result.model.weights[j]) - closed.preciseWeights[j]) < tol) }
        #expect(abs(Double(result.model.bias) - closed.preciseBias) < tol)
        #expect(result.history.gradientNorm.last! <= configuration.gradientTolerance)
    }

    @Test("the divergence guard stops just above 2/λmax and not just below it", arguments: trainerScalarTypes)
    func divergenceThreshold(_ type: any BLASScalar.Type) throws { try checkThreshold(type) }

    func checkThreshold<S: BLASScalar>(_: S.Type) throws {
        let data = Thermometer.dataset(S.self)
        let spectrum = try HessianSpectrum.of(data)
        // λmax by hand: the larger root of the 2×2 Hessian (2/n)[[Σu², Σu], [Σu, n]].
        let u = Thermometer.unknownUnits, n = Double(u.count)
        let (a, b, c) = (2 * u.map { $0 * $0 }.reduce(0, +) / n, 2 * u.reduce(0, +) / n, 2.0)
        let handLargest = (a + c) / 2 + (((a - c) / 2) * ((a - c) / 2) + b * b).squareRoot()
        #expect(isClose(spectrum.largest, handLargest, tolerance: 1e-6))
        var configuration = TrainingConfiguration(learningRate: 1.1 * spectrum.largestStableLearningRate, epochs: 3000)
        configuration.initialWeights = [1]
        let unstable = try Trainer<S>(configuration).train(data)
        #expect(unstable.status == .diverged)
        let report = try #require(unstable.divergence)
        #expect(report.epoch == unstable.epochs && report.epoch < 3000)
        #expect(isClose(report.largestStableLearningRate, spectrum.largestStableLearningRate, tolerance: 1e-9))
        #expect(report.description.contains("scale the input"))
        configuration.learningRate = 0.9 * spectrum.largestStableLearningRate
        let stable = try Trainer<S>(configuration).train(data)
        #expect(stable.status != .diverged)
        #expect(stable.history.trainLoss.allSatisfy { $0.isFinite })
    }

    @Test("a mini-batch of n rows is the full batch; batches of 1 and 32 learn too", arguments: trainerScalarTypes)
    func miniBatchOfN(_ type: any BLASScalar.Type) throws { try checkMiniBatch(type) }

    func checkMiniBatch<S: BLASScalar>(_: S.Type) throws {
        let data = trainerProblem(rows: 200, features: 3, seed: 9, as: S.self)
        var full = TrainingConfiguration(learningRate: 0.1, epochs: 50, normalization: .standardize)
        let fullResult = try Trainer<S>(full).train(data)
        full.batchSize = 200
        let sameResult = try Trainer<S>(full).train(data)
        #expect(sameResult.model == fullResult.model)
        #expect(sameResult.history.trainLoss == fullResult.history.trainLoss)
        // Smaller batches reach the same optimum neighbourhood (noise 0.5 → loss ≈ 0.25).
        let closed = try LeastSquaresSolver.solve(data)
        for batch in [1, 32] {
            var configuration = TrainingConfiguration(learningRate: batch == 1 ? 0.005 : 0.05, epochs: 60, normalization: .standardize)
            configuration.batchSize = batch
            let result = try Trainer<S>(configuration).train(data)
            #expect(result.status == .maxEpochs)
            #expect(result.trainLoss < closed.meanSquaredError * 1.05, "batch \(batch): \(result.trainLoss) vs \(closed.meanSquaredError)")
        }
    }

    @Test("seeded runs are reproducible; another seed shuffles differently")
    func reproducible() throws {
        let data = trainerProblem(rows: 300, features: 5, seed: 2, as: Float.self)
        var configuration = TrainingConfiguration(optimizer: .sgd(momentum: 0.9), learningRate: 0.01, epochs: 20,
                                                  batchSize: 16, normalization: .standardize, validationFraction: 0.25, seed: 7)
        let first = try Trainer<Float>(configuration).train(data)
        let second = try Trainer<Float>(configuration).train(data)
        #expect(first.model == second.model)
        #expect(first.history == second.history)
        configuration.seed = 8
        let other = try Trainer<Float>(configuration).train(data)
        #expect(other.model != first.model)
    }

    @Test("early stopping restores the best epoch's parameters; validation loss is recorded")
    func earlyStopping() throws {
        let data = trainerProblem(rows: 100, features: 2, seed: 4, as: Double.self)
        var configuration = TrainingConfiguration(learningRate: 0.05, epochs: 100, validationFraction: 0.2)
        // A tolerance no improvement can beat: epoch 1 stays the best, stop after `patience` more.
        configuration.earlyStoppingPatience = 3
        configuration.earlyStoppingTolerance = 1e9
        let result = try Trainer<Double>(configuration).train(data)
        #expect(result.status == .earlyStopped)
        #expect(result.epochs == 4)
        #expect(result.history.validationLoss.count == 4)
        #expect(result.trainedModel == LinearModel(featureCount: 2))
        #expect(result.validationLoss == result.history.validationLoss[0])
    }

    @Test("learning-rate schedules: step decay and reduce on plateau")
    func schedules() throws {
        let data = trainerProblem(rows: 50, features: 2, seed: 1, as: Double.self)
        var configuration = TrainingConfiguration(learningRate: 0.1, epochs: 25)
        configuration.schedule = .stepDecay(every: 10, factor: 0.5)
        let stepped = try Trainer<Double>(configuration).train(data)
        #expect(stepped.history.learningRate == Array(repeating: 0.1, count: 10) + Array(repeating: 0.05, count: 10) + Array(repeating: 0.025, count: 5))
        // A threshold of 99% relative improvement is never met after epoch 1: the rate drops
        // after `patience + 1` epochs without improvement, as in PyTorch.
        configuration.schedule = .reduceOnPlateau(factor: 0.1, patience: 2, threshold: 0.99)
        let plateau = try Trainer<Double>(configuration).train(data)
        #expect(Array(plateau.history.learningRate.prefix(5)).map { ($0 * 1e6).rounded() } == [1e5, 1e5, 1e5, 1e5, 1e4])
    }

    @Test("normalization: predictions from raw inputs equal the trained model's on normalized inputs", arguments: trainerScalarTypes)
    func normalizer(_ type: any BLASScalar.Type) throws { try checkNormalizer(type) }

    func checkNormalizer<S: BLASScalar>(_: S.Type) throws {
        let x: Matrix<S> = [[1, 100], [2, 300], [4, 200], [3, 400]]
        let standard = try Normalizer.fit(.standardize, to: x)
        // Means 2.5 and 250; population deviations √1.25 and √12500.
        #expect(standard.offsets == [2.5, 250])
        #expect(isClose(standard.scales[0], 1.25.squareRoot(), tolerance: 1e-15))
        #expect(isClose(standard.scales[1], 12500.0.squareRoot(), tolerance: 1e-15))
        let trained = LinearModel<S>(weights: [0.7, -1.3], bias: 2)
        let original = standard.originalModel(from: trained)
        let a = original.predict(x), b = trained.predict(standard.transform(x))
        for i in 0..<4 { #expect(isClose(Double(a[i]), Double(b[i]), tolerance: 100 * Double(S.ulpOfOne))) }
        let back = standard.trainedModel(from: original)
        #expect(isClose(Double(back.weights[1]), -1.3, tolerance: 100 * Double(S.ulpOfOne)))
        // The chapter's scale: w in original units is w / 10.
        let scale = try Normalizer.fit(.scale(0.1), to: x)
        #expect(scale.originalModel(from: LinearModel<S>(weights: [5, 1], bias: -17)).weights.array == [S(5) * S(0.1), S(0.1)])
        #expect(scale.transform(x)[1, 1] == S(300) * S(0.1))
        #expect(throws: DescentError.self) { _ = try Normalizer.fit(.scale(0), to: x) }
    }

    @Test("split: Int(fraction·n) validation rows from a seeded permutation")
    func split() throws {
        let data = trainerProblem(rows: 11, features: 1, seed: 1, as: Double.self)
        let s = try Split.trainValidation(data, validationFraction: 0.2, seed: 42)
        #expect(s.validation.rowCount == 2 && s.train.rowCount == 9)
        #expect((s.trainIndices + s.validationIndices).sorted() == Array(0..<11))
        #expect(s.validation.targets[0] == data.targets[s.validationIndices[0]])
        #expect(Split.permutation(count: 11, seed: 42) == Split.permutation(count: 11, seed: 42))
        #expect(throws: DescentError.self) { _ = try Split.trainValidation(data, validationFraction: 0.05, seed: 1) }
    }

    @Test("configuration values out of range throw, naming the parameter")
    func configurationValidation() {
        func name(_ change: (inout TrainingConfiguration) -> Void) -> String? {
            var configuration = TrainingConfiguration()
            change(&configuration)
            do { _ = try Trainer<Double>(configuration) } catch let DescentError.invalidParameter(name, _, _) { return name } catch { return "other" }
            return nil
        }
        #expect(name { $0.learningRate = -0.1 } == "learning rate")
        #expect(name { $0.learningRate = .nan } == "learning rate")
        #expect(name { $0.epochs = 0 } == "epochs")
        #expect(name { $0.batchSize = 0 } == "batch size")
        #expect(name { $0.validationFraction = 1 } == "validation fraction")
        #expect(name { $0.earlyStoppingPatience = 0 } == "patience")
        #expect(name { $0.l2 = -1 } == "l2")
        #expect(name { $0.normalization = .scale(.infinity) } == "normalization scale factor")
        #expect(name { $0.optimizer = .adam(beta1: 1.5) } == "beta1")
        #expect(name { $0.schedule = .stepDecay(every: 0, factor: 0.5) } == "step decay period")
        #expect(name { _ in } == nil)
    }

    @Test("L2: the trainer reaches the ridge closed form")
    func ridge() throws {
        let data = trainerProblem(rows: 300, features: 3, seed: 12, as: Double.self)
        var configuration = TrainingConfiguration(learningRate: 0.2, epochs: 20000)
        configuration.l2 = 0.5
        configuration.gradientTolerance = 1e-11
        let result = try Trainer<Double>(configuration).train(data)
        #expect(result.status == .converged)
        let closed = try LeastSquaresSolver.solve(data, l2: 0.5)
        for j in 0..<3 { #expect(abs(result.model.weights[j] - closed.preciseWeights[j]) < 1e-8) }
        #expect(abs(result.trainLoss - closed.objective) < 1e-9)
    }
}
