/// A dense vector of `Float` or `Double` on 64-byte-aligned storage, with value semantics
/// (copy-on-write) and every arithmetic operation done by BLAS.
///
/// A vector may be a zero-copy view into a larger buffer (a row of a ``Matrix``); it is
/// still a value: writing to a view whose storage is shared copies it first.
public struct Vector<Scalar: BLASScalar>: Sendable {
    @usableFromInline internal var storage: AlignedStorage<Scalar>
    @usableFromInline internal var offset: Int
    /// The number of elements.
    public let count: Int

    /// A view of `count` elements of `storage` starting at `offset` (no copy).
    public init(storage: AlignedStorage<Scalar>, offset: Int = 0, count: Int) {
        precondition(offset >= 0 && count >= 0 && offset + count <= storage.count,
                     "Vector view \(offset)..<\(offset + count) is outside storage of \(storage.count) elements")
        self.storage = storage
        self.offset = offset
        self.count = count
    }

    /// A vector of `count` zeros.
    public init(zeros count: Int) {
        self.init(storage: AlignedStorage(zeroedCount: count), count: count)
    }

    /// A vector of `count` copies of `value`.
    public init(repeating value: Scalar, count: Int) {
        self.init(storage: AlignedStorage(uninitializedCount: count), count: count)
        storage.pointer.initialize(repeating: value, count: count)
    }

    /// A vector holding the elements of `elements`.
    public init<S: Sequence>(_ elements: S) where S.Element == Scalar {
        let array = Array(elements)
        self.init(storage: array.withUnsafeBufferPointer { AlignedStorage(copying: $0.baseAddress ?? UnsafePointer(bitPattern: storageAlignment)!, count: $0.count) }, count: array.count)
    }

    /// A vector of `count` elements whose values `body` writes into uninitialized memory;
    /// `body` must write every element.
    public init(unsafeUninitializedCount count: Int, initializingWith body: (UnsafeMutableBufferPointer<Scalar>) throws -> Void) rethrows {
        let storage = AlignedStorage<Scalar>(uninitializedCount: count)
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
        self.init(storage: storage, count: count)
    }

    /// A vector of `count` random elements drawn from `distribution` with a seeded generator.
    public static func random(count: Int, distribution: RandomDistribution, using generator: inout SeededGenerator) -> Vector {
        Vector(unsafeUninitializedCount: count) { buffer in
            for i in 0..<count { buffer[i] = Scalar(distribution.sample(&generator)) }
        }
    }

    /// The elements as an `Array`.
    public var array: [Scalar] { withUnsafeBufferPointer { Array($0) } }

    /// The storage object this vector reads from; two values with the same identity share memory.
    public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// Read access to the elements.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer + offset, count: count))
    }

    /// Write access to the elements; copies the storage first if another value shares it.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer + offset, count: count))
    }

    /// The address of the first element, for read-only use while `self` is alive.
    @inlinable
    public var baseAddress: UnsafePointer<Scalar> { UnsafePointer(storage.pointer + offset) }

    /// Copies the storage if another value shares it, so a write does not show through.
    @inlinable
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = AlignedStorage(copying: storage.pointer + offset, count: count)
            offset = 0
        }
    }

    /// Whether this value alone references its storage and that storage is memory Descent
    /// allocated (not a borrowed buffer such as a read-only file mapping): then rewriting it in
    /// place is possible and no other value can see it.
    mutating func isUniquelyOwned() -> Bool {
        isKnownUniquelyReferenced(&storage) && storage.isOwned
    }
}

extension Vector: RandomAccessCollection, MutableCollection {
    public typealias Index = Int
    public typealias Element = Scalar

    /// Always 0.
    @inlinable public var startIndex: Int { 0 }
    /// `count`.
    @inlinable public var endIndex: Int { count }

    /// The element at `index`; traps outside `0..<count`.
    @inlinable
    public subscript(index: Int) -> Scalar {
        get {
            precondition(index >= 0 && index < count, "Vector index \(index) out of range 0..<\(count)")
            return storage.pointer[offset + index]
        }
        set {
            precondition(index >= 0 && index < count, "Vector index \(index) out of range 0..<\(count)")
            makeUnique()
            storage.pointer[offset + index] = newValue
        }
    }
}

extension Vector: ExpressibleByArrayLiteral {
    /// A vector from a literal: `let v: Vector<Double> = [1, 2, 3]`.
    public init(arrayLiteral elements: Scalar...) { self.init(elements) }
}

extension Vector: Equatable {
    /// Elementwise equality (same count, every element `==`; so a NaN never equals).
    public static func == (lhs: Vector, rhs: Vector) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in
            for i in 0..<a.count where a[i] != b[i] { return false }
            return true
        } }
    }
}

extension Vector: CustomStringConvertible {
    /// Prints like a tensor: `Vector<float32>[3] [1.0, 2.0, 3.0]`, eliding the middle of long vectors.
    public var description: String {
        "Vector<\(Scalar.precisionName)>[\(count)] " + formatElements(Array(self), limit: 6)
    }
}

/// `[a, b, c, …, y, z]` with at most `limit` elements shown.
func formatElements<S: BLASScalar>(_ elements: [S], limit: Int) -> String {
    if elements.count <= limit { return "[" + elements.map { "\($0)" }.joined(separator: ", ") + "]" }
    let head = elements.prefix(limit / 2).map { "\($0)" }
    let tail = elements.suffix(limit / 2).map { "\($0)" }
    return "[" + (head + ["…"] + tail).joined(separator: ", ") + "]"
}

// MARK: - BLAS operations

extension Vector {
    @inline(__always)
    static func checkSameCount(_ a: Vector, _ b: Vector, _ operation: String) {
        precondition(a.count == b.count, "\(operation): vector shapes differ: [\(a.count)] and [\(b.count)]")
    }

