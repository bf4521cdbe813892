import ArgumentParser
import Descent

/// `descent verify`: Train by gradient descent and check the result against the closed form.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Train by gradient descent and check the result against the closed form."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent verify is not implemented yet")
    }
}
