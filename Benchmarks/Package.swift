// swift-tools-version: 6.2
import PackageDescription

// Micro-benchmarks of ApusKit, apart from the main package so that building and testing Apus
// does not build the benchmark harness. Run: `swift package benchmark` in this folder.
let package = Package(
    name: "apus-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The same sources as the main package's ApusKit, through a symlink: a path dependency
        // on the parent would take its identity from the checkout's folder name.
        .target(name: "CApusSHA", path: "Sources/CApusSHA"),
        .target(name: "ApusKit", dependencies: ["CApusSHA"], path: "Sources/ApusKit"),
        .executableTarget(
            name: "ApusKitBenchmarks",
            dependencies: [
                "ApusKit",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/ApusKitBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