    /// The dot product xᵀy (BLAS `dot`).
    public func dot(_ other: Vector) -> Scalar {
        Vector.checkSameCount(self, other, "dot")
        return BLAS.dot(count, baseAddress, 1, other.baseAddress, 1)
    }

    /// The Euclidean norm ‖x‖₂ (BLAS `nrm2`, safe from overflow).
    public var norm: Scalar { BLAS.nrm2(count, baseAddress) }

    /// The sum of the elements (pairwise by blocks, so rounding grows like log n, not n).
    public var sum: Scalar {
        withUnsafeBufferPointer { pairwiseSum($0) }
    }

    /// The arithmetic mean (0 for an empty vector).
    public var mean: Scalar { count == 0 ? 0 : sum / Scalar(count) }

    /// The sum of absolute values Σ|xᵢ| (BLAS `asum`), the 1-norm.
    public var absoluteSum: Scalar { BLAS.asum(count, baseAddress) }

    /// The largest absolute value (BLAS `iamax`), 0 for an empty vector.
    public var maxMagnitude: Scalar { count == 0 ? 0 : Swift.abs(self[BLAS.iamax(count, baseAddress)]) }

    /// Whether every element is finite.
    public var isFinite: Bool { withUnsafeBufferPointer { allFinite($0) } }

    /// self ← α·x + self (BLAS `axpy`), in place.
    public mutating func add(_ x: Vector, scaledBy alpha: Scalar = 1) {
        Vector.checkSameCount(self, x, "axpy")
        let n = count
        withUnsafeMutableBufferPointer { y in BLAS.axpy(n, alpha, x.baseAddress, 1, y.baseAddress!, 1) }
    }

    /// self ← α·self (BLAS `scal`), in place.
    public mutating func scale(by alpha: Scalar) {
        let n = count
        withUnsafeMutableBufferPointer { BLAS.scal(n, alpha, $0.baseAddress!, 1) }
    }

    /// self ← x elementwise (BLAS `copy`), reusing this vector's storage when it is not shared.
    public mutating func assign(from x: Vector) {
        Vector.checkSameCount(self, x, "copy")
        let n = count
        withUnsafeMutableBufferPointer { y in BLAS.copy(n, x.baseAddress, 1, y.baseAddress!, 1) }
    }

    /// The elementwise (Hadamard) product.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func elementwiseProduct(_ other: Vector) -> Vector {
        Vector.checkSameCount(self, other, "elementwise product")
        return Vector(unsafeUninitializedCount: count) { out in
            withUnsafeBufferPointer { a in other.withUnsafeBufferPointer { b in
                for i in 0..<a.count { out[i] = a[i] * b[i] }
            } }
        }
    }

    /// A copy of the elements in fresh storage of their own (never a view).
    public func copied() -> Vector {
        Vector(storage: withUnsafeBufferPointer { AlignedStorage(copying: $0.baseAddress!, count: $0.count) }, count: count)
    }

    /// x + y (copy + `axpy`).
    public static func + (lhs: Vector, rhs: Vector) -> Vector {
        checkSameCount(lhs, rhs, "+")
        var result = lhs.copied()
        result.add(rhs)
        return result
    }

    /// x − y (copy + `axpy`).
    public static func - (lhs: Vector, rhs: Vector) -> Vector {
        checkSameCount(lhs, rhs, "-")
        var result = lhs.copied()
        result.add(rhs, scaledBy: -1)
        return result
    }

    /// −x.
    public static prefix func - (operand: Vector) -> Vector { operand * -1 }

    /// α·x (copy + `scal`).
    public static func * (lhs: Vector, rhs: Scalar) -> Vector {
        var result = lhs.copied()
        result.scale(by: rhs)
        return result
    }

    /// α·x (copy + `scal`).
    public static func * (lhs: Scalar, rhs: Vector) -> Vector { rhs * lhs }

    /// x ← x + y (`axpy`).
    public static func += (lhs: inout Vector, rhs: Vector) { lhs.add(rhs) }

    /// x ← x − y (`axpy`).
    public static func -= (lhs: inout Vector, rhs: Vector) { lhs.add(rhs, scaledBy: -1) }

    /// x ← α·x (`scal`).
    public static func *= (lhs: inout Vector, rhs: Scalar) { lhs.scale(by: rhs) }
}

/// Sum of a buffer by pairwise summation over blocks of 8-wide accumulators.
///
/// Specialized for both precisions: generic code called from another module (the CLI, the
/// tests) otherwise runs unspecialized, with every SIMD operation a witness-table call
/// (measured 10× slower here).
@_specialize(where S == Float)
@_specialize(where S == Double)
func pairwiseSum<S: BLASScalar>(_ buffer: UnsafeBufferPointer<S>) -> S {
    let n = buffer.count
    if n <= 256 {
        var accumulators = SIMD8<S>()
        var i = 0
        while i + 8 <= n {
            accumulators += SIMD8<S>(buffer[i..<(i + 8)])
            i += 8
        }
        var total = accumulators.sum()
        while i < n { total += buffer[i]; i += 1 }
        return total
    }
    let half = (n / 2) & ~7
    return pairwiseSum(UnsafeBufferPointer(rebasing: buffer[0..<half])) + pairwiseSum(UnsafeBufferPointer(rebasing: buffer[half..<n]))
}

/// Whether every element of a buffer is finite (specialized, like ``pairwiseSum(_:)``).
@_specialize(where S == Float)
@_specialize(where S == Double)
func allFinite<S: BLASScalar>(_ buffer: UnsafeBufferPointer<S>) -> Bool {
    for value in buffer where !value.isFinite { return false }
    return true
}
