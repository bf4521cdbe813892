import ArgumentParser
import Descent

/// `descent thermometer`: Run the chapter's thermometer walkthrough, step by step.
struct ThermometerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thermometer",
        abstract: "Run the chapter's thermometer walkthrough, step by step."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent thermometer is not implemented yet")
    }
}
