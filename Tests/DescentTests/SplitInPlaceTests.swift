@testable import Descent
import Foundation
import Testing

// Issue 6: handed the only reference to rows Descent allocated, the validation split permutes
// them in place instead of copying them; data someone else still holds, or a read-only file
// mapping, is copied. These tests pin that every path gives the rows of the documented
// permutation, in its order, and that a caller's data set is never changed.

/// The documented permutation, written again with plain arrays: start from `0..<n`; for `i`
/// from `n − 1` down to 1, `j = next() % (i + 1)`, swap elements `i` and `j`.
private func documentedPermutation(count n: Int, seed: UInt64) -> [Int] {
    var generator = SeededGenerator(seed: seed)
    var indices = [Int]()
    for k in 0..<n { indices.append(k) }
    var i = n - 1
    while i > 0 {
        let j = Int(generator.next() % UInt64(i + 1))
        let kept = indices[i]
        indices[i] = indices[j]
        indices[j] = kept
        i -= 1
    }
    return indices
}

/// Rows `indices` of `data` as plain arrays (features row by row, then targets), by loops.
private func plainRows<S: BLASScalar>(_ data: Dataset<S>, _ indices: ArraySlice<Int>) -> (features: [S], targets: [S]) {
    var features: [S] = [], targets: [S] = []
    for i in indices {
        for j in 0..<data.featureCount { features.append(data.features[i, j]) }
        targets.append(data.targets[i])
    }
    return (features, targets)
}

/// A fresh copy of `data` in storage no other value references.
private func ownedCopy<S: BLASScalar>(_ data: Dataset<S>) -> Dataset<S> {
    Dataset(features: Matrix(rows: data.rowCount, columns: data.featureCount, elements: data.features.array),
            targets: Vector(data.targets.array), featureNames: data.featureNames, targetName: data.targetName, source: data.source)
}

@Suite("Split in place: the rows of the documented permutation, whatever holds the data")
struct SplitInPlaceTests {
    @Test("handed over, shared or mapped: training and validation rows equal a plain reimplementation of the permutation, bit for bit",
          arguments: trainerScalarTypes)
    func splitMatchesReference(_ type: any BLASScalar.Type) throws { try checkSplit(type) }

    func checkSplit<S: BLASScalar>(_: S.Type) throws {
        let directory = makeTemporaryDirectory("descent-split-in-place")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (rows, features, fraction, seed) in [(2, 1, 0.5, UInt64(1)), (11, 1, 0.2, 42), (1_000, 7, 0.25, 5), (70_001, 3, 0.3, 9)] {
            let data = trainerProblem(rows: rows, features: features, seed: seed, as: S.self)
            try writeBothLayouts(data, in: directory)
            let order = documentedPermutation(count: rows, seed: seed)
            let trainCount = rows - Int(fraction * Double(rows))
            let expectedTrain = plainRows(data, order[..<trainCount])
            let expectedValidation = plainRows(data, order[trainCount...])
            func expectReference(_ split: (train: Dataset<S>, validation: Dataset<S>), _ label: String) {
                #expect(split.train.rowCount == trainCount && split.validation.rowCount == rows - trainCount, "\(label) \(rows)")
                #expect(bits(split.train.features) == expectedTrain.features && bits(split.train.targets) == expectedTrain.targets,
                        "\(label): training rows of \(rows)")
                #expect(bits(split.validation.features) == expectedValidation.features
                        && bits(split.validation.targets) == expectedValidation.targets, "\(label): validation rows of \(rows)")
            }
            // Handed over: the rows are reordered in the caller's former storage (no copy).
            let handedOver = ownedCopy(data)
            let storage = handedOver.features.storageIdentity
            let inPlace = try Split.trainValidationRows(consume handedOver, validationFraction: fraction, seed: seed)
            expectReference(inPlace, "in place")
            #expect(inPlace.train.features.storageIdentity == storage && inPlace.validation.features.storageIdentity == storage,
                    "the handed-over rows were copied (\(rows) rows)")
            // Shared: copied, and the caller's rows are left as they were.
            let before = (bits(data.features), bits(data.targets))
            expectReference(try Split.trainValidationRows(data, validationFraction: fraction, seed: seed), "shared")
            #expect(bits(data.features) == before.0 && bits(data.targets) == before.1, "the shared data set changed")
            // Mapped (read-only): copied by the streaming scatter, the files unchanged.
            let mapped = try NPY.loadDataset(directory + "/x.npy", labelsPath: directory + "/y.npy", as: S.self)
            expectReference(try Split.trainValidationRows(mapped, validationFraction: fraction, seed: seed), "mapped")
            #expect(bits(mapped.features) == before.0 && bits(mapped.targets) == before.1, "the mapped data set changed")
            // A single file: its features are copied out beside the target column, then split in place.
            expectReference(try Split.trainValidationRows(try NPY.loadDataset(directory + "/xy.npy", as: S.self),
                                                          validationFraction: fraction, seed: seed), "single file")
            // The public split gives the same index lists.
            let indexed = try Split.trainValidation(ownedCopy(data), validationFraction: fraction, seed: seed)
            #expect(indexed.trainIndices == Array(order[..<trainCount]) && indexed.validationIndices == Array(order[trainCount...]))
        }
    }

    @Test("the trainer leaves a data set its caller still holds unchanged, and trains on it as on handed-over rows",
          arguments: trainerScalarTypes)
    func trainerHonoursCopyOnWrite(_ type: any BLASScalar.Type) throws { try checkTrainer(type) }

    func checkTrainer<S: BLASScalar>(_: S.Type) throws {
        let data = trainerProblem(rows: 5_003, features: 5, seed: 11, as: S.self)
        let before = (bits(data.features), bits(data.targets))
        for (normalization, batchSize) in [(NormalizationKind.none, Int?.none), (.standardize, nil), (.standardize, 32), (.none, 32)] {
            let configuration = TrainingConfiguration(learningRate: 0.05, epochs: 3, batchSize: batchSize,
                                                      normalization: normalization, validationFraction: 0.2)
            let trainer = try Trainer<S>(configuration)
            let shared = try trainer.train(data)
            #expect(bits(data.features) == before.0 && bits(data.targets) == before.1,
                    "\(normalization) batch \(batchSize.map(String.init) ?? "full"): the caller's data set changed")
            // The same run on rows handed over (permuted in place): the same numbers.
            let handedOver = try trainer.train(ownedCopy(data))
            #expect(bits(shared.trainedModel.weights) == bits(handedOver.trainedModel.weights)
                    && shared.trainedModel.bias == handedOver.trainedModel.bias)
            #expect(shared.history.trainLoss == handedOver.history.trainLoss
                    && shared.history.validationLoss == handedOver.history.validationLoss)
        }
    }
}
