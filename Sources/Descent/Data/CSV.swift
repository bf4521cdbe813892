/// How a CSV file is laid out.
public struct CSVFormat: Sendable, Equatable {
    /// The field separator (one byte): `,` by default, `\t` for TSV, `;`.
    public var delimiter: UInt8
    /// Lines starting with this byte are skipped (`#` by default; nil: none).
    public var commentPrefix: UInt8?
    /// Whether the first record is a header of names; nil: detect it (a first record that is
    /// all numbers is data, and the columns are named `column1`, `column2`, …).
    public var hasHeader: Bool?
    /// The bytes per chunk parsed in parallel (8 MiB by default; the result never depends on it).
    public var chunkSize: Int

    /// Creates a format.
    public init(delimiter: UInt8 = UInt8(ascii: ","), commentPrefix: UInt8? = UInt8(ascii: "#"), hasHeader: Bool? = nil,
                chunkSize: Int = 8 << 20) {
        precondition(chunkSize >= 1, "CSVFormat: chunk size must be positive, got \(chunkSize)")
        self.delimiter = delimiter
        self.commentPrefix = commentPrefix
        self.hasHeader = hasHeader
        self.chunkSize = chunkSize
    }
}

/// Numeric columns read from a CSV file.
public struct CSVColumns<Scalar: BLASScalar>: Sendable {
    /// All column names in the file (from the header, or `column1`, … without one).
    public var header: [String]
    /// The selected columns, `rows × selected.count`, in selection order.
    public var values: Matrix<Scalar>
    /// The names of the selected columns.
    public var names: [String]
}

/// Reads and writes CSV files of numbers.
///
/// Reading follows RFC 4180 (quoted fields with `""` escapes and embedded delimiters or
/// newlines), accepts LF and CRLF line ends, skips `#` comment lines and blank lines and a
/// leading UTF-8 byte-order mark. Numbers are parsed from the raw bytes of the
/// memory-mapped file, never through a `String` per cell (see `NumberParsing`); columns
/// that are not selected are skipped without being parsed, so they may hold text.
/// Large files are split into chunks at line ends and parsed on all cores; a chunk
/// boundary that falls inside a quoted field is detected and the file is then parsed in
/// one pass instead, so the result never depends on the split.
///
/// Every error names the file, the line and column (field number, 1-based), and what was
/// expected; a non-finite value (`nan`, `inf`, an overflowing number) is an error too.
public enum CSV {
    // MARK: Data sets

    /// A data set from a CSV file: the target is the column named `target` (or, if no
    /// column has that name, a 0-based index; default the last column); the features
    /// are the columns named in `features` (default all others).
    public static func loadDataset<Scalar: BLASScalar>(_ path: String, target: String? = nil, features: [String]? = nil,
                                                       format: CSVFormat = CSVFormat(),
                                                       as _: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        let file = try MappedFile(path: path)
        defer { file.unmap() }
        let layout = try readHeader(file.bytes, path: path, format: format)
        let header = layout.names
        let targetColumn = try resolve(target ?? String(header.count - 1), in: header, option: "--target", path: path)
        var featureColumns: [Int]
        if let features {
            featureColumns = try features.map { try resolve($0, in: header, option: "--features", path: path) }
            if featureColumns.contains(targetColumn) {
                throw DescentError.invalidParameter(name: "--features", value: features.joined(separator: ","),
                                                    expected: "columns other than the target '\(header[targetColumn])'")
            }
        } else {
            featureColumns = (0..<header.count).filter { $0 != targetColumn }
        }
        guard !featureColumns.isEmpty else {
            throw DescentError.invalidData(InputLocation(file: path, line: layout.headerLine),
                                           reason: "no feature columns: the file has only the target column '\(header[targetColumn])'")
        }
        let parsed: ParsedColumns<Scalar> = try parse(file, layout: layout, columns: featureColumns + [targetColumn], splitLast: true, format: format)
        return Dataset(features: parsed.values, targets: parsed.last!,
                       featureNames: featureColumns.map { header[$0] }, targetName: header[targetColumn], source: path)
    }

