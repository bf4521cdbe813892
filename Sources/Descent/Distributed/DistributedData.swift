/// The rows one rank of a distributed run works on, read or generated without touching the
/// other ranks' rows, so the data are the same whatever the number of ranks.
public enum DistributedData {
    /// The synthetic rows `range` of the data set ``SyntheticGenerator`` defines: only the
    /// 4096-row blocks overlapping `range` are generated (each from its own `(seed, block)`
    /// stream), so rank r's rows equal rows `range` of the single-process data set.
    public static func syntheticRows<Scalar: BLASScalar>(_ generator: SyntheticGenerator<Scalar>, _ range: Range<Int>) -> Dataset<Scalar> {
        let d = generator.features
        let x = Matrix<Scalar>(rows: range.count, columns: d, unsafeUninitializedWith: { _ in })
        let y = Vector<Scalar>(unsafeUninitializedCount: range.count) { _ in }
        guard !range.isEmpty else { return Dataset(features: x, targets: y, source: "synthetic") }
        let blockRows = SyntheticGenerator<Scalar>.blockRows
        let blockX = UnsafeMutablePointer<Scalar>.allocate(capacity: blockRows * d)
        let blockY = UnsafeMutablePointer<Scalar>.allocate(capacity: blockRows)
        let scratch = UnsafeMutablePointer<Scalar>.allocate(capacity: blockRows * d)
        defer { blockX.deallocate(); blockY.deallocate(); scratch.deallocate() }
        let xOut = UnsafeMutablePointer(mutating: x.baseAddress)
        let yOut = UnsafeMutablePointer(mutating: y.baseAddress)
        for block in (range.lowerBound / blockRows)...((range.upperBound - 1) / blockRows) {
            let rows = generator.rowRange(ofBlock: block)
            generator.fillBlock(block, x: blockX, y: blockY, scratch: scratch)
            let overlap = rows.clamped(to: range)
            let skip = overlap.lowerBound - rows.lowerBound
            let at = overlap.lowerBound - range.lowerBound
            (xOut + at * d).update(from: blockX + skip * d, count: overlap.count * d)
            (yOut + at).update(from: blockY + skip, count: overlap.count)
        }
        return Dataset(features: x, targets: y, source: "synthetic")
    }
}
