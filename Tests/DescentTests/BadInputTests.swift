import Descent
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

// Issue 7, item 1: every bad input gets one clear line on stderr and exit 1, never a trap.
// The corpus is Fixtures/bad/, written by scripts/make_bad_corpus.py; the missing file, a
// directory and an unreadable file are made here (git cannot hold them).

/// What one run of the built `descent` binary did.
struct CLIRun: CustomStringConvertible {
    /// The exit status, or the signal number when `signaled`.
    var status: Int32
    /// Whether the process died of a signal (a trap or a crash).
    var signaled: Bool
    var stdout: String
    var stderr: String

    /// The non-empty lines of standard error.
    var stderrLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }

    var description: String {
        "\(signaled ? "signal" : "exit") \(status)\nstderr: \(stderr.prefix(2000))\nstdout: \(stdout.prefix(500))"
    }
}

/// Runs the built CLI (`swift build`/`swift test` put `descent` next to the test bundle).
enum DescentCLI {
    /// The `descent` executable in the build products directory of this test run, or
    /// `$DESCENT_BIN` when set.
    static let executable: String? = {
        if let explicit = ProcessInfo.processInfo.environment["DESCENT_BIN"] { return explicit }
        var candidates: [URL] = [Bundle.module.bundleURL.deletingLastPathComponent()]
        if let main = Bundle.main.executableURL { candidates.append(main.deletingLastPathComponent()) }
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent())
        for directory in candidates {
            let path = directory.appendingPathComponent("descent").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }()

    /// Runs `descent arguments…` in `directory` with `input` closed, killing it after `timeout` seconds.
    static func run(_ arguments: [String], in directory: String? = nil, timeout: Double = 120,
                    sourceLocation: SourceLocation = #_sourceLocation) throws -> CLIRun {
        let binary = try #require(executable, "the descent binary was not found next to the test bundle; build it (swift build) or set DESCENT_BIN",
                                  sourceLocation: sourceLocation)
        let scratch = makeTemporaryDirectory("descent-cli")
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout", errPath = scratch + "/stderr"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = environment["OPENBLAS_NUM_THREADS"] ?? "1"
        process.environment = environment
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("descent \(arguments.joined(separator: " ")) still ran after \(timeout) s", sourceLocation: sourceLocation)
        }
        process.waitUntilExit()
        try out.close()
        try err.close()
        return CLIRun(status: process.terminationStatus, signaled: process.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: fileBytes(outPath), as: UTF8.self),
                      stderr: String(decoding: fileBytes(errPath), as: UTF8.self))
    }

    /// Checks a run failed cleanly: exit `code`, exactly one line on stderr that starts with
    /// `error:` and mentions every string in `mentions`, no control characters, and no sign
    /// of a trap or a stack trace.
    static func expectCleanFailure(_ run: CLIRun, code: Int32, mentions: [String] = [],
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!run.signaled && run.status == code, "expected exit \(code): \(run)", sourceLocation: sourceLocation)
        #expect(run.stderrLines.count == 1, "expected exactly one line on stderr: \(run)", sourceLocation: sourceLocation)
        let line = run.stderrLines.first.map(String.init) ?? ""
        for banned in ["Fatal error", "Backtracing", "Stack dump", "Thread 0", "crashed", "precondition", "Illegal instruction"] {
            #expect(!run.stderr.contains(banned), "stderr shows a trap (\(banned)): \(run)", sourceLocation: sourceLocation)
        }
        let controls = line.unicodeScalars.filter { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }
        #expect(controls.isEmpty, "stderr line holds control characters \(controls.map { $0.value }): \(run)", sourceLocation: sourceLocation)
        for text in mentions {
            #expect(line.contains(text), "stderr does not mention '\(text)': \(run)", sourceLocation: sourceLocation)
        }
    }
}

/// The directory of the bad-input corpus.
let badCorpusDirectory: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("Fixtures/bad").path

/// Every file of the corpus, sorted.
let badCorpusFiles: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: badCorpusDirectory)) ?? [])
    .filter { $0.hasSuffix(".csv") || $0.hasSuffix(".npy") }.sorted()

