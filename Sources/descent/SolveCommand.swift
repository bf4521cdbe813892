import ArgumentParser
import Descent
import Foundation

/// `--method auto|normal|qr|svd`.
enum MethodChoice: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, normal, qr, svd

    /// The engine's method.
    var method: LeastSquaresMethod { LeastSquaresMethod(rawValue: rawValue)! }
}

/// `descent solve`: Solve least squares in closed form through LAPACKE.
struct SolveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "solve",
        abstract: "Solve least squares in closed form through LAPACKE.",
        discussion: """
        Fits y ≈ X·w + b minimizing mean((X·w + b − y)²) + l2·‖w‖² (the bias is not penalized). The intercept is fitted by centring. Methods: normal (syrk + Cholesky, fastest), qr (Householder QR with column pivoting), svd (minimum-norm; singular values below ε·max(n, d)·σ₁ count as zero), auto (normal equations when the condition number allows, else QR, else SVD). A rank-deficient system is solved and its rank reported.
        """
    )

    @OptionGroup var data: DataOptions

    @Option(help: "The method: auto, normal, qr or svd.")
    var method: MethodChoice = .auto

    @Option(help: ArgumentHelp("The L2 penalty l2·‖w‖² on the weights (ridge regression).", valueName: "X"))
    var l2: Double = 0

    @Option(help: "The precision of the data: float or double (the solve itself runs in double).")
    var precision: PrecisionChoice = .double

    @OptionGroup var output: OutputOptions

    @Flag(help: "Under `mpirun -np K` (a build with DESCENT_MPI=1): each rank reads only its rows, the normal-equation statistics are reduced across ranks, rank 0 prints.")
    var distributed = false

    func validate() throws {
        guard l2.isFinite, l2 >= 0 else { throw ValidationError("--l2 must be finite and >= 0, got \(l2)") }
    }

    func run() throws {
        try precision.dispatch { try run($0) }
    }

    private func run<S: BLASScalar>(_: S.Type) throws {
        let communicator = try makeCommunicator(distributed: distributed)
        defer { finishCommunicator(communicator) }
        let (loaded, totalRows) = try data.loadRows(S.self, communicator: communicator)
        var dataset = loaded.dataset
        let clock = ContinuousClock()
        let start = clock.now
        let solution = distributed
            ? try LeastSquaresSolver.solve(localRows: dataset, totalRows: totalRows, method: method.method, l2: l2, communicator: communicator)
            : try LeastSquaresSolver.solve(dataset, method: method.method, l2: l2)
        let seconds = SolverFormatting.seconds(clock.now - start)
        guard communicator.isRoot else { return }
        // Rank 0 reports the whole data set's shape, not its own share.
        let rows = totalRows
        if distributed { dataset.source += " (\(communicator.size) ranks)" }
        if output.json {
            print(solutionJSON(solution, dataset: dataset, seconds: seconds, rows: rows).rendered)
        } else {
            print(solutionText(solution, dataset: dataset, seconds: seconds, requested: method.method, rows: rows))
        }
    }
}


/// The `solve --json` object (also `closed_form` in `verify --json`).
func solutionJSON<S: BLASScalar>(_ solution: LeastSquaresSolution<S>, dataset: Dataset<S>, seconds: Double, rows: Int? = nil) -> JSONValue {
    var members: [(String, JSONValue)] = [
        ("method", .string(solution.method.rawValue)),
        ("weights", .scalars(solution.weights.array)),
        ("bias", .scalar(solution.bias)),
        ("rank", .integer(solution.rank)),
        ("condition_number", .scalar(solution.conditionNumber)),
        ("residual_sum_of_squares", .scalar(solution.residualSumOfSquares)),
        ("loss", .scalar(solution.meanSquaredError)),
        ("r2", .scalar(solution.r2)),
        ("feature_names", .array(dataset.featureNames.map { .string($0) })),
        ("target_name", .string(dataset.targetName)),
        ("rows", .integer(rows ?? dataset.rowCount)),
        ("precision", .string(S.precisionName)),
        ("l2", .scalar(solution.l2)),
        ("objective", .scalar(solution.objective)),
        ("refinement_steps", .integer(solution.refinementSteps)),
    ]
    if let singularValues = solution.singularValues {
        members.append(("singular_values", .scalars(singularValues)))
    }
    members.append(("seconds", .scalar(seconds)))
    return .object(members)
}

