import ArgumentParser
import Foundation
import Descent

/// `descent thermometer`: the chapter's thermometer walkthrough, every step in order.
/// The numbers come from ``ThermometerWalkthrough``; this command only prints them.
struct ThermometerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "thermometer",
        abstract: "Run the chapter's thermometer walkthrough, step by step.",
        discussion: """
        Reproduces "The mechanics of learning" (Deep Learning with PyTorch, ch. 5) on its 11 readings:
        the model and loss, finite differences, the analytic gradient, a diverging loop and why,
        small steps, scaled input, autograd, Adam, a validation split, and the closed form.
        32-bit floats by default, like the chapter's tensors.
        """
    )

    @Option(help: "The precision of every computation.")
    var precision: PrecisionChoice = .float

    @Flag(help: "Print one JSON object instead of the walkthrough text.")
    var json = false

    @Option(help: ArgumentHelp("Step 11: write the figures (data with the fitted line, loss curves) as SVG files into this directory.", valueName: "DIR"))
    var plot: String?

    func run() throws {
        try precision.dispatch { type in try report(type) }
    }

    private func report<S: BLASScalar>(_: S.Type) throws {
        let walk = try ThermometerWalkthrough<S>.run()
        let plots = try plot.map { try FigureDirectory.write(Self.figures(walk), into: $0) } ?? []
        if json {
            var object = Self.json(walk)
            if case .object(var members) = object, !plots.isEmpty {
                members.append(("plots", .object(zip(["fit", "loss", "validation_loss"], plots).map { ($0.0, .string($0.1)) })))
                object = .object(members)
            }
            print(object.rendered)
        } else {
            print(Self.text(walk, plots: plots))
        }
    }

    /// Step 11's figures: the readings with the 5000-epoch fit (in the original units of
    /// t_u), the loss curve of that fit, and step 9's training and validation losses.
    static func figures<S: BLASScalar>(_ walk: ThermometerWalkthrough<S>) -> [(name: String, svg: String)] {
        let slope = walk.scaled5000.w * ThermometerWalkthrough<S>.inputScale
        return [
            ("thermometer_fit.svg", SVGPlot.fit(
                x: Thermometer.unknownUnits, y: Thermometer.celsius, slope: slope, intercept: walk.scaled5000.b,
                xLabel: "t_u (unknown units)", yLabel: "t_c (°C)",
                title: "Thermometer: readings and the fitted line t_c = \(formatted(slope)) t_u \(walk.scaled5000.b < 0 ? "−" : "+") \(formatted(abs(walk.scaled5000.b)))")),
            ("thermometer_loss.svg", SVGPlot.lossCurve(
                training: walk.scaled5000History, validation: nil,
                title: "Loss per epoch, scaled input, lr 1e-2 (step 6)")),
            ("thermometer_validation_loss.svg", SVGPlot.lossCurve(
                training: walk.validationHistory.training, validation: walk.validationHistory.validation,
                title: "Training and validation loss (step 9)")),
        ]
    }

    private static func formatted(_ value: Double) -> String {
        let text = "\(value)"
        return text.count > 7 ? String(format: "%.4g", value) : text
    }

    /// A number printed in the walkthrough's precision (a Float prints as a Float).
    private static func number<S: BLASScalar>(_ value: Double, _: S.Type) -> JSONValue {
        .number(value, text: S(value).description)
    }

    static func json<S: BLASScalar>(_ walk: ThermometerWalkthrough<S>) -> JSONValue {
        func n(_ value: Double) -> JSONValue { number(value, S.self) }
        func fit(_ f: ThermometerWalkthrough<S>.Fit) -> JSONValue { .object([("w", n(f.w)), ("b", n(f.b)), ("loss", n(f.loss))]) }
        return .object([
            ("initial", .object([("predictions", .array(walk.initialPredictions.map(n))), ("loss", n(walk.initialLoss))])),
            ("finite_difference", .object([("dw", n(walk.finiteDifference.dw)), ("db", n(walk.finiteDifference.db)),
                                           ("w", n(walk.finiteDifference.step.w)), ("b", n(walk.finiteDifference.step.b))])),
            ("analytic_gradient", .object([("dw", n(walk.analyticGradient.dw)), ("db", n(walk.analyticGradient.db))])),
            ("diverging", .object([("learning_rate", .scalar(walk.diverging.learningRate)),
                                   ("stopped_at_epoch", .integer(walk.diverging.epoch)),
                                   ("loss", n(walk.diverging.lastLoss)),
                                   ("largest_stable_learning_rate", .scalar(walk.diverging.largestStableLearningRate))])),
            ("small_learning_rate", fit(walk.smallLearningRate)),
            ("scaled_100", fit(walk.scaled100)),
            ("scaled_5000", fit(walk.scaled5000)),
            ("autograd_5000", fit(walk.autograd5000)),
            ("adam", fit(walk.adam)),
            ("validation", .object([("train_loss", n(walk.validation.trainLoss)), ("validation_loss", n(walk.validation.validationLoss)),
                                    ("epochs", .integer(walk.validation.epochs))])),
            ("closed_form", .object([("w", n(walk.closedForm.w)), ("b", n(walk.closedForm.b)), ("loss", .scalar(walk.closedForm.loss))])),
        ])
    }

    static func text<S: BLASScalar>(_ walk: ThermometerWalkthrough<S>, plots: [String] = []) -> String {
        func f(_ value: Double) -> String { S(value).description }
        func f(_ value: Double, _: Double.Type) -> String { value.description }
        func pair(_ fit: ThermometerWalkthrough<S>.Fit) -> String { "w = \(f(fit.w)), b = \(f(fit.b)), loss = \(f(fit.loss))" }
        var out: [String] = []
        func step(_ number: Int, _ title: String, _ lines: [String]) {
            out.append("\(number). \(title)")
            out.append(contentsOf: lines.map { "   " + $0 })
            out.append("")
        }
        out.append("The thermometer walkthrough (Deep Learning with PyTorch, ch. 5), in \(S.precisionName)")
        out.append("t_u: \(Thermometer.unknownUnits.map { "\($0)" }.joined(separator: ", "))")
        out.append("t_c: \(Thermometer.celsius.map { "\($0)" }.joined(separator: ", "))")
        out.append("")
        step(1, "The model t_p = w * t_u + b, at w = 1, b = 0", [
            "predictions: [\(walk.initialPredictions.map { f($0) }.joined(separator: ", "))]",
            "loss (mean of squared differences): \(f(walk.initialLoss))",
            "With the unit weight the predictions are just t_u, far from the Celsius readings: a large loss.",
        ])
        step(2, "Rate of change by central finite differences (delta = 0.1) at w = 1, b = 0", [
            "dloss/dw ≈ \(f(walk.finiteDifference.dw)), dloss/db ≈ \(f(walk.finiteDifference.db))",
            "one step of learning_rate 1e-2 on both: \(pair(walk.finiteDifference.step))",
            "Both rates are positive, so both parameters must decrease; the loss is far more sensitive to w than to b.",
        ])
        let relative = abs(walk.analyticGradient.dw - walk.finiteDifference.dw) / abs(walk.analyticGradient.dw)
        step(3, "Analytic gradient: dw = mean(2 (t_p - t_c) * t_u), db = mean(2 (t_p - t_c))", [
            "dw = \(f(walk.analyticGradient.dw)), db = \(f(walk.analyticGradient.db))",
            "relative difference from the finite difference in w: \(f(relative, Double.self))",
            "The loss is quadratic in w and b, so the central difference is exact up to rounding: the two agree.",
        ])
        let divergence = walk.diverging
        step(4, "Training loop, lr 1e-2, raw t_u, 100 epochs: the loss explodes", [
            "losses: " + walk.divergingHistory.map { f($0) }.joined(separator: ", "),
            "stopped at epoch \(divergence.epoch) with loss \(f(divergence.lastLoss)) instead of printing inf and nan",
            "largest eigenvalue of the loss's Hessian: \(f(divergence.largestEigenvalue, Double.self)); largest stable learning rate 2/λmax = \(f(divergence.largestStableLearningRate, Double.self))",
            "Each step overshoots the minimum along the steep w direction, by more every time, because 1e-2 > 2/λmax.",
        ])
        step(5, "The same loop with lr 1e-4, 100 epochs", [
            pair(walk.smallLearningRate),
            "Stable now, but the step is so small for b that after 100 epochs the fit is still far from done.",
        ])
        step(6, "Input scaled: t_un = 0.1 * t_u, lr 1e-2", [
            "100 epochs:  \(pair(walk.scaled100))",
            "5000 epochs: \(pair(walk.scaled5000))",
            "in the original units of t_u: w = \(f(walk.scaled5000.w * ThermometerWalkthrough<S>.inputScale)), b = \(f(walk.scaled5000.b))",
            "Scaling shrinks the Hessian's largest eigenvalue about 100×, so lr 1e-2 is stable and w and b learn at comparable speeds.",
        ])
        step(7, "Autograd: the 5000-epoch fit with gradients from automatic differentiation", [
            pair(walk.autograd5000),
            "Swift's differentiable programming derives the same gradient (BLAS forward and backward): the same fit.",
        ])
        step(8, "Optimizers: SGD (step 7) and Adam with lr 1e-1 on raw t_u, 5000 epochs", [
            "SGD (scaled input): \(pair(walk.autograd5000))",
            "Adam (raw input):   \(pair(walk.adam))",
            "Adam's per-parameter step sizes cope with the badly scaled raw input that made plain SGD diverge.",
        ])
        var validationLines = ["n_val = int(0.2 * 11) = \(walk.validation.validationIndices.count); validation rows \(walk.validation.validationIndices), training rows \(walk.validation.trainIndices)"]
        for row in walk.validationReport {
            validationLines.append("epoch \(row.epoch): training loss \(f(row.trainLoss)), validation loss \(f(row.validationLoss))")
        }
        validationLines.append("final: training loss \(f(walk.validation.trainLoss)), validation loss \(f(walk.validation.validationLoss)) (w = \(f(walk.validation.fit.w)), b = \(f(walk.validation.fit.b)) scaled)")
        validationLines.append("Both losses fall together: the model is not overfitting the nine training readings.")
        step(9, "Training and validation (seeded permutation, seed 42), scaled input, lr 1e-2, 3000 epochs", validationLines)
        let gdW = walk.scaled5000.w * ThermometerWalkthrough<S>.inputScale
        step(10, "Closed form: least squares by LAPACK", [
            "w = \(f(walk.closedForm.w)), b = \(f(walk.closedForm.b)), loss = \(f(walk.closedForm.loss, Double.self))",
            "gradient descent (step 6, original units) minus closed form: Δw = \(f(gdW - walk.closedForm.w, Double.self)), Δb = \(f(walk.scaled5000.b - walk.closedForm.b, Double.self))",
            "After 5000 epochs gradient descent is close but not yet converged: b still creeps toward \(f(walk.closedForm.b)) along the flat direction of the loss.",
        ])
        step(11, "A picture: the readings with the fitted line, and the loss curves", plots.isEmpty
            ? ["Pass --plot DIR to write them as SVG files (make run writes them into plots/)."]
            : plots + ["Open them in a browser: the points lie close to the line, and the loss falls steeply, then flattens."])
        return out.joined(separator: "\n")
    }
}
