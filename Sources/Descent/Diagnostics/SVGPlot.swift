/// Small, dependency-free SVG figures like the chapter's matplotlib plots: the loss curve
/// (log scale) and the data with the fitted line.
///
/// The output is a complete standalone SVG 1.1 document (viewable in a browser, renderable
/// with `rsvg-convert`): axes with "nice" ticks (1, 2, 5 × 10ᵏ; decades on log axes),
/// labels, a title and a legend. Non-finite values are left out (and non-positive ones on
/// a log axis), so a diverged run still plots what it has.
public enum SVGPlot {
    static let width = 720.0
    static let height = 450.0
    static let margin = (left: 84.0, right: 24.0, top: 44.0, bottom: 62.0)
    static let trainingColor = "#1f77b4"
    static let validationColor = "#ff7f0e"

    /// The loss per epoch on a log-scale y axis, training and (optionally) validation.
    public static func lossCurve(training: [Double], validation: [Double]?, title: String) -> String {
        let series: [(name: String, values: [Double], color: String, dashed: Bool)] =
            [("training", training, trainingColor, false)] + (validation.map { [("validation", $0, validationColor, true)] } ?? [])
        let positive = series.flatMap { $0.values.filter { $0.isFinite && $0 > 0 } }
        let count = series.map(\.values.count).max() ?? 0
        var figure = Figure(title: title, xLabel: "epoch", yLabel: "loss (log scale)")
        let xRange = (1.0, Double(max(count, 2)))
        let lowest = positive.min() ?? 1e-3, highest = positive.max() ?? 1
        let yRange = (floor10(lowest), ceil10(highest) > floor10(lowest) ? ceil10(highest) : floor10(lowest) * 10)
        figure.frame(x: LinearAxis(xRange.0, xRange.1), y: LogAxis(yRange.0, yRange.1))
        for entry in series {
            // Long histories are thinned to about 2000 points (the curve looks the same).
            let step = max(1, entry.values.count / 2000)
            var points: [(Double, Double)] = []
            var segments: [[(Double, Double)]] = []
            for (index, value) in entry.values.enumerated() where index % step == 0 || index == entry.values.count - 1 {
                if value.isFinite && value > 0 {
                    points.append((Double(index + 1), value))
                } else if !points.isEmpty {
                    segments.append(points)
                    points = []
                }
            }
            if !points.isEmpty { segments.append(points) }
            for segment in segments { figure.polyline(segment, color: entry.color, dashed: entry.dashed) }
        }
        figure.legend(series.map { .init(name: $0.name, color: $0.color, style: $0.dashed ? .dashed : .line) })
        return figure.document()
    }

    /// The data points and the fitted line `y = slope·x + intercept`, in the data's units.
    public static func fit(x: [Double], y: [Double], slope: Double, intercept: Double,
                           xLabel: String, yLabel: String, title: String) -> String {
        precondition(x.count == y.count, "SVGPlot.fit: \(x.count) x values but \(y.count) y values")
        let pairs = zip(x, y).filter { $0.0.isFinite && $0.1.isFinite }
        let xs = pairs.map(\.0), ys = pairs.map(\.1)
        let xLow = xs.min() ?? 0, xHigh = xs.max() ?? 1
        let lineEnds = [slope * xLow + intercept, slope * xHigh + intercept].filter(\.isFinite)
        let yLow = (ys + lineEnds).min() ?? 0, yHigh = (ys + lineEnds).max() ?? 1
        let xAxis = LinearAxis(padded: xLow, xHigh), yAxis = LinearAxis(padded: yLow, yHigh)
        var figure = Figure(title: title, xLabel: xLabel, yLabel: yLabel)
        figure.frame(x: xAxis, y: yAxis)
        if slope.isFinite && intercept.isFinite {
            figure.polyline([(xAxis.low, slope * xAxis.low + intercept), (xAxis.high, slope * xAxis.high + intercept)],
                            color: validationColor, dashed: false, clip: true)
        }
        for (px, py) in pairs { figure.point(px, py, color: trainingColor) }
        figure.legend([.init(name: "data", color: trainingColor, style: .point),
                       .init(name: "fit: y = \(format(slope, significant: 4))·x \(intercept < 0 ? "−" : "+") \(format(abs(intercept), significant: 4))",
                             color: validationColor, style: .line)])
        return figure.document()
    }

