import ArgumentParser
import Descent

/// `descent predict`: Predict targets with a saved model.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict targets with a saved model."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent predict is not implemented yet")
    }
}
