/// A dense row-major `rows × columns` matrix of `Float` or `Double` on 64-byte-aligned
/// storage, with value semantics (copy-on-write) and products done by BLAS.
///
/// Rows are contiguous (the leading dimension is `columns`), so a block of rows
/// (``rowBlock(_:)``) is a zero-copy view: the trainer batches over such views.
public struct Matrix<Scalar: BLASScalar>: Sendable {
    @usableFromInline internal var storage: AlignedStorage<Scalar>
    @usableFromInline internal var offset: Int
    /// The number of rows.
    public let rows: Int
    /// The number of columns.
    public let columns: Int

    /// A view of a `rows × columns` block of `storage` starting at element `offset` (no copy).
    public init(storage: AlignedStorage<Scalar>, offset: Int = 0, rows: Int, columns: Int) {
        precondition(rows >= 0 && columns >= 0, "Matrix shape \(rows) × \(columns) is negative")
        precondition(offset >= 0 && offset + rows * columns <= storage.count,
                     "Matrix view of \(rows) × \(columns) at \(offset) is outside storage of \(storage.count) elements")
        self.storage = storage
        self.offset = offset
        self.rows = rows
        self.columns = columns
    }

    /// A `rows × columns` matrix of zeros.
    public init(rows: Int, columns: Int) {
        self.init(storage: AlignedStorage(zeroedCount: rows * columns), rows: rows, columns: columns)
    }

    /// A `rows × columns` matrix of copies of `value`.
    public init(rows: Int, columns: Int, repeating value: Scalar) {
        self.init(storage: AlignedStorage(uninitializedCount: rows * columns), rows: rows, columns: columns)
        storage.pointer.initialize(repeating: value, count: rows * columns)
    }

    /// A `rows × columns` matrix from its elements in row-major order.
    public init(rows: Int, columns: Int, elements: [Scalar]) {
        precondition(elements.count == rows * columns, "Matrix \(rows) × \(columns) needs \(rows * columns) elements, got \(elements.count)")
        let storage = elements.withUnsafeBufferPointer { buffer in
            buffer.isEmpty ? AlignedStorage<Scalar>(zeroedCount: 0) : AlignedStorage(copying: buffer.baseAddress!, count: buffer.count)
        }
        self.init(storage: storage, rows: rows, columns: columns)
    }

    /// A matrix from its rows; every row must have the same length.
    public init(_ rowArrays: [[Scalar]]) {
        let columns = rowArrays.first?.count ?? 0
        for (index, row) in rowArrays.enumerated() {
            precondition(row.count == columns, "Matrix row \(index) has \(row.count) elements, row 0 has \(columns)")
        }
        self.init(rows: rowArrays.count, columns: columns, elements: rowArrays.flatMap { $0 })
    }

    /// A matrix whose elements `body` writes into uninitialized row-major memory;
    /// `body` must write all `rows × columns` elements.
    public init(rows: Int, columns: Int, unsafeUninitializedWith body: (UnsafeMutableBufferPointer<Scalar>) throws -> Void) rethrows {
        let storage = AlignedStorage<Scalar>(uninitializedCount: rows * columns)
        try body(UnsafeMutableBufferPointer(start: storage.pointer, count: rows * columns))
        self.init(storage: storage, rows: rows, columns: columns)
    }

    /// A `rows × columns` matrix of random elements drawn from `distribution` with a seeded
    /// generator, filled row by row.
    public static func random(rows: Int, columns: Int, distribution: RandomDistribution, using generator: inout SeededGenerator) -> Matrix {
        Matrix(rows: rows, columns: columns) { buffer in
            for i in 0..<buffer.count { buffer[i] = Scalar(distribution.sample(&generator)) }
        }
    }

    /// The identity matrix of order `n`.
    public static func identity(_ n: Int) -> Matrix {
        var result = Matrix(rows: n, columns: n)
        for i in 0..<n { result[i, i] = 1 }
        return result
    }

    /// The number of elements, `rows × columns`.
    public var count: Int { rows * columns }

    /// The shape as `(rows, columns)`.
    public var shape: (rows: Int, columns: Int) { (rows, columns) }