    /// The columns `columns` (names, or 0-based indices when no column has that name;
    /// default all) of a CSV file as a matrix.
    public static func readColumns<Scalar: BLASScalar>(_ path: String, columns: [String]? = nil, format: CSVFormat = CSVFormat(),
                                                       as _: Scalar.Type = Scalar.self) throws -> CSVColumns<Scalar> {
        let file = try MappedFile(path: path)
        defer { file.unmap() }
        let layout = try readHeader(file.bytes, path: path, format: format)
        let selected = try columns.map { try $0.map { try resolve($0, in: layout.names, option: "column", path: path) } }
            ?? Array(0..<layout.names.count)
        let parsed: ParsedColumns<Scalar> = try parse(file, layout: layout, columns: selected, splitLast: false, format: format)
        return CSVColumns(header: layout.names, values: parsed.values, names: selected.map { layout.names[$0] })
    }

    /// The column names of a CSV file (from its header, or `column1`, … without one).
    public static func readHeader(_ path: String, format: CSVFormat = CSVFormat()) throws -> [String] {
        let file = try MappedFile(path: path)
        defer { file.unmap() }
        return try readHeader(file.bytes, path: path, format: format).names
    }

    /// The column index for a name, or for a 0-based index when no column has that name.
    static func resolve(_ name: String, in header: [String], option: String, path: String) throws -> Int {
        if let index = header.firstIndex(of: name) { return index }
        if let index = Int(name) {
            let resolved = index < 0 ? header.count + index : index
            if resolved >= 0 && resolved < header.count { return resolved }
        }
        throw DescentError.invalidParameter(name: option, value: name,
                                            expected: "one of the columns of \(path): \(header.joined(separator: ", ")) (or a 0-based index below \(header.count))")
    }

    // MARK: Header

    struct Layout {
        var names: [String]
        /// The byte offset where data records start.
        var dataStart: Int
        /// The 1-based line of the header (or of the first record when there is none).
        var headerLine: Int
    }

