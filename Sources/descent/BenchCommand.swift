import ArgumentParser
import Descent

/// `descent bench`: Measure epoch, mini-batch and solver speed on synthetic data.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure epoch, mini-batch and solver speed on synthetic data."
    )

    func run() throws {
        throw DescentError.numericalFailure("descent bench is not implemented yet")
    }
}
