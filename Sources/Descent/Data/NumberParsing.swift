#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Decimal text to `Float`/`Double`, correctly rounded, straight from bytes.
///
/// Four steps, cheapest first, each of which either returns the correctly rounded value or
/// declines:
/// 1. **Clinger's fast path**: a mantissa of at most `significandBitCount + 1` bits and a
///    power of ten that is exact in the type (10²² for `Double`, 10¹⁰ for `Float`) give the
///    correctly rounded result in one IEEE multiplication or division.
/// 2. **Eisel–Lemire** (Lemire, "Number Parsing at a Gigabyte per Second", 2021; the variant
///    of Go's `strconv`): the first 19 significant digits times a 128-bit truncated power of
///    five (``powersOfFive``) decide the rounding unless the truncated bits could change it,
///    which is detected. With more than 19 digits, the value lies between the results for
///    the truncated mantissa `m` and `m + 1`; when both round to the same number, that is it.
/// 3. A decimal that is exactly `k × 2^q` (an exact halfway case such as 2⁵³ + 1, or an exactly
///    representable value with a long mantissa) is `Scalar(k)` scaled by `2^q` (``exactBinary``).
/// 4. Everything else (subnormals, overflow near the largest finite
///    value, ambiguous long mantissas, hex floats, `nan`/`inf` spellings) goes to the C
///    library's `strtod`/`strtof` on a NUL-terminated copy, which is correctly rounded in glibc.
///
/// The shortest round-trip decimals that `descent generate` writes (16–17 digits) take step 2;
/// steps 3 and 4 are for a few cases in ten thousand.
enum NumberParsing {
    /// Exact powers of ten as doubles (10⁰…10²²; every one is exact in binary64).
    /// (Literals, so the optimiser can emit them as constant data.)
    static let powersOfTen: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                        1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

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
        if let decimal = scanDecimal(p, e), let value: Scalar = convert(decimal) { return value }
        return slowParse(p, e)
    }

    // MARK: Scanning

    /// A plain decimal number `±mantissa × 10^exponent`, as read from the text.
    struct ScannedDecimal {
        /// The first (at most 19) significant digits as an integer; 19 digits always fit in 64 bits.
        var mantissa: UInt64
        /// The power of ten that scales `mantissa` to the value.
        var exponent: Int
        /// Whether a minus sign came first (kept for -0).
        var negative: Bool
        /// Whether nonzero digits after the first 19 were dropped: the value is then strictly
        /// between `mantissa` and `mantissa + 1` times `10^exponent`.
        var truncated: Bool
    }

    /// Reads `[+-]digits[.digits][(e|E)[+-]digits]` spanning exactly `[start, end)` (at least
    /// one mantissa digit), or nil for anything else (the C library then decides).
    @inline(__always)
    static func scanDecimal(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> ScannedDecimal? {
        guard let (decimal, stop) = scanDecimalPrefix(start, end), stop == end else { return nil }
        return decimal
    }

    /// Reads the longest `[+-]digits[.digits][(e|E)[+-]digits]` at `start` (before `end`) and
    /// returns it with the first byte not taken; nil when there is no mantissa digit or an
    /// exponent marker has no digits (`1e`, `1e+`), which is never a number.
    ///
    /// The common case (at most 19 digits, leading zeros included) is one pass that takes the
    /// fraction eight digits at a time (``isEightDigits``, ``eightDigitsValue``); longer
    /// mantissas are read again by ``scanLongDecimalPrefix``.
    @inline(__always)
    static func scanDecimalPrefix(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (ScannedDecimal, UnsafePointer<UInt8>)? {
        var p = start
        guard p < end else { return nil }
        var negative = false
        if p.pointee == UInt8(ascii: "-") { negative = true; p += 1 } else if p.pointee == UInt8(ascii: "+") { p += 1 }
        // Every digit into a wrapping 64-bit mantissa; only used when there are at most 19.
        var mantissa: UInt64 = 0
        let integerStart = p
        while p < end, case let d = p.pointee &- 0x30, d < 10 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            p += 1
        }
        var digitCount = p - integerStart
        var exponent = 0
        if p < end, p.pointee == UInt8(ascii: ".") {
            p += 1
            let fractionStart = p
            while end - p >= 8 {
                let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
                guard isEightDigits(word) else { break }
                mantissa = mantissa &* 100_000_000 &+ eightDigitsValue(word)
                p += 8
            }
            while p < end, case let d = p.pointee &- 0x30, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                p += 1
            }
            exponent = fractionStart - p
            digitCount += p - fractionStart
        }
        guard digitCount > 0 else { return nil }
        if digitCount > 19 { return scanLongDecimalPrefix(start, end) }
        guard let explicitExponent = scanExponent(&p, end) else { return nil }
        return (ScannedDecimal(mantissa: mantissa, exponent: exponent + explicitExponent, negative: negative, truncated: false), p)
    }

    /// Whether the eight bytes of `word` (little-endian) are all ASCII digits: no byte
    /// below `0` (subtracting 0x30 borrows into the top bit) and none above `9` (adding
    /// 0x46 carries into it).
    @inline(__always)
    static func isEightDigits(_ word: UInt64) -> Bool {
        ((word &+ 0x4646_4646_4646_4646) | (word &- 0x3030_3030_3030_3030)) & 0x8080_8080_8080_8080 == 0
    }

    /// The value of eight ASCII digits (the first in the lowest byte) in three multiplications:
    /// pairs of digits, then pairs of pairs, then the two halves.
    @inline(__always)
    static func eightDigitsValue(_ word: UInt64) -> UInt64 {
        var value = word &- 0x3030_3030_3030_3030
        value = (value &* 10) &+ (value >> 8)   // each 16-bit lane: 10 × first + second (low byte)
        let mask: UInt64 = 0x0000_00FF_0000_00FF
        let lowPairs = (value & mask) &* 0x000F_4240_0000_0064          // 100 and 1_000_000
        let highPairs = ((value >> 16) & mask) &* 0x0000_2710_0000_0001 // 1 and 10_000
        return UInt64(UInt32(truncatingIfNeeded: (lowPairs &+ highPairs) >> 32))
    }

    /// An optional exponent part `(e|E)[+-]digits` at `p`, advancing past it; 0 when there is
    /// none, nil when the marker has no digits.
    @inline(__always)
    static func scanExponent(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> Int? {
        guard p < end, p.pointee | 0x20 == UInt8(ascii: "e") else { return 0 }
        p += 1
        var negative = false
        if p < end, p.pointee == UInt8(ascii: "-") { negative = true; p += 1 } else if p < end, p.pointee == UInt8(ascii: "+") { p += 1 }
        var value = 0
        let digitsStart = p
        while p < end, case let d = p.pointee &- 0x30, d < 10 {
            // Saturate far beyond any text's length: past it the value is 0 or infinite anyway.
            if value < 1 << 40 { value = value * 10 + Int(d) }
            p += 1
        }
        guard p > digitsStart else { return nil }
        return negative ? -value : value
    }

    /// ``scanDecimalPrefix`` for any number of digits: leading zeros skipped, digits past the
    /// 19th significant one dropped (noting whether any was nonzero). Taken only when the fast
    /// scan counted more than 19 digits (leading zeros included), so it is not inlined.
    @inline(never)
    static func scanLongDecimalPrefix(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>) -> (ScannedDecimal, UnsafePointer<UInt8>)? {
        var p = start
        guard p < end else { return nil }
        var negative = false
        if p.pointee == UInt8(ascii: "-") { negative = true; p += 1 } else if p.pointee == UInt8(ascii: "+") { p += 1 }
        var mantissa: UInt64 = 0
        var digits = 0           // significant digits taken into the mantissa
        var exponent = 0         // decimal exponent adjustment from the digits' positions
        var truncated = false
        var sawDigit = false
        // Integer part: leading zeros are not significant; digits past the 19th only scale.
        while p < end, case let d = p.pointee &- 0x30, d < 10 {
            sawDigit = true
            if digits < 19 {
                if mantissa != 0 || d != 0 {
                    mantissa = mantissa &* 10 &+ UInt64(d)
                    digits += 1
                }
            } else {
                exponent += 1
                truncated = truncated || d != 0
            }
            p += 1
        }
        // Fraction: each digit taken lowers the exponent; digits past the 19th are dropped.
        if p < end, p.pointee == UInt8(ascii: ".") {
            p += 1
            while p < end, case let d = p.pointee &- 0x30, d < 10 {
                sawDigit = true
                if digits < 19 {
                    exponent -= 1
                    if mantissa != 0 || d != 0 {
                        mantissa = mantissa &* 10 &+ UInt64(d)
                        digits += 1
                    }
                } else {
                    truncated = truncated || d != 0
                }
                p += 1
            }
        }
        guard sawDigit else { return nil }
        guard let explicitExponent = scanExponent(&p, end) else { return nil }
        exponent += explicitExponent
        return (ScannedDecimal(mantissa: mantissa, exponent: exponent, negative: negative, truncated: truncated), p)
    }

    /// The CSV reader's fast path: a plain decimal at `start` that is the whole field, i.e.
    /// followed by `end`, the delimiter, a line feed, or a carriage return before a line feed
    /// or `end`. Returns the finite, correctly rounded value and the byte after the number (the
    /// delimiter or line end), or nil for anything else (blanks, quotes, text, a value that
    /// needs the C library, a non-finite one): the caller then takes the general path, which
    /// finds the field's end first and reports errors. One pass over the bytes instead of two.
    @inline(__always)
    static func parseField<Scalar: BLASScalar>(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>,
                                               delimiter: UInt8) -> (Scalar, UnsafePointer<UInt8>)? {
        guard let (decimal, stop) = scanDecimalPrefix(start, end) else { return nil }
        if stop < end {
            let byte = stop.pointee
            guard byte == delimiter || byte == 0x0A || (byte == 0x0D && (stop + 1 == end || stop[1] == 0x0A)) else { return nil }
        }
        guard let value: Scalar = convert(decimal), value.isFinite else { return nil }
        return (value, stop)
    }

    // MARK: Conversion

    /// The correctly rounded value of a scanned decimal, or nil when neither Clinger's fast
    /// path nor Eisel–Lemire can decide it.
    @inline(__always)
    static func convert<Scalar: BLASScalar>(_ decimal: ScannedDecimal) -> Scalar? {
        let mantissa = decimal.mantissa
        let exponent = decimal.exponent
        let negative = decimal.negative
        // No significant digit at all (a zero cannot have been truncated).
        if mantissa == 0 { return negative ? -Scalar.zero : Scalar.zero }
        if !decimal.truncated, let value: Scalar = clinger(mantissa, exponent, negative: negative) { return value }
        guard let value: Scalar = eiselLemire(mantissa, exponent, negative: negative) else {
            return decimal.truncated ? nil : exactBinary(mantissa, exponent, negative: negative)
        }
        if decimal.truncated {
            // The true value is strictly between m·10^e and (m+1)·10^e: both bounds must agree.
            // (m < 10^19, so m + 1 cannot overflow.)
            guard let upper: Scalar = eiselLemire(mantissa + 1, exponent, negative: negative), upper == value else { return nil }
        }
        return value
    }

    /// Clinger's fast path: exact mantissa times an exact power of ten, one rounding; nil
    /// when the mantissa or the power is not exact in `Scalar`.
    @inline(__always)
    static func clinger<Scalar: BLASScalar>(_ mantissa: UInt64, _ exponent: Int, negative: Bool) -> Scalar? {
        let maxExactPower = Scalar.significandBitCount >= 52 ? 22 : 10
        guard mantissa <= (UInt64(1) << (Scalar.significandBitCount + 1)), exponent >= -maxExactPower, exponent <= maxExactPower else {
            return nil
        }
        var value = Scalar(mantissa)
        if exponent >= 0 { value *= Scalar(powersOfTen[exponent]) } else { value /= Scalar(powersOfTen[-exponent]) }
        return negative ? -value : value
    }

    /// 10⁰…10¹⁹ as integers (all below 2⁶⁴).
    static let integerPowersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// 5⁰…5²⁷ as integers (all below 2⁶³).
    static let integerPowersOfFive: [UInt64] = (0...27).map { exponent in
        var value: UInt64 = 1
        for _ in 0..<exponent { value *= 5 }
        return value
    }

    /// The decimals Eisel–Lemire cannot decide because they are *exactly* a binary fraction
    /// `k × 2^q` with an integer `k < 2⁶⁴`: exact halfway cases such as 2⁵³ + 1, and exactly
    /// representable values with a long decimal mantissa (`7751054580248301.0`,
    /// `-287238899978911.75`), whose product with the truncated power of five lands just below
    /// a representable number. Then `Scalar(k)` is the one correctly rounded (ties to even)
    /// conversion and the power of two scales it exactly. Nil for anything else.
    static func exactBinary<Scalar: BLASScalar>(_ mantissa: UInt64, _ exponent: Int, negative: Bool) -> Scalar? {
        let k: UInt64
        if exponent >= 0 {
            // An integer: k = mantissa × 10^q when that fits in 64 bits.
            guard exponent < integerPowersOfTen.count else { return nil }
            let (product, overflow) = mantissa.multipliedReportingOverflow(by: integerPowersOfTen[exponent])
            guard !overflow else { return nil }
            k = product
        } else {
            // mantissa × 10^q = (mantissa / 5^-q) × 2^q when 5^-q divides the mantissa.
            guard -exponent < integerPowersOfFive.count else { return nil }
            let (quotient, remainder) = mantissa.quotientAndRemainder(dividingBy: integerPowersOfFive[-exponent])
            guard remainder == 0 else { return nil }
            k = quotient
        }
        // 2^q for q in -27…0 (with exponent ≥ 0 the power of two is already in k); never subnormal.
        let scale = Scalar(sign: .plus, exponent: Scalar.Exponent(min(exponent, 0)), significand: 1)
        let value = Scalar(k) * scale
        return negative ? -value : value
    }

    /// The decimal exponents outside of which `m × 10^q` (1 ≤ m < 10¹⁹) is certainly 0 or
    /// infinite in `Scalar`: below `smallest`, `m × 10^q < 10^(19+q) ≤` half the smallest
    /// subnormal (2⁻¹⁰⁷⁵ ≈ 2.5e-324, 2⁻¹⁵⁰ ≈ 7.0e-46); above `largest`, `m × 10^q ≥ 10^q`
    /// exceeds the largest finite value.
    @inline(__always)
    static func decidedExponents<Scalar: BLASScalar>(_: Scalar.Type) -> (smallest: Int, largest: Int) {
        Scalar.significandBitCount >= 52 ? (-342, 308) : (-64, 38)
    }

    /// Eisel–Lemire: the correctly rounded `Scalar` nearest `±mantissa × 10^exponent`
    /// (`mantissa` ≠ 0), or nil when it cannot be decided from 128 bits of the power of five
    /// (a possible carry out of the truncated bits, an exact halfway case) or the result is
    /// subnormal or overflows near the largest finite value.
    ///
    /// Written once for both formats: `significandBitCount` (52 or 23) and `exponentBitCount`
    /// (11 or 8) give every constant (Go's `eiselLemire64`/`eiselLemire32` differ only in these).
    @inline(__always)
    static func eiselLemire<Scalar: BLASScalar>(_ mantissa: UInt64, _ exponent: Int, negative: Bool) -> Scalar? {
        let decided = decidedExponents(Scalar.self)
        if exponent < decided.smallest { return negative ? -Scalar.zero : Scalar.zero }
        if exponent > decided.largest { return negative ? -Scalar.infinity : Scalar.infinity }
        let significandBits = Scalar.significandBitCount
        let exponentBias = (1 << (Scalar.exponentBitCount - 1)) - 1
        let infiniteExponent = (1 << Scalar.exponentBitCount) - 1
        // The high product word holds the significand, one rounding bit, one bit that may be a
        // leading zero, and `shift` bits below them (9 for Double, 38 for Float).
        let shift = 64 - significandBits - 3
        let belowMask: UInt64 = (1 << UInt64(shift)) - 1
        // Normalise the mantissa so its top bit is set: the product keeps the most bits.
        let leadingZeros = mantissa.leadingZeroBitCount
        let normalized = mantissa << UInt64(leadingZeros)
        // floor(exponent · log2 10) via 217706 / 2^16 (exact for |exponent| < 350), plus the
        // 64 bits of the product's high word, the bias, and the normalisation shift.
        var binaryExponent = ((217706 &* exponent) >> 16) &+ 64 &+ exponentBias &- leadingZeros
        let index = 2 &* (exponent &- smallestPowerOfFive)
        // First approximation: mantissa × the high 64 bits of 5^exponent.
        var (high, low) = normalized.multipliedFullWidth(by: powersOfFive[index])
        // The ignored part (mantissa × the low table word, and the table's own truncation)
        // adds less than `normalized` to `low`. Only when `high`'s bits below the rounding bit
        // are all ones can that carry change the result: then take the low word into account.
        if high & belowMask == belowMask, low &+ normalized < low {
            let (secondHigh, secondLow) = normalized.multipliedFullWidth(by: powersOfFive[index + 1])
            var mergedHigh = high
            let mergedLow = low &+ secondHigh
            if mergedLow < low { mergedHigh &+= 1 }
            // Still all ones and the remainder could still carry: undecidable here.
            if mergedHigh & belowMask == belowMask, mergedLow &+ 1 == 0, secondLow &+ normalized < secondLow { return nil }
            high = mergedHigh
            low = mergedLow
        }
        // Keep significandBits + 2 bits (the significand and one rounding bit).
        let topBit = Int(high >> 63)
        var significand = high >> UInt64(topBit &+ shift)
        binaryExponent &-= 1 ^ topBit
        // Exactly halfway by the computed bits: the true value may be the tie (round to even)
        // or just above it (round up); the truncated table cannot tell.
        if low == 0, high & belowMask == 0, significand & 3 == 1 { return nil }
        // Round half up to significandBits + 1 bits (ties never reach here with an even result wanted).
        significand &+= significand & 1
        significand >>= 1
        if significand >> UInt64(significandBits + 1) != 0 {
            significand >>= 1
            binaryExponent &+= 1
        }
        // Subnormal (exponent field 0) or infinite/overflowing: leave it to the C library.
        guard binaryExponent > 0, binaryExponent < infiniteExponent else { return nil }
        let fraction = significand & ((1 << UInt64(significandBits)) - 1)
        return Scalar(sign: negative ? .minus : .plus,
                      exponentBitPattern: Scalar.RawExponent(truncatingIfNeeded: binaryExponent),
                      significandBitPattern: Scalar.RawSignificand(truncatingIfNeeded: fraction))
    }

    // MARK: Fallback

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
