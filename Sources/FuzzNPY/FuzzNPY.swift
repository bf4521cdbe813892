// libFuzzer target for the .npy reader (built only with DESCENT_FUZZ=1; see `make fuzz`).
// Each input is written to a private file under /dev/shm and read as `descent --data` does:
// any DescentError is a correct answer; a trap, a huge allocation or a sanitizer report is a bug.
import Descent
import Glibc

/// The scratch file this process reuses for every input.
let fuzzPath = "/dev/shm/descent-fuzz-npy-\(getpid()).npy"

/// Writes `size` bytes to `path` (whole, or nothing on failure).
func writeInput(_ data: UnsafePointer<UInt8>, _ size: Int, to path: String) -> Bool {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var offset = 0
    while offset < size {
        let written = write(descriptor, data + offset, size - offset)
        if written <= 0 { return false }
        offset += written
    }
    return true
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard writeInput(data, size, to: fuzzPath) else { return 0 }
    do { _ = try NPY.readHeader(fuzzPath) } catch {}
    do { _ = try NPY.loadDataset(fuzzPath, as: Double.self) } catch {}
    do { _ = try NPY.loadDataset(fuzzPath, targetIndex: 0, as: Float.self) } catch {}
    do { _ = try NPY.read(fuzzPath, as: Double.self, memoryMap: false) } catch {}
    return 0
}
