/// The element types a `.npy` file may hold that Descent reads (and converts to `Float`
/// or `Double`).
public enum NPYElementType: String, Sendable, CaseIterable {
    case float16 = "f2", float32 = "f4", float64 = "f8"
    case int8 = "i1", int16 = "i2", int32 = "i4", int64 = "i8"
    case uint8 = "u1", uint16 = "u2", uint32 = "u4", uint64 = "u8"
    case bool = "b1"

    /// Bytes per element.
    public var size: Int { Int(rawValue.dropFirst())! }
}

/// The parsed header of a NumPy `.npy` file (format versions 1.0, 2.0 and 3.0).
public struct NPYHeader: Sendable, Equatable {
    /// The format version, `(major, minor)`: 1.0, 2.0 or 3.0.
    public var majorVersion: Int
    /// The minor format version (always 0 so far).
    public var minorVersion: Int
    /// The dtype descriptor as written, e.g. `"<f8"`.
    public var descriptor: String
    /// The element type.
    public var elementType: NPYElementType
    /// Whether the elements are stored big-endian (`>`): converted on read.
    public var isBigEndian: Bool
    /// Whether the array is stored column-major (Fortran order).
    public var isFortranOrder: Bool
    /// The array shape.
    public var shape: [Int]
    /// The byte offset of the first element (the header size).
    public var dataOffset: Int

    /// The number of elements, the product of the shape.
    public var elementCount: Int { shape.reduce(1, *) }
    /// The number of data bytes.
    public var dataByteCount: Int { elementCount * elementType.size }
}

/// An array read from a `.npy` file, as a flat C-order buffer in `Scalar`.
public struct NPYArray<Scalar: BLASScalar>: Sendable {
    /// The shape (1-D or 2-D for data sets).
    public var shape: [Int]
    /// The elements in C (row-major) order.
    public var storage: AlignedStorage<Scalar>
    /// Whether `storage` is a zero-copy view of the memory-mapped file.
    public var isMemoryMapped: Bool

    /// A 2-D array as a matrix, or a 1-D array of `n` as an `n × 1` matrix (no copy).
    public var matrix: Matrix<Scalar> {
        precondition(shape.count == 1 || shape.count == 2, "NPYArray.matrix: shape \(shape) is not 1-D or 2-D")
        return Matrix(storage: storage, rows: shape[0], columns: shape.count == 2 ? shape[1] : 1)
    }

    /// All elements as a vector (no copy).
    public var vector: Vector<Scalar> { Vector(storage: storage, count: storage.count) }
}

