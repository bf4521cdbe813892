/// Fits a ``LinearModel`` by gradient descent on the mean squared error (plus an optional
/// L2 penalty): full batch, mini-batch or stochastic, with a learning-rate schedule,
/// validation, early stopping, a convergence test and a divergence guard.
///
/// Every epoch streams the training rows once through the fused kernel
/// (`MeanSquaredErrorKernel`); all buffers (workspace, gradient, the mini-batch row order)
/// are allocated once per run, never per epoch or per step. Mini-batches read their rows in
/// place through the shuffled order: the data is never copied for them. The engine never
/// prints: progress goes to the callback of ``train(_:validation:progress:)``.
public struct Trainer<Scalar: BLASScalar>: Sendable {
    /// The validated configuration.
    public let configuration: TrainingConfiguration

    /// A trainer; throws ``DescentError/invalidParameter(name:value:expected:)`` for a
    /// configuration out of range.
    public init(_ configuration: TrainingConfiguration) throws {
        try configuration.validate()
        self.configuration = configuration
    }

    /// Trains on `dataset`.
    ///
    /// The data set is taken, not borrowed: when the caller hands over its only reference
    /// (`trainer.train(consume rows)`, or a temporary) to rows Descent allocated — a single
    /// `.npy` file's features, a CSV — the validation split permutes them in place and holds
    /// no second copy (issue 6). A caller that keeps its data set keeps it unchanged: the split
    /// then copies the rows, as it does for a memory-mapped file.
    ///
    /// - Parameters:
    ///   - validation: held-out rows; when nil and the configuration has a validation
    ///     fraction, ``Split/trainValidation(_:validationFraction:seed:)``'s rule makes them.
    ///   - communicator: with more than one rank, `dataset` is this rank's block of the global
    ///     rows (blocks in rank order) and the run is data-parallel: the validation split is
    ///     the single-process rule on global row indices, every loss and gradient is reduced
    ///     in rank order, and each global mini-batch (the single-process shuffle of the global
    ///     training rows) is shared out by the rows each rank holds; every rank returns the
    ///     same result, equal to the single-process run to rounding (the sums are grouped by
    ///     rank). Not with explicit `validation` rows or ``GradientMethod/gram``.
    ///   - progress: called after every epoch.
    /// - Returns: the result; a divergence is a result with status ``TrainingStatus/diverged``
    ///   and a ``DivergenceReport``, not an error.
    /// - Throws: ``DescentError`` for a configuration that does not fit the data (initial
    ///   weights of the wrong length, a validation fraction that leaves no rows, no rows at all).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func train(_ dataset: consuming Dataset<Scalar>, validation explicitValidation: Dataset<Scalar>? = nil,
                      communicator: any Communicator = SingleProcessCommunicator(),
                      checkpoint: CheckpointPolicy? = nil, resume: TrainingCheckpoint<Scalar>? = nil,
                      progress: ((TrainingProgress) -> Void)? = nil,
                      shouldStop: (() -> Bool)? = nil) throws -> TrainingResult<Scalar> {
        let config = configuration
        // Data-parallel training: `dataset` is this rank's rows; the split is defined on global
        // row indices, every loss and gradient is reduced across ranks in rank order, and
        // mini-batches are global batches shared out by row (see `Distributed/`).
        let distributed = communicator.size > 1
        let normalizer: Normalizer
        let train: Dataset<Scalar>
        let valid: Dataset<Scalar>?
        var rowMap: TrainingRowMap?
        if !distributed, explicitValidation == nil, config.validationFraction > 0 {
            // The run's own split: every row in one buffer, the training rows first. Handed the
            // only reference, the split reorders the rows where they are; otherwise (a mapped
            // file, rows the caller still holds) it copies them once (issue 6).
            var rows: Dataset<Scalar>, trainCount: Int
            (rows, trainCount) = try Split.rowsInSplitOrder(consume dataset, validationFraction: config.validationFraction, seed: config.seed)
            let n = rows.rowCount
            // Normalization is fitted on the training rows only, so validation stays unseen.
            normalizer = try Normalizer.fit(config.normalization, to: rows.features.rowBlock(0..<trainCount))
            // `rows` alone holds the buffer here (no view of it is taken yet), so its validation
            // rows are normalized in place, not copied; the training rows stay as they are
            // (training normalizes rows as it reads them, see below).
            normalizer.transform(inPlace: &rows, rows: trainCount..<n)
            train = rows.rows(0..<trainCount)
            valid = rows.rows(trainCount..<n)
        } else {
            var trainingRows = consume dataset
            var validationRows = explicitValidation
            if distributed {
                if explicitValidation != nil {
                    throw DescentError.invalidParameter(name: "validation", value: "explicit validation rows",
                                                        expected: "a validation fraction with a distributed communicator (the split is defined on global rows)")
                }
                if config.gradient == .gram {
                    throw DescentError.invalidParameter(name: "--gradient", value: "gram", expected: "fused or auto with --distributed")
                }
                let local = try DistributedRows(localRows: trainingRows.rowCount, communicator: communicator)
                    .split(trainingRows, validationFraction: config.validationFraction, seed: config.seed)
                (trainingRows, validationRows, rowMap) = (local.train, local.validation, local.map)
            }
            guard (rowMap?.count ?? trainingRows.rowCount) >= 1 else {
                throw DescentError.invalidData(InputLocation(file: trainingRows.source), reason: "there are no training rows")
            }
            if let validationRows {
                precondition(validationRows.featureCount == trainingRows.featureCount,
                             "Trainer.train: training data has \(trainingRows.featureCount) features, validation data \(validationRows.featureCount)")
            }
            // Normalization is fitted on the training rows only, so validation stays unseen.
            normalizer = distributed
                ? try DistributedData.normalizer(config.normalization, localFeatures: trainingRows.features, communicator: communicator)
                : try Normalizer.fit(config.normalization, to: trainingRows.features)
            // Distributed runs train on a normalized copy of their rows (see `rowNormalized`).
            train = distributed ? normalizer.transform(trainingRows) : trainingRows
            // A distributed split's validation rows are referenced only here: taken out of
            // `validationRows`, they are normalized in place, not copied (explicit rows are copied).
            var heldOut = validationRows.take()
            if var rows = heldOut.take() {
                normalizer.transform(inPlace: &rows)
                heldOut = rows
            }
            valid = heldOut
        }
        // Training normalizes rows as it reads them (bit-identical values): mini-batches row by
        // row, the full-batch kernel and the Gram statistics block by block, so X is never
        // copied (issue 6). Distributed runs train on a normalized copy of their rows.
        let rowNormalized = !distributed && !normalizer.isIdentity
        let (n, d) = (train.rowCount, train.featureCount)

        var parameters = Vector<Scalar>(zeros: d + 1)
        if let initial = config.initialWeights {
            guard initial.count == d else {
                throw DescentError.invalidParameter(name: "initial weights", value: "\(initial.count) values", expected: "\(d), one per feature")
            }
            for j in 0..<d { parameters[j] = Scalar(initial[j]) }
        }
        parameters[d] = Scalar(config.initialBias)
        var gradient = Vector<Scalar>(zeros: d + 1)
        var optimizer = try config.optimizer.make(learningRate: config.learningRate, as: Scalar.self)
        var stepper = ParameterStepper(optimizer, count: d + 1)
        let threads = config.threads ?? availableCoreCount
        let workspace = GradientWorkspace<Scalar>(featureCount: d, threads: threads)
        let l2 = Scalar(config.l2)
        // Every BLAS call of the run on one OpenBLAS thread: the kernels run their own threads
        // (OpenBLAS's inside ours are slower), and small mini-batch calls gain nothing from more.
        let blasThreads = BLAS.threadCount
        if blasThreads != 1 { BLAS.threadCount = 1 }
        defer { if blasThreads != 1 { BLAS.threadCount = blasThreads } }

        // Batches are of the global training rows (this rank's `n` when not distributed).
        let globalRows = rowMap?.count ?? n
        let batchSize = Swift.min(config.batchSize ?? globalRows, globalRows)
        let miniBatch = batchSize < globalRows
        if config.gradient == .gram && miniBatch {
            throw DescentError.invalidParameter(name: "gradient", value: "gram with batch size \(batchSize) of \(n) rows",
                                                expected: "full batch (the Gram path needs every row per step); use fused")
        }
        let method = distributed ? .fused : config.gradient.resolved(rows: n, features: d, epochs: config.epochs,
                                                                     validationRows: valid?.rowCount ?? 0, fullBatch: !miniBatch)
        let totalRows = globalRows
        /// Turns this rank's mean loss and gradient into the global ones: Σ nᵣ·valueᵣ / n over
        /// ranks (the L2 term, the same on every rank, passes through unchanged).
        func reduceOverRanks(_ localLoss: Double) throws -> Double {
            guard distributed else { return localLoss }
            let weight = Double(n)
            var message = [weight * localLoss]
            gradient.withUnsafeBufferPointer { g in for value in g { message.append(weight * Double(value)) } }
            let total = try communicator.allReduceSum(message)
            gradient.withUnsafeMutableBufferPointer { g in
                for j in 0..<g.count { g[j] = Scalar(total[j + 1] / Double(totalRows)) }
            }
            return total[0] / Double(totalRows)
        }
        // The clock includes the Gram path's one-time statistics pass: it is part of the training.
        let clock = ContinuousClock()
        let start = clock.now
        // The Gram path: the statistics of the training (and validation) rows once, then O(d²) an epoch.
        let statistics = method == .gram ? MeanSquaredErrorStatistics(
            features: train.features, targets: train.targets, threads: threads,
            normalization: rowNormalized ? normalizer.rowTransform(as: Scalar.self) : nil) : nil
        let validationStatistics = method == .gram ? valid.map {
            MeanSquaredErrorStatistics(features: $0.features, targets: $0.targets, threads: threads)
        } : nil
        let doubleScratch = AlignedStorage<Double>(zeroedCount: method == .gram ? 3 * (d + 1) : 0)
        // Distributed mini-batches: the order of every global training index (the same
        // permutation on every rank), no copy of the rows.
        var distributedOrder = miniBatch && distributed ? Array(0..<globalRows) : []
        // Mini-batches: a row order (UInt32 indices when they fit) reshuffled every epoch; the
        // batches read the rows in place through it. Batches too large for the direct loop
        // are gathered into one small block (batch × (d + 1)) for BLAS.
        var order = ShuffleOrder(count: miniBatch && !distributed ? n : 0)
        let (rowOffsets, rowMultipliers) = rowNormalized ? normalizer.rowTransform(as: Scalar.self) : ([], [])
        let normalizationScratch = AlignedStorage<Scalar>(uninitializedCount: rowNormalized
            ? max(d, MiniBatchKernel.normalizedLossScratchCount(rows: n, columns: d, workspace: workspace)) : 0)
        var generator = SeededGenerator(seed: config.seed &+ 0x9E37_79B9_7F4A_7C15)
        let batchScratch = AlignedStorage<Scalar>(uninitializedCount: miniBatch && !distributed ? MiniBatchKernel.scratchCount(batchSize: batchSize, columns: d) : 0)
        var meanGradient = Vector<Scalar>(zeros: miniBatch ? d + 1 : 0)
        let earlyStopping = config.earlyStoppingPatience != nil
        var epochStart = Vector<Scalar>(zeros: earlyStopping ? d + 1 : 0)
        var bestParameters = Vector<Scalar>(zeros: earlyStopping ? d + 1 : 0)

        // The loss and gradient at `parameters` on `rows` rows starting at x, y; the bias
        // gradient goes into the last element of `gradient`.
        func lossAndGradient(_ x: UnsafePointer<Scalar>, _ y: UnsafePointer<Scalar>, rows: Int) -> Double {
            parameters.withUnsafeBufferPointer { p in
                gradient.withUnsafeMutableBufferPointer { g in
                    if let statistics {
                        let (loss, biasGradient) = gramLossAndGradient(statistics, p.baseAddress!, l2: config.l2,
                                                                       gradient: g.baseAddress!, scratch: doubleScratch.pointer)
                        g[d] = biasGradient
                        return loss
                    }
                    let (loss, biasGradient) = withRowNormalization { normalization in
                        MeanSquaredErrorKernel.lossAndGradient(
                            x: x, y: y, rows: rows, columns: d, weights: p.baseAddress!, bias: p[d], l2: l2,
                            weightsGradient: g.baseAddress!, workspace: workspace, normalization: normalization)
                    }
                    g[d] = biasGradient
                    return Double(loss)
                }
            }
        }
        func loss(on data: Dataset<Scalar>, statistics: MeanSquaredErrorStatistics? = nil) -> Double {
            parameters.withUnsafeBufferPointer { p in
                if let statistics {
                    return gramLossAndGradient(statistics, p.baseAddress!, l2: config.l2, gradient: nil,
                                               scratch: doubleScratch.pointer).loss
                }
                return Double(MeanSquaredErrorKernel.loss(x: data.features.baseAddress, y: data.targets.baseAddress,
                                                          rows: data.rowCount, columns: d, weights: p.baseAddress!,
                                                          bias: p[d], l2: l2, workspace: workspace))
            }
        }
        /// `loss(on:)` over every rank's rows of the same role (training or validation): Σ nᵣ·lossᵣ / Σ nᵣ.
        func reducedLoss(on data: Dataset<Scalar>, statistics: MeanSquaredErrorStatistics? = nil) throws -> Double {
            guard distributed else { return loss(on: data, statistics: statistics) }
            let rows = Double(data.rowCount)
            let total = try communicator.allReduceSum([rows * loss(on: data), rows])
            return total[0] / total[1]
        }
        /// A distributed mini-batch epoch (`Distributed/DistributedMiniBatch.swift`); returns Σ m × batch loss.
        func distributedMiniBatchEpoch() throws -> Double {
            guard let rowMap else { preconditionFailure("a distributed run has a row map") }
            return try distributedOrder.withUnsafeMutableBufferPointer { order in
                try parameters.withUnsafeMutableBufferPointer { p in
                    try gradient.withUnsafeMutableBufferPointer { g in
                        try meanGradient.withUnsafeMutableBufferPointer { mean in
                            try DistributedMiniBatch.epoch(
                                x: train.features.baseAddress, y: train.targets.baseAddress, columns: d, rows: rowMap,
                                order: order.baseAddress!, generator: &generator, batchSize: batchSize,
                                parameters: p.baseAddress!, gradient: g.baseAddress!, meanGradient: mean.baseAddress!,
                                l2: l2, stepper: &stepper, communicator: communicator)
                        }
                    }
                }
            }
        }
        /// The mini-batch row normalization (nil when the rows are used as they are).
        func withRowNormalization<R>(_ body: (RowNormalization<Scalar>?) -> R) -> R {
            guard rowNormalized else { return body(nil) }
            return rowOffsets.withUnsafeBufferPointer { offsets in
                rowMultipliers.withUnsafeBufferPointer { multipliers in
                    body(RowNormalization(offsets: offsets.baseAddress!, multipliers: multipliers.baseAddress!,
                                          row: normalizationScratch.pointer))
                }
            }
        }
        /// The loss on the training rows (normalized on the fly when row-normalized; the Gram
        /// path's statistics are already of the normalized rows).
        func trainingLoss() -> Double {
            guard rowNormalized, statistics == nil else { return loss(on: train, statistics: statistics) }
            return parameters.withUnsafeBufferPointer { p in
                withRowNormalization { normalization in
                    MiniBatchKernel.normalizedLoss(x: train.features.baseAddress, y: train.targets.baseAddress, rows: n, columns: d,
                                                   normalization: normalization!, weights: p.baseAddress!, bias: p[d], l2: l2,
                                                   scratch: normalizationScratch.pointer, workspace: workspace)
                }
            }
        }
        func step() {
            parameters.withUnsafeMutableBufferPointer { p in
                gradient.withUnsafeBufferPointer { g in stepper.step(p.baseAddress!, g.baseAddress!) }
            }
        }

        var history = TrainingHistory()
        history.trainLoss.reserveCapacity(config.epochs)
        history.learningRate.reserveCapacity(config.epochs)
        history.gradientNorm.reserveCapacity(config.epochs)
        if valid != nil { history.validationLoss.reserveCapacity(config.epochs) }
        var status = TrainingStatus.maxEpochs
        var divergedEpoch: Int?
        var learningRate = config.learningRate
        var firstLoss = Double.nan
        var bestMonitored = Double.infinity, epochsWithoutImprovement = 0
        var plateauBest = Double.infinity, plateauWait = 0
        var epochsRun = 0
        var startEpoch = 0
        if let resume {
            // Continue a checkpointed run: the same data and configuration, every piece of state back.
            let location = InputLocation(file: "checkpoint")
            guard resume.rows == n, resume.features == d else {
                throw DescentError.invalidData(location, reason: "the checkpoint was taken on \(resume.rows) × \(resume.features) training rows, this run has \(n) × \(d): resume on the same data")
            }
            guard resume.configuration == TrainingCheckpoint<Scalar>.fingerprint(config) else {
                throw DescentError.invalidData(location, reason: "the checkpoint was taken with other training options (only --epochs may change): \(resume.configuration)")
            }
            guard resume.parameters.count == d + 1, resume.bestParameters.count == (earlyStopping ? d + 1 : 0),
                  resume.order.count == order.count, resume.generatorState.count == 4 else {
                throw DescentError.invalidData(location, reason: "the checkpoint's state does not fit this run")
            }
            guard let restored: any Optimizer<Scalar> = resume.sgd ?? resume.adam else {
                throw DescentError.invalidData(location, reason: "the checkpoint holds no optimizer state")
            }
            optimizer = restored
            stepper = ParameterStepper(optimizer, count: d + 1)
            parameters = Vector(resume.parameters)
            if earlyStopping { bestParameters = Vector(resume.bestParameters) }
            learningRate = resume.learningRate
            firstLoss = resume.firstLoss
            bestMonitored = resume.bestMonitored
            epochsWithoutImprovement = resume.epochsWithoutImprovement
            plateauBest = resume.plateauBest
            plateauWait = resume.plateauWait
            history = resume.history
            generator.stateWords = resume.generatorState
            order = ShuffleOrder(restoring: resume.order)
            startEpoch = resume.epochsCompleted
            epochsRun = startEpoch
        }
        func saveCheckpoint(epoch: Int, to path: String) throws {
            var current = optimizer
            stepper.store(into: &current)
            try TrainingCheckpoint<Scalar>(
                rows: n, features: d, configuration: TrainingCheckpoint<Scalar>.fingerprint(config), epochsCompleted: epoch,
                parameters: parameters.array, sgd: current as? SGD<Scalar>, adam: current as? Adam<Scalar>,
                learningRate: learningRate, firstLoss: firstLoss, bestMonitored: bestMonitored,
                epochsWithoutImprovement: epochsWithoutImprovement, bestParameters: bestParameters.array,
                plateauBest: plateauBest, plateauWait: plateauWait, history: history,
                generatorState: generator.stateWords, order: order.indices
            ).write(to: path)
        }

        for epoch in stride(from: startEpoch + 1, through: config.epochs, by: 1) {
            epochsRun = epoch
            stepper.setLearningRate(learningRate)
            if earlyStopping { epochStart.assign(from: parameters) }
            let validationLoss = try valid.map { try reducedLoss(on: $0, statistics: validationStatistics) }
            var trainLoss: Double
            var gradientNorm: Double
            var stop = false

            if !miniBatch {
                trainLoss = try reduceOverRanks(lossAndGradient(train.features.baseAddress, train.targets.baseAddress, rows: n))
                gradientNorm = Double(gradient.norm)
                if epoch == 1 { firstLoss = trainLoss }
                if !trainLoss.isFinite || trainLoss > config.divergenceFactor * firstLoss {
                    status = .diverged
                    stop = true
                } else if gradientNorm <= config.gradientTolerance {
                    status = .converged
                    stop = true
                } else {
                    step()
                }
            } else {
                let total = distributed ? try distributedMiniBatchEpoch() : parameters.withUnsafeMutableBufferPointer { p in
                    gradient.withUnsafeMutableBufferPointer { g in
                        meanGradient.withUnsafeMutableBufferPointer { mean in
                            withRowNormalization { normalization in
                                order.shuffledEpoch(
                                    x: train.features.baseAddress, y: train.targets.baseAddress, columns: d,
                                    batchSize: batchSize, generator: &generator, parameters: p.baseAddress!,
                                    gradient: g.baseAddress!, meanGradient: mean.baseAddress!, batchScratch: batchScratch.pointer,
                                    normalization: normalization, l2: l2, stepper: &stepper, workspace: workspace)
                            }
                        }
                    }
                }
                trainLoss = total / Double(globalRows)
                gradientNorm = Double(meanGradient.norm)
                if epoch == 1 { firstLoss = trainLoss }
                if !trainLoss.isFinite || trainLoss > config.divergenceFactor * firstLoss {
                    status = .diverged
                    stop = true
                }
            }
            if !stop && !parameters.isFinite {
                status = .diverged
                stop = true
            }
            if !stop && miniBatch && gradientNorm <= config.gradientTolerance {
                status = .converged
                stop = true
            }

            history.trainLoss.append(trainLoss)
            history.learningRate.append(learningRate)
            history.gradientNorm.append(gradientNorm)
            if let validationLoss { history.validationLoss.append(validationLoss) }
            if let progress {
                progress(TrainingProgress(epoch: epoch, totalEpochs: config.epochs, trainLoss: trainLoss,
                                          validationLoss: validationLoss, learningRate: learningRate,
                                          elapsedSeconds: seconds(clock.now - start), rowsProcessed: epoch * totalRows))
            }
            if status == .diverged { divergedEpoch = epoch }
            if stop { break }

            // Early stopping watches validation loss when there is a validation set, else training loss.
            let monitored = validationLoss ?? trainLoss
            if let patience = config.earlyStoppingPatience {
                if monitored < bestMonitored - config.earlyStoppingTolerance {
                    bestMonitored = monitored
                    epochsWithoutImprovement = 0
                    bestParameters.assign(from: epochStart)
                } else {
                    epochsWithoutImprovement += 1
                    if epochsWithoutImprovement >= patience {
                        // The best epoch's starting parameters are the ones its loss was measured at.
                        parameters.assign(from: bestParameters)
                        status = .earlyStopped
                        break
                    }
                }
            }
            switch config.schedule {
            case .constant:
                break
            case .stepDecay(let every, let factor):
                if epoch % every == 0 { learningRate *= factor }
            case .reduceOnPlateau(let factor, let patience, let threshold, let minimum):
                if monitored < plateauBest * (1 - threshold) {
                    plateauBest = monitored
                    plateauWait = 0
                } else {
                    plateauWait += 1
                    if plateauWait > patience {
                        learningRate = Swift.max(learningRate * factor, minimum)
                        plateauWait = 0
                    }
                }
            }
            // Checkpoints at the end of an epoch, and on an interruption (Ctrl-C).
            let interrupted = shouldStop?() ?? false
            if let checkpoint, interrupted || epoch % checkpoint.every == 0 {
                try saveCheckpoint(epoch: epoch, to: checkpoint.path)
            }
            if interrupted {
                status = .interrupted
                break
            }
        }

        let elapsed = seconds(clock.now - start)
        stepper.store(into: &optimizer)
        var report: DivergenceReport?
        if let divergedEpoch {
            // A diverged run's report may materialize the normalized rows (row-normalized mini-batches).
            let spectrum = try? HessianSpectrum.of(rowNormalized ? normalizer.transform(train) : train, l2: config.l2,
                                                   communicator: communicator)
            report = DivergenceReport(
                epoch: divergedEpoch, lastLoss: history.trainLoss.last ?? .nan, learningRate: history.learningRate.last ?? learningRate,
                largestEigenvalue: spectrum?.largest ?? .nan, largestStableLearningRate: spectrum?.largestStableLearningRate ?? .nan,
                normalized: !normalizer.isIdentity)
        }
        let trainedModel = LinearModel(parameters: parameters)
        return TrainingResult(
            model: normalizer.originalModel(from: trainedModel), trainedModel: trainedModel, normalizer: normalizer,
            history: history, status: status, divergence: report, epochs: epochsRun,
            trainLoss: distributed ? try reducedLoss(on: train, statistics: statistics) : trainingLoss(),
            validationLoss: try valid.map { try reducedLoss(on: $0, statistics: validationStatistics) },
            optimizer: optimizer, seconds: elapsed, gradientMethod: method)
    }
}

/// The Gram path's loss and gradient at packed parameters `p` (weights, bias) in `Scalar`:
/// converted to `Double`, evaluated from the statistics, the gradient (`d + 1`, when given)
/// converted back. `scratch` holds `3·(d + 1)` doubles.
@_specialize(where S == Float)
@_specialize(where S == Double)
func gramLossAndGradient<S: BLASScalar>(_ statistics: MeanSquaredErrorStatistics, _ p: UnsafePointer<S>, l2: Double,
                                        gradient: UnsafeMutablePointer<S>?, scratch: UnsafeMutablePointer<Double>) -> (loss: Double, biasGradient: S) {
    let d = statistics.featureCount
    let w = scratch, g = scratch + (d + 1), product = scratch + 2 * (d + 1)
    for j in 0..<d { w[j] = Double(p[j]) }
    let (loss, biasGradient) = statistics.lossAndGradient(weights: w, bias: Double(p[d]), l2: l2,
                                                          weightsGradient: gradient == nil ? nil : g, product: product)
    if let gradient { for j in 0..<d { gradient[j] = S(g[j]) } }
    return (loss, S(biasGradient))
}

/// A duration in seconds.
func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}
