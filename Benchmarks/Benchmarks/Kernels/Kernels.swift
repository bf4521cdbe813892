// package-benchmark suites for Descent's BLAS-backed kernels, for Float and Double.
//
// Each benchmark reports wall clock, throughput (calls/s) and a custom `MB/s` metric: the
// bytes the kernel must read and write per call divided by the measured time, to compare
// against the machine's memory bandwidth (the limit for level-1 and level-2 kernels).
// ARC metrics are not used: they crash on this runtime (see DESIGN.md).
import Benchmark
import Descent

#if canImport(Glibc)
import Glibc
#endif

/// Bytes per second over a call, in MB/s, as a custom metric (larger is better).
let bandwidth = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)

/// The metrics every kernel reports.
let kernelMetrics: [BenchmarkMetric] = [.wallClock, .throughput, .mallocCountTotal, bandwidth]

/// Runs `body` once per iteration, timing it and recording the bandwidth for `bytes` moved.
func measure(_ benchmark: Benchmark, bytes: Int, _ body: () -> Void) {
    let clock = ContinuousClock()
    for _ in benchmark.scaledIterations {
        let start = clock.now
        body()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if seconds > 0 { benchmark.measurement(bandwidth, Int(Double(bytes) / seconds / 1e6)) }
    }
}

/// `"1M"`, `"4k"`, `"300"`.
func label(_ n: Int) -> String {
    if n >= 1_000_000, n % 1_000_000 == 0 { return "\(n / 1_000_000)M" }
    if n >= 1_000, n % 1_000 == 0 { return "\(n / 1_000)k" }
    return "\(n)"
}

/// Registers the level-1, level-2 and Gram kernels for one precision.
func registerKernels<S: BLASScalar>(_: S.Type) {
    let p = S.precisionName == "float32" ? "f32" : "f64"
    let size = MemoryLayout<S>.stride
    var generator = SeededGenerator(seed: 1)

    for n in [4_096, 1_000_000, 16_000_000] {
        let x = Vector<S>.random(count: n, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let y = Vector<S>.random(count: n, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let config = Benchmark.Configuration(metrics: kernelMetrics, scalingFactor: n <= 4_096 ? .kilo : .one,
                                             maxDuration: .seconds(2))

        Benchmark("dot \(p) n=\(label(n))", configuration: config) { benchmark in
            measure(benchmark, bytes: 2 * n * size) { blackHole(x.dot(y)) }
        }
        Benchmark("axpy \(p) n=\(label(n))", configuration: config) { benchmark in
            var z = y
            z.makeUnique()  // the copy happens here, outside the measured calls
            measure(benchmark, bytes: 3 * n * size) { z.add(x, scaledBy: 1e-9) }
            blackHole(z[0])
        }
    }

    // Tall-thin shapes, as in training: rows × features.
    for (rows, columns) in [(1_000_000, 16), (250_000, 64), (4_000_000, 32)] {
        let a = Matrix<S>.random(rows: rows, columns: columns, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let w = Vector<S>.random(count: columns, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let r = Vector<S>.random(count: rows, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let config = Benchmark.Configuration(metrics: kernelMetrics, maxDuration: .seconds(2), maxIterations: 200)
        let matrixBytes = rows * columns * size
        let shape = "\(label(rows))x\(columns)"

        Benchmark("gemv \(p) \(shape)", configuration: config) { benchmark in
            var out = Vector<S>(zeros: rows)
            measure(benchmark, bytes: matrixBytes + rows * size) {
                out.withUnsafeMutableBufferPointer {
                    BLAS.gemv(.none, rows: rows, columns: columns, alpha: 1, a.baseAddress, lda: columns, w.baseAddress, 1, beta: 0, $0.baseAddress!, 1)
                }
            }
            blackHole(out[0])
        }
        Benchmark("gemv-transposed \(p) \(shape)", configuration: config) { benchmark in
            var out = Vector<S>(zeros: columns)
            measure(benchmark, bytes: matrixBytes + rows * size) {
                out.withUnsafeMutableBufferPointer {
                    BLAS.gemv(.transposed, rows: rows, columns: columns, alpha: 1, a.baseAddress, lda: columns, r.baseAddress, 1, beta: 0, $0.baseAddress!, 1)
                }
            }
            blackHole(out[0])
        }
        Benchmark("gram (syrk) \(p) \(shape)", configuration: config) { benchmark in
            var out = Matrix<S>(rows: columns, columns: columns)
            measure(benchmark, bytes: matrixBytes) {
                out.withUnsafeMutableBufferPointer {
                    BLAS.syrk(.upper, .transposed, n: columns, k: rows, alpha: 1, a.baseAddress, lda: columns, beta: 0, $0.baseAddress!, ldc: columns)
                }
            }
            blackHole(out[0, 0])
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(warmupIterations: 2, maxDuration: .seconds(2))
    registerKernels(Float.self)
    registerKernels(Double.self)
    registerTrainingKernels()
}
