// swift-tools-version:6.1
// Descent: a BLAS-backed numerics engine that learns linear models by gradient descent
// and checks the answer against the closed-form least-squares solution.
import PackageDescription

// MPI is a build switch, not a requirement: `DESCENT_MPI=1 swift build` (or `make mpi`) adds the
// OpenMPI-backed communicator and the CLI's `--distributed`; without it nothing needs MPI.
let mpiEnabled = Context.environment["DESCENT_MPI"] == "1"
// Fuzzing is a build switch too: `DESCENT_FUZZ=1 swift build --sanitize=fuzzer` (or `make fuzz`)
// adds the libFuzzer targets, which have no `main` (libFuzzer supplies it) and would not
// link in a normal build.
let fuzzEnabled = Context.environment["DESCENT_FUZZ"] == "1"

let package = Package(
    name: "Descent",
    products: [
        .library(name: "Descent", targets: ["Descent"]),
        .executable(name: "descent", targets: ["descent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS's CBLAS interface. `link "openblas"` is also in the module map so the
        // build links even where no pkg-config binary is installed.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Netlib LAPACKE; its Fortran LAPACK calls bind to OpenBLAS at run time.
        .systemLibrary(
            name: "CLAPACKE",
            pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev"])]
        ),
        // Descent's own C kernels (the Gram pass, the fused gradient), compiled for x86-64-v3
        // and for the baseline from one body and chosen at run time (KernelSupport.h).
        .target(name: "CDescentKernels"),
        .target(
            name: "Descent",
            dependencies: ["CBLAS", "CLAPACKE", "CDescentKernels"]
        ),
        .executableTarget(
            name: "descent",
            dependencies: [
                "Descent",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + (mpiEnabled ? ["DescentMPI"] : []),
            swiftSettings: mpiEnabled ? [.define("DESCENT_MPI")] : []
        ),
        .testTarget(
            name: "DescentTests",
            dependencies: ["Descent"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

if mpiEnabled {
    package.targets += [
        // OpenMPI; the shim turns its handle macros into functions Swift can call.
        .systemLibrary(
            name: "CMPI",
            pkgConfig: "ompi",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]
        ),
        .target(name: "DescentMPI", dependencies: ["Descent", "CMPI"]),
    ]
}

if fuzzEnabled {
    for name in ["FuzzCSV", "FuzzNPY", "FuzzModel"] {
        package.targets.append(.executableTarget(name: name, dependencies: ["Descent"], path: "Sources/\(name)"))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
