/// How features are transformed before training.
public enum NormalizationKind: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Train on the raw features.
    case none
    /// Multiply every feature by one factor (the chapter's `t_un = 0.1 * t_u`).
    case scale(Double)
    /// Subtract each feature's mean and divide by its standard deviation (population, ddof 0).
    case standardize

    /// `none`, `scale=F` or `standardize` (the CLI's spelling).
    public var description: String {
        switch self {
        case .none: return "none"
        case .scale(let factor): return "scale=\(factor)"
        case .standardize: return "standardize"
        }
    }

    /// The SavedModel kind: `"none"`, `"scale"` or `"standardize"`.
    public var kindName: String {
        switch self {
        case .none: return "none"
        case .scale: return "scale"
        case .standardize: return "standardize"
        }
    }
}

/// A fitted feature normalization `x′ⱼ = (xⱼ − offsetⱼ) / scaleⱼ`, and the map of a model
/// trained on `x′` back to the original units:
/// `wⱼ = w′ⱼ / scaleⱼ`, `b = b′ − Σⱼ wⱼ·offsetⱼ`, so `w·x + b = w′·x′ + b′` for every x.
///
/// Its numbers are kept in `Double` whatever precision trains. A constant feature (standard
/// deviation 0) gets scale 1, as in scikit-learn, so it is centred but not divided by zero.
public struct Normalizer: Sendable, Equatable {
    /// The kind this was fitted as.
    public var kind: NormalizationKind
    /// One offset per feature (all 0 for `none` and `scale`).
    public var offsets: [Double]
    /// One scale per feature (`1/F` for `scale(F)`, the standard deviation for `standardize`).
    public var scales: [Double]

    /// The identity for `featureCount` features.
    public static func identity(featureCount: Int) -> Normalizer {
        Normalizer(kind: .none, offsets: Array(repeating: 0, count: featureCount), scales: Array(repeating: 1, count: featureCount))
    }

    /// Creates a normalizer from its numbers.
    public init(kind: NormalizationKind, offsets: [Double], scales: [Double]) {
        precondition(offsets.count == scales.count, "Normalizer: \(offsets.count) offsets but \(scales.count) scales")
        self.kind = kind
        self.offsets = offsets
        self.scales = scales
    }

    /// Fits `kind` to the columns of `features`. Throws
    /// ``DescentError/invalidParameter(name:value:expected:)`` for a scale factor that is 0
    /// or not finite.
    public static func fit<S: BLASScalar>(_ kind: NormalizationKind, to features: Matrix<S>) throws -> Normalizer {
        let d = features.columns
        switch kind {
        case .none:
            return identity(featureCount: d)
        case .scale(let factor):
            guard factor.isFinite, factor != 0 else {
                throw DescentError.invalidParameter(name: "normalization scale factor", value: "\(factor)", expected: "a finite non-zero number")
            }
            return Normalizer(kind: kind, offsets: Array(repeating: 0, count: d), scales: Array(repeating: 1 / factor, count: d))
        case .standardize:
            let n = features.rows
            var means = [Double](repeating: 0, count: d)
            var squares = [Double](repeating: 0, count: d)
            var largest = [Double](repeating: 0, count: d)
            features.withUnsafeBufferPointer { x in
                // Two passes (mean, then squared deviations) in Double: no cancellation.
                for i in 0..<n { for j in 0..<d { means[j] += Double(x[i * d + j]) } }
                for j in 0..<d { means[j] /= Double(Swift.max(n, 1)) }
                // Deviations are divided by the column's largest one before squaring, so
                // features near 1e200 do not overflow the sum of squares.
                for i in 0..<n { for j in 0..<d { largest[j] = Swift.max(largest[j], abs(Double(x[i * d + j]) - means[j])) } }
                for i in 0..<n { for j in 0..<d where largest[j] > 0 { let v = (Double(x[i * d + j]) - means[j]) / largest[j]; squares[j] += v * v } }
            }
            let deviations = (0..<d).map { j -> Double in
                let sd = largest[j] * (squares[j] / Double(Swift.max(n, 1))).squareRoot()
                return sd > 0 && sd.isFinite ? sd : 1
            }
            return Normalizer(kind: kind, offsets: means, scales: deviations)
        }
    }

    /// Whether this normalizer changes nothing.
    public var isIdentity: Bool { kind == .none }

