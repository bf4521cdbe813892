@testable import Descent
import Foundation
import Testing

// Issue 6: full-batch training normalizes each row block inside the fused kernel and the
// Gram statistics pass instead of training on a normalized copy. These tests pin that the
// results are the bits of training on a copy normalized independently.

@Suite("Normalized kernels: full-batch training normalizes blocks as it reads them")
struct NormalizedKernelTests {
    /// `data` normalized by plain loops with the fitted normalizer's numbers (the reference).
    func normalizedByLoops<S: BLASScalar>(_ data: Dataset<S>, _ normalizer: Normalizer) -> Dataset<S> {
        let (n, d) = (data.rowCount, data.featureCount)
        var copy = data
        copy.features = Matrix<S>(rows: n, columns: d) { out in
            for i in 0..<n {
                for j in 0..<d {
                    out[i * d + j] = (data.features[i, j] - S(normalizer.offsets[j])) * S(1 / normalizer.scales[j])
                }
            }
        }
        return copy
    }

    @Test("standardize, full batch (fused and Gram, with L2 and validation) = training on a copy normalized by plain loops",
          arguments: trainerScalarTypes)
    func fullBatchEqualsNormalizedCopy(_ type: any BLASScalar.Type) throws { try check(type) }

    func check<S: BLASScalar>(_: S.Type) throws {
        // 40 000 rows: several tasks of both kernels, the last ragged; offsets far from zero.
        let base = trainerProblem(rows: 40_003, features: 6, seed: 9, as: S.self)
        let data = Dataset(features: Matrix<S>(rows: base.rowCount, columns: 6) { out in
            for i in 0..<base.rowCount { for j in 0..<6 { out[i * 6 + j] = base.features[i, j] * S(1 + j) + S(100 * j) } }
        }, targets: base.targets)
        for (method, l2, validation) in [(GradientMethod.fused, 0.0, 0.0), (.fused, 0.01, 0.2), (.gram, 0.0, 0.0), (.gram, 0.01, 0.25)] {
            var configuration = TrainingConfiguration(learningRate: 0.1, epochs: 20, normalization: .standardize)
            configuration.gradient = method
            configuration.l2 = l2
            configuration.validationFraction = validation
            let result = try Trainer<S>(configuration).train(data)
            // The reference: the same split, normalized by loops, trained without normalization.
            let (train, held) = validation > 0
                ? try Split.trainValidationRows(data, validationFraction: validation, seed: configuration.seed) : (data, nil)
            let normalizer = try Normalizer.fit(.standardize, to: train.features)
            #expect(normalizer == result.normalizer)
            var plain = configuration
            plain.normalization = .none
            plain.validationFraction = 0
            let reference = try Trainer<S>(plain).train(normalizedByLoops(train, normalizer),
                                                        validation: held.map { normalizedByLoops($0, normalizer) })
            #expect(bits(result.trainedModel.weights) == bits(reference.trainedModel.weights), "\(method) l2 \(l2)")
            #expect(result.trainedModel.bias == reference.trainedModel.bias, "\(method) l2 \(l2)")
            #expect(result.history.trainLoss == reference.history.trainLoss, "\(method) l2 \(l2)")
            #expect(result.trainLoss == reference.trainLoss && result.validationLoss == reference.validationLoss, "\(method) l2 \(l2)")
            #expect(result.gradientMethod == method)
        }
    }
}
