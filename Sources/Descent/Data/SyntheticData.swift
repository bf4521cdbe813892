/// A synthetic linear-regression problem with known true parameters.
public struct SyntheticProblem<Scalar: BLASScalar>: Sendable {
    /// The generated samples: features, then `y = X·w + b + noise`.
    public var dataset: Dataset<Scalar>
    /// The weights used to make the targets.
    public var trueWeights: Vector<Scalar>
    /// The bias used to make the targets.
    public var trueBias: Scalar
}

/// Generates synthetic linear-regression data from a seed.
public enum SyntheticData {
    /// `rows` samples of `features` standard-normal features, true weights uniform in
    /// [-1, 1), a true bias uniform in [-1, 1), targets `X·w + b` plus Gaussian noise of
    /// standard deviation `noise`. The same seed gives the same data on every machine.
    public static func make<Scalar: BLASScalar>(rows: Int, features: Int, noise: Double = 0.1, seed: UInt64 = 42,
                                                as _: Scalar.Type = Scalar.self) -> SyntheticProblem<Scalar> {
        var generator = SeededGenerator(seed: seed)
        let weights = Vector<Scalar>.random(count: features, distribution: .uniform(lower: -1, upper: 1), using: &generator)
        let bias = Scalar(RandomDistribution.uniform(lower: -1, upper: 1).sample(&generator))
        let x = Matrix<Scalar>.random(rows: rows, columns: features, distribution: .normal(mean: 0, standardDeviation: 1), using: &generator)
        var y = x.multiplied(by: weights)
        y.withUnsafeMutableBufferPointer { targets in
            for i in 0..<targets.count { targets[i] += bias + Scalar(noise * generator.nextNormal()) }
        }
        return SyntheticProblem(dataset: Dataset(features: x, targets: y, source: "synthetic"),
                                trueWeights: weights, trueBias: bias)
    }
}
