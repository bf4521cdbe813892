import Descent
import Foundation
import Testing

@Suite("Synthetic data")
struct SyntheticDataTests {
    @Test("the same seed gives the same data; another seed does not")
    func determinism() {
        let a = SyntheticData.make(rows: 10_000, features: 3, noise: 0.1, seed: 5, as: Double.self)
        let b = SyntheticData.make(rows: 10_000, features: 3, noise: 0.1, seed: 5, as: Double.self)
        let c = SyntheticData.make(rows: 10_000, features: 3, noise: 0.1, seed: 6, as: Double.self)
        #expect(a.dataset.features == b.dataset.features)
        #expect(a.dataset.targets == b.dataset.targets)
        #expect(a.dataset.features != c.dataset.features)
        // Blocks draw from distinct streams: block 1 does not repeat block 0.
        let first = a.dataset.features.row(0).array
        let blockStart = a.dataset.features.row(SyntheticGenerator<Double>.blockRows).array
        #expect(first != blockStart)
    }

    @Test("targets are X·w + b plus noise of the requested size; features are standard normal")
    func construction() throws {
        try construction(Double.self, tolerance: 1e-12)
        try construction(Float.self, tolerance: 1e-5)
    }

    private func construction<S: BLASScalar>(_: S.Type, tolerance: Double) throws {
        let n = 50_000, d = 4
        let problem = SyntheticData.make(rows: n, features: d, noise: 0.25, seed: 1, as: S.self)
        let x = problem.dataset.features, y = problem.dataset.targets
        var residuals: [Double] = []
        for i in 0..<n {
            var prediction = Double(problem.trueBias)
            for j in 0..<d { prediction += Double(x[i, j]) * Double(problem.trueWeights[j]) }
            residuals.append(Double(y[i]) - prediction)
        }
        let mean = residuals.reduce(0, +) / Double(n)
        let sd = (residuals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)).squareRoot()
        // Mean within 4 standard errors of 0; standard deviation within 2% of 0.25.
        #expect(abs(mean) < 4 * 0.25 / Double(n).squareRoot())
        #expect(abs(sd - 0.25) < 0.005)
        for j in 0..<d {
            let column = (0..<n).map { Double(x[$0, j]) }
            let m = column.reduce(0, +) / Double(n)
            let v = column.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(n - 1)
            #expect(abs(m) < 4 / Double(n).squareRoot())
            #expect(abs(v - 1) < 0.03)
        }
        #expect(problem.trueWeights.allSatisfy { $0 >= -1 && $0 < 1 })
        _ = tolerance
    }

    @Test("--condition C gives features whose matrix has condition number about C", arguments: [10.0, 1000.0])
    func conditioning(condition: Double) throws {
        let n = 100_000, d = 5
        let problem = SyntheticData.make(rows: n, features: d, noise: 0, seed: 2, condition: condition, as: Double.self)
        // Eigenvalues of XᵀX are the squared singular values of X.
        var gram = problem.dataset.features.gram()
        var eigenvalues = [Double](repeating: 0, count: d)
        try gram.withUnsafeMutableBufferPointer { a in
            try LAPACK.syevd(computeVectors: false, .upper, n: d, a.baseAddress!, lda: d, eigenvalues: &eigenvalues)
        }
        let measured = (eigenvalues.max()! / eigenvalues.min()!).squareRoot()
        #expect(abs(measured / condition - 1) < 0.05, "measured \(measured)")
    }

    @Test("generated files equal the in-memory data for the same seed (.npy, separate labels, .csv)")
    func filesMatchMemory() throws {
        try filesMatchMemory(Double.self, condition: 1)
        try filesMatchMemory(Float.self, condition: 30)
    }

    private func filesMatchMemory<S: BLASScalar>(_: S.Type, condition: Double) throws {
        let rows = 2 * SyntheticGenerator<S>.blockRows + 123
        let generator = try SyntheticGenerator<S>(rows: rows, features: 3, noise: 0.5, seed: 77, condition: condition)
        let memory = SyntheticData.make(rows: rows, features: 3, noise: 0.5, seed: 77, condition: condition, as: S.self)
        #expect(generator.trueWeights == memory.trueWeights)
        let directory = makeTemporaryDirectory()
        try generator.write(to: directory + "/d.npy")
        let fromNPY = try NPY.loadDataset(directory + "/d.npy", as: S.self)
        #expect(fromNPY.features == memory.dataset.features)
        #expect(fromNPY.targets == memory.dataset.targets)
        try generator.write(to: directory + "/x.npy", labelsPath: directory + "/y.npy")
        let separate = try NPY.loadDataset(directory + "/x.npy", labelsPath: directory + "/y.npy", as: S.self)
        #expect(separate.features == memory.dataset.features)
        #expect(separate.targets == memory.dataset.targets)
        try generator.write(to: directory + "/d.csv")
        let fromCSV = try CSV.loadDataset(directory + "/d.csv", as: S.self)
        #expect(fromCSV.featureNames == ["x0", "x1", "x2"])
        #expect(fromCSV.targetName == "y")
        #expect(fromCSV.features == memory.dataset.features)
        #expect(fromCSV.targets == memory.dataset.targets)
    }

    @Test("invalid parameters are usage errors")
    func invalidParameters() {
        #expect(throws: DescentError.self) { try SyntheticGenerator<Double>(rows: 0, features: 2) }
        #expect(throws: DescentError.self) { try SyntheticGenerator<Double>(rows: 10, features: 1, condition: 10) }
        #expect(throws: DescentError.self) { try SyntheticGenerator<Double>(rows: 10, features: 2, noise: -1) }
        #expect(throws: DescentError.self) { try SyntheticGenerator<Double>(rows: Int.max / 2, features: 2) }
        #expect(throws: DescentError.self) { try SyntheticGenerator<Double>(rows: 10, features: 2).write(to: "/tmp/x.txt") }
    }
}
