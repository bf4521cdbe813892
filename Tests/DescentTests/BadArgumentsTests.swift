import Descent
import Foundation
import Testing

// Issue 7, item 3: bad arguments are usage errors (exit 2) that name the option and the
// accepted range, before any data is read or any work is done.

/// One bad command line and what its error must say.
struct BadArgumentCase: CustomTestStringConvertible, Sendable {
    var arguments: [String]
    /// The error must mention one of these (the flag the user typed).
    var option: [String]
    /// The error must mention this (the accepted range or the choices).
    var range: String
    /// A known bug, when the CLI does not (yet) refuse it.
    var knownBug: String? = nil

    var testDescription: String { arguments.joined(separator: " ") }
}

let badArgumentCases: [BadArgumentCase] = [
    .init(arguments: ["train", "--lr", "0"], option: ["--lr"], range: ">"),
    .init(arguments: ["train", "--lr=-1"], option: ["--lr"], range: "finite"),
    .init(arguments: ["train", "--lr", "nan"], option: ["--lr"], range: "finite"),
    .init(arguments: ["train", "--lr", "inf"], option: ["--lr"], range: "finite"),
    .init(arguments: ["verify", "--lr", "nan"], option: ["--lr"], range: "finite"),
    .init(arguments: ["train", "--batch-size", "0"], option: ["--batch-size"], range: "at least 1"),
    .init(arguments: ["train", "--batch-size=-3"], option: ["--batch-size"], range: "at least 1"),
    .init(arguments: ["train", "--target", "nope", "--data", fixturePath("predict_features.csv")], option: ["--target"], range: "a, b, c"),
    .init(arguments: ["solve", "--target", "nope", "--data", fixturePath("predict_features.csv")], option: ["--target"], range: "a, b, c"),
    .init(arguments: ["solve", "--target", "7", "--data", fixturePath("npy_c_f8_v1.npy")], option: ["--target"], range: "column index"),
    .init(arguments: ["train", "--validation-fraction", "1"], option: ["--validation-fraction"], range: "[0, 1)"),
    .init(arguments: ["train", "--validation-fraction", "1.5"], option: ["--validation-fraction"], range: "[0, 1)"),
    .init(arguments: ["train", "--validation-fraction=-0.5"], option: ["--validation-fraction"], range: "[0, 1)"),
    .init(arguments: ["train", "--validation-fraction", "nan"], option: ["--validation-fraction"], range: "[0, 1)"),
    .init(arguments: ["train", "--epochs=-1"], option: ["--epochs"], range: "at least 1"),
    .init(arguments: ["train", "--epochs", "0"], option: ["--epochs"], range: "at least 1"),
    .init(arguments: ["train", "--threads", "0"], option: ["--threads"], range: "at least 1"),
    .init(arguments: ["bench", "--threads", "0"], option: ["--threads"], range: "at least 1"),
    .init(arguments: ["train", "--patience", "0"], option: ["--patience"], range: "at least 1"),
    .init(arguments: ["train", "--momentum=-1", "--optimizer", "momentum"], option: ["--momentum"], range: ">= 0"),
    .init(arguments: ["train", "--l2=-1"], option: ["--l2"], range: ">= 0"),
    .init(arguments: ["solve", "--l2", "nan"], option: ["--l2"], range: ">= 0"),
    .init(arguments: ["train", "--normalize", "scale=0"], option: ["--normalize"], range: "non-zero"),
    .init(arguments: ["train", "--schedule", "step:0:0.5"], option: ["--schedule"], range: "at least 1"),
    .init(arguments: ["train", "--precision", "half"], option: ["--precision"], range: "float"),
    .init(arguments: ["train", "--optimizer", "lbfgs"], option: ["--optimizer"], range: "sgd"),
    .init(arguments: ["train", "--data", "synthetic", "--rows", "0"], option: ["--rows"], range: "at least 1"),
    .init(arguments: ["train", "--data", "synthetic", "--condition", "0.5"], option: ["--condition"], range: ">= 1"),
    .init(arguments: ["train", "--delimiter", "ab", "--data", fixturePath("predict_features.csv")], option: ["--delimiter"], range: "one ASCII character"),
    .init(arguments: ["train", "--data", "file.xlsx"], option: ["--data"], range: ".csv"),
]

@Suite("Bad arguments: usage errors naming the option and its range")
struct BadArgumentsTests {
    @Test("exit 2, the option and the range named, no trap", arguments: badArgumentCases)
    func badArgument(_ testCase: BadArgumentCase) throws {
        var arguments = testCase.arguments + ["--quiet"]
        if arguments[0] == "train" || arguments[0] == "verify" { arguments += ["--epochs", "3"].filter { _ in !arguments.contains { $0.hasPrefix("--epochs") } } }
        let run = try DescentCLI.run(arguments, timeout: 60)
        let check = {
            #expect(!run.signaled && run.status == 2, "expected exit 2 (usage): \(run)")
            #expect(testCase.option.contains { run.stderr.contains($0) }, "the error does not name \(testCase.option[0]): \(run)")
            #expect(run.stderr.contains(testCase.range), "the error does not give the range '\(testCase.range)': \(run)")
            #expect(!run.stderr.contains("Fatal error") && !run.stderr.contains("Backtracing"), "\(run)")
            #expect(run.stdout.isEmpty, "a refused command printed results: \(run)")
        }
        if let bug = testCase.knownBug { withKnownIssue(Comment(rawValue: bug)) { check() } } else { check() }
    }

    @Test("a validation fraction that leaves no training or no validation rows")
    func validationLeavesNoRows() throws {
        let directory = makeTemporaryDirectory("descent-args")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data("x,y\n1,2\n".utf8).write(to: URL(fileURLWithPath: directory + "/one.csv"))
        let run = try DescentCLI.run(["train", "--data", "one.csv", "--validation-fraction", "0.5", "--quiet"], in: directory)
        #expect(!run.signaled && run.status == 2, "\(run)")
        #expect(run.stderr.contains("validation fraction") && run.stderr.contains("training row"), "\(run)")
        // The engine says the same, typed.
        let dataset = Dataset(features: Matrix<Double>(rows: 1, columns: 1, elements: [1]), targets: Vector([2.0]))
        #expect(throws: DescentError.self) {
            _ = try Trainer<Double>(TrainingConfiguration(learningRate: 0.1, epochs: 3, validationFraction: 0.5)).train(dataset)
        }
    }

    @Test("the engine refuses the same values with typed errors (exit code 2)")
    func engineRefuses() {
        var configurations: [TrainingConfiguration] = []
        let changes: [(inout TrainingConfiguration) -> Void] = [{ $0.learningRate = .nan }, { $0.learningRate = -1 }, { $0.learningRate = .infinity },
                       { $0.batchSize = 0 }, { $0.epochs = -1 }, { $0.validationFraction = 1 }, { $0.validationFraction = -0.1 }]
        for change in changes {
            var configuration = TrainingConfiguration()
            change(&configuration)
            configurations.append(configuration)
        }
        for configuration in configurations {
            do {
                _ = try Trainer<Double>(configuration)
                Issue.record("accepted \(configuration)")
            } catch let error as DescentError {
                #expect(error.exitCode == 2, "\(error)")
            } catch {
                Issue.record("not a DescentError: \(error)")
            }
        }
    }
}
