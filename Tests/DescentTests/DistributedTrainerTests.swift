import Descent
import Foundation
import Testing

/// K ranks as K threads of this process: `allGather` is a rendezvous on a condition variable.
/// Lets the engine's distributed paths run in every build (no MPI) and on Float as well; the
/// mpirun tests in DistributedTests.swift run the same paths across processes.
private final class Rendezvous: @unchecked Sendable {
    let size: Int
    private let condition = NSCondition()
    private var slots: [[Double]]
    private var arrived = 0
    private var generation = 0
    private var result: [[Double]] = []

    init(size: Int) {
        self.size = size
        slots = Array(repeating: [], count: size)
    }

    func allGather(rank: Int, _ values: [Double]) -> [[Double]] {
        condition.lock()
        defer { condition.unlock() }
        slots[rank] = values
        arrived += 1
        if arrived == size {
            // A rank can only start the next round after reading this one, so `result` is
            // never replaced before every rank has copied it.
            result = slots
            arrived = 0
            generation += 1
            condition.broadcast()
        } else {
            let waitingFor = generation
            while generation == waitingFor { condition.wait() }
        }
        return result
    }
}

private struct ThreadRank: Communicator {
    let rank: Int
    let rendezvous: Rendezvous
    var size: Int { rendezvous.size }
    func allGather(_ values: [Double]) throws -> [[Double]] { rendezvous.allGather(rank: rank, values) }
    func barrier() throws { _ = rendezvous.allGather(rank: rank, []) }
}

