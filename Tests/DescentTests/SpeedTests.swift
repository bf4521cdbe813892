@testable import Descent
import Testing

/// A data set whose columns sit far from zero (offset 1000 + 10·j), so uncentred sums cancel.
private func offsetProblem<S: BLASScalar>(rows: Int, features: Int, seed: UInt64, as _: S.Type) -> Dataset<S> {
    let base = trainerProblem(rows: rows, features: features, seed: seed, as: S.self)
    let x = Matrix<S>(rows: rows, columns: features) { buffer in
        for i in 0..<rows { for j in 0..<features { buffer[i * features + j] = base.features[i, j] + S(1000 + 10 * j) } }
    }
    return Dataset(features: x, targets: base.targets)
}

@Suite("Speed: threaded fused kernel, Gram path, mini-batch fast path")
struct SpeedTests {
    @Test("fused kernel: 1, 2 and 3 threads give bit-identical loss and gradient; = naive reference (ragged tasks)",
          arguments: trainerScalarTypes)
    func threadIndependence(_ type: any BLASScalar.Type) { checkThreads(type) }

    func checkThreads<S: BLASScalar>(_: S.Type) {
        // Blocks of 16 rows, tasks of 128: 1000 rows make 8 tasks, the last ragged (104 rows, 6.5 blocks).
        for (rows, blockRows, l2) in [(1000, 16, 0.0), (1000, 16, 0.2), (4099, 37, 0.0), (7, 3, 0.0)] {
            let d = 5
            let data = trainerProblem(rows: rows, features: d, seed: 3, as: S.self)
            let weights = Vector<S>((0..<d).map { S(0.3 * Double($0) - 0.5) })
            var results: [(S, S, Vector<S>)] = []
            for threads in [1, 2, 3] {
                var gradient = Vector<S>(zeros: d)
                let workspace = GradientWorkspace<S>(featureCount: d, blockRows: blockRows, threads: threads)
                let (loss, biasGradient) = meanSquaredErrorGradient(
                    features: data.features, targets: data.targets, weights: weights, bias: S(0.7),
                    weightsGradient: &gradient, l2: S(l2), workspace: workspace)
                results.append((loss, biasGradient, gradient))
            }
            for k in 1..<results.count {
                #expect(results[k].0 == results[0].0, "loss rows=\(rows) threads=\(k + 1)")
                #expect(results[k].1 == results[0].1)
                #expect(results[k].2.array == results[0].2.array, "gradient rows=\(rows) threads=\(k + 1)")
            }
            let reference = referenceLossAndGradient(data, weights: weights.map { Double($0) }, bias: 0.7, l2: l2)
            let tol = Double(S.ulpOfOne) * Double(4 * rows + 50)
            let scale = max(1, reference.weights.map(abs).max()!, abs(reference.bias))
            #expect(isClose(Double(results[0].0), reference.loss, tolerance: tol))
            #expect(abs(Double(results[0].1) - reference.bias) <= tol * scale)
            for j in 0..<d { #expect(abs(Double(results[0].2[j]) - reference.weights[j]) <= tol * scale) }
        }
    }

    @Test("Gram statistics: loss and gradient = naive reference, with large column offsets; threads 1 = 2 bits",
          arguments: trainerScalarTypes)
    func gramMatchesReference(_ type: any BLASScalar.Type) { checkGram(type) }

    func checkGram<S: BLASScalar>(_: S.Type) {
        // 40_000 rows: three tasks of the statistics pass, the last ragged.
        let (rows, d) = (40_000, 6)
        let data = offsetProblem(rows: rows, features: d, seed: 5, as: S.self)
        let one = MeanSquaredErrorStatistics(features: data.features, targets: data.targets, threads: 1)
        let two = MeanSquaredErrorStatistics(features: data.features, targets: data.targets, threads: 2)
        #expect(one.centredGram == two.centredGram && one.centredCross == two.centredCross
                && one.featureMeans == two.featureMeans && one.centredTargetSquares == two.centredTargetSquares)
        // Weights near and far from the optimum; bias chosen so the mean residual is small.
        let closedForm = try! LeastSquaresSolver.solve(data, method: .normal)
        let optimum = closedForm.weights.map { Double($0) }
        for (shift, l2) in [(0.0, 0.0), (0.01, 0.0), (0.5, 0.1)] {
            let w = optimum.enumerated().map { $0.element + shift * Double($0.offset % 3 - 1) }
            let b = Double(closedForm.bias) + shift
            let reference = referenceLossAndGradient(data, weights: w, bias: b, l2: l2)
            var gradient = [Double](repeating: 0, count: d)
            var product = [Double](repeating: 0, count: d)
            let (loss, biasGradient) = w.withUnsafeBufferPointer { wp in
                gradient.withUnsafeMutableBufferPointer { g in
                    product.withUnsafeMutableBufferPointer { p in
                        one.lossAndGradient(weights: wp.baseAddress!, bias: b, l2: l2, weightsGradient: g.baseAddress!, product: p.baseAddress!)
                    }
                }
            }
            // The reference sums in Double from data of precision S: both are exact to ~1e-10 relative.
            #expect(isClose(loss, reference.loss, tolerance: 1e-9), "loss shift=\(shift): \(loss) vs \(reference.loss)")
            let scale = max(1, reference.weights.map(abs).max()!)
            #expect(abs(biasGradient - reference.bias) <= 1e-9 * scale)
            for j in 0..<d { #expect(abs(gradient[j] - reference.weights[j]) <= 1e-9 * scale, "g\(j) shift=\(shift)") }
        }
    }

    @Test("trainer: gram and fused give the same iterates up to rounding (momentum, validation split, L2)",
          arguments: trainerScalarTypes)
    func gramEqualsFused(_ type: any BLASScalar.Type) throws { try checkGramTrainer(type) }

    func checkGramTrainer<S: BLASScalar>(_: S.Type) throws {
        let data = trainerProblem(rows: 3000, features: 8, seed: 9, as: S.self)
        var config = TrainingConfiguration(optimizer: .sgd(momentum: 0.9), learningRate: 0.02, epochs: 60,
                                           normalization: .standardize, validationFraction: 0.2, seed: 4)
        config.l2 = 0.01
        config.gradient = .fused
        let fused = try Trainer<S>(config).train(data)
        config.gradient = .gram
        let gram = try Trainer<S>(config).train(data)
        #expect(fused.gradientMethod == .fused && gram.gradientMethod == .gram)
        #expect(fused.epochs == gram.epochs)
        let tol = S.self == Double.self ? 1e-10 : 2e-4
        for j in 0..<8 {
            #expect(isClose(Double(gram.trainedModel.weights[j]), Double(fused.trainedModel.weights[j]), tolerance: tol), "w\(j)")
        }
        #expect(isClose(Double(gram.trainedModel.bias), Double(fused.trainedModel.bias), tolerance: tol))
        for (a, b) in zip(gram.history.trainLoss, fused.history.trainLoss) { #expect(isClose(a, b, tolerance: tol)) }
        for (a, b) in zip(gram.history.validationLoss, fused.history.validationLoss) { #expect(isClose(a, b, tolerance: tol)) }
        // Adam too (its step normalizes the gradient, so rounding differences stay small as well).
        config.optimizer = .adam()
        config.learningRate = 0.05
        config.gradient = .gram
        let adamGram = try Trainer<S>(config).train(data)
        config.gradient = .fused
        let adamFused = try Trainer<S>(config).train(data)
        for j in 0..<8 {
            #expect(isClose(Double(adamGram.trainedModel.weights[j]), Double(adamFused.trainedModel.weights[j]), tolerance: 10 * tol))
        }
    }

    @Test("trainer: threads 1 and 2 give bit-identical runs (full batch fused, mini-batch)")
    func trainerThreadIndependence() throws {
        let data = trainerProblem(rows: 50_000, features: 16, seed: 1, as: Double.self)
        for batch in [nil, 20_000] as [Int?] {
            var config = TrainingConfiguration(learningRate: 0.05, epochs: 5, batchSize: batch, normalization: .standardize, seed: 2)
            config.gradient = .fused
            config.threads = 1
            let one = try Trainer<Double>(config).train(data)
            config.threads = 2
            let two = try Trainer<Double>(config).train(data)
            #expect(one.trainedModel.weights.array == two.trainedModel.weights.array)
            #expect(one.trainedModel.bias == two.trainedModel.bias)
            #expect(one.history.trainLoss == two.history.trainLoss)
        }
    }

    @Test("the aligned SIMD stepper equals Optimizer.step bit for bit (SGD, momentum, Nesterov, decay, Adam)",
          arguments: trainerScalarTypes)
    func stepperEqualsOptimizer(_ type: any BLASScalar.Type) throws { try checkStepper(type) }

    func checkStepper<S: BLASScalar>(_: S.Type) throws {
        let count = 19  // two SIMD8 chunks and a tail of 3
        let choices: [OptimizerChoice] = [.sgd(), .sgd(momentum: 0.9), .sgd(momentum: 0.8, nesterov: true),
                                          .sgd(momentum: 0.5, weightDecay: 0.01), .adam(), .adam(weightDecay: 0.1)]
        for choice in choices {
            var optimizer = try choice.make(learningRate: 0.05, as: S.self)
            var stepper = ParameterStepper(optimizer, count: count)
            var plain = Vector<S>((0..<count).map { S(Double($0) * 0.1 - 0.9) })
            var fast = plain
            for step in 0..<5 {
                let gradient = Vector<S>((0..<count).map { S(Double(($0 * 7 + step * 13) % 11 - 5) * 0.06) })
                optimizer.step(&plain, gradient: gradient)
                fast.withUnsafeMutableBufferPointer { t in
                    gradient.withUnsafeBufferPointer { g in stepper.step(t.baseAddress!, g.baseAddress!) }
                }
            }
            #expect(plain.array == fast.array, "\(choice)")
            // The state written back continues the same way.
            var restored = try choice.make(learningRate: 0.05, as: S.self)
            stepper.store(into: &restored)
            let gradient = Vector<S>(repeating: S(0.125), count: count)
            var a = plain, b = plain
            optimizer.step(&a, gradient: gradient)
            restored.step(&b, gradient: gradient)
            #expect(a.array == b.array, "restored \(choice)")
        }
    }

    @Test("the direct small-batch loop = the BLAS kernel = the reference (d = 16, 7; batches 1, 5, 32)",
          arguments: trainerScalarTypes)
    func directBatchKernel(_ type: any BLASScalar.Type) { checkDirect(type) }

    func checkDirect<S: BLASScalar>(_: S.Type) {
        for d in [16, 7] {
            let data = trainerProblem(rows: 32, features: d, seed: 12, as: S.self)
            var parameters = Vector<S>((0...d).map { S(0.2 * Double($0 % 5) - 0.3) })
            for (rows, l2) in [(1, 0.0), (5, 0.1), (32, 0.0)] {
                let slice = data.rows(0..<rows)
                var gradient = Vector<S>(zeros: d + 1)
                let loss = parameters.withUnsafeMutableBufferPointer { p in
                    gradient.withUnsafeMutableBufferPointer { g in
                        MiniBatchKernel.directLossAndGradient(x: slice.features.baseAddress, y: slice.targets.baseAddress,
                                                              rows: rows, columns: d, parameters: p.baseAddress!, l2: S(l2),
                                                              gradient: g.baseAddress!)
                    }
                }
                let reference = referenceLossAndGradient(slice, weights: (0..<d).map { Double(parameters[$0]) },
                                                         bias: Double(parameters[d]), l2: l2)
                let tol = Double(S.ulpOfOne) * 200
                let scale = max(1, reference.weights.map(abs).max()!, abs(reference.bias))
                #expect(isClose(loss, reference.loss, tolerance: tol))
                #expect(abs(Double(gradient[d]) - reference.bias) <= tol * scale)
                for j in 0..<d { #expect(abs(Double(gradient[j]) - reference.weights[j]) <= tol * scale) }
            }
        }
    }

    @Test("mini-batch epochs read rows in place through the order = the same steps on a shuffled copy, bit for bit (UInt32 and Int orders, direct and BLAS batches)",
          arguments: trainerScalarTypes)
    func inPlaceMiniBatch(_ type: any BLASScalar.Type) throws { try checkInPlace(type) }

    func checkInPlace<S: BLASScalar>(_: S.Type) throws {
        // (rows, features, batch sizes): ragged last batches; 10 000 × 7 is past the direct limit.
        for (n, d, batches) in [(301, 16, [1, 32, 300]), (301, 7, [5]), (20_000, 7, [10_000])] {
            let data = trainerProblem(rows: n, features: d, seed: 21, as: S.self)
            let x = data.features.baseAddress, y = data.targets.baseAddress
            #expect(MiniBatchKernel.isDirect(batchSize: 10_000, columns: 7) == false)
            for batch in batches {
                let optimizer = try OptimizerChoice.sgd(momentum: 0.9).make(learningRate: 0.01, as: S.self)
                let workspace = GradientWorkspace<S>(featureCount: d, threads: 1)
                let scratch = AlignedStorage<S>(uninitializedCount: max(1, MiniBatchKernel.scratchCount(batchSize: batch, columns: d)))
                // Two epochs each way; every way starts from the same parameters and seed.
                func run(_ epoch: (inout SeededGenerator, UnsafeMutablePointer<S>, UnsafeMutablePointer<S>,
                                   UnsafeMutablePointer<S>, inout ParameterStepper<S>) -> Double) -> [Double] {
                    var generator = SeededGenerator(seed: 99)
                    var stepper = ParameterStepper(optimizer, count: d + 1)
                    let theta = AlignedStorage<S>(zeroedCount: d + 1), g = AlignedStorage<S>(zeroedCount: d + 1)
                    let mean = AlignedStorage<S>(zeroedCount: d + 1)
                    for j in 0...d { theta.pointer[j] = S(0.1 * Double(j % 3) - 0.1) }
                    var out: [Double] = []
                    for _ in 0..<2 {
                        out.append(epoch(&generator, theta.pointer, g.pointer, mean.pointer, &stepper))
                        out += (0...d).map { Double(theta.pointer[$0]) } + (0...d).map { Double(mean.pointer[$0]) }
                    }
                    return out
                }
                var narrow = ShuffleOrder(count: n)
                let inPlace = run { generator, theta, g, mean, stepper in
                    narrow.shuffledEpoch(x: x, y: y, columns: d, batchSize: batch, generator: &generator, parameters: theta,
                                         gradient: g, meanGradient: mean, batchScratch: scratch.pointer, l2: S(0.01),
                                         stepper: &stepper, workspace: workspace)
                }
                var wideOrder = Array(0..<n)
                let wide = run { generator, theta, g, mean, stepper in
                    wideOrder.withUnsafeMutableBufferPointer { order in
                        MiniBatchKernel.shuffle(order.baseAddress!, count: n, generator: &generator)
                        return MiniBatchKernel.epoch(x: x, y: y, order: UnsafePointer(order.baseAddress!), rows: n, columns: d,
                                                     batchSize: batch, parameters: theta, gradient: g, meanGradient: mean,
                                                     batchScratch: scratch.pointer, l2: S(0.01), stepper: &stepper, workspace: workspace)
                    }
                }
                // The reference: the specified Fisher–Yates walk written out here, a shuffled
                // copy of the rows, and contiguous batches of it (what the trainer did before).
                var referenceOrder = Array(0..<n)
                let copied = run { generator, theta, g, mean, stepper in
                    var i = n - 1
                    while i > 0 {
                        let j = Int(generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
                        referenceOrder.swapAt(i, j)
                        i -= 1
                    }
                    let shuffled = data.gathering(referenceOrder)
                    let sx = shuffled.features.baseAddress, sy = shuffled.targets.baseAddress
                    for j in 0...d { mean[j] = 0 }
                    var total = 0.0, start = 0
                    while start < n {
                        let m = min(batch, n - start)
                        let loss: Double
                        if MiniBatchKernel.isDirect(batchSize: batch, columns: d) {
                            loss = MiniBatchKernel.directLossAndGradient(x: sx + start * d, y: sy + start, rows: m, columns: d,
                                                                         parameters: theta, l2: S(0.01), gradient: g)
                        } else {
                            let (batchLoss, biasGradient) = MeanSquaredErrorKernel.lossAndGradient(
                                x: sx + start * d, y: sy + start, rows: m, columns: d, weights: theta, bias: theta[d], l2: S(0.01),
                                weightsGradient: g, workspace: workspace)
                            g[d] = biasGradient
                            loss = Double(batchLoss)
                        }
                        total += loss * Double(m)
                        for j in 0...d { mean[j] += S(Double(m) / Double(n)) * g[j] }
                        stepper.step(theta, g)
                        start += m
                    }
                    return total
                }
                #expect(narrow.indices == referenceOrder, "n \(n) d \(d) batch \(batch)")
                #expect(wideOrder == referenceOrder, "n \(n) d \(d) batch \(batch)")
                #expect(inPlace == copied, "n \(n) d \(d) batch \(batch)")
                #expect(wide == copied, "n \(n) d \(d) batch \(batch)")
                #expect(ShuffleOrder(restoring: referenceOrder).indices == referenceOrder)
            }
        }
    }

    @Test("mini-batches normalize rows as they read them: the run equals one on a normalized copy, bit for bit (standardize, scale; direct and BLAS batches; final loss over several kernel tasks)",
          arguments: trainerScalarTypes)
    func rowNormalizedMiniBatch(_ type: any BLASScalar.Type) throws { try checkRowNormalized(type) }

    func checkRowNormalized<S: BLASScalar>(_: S.Type) throws {
        // 70 000 × 3: the final loss spans 3 tasks of the fused kernel (32 768 rows each).
        for (n, d, batch, epochs) in [(300, 16, 1, 3), (300, 7, 32, 3), (20_000, 7, 10_000, 2), (70_000, 3, 64, 2)] {
            let raw = offsetProblem(rows: n, features: d, seed: 5, as: S.self)
            for kind in [NormalizationKind.standardize, .scale(0.1)] {
                var configuration = TrainingConfiguration(optimizer: .sgd(momentum: 0.5), learningRate: 0.01, epochs: epochs,
                                                          batchSize: batch, normalization: kind, seed: 3)
                configuration.l2 = 0.01
                let inPlace = try Trainer<S>(configuration).train(raw)
                configuration.normalization = .none
                let copy = try Normalizer.fit(kind, to: raw.features).transform(raw)
                let reference = try Trainer<S>(configuration).train(copy)
                let label = "n \(n) d \(d) batch \(batch) \(kind)"
                #expect(inPlace.history.trainLoss == reference.history.trainLoss, "\(label)")
                #expect(inPlace.history.gradientNorm == reference.history.gradientNorm, "\(label)")
                #expect(inPlace.trainedModel == reference.trainedModel, "\(label)")
                #expect(inPlace.trainLoss == reference.trainLoss, "\(label)")
                #expect(inPlace.normalizer.kind == kind)
            }
        }
    }

    @Test("configuration: threads < 1 and gram with mini-batches are errors; auto picks by work")
    func configuration() throws {
        var config = TrainingConfiguration()
        config.threads = 0
        #expect(throws: DescentError.self) { try config.validate() }
        config.threads = 2
        config.gradient = .gram
        config.batchSize = 10
        let data = trainerProblem(rows: 100, features: 3, seed: 1, as: Double.self)
        #expect(throws: DescentError.self) { _ = try Trainer<Double>(config).train(data) }
        #expect(GradientMethod.auto.resolved(rows: 1_000_000, features: 32, epochs: 5000) == .gram)
        #expect(GradientMethod.auto.resolved(rows: 1_000_000, features: 32, epochs: 10) == .fused)
        #expect(GradientMethod.auto.resolved(rows: 1_000_000, features: 32, epochs: 5000, fullBatch: false) == .fused)
        #expect(GradientMethod.fused.resolved(rows: 1_000_000, features: 32, epochs: 5000) == .fused)
    }
}
