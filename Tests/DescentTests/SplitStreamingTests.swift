@testable import Descent
import Foundation
import Testing

// Issue 6: the train/validation split scatters the source rows, read once in order, to
// their places (releasing a mapped source behind the read). These tests pin that the rows
// and their order are those of the gathered split it replaced.

@Suite("Split streaming: the scattered split equals the gathered one")
struct SplitStreamingTests {
    @Test("trainValidationRows = gathering(permutation) bit for bit, in memory and from a mapped file", arguments: trainerScalarTypes)
    func scatterEqualsGather(_ type: any BLASScalar.Type) throws { try check(type) }

    func check<S: BLASScalar>(_: S.Type) throws {
        let directory = makeTemporaryDirectory("descent-split")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (rows, fraction, seed) in [(2, 0.5, UInt64(1)), (11, 0.2, 42), (200_003, 0.3, 7)] {
            let data = trainerProblem(rows: rows, features: 4, seed: seed, as: S.self)
            try writeBothLayouts(data, in: directory)
            let mapped = try NPY.loadDataset(directory + "/x.npy", labelsPath: directory + "/y.npy", as: S.self)
            let order = Split.permutation(count: rows, seed: seed)
            let validationCount = Split.validationCount(rows: rows, fraction: fraction)
            let expectedTrain = data.gathering(Array(order[..<(rows - validationCount)]))
            let expectedValidation = data.gathering(Array(order[(rows - validationCount)...]))
            for source in [data, mapped] {
                let (train, validation) = try Split.trainValidationRows(source, validationFraction: fraction, seed: seed)
                #expect(bits(train.features) == bits(expectedTrain.features) && bits(train.targets) == bits(expectedTrain.targets))
                #expect(bits(validation.features) == bits(expectedValidation.features)
                        && bits(validation.targets) == bits(expectedValidation.targets))
            }
            // The mapped source still reads its bytes after its pages were released.
            #expect(bits(mapped.features) == bits(data.features) && bits(mapped.targets) == bits(data.targets))
            let public_ = try Split.trainValidation(data, validationFraction: fraction, seed: seed)
            #expect(public_.trainIndices + public_.validationIndices == order)
        }
        #expect(Split.inversePermutation(count: 1000, seed: 3, as: UInt32.self).map(Int.init)
                == Split.inversePermutation(count: 1000, seed: 3, as: Int.self))
    }
}
