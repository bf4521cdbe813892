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

extension DistributedData {
    /// The normalizer of the whole data set from this rank's rows: for `standardize`, the
    /// column means and standard deviations come from the ranks' moments merged in rank
    /// order (Chan's update), so every rank normalizes with the same numbers, which equal
    /// the single-process ones up to rounding.
    public static func normalizer<S: BLASScalar>(_ kind: NormalizationKind, localFeatures: Matrix<S>,
                                                 communicator: any Communicator) throws -> Normalizer {
        guard case .standardize = kind, communicator.size > 1 else {
            return try Normalizer.fit(kind, to: localFeatures)
        }
        let d = localFeatures.columns
        // Moments of the features alone: a zero target column keeps the shared pass.
        let local = RowPasses.moments(Dataset(features: localFeatures, targets: Vector(zeros: localFeatures.rows)))
        let p = d + 1
        let merged = try local.merged(over: communicator)
        let n = Double(max(merged.count, 1))
        let deviations = (0..<d).map { j -> Double in
            let sd = (merged.comoments[j * p + j] / n).squareRoot()
            return sd > 0 && sd.isFinite ? sd : 1
        }
        return Normalizer(kind: kind, offsets: Array(merged.means.prefix(d)), scales: deviations)
    }
}

extension CentredMoments {
    /// Every rank's moments merged in rank order (one `allGather` of `[count, means,
    /// comoments]`), the same on every rank.
    func merged(over communicator: any Communicator) throws -> CentredMoments {
        guard communicator.size > 1 else { return self }
        let p = dimension
        var merged = CentredMoments(dimension: p)
        for part in try communicator.allGather([Double(count)] + means + comoments) {
            var piece = CentredMoments(dimension: p)
            piece.count = Int(part[0])
            piece.means = Array(part[1...p])
            piece.comoments = Array(part[(p + 1)...])
            merged.merge(piece)
        }
        return merged
    }
}