/// Corpus files that crash the process (known bugs, reported). The deeply nested .npy
/// header overflowed the stack until commit 00c9130 capped the nesting.
let badCorpusCrashing: Set<String> = []

/// A position in a message: `file:LINE`, `file:LINE:COLUMN` or `(byte N)`.
func mentionsPosition(_ line: String, file: String) -> Bool {
    guard let range = line.range(of: file) else { return false }
    let rest = line[range.upperBound...]
    if rest.hasPrefix(":"), rest.dropFirst().first?.isNumber == true { return true }
    return rest.hasPrefix(" (byte ")
}

@Suite("Bad input: the CLI on the committed corpus")
struct BadInputCLITests {
    @Test("the corpus is there")
    func corpusExists() {
        #expect(badCorpusFiles.count >= 35, "Fixtures/bad holds \(badCorpusFiles.count) files; run scripts/make_bad_corpus.py")
    }

    @Test("train and solve exit 1 with one line naming the file and the position", arguments: badCorpusFiles)
    func badFile(_ name: String) throws {
        for command in ["train", "solve"] {
            let run = try DescentCLI.run([command, "--data", name, "--quiet", "--epochs", "5"].filter { command == "train" || ($0 != "--epochs" && $0 != "5") },
                                         in: badCorpusDirectory)
            if badCorpusCrashing.contains(name) {
                withKnownIssue("bug: the .npy header parser recurses once per '(' and overflows the stack (NPY.swift PythonLiteralParser)") {
                    DescentCLI.expectCleanFailure(run, code: 1, mentions: [name])
                }
                continue
            }
            DescentCLI.expectCleanFailure(run, code: 1, mentions: [name])
            let line = run.stderrLines.first.map(String.init) ?? ""
            #expect(mentionsPosition(line, file: name), "\(command): no line/column/byte offset: \(line)")
        }
    }

    @Test("a missing file")
    func missingFile() throws {
        let directory = makeTemporaryDirectory("descent-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["missing.csv", "missing.npy"] {
            for command in ["train", "solve"] {
                let run = try DescentCLI.run([command, "--data", name, "--quiet"], in: directory)
                DescentCLI.expectCleanFailure(run, code: 1, mentions: [name, "No such file"])
            }
        }
    }

    @Test("a directory")
    func directory() throws {
        let directory = makeTemporaryDirectory("descent-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["folder.csv", "folder.npy"] {
            try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: false)
            for command in ["train", "solve"] {
                let run = try DescentCLI.run([command, "--data", name, "--quiet"], in: directory)
                DescentCLI.expectCleanFailure(run, code: 1, mentions: [name, "not a regular file"])
            }
        }
    }

    @Test("an unreadable file (chmod 000)", .enabled(if: getuid() != 0, "running as root: chmod 000 does not stop root from reading, so there is nothing to test"))
    func unreadable() throws {
        let directory = makeTemporaryDirectory("descent-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["locked.csv", "locked.npy"] {
            let path = directory + "/" + name
            try FileManager.default.copyItem(atPath: fixturePath("predict_features.csv"), toPath: path)
            chmod(path, 0)
            for command in ["train", "solve"] {
                let run = try DescentCLI.run([command, "--data", name, "--quiet"], in: directory)
                DescentCLI.expectCleanFailure(run, code: 1, mentions: [name, "Permission denied"])
            }
        }
    }

    @Test("a separate labels file that is bad")
    func badLabels() throws {
        let directory = makeTemporaryDirectory("descent-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let features = Matrix<Double>(rows: 3, columns: 2, elements: [1, 2, 3, 4, 5, 6])
        try NPY.write(features, to: directory + "/x.npy")
        try NPY.write(Vector<Double>([1, 2]), to: directory + "/y_short.npy")
        let run = try DescentCLI.run(["solve", "--data", "x.npy", "--labels", "y_short.npy"], in: directory)
        DescentCLI.expectCleanFailure(run, code: 1, mentions: ["x.npy", "y_short.npy"])
        for name in ["wrong_magic.npy", "nan.npy", "truncated_data.npy"] {
            let run = try DescentCLI.run(["solve", "--data", directory + "/x.npy", "--labels", name], in: badCorpusDirectory)
            DescentCLI.expectCleanFailure(run, code: 1, mentions: [name, "(byte "])
        }
    }

    @Test("predict with a bad model file")
    func badModelFile() throws {
        let directory = makeTemporaryDirectory("descent-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let models: [String: String] = [
            "empty.json": "",
            "garbage.json": "\u{1}\u{2}not json",
            "array.json": "[1, 2, 3]",
            "nan.json": #"{"formatVersion": 1, "weights": [1e999], "bias": 0, "normalization": {"kind": "none", "offsets": [], "scales": []}, "featureNames": ["a"], "targetName": "y", "precision": "float64", "training": {}}"#,
            "names.json": #"{"formatVersion": 1, "weights": [1, 2], "bias": 0, "normalization": {"kind": "none", "offsets": [], "scales": []}, "featureNames": ["a"], "targetName": "y", "precision": "float64", "training": {}}"#,
            "version.json": #"{"formatVersion": 99, "weights": [1], "bias": 0, "normalization": {"kind": "none", "offsets": [], "scales": []}, "featureNames": ["a"], "targetName": "y", "precision": "float64", "training": {}}"#,
        ]
        for (name, text) in models.sorted(by: { $0.key < $1.key }) {
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/" + name))
            let run = try DescentCLI.run(["predict", "--model", name, "--data", fixturePath("predict_features.csv"),
                                          "--output", "out.csv"], in: directory)
            DescentCLI.expectCleanFailure(run, code: 1, mentions: [name])
            #expect(!FileManager.default.fileExists(atPath: directory + "/out.csv"), "\(name): an output was written")
        }
    }
}

