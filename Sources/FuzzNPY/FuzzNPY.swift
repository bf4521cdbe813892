// libFuzzer target for the .npy reader (built only with DESCENT_FUZZ=1; see `make fuzz`).
// Each input is written to a private file under /dev/shm and read as `descent --data` does:
// any DescentError is a correct answer; a trap, a huge allocation or a sanitizer report is a bug.
import Descent
import Glibc

/// The scratch file this process reuses for every input.
let fuzzPath = "/dev/shm/descent-fuzz-npy-\(getpid()).npy"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The engine's own atomic writer: the file holds the whole input, or the input is skipped.
    guard (try? AtomicFile.write(to: fuzzPath, { try $0.write(UnsafeRawBufferPointer(start: data, count: size)) })) != nil else {
        return 0
    }
    do { _ = try NPY.readHeader(fuzzPath) } catch {}
    do { _ = try NPY.loadDataset(fuzzPath, as: Double.self) } catch {}
    do { _ = try NPY.loadDataset(fuzzPath, targetIndex: 0, as: Float.self) } catch {}
    do { _ = try NPY.read(fuzzPath, as: Double.self, memoryMap: false) } catch {}
    return 0
}
