public import ApusCore
import AsyncHTTPClient
import Foundation

/// A real S3 implementation for tests: moto's server (`pip install "moto[server]"`), started
/// by the test itself on a free port and stopped after it.
public enum MotoServer {
    /// Runs `body` with a fresh bucket on a moto server of its own.
    public static func withBucket<Result: Sendable>(_ body: (S3Location) async throws -> Result) async throws -> Result {
        let port = Int.random(in: 20_000...45_000)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["moto_server", "-H", "127.0.0.1", "-p", String(port)]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            // moto's server does not always stop on SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let endpoint = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint + "/moto-api/"), timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                if response.status.code < 500 { break }
            }
            guard process.isRunning, ContinuousClock.now < deadline else { throw MotoUnavailable() }
            try await Task.sleep(for: .milliseconds(100))
        }
        let location = S3Location(bucket: "apus-test", endpoint: endpoint, region: "us-east-1", accessKey: "testing", secretKey: "testing")
        try await S3ObjectStore(location: location).createBucket()
        return try await body(location)
    }
}

/// moto's server did not come up (is `moto_server` installed?).
public struct MotoUnavailable: Error, CustomStringConvertible {
    public var description: String { "moto_server did not start: pip install \"moto[server]\"" }
}