    // MARK: Axes

    protocol Axis {
        var low: Double { get }
        var high: Double { get }
        /// 0…1 along the axis.
        func fraction(_ value: Double) -> Double
        /// Major ticks and their labels (SVG text content).
        var ticks: [(value: Double, label: String)] { get }
        /// Minor tick positions.
        var minorTicks: [Double] { get }
    }

    struct LinearAxis: Axis {
        let low: Double
        let high: Double
        let step: Double

        init(_ low: Double, _ high: Double) {
            let span = high > low ? high - low : max(abs(low), 1)
            step = niceStep(span / 6)
            self.low = high > low ? low : low - span / 2
            self.high = high > low ? high : low + span / 2
        }

        /// A range that covers `[low, high]` with a 5% margin, extended to whole ticks.
        init(padded low: Double, _ high: Double) {
            let span = high > low ? high - low : max(abs(low), 1)
            let step = niceStep(span / 6)
            let paddedLow = (high > low ? low : low - span / 2) - 0.05 * span
            let paddedHigh = (high > low ? high : low + span / 2) + 0.05 * span
            self.low = (paddedLow / step).rounded(.down) * step
            self.high = (paddedHigh / step).rounded(.up) * step
            self.step = step
        }

        func fraction(_ value: Double) -> Double { (value - low) / (high - low) }

        var ticks: [(value: Double, label: String)] {
            let first = (low / step).rounded(.up)
            let last = (high / step).rounded(.down)
            guard first <= last, last - first < 100 else { return [] }
            return stride(from: first, through: last, by: 1).map { k in
                let value = k * step
                return (value, format(value, step: step))
            }
        }

        var minorTicks: [Double] { [] }
    }

    struct LogAxis: Axis {
        let low: Double
        let high: Double

        init(_ low: Double, _ high: Double) {
            self.low = low
            self.high = high
        }

        func fraction(_ value: Double) -> Double { (log10(value) - log10(low)) / (log10(high) - log10(low)) }

        var ticks: [(value: Double, label: String)] {
            let first = Int(log10(low).rounded()), last = Int(log10(high).rounded())
            let every = max(1, (last - first + 7) / 8) // at most about 8 labelled decades
            var ticks = stride(from: first, through: last, by: every).map { k in (power10(k), "10<tspan dy=\"-7\" font-size=\"10\">\(k < 0 ? "−" : "")\(abs(k))</tspan>") }
            if last - first <= 1 {
                // Less than two decades: label 2× and 5× as well.
                for k in first..<last { for m in [2.0, 5.0] { ticks.append((m * power10(k), format(m * power10(k), significant: 2))) } }
            }
            return ticks
        }

        var minorTicks: [Double] {
            let first = Int(log10(low).rounded()), last = Int(log10(high).rounded())
            guard last - first <= 12 else { return [] }
            return (first..<last).flatMap { k in (2...9).map { Double($0) * power10(k) } }
        }
    }

    // MARK: Drawing

    struct LegendEntry {
        enum Style { case line, dashed, point }
        var name: String
        var color: String
        var style: Style
    }

    struct Figure {
        var body: [String] = []
        let title: String
        let xLabel: String
        let yLabel: String
        var xAxis: (any Axis)? = nil
        var yAxis: (any Axis)? = nil
        /// Everything drawn, in pixels, so the legend can go where it hides the least.
        var drawn: [(Double, Double)] = []

        init(title: String, xLabel: String, yLabel: String) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
        }

        var plotLeft: Double { margin.left }
        var plotRight: Double { width - margin.right }
        var plotTop: Double { margin.top }
        var plotBottom: Double { height - margin.bottom }

        func px(_ x: Double) -> Double { plotLeft + xAxis!.fraction(x) * (plotRight - plotLeft) }
        func py(_ y: Double) -> Double { plotBottom - yAxis!.fraction(y) * (plotBottom - plotTop) }