/// Runs `body(rows of rank r, communicator)` on `ranks` threads (one per rank, each given its
/// `RowPartition` share of `dataset`) and returns the results in rank order.
private func onRanks<S: BLASScalar, R: Sendable>(_ ranks: Int, _ dataset: Dataset<S>,
                                                 _ body: @escaping @Sendable (Dataset<S>, any Communicator) throws -> R) throws -> [R] {
    let rendezvous = Rendezvous(size: ranks)
    let results = Mutex<[Result<R, any Error>?]>(Array(repeating: nil, count: ranks))
    let done = DispatchSemaphore(value: 0)
    let shared = UncheckedBox(dataset)
    for rank in 0..<ranks {
        let thread = Thread {
            let local = shared.value.rows(RowPartition.range(rank: rank, of: ranks, rows: shared.value.rowCount))
            let outcome = Result { try body(local, ThreadRank(rank: rank, rendezvous: rendezvous)) }
            results.withLock { $0[rank] = outcome }
            done.signal()
        }
        thread.start()
    }
    for _ in 0..<ranks { done.wait() }
    return try results.withLock { $0 }.map { try #require($0).get() }
}

/// Carries a non-Sendable value to the rank threads, which only read it.
private struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

/// A mutex-protected value (Synchronization's `Mutex` needs a newer deployment target here).
private final class Mutex<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// The trained parameters (original units) of a result.
private func parameters<S: BLASScalar>(_ result: TrainingResult<S>) -> [Double] {
    result.model.weights.array.map { Double($0) } + [Double(result.model.bias)]
}

@Suite("DistributedTrainer: ranks as threads equal one process")
struct DistributedTrainerTests {
    /// Checks every rank's result equals the single-process one: the same epochs and status,
    /// parameters and losses within `tolerance`, and all ranks bit-identical to each other.
    private func expectSame<S: BLASScalar>(_ results: [TrainingResult<S>], _ single: TrainingResult<S>, tolerance: Double,
                                           sourceLocation: SourceLocation = #_sourceLocation) {
        for result in results {
            #expect(result.epochs == single.epochs && result.status == single.status,
                    "\(results.count) ranks: \(result.epochs) epochs (\(result.status)), one process \(single.epochs) (\(single.status))",
                    sourceLocation: sourceLocation)
            #expect(parameters(result) == parameters(results[0]), "every rank holds the same parameters", sourceLocation: sourceLocation)
            for (a, b) in zip(parameters(result), parameters(single)) {
                #expect(abs(a - b) <= tolerance * max(1, abs(b)), "\(results.count) ranks: \(a) vs one process \(b)", sourceLocation: sourceLocation)
            }
            #expect(abs(result.trainLoss - single.trainLoss) <= tolerance * single.trainLoss, sourceLocation: sourceLocation)
            if let validation = single.validationLoss {
                let got = result.validationLoss ?? .nan
                #expect(abs(got - validation) <= tolerance * validation, "validation loss \(got) vs \(validation)", sourceLocation: sourceLocation)
            }
            #expect(result.history.trainLoss.count == single.history.trainLoss.count, sourceLocation: sourceLocation)
        }
    }

    @Test("mini-batch with a validation split and early stopping (Double)", arguments: [2, 3])
    func miniBatchValidation(ranks: Int) throws {
        let data = SyntheticData.make(rows: 2_001, features: 3, noise: 0.3, seed: 17, as: Double.self).dataset
        var configuration = TrainingConfiguration(optimizer: .sgd(momentum: 0.5), learningRate: 0.02, epochs: 60, batchSize: 50,
                                                  normalization: .standardize, validationFraction: 0.25, seed: 4)
        configuration.earlyStoppingPatience = 2
        configuration.earlyStoppingTolerance = 1e-5
        configuration.threads = 1
        let single = try Trainer<Double>(configuration).train(data)
        #expect(single.status == .earlyStopped, "the run stops early (\(single.epochs) epochs, \(single.status))")
        let config = configuration
        let results = try onRanks(ranks, data) { local, communicator in
            try Trainer<Double>(config).train(local, communicator: communicator)
        }
        expectSame(results, single, tolerance: 1e-10)
    }

    @Test("Float mini-batches: the distributed sums are in Double, so the two agree to Float rounding")
    func miniBatchFloat() throws {
        let data = SyntheticData.make(rows: 1_500, features: 4, noise: 0.2, seed: 3, as: Float.self).dataset
        var configuration = TrainingConfiguration(optimizer: .adam(), learningRate: 0.01, epochs: 5, batchSize: 64,
                                                  normalization: .standardize, seed: 9)
        configuration.threads = 1
        let single = try Trainer<Float>(configuration).train(data)
        let config = configuration
        let results = try onRanks(3, data) { local, communicator in try Trainer<Float>(config).train(local, communicator: communicator) }
        expectSame(results, single, tolerance: 1e-4)
    }

    @Test("a rank may hold no validation rows: the validation loss is still the global one")
    func rankWithoutValidationRows() throws {
        // 20 rows, 2 held out: with 3 ranks at least one rank has no validation row.
        let data = SyntheticData.make(rows: 20, features: 2, noise: 0.1, seed: 1, as: Double.self).dataset
        var configuration = TrainingConfiguration(learningRate: 0.1, epochs: 30, batchSize: 4, normalization: .standardize,
                                                  validationFraction: 0.1, seed: 6)
        configuration.threads = 1
        let single = try Trainer<Double>(configuration).train(data)
        let config = configuration
        let results = try onRanks(3, data) { local, communicator in try Trainer<Double>(config).train(local, communicator: communicator) }
        expectSame(results, single, tolerance: 1e-10)
        #expect(results.allSatisfy { $0.history.validationLoss.allSatisfy(\.isFinite) })
    }

    @Test("Verification through the communicator equals the single-process verification", arguments: [2, 3])
    func verification(ranks: Int) throws {
        let data = SyntheticData.make(rows: 1_201, features: 3, noise: 0.2, seed: 12, as: Double.self).dataset
        var base = TrainingConfiguration()
        base.l2 = 0.01
        base.threads = 1
        let tolerance = Verification<Double>.defaultTolerance
        let shared = base
        let configuration = try Verification<Double>.convergentConfiguration(for: data, base: base, tolerance: tolerance)
        let single = try Verification<Double>.run(data, configuration: configuration, tolerance: tolerance)
        let results = try onRanks(ranks, data) { local, communicator in
            let configuration = try Verification<Double>.convergentConfiguration(for: local, base: shared, tolerance: tolerance,
                                                                                 communicator: communicator)
            return try Verification<Double>.run(local, configuration: configuration, tolerance: tolerance, communicator: communicator)
        }
        expectSame(results.map(\.training), single.training, tolerance: 1e-10)
        for v in results {
            #expect(v.verdict == single.verdict && v.agrees)
            for (a, b) in zip(v.closedFormWeights + [v.closedFormBias], single.closedFormWeights + [single.closedFormBias]) {
                #expect(abs(a - b) <= 1e-12 * max(1, abs(b)))
            }
            #expect(abs(v.spectrum.largest - single.spectrum.largest) <= 1e-12 * single.spectrum.largest)
            #expect(abs(v.closedFormLoss - single.closedFormLoss) <= 1e-12 * single.closedFormLoss)
        }
        // QR and SVD need every row on one process.
        let refused = try onRanks(2, data) { local, communicator -> Bool in
            do {
                _ = try Verification<Double>.run(local, configuration: configuration, tolerance: tolerance, method: .qr, communicator: communicator)
                return false
            } catch DescentError.invalidParameter(let name, _, _) {
                return name == "--method"
            }
        }
        #expect(refused == [true, true])
    }
}