@Suite("Bad input: the engine throws typed errors")
struct BadInputEngineTests {
    @Test("every corpus file is a DescentError naming the file", arguments: badCorpusFiles.filter { !badCorpusCrashing.contains($0) })
    func engineError(_ name: String) {
        let path = badCorpusDirectory + "/" + name
        for precision in ["float", "double"] {
            do {
                if name.hasSuffix(".npy") {
                    if precision == "float" { _ = try NPY.loadDataset(path, as: Float.self) } else { _ = try NPY.loadDataset(path, as: Double.self) }
                } else {
                    if precision == "float" { _ = try CSV.loadDataset(path, as: Float.self) } else { _ = try CSV.loadDataset(path, as: Double.self) }
                }
                Issue.record("\(name) (\(precision)) was accepted")
            } catch let error as DescentError {
                #expect(error.exitCode == 1, "\(name): \(error) should be a data error")
                #expect(error.description.contains(path), "\(name): \(error) does not name the file")
            } catch {
                Issue.record("\(name): not a DescentError: \(error)")
            }
        }
    }

    @Test("a deeply nested .npy header is an error, not a stack overflow (found by the bad corpus, fixed in 00c9130)")
    func deeplyNestedHeader() {
        #expect(throws: DescentError.self) { _ = try NPY.loadDataset(badCorpusDirectory + "/deeply_nested_header.npy", as: Double.self) }
    }

    @Test("an empty .npy with an absurd column count is an error, not an overflow trap (found by FuzzNPY)")
    func emptyWithHugeColumns() throws {
        let directory = makeTemporaryDirectory("descent-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for shape in ["(0, 4611686018427387904)", "(0, 3)", "(0,)"] {
            var header = Array("{'descr': '<f8', 'fortran_order': False, 'shape': \(shape), }".utf8)
            while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
            header.append(0x0A)
            let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)] + header
            let path = directory + "/empty.npy"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: DescentError.self, "shape \(shape)") { _ = try NPY.loadDataset(path, as: Double.self) }
            #expect(throws: DescentError.self, "shape \(shape) with labels") { _ = try NPY.loadDataset(path, labelsPath: path, as: Double.self) }
        }
    }

    @Test("a CSV number that overflows Float but not Double is an error in float precision")
    func floatOverflow() throws {
        let directory = makeTemporaryDirectory("descent-bad")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/big.csv"
        try Data("x,y\n1,2\n1e300,3\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: DescentError.self) { _ = try CSV.loadDataset(path, as: Float.self) }
        _ = try CSV.loadDataset(path, as: Double.self)
    }
}
