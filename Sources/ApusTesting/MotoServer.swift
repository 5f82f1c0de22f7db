public import ApusCore
import AsyncHTTPClient
import Foundation

/// A real S3 implementation for tests: moto's server (`pip install "moto[server]"`), started
/// by the test itself on a free port and stopped after it.
public enum MotoServer {
    /// Runs `body` with a fresh bucket on a moto server of its own.
    public static func withBucket<Result: Sendable>(_ body: (S3Location) async throws -> Result) async throws -> Result {
        // A random port may be taken: a server that exits at once is tried again on another.
        for _ in 0..<5 {
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
            guard try await isUp(endpoint, process) else { continue }
            let location = S3Location(bucket: "apus-test", endpoint: endpoint, region: "us-east-1", accessKey: "testing", secretKey: "testing")
            try await S3ObjectStore(location: location).createBucket()
            return try await body(location)
        }
        throw MotoUnavailable()
    }

    /// Waits until the server answers (60 s at most); `false` if it exited.
    private static func isUp(_ endpoint: String, _ process: Process) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: endpoint + "/moto-api/"), timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                if response.status.code < 500 { return true }
            }
            guard process.isRunning else { return false }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw MotoUnavailable()
    }
}

/// moto's server did not come up (is `moto_server` installed?).
public struct MotoUnavailable: Error, CustomStringConvertible {
    public var description: String { "moto_server did not start: pip install \"moto[server]\"" }
}
