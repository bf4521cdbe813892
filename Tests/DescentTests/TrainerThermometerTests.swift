import Descent
import Foundation
import Testing

/// The thermometer walkthrough against `Fixtures/thermometer_reference.json`, written by
/// `scripts/thermometer_reference.py` (an independent NumPy float32 reproduction of the chapter).
@Suite("Trainer: thermometer walkthrough vs the NumPy reference")
struct TrainerThermometerTests {
    static func reference() throws -> [String: Any] {
        let data = try Data(contentsOf: fixtureURL("thermometer_reference.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func number(_ object: [String: Any], _ path: String) throws -> Double {
        var current: Any = object
        for key in path.split(separator: ".") {
            current = try #require((current as? [String: Any])?[String(key)], "missing \(path)")
        }
        return try #require((current as? NSNumber)?.doubleValue, "\(path) is not a number")
    }

    @Test("every step matches the float32 reference (Float) and is close to it in Double", arguments: trainerScalarTypes)
    func walkthrough(_ type: any BLASScalar.Type) throws { try check(type) }

    func check<S: BLASScalar>(_: S.Type) throws {
        let ref = try Self.reference()
        let walk = try ThermometerWalkthrough<S>.run()
        let isFloat = S.self == Float.self
        // Float runs the chapter's own arithmetic in another summation order; Double differs
        // from float32 by the float32 rounding of the data path.
        let tight = isFloat ? 2e-5 : 1e-4, loose = isFloat ? 1e-3 : 2e-3
        func near(_ value: Double, _ path: String, _ tol: Double, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let expected = try Self.number(ref, path)
            #expect(isClose(value, expected, tolerance: tol), "\(path): \(value) vs reference \(expected)", sourceLocation: sourceLocation)
        }
        // 1–3
        try near(walk.initialLoss, "initial.loss", tight)
        let predictions = try #require((ref["initial"] as? [String: Any])?["predictions"] as? [Double])
        for (a, b) in zip(walk.initialPredictions, predictions) { #expect(isClose(a, b, tolerance: tight)) }
        try near(walk.finiteDifference.dw, "finite_difference.dw", tight)
        // A central difference of float32 losses of ~1764 with δ = 0.1 rounds to ~1e-3.
        #expect(abs(walk.finiteDifference.db - (try Self.number(ref, "finite_difference.db"))) < 5e-3)
        try near(walk.finiteDifference.step.w, "finite_difference.w", tight)
        try near(walk.finiteDifference.step.b, "finite_difference.b", 1e-3)
        try near(walk.analyticGradient.dw, "analytic_gradient.dw", tight)
        try near(walk.analyticGradient.db, "analytic_gradient.db", tight)
        // 4: the guard stops at the same epoch, and 2/λmax is the Hessian's (the reference
        // used float32-rounded t_u and a float64 Gram matrix: agreement to ~1e-7).
        #expect(Double(walk.diverging.epoch) == (try Self.number(ref, "diverging.stopped_at_epoch")))
        try near(walk.diverging.lastLoss, "diverging.loss", tight)
        try near(walk.diverging.largestStableLearningRate, "diverging.largest_stable_learning_rate", 1e-6)
        try near(walk.diverging.largestEigenvalue, "diverging.largest_eigenvalue", 1e-6)
        #expect(walk.diverging.description.contains("scale the input"))
        // 5, 6, 7, 8
        for (fit, key) in [(walk.smallLearningRate, "small_learning_rate"), (walk.scaled100, "scaled_100"),
                           (walk.scaled5000, "scaled_5000"), (walk.autograd5000, "autograd_5000"), (walk.adam, "adam")] {
            try near(fit.w, "\(key).w", loose)
            try near(fit.b, "\(key).b", loose)
            try near(fit.loss, "\(key).loss", loose)
        }
        // The chapter's printed figures.
        #expect(abs(walk.scaled5000.w - 5.3671) < 1e-3 && abs(walk.scaled5000.b + 17.3012) < 2e-3)
        #expect(abs(walk.scaled5000.loss - 2.927648) < 1e-4)
        // 9: the same permutation, the same losses.
        let validation = try #require(ref["validation"] as? [String: Any])
        #expect(walk.validation.trainIndices == (validation["train_indices"] as? [Int]))
        #expect(walk.validation.validationIndices == (validation["validation_indices"] as? [Int]))
        try near(walk.validation.trainLoss, "validation.train_loss", loose)
        try near(walk.validation.validationLoss, "validation.validation_loss", loose)
        let history = try #require(validation["history"] as? [String: [Double]])
        #expect(walk.validationReport.map(\.epoch) == [1, 2, 3, 500, 1000, 1500, 2000, 2500, 3000])
        for row in walk.validationReport {
            let expected = try #require(history[String(row.epoch)])
            #expect(isClose(row.trainLoss, expected[0], tolerance: loose), "train loss at epoch \(row.epoch)")
            #expect(isClose(row.validationLoss, expected[1], tolerance: loose), "validation loss at epoch \(row.epoch)")
        }
        // 10: the closed form (solved in Double from the same data).
        try near(walk.closedForm.w, "closed_form.w", 1e-7)
        try near(walk.closedForm.b, "closed_form.b", 1e-7)
        try near(walk.closedForm.loss, "closed_form.loss", 1e-6)
    }

    @Test("Adam reproduces the chapter's printed 2000-epoch run")
    func adamChapter() throws {
        let ref = try Self.reference()
        var configuration = TrainingConfiguration(optimizer: .adam(), learningRate: 1e-1, epochs: 2000)
        configuration.initialWeights = [1]
        let result = try Trainer<Float>(configuration).train(Thermometer.dataset(Float.self))
        #expect(isClose(Double(result.model.weights[0]), try Self.number(ref, "adam_2000.w"), tolerance: 1e-4))
        #expect(isClose(Double(result.model.bias), try Self.number(ref, "adam_2000.b"), tolerance: 1e-4))
        // The chapter prints tensor([0.5367, -17.3021]) and loss 2.927645.
        #expect(abs(Double(result.model.weights[0]) - 0.5367) < 1e-4)
        #expect(abs(Double(result.model.bias) + 17.3021) < 1e-3)
    }
}
