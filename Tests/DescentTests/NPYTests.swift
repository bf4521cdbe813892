import Descent
import Foundation
import Testing

@Suite("NumPy .npy files")
struct NPYTests {
    static let tableFiles = ["npy_c_f8_v1.npy", "npy_c_f8_v2.npy", "npy_c_f8_v3.npy", "npy_fortran_f8.npy",
                             "npy_c_f4.npy", "npy_fortran_f4_v2.npy", "npy_c_f2.npy", "npy_big_endian_f8.npy"]

    @Test("every layout, dtype and header version NumPy wrote reads as the same table", arguments: tableFiles)
    func readsNumPyFiles(name: String) throws {
        try readsTable(name, Double.self)
        try readsTable(name, Float.self)
    }

    private func readsTable<S: BLASScalar>(_ name: String, _: S.Type) throws {
        let expected = numbers(npyExpected()["table"])
        let array = try NPY.read(fixturePath(name), as: S.self)
        #expect(array.shape == [4, 3])
        let matrix = array.matrix
        for i in 0..<4 { for j in 0..<3 { #expect(Double(matrix[i, j]) == expected[i][j], "\(name) [\(i), \(j)]") } }
    }

    @Test("headers are parsed: version, order, dtype, shape, 64-byte data offset")
    func headers() throws {
        let v2 = try NPY.readHeader(fixturePath("npy_fortran_f4_v2.npy"))
        #expect(v2.majorVersion == 2)
        #expect(v2.isFortranOrder)
        #expect(v2.elementType == .float32)
        #expect(v2.shape == [4, 3])
        #expect(v2.dataOffset % 64 == 0)
        let big = try NPY.readHeader(fixturePath("npy_big_endian_f8.npy"))
        #expect(big.isBigEndian)
        #expect(try NPY.readHeader(fixturePath("npy_c_f8_v3.npy")).majorVersion == 3)
    }

    @Test("C-order files of the requested precision are memory-mapped, others are converted")
    func memoryMapping() throws {
        #expect(try NPY.read(fixturePath("npy_c_f8_v1.npy"), as: Double.self).isMemoryMapped)
        #expect(try NPY.read(fixturePath("npy_c_f4.npy"), as: Float.self).isMemoryMapped)
        #expect(try !NPY.read(fixturePath("npy_c_f8_v1.npy"), as: Float.self).isMemoryMapped)
        #expect(try !NPY.read(fixturePath("npy_fortran_f8.npy"), as: Double.self).isMemoryMapped)
        #expect(try !NPY.read(fixturePath("npy_c_f8_v1.npy"), as: Double.self, memoryMap: false).isMemoryMapped)
    }

    @Test("integer dtypes are converted on read")
    func integers() throws {
        let i8 = try NPY.read(fixturePath("npy_i8.npy"), as: Double.self).matrix
        #expect(i8.rowArrays == numbers(npyExpected()["i8"]))
        let u1 = try NPY.read(fixturePath("npy_u1.npy"), as: Float.self).matrix
        #expect(u1.rowArrays.map { $0.map(Double.init) } == numbers(npyExpected()["u1"]))
    }

    @Test("written files are byte-for-byte what NumPy writes (versions 1.0 and 2.0)")
    func writesLikeNumPy() throws {
        let directory = makeTemporaryDirectory()
        let table = numbers(npyExpected()["table"])
        try NPY.write(Matrix<Double>(table), to: directory + "/f8.npy")
        #expect(fileBytes(directory + "/f8.npy") == fileBytes(fixturePath("npy_c_f8_v1.npy")))
        try NPY.write(Matrix<Double>(table), to: directory + "/f8v2.npy", version: 2)
        #expect(fileBytes(directory + "/f8v2.npy") == fileBytes(fixturePath("npy_c_f8_v2.npy")))
        try NPY.write(Matrix<Float>(table.map { $0.map(Float.init) }), to: directory + "/f4.npy")
        #expect(fileBytes(directory + "/f4.npy") == fileBytes(fixturePath("npy_c_f4.npy")))
        try NPY.write(Vector<Double>(table.map { $0[2] }), to: directory + "/labels.npy")
        #expect(fileBytes(directory + "/labels.npy") == fileBytes(fixturePath("npy_labels.npy")))
    }

    @Test("round trip of a large random matrix in both precisions")
    func roundTrip() throws {
        try roundTrip(Double.self)
        try roundTrip(Float.self)
    }

    private func roundTrip<S: BLASScalar>(_: S.Type) throws {
        var generator = SeededGenerator(seed: 7)
        let matrix = Matrix<S>.random(rows: 1000, columns: 7, distribution: .normal(mean: 0, standardDeviation: 1e3), using: &generator)
        let path = makeTemporaryDirectory() + "/m.npy"
        try NPY.write(matrix, to: path)
        let back = try NPY.read(path, as: S.self)
        #expect(back.isMemoryMapped)
        #expect(back.matrix == matrix)
    }

    @Test("data sets: target column (default last, or by index) and separate labels")
    func datasets() throws {
        try datasets(Double.self)
        try datasets(Float.self)
    }

    private func datasets<S: BLASScalar>(_: S.Type) throws {
        let table = numbers(npyExpected()["table"])
        let last = try NPY.loadDataset(fixturePath("npy_c_f8_v1.npy"), as: S.self)
        #expect(last.featureCount == 2)
        #expect(last.features.rowArrays.map { $0.map(Double.init) } == table.map { Array($0[0..<2]) })
        #expect(last.targets.map(Double.init) == table.map { $0[2] })

        let first = try NPY.loadDataset(fixturePath("npy_fortran_f8.npy"), targetIndex: 0, as: S.self)
        #expect(first.features.rowArrays.map { $0.map(Double.init) } == table.map { Array($0[1..<3]) })
        #expect(first.targets.map(Double.init) == table.map { $0[0] })

        let middle = try NPY.loadDataset(fixturePath("npy_c_f8_v1.npy"), targetIndex: -2, as: S.self)
        #expect(middle.features.rowArrays.map { $0.map(Double.init) } == table.map { [$0[0], $0[2]] })

        // Separate labels: the features are the whole file, used in place when the precision matches.
        let separate = try NPY.loadDataset(fixturePath("npy_features_only.npy"), labelsPath: fixturePath("npy_labels.npy"), as: S.self)
        #expect(separate.features == last.features)
        #expect(separate.targets == last.targets)

        #expect(throws: DescentError.self) { try NPY.loadDataset(fixturePath("npy_c_f8_v1.npy"), targetIndex: 3, as: S.self) }
        #expect(throws: DescentError.self) {
            try NPY.loadDataset(fixturePath("npy_i8.npy"), labelsPath: fixturePath("npy_labels.npy"), as: S.self)
        }
    }

    @Test("a memory-mapped data set equals the same data in memory, and solving on it agrees")
    func mappedEqualsInMemory() throws {
        let problem = SyntheticData.make(rows: 5000, features: 6, noise: 0.1, seed: 3, as: Double.self)
        let directory = makeTemporaryDirectory()
        try NPY.write(problem.dataset.features, to: directory + "/x.npy")
        try NPY.write(problem.dataset.targets, to: directory + "/y.npy")
        let mapped = try NPY.loadDataset(directory + "/x.npy", labelsPath: directory + "/y.npy", as: Double.self)
        #expect(try NPY.read(directory + "/x.npy", as: Double.self).isMemoryMapped)
        #expect(mapped.features == problem.dataset.features)
        #expect(mapped.targets == problem.dataset.targets)
        // A streamed pass over row blocks of the mapped file gives the same Xᵀy as in memory.
        var streamed = Vector<Double>(zeros: 6)
        for start in stride(from: 0, to: 5000, by: 512) {
            let block = mapped.rows(start..<min(5000, start + 512))
            streamed += block.features.transposeMultiplied(by: block.targets)
        }
        let whole = problem.dataset.features.transposeMultiplied(by: problem.dataset.targets)
        for j in 0..<6 { #expect(isClose(streamed[j], whole[j], tolerance: 1e-12)) }
    }

    @Test("training streamed from a memory-mapped file equals training on the same data in memory")
    func mappedTrainingEqualsInMemory() throws {
        try mappedTraining(Double.self)
        try mappedTraining(Float.self)
    }

    private func mappedTraining<S: BLASScalar>(_: S.Type) throws {
        let generator = try SyntheticGenerator<S>(rows: 20_000, features: 5, noise: 0.1, seed: 12)
        let directory = makeTemporaryDirectory()
        try generator.write(to: directory + "/x.npy", labelsPath: directory + "/y.npy")
        let mapped = try NPY.loadDataset(directory + "/x.npy", labelsPath: directory + "/y.npy", as: S.self)
        #expect(try NPY.read(directory + "/x.npy", as: S.self).isMemoryMapped)
        let memory = generator.makeProblem().dataset
        for batchSize in [nil, 1000] as [Int?] {
            let trainer = try Trainer<S>(TrainingConfiguration(learningRate: 0.1, epochs: 5, batchSize: batchSize))
            let fromFile = try trainer.train(mapped)
            let inMemory = try trainer.train(memory)
            #expect(fromFile.model.weights == inMemory.model.weights)
            #expect(fromFile.model.bias == inMemory.model.bias)
            #expect(fromFile.history.trainLoss == inMemory.history.trainLoss)
        }
    }

    @Test("bad files are refused before allocating, with the file and byte offset")
    func refusesBadFiles() throws {
        let directory = makeTemporaryDirectory()
        func file(_ name: String, header: String, version: UInt8 = 1, data: [UInt8] = []) throws -> String {
            var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
            let text = Array(header.utf8)
            if version == 1 { bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8)] }
            else { bytes += [UInt8(text.count & 0xFF), UInt8(text.count >> 8), 0, 0] }
            bytes += text + data
            let path = directory + "/" + name
            try AtomicFile.write(bytes, to: path)
            return path
        }
        let cases: [(String, String)] = [
            (try file("absurd.npy", header: "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 1000000000), }\n"), "more elements than fit"),
            (try file("short.npy", header: "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 1000), }\n", data: [0, 0, 0]), "holds 3 data bytes"),
            (try file("struct.npy", header: "{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1,), }\n", data: [UInt8](repeating: 0, count: 8)), "structured arrays"),
            (try file("complex.npy", header: "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }\n", data: [UInt8](repeating: 0, count: 16)), "unsupported dtype"),
            (try file("garbled.npy", header: "{'descr': '<f8', 'fortran_order': Fals"), "malformed header"),
            (try file("nested.npy", header: "{'descr': " + String(repeating: "(", count: 50_000)), "nested more than"),
            (try file("version.npy", header: "{}", version: 9), "version 9.0"),
            (fixturePath("predict_model.json"), "magic string"),
            (fixturePath("npy_with_nan.npy"), "non-finite value nan at row 1, column 0"),
        ]
        for (path, message) in cases {
            do {
                _ = try NPY.read(path, as: Double.self)
                Issue.record("\(path) should fail")
            } catch let error as DescentError {
                #expect(error.description.contains(path), "\(error)")
                #expect(error.description.contains(message), "\(error)")
                #expect(error.exitCode == 1)
            }
        }
    }
}
