import Descent
import Foundation
import Testing

@Suite("Saved model files")
struct ModelFileTests {
    @Test("a model written and read back is identical, with exact doubles")
    func roundTrip() throws {
        let path = makeTemporaryDirectory() + "/model.json"
        let model = SavedModel(weights: [0.1, -1.0 / 3.0, 5.4e-300], bias: -17.000000000000004,
                               normalization: SavedNormalization(kind: "scale", offsets: [0, 0, 0], scales: [0.1, 1, 2]),
                               featureNames: ["t_u", "b", "c"], targetName: "t_c", precision: "float64",
                               training: ["epochs": "5000", "optimizer": "sgd"])
        try model.write(to: path)
        let back = try SavedModel.read(from: path)
        #expect(back == model)
        let json = try JSONSerialization.jsonObject(with: Data(fileBytes(path))) as! [String: Any]
        #expect(json["formatVersion"] as? Int == SavedModel.currentFormatVersion)
    }

    @Test("a file written by Python reads, and its predictions equal NumPy's",
          arguments: ["float64", "float32"])
    func predictionsMatchNumPy(precision: String) throws {
        let model = try SavedModel.read(from: fixturePath("predict_model.json"))
        #expect(model.featureNames == ["a", "b", "c"])
        #expect(model.normalization.kind == "standardize")
        if precision == "float64" {
            try check(model, Double.self, expected: "predict_expected.npy", tolerance: 1e-13)
        } else {
            try check(model, Float.self, expected: "predict_expected_f4.npy", tolerance: 1e-5)
        }
    }

    private func check<S: BLASScalar>(_ model: SavedModel, _: S.Type, expected: String, tolerance: Double) throws {
        let x = try NPY.read(fixturePath("predict_features.npy"), as: S.self).matrix
        let reference = try NPY.read(fixturePath(expected), as: Double.self).vector
        let predicted = model.predict(x)
        #expect(predicted.count == reference.count)
        for i in 0..<reference.count {
            #expect(isClose(Double(predicted[i]), reference[i], tolerance: tolerance), "row \(i)")
        }
    }

    @Test("malformed or inconsistent files are data errors naming the file")
    func rejectsBadFiles() throws {
        let directory = makeTemporaryDirectory()
        let cases: [(String, String)] = [
            ("{\"weights\": [1]}", "missing key"),
            ("not json", "not a Descent model file"),
            ("""
            {"formatVersion": 99, "weights": [1], "bias": 0, "normalization": {"kind": "none", "offsets": [], "scales": []},
             "featureNames": ["a"], "targetName": "y", "precision": "float64", "training": {}}
            """, "format version 99"),
            ("""
            {"formatVersion": 1, "weights": [1, 2], "bias": 0, "normalization": {"kind": "none", "offsets": [], "scales": []},
             "featureNames": ["a"], "targetName": "y", "precision": "float64", "training": {}}
            """, "2 weights but 1 feature names"),
        ]
        for (index, (text, message)) in cases.enumerated() {
            let path = directory + "/bad\(index).json"
            try AtomicFile.write(text, to: path)
            do {
                _ = try SavedModel.read(from: path)
                Issue.record("case \(index) should fail")
            } catch let error as DescentError {
                #expect(error.description.contains(path), "\(error)")
                #expect(error.description.contains(message), "\(error)")
                #expect(error.exitCode == 1)
            }
        }
    }

    @Test("a model with non-finite weights is not saved and the old file stays")
    func refusesNonFinite() throws {
        let path = makeTemporaryDirectory() + "/model.json"
        try SavedModel(weights: [1], bias: 0).write(to: path)
        let before = fileBytes(path)
        #expect(throws: DescentError.self) { try SavedModel(weights: [.nan], bias: 0).write(to: path) }
        #expect(fileBytes(path) == before)
    }
}
