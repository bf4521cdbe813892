import ArgumentParser
import Descent

/// `descent generate`: Write a synthetic linear-regression data set.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write a synthetic linear-regression data set."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent generate is not implemented yet")
    }
}