    /// The transformed features, a new matrix (the input is untouched). A scale by `F`
    /// multiplies by `F` (not divides by `1/F`) so it rounds exactly like the chapter's `0.1 * t_u`.
    public func transform<S: BLASScalar>(_ features: Matrix<S>) -> Matrix<S> {
        precondition(features.columns == offsets.count, "Normalizer.transform: \(features.columns) columns but fitted on \(offsets.count)")
        if isIdentity { return features }
        let d = features.columns
        let (offsets, multipliers) = rowTransform(as: S.self)
        return Matrix(rows: features.rows, columns: d) { out in
            features.withUnsafeBufferPointer { x in
                for i in 0..<features.rows {
                    for j in 0..<d { out[i * d + j] = (x[i * d + j] - offsets[j]) * multipliers[j] }
                }
            }
        }
    }

    /// The per-feature numbers of `transform` in `S`: `x′ⱼ = (xⱼ − offsetⱼ) · multiplierⱼ`.
    /// Code that normalizes rows as it reads them (mini-batches) uses these, so its values are
    /// bit-identical to a transformed copy.
    func rowTransform<S: BLASScalar>(as _: S.Type) -> (offsets: [S], multipliers: [S]) {
        let kind = self.kind
        let multipliers: [S] = scales.map { scale in
            if case .scale(let factor) = kind { return S(factor) }
            return S(1 / scale)
        }
        return (offsets.map { S($0) }, multipliers)
    }

    /// The data set with transformed features (targets shared, not copied).
    public func transform<S: BLASScalar>(_ dataset: Dataset<S>) -> Dataset<S> {
        if isIdentity { return dataset }
        var result = dataset
        result.features = transform(dataset.features)
        return result
    }

    /// Transforms `dataset`'s features where they are: in place when no other value shares
    /// their storage (copy-on-write copies them first otherwise), with ``transform(_:)-(Matrix<S>)``'s
    /// expression, so the same bits. The trainer normalizes its own validation copy this way,
    /// which no one else holds, instead of making a second copy (issue 6).
    func transform<S: BLASScalar>(inPlace dataset: inout Dataset<S>) {
        transform(inPlace: &dataset, rows: 0..<dataset.rowCount)
    }

    /// Transforms the features of rows `rows` of `dataset` where they are, like
    /// ``transform(inPlace:)``, leaving the other rows as they are. The trainer normalizes the
    /// validation rows of its own split this way: they share one buffer with the training rows.
    func transform<S: BLASScalar>(inPlace dataset: inout Dataset<S>, rows: Range<Int>) {
        precondition(dataset.featureCount == offsets.count, "Normalizer.transform(inPlace:): \(dataset.featureCount) columns but fitted on \(offsets.count)")
        precondition(rows.lowerBound >= 0 && rows.upperBound <= dataset.rowCount, "Normalizer.transform(inPlace:rows:): \(rows) outside 0..<\(dataset.rowCount)")
        if isIdentity { return }
        let d = dataset.featureCount
        let (offsets, multipliers) = rowTransform(as: S.self)
        dataset.features.withUnsafeMutableBufferPointer { x in
            for i in rows {
                for j in 0..<d { x[i * d + j] = (x[i * d + j] - offsets[j]) * multipliers[j] }
            }
        }
    }

    /// A model trained on normalized features, mapped to the original units.
    public func originalModel<S: BLASScalar>(from trained: LinearModel<S>) -> LinearModel<S> {
        precondition(trained.featureCount == offsets.count, "Normalizer.originalModel: \(trained.featureCount) weights but fitted on \(offsets.count)")
        if isIdentity { return trained }
        var bias = Double(trained.bias)
        var weights = [S](repeating: 0, count: offsets.count)
        for j in 0..<offsets.count {
            let w: Double
            if case .scale(let factor) = kind { w = Double(trained.weights[j]) * factor } else { w = Double(trained.weights[j]) / scales[j] }
            weights[j] = S(w)
            bias -= w * offsets[j]
        }
        return LinearModel(weights: Vector(weights), bias: S(bias))
    }

    /// A model in original units expressed in the normalized space (the inverse of ``originalModel(from:)``).
    public func trainedModel<S: BLASScalar>(from original: LinearModel<S>) -> LinearModel<S> {
        precondition(original.featureCount == offsets.count, "Normalizer.trainedModel: \(original.featureCount) weights but fitted on \(offsets.count)")
        if isIdentity { return original }
        var bias = Double(original.bias)
        var weights = [S](repeating: 0, count: offsets.count)
        for j in 0..<offsets.count {
            let w = Double(original.weights[j])
            weights[j] = S(w * scales[j])
            bias += w * offsets[j]
        }
        return LinearModel(weights: Vector(weights), bias: S(bias))
    }

    /// The record a saved model keeps.
    public var saved: SavedNormalization {
        isIdentity ? .none : SavedNormalization(kind: kind.kindName, offsets: offsets, scales: scales)
    }
}
