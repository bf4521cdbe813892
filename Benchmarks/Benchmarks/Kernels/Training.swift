// Training kernels: the fused MSE gradient (one full-batch epoch), a Gram-path epoch and
// optimizer steps, for Float and Double.
import Benchmark
import Descent

/// Registers the training-kernel benchmarks for both precisions.
func registerTrainingKernels() {
    registerTraining(Float.self)
    registerTraining(Double.self)
}

func registerTraining<S: BLASScalar>(_: S.Type) {
    let p = S.precisionName == "float32" ? "f32" : "f64"
    let size = MemoryLayout<S>.stride
    var generator = SeededGenerator(seed: 2)

    for (rows, columns) in [(1_000_000, 16), (250_000, 64)] {
        let x = Matrix<S>.random(rows: rows, columns: columns, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let y = Vector<S>.random(count: rows, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let w = Vector<S>.random(count: columns, distribution: .uniform(lower: -1, upper: 1), using: &generator)
        let shape = "\(label(rows))x\(columns)"
        let config = Benchmark.Configuration(metrics: kernelMetrics, maxDuration: .seconds(2), maxIterations: 200)

        // One full-batch epoch: loss and gradient in one pass over X (X and y are read once).
        Benchmark("fused gradient \(p) \(shape)", configuration: config) { benchmark in
            let workspace = GradientWorkspace<S>(featureCount: columns)
            var gradient = Vector<S>(zeros: columns)
            measure(benchmark, bytes: (rows * columns + rows) * size) {
                let result = meanSquaredErrorGradient(features: x, targets: y, weights: w, bias: 0.5,
                                                      weightsGradient: &gradient, workspace: workspace)
                blackHole(result.loss)
            }
        }

        // A Gram-path epoch: with G = XᵀX and c = Xᵀy computed once, ∇w = (2/n)(G·w − c) (the
        // bias terms are two more dot products); cost O(d²), independent of n.
        Benchmark("gram epoch \(p) \(shape)", configuration: .init(metrics: kernelMetrics, scalingFactor: .kilo, maxDuration: .seconds(2))) { benchmark in
            let gram = x.gram()
            let c = x.transposeMultiplied(by: y)
            var gradient = Vector<S>(zeros: columns)
            let scale = 2 / S(rows)
            measure(benchmark, bytes: columns * columns * size) {
                gradient.withUnsafeMutableBufferPointer { g in
                    BLAS.copy(columns, c.baseAddress, 1, g.baseAddress!, 1)
                    BLAS.gemv(.none, rows: columns, columns: columns, alpha: scale, gram.baseAddress, lda: columns,
                              w.baseAddress, 1, beta: -scale, g.baseAddress!, 1)
                }
                blackHole(gradient[0])
            }
        }
    }

    // Optimizer steps on the d + 1 parameters of a linear model.
    for d in [17, 257] {
        let gradient = Vector<S>.random(count: d, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        let config = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal], scalingFactor: .kilo, maxDuration: .seconds(1))
        Benchmark("sgd step \(p) d=\(d)", configuration: config) { benchmark in
            var optimizer = try SGD<S>(learningRate: 1e-3)
            var parameters = Vector<S>(zeros: d)
            for _ in benchmark.scaledIterations { optimizer.step(&parameters, gradient: gradient) }
            blackHole(parameters[0])
        }
        Benchmark("sgd momentum step \(p) d=\(d)", configuration: config) { benchmark in
            var optimizer = try SGD<S>(learningRate: 1e-3, momentum: 0.9)
            var parameters = Vector<S>(zeros: d)
            for _ in benchmark.scaledIterations { optimizer.step(&parameters, gradient: gradient) }
            blackHole(parameters[0])
        }
        Benchmark("adam step \(p) d=\(d)", configuration: config) { benchmark in
            var optimizer = try Adam<S>(learningRate: 1e-3)
            var parameters = Vector<S>(zeros: d)
            for _ in benchmark.scaledIterations { optimizer.step(&parameters, gradient: gradient) }
            blackHole(parameters[0])
        }
    }
}
