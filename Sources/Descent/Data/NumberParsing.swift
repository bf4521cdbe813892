#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal text to `Float`/`Double`, correctly rounded, straight from bytes.
///
/// The fast path is Clinger's: a mantissa of at most `significandBitCount + 1` bits and a
/// power of ten that is exact in the type (10²² for `Double`, 10¹⁰ for `Float`) give the
/// correctly rounded result in one IEEE multiplication or division. Everything else (17
/// significant digits, large exponents, hex floats, odd spellings) goes to the C library's
/// `strtod`/`strtof` on a NUL-terminated copy, which is correctly rounded in glibc.
enum NumberParsing {
    /// Exact powers of ten as doubles (10⁰…10²²; every one is exact in binary64).
    static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// Parses the number in `[start, end)` (leading and trailing spaces and tabs ignored).
    /// Returns nil when the bytes are not a number; a non-finite result (`nan`, `inf`, an
    /// overflowing exponent) is returned as is for the caller to reject with a position.
    @inline(__always)
    static func parse<Scalar: BLASScalar>(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, as _: Scalar.Type) -> Scalar? {
        var p = start
        var e = end
        while p < e, p.pointee == 0x20 || p.pointee == 0x09 { p += 1 }
        while e > p, e[-1] == 0x20 || e[-1] == 0x09 { e -= 1 }
        guard p < e else { return nil }
        if let value: Scalar = fastParse(p, e) { return value }
        return slowParse(p, e)
    }

    /// The fast path, or nil when it does not apply (the caller falls back to the C library).
    @inline(__always)
    static func fastParse<Scalar: BLASScalar>(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Scalar? {
        var p = start
        var negative = false
        if p.pointee == UInt8(ascii: "-") { negative = true; p += 1 } else if p.pointee == UInt8(ascii: "+") { p += 1 }
        var mantissa: UInt64 = 0
        var digits = 0           // significant digits taken into the mantissa
        var exponent = 0         // decimal exponent adjustment
        var sawDigit = false
        // Integer part.
        while p < end, case let d = p.pointee &- 0x30, d < 10 {
            sawDigit = true
            if mantissa == 0 && d == 0 { p += 1; continue }
            guard digits < 19 else { return nil }
            mantissa = mantissa &* 10 &+ UInt64(d)
            digits += 1
            p += 1
        }
        // Fraction.
        if p < end, p.pointee == UInt8(ascii: ".") {
            p += 1
            while p < end, case let d = p.pointee &- 0x30, d < 10 {
                sawDigit = true
                exponent -= 1
                if mantissa == 0 && d == 0 { p += 1; continue }
                guard digits < 19 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(d)
                digits += 1
                p += 1
            }
        }
        guard sawDigit else { return nil }
        // Exponent.
        if p < end, p.pointee | 0x20 == UInt8(ascii: "e") {
            p += 1
            var exponentNegative = false
            if p < end, p.pointee == UInt8(ascii: "-") { exponentNegative = true; p += 1 } else if p < end, p.pointee == UInt8(ascii: "+") { p += 1 }
            var value = 0
            var sawExponentDigit = false
            while p < end, case let d = p.pointee &- 0x30, d < 10 {
                sawExponentDigit = true
                if value < 100_000 { value = value * 10 + Int(d) }
                p += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard p == end else { return nil }
        if mantissa == 0 { return negative ? -Scalar.zero : Scalar.zero }
        let maxExactPower = Scalar.significandBitCount >= 52 ? 22 : 10
        guard mantissa <= (UInt64(1) << (Scalar.significandBitCount + 1)), exponent >= -maxExactPower, exponent <= maxExactPower else {
            return nil
        }
        var value = Scalar(mantissa)
        if exponent >= 0 { value *= Scalar(powersOfTen[exponent]) } else { value /= Scalar(powersOfTen[-exponent]) }
        return negative ? -value : value
    }

    /// The C library on a NUL-terminated copy; nil unless the whole text is consumed.
    static func slowParse<Scalar: BLASScalar>(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Scalar? {
        let length = end - start
        guard length < 1024 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { buffer -> Scalar? in
            let base = buffer.baseAddress!
            UnsafeMutableRawPointer(base).copyMemory(from: start, byteCount: length)
            base[length] = 0
            var stop: UnsafeMutablePointer<CChar>? = nil
            let value: Scalar
            if Scalar.significandBitCount >= 52 {
                value = Scalar(strtod(base, &stop))
            } else {
                value = Scalar(strtof(base, &stop))
            }
            guard let stop, stop - base == length else { return nil }
            return value
        }
    }
}
