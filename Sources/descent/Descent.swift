import ArgumentParser
import Descent
#if canImport(Glibc)
import Glibc
#endif

/// The `descent` command line: learn linear models by gradient descent and check them
/// against the closed-form least-squares solution.
///
/// Exit codes: 0 success, 1 data or input error, 2 usage error, 3 numerical failure
/// (divergence, a failed verification, a LAPACK failure).
@main
struct DescentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "descent",
        abstract: "Learn linear models by gradient descent on BLAS, and prove them against closed-form least squares.",
        discussion: """
        Exit codes: 0 success, 1 data or input error, 2 usage error, 3 numerical failure.

        Examples:
          descent thermometer                 the chapter's walkthrough on the embedded data
          descent train --data thermometer --normalize scale=0.1 --lr 1e-2 --epochs 5000
          descent solve --data data.npy --json
        """,
        version: descentVersion,
        subcommands: [
            ThermometerCommand.self, TrainCommand.self, SolveCommand.self, VerifyCommand.self,
            DiagnoseCommand.self, GenerateCommand.self, PredictCommand.self, BenchCommand.self,
            InfoCommand.self,
        ]
    )

    /// Parses, runs, and maps every error to one line on stderr and the documented exit code.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as DescentError {
            printError("error: \(oneLine(error.description))")
            Glibc.exit(error.exitCode)
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help and --version are "errors" to the parser.
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            printError(fullMessage(for: error))
            // Usage errors (the parser's 64) use 2, as documented.
            Glibc.exit(code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// Writes one line to standard error (all of it: a NUL byte does not cut it short).
func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    let bytes = Array(line.utf8)
    bytes.withUnsafeBytes { buffer in
        var offset = 0
        while offset < buffer.count {
            let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 && errno == EINTR { continue }
            if written <= 0 { break }
            offset += written
        }
    }
}

/// `text` with control characters (newlines, escape sequences, NUL bytes quoted from a bad
/// input file) shown as `\xHH`, so an error is one line that cannot drive the terminal.
func oneLine(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
        if scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value < 0xA0) {
            let hex = String(scalar.value, radix: 16, uppercase: true)
            out.append(contentsOf: ("\\x" + (hex.count < 2 ? "0" : "") + hex).unicodeScalars)
        } else {
            out.append(scalar)
        }
    }
    return String(out)
}
