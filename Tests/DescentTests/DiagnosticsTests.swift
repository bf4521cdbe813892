import Descent
import Foundation
import Testing

@Suite("Conditioning diagnostics")
struct DiagnosticsTests {
    @Test("thermometer: Hessian eigenvalues, stable rates and statistics match hand computation", arguments: Precision.allCases)
    func thermometer(_ precision: Precision) throws {
        try precision.run { try thermometerBody($0) }
    }

    private func thermometerBody<S: BLASScalar>(_: S.Type) throws {
        let x = Thermometer.unknownUnits.map { Double(S($0)) }
        let n = Double(x.count)
        // H = (2/n)·[[Σx², Σx], [Σx, n]]: eigenvalues of a 2 × 2 by the quadratic formula,
        // the smaller as det/λmax to avoid cancellation.
        let sxx = x.reduce(0) { $0 + $1 * $1 }, sx = x.reduce(0, +)
        let a = 2 * sxx / n, b = 2 * sx / n, c = 2.0
        let trace = a + c, det = a * c - b * b
        let largest = trace / 2 + ((a - c) * (a - c) / 4 + b * b).squareRoot()
        let smallest = det / largest
        let report = try ConditioningReport.of(Thermometer.dataset(S.self))
        #expect(isClose(report.raw.largest, largest, tolerance: 1e-12))
        #expect(isClose(report.raw.smallest, smallest, tolerance: 1e-7))
        #expect(isClose(report.raw.largestStableLearningRate, 2 / largest, tolerance: 1e-12))
        #expect(abs(report.raw.largest - 5883) < 1)  // the chapter's exploding lr 1e-2 ≫ 2/5883
        // One standardized feature: H = 2·I, κ = 1, stable up to lr 1.
        #expect(isClose(report.standardized.largest, 2, tolerance: 1e-12))
        #expect(isClose(report.standardized.smallest, 2, tolerance: 1e-12))
        #expect(isClose(report.standardizedConditionNumber, 1, tolerance: 1e-12))
        #expect(isClose(report.rawConditionNumber, (largest / smallest).squareRoot(), tolerance: 1e-7))
        let epochs = report.predictedEpochs(tolerance: 1e-6)
        #expect(isClose(epochs.raw, largest / smallest * log(1e6), tolerance: 1e-7))
        #expect(isClose(epochs.standardized, log(1e6), tolerance: 1e-12))
        // Statistics: mean, population standard deviation, range.
        let mean = sx / n
        let std = (x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot()
        #expect(report.features[0].name == "t_u")
        #expect(isClose(report.features[0].mean, mean, tolerance: 1e-14))
        #expect(isClose(report.features[0].standardDeviation, std, tolerance: 1e-14))
        #expect(report.features[0].minimum == Double(S(21.8)))
        #expect(report.features[0].maximum == Double(S(81.9)))
        #expect(report.target.name == "t_c")
        #expect(report.rank == 1)
        #expect(report.advice().contains { $0.contains("Standardize") })
    }

    @Test("the raw spectrum agrees with the trainer's independent HessianSpectrum (syrk on raw X)", arguments: Precision.allCases)
    func agreesWithTrainerSpectrum(_ precision: Precision) throws {
        try precision.run { try spectrumBody($0) }
    }

    private func spectrumBody<S: BLASScalar>(_: S.Type) throws {
        let data = randomProblem(S.self, rows: 500, features: 4, seed: 12)
        let report = try ConditioningReport.of(data, l2: 0.1)
        let reference = try HessianSpectrum.of(data, l2: 0.1)
        // The reference forms its Gram matrix in the data's precision; eigenvalues move by at
        // most the size of that rounding (Weyl), about ε·λmax.
        let weyl = tolerance(S.self, factor: 200) * reference.largest
        #expect(abs(report.raw.largest - reference.largest) <= weyl)
        #expect(abs(report.raw.smallest - reference.smallest) <= weyl)
        // Standardizing is what the Normalizer does; its Hessian is the trainer's on those features.
        let normalizer = try Normalizer.fit(.standardize, to: data.features)
        let standardized = try HessianSpectrum.of(normalizer.transform(data), l2: 0.1)
        #expect(isClose(report.standardized.largest, standardized.largest, tolerance: tolerance(S.self, factor: 100)))
        #expect(isClose(report.standardized.smallest, standardized.smallest, tolerance: tolerance(S.self, factor: 100)))
        #expect(report.standardizedConditionNumber < report.rawConditionNumber)
    }

    @Test("constant and duplicate features: rank and advice say so")
    func degenerateFeatures() throws {
        let x: Matrix<Double> = [[1, 5, 1], [2, 5, 2], [3, 5, 3], [4, 5, 4.0]]
        let data = Dataset(features: x, targets: [1, 2, 2, 4], featureNames: ["a", "flat", "a_again"])
        let report = try ConditioningReport.of(data)
        #expect(report.constantFeatures == ["flat"])
        #expect(report.rank == 1)
        let advice = report.advice()
        #expect(advice.contains { $0.contains("flat") })
        #expect(advice.contains { $0.contains("rank 1 of 3") })
    }
}
