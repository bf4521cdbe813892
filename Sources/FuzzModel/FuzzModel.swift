// libFuzzer target for the model-file (SavedModel JSON) reader (built only with
// DESCENT_FUZZ=1; see `make fuzz`). Any DescentError is a correct answer; a trap or a
// sanitizer report is a bug. A model that reads back must also predict without trapping.
import Descent
import Glibc

/// The scratch file this process reuses for every input.
let fuzzPath = "/dev/shm/descent-fuzz-model-\(getpid()).json"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The engine's own atomic writer: the file holds the whole input, or the input is skipped.
    guard (try? AtomicFile.write(to: fuzzPath, { try $0.write(UnsafeRawBufferPointer(start: data, count: size)) })) != nil else {
        return 0
    }
    guard let model = try? SavedModel.read(from: fuzzPath), model.featureCount <= 4096 else { return 0 }
    let features = Matrix<Double>(rows: 2, columns: model.featureCount, repeating: 1)
    _ = model.predict(features)
    _ = try? model.encoded()
    return 0
}