    /// Skips the BOM, comment and blank lines, and reads the header record (or detects its absence).
    static func readHeader(_ bytes: UnsafeRawBufferPointer, path: String, format: CSVFormat) throws -> Layout {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            throw DescentError.invalidData(InputLocation(file: path, line: 1), reason: "the file is empty: expected a header row of column names")
        }
        let end = base + bytes.count
        var p = base
        if bytes.count >= 3, p[0] == 0xEF, p[1] == 0xBB, p[2] == 0xBF { p += 3 }
        var line = 1
        // Comment and blank lines before the header.
        while p < end {
            if let comment = format.commentPrefix, p.pointee == comment {
                while p < end, p.pointee != 0x0A { p += 1 }
            } else if p.pointee == 0x0D, p + 1 < end, p[1] == 0x0A {
                p += 1
            } else if p.pointee != 0x0A {
                break
            }
            if p < end { p += 1; line += 1 }
        }
        guard p < end else {
            throw DescentError.invalidData(InputLocation(file: path, line: line), reason: "no header row: the file holds only comments or blank lines")
        }
        let recordStart = p
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        while p < end {
            let byte = p.pointee
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if p + 1 < end, p[1] == UInt8(ascii: "\"") { field.append(byte); p += 2; continue }
                    inQuotes = false
                } else {
                    field.append(byte)
                }
                p += 1
                continue
            }
            if byte == UInt8(ascii: "\"") && field.isEmpty { inQuotes = true; p += 1; continue }
            if byte == format.delimiter { fields.append(headerName(field)); field = []; p += 1; continue }
            if byte == 0x0A { break }
            field.append(byte)
            p += 1
        }
        if inQuotes {
            throw DescentError.invalidData(InputLocation(file: path, line: line), reason: "the header has an unterminated quoted field")
        }
        if field.last == 0x0D { field.removeLast() }
        fields.append(headerName(field))
        if p < end { p += 1 }
        let looksNumeric = fields.allSatisfy { name in
            Array(name.utf8).withUnsafeBufferPointer { buffer in
                guard let start = buffer.baseAddress, !buffer.isEmpty else { return false }
                return NumberParsing.parse(start, start + buffer.count, as: Double.self) != nil
            }
        }
        if format.hasHeader == false || (format.hasHeader == nil && looksNumeric) {
            return Layout(names: (1...fields.count).map { "column\($0)" }, dataStart: recordStart - base, headerLine: line)
        }
        return Layout(names: fields, dataStart: p - base, headerLine: line)
    }

    private static func headerName(_ bytes: [UInt8]) -> String {
        String(decoding: bytes, as: UTF8.self).descentTrimmingBlanks()
    }

    // MARK: Parsing

    struct ParsedColumns<Scalar: BLASScalar> {
        var values: Matrix<Scalar>
        var last: Vector<Scalar>?
    }

    /// Parses the data records, keeping `columns` (in that order); with `splitLast` the
    /// last selected column goes to a separate vector.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    static func parse<Scalar: BLASScalar>(_ file: MappedFile, layout: Layout, columns: [Int], splitLast: Bool,
                                          format: CSVFormat) throws -> ParsedColumns<Scalar> {
        let base = file.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let size = file.size
        var slots = [Int](repeating: -1, count: layout.names.count)
        for (slot, column) in columns.enumerated() where slots[column] < 0 { slots[column] = slot }
        let width = columns.count
        // Chunk starts: the first byte after a newline at or past each nominal boundary.
        var starts = [layout.dataStart]
        var nominal = layout.dataStart + format.chunkSize
        while nominal < size {
            var p = nominal
            while p < size, base[p] != 0x0A { p += 1 }
            if p + 1 >= size { break }
            if p + 1 > starts.last! { starts.append(p + 1) }
            nominal = p + 1 + format.chunkSize
        }
        let boundaries = starts + [size]
        let chunkCount = starts.count
        let results = ChunkResults<Scalar>(count: chunkCount)
        let fileBase = SendableRawPointer(UnsafeRawPointer(base))
        let context = ChunkContext(slots: slots, width: width, fieldCount: layout.names.count,
                                   delimiter: format.delimiter, comment: format.commentPrefix)
        DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
            let bytes = fileBase.pointer.assumingMemoryBound(to: UInt8.self)
            var parser = ChunkParser<Scalar>(context: context, base: bytes, start: boundaries[chunk], end: boundaries[chunk + 1],
                                             fileEnd: size)
            parser.run()
            results.store(chunk, parser.result())
        }
        var chunks = results.take()
        // Every path out (an error, the re-parse below, success) frees the chunk buffers.
        defer { for chunk in chunks { chunk.values.pointer.deallocate() } }
        // Verify the speculative split: each chunk must end exactly where the next begins.
        for k in 0..<chunkCount {
            if chunks[k].error != nil { break }
            if chunks[k].stop != boundaries[k + 1] {
                var parser = ChunkParser<Scalar>(context: context, base: base, start: layout.dataStart, end: size, fileEnd: size)
                parser.run()
                for chunk in chunks { chunk.values.pointer.deallocate() }
                chunks = [parser.result()]
                break
            }
        }
        if let failed = chunks.first(where: { $0.error != nil }), let error = failed.error {
            let line = 1 + countNewlines(base, upTo: error.offset)
            var reason = error.reason
            if error.field >= 1 && error.field <= layout.names.count {
                reason += " (column '\(layout.names[error.field - 1])')"
            }
            throw DescentError.invalidData(InputLocation(file: file.path, line: line, column: error.field), reason: reason)
        }
        let rows = chunks.reduce(0) { $0 + $1.rows }
        guard rows > 0 else {
            throw DescentError.invalidData(InputLocation(file: file.path, line: layout.headerLine + 1), reason: "no data rows after the header")
        }
        let kept = splitLast ? width - 1 : width
        let matrix = Matrix<Scalar>(rows: rows, columns: kept, unsafeUninitializedWith: { _ in })
        let last: Vector<Scalar>? = splitLast ? Vector(unsafeUninitializedCount: rows) { _ in } : nil
        var offsets: [Int] = []
        var running = 0
        for chunk in chunks { offsets.append(running); running += chunk.rows }
        let out = SendablePointer(matrix.baseAddress)
        let outLast = last.map { SendablePointer($0.baseAddress) }
        let frozen = chunks
        let rowOffsets = offsets
        DispatchQueue.concurrentPerform(iterations: frozen.count) { k in
            let chunk = frozen[k]
            let source = chunk.values.pointer
            for i in 0..<chunk.rows {
                let row = source + i * width
                (out.pointer + (rowOffsets[k] + i) * kept).update(from: row, count: kept)
                if let outLast { outLast.pointer[rowOffsets[k] + i] = row[width - 1] }
            }
        }
        return ParsedColumns(values: matrix, last: last)
    }

    static func countNewlines(_ base: UnsafePointer<UInt8>, upTo offset: Int) -> Int {
        var count = 0
        for k in 0..<offset where base[k] == 0x0A { count += 1 }
        return count
    }

    // MARK: Writing

    /// Writes a data set with a header (feature names, then the target name), atomically.
    public static func write<Scalar: BLASScalar>(_ dataset: Dataset<Scalar>, to path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        let d = dataset.featureCount
        try write(header: dataset.featureNames + [dataset.targetName], rows: dataset.rowCount, to: path, delimiter: delimiter) { row, out in
            let x = dataset.features.baseAddress + row * d
            for j in 0..<d { out(x[j]) }
            out(dataset.targets[row])
        }
    }

    /// Writes a matrix with a header of column names, atomically.
    public static func write<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>, header: [String], to path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws {
        precondition(header.count == matrix.columns, "CSV.write: \(header.count) names for \(matrix.columns) columns")
        let d = matrix.columns
        try write(header: header, rows: matrix.rows, to: path, delimiter: delimiter) { row, out in
            let x = matrix.baseAddress + row * d
            for j in 0..<d { out(x[j]) }
        }
    }

    /// Writes one column with a header name (e.g. `prediction`), atomically.
    public static func write<Scalar: BLASScalar>(_ vector: Vector<Scalar>, header: String, to path: String) throws {
        try write(header: [header], rows: vector.count, to: path, delimiter: UInt8(ascii: ",")) { row, out in out(vector[row]) }
    }

    /// The text of a header record: names quoted when they contain a delimiter, quote or newline.
    public static func headerLine(_ names: [String], delimiter: UInt8 = UInt8(ascii: ",")) -> String {
        names.map { quoteIfNeeded($0, delimiter: delimiter) }.joined(separator: String(UnicodeScalar(delimiter))) + "\n"
    }

    /// Appends one record of numbers (shortest round-trip text) and a newline to `out`.
    public static func appendRecord<Scalar: BLASScalar>(_ values: UnsafeBufferPointer<Scalar>, delimiter: UInt8 = UInt8(ascii: ","), to out: inout [UInt8]) {
        for (j, value) in values.enumerated() {
            if j > 0 { out.append(delimiter) }
            appendNumber(value, to: &out)
        }
        out.append(0x0A)
    }

    @inline(__always)
    static func appendNumber<Scalar: BLASScalar>(_ value: Scalar, to out: inout [UInt8]) {
        // `description` is the shortest text that reads back to the same value.
        var text = value.description
        text.withUTF8 { out.append(contentsOf: $0) }
    }

    private static func write<Scalar: BLASScalar>(header: [String], rows: Int, to path: String, delimiter: UInt8,
                                                  row body: (Int, (Scalar) -> Void) -> Void) throws {
        try AtomicFile.write(to: path) { writer in
            try writer.write(headerLine(header, delimiter: delimiter))
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20)
            for i in 0..<rows {
                var first = true
                body(i) { value in
                    if !first { buffer.append(delimiter) }
                    first = false
                    appendNumber(value, to: &buffer)
                }
                buffer.append(0x0A)
                if buffer.count >= 1 << 20 { try writer.write(buffer); buffer.removeAll(keepingCapacity: true) }
            }
            try writer.write(buffer)
        }
    }

    static func quoteIfNeeded(_ name: String, delimiter: UInt8) -> String {
        let special = name.utf8.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
        guard special else { return name }
        var quoted = "\""
        for character in name { quoted += character == "\"" ? "\"\"" : String(character) }
        return quoted + "\""
    }
}