    /// The storage object this matrix reads from; two values with the same identity share memory.
    public var storageIdentity: ObjectIdentifier { ObjectIdentifier(storage) }

    /// The address of element (0, 0), for read-only use while `self` is alive.
    @inlinable
    public var baseAddress: UnsafePointer<Scalar> { UnsafePointer(storage.pointer + offset) }

    /// Read access to the elements in row-major order.
    @inlinable
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Scalar>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer + offset, count: rows * columns))
    }

    /// Write access to the elements in row-major order; copies shared storage first.
    @inlinable
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Scalar>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(UnsafeMutableBufferPointer(start: storage.pointer + offset, count: rows * columns))
    }

    /// Copies the storage if another value shares it, so a write does not show through.
    @inlinable
    public mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = AlignedStorage(copying: storage.pointer + offset, count: rows * columns)
            offset = 0
        }
    }

    /// Whether this value alone references its storage and that storage is memory Descent
    /// allocated (not a borrowed buffer such as a read-only file mapping): then rewriting it in
    /// place is possible and no other value can see it.
    mutating func isUniquelyOwned() -> Bool {
        isKnownUniquelyReferenced(&storage) && storage.isOwned
    }

    /// The element at row `row`, column `column`; traps outside the shape.
    @inlinable
    public subscript(row: Int, column: Int) -> Scalar {
        get {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range for shape \(rows) × \(columns)")
            return storage.pointer[offset + row * columns + column]
        }
        set {
            precondition(row >= 0 && row < rows && column >= 0 && column < columns,
                         "Matrix index (\(row), \(column)) out of range for shape \(rows) × \(columns)")
            makeUnique()
            storage.pointer[offset + row * columns + column] = newValue
        }
    }

    /// Rows `range` as a zero-copy view sharing this matrix's storage.
    public func rowBlock(_ range: Range<Int>) -> Matrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows,
                     "row block \(range) out of range for shape \(rows) × \(columns)")
        return Matrix(storage: storage, offset: offset + range.lowerBound * columns, rows: range.count, columns: columns)
    }

    /// Row `index` as a zero-copy vector view.
    public func row(_ index: Int) -> Vector<Scalar> {
        precondition(index >= 0 && index < rows, "row \(index) out of range for shape \(rows) × \(columns)")
        return Vector(storage: storage, offset: offset + index * columns, count: columns)
    }

    /// Column `index` as a new vector (a strided `copy`).
    public func column(_ index: Int) -> Vector<Scalar> {
        precondition(index >= 0 && index < columns, "column \(index) out of range for shape \(rows) × \(columns)")
        return Vector(unsafeUninitializedCount: rows) { out in
            if rows > 0 { BLAS.copy(rows, baseAddress + index, columns, out.baseAddress!, 1) }
        }
    }

    /// The elements in row-major order as an `Array`.
    public var array: [Scalar] { withUnsafeBufferPointer { Array($0) } }

    /// The rows as arrays.
    public var rowArrays: [[Scalar]] { (0..<rows).map { row($0).array } }

    /// A copy of the elements in fresh storage of their own (never a view).
    public func copied() -> Matrix {
        Matrix(rows: rows, columns: columns) { out in
            if !out.isEmpty { out.baseAddress!.update(from: baseAddress, count: out.count) }
        }
    }

    /// Whether every element is finite.
    public var isFinite: Bool { withUnsafeBufferPointer { allFinite($0) } }
}

extension Matrix: ExpressibleByArrayLiteral {
    /// A matrix from a literal of rows: `let a: Matrix<Double> = [[1, 2], [3, 4]]`.
    public init(arrayLiteral rowArrays: [Scalar]...) { self.init(rowArrays) }
}

extension Matrix: Equatable {
    /// Same shape and every element `==`.
    public static func == (lhs: Matrix, rhs: Matrix) -> Bool {
        guard lhs.rows == rhs.rows, lhs.columns == rhs.columns else { return false }
        return lhs.withUnsafeBufferPointer { a in rhs.withUnsafeBufferPointer { b in
            for i in 0..<a.count where a[i] != b[i] { return false }
            return true
        } }
    }
}

