/// A small, fast, seedable random number generator (xoshiro256**, seeded through SplitMix64),
/// so every run with the same seed produces the same numbers on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// Creates a generator whose whole stream is determined by `seed`.
    public init(seed: UInt64) {
        var splitMix = seed
        func next() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    /// The generator's whole state, so a run can be checkpointed and resumed exactly.
    public var stateWords: [UInt64] {
        get { [state.0, state.1, state.2, state.3] }
        set {
            precondition(newValue.count == 4, "SeededGenerator state needs 4 words, got \(newValue.count)")
            state = (newValue[0], newValue[1], newValue[2], newValue[3])
        }
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform double in [0, 1) from the top 53 bits.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal deviate (Box–Muller; one of the pair is used so the stream is
    /// simple to reproduce elsewhere).
    public mutating func nextNormal() -> Double {
        var u1 = nextUnit()
        while u1 <= 0 { u1 = nextUnit() }
        let u2 = nextUnit()
        return (-2 * _logDouble(u1)).squareRoot() * _cosDouble(2 * .pi * u2)
    }
}

/// The distribution of a random fill.
public enum RandomDistribution: Sendable, Equatable {
    /// Uniform on [lower, upper).
    case uniform(lower: Double, upper: Double)
    /// Normal with a mean and a standard deviation.
    case normal(mean: Double, standardDeviation: Double)

    func sample(_ generator: inout SeededGenerator) -> Double {
        switch self {
        case .uniform(let lower, let upper): return lower + (upper - lower) * generator.nextUnit()
        case .normal(let mean, let standardDeviation): return mean + standardDeviation * generator.nextNormal()
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@inline(__always) func _logDouble(_ x: Double) -> Double { log(x) }
@inline(__always) func _cosDouble(_ x: Double) -> Double { cos(x) }
