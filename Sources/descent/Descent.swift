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
            printError("error: \(error)")
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

/// Writes one line to standard error.
func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    line.withCString { _ = write(2, $0, strlen($0)) }
}