extension Matrix: CustomStringConvertible {
    /// Prints like a tensor: the shape, then up to 6 rows of up to 6 values.
    public var description: String {
        var lines = ["Matrix<\(Scalar.precisionName)>[\(rows) × \(columns)]"]
        let shown: [Int] = rows <= 6 ? Array(0..<rows) : Array(0..<3) + [-1] + Array((rows - 3)..<rows)
        for index in shown {
            lines.append(index < 0 ? "  …" : "  " + formatElements(row(index).array, limit: 6))
        }
        return lines.joined(separator: "\n")
    }
}

// MARK: - BLAS operations

extension Matrix {
    @inline(__always)
    static func checkSameShape(_ a: Matrix, _ b: Matrix, _ operation: String) {
        precondition(a.rows == b.rows && a.columns == b.columns,
                     "\(operation): matrix shapes differ: \(a.rows) × \(a.columns) and \(b.rows) × \(b.columns)")
    }

    /// A·x (BLAS `gemv`).
    public func multiplied(by x: Vector<Scalar>) -> Vector<Scalar> {
        precondition(x.count == columns, "Matrix × Vector: shapes \(rows) × \(columns) and [\(x.count)] do not fit")
        var y = Vector<Scalar>(zeros: rows)
        guard rows > 0, columns > 0 else { return y }
        y.withUnsafeMutableBufferPointer { out in
            BLAS.gemv(.none, rows: rows, columns: columns, alpha: 1, baseAddress, lda: columns, x.baseAddress, 1, beta: 0, out.baseAddress!, 1)
        }
        return y
    }

    /// Aᵀ·x (BLAS `gemv` transposed), without forming Aᵀ.
    public func transposeMultiplied(by x: Vector<Scalar>) -> Vector<Scalar> {
        precondition(x.count == rows, "Matrixᵀ × Vector: shapes (\(rows) × \(columns))ᵀ and [\(x.count)] do not fit")
        var y = Vector<Scalar>(zeros: columns)
        guard rows > 0, columns > 0 else { return y }
        y.withUnsafeMutableBufferPointer { out in
            BLAS.gemv(.transposed, rows: rows, columns: columns, alpha: 1, baseAddress, lda: columns, x.baseAddress, 1, beta: 0, out.baseAddress!, 1)
        }
        return y
    }

