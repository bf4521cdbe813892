/// Where in an input a problem was found: a file and, when known, a line and column
/// (text formats) or a byte offset (binary formats).
public struct InputLocation: Sendable, Equatable, CustomStringConvertible {
    /// The file path, or a name such as `"<thermometer>"` for embedded data.
    public var file: String
    /// 1-based line number, for text formats.
    public var line: Int?
    /// 1-based column (field) number, for text formats.
    public var column: Int?
    /// 0-based byte offset, for binary formats.
    public var byteOffset: Int?

    /// Creates a location; pass only the coordinates that apply.
    public init(file: String, line: Int? = nil, column: Int? = nil, byteOffset: Int? = nil) {
        self.file = file
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let column { text += (line == nil ? ":column \(column)" : ":\(column)") }
        if let byteOffset { text += " (byte \(byteOffset))" }
        return text
    }
}

/// Every error Descent throws. Data-dependent failures (singular systems, bad files,
/// diverging training, invalid hyper-parameters) arrive as one of these cases; shape
/// mismatches between operands are programmer errors and trap instead.
public enum DescentError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A LAPACK routine rejected argument `argument` (LAPACK `info = -argument`).
    case lapackInvalidArgument(routine: String, argument: Int)
    /// Cholesky factorization failed: the leading minor of order `minor` is not positive
    /// definite (LAPACK `info = minor > 0`).
    case notPositiveDefinite(routine: String, minor: Int)
    /// A triangular factor has an exactly zero diagonal element `index` (1-based, LAPACK `info`).
    case singularMatrix(routine: String, index: Int)
    /// An iterative LAPACK algorithm (SVD, eigenvalues) did not converge; `count` is LAPACK's `info`.
    case noConvergence(routine: String, count: Int)
    /// Any other non-zero LAPACK `info`.
    case lapackFailure(routine: String, info: Int)
    /// Malformed or unusable input data at a location.
    case invalidData(InputLocation, reason: String)
    /// A file could not be opened, read, written or renamed.
    case io(path: String, reason: String)
    /// A hyper-parameter or option outside its accepted range.
    case invalidParameter(name: String, value: String, expected: String)
    /// Operands whose sizes come from data (files, options) and do not fit together.
    case shapeMismatch(String)
    /// A numerical failure: non-finite values, divergence, a verification that did not agree.
    case numericalFailure(String)

    /// The process exit code the CLI uses for this error: 1 for data and I/O errors,
    /// 2 for usage errors, 3 for numerical failures.
    public var exitCode: Int32 {
        switch self {
        case .invalidData, .io, .shapeMismatch: return 1
        case .invalidParameter: return 2
        case .lapackInvalidArgument, .notPositiveDefinite, .singularMatrix, .noConvergence,
             .lapackFailure, .numericalFailure:
            return 3
        }
    }

    /// The LAPACK `info` code when the error came from LAPACK, else nil.
    public var lapackInfo: Int? {
        switch self {
        case .lapackInvalidArgument(_, let argument): return -argument
        case .notPositiveDefinite(_, let minor): return minor
        case .singularMatrix(_, let index): return index
        case .noConvergence(_, let count): return count
        case .lapackFailure(_, let info): return info
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .lapackInvalidArgument(let routine, let argument):
            return "\(routine): argument \(argument) had an illegal value (info = -\(argument))"
        case .notPositiveDefinite(let routine, let minor):
            return "\(routine): the leading minor of order \(minor) is not positive definite (info = \(minor)); the matrix is singular or indefinite"
        case .singularMatrix(let routine, let index):
            return "\(routine): diagonal element \(index) of the triangular factor is exactly zero (info = \(index)); the matrix does not have full rank"
        case .noConvergence(let routine, let count):
            return "\(routine): the algorithm did not converge (info = \(count): \(count) off-diagonal elements did not converge to zero)"
        case .lapackFailure(let routine, let info):
            return "\(routine): failed with info = \(info)"
        case .invalidData(let location, let reason):
            return "\(location): \(reason)"
        case .io(let path, let reason):
            return "\(path): \(reason)"
        case .invalidParameter(let name, let value, let expected):
            return "invalid \(name) \(value): expected \(expected)"
        case .shapeMismatch(let message):
            return message
        case .numericalFailure(let message):
            return message
        }
    }
}
