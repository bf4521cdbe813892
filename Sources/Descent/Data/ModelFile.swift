#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// How the features were normalized during training, kept with a saved model for the record.
///
/// The saved weights and bias are always in original units, so predicting never needs this;
/// it tells a reader how the model was trained. Feature `j` was transformed as
/// `(x[j] - offsets[j]) / scales[j]`.
public struct SavedNormalization: Codable, Sendable, Equatable {
    /// `"none"`, `"scale"` or `"standardize"`.
    public var kind: String
    /// One offset per feature (empty for `"none"`).
    public var offsets: [Double]
    /// One scale per feature (empty for `"none"`).
    public var scales: [Double]

    /// The kinds a model file may name.
    public static let kinds: Set<String> = ["none", "scale", "standardize"]

    /// No normalization.
    public static let none = SavedNormalization(kind: "none", offsets: [], scales: [])

    /// Creates a record of a normalization.
    public init(kind: String, offsets: [Double], scales: [Double]) {
        self.kind = kind
        self.offsets = offsets
        self.scales = scales
    }
}

/// A trained linear model as saved to a JSON file by `--save` and read by `descent predict`.
///
/// `prediction = weights · x + bias` on features `x` in their original units.
public struct SavedModel: Codable, Sendable, Equatable {
    /// The format version this build writes (and the newest it reads).
    public static let currentFormatVersion = 1

    /// The file format version.
    public var formatVersion: Int
    /// One weight per feature, in original units.
    public var weights: [Double]
    /// The bias (intercept), in original units.
    public var bias: Double
    /// How the features were normalized while training.
    public var normalization: SavedNormalization
    /// One name per feature, in the order of `weights`.
    public var featureNames: [String]
    /// The name of the target.
    public var targetName: String
    /// The precision trained in: `"float32"` or `"float64"`.
    public var precision: String
    /// A free-form summary of the training run (optimizer, learning rate, epochs, final loss…).
    public var training: [String: String]

    /// Creates a model record; `featureNames` defaults to `x0`, `x1`, ….
    public init(weights: [Double], bias: Double, normalization: SavedNormalization = .none,
                featureNames: [String]? = nil, targetName: String = "target", precision: String = "float64",
                training: [String: String] = [:], formatVersion: Int = SavedModel.currentFormatVersion) {
        self.formatVersion = formatVersion
        self.weights = weights
        self.bias = bias
        self.normalization = normalization
        self.featureNames = featureNames ?? (0..<weights.count).map { "x\($0)" }
        self.targetName = targetName
        self.precision = precision
        self.training = training
    }

    /// Creates a model record from engine values in either precision.
    public init<Scalar: BLASScalar>(weights: Vector<Scalar>, bias: Scalar, normalization: SavedNormalization = .none,
                                    featureNames: [String]? = nil, targetName: String = "target",
                                    training: [String: String] = [:]) {
        self.init(weights: weights.map { Double($0) }, bias: Double(bias), normalization: normalization,
                  featureNames: featureNames, targetName: targetName, precision: Scalar.precisionName,
                  training: training)
    }

    /// The number of features the model expects.
    public var featureCount: Int { weights.count }

    /// Checks the record is internally consistent; `file` names it in the error.
    public func validate(file: String = "<model>") throws {
        func fail(_ reason: String) -> DescentError { .invalidData(InputLocation(file: file), reason: reason) }
        guard formatVersion >= 1, formatVersion <= SavedModel.currentFormatVersion else {
            throw fail("model format version \(formatVersion) is not supported (this build reads 1...\(SavedModel.currentFormatVersion))")
        }
        guard !weights.isEmpty else { throw fail("the model has no weights") }
        guard featureNames.count == weights.count else {
            throw fail("\(weights.count) weights but \(featureNames.count) feature names")
        }
        guard weights.allSatisfy(\.isFinite), bias.isFinite else { throw fail("the model has non-finite weights or bias") }
        guard SavedNormalization.kinds.contains(normalization.kind) else {
            throw fail("unknown normalization kind '\(normalization.kind)' (expected none, scale or standardize)")
        }
        if normalization.kind != "none" {
            guard normalization.offsets.count == weights.count, normalization.scales.count == weights.count else {
                throw fail("normalization has \(normalization.offsets.count) offsets and \(normalization.scales.count) scales for \(weights.count) features")
            }
        }
    }

    /// The model as pretty-printed JSON with sorted keys (stable, diff-friendly).
    public func encoded() throws -> [UInt8] {
        try validate()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return Array(try encoder.encode(self)) + [UInt8(ascii: "\n")]
    }

    /// Writes the model to `path` atomically (temporary file, then rename).
    public func write(to path: String) throws {
        let bytes: [UInt8]
        do {
            bytes = try encoded()
        } catch let error as DescentError {
            throw error
        } catch {
            throw DescentError.io(path: path, reason: "cannot encode the model: \(error)")
        }
        try AtomicFile.write(bytes, to: path)
    }

    /// Reads and validates a model file.
    public static func read(from path: String) throws -> SavedModel {
        let bytes = try readWholeFile(path)
        let model: SavedModel
        do {
            model = try JSONDecoder().decode(SavedModel.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw DescentError.invalidData(InputLocation(file: path), reason: "not a Descent model file: \(describe(error))")
        } catch {
            throw DescentError.invalidData(InputLocation(file: path), reason: "not a Descent model file: \(error)")
        }
        try model.validate(file: path)
        return model
    }

    /// Predictions `features · weights + bias` for every row (BLAS `gemv`), in `Scalar`.
    ///
    /// The number of columns must equal ``featureCount`` (a programmer error otherwise:
    /// callers check data-dependent shapes first and throw).
    public func predict<Scalar: BLASScalar>(_ features: Matrix<Scalar>) -> Vector<Scalar> {
        precondition(features.columns == weights.count,
                     "predict: features have \(features.columns) columns, the model has \(weights.count) weights")
        var result = features.multiplied(by: Vector(weights.map { Scalar($0) }))
        let b = Scalar(bias)
        result.withUnsafeMutableBufferPointer { out in
            for i in 0..<out.count { out[i] += b }
        }
        return result
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : "'" + keys.joined(separator: ".") + "'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing key '\(key.stringValue)' in \(path(context))"
        case .typeMismatch(let type, let context):
            return "\(path(context)) is not a \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null, expected a \(type)"
        case .dataCorrupted(let context):
            return "invalid JSON at \(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole (small) file into memory, or throws `DescentError.io` naming it.
func readWholeFile(_ path: String) throws -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw DescentError.io(path: path, reason: "cannot open: \(systemError())") }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw DescentError.io(path: path, reason: "read failed: \(systemError())")
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return bytes
}
