/// Where one rank's rows sit in the whole data set, and the training/validation split defined
/// on **global** row indices, so a distributed run uses exactly the rows (and the row order)
/// of the single-process run whatever the number of ranks.
///
/// The ranks' datasets are consecutive blocks of the global rows in rank order (what
/// ``RowPartition`` and ``DistributedData`` produce): rank r's local row i is global row
/// `offset + i`, with `offset` the sum of the lower ranks' row counts (one `allGather`).
///
/// The split is ``Split/trainValidation(_:validationFraction:seed:)``'s rule applied to the
/// global indices: every rank builds the same seeded permutation of `0..<N`; training index t
/// (`0 ≤ t < N − v`) is global row `permutation[t]`, the last `v = Int(fraction·N)` entries are
/// the validation rows. Each rank keeps the training and validation rows it holds, in
/// permutation order. Cost: the `N`-entry permutation on every rank, O(N) time and 8·N bytes
/// once per run (fine up to ~10⁹ rows; beyond, a split by a hash of the global index would
/// avoid it but would not equal the single-process split).
struct DistributedRows: Sendable {
    /// The global index of this rank's first row.
    let offset: Int
    /// This rank's row count (before the split).
    let localRows: Int
    /// The rows of all ranks together (before the split).
    let totalRows: Int

    /// Gathers every rank's row count (in rank order) to place this rank's rows.
    init(localRows: Int, communicator: any Communicator) throws {
        let counts = try communicator.allGather([Double(localRows)]).map { Int($0[0]) }
        self.localRows = localRows
        offset = counts.prefix(communicator.rank).reduce(0, +)
        totalRows = counts.reduce(0, +)
    }

    /// This rank's part of a split, and how training indices map to its rows.
    struct LocalSplit<S: BLASScalar> {
        /// This rank's training rows, in training-index order.
        var train: Dataset<S>
        /// This rank's validation rows (possibly none); nil without a split.
        var validation: Dataset<S>?
        /// Which training index is which local training row (see ``TrainingRowMap``).
        var map: TrainingRowMap
    }

    /// Splits this rank's rows by the global rule (see the type's discussion); a fraction of 0
    /// keeps every row for training (training index t = global row t).
    ///
    /// - Throws: ``DescentError/invalidParameter(name:value:expected:)`` when the fraction
    ///   leaves no training or no validation row of the global `N` (the single-process message).
    func split<S: BLASScalar>(_ local: Dataset<S>, validationFraction fraction: Double, seed: UInt64) throws -> LocalSplit<S> {
        precondition(local.rowCount == localRows, "DistributedRows.split: \(local.rowCount) rows, placed \(localRows)")
        guard fraction > 0 else {
            return LocalSplit(train: local, validation: nil,
                              map: TrainingRowMap(count: totalRows, offset: offset, localRows: localRows, local: nil))
        }
        let n = totalRows
        let validationRows = Split.validationCount(rows: n, fraction: fraction)
        guard validationRows >= 1, validationRows < n else {
            throw DescentError.invalidParameter(
                name: "validation fraction", value: "\(fraction)",
                expected: "a fraction that leaves at least one validation and one training row of \(n) (Int(\(fraction) × \(n)) = \(validationRows))")
        }
        let order = Split.permutation(count: n, seed: seed)
        let trainCount = n - validationRows
        let held = offset..<(offset + localRows)
        var trainRows: [Int] = [], validationIndices: [Int] = []
        var localOfTraining = [Int](repeating: -1, count: trainCount)
        for t in 0..<trainCount where held.contains(order[t]) {
            localOfTraining[t] = trainRows.count
            trainRows.append(order[t] - offset)
        }
        for t in trainCount..<n where held.contains(order[t]) {
            validationIndices.append(order[t] - offset)
        }
        return LocalSplit(train: local.gathering(trainRows), validation: local.gathering(validationIndices),
                          map: TrainingRowMap(count: trainCount, offset: 0, localRows: trainRows.count, local: localOfTraining))
    }
}

/// Which of the `count` global training rows this rank holds: training index t is local
/// training row `local[t]` (−1: another rank's) or, without a map, `t − offset` when that is
/// in `0..<localRows`.
struct TrainingRowMap: Sendable {
    /// The number of training rows of all ranks together.
    let count: Int
    /// Without a map: the training index of local row 0.
    let offset: Int
    /// This rank's training rows.
    let localRows: Int
    /// Training index → local training row or −1; nil when the rows are contiguous.
    let local: [Int]?

    /// The local training row of training index `t`, or −1 when another rank holds it.
    @inline(__always)
    func row(_ t: Int) -> Int {
        if let local { return local[t] }
        let i = t - offset
        return i >= 0 && i < localRows ? i : -1
    }
}
