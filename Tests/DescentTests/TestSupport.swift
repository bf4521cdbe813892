import Descent
import Foundation
import Testing

/// Precision-scaled tolerance: `factor × eps` of the scalar type.
func tolerance<S: BLASScalar>(_: S.Type, factor: Double = 100) -> Double {
    factor * Double(S.ulpOfOne)
}

/// |a − b| ≤ tol × max(1, |b|): relative for large values, absolute near zero.
func isClose(_ a: Double, _ b: Double, tolerance: Double) -> Bool {
    abs(a - b) <= tolerance * max(1, abs(b))
}

/// The URL of a committed fixture in Tests/DescentTests/Fixtures.
func fixtureURL(_ name: String) -> URL {
    Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures")
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
}
