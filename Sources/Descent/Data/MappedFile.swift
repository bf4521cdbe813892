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

extension MappedFile {
    /// Drops the pages lying wholly inside `byteCount` bytes at `start` (inside a `MappedFile`
    /// mapping) from this process's resident set.
    ///
    /// Why: a pass that reads a mapped file once while writing a copy (the target-column
    /// split, the train/validation split) would otherwise hold the whole file resident next to
    /// the copy, doubling peak memory. On an unmodified page of a private file mapping,
    /// `MADV_DONTNEED` only unmaps it: the page cache keeps it and a later read faults the
    /// same bytes back in. Only whole pages are dropped: dropping a page still partly ahead
    /// of the reader makes it fault again, and the kernel maps whole page-cache folios on a
    /// fault, up to megabytes of already-dropped pages behind it.
    ///
    /// A page that was written through the mapping (a private copy) would revert to the file's
    /// bytes, so the range is checked in `/proc/self/pagemap` first and left alone if any of
    /// its pages is a private copy (present but not file-backed, or swapped), or if the check
    /// cannot be made. Advice only: failures change nothing but the memory footprint.
    static func releasePages(_ start: UnsafeRawPointer, byteCount: Int) {
        #if os(Linux)
        guard byteCount > 0 else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let first = (Int(bitPattern: start) + page - 1) / page * page
        let end = (Int(bitPattern: start) + byteCount) / page * page
        guard end > first, onlyFileBackedPages(firstPage: first / page, count: (end - first) / page) else { return }
        _ = madvise(UnsafeMutableRawPointer(bitPattern: first), end - first, MADV_DONTNEED)
        #endif
    }

    /// Runs `body` on consecutive chunks of `0..<count` (at most `chunk` each, in order), and
    /// after each calls `release` on the rows read so far that may be dropped: this chunk and
    /// the one before. The lag of one chunk matters: reading a chunk can fault whole
    /// page-cache folios that reach back into the previous one (see ``releasePages(_:byteCount:)``).
    static func streamChunks(count: Int, chunk: Int, _ body: (Range<Int>) -> Void, release: (Range<Int>) -> Void) {
        var previous = 0, lower = 0
        while lower < count {
            let upper = Swift.min(count, lower + Swift.max(1, chunk))
            body(lower..<upper)
            release(previous..<upper)
            previous = lower
            lower = upper
        }
    }

    #if os(Linux)
    /// Whether none of `count` pages from page number `firstPage` is a private copy: every
    /// entry of `/proc/self/pagemap` (64 bits a page) is not swapped (bit 62) and either not
    /// present (bit 63) or a file page (bit 61). False when the file cannot be read.
    private static func onlyFileBackedPages(firstPage: Int, count: Int) -> Bool {
        let descriptor = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let chunk = 4096
        var entries = [UInt64](repeating: 0, count: min(count, chunk))
        var done = 0
        while done < count {
            let m = min(chunk, count - done)
            let bytes = m * MemoryLayout<UInt64>.stride
            let read = entries.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, bytes, off_t((firstPage + done) * 8)) }
            guard read == bytes else { return false }
            for k in 0..<m {
                let entry = entries[k]
                let present = entry & (1 << 63) != 0, swapped = entry & (1 << 62) != 0, file = entry & (1 << 61) != 0
                if swapped || (present && !file) { return false }
            }
            done += m
        }
        return true
    }
    #endif
}
