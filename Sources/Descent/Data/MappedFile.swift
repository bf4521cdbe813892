#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file memory-mapped copy-on-write (`MAP_PRIVATE`): pages come from the page
/// cache on demand, so a file larger than RAM can be read without loading it whole, and a
/// write through the mapping never reaches the file.
///
/// The mapping lives until ``unmap()`` runs: hand that to
/// `AlignedStorage(borrowing:count:release:)` so the last value using the data unmaps it.
struct MappedFile: @unchecked Sendable {
    /// The first byte of the file (nil for an empty file).
    let base: UnsafeMutableRawPointer?
    /// The file size in bytes.
    let size: Int
    /// The path, for messages.
    let path: String

    /// Maps `path`; throws `DescentError.io` naming it on failure.
    init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw DescentError.io(path: path, reason: "cannot open: \(systemError())") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw DescentError.io(path: path, reason: "cannot stat: \(systemError())") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw DescentError.io(path: path, reason: "not a regular file") }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        // PROT_WRITE with MAP_PRIVATE: writes (if any value ever mutated the data in place)
        // go to private copies of the pages, never to the file.
        let address = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw DescentError.io(path: path, reason: "cannot memory-map \(size) bytes: \(systemError())")
        }
        base = address
    }

    /// The bytes of the file.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: size) }

    /// A closure that unmaps the file (to run exactly once).
    var unmapper: @Sendable () -> Void {
        let address = base.map { UInt(bitPattern: $0) } ?? 0
        let size = self.size
        return {
            if address != 0 { munmap(UnsafeMutableRawPointer(bitPattern: address), size) }
        }
    }

    /// Unmaps the file now.
    func unmap() { unmapper() }
}
