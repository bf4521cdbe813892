import Foundation

/// Writes SVG figures into a directory the user names (`--plot DIR`), creating it if needed;
/// every file is written atomically, so an interrupted run never leaves half a figure.
public enum FigureDirectory {
    /// Writes each `(file name, SVG text)` into `directory` and returns the paths written, in order.
    public static func write(_ figures: [(name: String, svg: String)], into directory: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw DescentError.io(path: directory, reason: "exists and is not a directory; --plot needs a directory for the figures")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw DescentError.io(path: directory, reason: "cannot create the figure directory: \(error.localizedDescription)")
            }
        }
        return try figures.map { figure in
            let path = (directory as NSString).appendingPathComponent(figure.name)
            try AtomicFile.write(figure.svg, to: path)
            return path
        }
    }
}
