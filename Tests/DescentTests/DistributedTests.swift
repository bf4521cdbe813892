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
    private func mpi(_ ranks: Int, _ arguments: [String]) throws -> String {
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
        #expect(process.terminationStatus == 0, "mpirun -np \(ranks) descent \(arguments) exited \(process.terminationStatus)")
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
}