/// The human-readable report of a solve.
func solutionText<S: BLASScalar>(_ solution: LeastSquaresSolution<S>, dataset: Dataset<S>, seconds: Double,
                                 requested: LeastSquaresMethod, rows: Int? = nil) -> String {
    let d = dataset.featureCount
    let how = requested == .auto ? "\(solution.method.rawValue) (chosen by auto)" : solution.method.rawValue
    var lines = ["closed-form least squares on \(dataset.source): \(rows ?? dataset.rowCount) rows × \(d) features, \(S.precisionName), method \(how)"]
    if requested != .auto && requested != solution.method {
        lines.append("  \(requested.rawValue) found the design rank-deficient; the minimum-norm answer comes from the \(solution.method.rawValue)")
    }
    let width = min(24, dataset.featureNames.map(\.count).max() ?? 0)
    for (name, weight) in zip(dataset.featureNames, solution.weights).prefix(20) {
        lines.append("  w[\(name)]" + String(repeating: " ", count: max(0, width - name.count)) + " = \(weight)")
    }
    if d > 20 { lines.append("  … \(d - 20) more weights (use --json for all)") }
    lines.append("  b" + String(repeating: " ", count: width + 2) + " = \(solution.bias)")
    if solution.l2 > 0 { lines.append("  L2 penalty \(solution.l2): objective (loss + l2·‖w‖²) \(solution.objective)") }
    lines.append("  loss (MSE) \(solution.meanSquaredError), residual sum of squares \(solution.residualSumOfSquares), R² \(solution.r2)")
    var rankLine = "  rank \(solution.rank) of \(d), condition number \(SolverFormatting.number(solution.conditionNumber))"
    if solution.rank < d {
        rankLine += ": rank-deficient; this is the minimum-norm answer (other weights fit equally well)"
    }
    lines.append(rankLine)
    if solution.refinementSteps > 0 { lines.append("  refined by \(solution.refinementSteps) step of iterative refinement") }
    lines.append("  solved in \(SolverFormatting.duration(seconds))")
    return lines.joined(separator: "\n")
}

/// Number formatting shared by `solve`, `diagnose` and `verify`.
enum SolverFormatting {
    /// A duration in seconds.
    static func seconds(_ duration: Duration) -> Double {
        let (whole, fraction) = duration.components
        return Double(whole) + Double(fraction) * 1e-18
    }

    /// A number with 4 significant digits, in exponent form when large or small.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        if value != 0 && (abs(value) >= 1e5 || abs(value) < 1e-3) {
            let exponent = Int((log10(abs(value))).rounded(.down))
            let mantissa = value / pow(10, Double(exponent))
            return "\(roundTo(mantissa, digits: 3))e\(exponent)"
        }
        return "\(roundTo(value, digits: 4))"
    }

    /// `value` rounded to `digits` significant digits.
    static func roundTo(_ value: Double, digits: Int) -> Double {
        guard value != 0 else { return 0 }
        let scale = pow(10, Double(digits - 1 - Int((log10(abs(value))).rounded(.down))))
        return (value * scale).rounded() / scale
    }

    /// Seconds as `12.3 ms` or `1.23 s`.
    static func duration(_ seconds: Double) -> String {
        seconds < 1 ? "\(roundTo(seconds * 1000, digits: 3)) ms" : "\(roundTo(seconds, digits: 3)) s"
    }
}