// MARK: - Chunk parsing

/// What every chunk parser shares.
struct ChunkContext: Sendable {
    /// For each file column, its output slot, or -1 to skip it.
    let slots: [Int]
    /// The number of output slots.
    let width: Int
    /// The number of fields every record must have.
    let fieldCount: Int
    let delimiter: UInt8
    let comment: UInt8?
}

/// The first error in a chunk: byte offset, 1-based field, what was expected.
struct ChunkError: Sendable {
    var offset: Int
    var field: Int
    var reason: String
}

/// One chunk's rows (row-major, `width` slots each, malloc'ed; the caller frees it).
struct ChunkResult<Scalar: BLASScalar>: Sendable {
    var values: SendablePointer<Scalar>
    var rows: Int
    /// Where parsing stopped: the end of the chunk unless a record ran past it or an error stopped it.
    var stop: Int
    var error: ChunkError?
}

/// Slots for the chunk results, filled from several threads.
final class ChunkResults<Scalar: BLASScalar>: @unchecked Sendable {
    private var results: [ChunkResult<Scalar>?]
    private let lock = Lock()

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ result: ChunkResult<Scalar>) { lock.withLock { results[index] = result } }

    func take() -> [ChunkResult<Scalar>] { lock.withLock { results.map { $0! } } }
}

