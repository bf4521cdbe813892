@testable import Descent
import Foundation
import Testing

/// The number of random cases per test: small enough for a debug build (~seconds);
/// `DESCENT_PARSE_CASES=N` raises it for a one-off run (in release:
/// `swift test -c release -Xswiftc -enable-testing --filter NumberParsing`).
private let randomCases = ProcessInfo.processInfo.environment["DESCENT_PARSE_CASES"].flatMap { Int($0) } ?? 20_000

/// Descent's parser on the UTF-8 bytes of `text`.
private func parsed<S: BLASScalar>(_ text: String, as _: S.Type) -> S? {
    var bytes = Array(text.utf8)
    bytes.append(0)   // never read: keeps the base address valid for an empty text
    return bytes.withUnsafeBufferPointer { buffer in
        NumberParsing.parse(buffer.baseAddress!, buffer.baseAddress! + (buffer.count - 1), as: S.self)
    }
}

/// The independent reference: glibc's `strtod`/`strtof` (correctly rounded), nil unless the
/// whole text is consumed (the parser's contract).
private func reference<S: BLASScalar>(_ text: String, as _: S.Type) -> S? {
    text.withCString { start -> S? in
        var stop: UnsafeMutablePointer<CChar>? = nil
        let value = S.significandBitCount >= 52 ? S(strtod(start, &stop)) : S(strtof(start, &stop))
        guard let stop, UnsafePointer(stop) != start, UnsafePointer(stop) - start == strlen(start) else { return nil }
        return value
    }
}

/// `printf`-style formatting without Foundation's `String(format:)` (faster in debug builds).
private func formatted(_ format: String, _ value: any CVarArg) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 1200) { buffer in
        _ = withVaList([value]) { vsnprintf(buffer.baseAddress!, 1200, format, $0) }
        return String(cString: buffer.baseAddress!)
    }
}

/// Bit-identical agreement (so -0 ≠ +0), NaN equal to NaN; a readable failure otherwise.
private func expectSame<S: BLASScalar>(_ text: String, _: S.Type, sourceLocation: SourceLocation = #_sourceLocation) {
    let ours = parsed(text, as: S.self)
    let theirs = reference(text, as: S.self)
    let same: Bool
    switch (ours, theirs) {
    case (nil, nil): same = true
    case let (a?, b?): same = (a.isNaN && b.isNaN) || a.ieeeBits == b.ieeeBits
    default: same = false
    }
    #expect(same, "\(S.precisionName) '\(text.prefix(120))': parsed \(String(describing: ours)), strtod/strtof \(String(describing: theirs))",
            sourceLocation: sourceLocation)
}

extension BLASScalar {
    /// The IEEE bits, widened to 64 (for comparisons that tell -0 from +0).
    fileprivate var ieeeBits: UInt64 {
        UInt64(truncatingIfNeeded: exponentBitPattern) << UInt64(Self.significandBitCount)
            | UInt64(truncatingIfNeeded: significandBitPattern) | (sign == .minus ? 1 << 63 : 0)
    }
}

