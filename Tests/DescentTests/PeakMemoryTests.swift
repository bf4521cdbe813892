import Foundation
import Testing

/// Issue 6: training and solving from a memory-mapped `.npy` file must not copy the data
/// (or, where a copy is made — the target column of a single file, a validation split of a
/// mapped file — must not hold the file resident next to it, nor copy that copy again).
///
/// The smoke version of `make peak-memory` (scripts/peak_memory.py, 528 MB, ratio ≤ 1.1 of the
/// file): the built CLI runs on a 1 MB and a 64 MB file under `/usr/bin/time -v`, and the growth
/// of its maximum resident set size between the two must stay within 1.1× the growth of the
/// file. (The runtime's fixed ~25 MB would dominate an absolute ratio on a file this small; the
/// growth is what a copy of X would double.) A behaviour check, not a timing check.
@Suite("PeakMemory: train and solve read a memory-mapped .npy in place", .serialized,
       .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/time"), "needs /usr/bin/time (apt-get install time)"))
struct PeakMemoryTests {
    /// The maximum RSS in bytes of `descent arguments…` (the test fails if it exits non-zero).
    func maxRSS(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Int {
        let binary = try #require(DescentCLI.executable, "the descent binary was not found; build it (swift build) or set DESCENT_BIN")
        let directory = makeTemporaryDirectory("descent-rss")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let errPath = directory + "/stderr"
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-v", binary] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = environment["OPENBLAS_NUM_THREADS"] ?? "1"
        process.environment = environment
        try process.run()
        process.waitUntilExit()
        try err.close()
        let report = String(decoding: fileBytes(errPath), as: UTF8.self)
        #expect(process.terminationStatus == 0, "descent \(arguments.joined(separator: " ")): \(report.suffix(1500))",
                sourceLocation: sourceLocation)
        let line = try #require(report.split(separator: "\n").first { $0.contains("Maximum resident set size (kbytes):") },
                                sourceLocation: sourceLocation)
        let kilobytes = try #require(Int(line.split(separator: ":").last!.trimmingCharacters(in: .whitespaces)),
                                     sourceLocation: sourceLocation)
        return kilobytes * 1024
    }

    func fileSize(_ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// Checks every command's max-RSS growth between the small and the large file is within
    /// 1.1× (and above 0.5×, so the runs did read the data) of the files' growth.
    func checkGrowth(_ commands: [(String, [String])], data: (String) -> [String], sizes: [Int],
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        for (label, command) in commands {
            var peaks: [Int] = []
            for name in ["small", "large"] {
                peaks.append(try maxRSS(command + data(name) + ["--quiet", "--json"], sourceLocation: sourceLocation))
            }
            let ratio = Double(peaks[1] - peaks[0]) / Double(sizes[1] - sizes[0])
            #expect(ratio <= 1.1, "\(label): max RSS \(peaks[0]) → \(peaks[1]) bytes for files of \(sizes[0]) → \(sizes[1]) bytes: growth ratio \(ratio)",
                    sourceLocation: sourceLocation)
            // And a copy of X is caught: the growth is well above the file's growth × 0.5 (all pages were read).
            #expect(ratio >= 0.5, "\(label): growth ratio \(ratio) — did the run read the whole file?", sourceLocation: sourceLocation)
        }
    }

    /// Generates the small (2 000 rows) and large (125 000 rows) 64-feature float64 files: 1 MB and
    /// 64 MB of features, as `x.npy` + `y.npy` (`separate`) or one `xy.npy`; returns their sizes.
    func generate(in directory: String, separate: Bool) throws -> [Int] {
        var sizes: [Int] = []
        for (name, rows) in [("small", 2_000), ("large", 125_000)] {
            let outputs = separate ? ["--output", "\(directory)/\(name)-x.npy", "--labels-output", "\(directory)/\(name)-y.npy"]
                : ["--output", "\(directory)/\(name)-xy.npy"]
            let generated = try DescentCLI.run(["generate", "--rows", String(rows), "--features", "64", "--quiet"] + outputs)
            #expect(generated.status == 0, "\(generated)")
            sizes.append(separate ? try fileSize("\(directory)/\(name)-x.npy") + fileSize("\(directory)/\(name)-y.npy")
                : try fileSize("\(directory)/\(name)-xy.npy"))
        }
        return sizes
    }

    @Test("train (full batch, mini-batch, mini-batch standardized) and solve: max RSS grows ≤ 1.1× the file (1 MB → 64 MB, features + labels files)")
    func residentGrowth() throws {
        let directory = makeTemporaryDirectory("descent-peak")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sizes = try generate(in: directory, separate: true)
        try checkGrowth([
            ("train, full batch", ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "fused"]),
            ("train, mini-batch 32", ["train", "--epochs", "1", "--lr", "0.001", "--batch-size", "32"]),
            ("train, mini-batch 32, standardized", ["train", "--epochs", "1", "--lr", "0.001", "--batch-size", "32",
                                                    "--normalize", "standardize"]),
            ("solve", ["solve"]),
        ], data: { ["--data", "\(directory)/\($0)-x.npy", "--labels", "\(directory)/\($0)-y.npy"] }, sizes: sizes)
    }

    @Test("full batch standardized (fused and Gram), a validation split (full and mini-batch) and both: max RSS grows ≤ 1.1× the file (features + labels files)")
    func residentGrowthNormalizedAndSplit() throws {
        let directory = makeTemporaryDirectory("descent-peak")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sizes = try generate(in: directory, separate: true)
        try checkGrowth([
            ("train, full batch, standardized", ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "fused",
                                                 "--normalize", "standardize"]),
            ("train, full batch, standardized, Gram", ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "gram",
                                                       "--normalize", "standardize"]),
            ("train, full batch, --validation-fraction 0.2", ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "fused",
                                                              "--validation-fraction", "0.2"]),
            ("train, mini-batch 32, --validation-fraction 0.2", ["train", "--epochs", "1", "--lr", "0.001", "--batch-size", "32",
                                                                 "--validation-fraction", "0.2"]),
            ("train, full batch, standardized, --validation-fraction 0.2",
             ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "fused", "--normalize", "standardize", "--validation-fraction", "0.2"]),
        ], data: { ["--data", "\(directory)/\($0)-x.npy", "--labels", "\(directory)/\($0)-y.npy"] }, sizes: sizes)
    }

    @Test("a single .npy with the target as its last column (full batch, mini-batch; with a validation split: full batch, mini-batch, standardized): max RSS grows ≤ 1.1× the file")
    func residentGrowthSingleFile() throws {
        let directory = makeTemporaryDirectory("descent-peak")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let sizes = try generate(in: directory, separate: false)
        // The features are copied out beside the target column (the mapping released behind
        // the copy); the CLI then hands the trainer its only reference, so the split permutes
        // that copy in place instead of copying it again.
        try checkGrowth([
            ("train xy.npy, full batch", ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "fused"]),
            ("train xy.npy, mini-batch 32", ["train", "--epochs", "1", "--lr", "0.001", "--batch-size", "32"]),
            ("train xy.npy, full batch, --validation-fraction 0.2", ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "fused",
                                                                     "--validation-fraction", "0.2"]),
            ("train xy.npy, mini-batch 32, --validation-fraction 0.2", ["train", "--epochs", "1", "--lr", "0.001", "--batch-size", "32",
                                                                        "--validation-fraction", "0.2"]),
            ("train xy.npy, full batch, standardized, --validation-fraction 0.2",
             ["train", "--epochs", "2", "--lr", "0.1", "--gradient", "fused", "--normalize", "standardize", "--validation-fraction", "0.2"]),
        ], data: { ["--data", "\(directory)/\($0)-xy.npy"] }, sizes: sizes)
    }
}