    /// A·B (BLAS `gemm`).
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(columns == other.rows, "Matrix × Matrix: shapes \(rows) × \(columns) and \(other.rows) × \(other.columns) do not fit")
        var c = Matrix(rows: rows, columns: other.columns)
        guard rows > 0, other.columns > 0, columns > 0 else { return c }
        c.withUnsafeMutableBufferPointer { out in
            BLAS.gemm(.none, .none, m: rows, n: other.columns, k: columns, alpha: 1, baseAddress, lda: columns,
                      other.baseAddress, ldb: other.columns, beta: 0, out.baseAddress!, ldc: other.columns)
        }
        return c
    }

    /// The Gram matrix AᵀA (`columns × columns`, BLAS `syrk`, both triangles filled).
    public func gram() -> Matrix {
        var c = Matrix(rows: columns, columns: columns)
        guard columns > 0 else { return c }
        if rows > 0 {
            c.withUnsafeMutableBufferPointer { out in
                BLAS.syrk(.upper, .transposed, n: columns, k: rows, alpha: 1, baseAddress, lda: columns, beta: 0, out.baseAddress!, ldc: columns)
            }
        }
        c.symmetrizeFromUpper()
        return c
    }

    /// Copies the upper triangle onto the lower one (after `syrk` wrote only one).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func symmetrizeFromUpper() {
        precondition(rows == columns, "symmetrize: matrix \(rows) × \(columns) is not square")
        let n = rows
        withUnsafeMutableBufferPointer { a in
            for i in 0..<n { for j in 0..<i { a[i * n + j] = a[j * n + i] } }
        }
    }

    /// Aᵀ, a new `columns × rows` matrix (copied in cache-sized tiles).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func transposed() -> Matrix {
        let (m, n) = (rows, columns)
        return Matrix(rows: n, columns: m) { out in
            let source = baseAddress
            let tile = 32
            for i0 in stride(from: 0, to: m, by: tile) {
                for j0 in stride(from: 0, to: n, by: tile) {
                    for i in i0..<min(i0 + tile, m) {
                        for j in j0..<min(j0 + tile, n) { out[j * m + i] = source[i * n + j] }
                    }
                }
            }
        }
    }

    /// self ← α·B + self (BLAS `axpy` over the elements), in place.
    public mutating func add(_ other: Matrix, scaledBy alpha: Scalar = 1) {
        Matrix.checkSameShape(self, other, "axpy")
        let n = count
        guard n > 0 else { return }
        withUnsafeMutableBufferPointer { BLAS.axpy(n, alpha, other.baseAddress, 1, $0.baseAddress!, 1) }
    }

    /// self ← α·self (BLAS `scal`), in place.
    public mutating func scale(by alpha: Scalar) {
        let n = count
        guard n > 0 else { return }
        withUnsafeMutableBufferPointer { BLAS.scal(n, alpha, $0.baseAddress!, 1) }
    }

    /// self ← α·x·yᵀ + self (BLAS `ger`, a rank-1 update), in place; `x` has `rows`
    /// elements and `y` has `columns`.
    public mutating func addOuterProduct(_ x: Vector<Scalar>, _ y: Vector<Scalar>, scaledBy alpha: Scalar = 1) {
        precondition(x.count == rows && y.count == columns,
                     "ger: outer product [\(x.count)] × [\(y.count)] does not fit matrix \(rows) × \(columns)")
        let (m, n) = (rows, columns)
        guard m > 0, n > 0 else { return }
        withUnsafeMutableBufferPointer { a in
            BLAS.ger(rows: m, columns: n, alpha: alpha, x.baseAddress, 1, y.baseAddress, 1, a.baseAddress!, lda: n)
        }
    }

    /// The sum of all elements (pairwise, like ``Vector/sum``).
    public var sum: Scalar { withUnsafeBufferPointer { pairwiseSum($0) } }

    /// The mean of all elements (0 for an empty matrix).
    public var mean: Scalar { count == 0 ? 0 : sum / Scalar(count) }

    /// The Frobenius norm √(Σ aᵢⱼ²) (BLAS `nrm2` over the contiguous elements).
    public var norm: Scalar { BLAS.nrm2(count, baseAddress) }

    /// The elementwise (Hadamard) product.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func elementwiseProduct(_ other: Matrix) -> Matrix {
        Matrix.checkSameShape(self, other, "elementwise product")
        return Matrix(rows: rows, columns: columns) { out in
            withUnsafeBufferPointer { a in other.withUnsafeBufferPointer { b in
                for i in 0..<a.count { out[i] = a[i] * b[i] }
            } }
        }
    }

    /// A + B.
    public static func + (lhs: Matrix, rhs: Matrix) -> Matrix {
        checkSameShape(lhs, rhs, "+")
        var result = lhs.copied()
        result.add(rhs)
        return result
    }

    /// A − B.
    public static func - (lhs: Matrix, rhs: Matrix) -> Matrix {
        checkSameShape(lhs, rhs, "-")
        var result = lhs.copied()
        result.add(rhs, scaledBy: -1)
        return result
    }

    /// α·A.
    public static func * (lhs: Matrix, rhs: Scalar) -> Matrix {
        var result = lhs.copied()
        result.scale(by: rhs)
        return result
    }

    /// α·A.
    public static func * (lhs: Scalar, rhs: Matrix) -> Matrix { rhs * lhs }

    /// A·x (`gemv`).
    public static func * (lhs: Matrix, rhs: Vector<Scalar>) -> Vector<Scalar> { lhs.multiplied(by: rhs) }

    /// A·B (`gemm`).
    public static func * (lhs: Matrix, rhs: Matrix) -> Matrix { lhs.multiplied(by: rhs) }
}
