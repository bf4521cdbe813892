import Descent
import Foundation
import Testing

/// `mpirun`, when OpenMPI is installed.
private let mpirun: String? = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first { FileManager.default.isExecutableFile(atPath: $0) }

/// Whether the built `descent` has MPI (`make test` builds with DESCENT_MPI=1): a
/// non-MPI build answers `--distributed` with a usage error naming the rebuild.
private let mpiBuild: Bool = {
    guard mpirun != nil, DescentCLI.executable != nil,
          let run = try? DescentCLI.run(["solve", "--data", "thermometer", "--distributed", "--json"], timeout: 60) else { return false }
    return run.status == 0
}()

/// The numbers after `"key":[` … `]` or `"key":` in a one-line JSON object.
private func numbers(_ key: String, in json: String) -> [Double] {
    guard let range = json.range(of: "\"\(key)\":") else { return [] }
    var rest = json[range.upperBound...]
    if rest.first == "[" { rest = rest.dropFirst(); rest = rest[..<(rest.firstIndex(of: "]") ?? rest.endIndex)] }
    else { rest = rest[..<(rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex)] }
    return rest.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
}

@Suite("Distributed: solve and train under mpirun equal one process", .serialized, .enabled(if: mpiBuild, "needs OpenMPI and a build with DESCENT_MPI=1 (make test does both)"))
struct DistributedTests {
    /// Runs `mpirun -np ranks descent arguments…` and returns rank 0's standard output.
    private func mpi(_ ranks: Int, _ arguments: [String], status expected: Int32 = 0) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mpirun!)
        process.arguments = ["--oversubscribe", "-np", String(ranks), "-x", "OPENBLAS_NUM_THREADS=1", DescentCLI.executable!] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["OMPI_ALLOW_RUN_AS_ROOT"] = "1"
        environment["OMPI_ALLOW_RUN_AS_ROOT_CONFIRM"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == expected, "mpirun -np \(ranks) descent \(arguments) exited \(process.terminationStatus)")
        return String(decoding: data, as: UTF8.self)
    }

    private func expectSameSolution(_ json: String, _ reference: LeastSquaresSolution<Double>, rows: Int, ranks: Int) {
        #expect(json.split(separator: "\n").count == 1, "only rank 0 prints, once: \(json)")
        let weights = numbers("weights", in: json)
        #expect(weights.count == reference.weights.count)
        let scale = max(1, reference.weights.map { abs($0) }.max() ?? 1)
        for (got, want) in zip(weights, reference.weights) {
            #expect(abs(got - want) <= 1e-12 * scale, "\(ranks) ranks: weight \(got) vs one process \(want)")
        }
        let bias = numbers("bias", in: json).first ?? .nan
        #expect(abs(bias - reference.bias) <= 1e-12 * max(1, abs(reference.bias)))
        #expect(numbers("rows", in: json).first == Double(rows), "rank 0 reports every row: \(json)")
    }

    @Test("synthetic rows generated per rank from (seed, block) solve to the single-process answer", arguments: [2, 3])
    func synthetic(ranks: Int) throws {
        // 10_001 rows: not a multiple of the 4096-row generator blocks nor of the rank count.
        let rows = 10_001
        let reference = try LeastSquaresSolver.solve(
            SyntheticData.make(rows: rows, features: 4, noise: 0.1, seed: 7, as: Double.self).dataset)
        let json = try mpi(ranks, ["solve", "--data", "synthetic", "--rows", String(rows), "--features", "4",
                                   "--seed", "7", "--distributed", "--json"])
        expectSameSolution(json, reference, rows: rows, ranks: ranks)
    }

    @Test("each rank maps only its rows of an .npy file", arguments: [2, 3])
    func npyFile(ranks: Int) throws {
        let directory = makeTemporaryDirectory("descent-mpi")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let problem = SyntheticData.make(rows: 5_003, features: 3, noise: 0.5, seed: 11, as: Double.self)
        let path = directory + "/data.npy"
        try NPY.write(problem.dataset, to: path)
        let reference = try LeastSquaresSolver.solve(problem.dataset)
        let json = try mpi(ranks, ["solve", "--data", path, "--distributed", "--json"])
        expectSameSolution(json, reference, rows: 5_003, ranks: ranks)
    }

    @Test("full-batch training with gradients reduced across ranks follows the single-process run", arguments: [2, 3])
    func train(ranks: Int) throws {
        let arguments = ["train", "--data", "synthetic", "--rows", "9001", "--features", "3", "--seed", "5",
                         "--normalize", "standardize", "--lr", "0.3", "--epochs", "150", "--json"]
        let single = try DescentCLI.run(arguments, timeout: 120)
        #expect(single.status == 0, "\(single)")
        let json = try mpi(ranks, arguments + ["--distributed"])
        #expect(json.split(separator: "\n").count == 1, "only rank 0 prints, once: \(json)")
        let want = numbers("weights", in: single.stdout) + numbers("bias", in: single.stdout)
        let got = numbers("weights", in: json) + numbers("bias", in: json)
        #expect(got.count == 4 && want.count == 4)
        // Same iterates up to rounding: the sums are grouped by rank instead of by block.
        for (a, b) in zip(got, want) { #expect(abs(a - b) <= 1e-12 * max(1, abs(b)), "\(ranks) ranks: \(a) vs \(b)") }
    }

    @Test("QR and SVD are refused under --distributed with a usage error")
    func refusesQR() throws {
        let run = try DescentCLI.run(["solve", "--data", "thermometer", "--method", "qr", "--distributed"], timeout: 60)
        DescentCLI.expectCleanFailure(run, code: 2, mentions: ["--method"])
    }

    // MARK: - verify, mini-batches and validation splits (issue 8)

    /// Runs `arguments` once in a single process and once under `mpirun -np ranks … --distributed`,
    /// and checks the two JSON objects: rank 0 prints one line, the key paths are identical, the
    /// integers and strings at `exact` paths are equal (epochs, status: every rank took the same
    /// decisions), and every number at `close` paths agrees to `1e-10·max(1, |value|)`.
    ///
    /// Why 1e-10 and not the bit: the distributed sums are grouped by rank instead of by row
    /// block or SIMD lane, so every reduction differs by a few ulps (≈1e-16 relative); the runs
    /// here are contractions (stable learning rates), which do not amplify those differences,
    /// so the iterates stay within ≈1e-14, and 1e-10 leaves four orders of margin while still
    /// catching a wrong row, batch or step (those move weights by ≥1e-4).
    private func expectSameRun(_ ranks: Int, _ arguments: [String], exact: [String], close: [String]) throws {
        let single = try DescentCLI.run(arguments, timeout: 120)
        #expect(single.status == 0, "\(single)")
        let output = try mpi(ranks, arguments + ["--distributed"])
        #expect(output.split(separator: "\n").count == 1, "only rank 0 prints, once: \(output)")
        let one = try #require(parseJSON(single.stdout), "single-process output is not JSON: \(single.stdout)")
        let many = try #require(parseJSON(output), "\(ranks)-rank output is not JSON: \(output)")
        #expect(keyPaths(one) == keyPaths(many), "\(ranks) ranks: the JSON keys differ from one process")
        for path in exact {
            #expect(String(describing: jsonValue(path, in: one)) == String(describing: jsonValue(path, in: many)),
                    "\(ranks) ranks: \(path) is \(String(describing: jsonValue(path, in: many))), one process \(String(describing: jsonValue(path, in: one)))")
        }
        for path in close {
            let want: [Double] = jsonNumbers(jsonValue(path, in: one)), got: [Double] = jsonNumbers(jsonValue(path, in: many))
            #expect(!want.isEmpty && got.count == want.count, "\(ranks) ranks: \(path) has \(got.count) numbers, one process \(want.count)")
            for (a, b) in zip(got, want) {
                #expect(abs(a - b) <= 1e-10 * max(1, abs(b)), "\(ranks) ranks: \(path) \(a) vs one process \(b)")
            }
        }
    }

    /// Writes a synthetic problem to `directory/data.npy` (features then target) and returns the path.
    private func npyFixture(_ directory: String, rows: Int, features: Int, seed: UInt64) throws -> String {
        let problem = SyntheticData.make(rows: rows, features: features, noise: 0.3, seed: seed, as: Double.self)
        let path = directory + "/data.npy"
        try NPY.write(problem.dataset, to: path)
        return path
    }

    private static let trainNumbers = ["weights", "bias", "scaled.weights", "scaled.bias", "train_loss"]

    @Test("verify --distributed equals the single-process verify (synthetic and .npy)", arguments: [2, 3])
    func verify(ranks: Int) throws {
        let directory = makeTemporaryDirectory("descent-mpi-verify")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try npyFixture(directory, rows: 3_001, features: 3, seed: 21)
        let exact = ["gradient_descent.epochs", "gradient_descent.status", "agrees", "verdict", "closed_form.method",
                     "closed_form.rank", "closed_form.rows", "gradient_descent.max_epochs"]
        let close = ["gradient_descent.weights", "gradient_descent.bias", "gradient_descent.train_loss",
                     "gradient_descent.learning_rate", "closed_form.weights", "closed_form.bias", "closed_form.loss",
                     "closed_form.residual_sum_of_squares", "closed_form.condition_number"]
        for data in [["--data", "synthetic", "--rows", "4001", "--features", "4", "--seed", "3"], ["--data", path]] {
            try expectSameRun(ranks, ["verify"] + data + ["--json"], exact: exact, close: close)
        }
        // The L2 path solves the closed form on the normalized features, through the communicator too.
        try expectSameRun(ranks, ["verify", "--data", path, "--l2", "0.01", "--optimizer", "momentum", "--json"],
                          exact: exact, close: close)
    }

    @Test("mini-batch training shares each global batch out by rows and follows the single-process run", arguments: [2, 3])
    func miniBatch(ranks: Int) throws {
        // 3001 rows, batches of 128: the last batch is short, and batches straddle every rank boundary.
        try expectSameRun(ranks, ["train", "--data", "synthetic", "--rows", "3001", "--features", "3", "--seed", "5",
                                  "--normalize", "standardize", "--lr", "0.05", "--epochs", "6", "--batch-size", "128", "--json"],
                          exact: ["epochs", "status"], close: Self.trainNumbers)
        let directory = makeTemporaryDirectory("descent-mpi-minibatch")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try npyFixture(directory, rows: 2_003, features: 4, seed: 9)
        try expectSameRun(ranks, ["train", "--data", path, "--normalize", "standardize", "--optimizer", "adam", "--lr", "0.01",
                                  "--epochs", "5", "--batch-size", "64", "--l2", "0.001", "--json"],
                          exact: ["epochs", "status"], close: Self.trainNumbers)
    }

    @Test("the validation split is defined on global rows: losses and early stopping equal one process", arguments: [2, 3])
    func validationSplit(ranks: Int) throws {
        let directory = makeTemporaryDirectory("descent-mpi-validation")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try npyFixture(directory, rows: 3_001, features: 3, seed: 13)
        let exact = ["epochs", "status"]
        let close = Self.trainNumbers + ["validation_loss"]
        // Full batch with early stopping on the validation loss (stops well before the cap).
        let early = ["--normalize", "standardize", "--lr", "0.1", "--epochs", "300", "--validation-fraction", "0.2",
                     "--patience", "3", "--early-stopping-tolerance", "1e-5", "--json"]
        try expectSameRun(ranks, ["train", "--data", path] + early, exact: exact, close: close)
        try expectSameRun(ranks, ["train", "--data", "synthetic", "--rows", "2500", "--features", "2", "--seed", "8"] + early,
                          exact: exact, close: close)
        // Mini-batches of the global training rows after the split.
        try expectSameRun(ranks, ["train", "--data", path, "--normalize", "standardize", "--lr", "0.05", "--epochs", "4",
                                  "--batch-size", "100", "--validation-fraction", "0.3", "--json"],
                          exact: exact, close: close)
    }

    @Test("verify --distributed refuses QR and SVD with a usage error naming --method")
    func verifyRefusesQR() throws {
        for method in ["qr", "svd"] {
            let run = try DescentCLI.run(["verify", "--data", "thermometer", "--method", method, "--distributed"], timeout: 60)
            DescentCLI.expectCleanFailure(run, code: 2, mentions: ["--method"])
        }
        _ = try mpi(2, ["verify", "--data", "synthetic", "--rows", "500", "--features", "2", "--method", "svd", "--distributed"], status: 2)
    }
}

/// A JSON object from one line of output.
private func parseJSON(_ text: String) -> [String: Any]? {
    guard let data = text.trimmingCharacters(in: .whitespacesAndNewlines).data(using: .utf8) else { return nil }
    return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
}

/// Every key path of a JSON object (`a.b` for nested objects), sorted.
private func keyPaths(_ object: [String: Any], prefix: String = "") -> [String] {
    object.flatMap { key, value -> [String] in
        let path = prefix + key
        if let nested = value as? [String: Any] { return [path] + keyPaths(nested, prefix: path + ".") }
        return [path]
    }.sorted()
}

/// The value at a dotted key path.
private func jsonValue(_ path: String, in object: [String: Any]) -> Any? {
    var current: Any? = object
    for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
    return current
}

/// A JSON number or array of numbers as doubles.
private func jsonNumbers(_ value: Any?) -> [Double] {
    if let number = value as? NSNumber { return [number.doubleValue] }
    if let array = value as? [Any] { return array.compactMap { ($0 as? NSNumber)?.doubleValue } }
    return []
}
