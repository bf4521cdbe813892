// libFuzzer target for the CSV reader (built only with DESCENT_FUZZ=1; see `make fuzz`).
// Each input is written to a private file under /dev/shm and read the way `descent --data`
// reads it; any DescentError is a correct answer, a trap or a sanitizer report is a bug.
import Descent
import Glibc

/// The scratch file this process reuses for every input.
let fuzzPath = "/dev/shm/descent-fuzz-csv-\(getpid()).csv"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCSV(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // The engine's own atomic writer: the file holds the whole input, or the input is skipped.
    guard (try? AtomicFile.write(to: fuzzPath, { try $0.write(UnsafeRawBufferPointer(start: data, count: size)) })) != nil else {
        return 0
    }
    // The first byte picks the delimiter and the chunk size, so chunked parallel parsing
    // and its quote-boundary fallback are fuzzed too.
    let selector = size > 0 ? data[0] : 0
    let delimiter: UInt8 = [UInt8(ascii: ","), 0x09, UInt8(ascii: ";"), UInt8(ascii: " ")][Int(selector & 3)]
    let chunk = [8 << 20, 7, 16, 64][Int((selector >> 2) & 3)]
    let format = CSVFormat(delimiter: delimiter, chunkSize: chunk)
    do { _ = try CSV.loadDataset(fuzzPath, format: format, as: Double.self) } catch {}
    do { _ = try CSV.loadDataset(fuzzPath, target: "0", format: format, as: Float.self) } catch {}
    do { _ = try CSV.readColumns(fuzzPath, format: format, as: Double.self) } catch {}
    return 0
}
