import Descent
import Testing

/// Aligned storage, copy-on-write and zero-copy views.
@Suite("Storage: alignment, copy-on-write, views")
struct StorageTests {
    @Test("fresh storage and every operation's result start on a 64-byte boundary", arguments: scalarTypes)
    func alignment(_ type: any BLASScalar.Type) { checkAlignment(type) }

    func checkAlignment<S: BLASScalar>(_: S.Type) {
        for count in [0, 1, 3, 17, 1001] {
            #expect(isAligned64(AlignedStorage<S>(zeroedCount: count).pointer), "zeroed \(count)")
            #expect(isAligned64(AlignedStorage<S>(uninitializedCount: count).pointer), "uninitialized \(count)")
            #expect(isAligned64(Vector<S>(zeros: count).baseAddress))
            #expect(isAligned64(Vector<S>(repeating: 1, count: count).baseAddress))
            #expect(isAligned64(Vector<S>((0..<count).map { S($0) }).baseAddress))
            #expect(isAligned64(Matrix<S>(rows: count, columns: 3).baseAddress))
        }
        let x = randomVector(37, seed: 1, as: S.self), a = randomMatrix(37, 5, seed: 2, as: S.self)
        #expect(isAligned64((x + x).baseAddress) && isAligned64((x * 2).baseAddress))
        #expect(isAligned64(x.elementwiseProduct(x).baseAddress) && isAligned64(x.copied().baseAddress))
        #expect(isAligned64((a * randomVector(5, seed: 3, as: S.self)).baseAddress))
        #expect(isAligned64(a.transposed().baseAddress) && isAligned64(a.gram().baseAddress))
        #expect(isAligned64((a + a).baseAddress) && isAligned64(a.column(2).baseAddress))
        // A view at an odd offset is not aligned, but writing to it while shared copies it
        // into fresh, aligned storage of its own.
        var row = a.row(1)
        row[0] = 42
        #expect(isAligned64(row.baseAddress))
    }

    @Test("a copy is independent: mutating it leaves the original untouched", arguments: scalarTypes)
    func copyOnWrite(_ type: any BLASScalar.Type) { checkCopyOnWrite(type) }

    func checkCopyOnWrite<S: BLASScalar>(_: S.Type) {
        let original: Vector<S> = [1, 2, 3, 4]
        let mutations: [(inout Vector<S>) -> Void] = [
            { $0[0] = 9 }, { $0.scale(by: 2) }, { $0.add([1, 1, 1, 1]) }, { $0 += [1, 1, 1, 1] },
            { $0.assign(from: [5, 6, 7, 8]) }, { $0.withUnsafeMutableBufferPointer { $0[3] = -1 } },
        ]
        for mutate in mutations {
            var copy = original
            #expect(copy.storageIdentity == original.storageIdentity, "assignment shares storage")
            mutate(&copy)
            #expect(original.array == [1, 2, 3, 4])
            #expect(copy.storageIdentity != original.storageIdentity)
            #expect(copy != original)
        }

        let matrix: Matrix<S> = [[1, 2], [3, 4]]
        let matrixMutations: [(inout Matrix<S>) -> Void] = [
            { $0[1, 1] = 9 }, { $0.scale(by: 2) }, { $0.add([[1, 1], [1, 1]]) }, { $0.symmetrizeFromUpper() },
            { $0.addOuterProduct([1, 1], [1, 1]) }, { $0.withUnsafeMutableBufferPointer { $0[0] = -1 } },
        ]
        for mutate in matrixMutations {
            var copy = matrix
            mutate(&copy)
            #expect(matrix.array == [1, 2, 3, 4])
            #expect(copy.storageIdentity != matrix.storageIdentity)
        }
    }

    @Test("no copy when uniquely referenced: in-place operations keep the same buffer", arguments: scalarTypes)
    func noCopyWhenUnique(_ type: any BLASScalar.Type) { checkNoCopy(type) }

    func checkNoCopy<S: BLASScalar>(_: S.Type) {
        var x = randomVector(1001, seed: 5, as: S.self)
        let other = randomVector(1001, seed: 6, as: S.self)
        let address = x.baseAddress, identity = x.storageIdentity
        x[3] = 1
        x.scale(by: 2)
        x.add(other, scaledBy: 3)
        x += other
        x -= other
        x *= 0.5
        x.assign(from: other)
        x.withUnsafeMutableBufferPointer { $0[0] = 7 }
        #expect(x.baseAddress == address && x.storageIdentity == identity)

        var a = randomMatrix(33, 7, seed: 7, as: S.self)
        let b = randomMatrix(33, 7, seed: 8, as: S.self)
        let matrixAddress = a.baseAddress, matrixIdentity = a.storageIdentity
        a[2, 3] = 1
        a.scale(by: 2)
        a.add(b)
        a.addOuterProduct(randomVector(33, seed: 9), randomVector(7, seed: 10))
        a.withUnsafeMutableBufferPointer { $0[0] = 7 }
        #expect(a.baseAddress == matrixAddress && a.storageIdentity == matrixIdentity)
    }

    @Test("row blocks and rows are views sharing the matrix's storage at the right offset", arguments: scalarTypes)
    func views(_ type: any BLASScalar.Type) { checkViews(type) }

    func checkViews<S: BLASScalar>(_: S.Type) {
        var a = randomMatrix(100, 6, seed: 12, as: S.self)
        let block = a.rowBlock(10..<30)
        #expect(block.storageIdentity == a.storageIdentity)
        #expect(block.baseAddress == a.baseAddress + 10 * 6)
        #expect(block[0, 0] == a[10, 0] && block[19, 5] == a[29, 5])
        let nested = block.rowBlock(5..<7)
        #expect(nested.storageIdentity == a.storageIdentity && nested.baseAddress == a.baseAddress + 15 * 6)
        let emptyBlock = a.rowBlock(100..<100)
        #expect(emptyBlock.rows == 0 && emptyBlock.storageIdentity == a.storageIdentity)
        let row = a.row(42)
        #expect(row.storageIdentity == a.storageIdentity && row.baseAddress == a.baseAddress + 42 * 6)

        // BLAS on a view reads the right elements (gemv over a block equals gemv over a copy).
        let x = randomVector(6, seed: 13, as: S.self)
        let viaView = block * x, viaCopy = block.copied() * x
        #expect((0..<20).allSatisfy { abs(Double(viaView[$0]) - Double(viaCopy[$0])) <= 32 * Double(S.ulpOfOne) })

        // Values, not references: writing through the matrix does not show in an existing view
        // (the matrix copies because the views still share its storage), and vice versa.
        let before = block[0, 0]
        a[10, 0] = before + 1
        #expect(block[0, 0] == before)
        var rowCopy = row
        rowCopy[0] = 123
        #expect(a[42, 0] != 123)
    }

    @Test("borrowed storage runs its release closure once, when the last value goes away")
    func borrowedStorage() {
        final class Flag: @unchecked Sendable { var released = 0 }
        let flag = Flag()
        let buffer = UnsafeMutablePointer<Double>.allocate(capacity: 4)
        buffer.initialize(from: [1, 2, 3, 4], count: 4)
        do {
            let storage = AlignedStorage(borrowing: buffer, count: 4) { flag.released += 1 }
            let matrix = Matrix(storage: storage, rows: 2, columns: 2)
            let row = matrix.row(1)
            #expect(row.array == [3, 4])
            #expect(flag.released == 0)
        }
        #expect(flag.released == 1)
        buffer.deallocate()
    }
}
