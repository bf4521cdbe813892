import Foundation

/// Where and how often a run saves a ``TrainingCheckpoint``.
public struct CheckpointPolicy: Sendable {
    /// The checkpoint file (written atomically: temporary file, then rename).
    public var path: String
    /// Save after every `every` epochs (and when the run is interrupted).
    public var every: Int

    /// A policy; `every` must be at least 1.
    public init(path: String, every: Int) throws {
        guard every >= 1 else {
            throw DescentError.invalidParameter(name: "--checkpoint-every", value: "\(every)", expected: "a whole number >= 1")
        }
        self.path = path
        self.every = every
    }
}

/// Everything a training run needs to continue exactly where it stopped: the parameters, the
/// optimizer's state, the schedule and early-stopping state, the history, the shuffle order
/// and the random generator. A resumed run produces bit-identical numbers to one that was
/// never interrupted (tested), on the same data and configuration.
public struct TrainingCheckpoint<Scalar: BLASScalar>: Codable, Sendable {
    /// The file format's version.
    public var formatVersion = 1
    /// `"float32"` or `"float64"`.
    public var precision = Scalar.precisionName
    /// The shape of the training rows, checked on resume.
    public var rows: Int
    /// The number of features, checked on resume.
    public var features: Int
    /// The configuration (its epoch count excluded), checked on resume.
    public var configuration: String
    /// Epochs completed.
    public var epochsCompleted: Int
    /// `[w…, b]` in the trained (normalized) space.
    public var parameters: [Scalar]
    /// The SGD optimizer with its momentum buffer, when SGD runs.
    public var sgd: SGD<Scalar>?
    /// The Adam optimizer with its moments and step count, when Adam runs.
    public var adam: Adam<Scalar>?
    /// The schedule's current learning rate.
    public var learningRate: Double
    /// The first epoch's loss (the divergence guard's reference).
    public var firstLoss: Double
    /// Early stopping: the best monitored loss, epochs without improvement, best parameters.
    public var bestMonitored: Double
    /// Early stopping: epochs without improvement.
    public var epochsWithoutImprovement: Int
    /// Early stopping: the parameters of the best epoch.
    public var bestParameters: [Scalar]
    /// Reduce-on-plateau: the best loss and the epochs waited.
    public var plateauBest: Double
    /// Reduce-on-plateau: epochs waited.
    public var plateauWait: Int
    /// The history so far.
    public var history: TrainingHistory
    /// The mini-batch shuffle's generator state.
    public var generatorState: [UInt64]
    /// The mini-batch row order (empty for full batch).
    public var order: [Int]

    /// The configuration as the checkpoint records it: everything but the epoch count.
    static func fingerprint(_ configuration: TrainingConfiguration) -> String {
        var key = configuration
        key.epochs = 1
        return String(describing: key)
    }

    /// Writes the checkpoint as JSON, atomically.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data: Data
        do { data = try encoder.encode(self) } catch {
            throw DescentError.io(path: path, reason: "cannot encode the checkpoint: \(error)")
        }
        try AtomicFile.write([UInt8](data), to: path)
    }

    /// Reads a checkpoint written by ``write(to:)``.
    public static func read(from path: String) throws -> TrainingCheckpoint {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DescentError.io(path: path, reason: "cannot read the checkpoint file")
        }
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let checkpoint: TrainingCheckpoint
        do { checkpoint = try decoder.decode(TrainingCheckpoint.self, from: data) } catch {
            throw DescentError.invalidData(InputLocation(file: path), reason: "not a Descent checkpoint: \(error)")
        }
        guard checkpoint.formatVersion == 1 else {
            throw DescentError.invalidData(InputLocation(file: path), reason: "checkpoint format version \(checkpoint.formatVersion) is not supported (expected 1)")
        }
        guard checkpoint.precision == Scalar.precisionName else {
            throw DescentError.invalidData(InputLocation(file: path), reason: "the checkpoint is \(checkpoint.precision), the run \(Scalar.precisionName): pass the same --precision")
        }
        return checkpoint
    }
}
