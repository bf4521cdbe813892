import ArgumentParser
import Descent

/// `descent info`: what BLAS build and how many threads this run uses.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the OpenBLAS configuration and thread count."
    )

    func run() throws {
        print("descent \(descentVersion)")
        print("OpenBLAS: \(BLAS.configuration)")
        print("core: \(BLAS.coreName)")
        print("threads: \(BLAS.threadCount)")
    }
}
