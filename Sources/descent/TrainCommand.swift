import ArgumentParser
import Descent

/// `descent train`: Fit a linear model by gradient descent.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a linear model by gradient descent."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent train is not implemented yet")
    }
}
