/// The collective operations data-parallel training and solving need, independent of the
/// transport. The engine talks to this protocol only, so its code is the same for one
/// process (``SingleProcessCommunicator``) and for many (`MPICommunicator` in the
/// `DescentMPI` module, built with `DESCENT_MPI=1`).
///
/// Reductions are deterministic: every rank contributes a block, the blocks are gathered and
/// summed in rank order on every rank, so all ranks hold bit-identical results.
public protocol Communicator: Sendable {
    /// This process's index, `0 ..< size`.
    var rank: Int { get }
    /// The number of processes.
    var size: Int { get }
    /// Every rank's `values` (all of the same length), indexed by rank, on every rank.
    func allGather(_ values: [Double]) throws -> [[Double]]
    /// Waits until every rank arrives.
    func barrier() throws
}

extension Communicator {
    /// Whether this process prints (rank 0 does).
    public var isRoot: Bool { rank == 0 }

    /// Elementwise sum over ranks, added in rank order so the result is the same on every
    /// rank and for every run with the same number of ranks.
    public func allReduceSum(_ values: [Double]) throws -> [Double] {
        if size == 1 { return values }
        let blocks = try allGather(values)
        var total = [Double](repeating: 0, count: values.count)
        for block in blocks {
            precondition(block.count == values.count, "allReduceSum: ranks sent \(block.count) and \(values.count) values")
            for i in 0..<total.count { total[i] += block[i] }
        }
        return total
    }

    /// The rows `[rank·n/size, (rank+1)·n/size)` this rank owns out of `n`.
    public func rowRange(of n: Int) -> Range<Int> {
        RowPartition.range(rank: rank, of: size, rows: n)
    }
}

/// How `n` rows are split over `K` ranks: rank r owns `[r·n/K, (r+1)·n/K)`, contiguous and
/// balanced to within one row.
public enum RowPartition {
    /// The rows rank `rank` of `size` owns.
    public static func range(rank: Int, of size: Int, rows n: Int) -> Range<Int> {
        precondition(size >= 1 && rank >= 0 && rank < size, "rank \(rank) of \(size)")
        let lower = Int((Int64(rank) * Int64(n)) / Int64(size))
        let upper = Int((Int64(rank + 1) * Int64(n)) / Int64(size))
        return lower..<upper
    }
}

/// The communicator of a run that is not distributed: one rank, collectives are identities.
public struct SingleProcessCommunicator: Communicator {
    /// Creates the single-process communicator.
    public init() {}
    /// Always 0.
    public var rank: Int { 0 }
    /// Always 1.
    public var size: Int { 1 }
    /// `[values]`.
    public func allGather(_ values: [Double]) throws -> [[Double]] { [values] }
    /// Returns at once.
    public func barrier() throws {}
}
