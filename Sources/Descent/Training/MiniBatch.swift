internal import CBLAS

/// Raw pointers for the parallel gather; each task writes its own rows.
private struct GatherPointers<S: BLASScalar>: @unchecked Sendable {
    let x: UnsafePointer<S>, y: UnsafePointer<S>, order: UnsafePointer<Int>
    let features: UnsafeMutablePointer<S>, targets: UnsafeMutablePointer<S>
}

/// The mini-batch hot loop: one epoch of steps over rows already gathered in shuffled order.
///
/// Built for small batches, where a step's arithmetic is a few dozen nanoseconds and any
/// overhead shows: the optimizer is a concrete ``ParameterStepper`` (no existential, state in
/// aligned storage), nothing is allocated, and a batch of at most ``directLimit`` elements
/// skips BLAS for a direct SIMD loop over its rows (two BLAS calls cost more than the work).
enum MiniBatchKernel {
    /// Batches of at most this many elements (rows × features) use the direct loop.
    static var directLimit: Int { 65_536 }

    /// Steps through `rows` rows in batches of `batchSize`, updating `parameters` (`d + 1`:
    /// weights then bias). `gradient` (`d + 1`) is scratch; `meanGradient` (`d + 1`) receives
    /// Σ (m/n)·gradient over the batches.
    /// - Returns: Σ over batches of m × the batch loss (stops early after a non-finite batch loss).
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func epoch<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows n: Int, columns d: Int, batchSize: Int,
        parameters theta: UnsafeMutablePointer<S>, gradient: UnsafeMutablePointer<S>, meanGradient: UnsafeMutablePointer<S>,
        l2: S, stepper: inout ParameterStepper<S>, workspace: GradientWorkspace<S>
    ) -> Double {
        let p = d + 1
        meanGradient.update(repeating: 0, count: p)
        var total = 0.0
        var row = 0
        let direct = batchSize * d <= directLimit
        while row < n {
            let m = min(batchSize, n - row)
            let batchLoss: Double
            if direct {
                batchLoss = directLossAndGradient(x: x + row * d, y: y + row, rows: m, columns: d, parameters: theta,
                                                  l2: l2, gradient: gradient)
            } else {
                let (loss, biasGradient) = MeanSquaredErrorKernel.lossAndGradient(
                    x: x + row * d, y: y + row, rows: m, columns: d, weights: theta, bias: theta[d], l2: l2,
                    weightsGradient: gradient, workspace: workspace)
                gradient[d] = biasGradient
                batchLoss = Double(loss)
            }
            total += batchLoss * Double(m)
            accumulate(gradient, scaledBy: S(Double(m) / Double(n)), into: meanGradient, count: p)
            stepper.step(theta, gradient)
            row += m
            if !batchLoss.isFinite { break }
        }
        return total
    }

    /// The batch loss `(1/m)·Σr² + l2·‖w‖²` and its gradient into `gradient` (`d` weights, then
    /// the bias), by one loop over the rows: r = xᵢ·w + b − yᵢ (8-wide SIMD dot), g += r·xᵢ.
    @inline(__always)
    static func directLossAndGradient<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows m: Int, columns d: Int,
        parameters w: UnsafeMutablePointer<S>, l2: S, gradient g: UnsafeMutablePointer<S>
    ) -> Double {
        typealias Lanes = SIMD8<S>
        let width = Lanes.scalarCount, stride = MemoryLayout<S>.stride
        let b = w[d]
        g.update(repeating: 0, count: d)
        let rawW = UnsafeRawPointer(w), rawG = UnsafeMutableRawPointer(g)
        var squares: S = 0, sum: S = 0
        for i in 0..<m {
            let row = x + i * d
            let rawRow = UnsafeRawPointer(row)
            var lanes = Lanes()
            var j = 0
            while j + width <= d {
                lanes += rawRow.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self)
                    * rawW.loadUnaligned(fromByteOffset: j * stride, as: Lanes.self)
                j += width
            }
            var dot = lanes.sum()
            while j < d { dot += row[j] * w[j]; j += 1 }
            let r = dot + b - y[i]
            squares += r * r
            sum += r
            let rs = Lanes(repeating: r)
            j = 0
            while j + width <= d {
                let offset = j * stride
                rawG.storeBytes(of: rawG.loadUnaligned(fromByteOffset: offset, as: Lanes.self)
                                    + rs * rawRow.loadUnaligned(fromByteOffset: offset, as: Lanes.self),
                                toByteOffset: offset, as: Lanes.self)
                j += width
            }
            while j < d { g[j] += r * row[j]; j += 1 }
        }
        let scale = 2 / S(m)
        var penalty: S = 0
        if l2 != 0 {
            for j in 0..<d {
                g[j] = scale * g[j] + 2 * l2 * w[j]
                penalty += w[j] * w[j]
            }
        } else {
            for j in 0..<d { g[j] *= scale }
        }
        g[d] = scale * sum
        return Double(squares) / Double(m) + Double(l2 * penalty)
    }

    /// target += scale · source.
    @inline(__always)
    static func accumulate<S: BLASScalar>(_ source: UnsafePointer<S>, scaledBy scale: S, into target: UnsafeMutablePointer<S>, count: Int) {
        for j in 0..<count { target[j] += scale * source[j] }
    }

    /// Shuffles `order` (Fisher–Yates; the index for position i is the high half of a 64-bit
    /// random number times i + 1, Lemire's multiply-shift: no division per element) and copies
    /// the rows of (x, y) in that order into `features` and `targets`.
    @_specialize(where S == Float)
    @_specialize(where S == Double)
    static func shuffleAndGather<S: BLASScalar>(
        x: UnsafePointer<S>, y: UnsafePointer<S>, rows n: Int, columns d: Int, order: UnsafeMutablePointer<Int>,
        generator: inout SeededGenerator, features: UnsafeMutablePointer<S>, targets: UnsafeMutablePointer<S>, threads: Int
    ) {
        var i = n - 1
        while i > 0 {
            let j = Int(truncatingIfNeeded: generator.next().multipliedFullWidth(by: UInt64(i + 1)).high)
            let swap = order[i]
            order[i] = order[j]
            order[j] = swap
            i -= 1
        }
        // The gather is bound by memory latency (one random row per step): prefetch rows a
        // few dozen ahead, and split the rows over the pool's threads (the copy is the same
        // whatever the split).
        let shared = GatherPointers(x: x, y: y, order: UnsafePointer(order), features: features, targets: targets)
        let taskRows = 65_536, tasks = (n + taskRows - 1) / taskRows
        WorkerPool.shared.run(tasks: tasks, threads: threads) { task, _ in
            let lower = task * taskRows, upper = min(n, lower + taskRows)
            let distance = 24
            for k in lower..<upper {
                if k + distance < upper {
                    let ahead = shared.order[k + distance]
                    descent_prefetch(shared.x + ahead * d)
                    if d * MemoryLayout<S>.stride > 64 { descent_prefetch(shared.x + ahead * d + 64 / MemoryLayout<S>.stride) }
                    descent_prefetch(shared.y + ahead)
                }
                let source = shared.order[k]
                let from = shared.x + source * d, to = shared.features + k * d
                for j in 0..<d { to[j] = from[j] }
                shared.targets[k] = shared.y[source]
            }
        }
    }
}
