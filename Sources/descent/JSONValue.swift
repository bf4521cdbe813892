/// A JSON value that keeps its keys in the order given, for stable, readable output.
/// Non-finite numbers print as `null` (JSON has no NaN or infinity).
enum JSONValue: Sendable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByNilLiteral {
    /// A number and its shortest round-tripping text in its own precision.
    case number(Double, text: String)
    case integer(Int)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    init(stringLiteral value: String) { self = .string(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(nilLiteral: ()) { self = .null }

    /// A floating-point number of either precision.
    static func scalar<S: BinaryFloatingPoint & LosslessStringConvertible>(_ value: S) -> JSONValue {
        .number(Double(value), text: value.description)
    }

    /// An array of numbers.
    static func scalars<C: Collection>(_ values: C) -> JSONValue where C.Element: BinaryFloatingPoint & LosslessStringConvertible {
        .array(values.map { .scalar($0) })
    }

    /// An optional number: `null` when absent.
    static func optional<S: BinaryFloatingPoint & LosslessStringConvertible>(_ value: S?) -> JSONValue { value.map { .scalar($0) } ?? .null }

    /// Compact, single-line JSON.
    var rendered: String {
        switch self {
        case .number(let value, let text):
            return value.isFinite ? text : "null"
        case .integer(let value): return String(value)
        case .string(let value): return JSONValue.quote(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let values): return "[" + values.map(\.rendered).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { JSONValue.quote($0.0) + ":" + $0.1.rendered }.joined(separator: ",") + "}"
        }
    }

    private static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += JSONValue.unicodeEscape(scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private static func unicodeEscape(_ value: UInt32) -> String {
        let hex = String(value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
