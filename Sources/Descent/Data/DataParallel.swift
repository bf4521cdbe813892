import Dispatch

/// A raw pointer that may cross into the `@Sendable` closures of a parallel loop; each
/// worker touches a disjoint range, which is what makes the `@unchecked` honest.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Pointee>
    init(_ pointer: UnsafeMutablePointer<Pointee>) { self.pointer = pointer }
    init(_ pointer: UnsafePointer<Pointee>) { self.pointer = UnsafeMutablePointer(mutating: pointer) }
}

/// A read-only raw byte pointer for parallel loops.
struct SendableRawPointer: @unchecked Sendable {
    let pointer: UnsafeRawPointer
    init(_ pointer: UnsafeRawPointer) { self.pointer = pointer }
}

/// The number of worker threads data loading and generation use: the active processors.
var dataThreadCount: Int { max(1, sysconfCPUCount()) }

/// Runs `body` over `0..<count` split into ranges of at most `blockSize`, on all cores
/// (GCD's pool, which persists between calls). Ranges are disjoint; the order in which
/// they run is unspecified.
func parallelForBlocks(count: Int, blockSize: Int, _ body: @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let blocks = (count + blockSize - 1) / blockSize
    if blocks == 1 {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: blocks) { block in
        let start = block * blockSize
        body(start..<min(count, start + blockSize))
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

private func sysconfCPUCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
