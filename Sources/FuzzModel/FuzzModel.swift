// libFuzzer target for the model-file (SavedModel JSON) reader (built only with
// DESCENT_FUZZ=1; see `make fuzz`). Any DescentError is a correct answer; a trap or a
// sanitizer report is a bug. A model that reads back must also predict without trapping.
import Descent
import Glibc

/// The scratch file this process reuses for every input.
let fuzzPath = "/dev/shm/descent-fuzz-model-\(getpid()).json"

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
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard writeInput(data, size, to: fuzzPath) else { return 0 }
    guard let model = try? SavedModel.read(from: fuzzPath), model.featureCount <= 4096 else { return 0 }
    let features = Matrix<Double>(rows: 2, columns: model.featureCount, repeating: 1)
    _ = model.predict(features)
    _ = try? model.encoded()
    return 0
}