/// Parses the records that start in `[start, end)` of the file.
struct ChunkParser<Scalar: BLASScalar> {
    let context: ChunkContext
    let base: UnsafePointer<UInt8>
    let start: Int
    let end: Int
    let fileEnd: Int
    private var values: UnsafeMutablePointer<Scalar>
    private var capacity: Int
    private var rows = 0
    private var stop: Int
    private var error: ChunkError?

    init(context: ChunkContext, base: UnsafePointer<UInt8>, start: Int, end: Int, fileEnd: Int) {
        self.context = context
        self.base = base
        self.start = start
        self.end = end
        self.fileEnd = fileEnd
        self.stop = start
        // A first guess of the row count (about 8 bytes a field); grown by doubling.
        capacity = max(64, (end - start) / max(1, 8 * context.fieldCount)) * max(1, context.width)
        values = .allocate(capacity: capacity)
    }

    func result() -> ChunkResult<Scalar> {
        ChunkResult(values: SendablePointer(values), rows: rows, stop: stop, error: error)
    }

    private mutating func fail(_ p: UnsafePointer<UInt8>, field: Int, _ reason: String) {
        error = ChunkError(offset: p - base, field: field, reason: reason)
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<Scalar>.allocate(capacity: capacity * 2)
        bigger.update(from: values, count: rows * context.width)
        values.deallocate()
        values = bigger
        capacity *= 2
    }

