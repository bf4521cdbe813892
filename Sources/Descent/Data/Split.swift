/// Seeded permutations and the train/validation split.
///
/// The permutation is specified exactly, so other tools can reproduce it (the NumPy reference
/// `scripts/thermometer_reference.py` does): start from `0..<n`; for `i` from `n − 1` down to 1,
/// `j = next() % (i + 1)` with a ``SeededGenerator``, swap elements `i` and `j`.
/// (Swift's own `shuffle(using:)` is not specified across versions, so it is not used.)
public enum Split {
    /// Shuffles `indices` in place with the specified Fisher–Yates walk.
    public static func shuffle<Index: FixedWidthInteger>(_ indices: inout [Index], using generator: inout SeededGenerator) {
        indices.withUnsafeMutableBufferPointer { indices in
            var i = indices.count - 1
            while i > 0 {
                let j = Int(generator.next() % UInt64(i + 1))
                indices.swapAt(i, j)
                i -= 1
            }
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
    /// `shuffled_indices[:-n_val]` and `[-n_val:]`. Both are copies (see
    /// ``trainValidationRows(_:validationFraction:seed:)`` for how they are made).
    ///
    /// Throws ``DescentError/invalidParameter(name:value:expected:)`` when the fraction is
    /// outside [0, 1) or leaves no training or no validation row.
    public static func trainValidation<S: BLASScalar>(_ dataset: Dataset<S>, validationFraction fraction: Double, seed: UInt64)
        throws -> (train: Dataset<S>, validation: Dataset<S>, trainIndices: [Int], validationIndices: [Int]) {
        let (train, validation) = try trainValidationRows(dataset, validationFraction: fraction, seed: seed)
        let order = permutation(count: dataset.rowCount, seed: seed)
        return (train, validation, Array(order[..<train.rowCount]), Array(order[train.rowCount...]))
    }

    /// The training and validation rows of ``trainValidation(_:validationFraction:seed:)``
    /// (the same rows in the same order), without the index lists.
    ///
    /// Made without holding the source and the copies in memory together (issue 6): the
    /// source rows are read once, in order, and each is written to its place in the split (the
    /// inverse permutation, `UInt32` when n < 2³²); when the source is a memory-mapped file,
    /// its pages are released first and then each consumed chunk of about 1 MiB as soon as it
    /// is read (``AlignedStorage/releasePages(_:)``): the copies fill at random positions from
    /// the first chunk on, so the source must never be resident ahead of the read.
    /// Peak memory: the copies (the size of the data) plus 4 or 8 bytes a row.
    static func trainValidationRows<S: BLASScalar>(_ dataset: Dataset<S>, validationFraction fraction: Double, seed: UInt64)
        throws -> (train: Dataset<S>, validation: Dataset<S>) {
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
        if n <= Int(UInt32.max) {
            return scatter(dataset, positions: inversePermutation(count: n, seed: seed, as: UInt32.self), trainCount: n - validationRows)
        }
        return scatter(dataset, positions: inversePermutation(count: n, seed: seed, as: Int.self), trainCount: n - validationRows)
    }

    /// `positions[i]` = where row i goes in ``permutation(count:seed:)`` (the same walk, on
    /// `Index` to halve its memory when the indices fit `UInt32`).
    static func inversePermutation<Index: FixedWidthInteger>(count n: Int, seed: UInt64, as _: Index.Type) -> [Index] {
        var generator = SeededGenerator(seed: seed)
        var order = [Index](unsafeUninitializedCapacity: n) { buffer, initialized in
            for k in 0..<n { buffer[k] = Index(truncatingIfNeeded: k) }
            initialized = n
        }
        shuffle(&order, using: &generator)
        return [Index](unsafeUninitializedCapacity: n) { buffer, initialized in
            for k in 0..<n { buffer[Int(truncatingIfNeeded: order[k])] = Index(truncatingIfNeeded: k) }
            initialized = n
        }
    }

    /// Row i of `dataset` becomes training row `positions[i]` when that is below `trainCount`,
    /// else validation row `positions[i] − trainCount`. The source is read in order, chunk by
    /// chunk (each in parallel blocks), and each consumed chunk's mapped pages released.
    private static func scatter<S: BLASScalar, Index: FixedWidthInteger & SendableMetatype>(_ dataset: Dataset<S>, positions: [Index],
                                                                         trainCount: Int) -> (train: Dataset<S>, validation: Dataset<S>) {
        let n = dataset.rowCount, d = dataset.featureCount, validationCount = n - trainCount
        let trainX = Matrix<S>(rows: trainCount, columns: d, unsafeUninitializedWith: { _ in })
        let validationX = Matrix<S>(rows: validationCount, columns: d, unsafeUninitializedWith: { _ in })
        let trainY = Vector<S>(unsafeUninitializedCount: trainCount) { _ in }
        let validationY = Vector<S>(unsafeUninitializedCount: validationCount) { _ in }
        let x = SendablePointer(dataset.features.baseAddress), y = SendablePointer(dataset.targets.baseAddress)
        let outX = (SendablePointer(trainX.baseAddress), SendablePointer(validationX.baseAddress))
        let outY = (SendablePointer(trainY.baseAddress), SendablePointer(validationY.baseAddress))
        let rowBytes = max(1, (d + 1) * MemoryLayout<S>.stride)
        let rowsPerBlock = max(1, (256 << 10) / rowBytes)
        let rowsPerChunk = max(rowsPerBlock, (1 << 20) / rowBytes / rowsPerBlock * rowsPerBlock)
        // The scatter writes all over the copies from its first chunk on, so the source must
        // not be resident ahead of the read (loading checked every value, faulting it all in):
        // drop it first, then read it in order, dropping each chunk behind.
        let (features, targets) = (dataset.features, dataset.targets)
        features.storage.releasePages(features.offset..<(features.offset + n * d))
        targets.storage.releasePages(targets.offset..<(targets.offset + n))
        positions.withUnsafeBufferPointer { positions in
            // n ≥ 2 here (one training and one validation row), so the buffer has an address.
            let destination = SendablePointer(positions.baseAddress!)
            MappedFile.streamChunks(count: n, chunk: rowsPerChunk, { chunk in
                parallelForBlocks(count: chunk.count, blockSize: rowsPerBlock) { range in
                    for i in (chunk.lowerBound + range.lowerBound)..<(chunk.lowerBound + range.upperBound) {
                        let k = Int(truncatingIfNeeded: destination.pointer[i])
                        let (toX, toY, row) = k < trainCount ? (outX.0, outY.0, k) : (outX.1, outY.1, k - trainCount)
                        (toX.pointer + row * d).update(from: x.pointer + i * d, count: d)
                        toY.pointer[row] = y.pointer[i]
                    }
                }
            }, release: { rows in
                features.storage.releasePages((features.offset + rows.lowerBound * d)..<(features.offset + rows.upperBound * d))
                targets.storage.releasePages((targets.offset + rows.lowerBound)..<(targets.offset + rows.upperBound))
            })
        }
        func rows(_ features: Matrix<S>, _ targets: Vector<S>) -> Dataset<S> {
            Dataset(features: features, targets: targets, featureNames: dataset.featureNames,
                    targetName: dataset.targetName, source: dataset.source)
        }
        return (rows(trainX, trainY), rows(validationX, validationY))
    }
}