        mutating func frame(x: any Axis, y: any Axis) {
            xAxis = x
            yAxis = y
            body.append("<rect x=\"\(n(plotLeft))\" y=\"\(n(plotTop))\" width=\"\(n(plotRight - plotLeft))\" height=\"\(n(plotBottom - plotTop))\" fill=\"white\" stroke=\"#333\" stroke-width=\"1\"/>")
            for tick in x.ticks {
                let position = px(tick.value)
                body.append("<line x1=\"\(n(position))\" y1=\"\(n(plotTop))\" x2=\"\(n(position))\" y2=\"\(n(plotBottom))\" stroke=\"#e5e5e5\" stroke-width=\"1\"/>")
                body.append("<line x1=\"\(n(position))\" y1=\"\(n(plotBottom))\" x2=\"\(n(position))\" y2=\"\(n(plotBottom + 5))\" stroke=\"#333\"/>")
                body.append("<text x=\"\(n(position))\" y=\"\(n(plotBottom + 20))\" text-anchor=\"middle\">\(tick.label)</text>")
            }
            for tick in y.ticks {
                let position = py(tick.value)
                body.append("<line x1=\"\(n(plotLeft))\" y1=\"\(n(position))\" x2=\"\(n(plotRight))\" y2=\"\(n(position))\" stroke=\"#e5e5e5\" stroke-width=\"1\"/>")
                body.append("<line x1=\"\(n(plotLeft - 5))\" y1=\"\(n(position))\" x2=\"\(n(plotLeft))\" y2=\"\(n(position))\" stroke=\"#333\"/>")
                body.append("<text x=\"\(n(plotLeft - 8))\" y=\"\(n(position + 4))\" text-anchor=\"end\">\(tick.label)</text>")
            }
            for minor in y.minorTicks {
                let position = py(minor)
                body.append("<line x1=\"\(n(plotLeft - 3))\" y1=\"\(n(position))\" x2=\"\(n(plotLeft))\" y2=\"\(n(position))\" stroke=\"#333\"/>")
            }
            body.append("<text x=\"\(n((plotLeft + plotRight) / 2))\" y=\"\(n(height - 18))\" text-anchor=\"middle\" font-size=\"14\">\(escape(xLabel))</text>")
            body.append("<text transform=\"translate(20 \(n((plotTop + plotBottom) / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"14\">\(escape(yLabel))</text>")
            body.append("<text x=\"\(n(width / 2))\" y=\"26\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">\(escape(title))</text>")
        }

        mutating func polyline(_ points: [(Double, Double)], color: String, dashed: Bool, clip: Bool = false) {
            guard !points.isEmpty else { return }
            let pixels = points.map { (px($0.0), py($0.1)) }
            // Sample along each segment so a straight line also counts as occupying space.
            for (a, b) in zip(pixels, pixels.dropFirst()) {
                for t in stride(from: 0.0, through: 1.0, by: 0.05) { drawn.append((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))) }
            }
            let coordinates = pixels.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
            let dash = dashed ? " stroke-dasharray=\"6 4\"" : ""
            body.append("<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dash)\(clip ? " clip-path=\"url(#plot-area)\"" : "")/>")
        }

        mutating func point(_ x: Double, _ y: Double, color: String) {
            drawn.append((px(x), py(y)))
            body.append("<circle cx=\"\(n(px(x)))\" cy=\"\(n(py(y)))\" r=\"4\" fill=\"\(color)\" fill-opacity=\"0.8\" stroke=\"white\" stroke-width=\"0.8\"/>")
        }

