import Descent
import Foundation
import Testing

@Suite("CSV files")
struct CSVTests {
    /// Writes `text` to a fresh file and returns its path.
    private func file(_ text: String, name: String = "data.csv") -> String {
        let path = makeTemporaryDirectory() + "/" + name
        try! AtomicFile.write(text, to: path)
        return path
    }

    /// Every chunk size must give the same answer: 1 byte (a chunk per line), small, and the default.
    static let chunkSizes = [1, 7, 64, 8 << 20]

    @Test("a plain file: header names, target the last column, features the others", arguments: chunkSizes)
    func plain(chunkSize: Int) throws {
        let path = file("t_u,extra,t_c\n35.7,1,0.5\n55.9,2,14.0\n58.2,3,15\n")
        try plain(path, chunkSize, Double.self)
        try plain(path, chunkSize, Float.self)
    }

    private func plain<S: BLASScalar>(_ path: String, _ chunkSize: Int, _: S.Type) throws {
        let data = try CSV.loadDataset(path, format: CSVFormat(chunkSize: chunkSize), as: S.self)
        #expect(data.featureNames == ["t_u", "extra"])
        #expect(data.targetName == "t_c")
        #expect(data.features == Matrix<S>([[S("35.7")!, 1], [S("55.9")!, 2], [S("58.2")!, 3]]))
        #expect(data.targets == Vector<S>([S("0.5")!, 14, 15]))
    }

    @Test("RFC 4180 quoting, CRLF, BOM, comments, blank lines, text columns skipped", arguments: chunkSizes)
    func messyFile(chunkSize: Int) throws {
        let text = "\u{FEFF}# exported by hand\r\n\r\n" +
            "\"id\",\"note, with comma\",\"x \"\"quoted\"\"\",y\r\n" +
            "1,\"multi\r\nline, note\",\"2.5\",  -1e3 \r\n" +
            "# a comment between rows, with a \" quote\r\n" +
            "\r\n" +
            "2,plain,-0.125,4\r\n" +
            "3,\"\"\"\",7,8"   // no final newline
        let path = file(text)
        let data = try CSV.loadDataset(path, target: "y", features: ["id", "x \"quoted\""],
                                       format: CSVFormat(chunkSize: chunkSize), as: Double.self)
        #expect(data.featureNames == ["id", "x \"quoted\""])
        #expect(data.features.rowArrays == [[1, 2.5], [2, -0.125], [3, 7]])
        #expect(data.targets.array == [-1000, 4, 8])
    }

    @Test("delimiters other than comma, target by name or index, and files without a header")
    func delimitersAndHeaders() throws {
        let semicolon = file("a;b;c\n1;2;3\n4;5;6\n")
        let bySemicolon = try CSV.loadDataset(semicolon, target: "a", format: CSVFormat(delimiter: UInt8(ascii: ";")), as: Double.self)
        #expect(bySemicolon.features.rowArrays == [[2, 3], [5, 6]])
        #expect(bySemicolon.targets.array == [1, 4])
        let tabs = file("a\tb\n1\t2\n", name: "data.tsv")
        let byIndex = try CSV.loadDataset(tabs, target: "0", format: CSVFormat(delimiter: 0x09), as: Float.self)
        #expect(byIndex.targets.array == [1])
        let headless = file("# savetxt style\n1,2,3\n4,5,6\n")
        let noHeader = try CSV.loadDataset(headless, as: Double.self)
        #expect(noHeader.featureNames == ["column1", "column2"])
        #expect(noHeader.features.rowArrays == [[1, 2], [4, 5]])
        #expect(noHeader.targets.array == [3, 6])
    }

    @Test("numbers parse exactly like the standard library's correctly rounded parser")
    func numberParsing() throws {
        var generator = SeededGenerator(seed: 11)
        var texts: [String] = ["0", "-0", "+1", "1.", ".5", "1e5", "1E-5", "123456789012345678901234", "0.000000000000000000000000001",
                               "9007199254740993", "2.2250738585072014e-308", "4.9e-324", "3.4028234e38", "0x1p-3",
                               "0.1", "0.30000000000000004", "  7.25  "]
        for _ in 0..<2000 {
            let value = (generator.nextUnit() - 0.5) * pow(10, Double(Int(generator.next() % 40) - 20))
            texts.append(value.description)
            texts.append(String(format: "%.17g", value))
            texts.append(String(format: "%.6e", value))
            texts.append(String(format: "%.3f", value))
            texts.append(Float(value).description)
        }
        // The largest double overflows float32: an error in float, exact in double.
        let largest = try CSV.readColumns(file("v\n1.7976931348623157e308\n"), as: Double.self).values
        #expect(largest[0, 0] == .greatestFiniteMagnitude)
        #expect(throws: DescentError.self) { try CSV.readColumns(file("v\n1.7976931348623157e308\n"), as: Float.self) }
        let path = file("v\n" + texts.joined(separator: "\n") + "\n")
        let doubles = try CSV.readColumns(path, as: Double.self).values
        let floats = try CSV.readColumns(path, as: Float.self).values
        for (i, text) in texts.enumerated() {
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            let expectedDouble = trimmed.hasPrefix("0x") ? 0.125 : Double(trimmed)!
            let expectedFloat = trimmed.hasPrefix("0x") ? Float(0.125) : Float(trimmed)!
            #expect(doubles[i, 0].bitPattern == expectedDouble.bitPattern, "'\(text)' as Double")
            #expect(floats[i, 0].bitPattern == expectedFloat.bitPattern, "'\(text)' as Float")
        }
    }

