/// Data-parallel mini-batch training: every rank takes its share of each **global** batch, so
/// the run follows the single-process mini-batch run step for step.
///
/// Every rank holds the same `N`-entry order of the global training indices and reshuffles it
/// each epoch with the single-process trainer's generator and the very same walk
/// (`MiniBatchKernel.shuffle(_:count:generator:)`), so global batch k is positions `[k·B, (k+1)·B)`
/// of the same permutation on every rank and in the single-process run. For each batch a rank
/// sums, over the batch's indices it holds, Σ r·x, Σ r and Σ r² (r = x·w + b − y, in `Double`);
/// one reduction of those `d + 2` numbers (added in rank order, identical on every rank) gives
/// the batch's gradient and loss, and every rank takes the identical optimizer step.
///
/// What differs from one process: only the grouping of the sums (by rank, then row, instead of
/// the single-process row order and SIMD lanes), so the iterates agree to rounding (≈1e-13
/// relative in `Double` over a run), not to the bit; in `Float` the sums are in `Double` here,
/// so the two agree to `Float` rounding.
///
/// Cost: each rank scans the whole permutation every epoch (O(N) per rank, plus 8·N bytes for
/// the order): cheap next to the data up to ~10⁹ rows. Each batch costs one collective of
/// d + 2 doubles, so batches should be large enough (thousands of rows per rank) for the
/// arithmetic to outweigh the latency. The alternative that scales past that — each rank
/// shuffles its own rows and takes B/K of each batch from them — needs no global permutation
/// and no per-index scan, but its batches are different sets of rows, so it does not equal the
/// single-process run; it is not implemented.
enum DistributedMiniBatch {
    /// One epoch: shuffles `order` (the `rows.count` global training indices), then steps
    /// through its batches of `batchSize`, updating `parameters` (`d + 1`: weights then bias)
    /// on every rank identically. `gradient` (`d + 1`) is scratch; `meanGradient` (`d + 1`)
    /// receives Σ (m/N)·gradient over the batches, as in the single-process epoch.
    ///
    /// - Parameters:
    ///   - x, y: this rank's training rows (`rows.localRows` × d, row-major).
    ///   - rows: which training index is which local row.
    /// - Returns: Σ over batches of m × the batch loss (stops after a non-finite batch loss).
    /// - Throws: a communicator failure.
    static func epoch<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, columns d: Int, rows: TrainingRowMap,
        order: UnsafeMutablePointer<Int>, generator: inout SeededGenerator, batchSize: Int,
        parameters theta: UnsafeMutablePointer<S>, gradient: UnsafeMutablePointer<S>, meanGradient: UnsafeMutablePointer<S>,
        l2: S, stepper: inout ParameterStepper<S>, communicator: any Communicator
    ) throws -> Double {
        let n = rows.count, p = d + 1
        MiniBatchKernel.shuffle(order, count: n, generator: &generator)
        meanGradient.update(repeating: 0, count: p)
        var sums = [Double](repeating: 0, count: d + 2)
        var weights = [Double](repeating: 0, count: d)
        let twiceL2 = 2 * Double(l2)
        var total = 0.0
        var start = 0
        while start < n {
            let m = min(batchSize, n - start)
            for j in 0..<d { weights[j] = Double(theta[j]) }
            let bias = Double(theta[d])
            // This rank's share of the batch: Σ r·xⱼ (0..<d), Σ r (d), Σ r² (d + 1).
            sums.withUnsafeMutableBufferPointer { s in
                weights.withUnsafeBufferPointer { w in
                    s.update(repeating: 0)
                    for position in start..<(start + m) {
                        let i = rows.row(order[position])
                        guard i >= 0 else { continue }
                        let row = x + i * d
                        var r = bias - Double(y[i])
                        for j in 0..<d { r += Double(row[j]) * w[j] }
                        for j in 0..<d { s[j] += r * Double(row[j]) }
                        s[d] += r
                        s[d + 1] += r * r
                    }
                }
            }
            let batch = try communicator.allReduceSum(sums)
            let scale = 2 / Double(m)
            var penalty = 0.0
            for j in 0..<d {
                gradient[j] = S(scale * batch[j] + twiceL2 * weights[j])
                penalty += weights[j] * weights[j]
            }
            gradient[d] = S(scale * batch[d])
            let batchLoss = batch[d + 1] / Double(m) + Double(l2) * penalty
            total += batchLoss * Double(m)
            MiniBatchKernel.accumulate(gradient, scaledBy: S(Double(m) / Double(n)), into: meanGradient, count: p)
            stepper.step(theta, gradient)
            start += m
            if !batchLoss.isFinite { break }
        }
        return total
    }
}