        mutating func legend(_ entries: [LegendEntry]) {
            let longest = entries.map(\.name.count).max() ?? 0
            let boxWidth = 44 + 7.2 * Double(longest), boxHeight = 10 + 20 * Double(entries.count)
            // The corner (top right, top left, bottom right, bottom left) covering the fewest marks.
            let corners = [(plotRight - boxWidth - 10, plotTop + 10), (plotLeft + 10, plotTop + 10),
                           (plotRight - boxWidth - 10, plotBottom - boxHeight - 10), (plotLeft + 10, plotBottom - boxHeight - 10)]
            let covered = corners.map { corner in
                drawn.filter { $0.0 >= corner.0 - 6 && $0.0 <= corner.0 + boxWidth + 6 && $0.1 >= corner.1 - 6 && $0.1 <= corner.1 + boxHeight + 6 }.count
            }
            let best = covered.indices.min { covered[$0] < covered[$1] }!
            let (left, top) = corners[best]
            body.append("<rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(boxWidth))\" height=\"\(n(boxHeight))\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>")
            for (index, entry) in entries.enumerated() {
                let y = top + 15 + 20 * Double(index)
                switch entry.style {
                case .point:
                    body.append("<circle cx=\"\(n(left + 19))\" cy=\"\(n(y))\" r=\"4\" fill=\"\(entry.color)\"/>")
                case .line, .dashed:
                    let dash = entry.style == .dashed ? " stroke-dasharray=\"6 4\"" : ""
                    body.append("<line x1=\"\(n(left + 8))\" y1=\"\(n(y))\" x2=\"\(n(left + 30))\" y2=\"\(n(y))\" stroke=\"\(entry.color)\" stroke-width=\"2\"\(dash)/>")
                }
                body.append("<text x=\"\(n(left + 38))\" y=\"\(n(y + 4))\">\(escape(entry.name))</text>")
            }
        }

        func document() -> String {
            var lines = [
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(n(width))\" height=\"\(n(height))\" viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">",
                "<title>\(escape(title))</title>",
                "<defs><clipPath id=\"plot-area\"><rect x=\"\(n(plotLeft))\" y=\"\(n(plotTop))\" width=\"\(n(plotRight - plotLeft))\" height=\"\(n(plotBottom - plotTop))\"/></clipPath></defs>",
                "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>",
            ]
            lines += body
            lines.append("</svg>")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    // MARK: Numbers and text

    /// A coordinate with two decimals.
    static func n(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        return format(value, step: 0.01)
    }

    /// 1, 2 or 5 × 10ᵏ, the nice step nearest above `raw`.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let exponent = log10(raw).rounded(.down)
        let base = power10(Int(exponent))
        let fraction = raw / base
        let nice: Double = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        return nice * base
    }

    static func floor10(_ value: Double) -> Double { power10(Int(log10(value).rounded(.down))) }
    static func ceil10(_ value: Double) -> Double { power10(Int(log10(value).rounded(.up))) }

    static func power10(_ k: Int) -> Double {
        var value = 1.0
        if k >= 0 { for _ in 0..<k { value *= 10 } } else { for _ in 0..<(-k) { value /= 10 } }
        return value
    }

    /// `value` with as many decimals as `step` needs (tick labels: 0.5, 1, 1.5 …).
    static func format(_ value: Double, step: Double) -> String {
        // Nice steps are 1, 2 or 5 × 10ᵏ: k < 0 needs -k decimals.
        let decimals = max(0, min(12, -Int(log10(step).rounded(.down))))
        return fixed(value, decimals: decimals)
    }

    /// `value` rounded to `significant` digits, in plain or exponent notation.
    static func format(_ value: Double, significant: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        if value == 0 { return "0" }
        let exponent = Int(log10(abs(value)).rounded(.down))
        if exponent < -3 || exponent >= 6 {
            let mantissa = value / power10(exponent)
            return fixed(mantissa, decimals: significant - 1).trimmingZeros() + "e\(exponent)"
        }
        return fixed(value, decimals: max(0, significant - 1 - exponent)).trimmingZeros()
    }

    /// Fixed-point text with `decimals` digits after the point (no Foundation formatting).
    static func fixed(_ value: Double, decimals: Int) -> String {
        let scale = power10(decimals)
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e18 else { return value.description }
        let integer = UInt64(scaled)
        let whole = integer / UInt64(scale)
        let fraction = integer % UInt64(scale)
        var text = (value < 0 && integer != 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: decimals - digits.count) + digits
        }
        return text
    }

    /// XML-escaped text.
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}

extension String {
    /// "1.500" → "1.5", "2.000" → "2".
    fileprivate func trimmingZeros() -> String {
        guard contains(".") else { return self }
        var text = Substring(self)
        while text.last == "0" { text = text.dropLast() }
        if text.last == "." { text = text.dropLast() }
        return String(text)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
