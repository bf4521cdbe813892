import Descent
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// The path of `rsvg-convert` (Debian package librsvg2-bin), if installed.
private let rsvgConvert: String? = ["/usr/bin/rsvg-convert", "/usr/local/bin/rsvg-convert"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

@Suite("SVG plots")
struct SVGPlotTests {
    /// Element names in document order (proves the text is well-formed XML).
    private func elements(_ svg: String) -> [String] {
        final class Collector: NSObject, XMLParserDelegate {
            var names: [String] = []
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
                names.append(name)
            }
        }
        let parser = XMLParser(data: Data(svg.utf8))
        let collector = Collector()
        parser.delegate = collector
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        return collector.names
    }

    private var lossFigure: String {
        let training = (0..<5000).map { 1000 * exp(-Double($0) / 400) + 2.9 }
        let validation = (0..<5000).map { 1100 * exp(-Double($0) / 400) + 3.4 }
        return SVGPlot.lossCurve(training: training, validation: validation, title: "Loss <thermometer> & more")
    }

    private var fitFigure: String {
        SVGPlot.fit(x: Thermometer.unknownUnits, y: Thermometer.celsius, slope: 0.5368, intercept: -17.3048,
                    xLabel: "t_u (unknown units)", yLabel: "t_c (°C)", title: "Thermometer fit")
    }

    @Test("the loss curve is well-formed SVG with decade ticks, both series and a legend")
    func lossCurve() {
        let svg = lossFigure
        let names = elements(svg)
        #expect(names.first == "svg")
        #expect(names.filter { $0 == "polyline" }.count == 2)
        #expect(svg.contains("Loss &lt;thermometer&gt; &amp; more"))
        // The losses span 2.9…1000: decades 10⁰ to 10³ are labelled.
        for k in 0...3 { #expect(svg.contains(">10<tspan dy=\"-7\" font-size=\"10\">\(k)</tspan>")) }
        #expect(svg.contains(">training<") && svg.contains(">validation<"))
    }

    @Test("non-finite and non-positive losses are left out, not drawn as garbage")
    func divergedRun() {
        let svg = SVGPlot.lossCurve(training: [4, 2, 1, .infinity, .nan], validation: nil, title: "diverged")
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        #expect(elements(svg).filter { $0 == "polyline" }.count == 1)
        let empty = SVGPlot.lossCurve(training: [], validation: nil, title: "empty")
        #expect(elements(empty).first == "svg")
    }

    @Test("the fit plot has one point per sample, the line, and labelled axes")
    func fit() {
        let svg = fitFigure
        let names = elements(svg)
        #expect(names.filter { $0 == "circle" }.count == Thermometer.celsius.count + 1) // + the legend marker
        #expect(names.filter { $0 == "polyline" }.count == 1)
        #expect(svg.contains("t_c (°C)"))
        #expect(svg.contains("fit: y = 0.5368·x − 17.3"))
    }

    @Test("the figures render with rsvg-convert",
          .enabled(if: rsvgConvert != nil, "rsvg-convert is not installed (Debian package librsvg2-bin; `make test` installs it)"))
    func renders() throws {
        // DESCENT_PLOT_DIR keeps the figures for a person to look at (`make plots`).
        let directory = ProcessInfo.processInfo.environment["DESCENT_PLOT_DIR"] ?? makeTemporaryDirectory("svg")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, svg) in [("loss", lossFigure), ("fit", fitFigure)] {
            let input = directory + "/\(name).svg", output = directory + "/\(name).png"
            try AtomicFile.write(svg, to: input)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: rsvgConvert!)
            process.arguments = ["-o", output, input]
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            process.waitUntilExit()
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(process.terminationStatus == 0, "rsvg-convert failed on \(name): \(message)")
            #expect(Array(fileBytes(output).prefix(4)) == [0x89, 0x50, 0x4E, 0x47], "\(name).png is not a PNG")
        }
    }
}
