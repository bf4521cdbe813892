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
        permutation(count: count, seed: seed, as: Int.self)
    }

    /// The number of validation rows for a fraction: `Int(fraction × n)`, as the chapter's
    /// `n_val = int(0.2 * n_samples)`.
    public static func validationCount(rows: Int, fraction: Double) -> Int {
        Int(fraction * Double(rows))
    }

    /// Holds out `Int(fraction × n)` rows: the last ones of a seeded permutation are the
    /// validation set, the rest (in permutation order) the training set — the chapter's
    /// `shuffled_indices[:-n_val]` and `[-n_val:]`. The two sets are views of one buffer
    /// holding the rows in that order (see ``trainValidationRows(_:validationFraction:seed:)``
    /// for how it is made); writing to either copies it first, as for any shared value.
    /// Handed the only reference to rows in memory (`consume rows`), it reorders them in
    /// place instead of copying them; a data set the caller keeps is left unchanged.
    ///
    /// Throws ``DescentError/invalidParameter(name:value:expected:)`` when the fraction is
    /// outside [0, 1) or leaves no training or no validation row.
    public static func trainValidation<S: BLASScalar>(_ dataset: consuming Dataset<S>, validationFraction fraction: Double, seed: UInt64)
        throws -> (train: Dataset<S>, validation: Dataset<S>, trainIndices: [Int], validationIndices: [Int]) {
        let n = dataset.rowCount
        let (train, validation) = try trainValidationRows(consume dataset, validationFraction: fraction, seed: seed)
        let order = permutation(count: n, seed: seed)
        return (train, validation, Array(order[..<train.rowCount]), Array(order[train.rowCount...]))
    }

    /// The training and validation rows of ``trainValidation(_:validationFraction:seed:)``
    /// (the same rows in the same order), without the index lists: views of
    /// ``rowsInSplitOrder(_:validationFraction:seed:)``'s one buffer.
    static func trainValidationRows<S: BLASScalar>(_ dataset: consuming Dataset<S>, validationFraction fraction: Double, seed: UInt64)
        throws -> (train: Dataset<S>, validation: Dataset<S>) {
        let (rows, trainCount) = try rowsInSplitOrder(consume dataset, validationFraction: fraction, seed: seed)
        return (rows.rows(0..<trainCount), rows.rows(trainCount..<rows.rowCount))
    }

    /// The rows of `dataset` in split order — row k is source row ``permutation(count:seed:)``[k],
    /// so rows `0..<trainCount` are the training set and the rest the validation set — with
    /// `trainCount`, the number of training rows.
    ///
    /// Made without holding the source and a copy of it in memory together (issue 6):
    /// - When `dataset` alone references its features and targets and Descent allocated them
    ///   (a single `.npy` file's features, copied out beside the target column; a CSV; a
    ///   caller that handed over its only reference), the rows are permuted in place, cycle
    ///   by cycle, through one row of scratch: no copy at all, and the result shares that storage.
    /// - Otherwise (a memory-mapped file, which is read-only, or data someone else still holds,
    ///   which must not change) the rows are copied into one new buffer: the source rows are
    ///   read once, in order, and each is written to its place (the inverse permutation);
    ///   when the source is a memory-mapped file, its pages are released first and then each
    ///   consumed chunk of about 1 MiB as soon as it is read (``AlignedStorage/releasePages(_:)``):
    ///   the copy fills at random positions from the first chunk on, so the source must never
    ///   be resident ahead of the read.
    ///
    /// Peak memory: the data once, plus 4 or 8 bytes a row (the permutation, `UInt32` when n < 2³²).
    static func rowsInSplitOrder<S: BLASScalar>(_ dataset: consuming Dataset<S>, validationFraction fraction: Double, seed: UInt64)
        throws -> (rows: Dataset<S>, trainCount: Int) {
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
        let trainCount = n - validationRows
        // Only rows no one else sees may be rewritten: not a file mapping (read-only, and the
        // file's), not storage another value still references (copy-on-write).
        let ownedFeatures = dataset.features.isUniquelyOwned()
        let ownedTargets = dataset.targets.isUniquelyOwned()
        if ownedFeatures && ownedTargets {
            if n <= Int(UInt32.max) {
                var order = permutation(count: n, seed: seed, as: UInt32.self)
                permuteInPlace(&dataset, order: &order)
            } else {
                var order = permutation(count: n, seed: seed, as: Int.self)
                permuteInPlace(&dataset, order: &order)
            }
            return (dataset, trainCount)
        }
        if n <= Int(UInt32.max) {
            return (scatter(dataset, positions: inversePermutation(count: n, seed: seed, as: UInt32.self)), trainCount)
        }
        return (scatter(dataset, positions: inversePermutation(count: n, seed: seed, as: Int.self)), trainCount)
    }

    /// ``permutation(count:seed:)`` on `Index` (`UInt32` halves its memory when the indices fit).
    static func permutation<Index: FixedWidthInteger>(count n: Int, seed: UInt64, as _: Index.Type) -> [Index] {
        var generator = SeededGenerator(seed: seed)
        var order = [Index](unsafeUninitializedCapacity: n) { buffer, initialized in
            for k in 0..<n { buffer[k] = Index(truncatingIfNeeded: k) }
            initialized = n
        }
        shuffle(&order, using: &generator)
        return order
    }

    /// `positions[i]` = where row i goes in ``permutation(count:seed:)``.
    static func inversePermutation<Index: FixedWidthInteger>(count n: Int, seed: UInt64, as _: Index.Type) -> [Index] {
        let order = permutation(count: n, seed: seed, as: Index.self)
        return [Index](unsafeUninitializedCapacity: n) { buffer, initialized in
            for k in 0..<n { buffer[Int(truncatingIfNeeded: order[k])] = Index(truncatingIfNeeded: k) }
            initialized = n
        }
    }

    /// Reorders the rows of `dataset` (features and targets) so that row k becomes source row
    /// `order[k]`, in place: each cycle of the permutation is walked once, its first row
    /// saved in a one-row scratch and every other row moved once. `order` is used up: each
    /// entry is set to its own index once its row is in place, which marks it done.
    /// The caller has checked that `dataset` alone owns its storage, so nothing is copied.
    private static func permuteInPlace<S: BLASScalar, Index: FixedWidthInteger>(_ dataset: inout Dataset<S>, order: inout [Index]) {
        let d = dataset.featureCount
        let scratch = AlignedStorage<S>(uninitializedCount: d)
        // Unique storage: these write accesses copy nothing.
        dataset.features.withUnsafeMutableBufferPointer { features in
            dataset.targets.withUnsafeMutableBufferPointer { targets in
                order.withUnsafeMutableBufferPointer { order in
                    // n ≥ 2 here (one training and one validation row), so both have an address.
                    let (x, y) = (features.baseAddress!, targets.baseAddress!)
                    for start in 0..<order.count where Int(truncatingIfNeeded: order[start]) != start {
                        scratch.pointer.update(from: x + start * d, count: d)
                        let startTarget = y[start]
                        var k = start
                        while true {
                            let source = Int(truncatingIfNeeded: order[k])
                            order[k] = Index(truncatingIfNeeded: k)
                            if source == start {
                                (x + k * d).update(from: scratch.pointer, count: d)
                                y[k] = startTarget
                                break
                            }
                            (x + k * d).update(from: x + source * d, count: d)
                            y[k] = y[source]
                            k = source
                        }
                    }
                }
            }
        }
    }

    /// Row i of `dataset` becomes row `positions[i]` of a new data set. The source is read in
    /// order, chunk by chunk (each in parallel blocks), and each consumed chunk's mapped pages
    /// released.
    private static func scatter<S: BLASScalar, Index: FixedWidthInteger & SendableMetatype>(_ dataset: Dataset<S>, positions: [Index]) -> Dataset<S> {
        let n = dataset.rowCount, d = dataset.featureCount
        let outX = Matrix<S>(rows: n, columns: d, unsafeUninitializedWith: { _ in })
        let outY = Vector<S>(unsafeUninitializedCount: n) { _ in }
        let x = SendablePointer(dataset.features.baseAddress), y = SendablePointer(dataset.targets.baseAddress)
        let toX = SendablePointer(outX.baseAddress), toY = SendablePointer(outY.baseAddress)
        let rowBytes = max(1, (d + 1) * MemoryLayout<S>.stride)
        let rowsPerBlock = max(1, (256 << 10) / rowBytes)
        let rowsPerChunk = max(rowsPerBlock, (1 << 20) / rowBytes / rowsPerBlock * rowsPerBlock)
        // The scatter writes all over the copy from its first chunk on, so the source must
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
                        (toX.pointer + k * d).update(from: x.pointer + i * d, count: d)
                        toY.pointer[k] = y.pointer[i]
                    }
                }
            }, release: { rows in
                features.storage.releasePages((features.offset + rows.lowerBound * d)..<(features.offset + rows.upperBound * d))
                targets.storage.releasePages((targets.offset + rows.lowerBound)..<(targets.offset + rows.upperBound))
            })
        }
        return Dataset(features: outX, targets: outY, featureNames: dataset.featureNames,
                       targetName: dataset.targetName, source: dataset.source)
    }
}