@Suite("Number parsing: Clinger, Eisel–Lemire, strtod fallback")
struct NumberParsingTests {
    @Test("the power-of-five table: 5^0, 5^1, 5^-1 and 5^27 exactly, normalised, rounded down")
    func table() {
        let t = NumberParsing.powersOfFive
        func entry(_ q: Int) -> (UInt64, UInt64) {
            let i = 2 * (q - NumberParsing.smallestPowerOfFive)
            return (t[i], t[i + 1])
        }
        #expect(t.count == 2 * (NumberParsing.largestPowerOfFive - NumberParsing.smallestPowerOfFive + 1))
        #expect(entry(0) == (1 << 63, 0))
        #expect(entry(1) == (0xA000_0000_0000_0000, 0))
        #expect(entry(-1) == (0xCCCC_CCCC_CCCC_CCCC, 0xCCCC_CCCC_CCCC_CCCC))   // 0.2 truncated, not rounded
        // 5^27 = 7450580596923828125 < 2^63: shifted left by one, exact.
        #expect(entry(27) == (7_450_580_596_923_828_125 << 1, 0))
        for k in stride(from: 0, to: t.count, by: 2) { #expect(t[k] >> 63 == 1) }
    }

    @Test("eight digits at a time: the test accepts exactly the words of ASCII digits, the value is the digits'")
    func eightDigits() {
        var random = SeededGenerator(seed: 8)
        for _ in 0..<randomCases {
            // Bytes around the digits ('/' and ':' are their neighbours), some far away.
            let bytes = (0..<8).map { _ -> UInt8 in
                let r = random.next() % 16
                return r < 12 ? UInt8(0x2E + r) : UInt8(truncatingIfNeeded: random.next())
            }
            let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
            let allDigits = bytes.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            #expect(NumberParsing.isEightDigits(word) == allDigits, "\(bytes)")
            if allDigits {
                #expect(NumberParsing.eightDigitsValue(word) == bytes.reduce(0) { $0 * 10 + UInt64($1 - 0x30) }, "\(bytes)")
            }
        }
    }

    @Test("hard cases: halfway, subnormals, 1e23, 2^53+1, 2^63±1, extremes, overflow, underflow, long texts")
    func hardCases() {
        let zeros = String(repeating: "0", count: 399)
        let cases = [
            "4.9e-324", "5e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308",
            "2.2250738585072012e-308", "2.2250738585072014e-308", "2.225073858507201136057409796709131975934819546351645648e-308",
            "1e23", "8.533e+68", "4.1006e-184", "9.998e+307", "9.9538452227e-280", "6.47660115e-260", "7.4e+47", "5.92e+48",
            "7.35e+66", "8.32116e+55", "9007199254740992", "9007199254740993", "9007199254740994", "9007199254740995",
            "9223372036854775807", "9223372036854775808", "9223372036854775809", "18446744073709551615",
            "18446744073709551616", "18446744073709551617", "1.7976931348623157e308", "1.7976931348623158e308",
            "1.7976931348623159e308", "-1.7976931348623157e308", "1e308", "1e309", "-1e400", "1e-400", "-1e-400",
            "0.0000000000000000000000000000000000000000000000000000001e-300", "0." + zeros + "1e400", "-0." + zeros + "1e400",
            "1" + String(repeating: "0", count: 300) + "e-300", "000000000000000000000000000000000001.5",
            "1.5000000000000000000000000000000000000", "3.14159265358979323846264338327950288419716939937510",
            "123456789012345678901234567890e-30", "0.123456789012345678901234567890e30", "1234567890123456789",
            "12345678901234567890", "1.00000000000000011102230246251565404236316680908203125",   // 1 + ulp/2, exactly: ties to 1
            "1.00000000000000011102230246251565404236316680908203124", "1.00000000000000011102230246251565404236316680908203126",
            "0.1", "0.2", "0.3", "-0", "-0.0e10", "0e999999999999", "+.5", "5.", ".5e-1", "1E+2", "1e-0",
            // Not numbers for this parser (nil) or C-library spellings (strtod decides).
            "", " ", "-", "+", ".", "e5", "1e", "1e+", "1.2.3", "1,5", "--1", "1e5.5", "0x", "nan", "-inf", "infinity",
            "0x1p3", "1_000", "١",
        ]
        // Blanks around the number are the parser's own convenience (strtod stops at a trailing one).
        #expect(parsed("  42\t", as: Double.self) == 42)
        #expect(parsed(" \t ", as: Double.self) == nil)
        for text in cases {
            expectSame(text, Double.self)
            expectSame(text, Float.self)
        }
        let floatCases = [
            "1.17549435e-38", "1.1754942e-38", "1.4e-45", "7e-46", "7.1e-46", "3.4028235e38", "3.40282356e38", "3.4028236e38",
            "16777216", "16777217", "16777218", "16777219", "7.038531e-26", "1.00000005960464477539062499", "1.000000059604644775390625",
            "1.00000005960464477539062501", "1e-46", "1e39", "4.2e-45", "8388608.5", "3.0000001192092896",
        ]
        for text in floatCases {
            expectSame(text, Float.self)
            expectSame(text, Double.self)
        }
        // A few known answers, so that a broken C library could not hide a bug.
        #expect(parsed("4.9e-324", as: Double.self) == Double.leastNonzeroMagnitude)
        #expect(parsed("2.2250738585072011e-308", as: Double.self)?.bitPattern == 0x000F_FFFF_FFFF_FFFF)
        #expect(parsed("1e23", as: Double.self)?.bitPattern == 0x44B5_2D02_C7E1_4AF6)
        #expect(parsed("9007199254740993", as: Double.self) == 9_007_199_254_740_992)
        #expect(parsed("1.7976931348623157e308", as: Double.self) == Double.greatestFiniteMagnitude)
        #expect(parsed("1e309", as: Double.self) == Double.infinity)
        #expect(parsed("-1e-400", as: Double.self)?.bitPattern == 1 << 63)
        #expect(parsed("0." + zeros + "1e400", as: Double.self) == 1)
        #expect(parsed("16777217", as: Float.self) == 16_777_216)
        #expect(parsed("7.038531e-26", as: Float.self)?.bitPattern == 0x15AE_43FD)
        #expect(parsed("1.4e-45", as: Float.self) == Float.leastNonzeroMagnitude)
        #expect(parsed("1e39", as: Float.self) == Float.infinity)
        // Exact binary fractions Eisel–Lemire leaves undecided are decided without the C library.
        for (text, value) in [("9007199254740993", 9_007_199_254_740_992.0), ("9007199254740995", 9_007_199_254_740_996),
                              ("7751054580248301.0", 7_751_054_580_248_301), ("-287238899978911.75", -287_238_899_978_911.75)] {
            #expect(NumberParsing.scanDecimal(text).flatMap { NumberParsing.convert($0) as Double? } == value, "\(text)")
        }
        #expect(NumberParsing.scanDecimal("16777217").flatMap { NumberParsing.convert($0) as Float? } == 16_777_216)
    }

    @Test("random doubles: shortest round trip, %.17g, %.25g, truncations, and midpoints between neighbours")
    func randomDoubles() {
        var random = SeededGenerator(seed: 20_211_005)
        var fastPathMisses = 0
        for _ in 0..<randomCases {
            let value = Double(bitPattern: random.next())
            guard value.isFinite else { continue }
            let shortest = value.description
            // `description` must round-trip and (subnormals apart) never need the C library.
            #expect(parsed(shortest, as: Double.self) == value, "'\(shortest)'")
            if value.isNormal, NumberParsing.scanDecimal(shortest).flatMap({ NumberParsing.convert($0) as Double? }) == nil {
                fastPathMisses += 1
            }
            let long = formatted("%.25g", value)
            for text in [formatted("%.17g", value), long, String(long.prefix(19)), String(long.prefix(21))] {
                expectSame(text, Double.self)
            }
            // The exact midpoint to the next double up (in Float80, exact), and near it.
            let midpoint = (Float80(value) + Float80(value.nextUp)) / 2
            if midpoint.isFinite {
                for format in ["%.17Lg", "%.21Lg", "%.40Lg", "%.80Lg"] { expectSame(formatted(format, midpoint), Double.self) }
            }
        }
        // Eisel–Lemire decides all but the rarest shortest round-trip texts (none were seen so far).
        #expect(fastPathMisses <= randomCases / 10_000, "\(fastPathMisses) of \(randomCases) went to strtod")
    }

    @Test("random floats: shortest round trip, %.9g, %.25g (of the exact float), truncations, midpoints")
    func randomFloats() {
        var random = SeededGenerator(seed: 2021)
        for _ in 0..<randomCases {
            let value = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
            guard value.isFinite else { continue }
            #expect(parsed(value.description, as: Float.self) == value, "'\(value.description)'")
            let long = formatted("%.25g", Double(value))
            for text in [formatted("%.9g", Double(value)), long, String(long.prefix(12))] { expectSame(text, Float.self) }
            let midpoint = (Double(value) + Double(value.nextUp)) / 2   // exact in Double
            if midpoint.isFinite {
                for format in ["%.9g", "%.12g", "%.40g"] { expectSame(formatted(format, midpoint), Float.self) }
            }
        }
    }

    @Test("random decimal texts: 1–30 digits, a decimal point anywhere, exponents -360…360")
    func randomDecimals() {
        var random = SeededGenerator(seed: 7)
        let digitCharacters = Array("0123456789")
        for _ in 0..<randomCases {
            let count = Int(random.next() % 30) + 1
            var text = random.next() % 2 == 0 ? "-" : ""
            let point = Int(random.next() % UInt64(count + 1))
            for k in 0..<count {
                if k == point { text += "." }
                text.append(digitCharacters[Int(random.next() % 10)])
            }
            text += "e\(Int(random.next() % 721) - 360)"
            expectSame(text, Double.self)
            expectSame(text, Float.self)
        }
    }

    @Test("Eisel–Lemire alone: when it answers, it is strtod's answer, for any 64-bit mantissa")
    func eiselLemireDirect() {
        var random = SeededGenerator(seed: 99)
        var declined = 0
        for k in 0..<randomCases {
            // Mantissas of every length, including the full 64 bits Eisel–Lemire accepts.
            let bits = Int(random.next() % 64) + 1
            let mantissa = max(1, random.next() >> UInt64(64 - bits))
            let exponent = Int(random.next() % 700) - 350
            let text = "\(mantissa)e\(exponent)"
            let expected = reference(text, as: Double.self)!
            if let value: Double = NumberParsing.eiselLemire(mantissa, exponent, negative: false) {
                #expect(value.bitPattern == expected.bitPattern, "\(text)")
            } else if expected.isNormal, expected < Double.greatestFiniteMagnitude {
                declined += 1   // a normal result it could not decide (subnormals and overflow are declined by design)
            }
            if k % 4 == 0, let value: Float = NumberParsing.eiselLemire(mantissa, exponent, negative: true) {
                #expect(value.bitPattern == reference("-" + text, as: Float.self)!.bitPattern, "-\(text) (float)")
            }
        }
        // Undecidable normal results are rare (the all-ones carry case, exact halfway cases).
        #expect(declined <= randomCases / 1000, "declined \(declined) normal results of \(randomCases)")
    }
}

extension NumberParsing {
    /// Test helper: `scanDecimal` over a Swift string.
    fileprivate static func scanDecimal(_ text: String) -> ScannedDecimal? {
        var bytes = Array(text.utf8)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { scanDecimal($0.baseAddress!, $0.baseAddress! + ($0.count - 1)) }
    }
}
