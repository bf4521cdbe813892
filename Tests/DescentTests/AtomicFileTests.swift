import Descent
import Foundation
import Testing

@Suite("Atomic file writes")
struct AtomicFileTests {
    @Test("writes bytes and text, replacing an existing file")
    func writesAndReplaces() throws {
        let directory = makeTemporaryDirectory()
        let path = directory + "/out.txt"
        try AtomicFile.write("first version", to: path)
        #expect(fileBytes(path) == Array("first version".utf8))
        try AtomicFile.write([1, 2, 3], to: path)
        #expect(fileBytes(path) == [1, 2, 3])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.txt"])
    }

    @Test("a failure mid-write leaves the old file intact and no temporary file behind")
    func failureKeepsOldFile() throws {
        struct Interrupted: Error {}
        let directory = makeTemporaryDirectory()
        let path = directory + "/model.json"
        try AtomicFile.write("old contents", to: path)
        #expect(throws: Interrupted.self) {
            try AtomicFile.write(to: path) { writer in
                try writer.write("new contents, half of th")
                throw Interrupted()
            }
        }
        #expect(String(decoding: fileBytes(path), as: UTF8.self) == "old contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.json"])
    }

    @Test("writes at offsets from several threads land in place")
    func offsetWrites() throws {
        let path = makeTemporaryDirectory() + "/blocks.bin"
        try AtomicFile.write(to: path) { writer in
            try writer.resize(to: 400)
            DispatchQueue.concurrentPerform(iterations: 4) { block in
                let bytes = [UInt8](repeating: UInt8(block + 1), count: 100)
                try! bytes.withUnsafeBytes { try writer.write($0, atOffset: block * 100) }
            }
        }
        let bytes = fileBytes(path)
        #expect(bytes.count == 400)
        for block in 0..<4 {
            let expected = [UInt8](repeating: UInt8(block + 1), count: 100)
            #expect(Array(bytes[(block * 100)..<(block * 100 + 100)]) == expected)
        }
    }

    @Test("an unwritable destination is an I/O error naming the path")
    func unwritableDirectory() {
        let path = "/nonexistent-directory-\(UUID().uuidString)/out.txt"
        do {
            try AtomicFile.write("x", to: path)
            Issue.record("expected an error")
        } catch let error as DescentError {
            guard case .io(let reported, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(reported == path)
            #expect(error.exitCode == 1)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
