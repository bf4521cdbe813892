@testable import Descent
import Foundation
import Testing

// Issue 6: the target column of a single .npy file is split off by streaming the mapped
// file and releasing its pages behind the copy. These tests pin that the data are the same
// bits as with separate files, and that releasing pages never loses a byte.

/// Writes `data` as x.npy + y.npy and as one xy.npy (target last) under `directory`.
func writeBothLayouts<S: BLASScalar>(_ data: Dataset<S>, in directory: String) throws {
    try NPY.write(data.features, to: directory + "/x.npy")
    try NPY.write(data.targets, to: directory + "/y.npy")
    try NPY.write(data, to: directory + "/xy.npy")
}

func bits<S: BLASScalar>(_ matrix: Matrix<S>) -> [S] { matrix.withUnsafeBufferPointer { Array($0) } }
func bits<S: BLASScalar>(_ vector: Vector<S>) -> [S] { vector.withUnsafeBufferPointer { Array($0) } }

@Suite("NPY streaming: a single file with the target column equals separate files")
struct NPYStreamingTests {
    @Test("xy.npy (target last or in the middle) loads and trains bit for bit like x.npy + y.npy (many 1 MiB chunks)",
          arguments: trainerScalarTypes)
    func singleFileEqualsSeparateFiles(_ type: any BLASScalar.Type) throws { try check(type) }

    func check<S: BLASScalar>(_: S.Type) throws {
        let directory = makeTemporaryDirectory("descent-xy")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // 5 features + target: 48 (f64) or 24 (f32) bytes a row, 300 001 rows: 7 to 14 chunks of 1 MiB, the last ragged.
        let data = trainerProblem(rows: 300_001, features: 5, seed: 11, as: S.self)
        try writeBothLayouts(data, in: directory)
        let single = try NPY.loadDataset(directory + "/xy.npy", as: S.self)
        let separate = try NPY.loadDataset(directory + "/x.npy", labelsPath: directory + "/y.npy", as: S.self)
        #expect(bits(single.features) == bits(separate.features))
        #expect(bits(single.targets) == bits(separate.targets))
        // A target in the middle: column 2 of xy is feature 2.
        let middle = try NPY.loadDataset(directory + "/xy.npy", targetIndex: 2, as: S.self)
        #expect(bits(middle.targets) == bits(data.features.column(2)))
        for i in [0, 1, 150_000, 300_000] {
            #expect([0, 1, 3, 4].map { data.features[i, $0] } + [data.targets[i]] == (0..<5).map { middle.features[i, $0] })
        }
        var configuration = TrainingConfiguration(learningRate: 0.05, epochs: 3)
        configuration.gradient = .fused
        let a = try Trainer<S>(configuration).train(single), b = try Trainer<S>(configuration).train(separate)
        let (weightsA, weightsB) = (bits(a.model.weights), bits(b.model.weights))
        #expect(weightsA == weightsB)
        #expect(a.model.bias == b.model.bias)
        #expect(a.trainLoss == b.trainLoss)
    }

    @Test("releasing pages of a mapped file keeps its bytes, and never drops a page written through the mapping")
    func releaseKeepsWrites() throws {
        let directory = makeTemporaryDirectory("descent-release")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let values = Vector<Double>((0..<100_000).map { Double($0) * 0.5 })
        try NPY.write(values, to: directory + "/v.npy")
        let array = try NPY.read(directory + "/v.npy", as: Double.self)
        #expect(array.isMemoryMapped && array.storage.isFileMapping)
        let storage = array.storage
        // A write through the private mapping (a private copy of that page) must survive.
        storage.pointer[40_000] = -1
        storage.releasePages(0..<storage.count)
        #expect(storage.pointer[40_000] == -1)
        #expect(storage.pointer[99_999] == 99_999 * 0.5 && storage.pointer[0] == 0)
        // Allocated memory: a no-op.
        let owned = AlignedStorage<Double>(copying: values.baseAddress, count: values.count)
        #expect(!owned.isFileMapping)
        owned.releasePages(0..<owned.count)
        #expect(owned.pointer[12_345] == 12_345 * 0.5)
    }
}