    @Test("a number is parsed in the pass that finds its field's end, and the general path takes every other field")
    func fusedFields() throws {
        // Plain numbers before a delimiter, LF, CRLF, a CR at the end of the file; blanks and
        // quotes (general path); 17-digit, >19-digit and subnormal values (strtod).
        let text = "a,b,c\n1.5,-2e3,0.1\r\n \t7 ,\"8\",9.\n0.30000000000000004,123456789012345678901234,4.9e-324\n+.5,1E2,3\r"
        let values = try CSV.readColumns(file(text), as: Double.self).values
        #expect(values.rowArrays == [[1.5, -2000, 0.1], [7, 8, 9], [0.30000000000000004, 1.2345678901234568e23, .leastNonzeroMagnitude], [0.5, 100, 3]])
        // A delimiter that can be part of a number turns the fused path off.
        let dotted = try CSV.readColumns(file("1.2\n3.4\n"), format: CSVFormat(delimiter: UInt8(ascii: ".")), as: Double.self).values
        #expect(dotted.rowArrays == [[1, 2], [3, 4]])
        let tabbed = try CSV.readColumns(file("x\ty\n1e-3\t-0\n"), format: CSVFormat(delimiter: 0x09), as: Float.self).values
        #expect(tabbed.rowArrays == [[0.001, 0]])
        // Numbers followed by anything but the field's end are errors, on the right line and column.
        for (bad, column) in [("a,b\n1,2\n1.5\r2,3\n", 1), ("a,b\n1,2\n3,1e\n", 2), ("a,b\n1,2\n3,1.5x\n", 2), ("a,b\n1,2\n-,3\n", 1),
                              ("a,b\n1,2\n3,1e5.5\n", 2), ("a,b\n1,2\n1 2,3\n", 1), ("a,b\n1,2\n3,1e999\r\n", 2)] {
            #expect {
                _ = try CSV.readColumns(file(bad), as: Double.self)
            } throws: { error in
                guard case DescentError.invalidData(let location, _) = error else { return false }
                return location.line == 3 && location.column == column
            }
        }
    }

    @Test("errors name the file, line, column and what was expected", arguments: [1, 8 << 20])
    func errors(chunkSize: Int) throws {
        let cases: [(String, Int, Int, String)] = [
            ("a,b\n1,2\n3,x7\n", 3, 2, "expected a number, found 'x7' (column 'b')"),
            ("a,b\n1,2\n# note\r\n\r\n3,nan\n", 5, 2, "non-finite value 'nan'"),
            ("a,b\n1,inf\n", 2, 2, "non-finite value 'inf'"),
            ("a,b\n1,1e400\n", 2, 2, "non-finite value '1e400'"),
            ("a,b\n1,2\n3\n", 3, 2, "expected 2 fields, found 1"),
            ("a,b\n1,2,3\n", 2, 3, "expected 2 fields, found more"),
            ("a,b\n1,\n", 2, 2, "expected a number, found an empty field"),
            ("a,b\n1,\"2\n", 2, 2, "unterminated quoted field"),
            ("a,b\n1,\"2\"x\n", 2, 2, "after a closing quote"),
            ("a,b\n", 2, 0, "no data rows"),
        ]
        for (text, line, column, message) in cases {
            let path = file(text)
            do {
                _ = try CSV.loadDataset(path, format: CSVFormat(chunkSize: chunkSize), as: Double.self)
                Issue.record("\(text.debugDescription) should fail")
            } catch let error as DescentError {
                guard case .invalidData(let location, let reason) = error else { Issue.record("\(error)"); continue }
                #expect(location.file == path)
                #expect(location.line == line, "\(text.debugDescription): \(error)")
                if column > 0 { #expect(location.column == column, "\(text.debugDescription): \(error)") }
                #expect(reason.contains(message), "\(text.debugDescription): \(error)")
                #expect(error.exitCode == 1)
            }
        }
    }

    @Test("unknown column names are usage errors listing the columns")
    func unknownColumns() throws {
        let path = file("a,b,c\n1,2,3\n")
        #expect(throws: DescentError.invalidParameter(name: "--target", value: "z", expected: "one of the columns of \(path): a, b, c (or a 0-based index below 3)")) {
            try CSV.loadDataset(path, target: "z", as: Double.self)
        }
        #expect(throws: DescentError.self) { try CSV.loadDataset(path, target: "a", features: ["a", "b"], as: Double.self) }
    }

    @Test("written files read back exactly, with a quoted header and many rows across chunks")
    func roundTrip() throws {
        try roundTrip(Double.self)
        try roundTrip(Float.self)
    }

    private func roundTrip<S: BLASScalar>(_: S.Type) throws {
        let problem = SyntheticData.make(rows: 3000, features: 4, noise: 0.5, seed: 9, as: S.self)
        var dataset = problem.dataset
        dataset.featureNames = ["a", "b,comma", "c \"q\"", "d"]
        dataset.targetName = "y"
        let path = makeTemporaryDirectory() + "/round.csv"
        try CSV.write(dataset, to: path)
        for chunkSize in [4096, 8 << 20] {
            let back = try CSV.loadDataset(path, format: CSVFormat(chunkSize: chunkSize), as: S.self)
            #expect(back.featureNames == dataset.featureNames)
            #expect(back.features == dataset.features)
            #expect(back.targets == dataset.targets)
        }
    }

    @Test("NumPy's savetxt output reads as the values NumPy wrote in .npy")
    func readsNumPyText() throws {
        let csv = try CSV.readColumns(fixturePath("predict_features.csv"), as: Double.self)
        let npy = try NPY.read(fixturePath("predict_features.npy"), as: Double.self).matrix
        #expect(csv.names == ["a", "b", "c"])
        #expect(csv.values == npy)
    }
}
