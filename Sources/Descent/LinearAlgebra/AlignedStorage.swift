#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The alignment of every buffer Descent allocates: one cache line, and the width of an
/// AVX-512 register, so BLAS kernels and SIMD loops start on a full vector.
public let storageAlignment = 64

/// A fixed-size buffer of scalars shared by ``Vector`` and ``Matrix`` values.
///
/// Either owned (allocated 64-byte aligned, zero-filled) or borrowed from memory someone
/// else keeps alive, such as a memory-mapped file, with a closure that releases it. Values
/// copy it on write when it is shared (see `isKnownUniquelyReferenced`).
public final class AlignedStorage<Scalar: BLASScalar>: @unchecked Sendable {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Scalar>
    /// The number of elements.
    public let count: Int
    private let release: (@Sendable () -> Void)?
    /// Whether `pointer` is inside a ``MappedFile`` mapping (see ``releasePages(_:)``).
    let isFileMapping: Bool

    /// Whether Descent allocated this memory (it is not borrowed, as a file mapping is), so a
    /// value that alone references it may rewrite it in place.
    var isOwned: Bool { release == nil }

    /// Allocates `count` zero-filled elements, 64-byte aligned.
    public init(zeroedCount count: Int) {
        precondition(count >= 0, "negative element count \(count)")
        let bytes = max(count, 1) * MemoryLayout<Scalar>.stride
        let raw = Self.allocate(bytes)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.pointer = raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
        self.count = count
        self.release = nil
        self.isFileMapping = false
    }

    /// Allocates `count` elements, 64-byte aligned, without initializing them; the caller
    /// must write every element before reading it.
    public init(uninitializedCount count: Int) {
        precondition(count >= 0, "negative element count \(count)")
        let bytes = max(count, 1) * MemoryLayout<Scalar>.stride
        let raw = Self.allocate(bytes)
        self.pointer = raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
        self.count = count
        self.release = nil
        self.isFileMapping = false
    }

    /// Allocations of at least this many bytes are 2 MiB aligned, rounded up to 2 MiB and
    /// advised `MADV_HUGEPAGE` (transparent huge pages in `madvise` mode): random row access
    /// (mini-batches) then misses the TLB far less — each miss is a nested page walk under a
    /// hypervisor. At most 2 MiB − 1 bytes are wasted, under 0.1% of such a buffer.
    static var hugePageThreshold: Int { 1 << 21 }

    private static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer {
        let huge = hugePageThreshold
        guard bytes >= huge else { return UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: storageAlignment) }
        let rounded = (bytes + huge - 1) / huge * huge
        let raw = UnsafeMutableRawPointer.allocate(byteCount: rounded, alignment: huge)
        #if os(Linux)
        // Advice only: a kernel without transparent huge pages says EINVAL, and nothing changes.
        _ = madvise(raw, rounded, MADV_HUGEPAGE)
        #endif
        return raw
    }

    /// Wraps memory owned elsewhere (for example a memory-mapped file); `release` runs when
    /// the last value using it goes away.
    public convenience init(borrowing pointer: UnsafeMutablePointer<Scalar>, count: Int, release: @escaping @Sendable () -> Void) {
        self.init(borrowing: pointer, count: count, isFileMapping: false, release: release)
    }

    /// Wraps memory owned elsewhere; `isFileMapping` says it lies in a ``MappedFile``
    /// mapping, whose pages ``releasePages(_:)`` may drop.
    init(borrowing pointer: UnsafeMutablePointer<Scalar>, count: Int, isFileMapping: Bool,
         release: @escaping @Sendable () -> Void) {
        self.pointer = pointer
        self.count = count
        self.release = release
        self.isFileMapping = isFileMapping
    }

    /// Tells the kernel elements `range` will not be read again soon: for a memory-mapped
    /// file, the pages wholly inside the range leave this process's resident set (the page
    /// cache keeps them, and a later read brings them back with the same bytes; see
    /// `MappedFile.releasePages`). A no-op for allocated memory, whose pages hold the only
    /// copy of the data.
    ///
    /// Passes that read mapped data once while writing a copy call it on each consumed
    /// block, so the copy and the whole file are never resident together.
    func releasePages(_ range: Range<Int>) {
        guard isFileMapping, !range.isEmpty else { return }
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "releasePages: \(range) outside 0..<\(count)")
        MappedFile.releasePages(UnsafeRawPointer(pointer + range.lowerBound), byteCount: range.count * MemoryLayout<Scalar>.stride)
    }

    /// A new owned storage holding a copy of `count` elements starting at `source`.
    public convenience init(copying source: UnsafePointer<Scalar>, count: Int) {
        self.init(uninitializedCount: count)
        if count > 0 { pointer.update(from: source, count: count) }
    }

    deinit {
        if let release {
            release()
        } else {
            UnsafeMutableRawPointer(pointer).deallocate()
        }
    }
}
