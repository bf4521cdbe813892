import Descent
import Foundation
import Testing

@Suite("Checkpoints: an interrupted run resumes to the uninterrupted result")
struct CheckpointTests {
    /// Runs `configuration` uninterrupted, then again stopped after `stopAt` epochs with a
    /// checkpoint, resumes from the file, and expects bit-identical parameters and history.
    private func expectResumeMatches<S: BLASScalar>(_: S.Type, _ configuration: TrainingConfiguration, stopAt: Int) throws {
        let data = SyntheticData.make(rows: 3_001, features: 5, noise: 0.3, seed: 9, as: S.self).dataset
        let uninterrupted = try Trainer<S>(configuration).train(data)

        let directory = makeTemporaryDirectory("descent-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/run.json"
        let policy = try CheckpointPolicy(path: path, every: 1_000_000)
        var epochsSeen = 0
        let stopped = try Trainer<S>(configuration).train(data, checkpoint: policy, progress: { epochsSeen = $0.epoch },
                                                          shouldStop: { epochsSeen >= stopAt })
        #expect(stopped.status == .interrupted)
        #expect(stopped.epochs == stopAt)

        let checkpoint = try TrainingCheckpoint<S>.read(from: path)
        #expect(checkpoint.epochsCompleted == stopAt)
        let resumed = try Trainer<S>(configuration).train(data, resume: checkpoint)
        #expect(resumed.status == uninterrupted.status)
        #expect(resumed.epochs == uninterrupted.epochs)
        #expect(resumed.trainedModel.weights == uninterrupted.trainedModel.weights, "weights differ after resuming")
        #expect(resumed.trainedModel.bias == uninterrupted.trainedModel.bias)
        #expect(resumed.history.trainLoss == uninterrupted.history.trainLoss)
    }

    @Test("full batch, momentum, step decay: bit-identical after resuming", arguments: [Float.self, Double.self] as [any BLASScalar.Type])
    func fullBatch(type: any BLASScalar.Type) throws {
        var configuration = TrainingConfiguration(optimizer: .sgd(momentum: 0.9), learningRate: 0.01, epochs: 60,
                                                  normalization: .standardize, seed: 4)
        configuration.schedule = .stepDecay(every: 10, factor: 0.5)
        func run<S: BLASScalar>(_ s: S.Type) throws { try expectResumeMatches(s, configuration, stopAt: 23) }
        try run(type)
    }

    @Test("mini-batch Adam with reshuffling: bit-identical after resuming", arguments: [Float.self, Double.self] as [any BLASScalar.Type])
    func miniBatch(type: any BLASScalar.Type) throws {
        let configuration = TrainingConfiguration(optimizer: .adam(), learningRate: 0.01, epochs: 12, batchSize: 64,
                                                  normalization: .standardize, seed: 5)
        func run<S: BLASScalar>(_ s: S.Type) throws { try expectResumeMatches(s, configuration, stopAt: 5) }
        try run(type)
    }

    @Test("a checkpoint refuses other options or other data")
    func refusesMismatch() throws {
        let data = SyntheticData.make(rows: 500, features: 3, seed: 1, as: Double.self).dataset
        let configuration = TrainingConfiguration(learningRate: 0.1, epochs: 10, normalization: .standardize)
        let directory = makeTemporaryDirectory("descent-checkpoint")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/run.json"
        _ = try Trainer<Double>(configuration).train(data, checkpoint: try CheckpointPolicy(path: path, every: 5))
        let checkpoint = try TrainingCheckpoint<Double>.read(from: path)
        var other = configuration
        other.learningRate = 0.2
        #expect(throws: DescentError.self) { _ = try Trainer<Double>(other).train(data, resume: checkpoint) }
        #expect(throws: DescentError.self) { _ = try Trainer<Double>(configuration).train(data.rows(0..<400), resume: checkpoint) }
        #expect(throws: DescentError.self) { _ = try TrainingCheckpoint<Float>.read(from: path) }
    }

    @Test("Ctrl-C: exit 130, a checkpoint, and --resume continues to the uninterrupted result")
    func controlC() throws {
        let binary = try #require(DescentCLI.executable)
        let directory = makeTemporaryDirectory("descent-sigint")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/ck.json"
        let common = ["train", "--data", "synthetic", "--rows", "50000", "--features", "4", "--normalize", "standardize",
                      "--optimizer", "momentum", "--lr", "0.01", "--gradient", "fused", "--gradient-tolerance", "0", "--json"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = common + ["--epochs", "100000000", "--checkpoint", path, "--checkpoint-every", "100000000"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        usleep(1_500_000)
        kill(process.processIdentifier, SIGINT)
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("descent did not stop within 60 s of SIGINT")
        }
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        let checkpoint = try TrainingCheckpoint<Double>.read(from: path)
        #expect(checkpoint.epochsCompleted >= 1)
        let total = String(checkpoint.epochsCompleted + 7)
        let resumed = try DescentCLI.run(common + ["--epochs", total, "--resume", path])
        let straight = try DescentCLI.run(common + ["--epochs", total])
        #expect(resumed.status == 0 && straight.status == 0, "\(resumed) \(straight)")
        let weights = { (json: String) in json.components(separatedBy: "\"train_loss\"").first ?? json }
        #expect(weights(resumed.stdout) == weights(straight.stdout), "resumed \(resumed.stdout.prefix(300)) vs \(straight.stdout.prefix(300))")
    }
}
