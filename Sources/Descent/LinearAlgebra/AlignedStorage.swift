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

    /// Allocates `count` zero-filled elements, 64-byte aligned.
    public init(zeroedCount count: Int) {
        precondition(count >= 0, "negative element count \(count)")
        let bytes = max(count, 1) * MemoryLayout<Scalar>.stride
        let raw = Self.allocate(bytes)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        self.pointer = raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
        self.count = count
        self.release = nil
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
    public init(borrowing pointer: UnsafeMutablePointer<Scalar>, count: Int, release: @escaping @Sendable () -> Void) {
        self.pointer = pointer
        self.count = count
        self.release = release
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
