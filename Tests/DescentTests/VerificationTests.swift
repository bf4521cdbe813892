import Descent
import Testing

@Suite("Verification: gradient descent against the closed form")
struct VerificationTests {
    @Test("the derived defaults converge and agree on the thermometer", arguments: Precision.allCases)
    func thermometerDefaults(_ precision: Precision) throws {
        try precision.run { try thermometerBody($0) }
    }

    private func thermometerBody<S: BLASScalar>(_: S.Type) throws {
        let data = Thermometer.dataset(S.self)
        let tolerance = Verification<S>.defaultTolerance
        let configuration = try Verification<S>.convergentConfiguration(for: data, base: TrainingConfiguration(), tolerance: tolerance)
        #expect(configuration.normalization == .standardize)
        let verification = try Verification<S>.run(data, configuration: configuration, tolerance: tolerance)
        #expect(verification.agrees, "\(verification.explanation)")
        #expect(verification.parameterRelativeError <= tolerance)
        #expect(verification.lossRelativeGap <= tolerance)
        #expect(verification.lossRelativeGap >= -1e-12)
        // The closed form is the textbook one (w ≈ 0.5368, b ≈ −17.30).
        #expect(abs(verification.closedFormWeights[0] - 0.53677) < 1e-4)
    }

    @Test("defaults agree to 1e-6 on 10⁵ synthetic rows in Double")
    func syntheticDefaults() throws {
        let data = SyntheticData.make(rows: 100_000, features: 16, noise: 0.1, seed: 7, as: Double.self).dataset
        let configuration = try Verification<Double>.convergentConfiguration(for: data, base: TrainingConfiguration(), tolerance: 1e-6)
        let verification = try Verification<Double>.run(data, configuration: configuration, tolerance: 1e-6)
        #expect(verification.agrees, "\(verification.explanation)")
        #expect(verification.parameterRelativeError <= 1e-6)
        #expect(verification.gradientNorm < 1e-6)
    }

    @Test("a 2-epoch run is refused as not converged, with a prediction of the epochs still needed")
    func twoEpochsRefused() throws {
        let data = SyntheticData.make(rows: 20_000, features: 8, noise: 0.1, seed: 3, as: Double.self).dataset
        let configuration = try Verification<Double>.convergentConfiguration(for: data, base: TrainingConfiguration(), tolerance: 1e-6, epochs: 2)
        let verification = try Verification<Double>.run(data, configuration: configuration, tolerance: 1e-6)
        #expect(!verification.agrees)
        #expect(verification.verdict == .notConverged)
        #expect((verification.predictedRemainingEpochs ?? 0) >= 1)
        #expect(verification.explanation.contains("not converged after 2 epochs"))
        // The chapter's settings (t_u × 0.1, lr 1e-2) for 2 epochs: far from converged.
        var chapter = TrainingConfiguration()
        chapter.normalization = .scale(0.1)
        chapter.learningRate = 1e-2
        chapter.epochs = 2
        let thermometer = try Verification<Double>.run(Thermometer.dataset(Double.self), configuration: chapter, tolerance: 1e-6)
        #expect(thermometer.verdict == .notConverged)
        #expect(thermometer.parameterRelativeError > 0.5)
    }

    @Test("a diverging run is reported as diverged, naming the stable learning rate")
    func diverged() throws {
        var configuration = TrainingConfiguration()
        configuration.learningRate = 1e-2
        configuration.epochs = 100
        let verification = try Verification<Double>.run(Thermometer.dataset(Double.self), configuration: configuration, tolerance: 1e-6)
        #expect(verification.verdict == .diverged)
        #expect(verification.explanation.contains("2/λmax"))
    }

    @Test("ridge with standardization: the closed form of the trainer's own penalized objective agrees")
    func ridgeStandardized() throws {
        let data = SyntheticData.make(rows: 5_000, features: 5, noise: 0.5, seed: 5, as: Double.self).dataset
        var base = TrainingConfiguration()
        base.l2 = 0.05
        let configuration = try Verification<Double>.convergentConfiguration(for: data, base: base, tolerance: 1e-6)
        let verification = try Verification<Double>.run(data, configuration: configuration, tolerance: 1e-6)
        #expect(verification.agrees, "\(verification.explanation)")
    }
}
