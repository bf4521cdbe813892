import Foundation
import Testing

/// `rsvg-convert` (Debian's librsvg2-bin, installed by `make test`).
private let rsvgConvert: String? = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

@Suite("Plots from the CLI: --plot DIR on thermometer, train and verify")
struct PlotCLITests {
    /// Every figure is a file a real renderer turns into a non-empty PNG.
    private func expectRenders(_ paths: [String]) throws {
        for path in paths {
            let svg = try String(contentsOfFile: path, encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") || svg.hasPrefix("<svg"), "\(path) is not an SVG document")
            #expect(svg.contains("</svg>"), "\(path) is truncated")
            guard let rsvgConvert else { continue }
            let png = path + ".png"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: rsvgConvert)
            process.arguments = [path, "-o", png]
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "rsvg-convert failed on \(path)")
            let size = (try? FileManager.default.attributesOfItem(atPath: png)[.size] as? Int) ?? 0
            #expect(size > 1000, "\(png) is empty")
        }
    }

    @Test("the walkthrough's step 11 writes the fit and the loss curves, and names them in --json")
    func thermometer() throws {
        let directory = makeTemporaryDirectory("descent-plots")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try DescentCLI.run(["thermometer", "--plot", directory + "/figures", "--json"])
        #expect(run.status == 0, "\(run)")
        let names = ["thermometer_fit.svg", "thermometer_loss.svg", "thermometer_validation_loss.svg"]
        for name in names { #expect(run.stdout.contains(name), "--json does not name \(name)") }
        try expectRenders(names.map { directory + "/figures/" + $0 })
    }

    @Test("train and verify write loss.svg and, for one feature, fit.svg", arguments: ["train", "verify"])
    func trainAndVerify(command: String) throws {
        let directory = makeTemporaryDirectory("descent-plots")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var arguments = [command, "--data", "thermometer", "--plot", directory]
        if command == "train" { arguments += ["--normalize", "scale=0.1", "--lr", "1e-2", "--epochs", "500"] }
        let run = try DescentCLI.run(arguments)
        #expect(run.status == 0, "\(run)")
        try expectRenders([directory + "/loss.svg", directory + "/fit.svg"])
    }
}
