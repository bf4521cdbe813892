// swift-tools-version:6.1
// package-benchmark suites for Descent's kernels. A nested package so `make test` never
// builds the benchmark plugin and its dependencies (about a minute on first build).
//
//   swift package --package-path Benchmarks benchmark            # run every suite
//   swift package --package-path Benchmarks benchmark --filter dot
import Foundation
import PackageDescription

// A path dependency's identity is its directory name (`main` here, `x` in a clone at /tmp/x),
// so name the parent directory instead of hard-coding it.
let descentIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "DescentBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: "../"),
        // MallocInterposer: malloc counts without jemalloc (see shared DESIGN.md).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "Kernels",
            dependencies: [
                .product(name: "Descent", package: descentIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Kernels",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
