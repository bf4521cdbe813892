/// Seeded permutations and the train/validation split.
///
/// The permutation is specified exactly, so other tools can reproduce it (the NumPy reference
/// `scripts/thermometer_reference.py` does): start from `0..<n`; for `i` from `n − 1` down to 1,
/// `j = next() % (i + 1)` with a ``SeededGenerator``, swap elements `i` and `j`.
/// (Swift's own `shuffle(using:)` is not specified across versions, so it is not used.)
public enum Split {
    /// Shuffles `indices` in place with the specified Fisher–Yates walk.
    public static func shuffle(_ indices: inout [Int], using generator: inout SeededGenerator) {
        var i = indices.count - 1
        while i > 0 {
            let j = Int(generator.next() % UInt64(i + 1))
            indices.swapAt(i, j)
            i -= 1
        }
    }

    /// A random permutation of `0..<count` from `seed`.
    public static func permutation(count: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        var indices = Array(0..<count)
        shuffle(&indices, using: &generator)
        return indices
    }

    /// The number of validation rows for a fraction: `Int(fraction × n)`, as the chapter's
    /// `n_val = int(0.2 * n_samples)`.
    public static func validationCount(rows: Int, fraction: Double) -> Int {
        Int(fraction * Double(rows))
    }

    /// Holds out `Int(fraction × n)` rows: the last ones of a seeded permutation are the
    /// validation set, the rest (in permutation order) the training set — the chapter's
    /// `shuffled_indices[:-n_val]` and `[-n_val:]`. Both are gathered copies.
    ///
    /// Throws ``DescentError/invalidParameter(name:value:expected:)`` when the fraction is
    /// outside [0, 1) or leaves no training or no validation row.
    public static func trainValidation<S: BLASScalar>(_ dataset: Dataset<S>, validationFraction fraction: Double, seed: UInt64)
        throws -> (train: Dataset<S>, validation: Dataset<S>, trainIndices: [Int], validationIndices: [Int]) {
        guard fraction.isFinite, fraction > 0, fraction < 1 else {
            throw DescentError.invalidParameter(name: "validation fraction", value: "\(fraction)", expected: "a number in (0, 1)")
        }
        let n = dataset.rowCount
        let validationRows = validationCount(rows: n, fraction: fraction)
        guard validationRows >= 1, validationRows < n else {
            throw DescentError.invalidParameter(
                name: "validation fraction", value: "\(fraction)",
                expected: "a fraction that leaves at least one validation and one training row of \(n) (Int(\(fraction) × \(n)) = \(validationRows))")
        }
        let order = permutation(count: n, seed: seed)
        let trainIndices = Array(order[..<(n - validationRows)])
        let validationIndices = Array(order[(n - validationRows)...])
        return (dataset.gathering(trainIndices), dataset.gathering(validationIndices), trainIndices, validationIndices)
    }
}
