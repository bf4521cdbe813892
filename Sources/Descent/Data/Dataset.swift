/// A table of samples for a linear model: an `n × d` feature matrix, a target per row, and
/// the names of both.
///
/// The features may be a zero-copy view into a memory-mapped file; a `Dataset` is a value
/// like ``Matrix`` and ``Vector``.
public struct Dataset<Scalar: BLASScalar>: Sendable {
    /// The `n × d` feature matrix, one sample per row.
    public var features: Matrix<Scalar>
    /// The `n` targets.
    public var targets: Vector<Scalar>
    /// One name per feature column.
    public var featureNames: [String]
    /// The name of the target.
    public var targetName: String
    /// Where the data came from (a path, `"thermometer"`, `"synthetic"`), for messages.
    public var source: String

    /// Creates a data set; the number of rows and of targets must agree, as must the number
    /// of columns and of names (a programmer error otherwise).
    public init(features: Matrix<Scalar>, targets: Vector<Scalar>, featureNames: [String]? = nil,
                targetName: String = "target", source: String = "<memory>") {
        precondition(features.rows == targets.count,
                     "Dataset: \(features.rows) feature rows but \(targets.count) targets")
        let names = featureNames ?? (0..<features.columns).map { "x\($0)" }
        precondition(names.count == features.columns,
                     "Dataset: \(features.columns) feature columns but \(names.count) names")
        self.features = features
        self.targets = targets
        self.featureNames = names
        self.targetName = targetName
        self.source = source
    }

    /// The number of samples `n`.
    public var rowCount: Int { features.rows }
    /// The number of features `d`.
    public var featureCount: Int { features.columns }

    /// Rows `range` as a zero-copy data set.
    public func rows(_ range: Range<Int>) -> Dataset {
        Dataset(features: features.rowBlock(range),
                targets: Vector(storage: targets.storage, offset: targets.offset + range.lowerBound, count: range.count),
                featureNames: featureNames, targetName: targetName, source: source)
    }

    /// The rows at `indices`, gathered into new storage (in that order).
    public func gathering(_ indices: [Int]) -> Dataset {
        let d = featureCount
        let gatheredFeatures = Matrix<Scalar>(rows: indices.count, columns: d) { out in
            let source = features.baseAddress
            for (k, i) in indices.enumerated() {
                precondition(i >= 0 && i < rowCount, "row index \(i) out of range 0..<\(rowCount)")
                (out.baseAddress! + k * d).update(from: source + i * d, count: d)
            }
        }
        let gatheredTargets = Vector<Scalar>(unsafeUninitializedCount: indices.count) { out in
            for (k, i) in indices.enumerated() { out[k] = targets[i] }
        }
        return Dataset(features: gatheredFeatures, targets: gatheredTargets, featureNames: featureNames,
                       targetName: targetName, source: source)
    }

    /// The same data in another precision (a converted copy).
    public func converted<Other: BLASScalar>(to _: Other.Type) -> Dataset<Other> {
        let convertedFeatures = Matrix<Other>(rows: rowCount, columns: featureCount) { out in
            features.withUnsafeBufferPointer { source in
                for i in 0..<source.count { out[i] = Other(source[i]) }
            }
        }
        return Dataset<Other>(features: convertedFeatures, targets: Vector<Other>(targets.map { Other($0) }),
                              featureNames: featureNames, targetName: targetName, source: source)
    }
}