    mutating func run() {
        let fileEnd = base + self.fileEnd
        let chunkEnd = base + end
        let delimiter = context.delimiter
        let fieldCount = context.fieldCount
        let width = context.width
        var p = base + start
        var slots = context.slots
        let slotCount = slots.count
        // A delimiter that can be part of a number (`.`, `e`, a digit) would be swallowed by the fused path.
        let fusedNumbers = !"0123456789+-.eE".utf8.contains(delimiter)
        defer { stop = p - base }
        return slots.withUnsafeMutableBufferPointer { slotBuffer -> Void in
            let slot = slotBuffer.baseAddress!
            _ = slotCount
            while p < chunkEnd {
                // Comment and blank lines.
                let first = p.pointee
                if let comment = context.comment, first == comment {
                    while p < fileEnd, p.pointee != 0x0A { p += 1 }
                    if p < fileEnd { p += 1 }
                    continue
                }
                if first == 0x0A { p += 1; continue }
                if first == 0x0D, p + 1 < fileEnd, p[1] == 0x0A { p += 2; continue }
                if (rows + 1) * width > capacity { grow() }
                let row = values + rows * width
                var field = 0
                while true {
                    // One field starting at p.
                    let fieldStart = p
                    let target = field < fieldCount ? slot[field] : -2
                    if target == -2 {
                        fail(p, field: field + 1, "expected \(fieldCount) fields, found more")
                        return
                    }
                    // Fast path: a plain number that is the whole field, parsed in the same pass
                    // that finds the field's end. The general path scans the field, then parses
                    // it again; it takes everything else and is the one that reports errors.
                    if target >= 0, fusedNumbers,
                       let (value, stop): (Scalar, UnsafePointer<UInt8>) = NumberParsing.parseField(p, fileEnd, delimiter: delimiter) {
                        row[target] = value
                        p = stop
                    } else {
                        var fieldEnd: UnsafePointer<UInt8>
                        var quoted = false
                        if p < fileEnd, p.pointee == UInt8(ascii: "\"") {
                            // Quoted: find the closing quote ("" is an escaped quote).
                            quoted = true
                            p += 1
                            while true {
                                while p < fileEnd, p.pointee != UInt8(ascii: "\"") { p += 1 }
                                if p >= fileEnd {
                                    fail(fieldStart, field: field + 1, "unterminated quoted field (expected a closing \")")
                                    return
                                }
                                if p + 1 < fileEnd, p[1] == UInt8(ascii: "\"") { p += 2; continue }
                                break
                            }
                            fieldEnd = p
                            p += 1
                            while p < fileEnd, p.pointee == 0x20 || p.pointee == 0x09, delimiter != p.pointee { p += 1 }
                            if p < fileEnd, p.pointee != delimiter, p.pointee != 0x0A, !(p.pointee == 0x0D && (p + 1 == fileEnd || p[1] == 0x0A)) {
                                fail(p, field: field + 1, "expected a delimiter or the end of the line after a closing quote")
                                return
                            }
                        } else {
                            while p < fileEnd, p.pointee != delimiter, p.pointee != 0x0A { p += 1 }
                            fieldEnd = p
                            if fieldEnd > fieldStart, fieldEnd[-1] == 0x0D, p == fileEnd || p.pointee == 0x0A { fieldEnd -= 1 }
                        }
                        if target >= 0 {
                            let contentStart = quoted ? fieldStart + 1 : fieldStart
                            guard let value = number(contentStart, fieldEnd, quoted: quoted, field: field + 1) else { return }
                            row[target] = value
                        }
                    }
                    field += 1
                    if p < fileEnd, p.pointee == delimiter {
                        // Another field follows (possibly empty, at the end of the line).
                        p += 1
                        continue
                    }
                    // End of the record.
                    if field != fieldCount {
                        fail(p, field: field + 1, "expected \(fieldCount) fields, found \(field)")
                        return
                    }
                    while p < fileEnd, p.pointee != 0x0A { p += 1 }
                    if p < fileEnd { p += 1 }
                    break
                }
                rows += 1
            }
        }
    }

    /// The number in a field, or nil after recording an error.
    @inline(__always)
    private mutating func number(_ start: UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, quoted: Bool, field: Int) -> Scalar? {
        var parsed: Scalar?
        if quoted, start < end, memchr(start, Int32(UInt8(ascii: "\"")), end - start) != nil {
            // Unescape "" first (a quote inside a number is an error anyway, but say so clearly).
            parsed = nil
        } else {
            parsed = NumberParsing.parse(start, end, as: Scalar.self)
        }
        guard let value = parsed else {
            let text = String(decoding: UnsafeBufferPointer(start: start, count: min(end - start, 40)), as: UTF8.self)
            let trimmed = text.descentTrimmingBlanks()
            fail(start, field: field, trimmed.isEmpty ? "expected a number, found an empty field" : "expected a number, found '\(text)'")
            return nil
        }
        guard value.isFinite else {
            let text = String(decoding: UnsafeBufferPointer(start: start, count: min(end - start, 40)), as: UTF8.self)
            fail(start, field: field, "non-finite value '\(text)' (\(Scalar.precisionName) \(value))")
            return nil
        }
        return value
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func descentTrimmingBlanks() -> String {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return String(text)
    }
}

import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
