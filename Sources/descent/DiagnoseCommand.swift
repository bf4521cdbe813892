import ArgumentParser
import Descent

/// `descent diagnose`: Describe the data's conditioning and the learning rates it allows.
struct DiagnoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diagnose",
        abstract: "Describe the data's conditioning and the learning rates it allows."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent diagnose is not implemented yet")
    }
}
