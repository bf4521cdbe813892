import Descent
import Foundation

/// A fresh empty directory for one test, under the system temporary directory.
func makeTemporaryDirectory(_ label: String = "descent") -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// The bytes of a file.
func fileBytes(_ path: String) -> [UInt8] {
    (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}

/// A committed fixture's path.
func fixturePath(_ name: String) -> String { fixtureURL(name).path }

/// The reference values NumPy wrote next to the .npy fixtures.
func npyExpected() -> [String: Any] {
    let data = try! Data(contentsOf: fixtureURL("npy_expected.json"))
    return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
}

/// A 2-D table of numbers from JSON.
func numbers(_ value: Any?) -> [[Double]] {
    (value as! [[Any]]).map { $0.map { ($0 as! NSNumber).doubleValue } }
}
