#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files atomically: the bytes go to a temporary file next to the destination, are
/// flushed to disk, and only then renamed over it.
///
/// A reader therefore sees either the old file or the complete new one, never a torn
/// write; a failure (an error thrown mid-write, a full disk, a crash) leaves the old file
/// as it was and removes the temporary file.
public enum AtomicFile {
    /// Replaces the file at `path` with `bytes`, atomically.
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { writer in
            try bytes.withUnsafeBytes { try writer.write($0) }
        }
    }

    /// Replaces the file at `path` with the UTF-8 encoding of `text`, atomically.
    public static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// Streams a new file for `path` through `body`, then renames it into place atomically.
    ///
    /// `body` writes with the ``AtomicFileWriter`` it receives (sequentially, or at offsets
    /// from several threads). If `body` throws, the temporary file is removed, the old file
    /// at `path` (if any) is untouched, and the error is rethrown.
    @discardableResult
    public static func write<R>(to path: String, _ body: (AtomicFileWriter) throws -> R) throws -> R {
        let writer = try AtomicFileWriter(destination: path)
        do {
            let result = try body(writer)
            try writer.commit()
            return result
        } catch {
            writer.abandon()
            throw error
        }
    }
}

/// A temporary file being written for ``AtomicFile``; it becomes the destination only when
/// ``AtomicFile/write(to:_:)`` commits it.
///
/// Sequential ``write(_:)`` calls append; ``write(_:atOffset:)`` (`pwrite`) may be called
/// from several threads at once for disjoint ranges.
public final class AtomicFileWriter: @unchecked Sendable {
    /// The path the file will have once committed.
    public let destination: String
    /// The temporary path being written.
    public let temporaryPath: String
    private var descriptor: Int32
    private var position = 0

    init(destination: String) throws {
        self.destination = destination
        guard !destination.isEmpty else { throw DescentError.io(path: destination, reason: "empty output path") }
        // Same directory as the destination, so rename(2) stays within one file system and
        // is atomic. The pid and a random suffix keep concurrent writers apart.
        var suffixGenerator = SystemRandomNumberGenerator()
        let suffix = String(suffixGenerator.next() & 0xFFFF_FFFF, radix: 16)
        temporaryPath = "\(destination).tmp-\(getpid())-\(suffix)"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DescentError.io(path: destination, reason: "cannot create a temporary file next to it: \(systemError())")
        }
    }

    deinit {
        if descriptor >= 0 { abandon() }
    }

    /// Appends `bytes` at the current position.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try write(bytes, atOffset: position)
        position += bytes.count
    }

    /// Appends `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends the UTF-8 encoding of `text`.
    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    /// Writes `bytes` at byte `offset` without moving the append position (`pwrite`); safe
    /// to call from several threads for disjoint ranges.
    public func write(_ bytes: UnsafeRawBufferPointer, atOffset offset: Int) throws {
        guard var address = bytes.baseAddress else { return }
        var remaining = bytes.count
        var at = offset
        while remaining > 0 {
            let written = pwrite(descriptor, address, remaining, off_t(at))
            if written < 0 {
                if errno == EINTR { continue }
                throw DescentError.io(path: destination, reason: "write failed: \(systemError())")
            }
            remaining -= written
            at += written
            address += written
        }
    }

    /// Sets the file's size (`ftruncate`), e.g. before writing blocks at offsets.
    public func resize(to byteCount: Int) throws {
        guard ftruncate(descriptor, off_t(byteCount)) == 0 else {
            throw DescentError.io(path: destination, reason: "cannot size the output to \(byteCount) bytes: \(systemError())")
        }
    }

    /// Flushes, closes and renames the temporary file over the destination.
    func commit() throws {
        guard fsync(descriptor) == 0 else {
            throw DescentError.io(path: destination, reason: "cannot flush to disk: \(systemError())")
        }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else {
            unlink(temporaryPath)
            throw DescentError.io(path: destination, reason: "close failed: \(systemError())")
        }
        guard rename(temporaryPath, destination) == 0 else {
            let reason = systemError()
            unlink(temporaryPath)
            throw DescentError.io(path: destination, reason: "cannot rename the temporary file into place: \(reason)")
        }
    }

    /// Closes and removes the temporary file, leaving the destination untouched.
    func abandon() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(temporaryPath)
    }
}

/// The current `errno` as text.
func systemError() -> String {
    String(cString: strerror(errno))
}