/// Reads and writes NumPy `.npy` files.
///
/// Reading: format versions 1.0, 2.0 and 3.0; little- and big-endian floats (`f2`, `f4`,
/// `f8`), integers and booleans (converted to the requested precision); C and Fortran
/// order. The header is validated against the file size before anything is allocated, so
/// a corrupt or hostile shape is an error, never a huge allocation.
///
/// Memory mapping: the file is mapped copy-on-write (`MAP_PRIVATE`). A little-endian
/// C-order file whose element type is the requested precision, and whose data starts on a
/// 64-byte boundary (NumPy pads headers to 64 bytes, so it always does), is used in place:
/// the array is a zero-copy view of the page cache, and a data set larger than RAM is
/// streamed by the trainer without being loaded whole. Anything else (another element
/// type, Fortran order, big-endian, a misaligned header) is converted into fresh aligned
/// memory in one parallel pass.
///
/// Writing: versions 1.0 (or 2.0 when the header needs it, or on request), little-endian
/// C order, header padded so the data starts on a 64-byte boundary.
public enum NPY {
    static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] // "\x93NUMPY"
    /// Headers longer than this are refused (NumPy itself caps them at 10 000 bytes by default).
    static let maximumHeaderLength = 1 << 20

    // MARK: Reading

    /// Parses and validates the header of `path` against the file size.
    public static func readHeader(_ path: String) throws -> NPYHeader {
        let file = try MappedFile(path: path)
        defer { file.unmap() }
        return try parseHeader(file.bytes, path: path)
    }

    /// Parses the header at the start of `bytes` (a whole file) and checks the data it
    /// announces is exactly the rest of the file.
    static func parseHeader(_ bytes: UnsafeRawBufferPointer, path: String) throws -> NPYHeader {
        func fail(_ offset: Int, _ reason: String) -> DescentError {
            .invalidData(InputLocation(file: path, byteOffset: offset), reason: reason)
        }
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw fail(0, "not a NumPy .npy file (the magic string \\x93NUMPY is missing)")
        }
        let major = Int(bytes[6]), minor = Int(bytes[7])
        let lengthFieldSize: Int
        switch major {
        case 1: lengthFieldSize = 2
        case 2, 3: lengthFieldSize = 4
        default: throw fail(6, ".npy format version \(major).\(minor) is not supported (expected 1.0, 2.0 or 3.0)")
        }
        guard bytes.count >= 8 + lengthFieldSize else { throw fail(8, "the file ends inside the header length") }
        var headerLength = 0
        for k in 0..<lengthFieldSize { headerLength |= Int(bytes[8 + k]) << (8 * k) }
        let headerStart = 8 + lengthFieldSize
        guard headerLength <= maximumHeaderLength else {
            throw fail(8, "the header claims \(headerLength) bytes; refusing headers over \(maximumHeaderLength) bytes")
        }
        guard headerStart + headerLength <= bytes.count else {
            throw fail(8, "the header claims \(headerLength) bytes but the file has only \(bytes.count - headerStart) after the length field")
        }
        let headerBytes = Array(bytes[headerStart..<(headerStart + headerLength)])
        // Versions 1 and 2 are latin-1, version 3 UTF-8; the keys and values we accept are ASCII.
        let text = String(decoding: headerBytes, as: UTF8.self)
        var parser = PythonLiteralParser(text: text)
        let value: PythonLiteral
        do {
            value = try parser.parseValue()
        } catch {
            throw fail(headerStart + error.offset, "malformed header: \(error.reason) in \(text.trimmingTrailingWhitespace())")
        }
        guard case .dictionary(let entries) = value else { throw fail(headerStart, "the header is not a dictionary") }
        func entry(_ key: String) throws -> PythonLiteral {
            guard let found = entries.first(where: { $0.0 == key }) else { throw fail(headerStart, "the header has no '\(key)' key") }
            return found.1
        }
        guard case .string(let descriptor) = try entry("descr") else {
            throw fail(headerStart, "structured arrays are not supported: 'descr' must be a simple dtype such as '<f8'")
        }
        guard case .bool(let fortranOrder) = try entry("fortran_order") else {
            throw fail(headerStart, "'fortran_order' must be True or False")
        }
        guard case .tuple(let dimensions) = try entry("shape") else { throw fail(headerStart, "'shape' must be a tuple") }
        var shape: [Int] = []
        for dimension in dimensions {
            guard case .integer(let extent) = dimension, extent >= 0 else {
                throw fail(headerStart, "'shape' must hold non-negative integers")
            }
            shape.append(extent)
        }
        let (elementType, bigEndian) = try parseDescriptor(descriptor, fail: { fail(headerStart, $0) })
        // Overflow-checked size: an absurd shape must be an error, never an allocation.
        var count = 1
        for extent in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw fail(headerStart, "the shape \(shape) has more elements than fit in memory") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: elementType.size)
        let dataOffset = headerStart + headerLength
        guard !overflow, byteCount == bytes.count - dataOffset else {
            throw fail(dataOffset, "the header announces shape \(shape) of \(descriptor) (\(overflow ? "too many" : String(byteCount)) bytes) but the file holds \(bytes.count - dataOffset) data bytes")
        }
        return NPYHeader(majorVersion: major, minorVersion: minor, descriptor: descriptor, elementType: elementType,
                         isBigEndian: bigEndian, isFortranOrder: fortranOrder, shape: shape, dataOffset: dataOffset)
    }

    private static func parseDescriptor(_ descriptor: String, fail: (String) -> DescentError) throws -> (NPYElementType, Bool) {
        var code = Substring(descriptor)
        var bigEndian = false
        if let first = code.first, "<>|=".contains(first) {
            bigEndian = first == ">"
            code = code.dropFirst()
        }
        guard let type = NPYElementType(rawValue: String(code)) else {
            throw fail("unsupported dtype '\(descriptor)' (expected a float, integer or bool type such as '<f8', '<f4' or '<i8')")
        }
        if type.size == 1 { bigEndian = false }
        return (type, bigEndian)
    }

    /// Reads the array in `path` as `Scalar`, in C order.
    ///
    /// With `memoryMap` (the default) a little-endian C-order file of `Scalar`'s own type is
    /// a zero-copy view of the mapped file; anything else is converted into new memory.
    /// Non-finite values are errors naming their position.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    public static func read<Scalar: BLASScalar>(_ path: String, as _: Scalar.Type = Scalar.self,
                                                memoryMap: Bool = true) throws -> NPYArray<Scalar> {
        let file = try MappedFile(path: path)
        var keepMapping = false
        defer { if !keepMapping { file.unmap() } }
        let header = try parseHeader(file.bytes, path: path)
        let count = header.elementCount
        let data = file.bytes.baseAddress.map { UnsafeRawPointer($0) + header.dataOffset }
        let nativeType: NPYElementType = Scalar.self == Float.self ? .float32 : .float64
        let inPlace = memoryMap && header.elementType == nativeType && !header.isBigEndian
            && (!header.isFortranOrder || header.shape.count < 2)
            && count > 0 && Int(bitPattern: data) % storageAlignment == 0
        let storage: AlignedStorage<Scalar>
        if inPlace, let data {
            let pointer = UnsafeMutableRawPointer(mutating: data).bindMemory(to: Scalar.self, capacity: count)
            storage = AlignedStorage(borrowing: pointer, count: count, isFileMapping: true, release: file.unmapper)
            keepMapping = true
        } else {
            storage = AlignedStorage(uninitializedCount: count)
            if count > 0, let data { convert(header, from: data, into: storage.pointer) }
        }
        try checkFinite(storage, header: header, path: path)
        return NPYArray(shape: header.shape, storage: storage, isMemoryMapped: keepMapping)
    }

    /// Converts the file's elements into C-order `Scalar`s, in parallel row blocks.
    private static func convert<Scalar: BLASScalar>(_ header: NPYHeader, from data: UnsafeRawPointer,
                                                    into out: UnsafeMutablePointer<Scalar>) {
        let count = header.elementCount
        let type = header.elementType
        let swap = header.isBigEndian
        // Fortran order with shape (r, c, …): element (i, j) of a 2-D array is at j·r + i.
        let transpose = header.isFortranOrder && header.shape.count >= 2
        let rows = header.shape.first ?? 1
        let columns = transpose ? count / max(rows, 1) : 1
        let source = SendableRawPointer(data)
        let target = SendablePointer(out)
        let blockSize = 1 << 16
        if transpose {
            // C-order element k = i·columns + j  ⟵  Fortran element j·rows + i.
            parallelForBlocks(count: rows, blockSize: max(1, blockSize / max(columns, 1))) { range in
                for i in range {
                    for j in 0..<columns {
                        target.pointer[i * columns + j] = element(source.pointer, j * rows + i, type, swap)
                    }
                }
            }
        } else {
            parallelForBlocks(count: count, blockSize: blockSize) { range in
                for k in range { target.pointer[k] = element(source.pointer, k, type, swap) }
            }
        }
    }

    /// Element `index` of a raw buffer of `type`, converted to `Scalar`.
    @inline(__always)
    private static func element<Scalar: BLASScalar>(_ base: UnsafeRawPointer, _ index: Int, _ type: NPYElementType, _ swap: Bool) -> Scalar {
        @inline(__always) func integer<T: FixedWidthInteger>(_: T.Type) -> Scalar {
            let raw = base.loadUnaligned(fromByteOffset: index * MemoryLayout<T>.size, as: T.self)
            return Scalar(swap ? raw.byteSwapped : raw)
        }
        switch type {
        case .float64:
            let bits = base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)
            return Scalar(Double(bitPattern: swap ? bits.byteSwapped : bits))
        case .float32:
            let bits = base.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self)
            return Scalar(Float(bitPattern: swap ? bits.byteSwapped : bits))
        case .float16:
            let bits = base.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)
            return Scalar(halfToFloat(swap ? bits.byteSwapped : bits))
        case .int8: return integer(Int8.self)
        case .int16: return integer(Int16.self)
        case .int32: return integer(Int32.self)
        case .int64: return integer(Int64.self)
        case .uint8, .bool: return integer(UInt8.self)
        case .uint16: return integer(UInt16.self)
        case .uint32: return integer(UInt32.self)
        case .uint64: return integer(UInt64.self)
        }
    }

    /// IEEE half precision to `Float` (portable: `Float16` is not on every platform).
    static func halfToFloat(_ bits: UInt16) -> Float {
        let sign: Float = bits & 0x8000 != 0 ? -1 : 1
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Float(bits & 0x3FF)
        switch exponent {
        case 0: return sign * fraction * 0x1p-24
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction * 0x1p-10) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }

    /// Throws for the first non-finite element, naming its index and byte offset.
    private static func checkFinite<Scalar: BLASScalar>(_ storage: AlignedStorage<Scalar>, header: NPYHeader, path: String) throws {
        let count = storage.count
        let pointer = SendablePointer(storage.pointer)
        let blockSize = 1 << 18
        let blocks = (count + blockSize - 1) / blockSize
        let firstBad = FirstIndex()
        parallelForBlocks(count: count, blockSize: blockSize) { range in
            var allFinite = true
            for k in range { allFinite = allFinite && pointer.pointer[k].isFinite }
            if !allFinite, let k = range.first(where: { !pointer.pointer[$0].isFinite }) { firstBad.record(k) }
        }
        _ = blocks
        guard let k = firstBad.value else { return }
        let columns = header.shape.count >= 2 ? header.shape.dropFirst().reduce(1, *) : 1
        let (row, column) = (k / columns, k % columns)
        let fileIndex = header.isFortranOrder && header.shape.count >= 2 ? column * header.shape[0] + row : k
        throw DescentError.invalidData(
            InputLocation(file: path, byteOffset: header.dataOffset + fileIndex * header.elementType.size),
            reason: "non-finite value \(storage.pointer[k]) at row \(row), column \(column) (0-based)")
    }

    // MARK: Data sets

    /// A data set from a `.npy` file.
    ///
    /// - A 2-D array is features then target: the target is column `targetIndex` (negative
    ///   counts from the end; default the last) and the features are the other columns.
    /// - With `labelsPath`, the targets come from that separate 1-D file (or a 2-D `n × 1`
    ///   one) and every column of `path` is a feature; a 1-D `path` is a single feature.
    ///
    /// Layout and copies: with separate labels, a C-order file of the requested precision
    /// is used in place (the features are a zero-copy view of the page cache: the layout to
    /// use for data larger than RAM; `descent generate --labels-output` writes it). When the
    /// target is a column, the features are not contiguous in the file (every row has the
    /// target interleaved), and ``Matrix`` is contiguous with leading dimension equal to
    /// its column count, so the features are copied into an aligned `n × d` buffer in one
    /// parallel pass over row blocks (the file's pages are read once, from the page cache).
    public static func loadDataset<Scalar: BLASScalar>(_ path: String, targetIndex: Int? = nil, labelsPath: String? = nil,
                                                       featureNames: [String]? = nil, targetName: String? = nil,
                                                       rows rowRange: Range<Int>? = nil,
                                                       as _: Scalar.Type = Scalar.self) throws -> Dataset<Scalar> {
        let array = try read(path, as: Scalar.self)
        // Shape errors point at the header's dictionary, where the shape is written: byte 10
        // (version 1.0) or 12 (2.0 and 3.0, whose length field is 4 bytes).
        func headerLocation(_ file: String) -> InputLocation {
            let version = (try? readHeader(file).majorVersion) ?? 1
            return InputLocation(file: file, byteOffset: version >= 2 ? 12 : 10)
        }
        // Only rows `rowRange` (one rank's share in a distributed run): a view of the mapped
        // file, so other ranks' rows are never read.
        func local(_ matrix: Matrix<Scalar>) throws -> Matrix<Scalar> {
            guard let rowRange else { return matrix }
            guard rowRange.lowerBound >= 0, rowRange.upperBound <= matrix.rows else {
                throw DescentError.shapeMismatch("\(path) has \(matrix.rows) rows; rows \(rowRange) were asked for")
            }
            return matrix.rowBlock(rowRange)
        }
        guard array.shape.count == 1 || array.shape.count == 2 else {
            throw DescentError.invalidData(headerLocation(path), reason: "expected a 1-D or 2-D array, found shape \(array.shape)")
        }
        // An empty array has no samples; its other extent is unchecked by the file size
        // (0 × 2⁶² is 0 bytes), so it must not size anything (issue 7, found by FuzzNPY).
        guard array.storage.count > 0 else {
            throw DescentError.invalidData(headerLocation(path), reason: "the array is empty (shape \(array.shape)): no samples")
        }
        if let labelsPath {
            if targetIndex != nil {
                throw DescentError.invalidParameter(name: "--target", value: String(targetIndex!), expected: "no target column when --labels gives the targets")
            }
            let labels = try read(labelsPath, as: Scalar.self)
            guard labels.shape.count == 1 || (labels.shape.count == 2 && labels.shape[1] == 1) else {
                throw DescentError.invalidData(headerLocation(labelsPath), reason: "labels must be 1-D (or n × 1), found shape \(labels.shape)")
            }
            let features = array.matrix
            guard labels.shape[0] == features.rows else {
                throw DescentError.shapeMismatch("\(path) has \(features.rows) rows but \(labelsPath) has \(labels.shape[0]) labels")
            }
            let localFeatures = try local(features)
            let targetRows = rowRange ?? 0..<labels.shape[0]
            return Dataset(features: localFeatures, targets: Vector(storage: labels.storage, offset: targetRows.lowerBound, count: targetRows.count),
                           featureNames: try names(featureNames, count: features.columns, path: path),
                           targetName: targetName ?? "y", source: path)
        }
        guard array.shape.count == 2, array.shape[1] >= 2 else {
            throw DescentError.invalidData(headerLocation(path), reason: "expected a 2-D array of features then target (at least 2 columns), found shape \(array.shape); pass --labels for separate targets")
        }
        let all = try local(array.matrix)
        let columns = all.columns
        let index = targetIndex ?? (columns - 1)
        let resolved = index < 0 ? columns + index : index
        guard resolved >= 0, resolved < columns else {
            throw DescentError.invalidParameter(name: "--target", value: String(index), expected: "a column index in \(-columns)..<\(columns) for \(path)")
        }
        let (features, targets) = splitTargetColumn(all, target: resolved)
        return Dataset(features: features, targets: targets,
                       featureNames: try names(featureNames, count: columns - 1, path: path),
                       targetName: targetName ?? "y", source: path)
    }

    private static func names(_ given: [String]?, count: Int, path: String) throws -> [String] {
        guard let given else { return (0..<count).map { "x\($0)" } }
        guard given.count == count else {
            throw DescentError.shapeMismatch("\(path) has \(count) feature columns but \(given.count) feature names were given")
        }
        return given
    }

    /// Copies the columns other than `target` into an aligned matrix, and `target` into a
    /// vector, in parallel row blocks of about 256 KB.
    ///
    /// The rows are consumed in order, in chunks of about 1 MiB; when `all` is a memory-mapped
    /// file each consumed chunk's pages are released (``AlignedStorage/releasePages(_:)``), so
    /// peak memory is the copy plus one chunk, not the copy plus the whole file (issue 6).
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    static func splitTargetColumn<Scalar: BLASScalar>(_ all: Matrix<Scalar>, target: Int) -> (Matrix<Scalar>, Vector<Scalar>) {
        let n = all.rows, width = all.columns, d = width - 1
        let features = Matrix<Scalar>(rows: n, columns: d, unsafeUninitializedWith: { _ in })
        let targets = Vector<Scalar>(unsafeUninitializedCount: n) { _ in }
        let source = SendablePointer(all.baseAddress)
        let x = SendablePointer(features.baseAddress)
        let y = SendablePointer(targets.baseAddress)
        let rowBytes = max(1, width * MemoryLayout<Scalar>.stride)
        let rowsPerBlock = max(1, (256 << 10) / rowBytes)
        let rowsPerChunk = max(rowsPerBlock, (1 << 20) / rowBytes / rowsPerBlock * rowsPerBlock)
        MappedFile.streamChunks(count: n, chunk: rowsPerChunk, { chunk in
            parallelForBlocks(count: chunk.count, blockSize: rowsPerBlock) { range in
                for i in (chunk.lowerBound + range.lowerBound)..<(chunk.lowerBound + range.upperBound) {
                    let row = source.pointer + i * width
                    let out = x.pointer + i * d
                    if target > 0 { out.update(from: row, count: target) }
                    if target < d { (out + target).update(from: row + target + 1, count: d - target) }
                    y.pointer[i] = row[target]
                }
            }
        }, release: { rows in
            all.storage.releasePages((all.offset + rows.lowerBound * width)..<(all.offset + rows.upperBound * width))
        })
        return (features, targets)
    }

    // MARK: Writing

    /// The header bytes (magic, version, length, dictionary, padding) for an array of
    /// `Scalar` with `shape`, C order. `version` 1 or 2; 1 is promoted to 2 if the header
    /// does not fit a version-1 length field. The result's length is a multiple of 64.
    public static func header<Scalar: BLASScalar>(for _: Scalar.Type, shape: [Int], version: Int = 1) -> [UInt8] {
        precondition(version == 1 || version == 2, "NPY.header: version must be 1 or 2, got \(version)")
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dictionary = "{'descr': '\(Scalar.numpyDescriptor)', 'fortran_order': False, 'shape': \(shapeText), }"
        var chosen = version
        func build(_ version: Int) -> [UInt8] {
            let prefixLength = version == 1 ? 10 : 12
            let unpadded = prefixLength + dictionary.utf8.count + 1
            let total = (unpadded + 63) / 64 * 64
            let headerLength = total - prefixLength
            var bytes = magic + [UInt8(version), 0]
            for k in 0..<(version == 1 ? 2 : 4) { bytes.append(UInt8((headerLength >> (8 * k)) & 0xFF)) }
            bytes += Array(dictionary.utf8)
            bytes += [UInt8](repeating: UInt8(ascii: " "), count: total - bytes.count - 1)
            bytes.append(UInt8(ascii: "\n"))
            return bytes
        }
        if chosen == 1, 10 + dictionary.utf8.count + 1 + 63 > 0xFFFF { chosen = 2 }
        return build(chosen)
    }

    /// Writes `matrix` as a 2-D C-order array, atomically.
    public static func write<Scalar: BLASScalar>(_ matrix: Matrix<Scalar>, to path: String, version: Int = 1) throws {
        try AtomicFile.write(to: path) { writer in
            try writer.write(header(for: Scalar.self, shape: [matrix.rows, matrix.columns], version: version))
            try matrix.withUnsafeBufferPointer { try writer.write(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Writes `vector` as a 1-D array, atomically.
    public static func write<Scalar: BLASScalar>(_ vector: Vector<Scalar>, to path: String, version: Int = 1) throws {
        try AtomicFile.write(to: path) { writer in
            try writer.write(header(for: Scalar.self, shape: [vector.count], version: version))
            try vector.withUnsafeBufferPointer { try writer.write(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Writes a data set as one 2-D array, features then the target as the last column.
    public static func write<Scalar: BLASScalar>(_ dataset: Dataset<Scalar>, to path: String, version: Int = 1) throws {
        let n = dataset.rowCount, d = dataset.featureCount
        let combined = Matrix<Scalar>(rows: n, columns: d + 1) { out in
            for i in 0..<n {
                (out.baseAddress! + i * (d + 1)).update(from: dataset.features.baseAddress + i * d, count: d)
                out[i * (d + 1) + d] = dataset.targets[i]
            }
        }
        try write(combined, to: path, version: version)
    }
}

/// Records the smallest index reported by several threads.
final class FirstIndex: @unchecked Sendable {
    private var stored: Int?
    private let lock = Lock()

    func record(_ index: Int) {
        lock.withLock { if stored == nil || index < stored! { stored = index } }
    }

    var value: Int? { lock.withLock { stored } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex (small and portable; `Synchronization.Mutex` needs a newer deployment target on some platforms).
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

extension String {
    func trimmingTrailingWhitespace() -> String {
        var text = Substring(self)
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}

// MARK: - The header's Python literal

/// The subset of Python literals a `.npy` header uses.
enum PythonLiteral: Equatable {
    case string(String)
    case integer(Int)
    case bool(Bool)
    case none
    case tuple([PythonLiteral])
    case list([PythonLiteral])
    case dictionary([(String, PythonLiteral)])

    static func == (lhs: PythonLiteral, rhs: PythonLiteral) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a == b
        case (.integer(let a), .integer(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.none, .none): return true
        case (.tuple(let a), .tuple(let b)), (.list(let a), .list(let b)): return a == b
        case (.dictionary(let a), .dictionary(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }
}

/// A recursive-descent parser for ``PythonLiteral``.
struct PythonLiteralParser {
    struct Failure: Error {
        var offset: Int
        var reason: String
    }

    private let bytes: [UInt8]
    private var position = 0
    /// Nesting depth; a hostile header of thousands of '(' must be an error, not a stack overflow.
    private var depth = 0
    static let maximumDepth = 16

    init(text: String) { bytes = Array(text.utf8) }

    private mutating func skipSpace() {
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x09 || bytes[position] == 0x0D {
            position += 1
        }
    }

    private func failure(_ reason: String) -> Failure { Failure(offset: position, reason: reason) }

    mutating func parseValue() throws(Failure) -> PythonLiteral {
        depth += 1
        defer { depth -= 1 }
        guard depth <= PythonLiteralParser.maximumDepth else { throw failure("nested more than \(PythonLiteralParser.maximumDepth) levels deep") }
        skipSpace()
        guard position < bytes.count else { throw failure("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "("):
            return .tuple(try parseSequence(close: UInt8(ascii: ")")))
        case UInt8(ascii: "["):
            return .list(try parseSequence(close: UInt8(ascii: "]")))
        case UInt8(ascii: "{"):
            position += 1
            var entries: [(String, PythonLiteral)] = []
            while true {
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .dictionary(entries) }
                guard case .string(let key) = try parseValue() else { throw failure("dictionary keys must be strings") }
                skipSpace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected ':'") }
                position += 1
                entries.append((key, try parseValue()))
                skipSpace()
                guard position < bytes.count else { throw failure("unterminated dictionary") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                guard bytes[position] == UInt8(ascii: "}") else { throw failure("expected ',' or '}'") }
            }
        default:
            let start = position
            while position < bytes.count, bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "_")
                || (bytes[position] >= 0x30 && bytes[position] <= 0x39) || (bytes[position] | 0x20 >= 0x61 && bytes[position] | 0x20 <= 0x7A) {
                position += 1
            }
            let word = String(decoding: bytes[start..<position], as: UTF8.self)
            switch word {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            default:
                var digits = Substring(word)
                if digits.hasSuffix("L") { digits = digits.dropLast() } // Python 2 longs
                guard let value = Int(digits) else {
                    position = start
                    throw failure(word.isEmpty ? "unexpected character" : "'\(word)' is not an integer")
                }
                return .integer(value)
            }
        }
    }

    private mutating func parseString() throws(Failure) -> String {
        let quote = bytes[position]
        position += 1
        var out: [UInt8] = []
        while position < bytes.count, bytes[position] != quote {
            if bytes[position] == UInt8(ascii: "\\"), position + 1 < bytes.count { position += 1 }
            out.append(bytes[position])
            position += 1
        }
        guard position < bytes.count else { throw failure("unterminated string") }
        position += 1
        return String(decoding: out, as: UTF8.self)
    }

    private mutating func parseSequence(close: UInt8) throws(Failure) -> [PythonLiteral] {
        position += 1
        var items: [PythonLiteral] = []
        while true {
            skipSpace()
            if position < bytes.count, bytes[position] == close { position += 1; return items }
            items.append(try parseValue())
            skipSpace()
            guard position < bytes.count else { throw failure("unterminated sequence") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            guard bytes[position] == close else { throw failure("expected ',' or '\(Character(Unicode.Scalar(close)))'") }
        }
    }
}
