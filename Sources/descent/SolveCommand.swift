import ArgumentParser
import Descent

/// `descent solve`: Solve least squares in closed form through LAPACKE.
struct SolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve least squares in closed form through LAPACKE."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent solve is not implemented yet")
    }
}
