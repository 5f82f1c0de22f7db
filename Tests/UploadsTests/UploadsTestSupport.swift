import ApusCore
import ApusTesting
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Uploads

enum UploadsTest {
    /// A node running the uploads module on a fresh database of `engine` and a fresh data
    /// directory for its objects.
    static func withNode<Result: Sendable>(
        engine: DatabaseEngine = .sqlite,
        live: Bool = false,
        clock: TestClock? = nil,
        settings: [String: String] = [:],
        objectStore: S3Location? = nil,
        _ body: @Sendable (ApusServer, any TestClientProtocol) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("apus-uploads-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try await TestServer.withNode(engine: engine, modules: [UploadsModule()], live: live, clock: clock, configure: {
            $0.dataDirectory = directory
            $0.settings = Settings(settings)
            $0.objectStore = objectStore
        }, body)
    }

    static let tus: HTTPFields = [HTTPField.Name("Tus-Resumable")!: "1.0.0"]

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

extension HTTPField.Name {
    static let tusResumable = Self("Tus-Resumable")!
    static let tusVersion = Self("Tus-Version")!
    static let tusExtension = Self("Tus-Extension")!
    static let tusMaxSize = Self("Tus-Max-Size")!
    static let tusChecksumAlgorithm = Self("Tus-Checksum-Algorithm")!
    static let uploadOffset = Self("Upload-Offset")!
    static let uploadLength = Self("Upload-Length")!
    static let uploadDeferLength = Self("Upload-Defer-Length")!
    static let uploadMetadata = Self("Upload-Metadata")!
    static let uploadExpires = Self("Upload-Expires")!
    static let uploadChecksum = Self("Upload-Checksum")!
    static let uploadConcat = Self("Upload-Concat")!
    static let methodOverride = Self("X-HTTP-Method-Override")!
}

extension TestClientProtocol {
    /// A tus request with `Tus-Resumable` and the bearer token.
    func tus(_ uri: String, _ method: HTTPRequest.Method, token: String?, headers: HTTPFields = [:], body: [UInt8]? = nil) async throws -> TestResponse {
        var all = UploadsTest.tus
        if let token { all[.authorization] = "Bearer \(token)" }
        all.append(contentsOf: headers)
        return try await execute(uri: uri, method: method, headers: all, body: body.map { ByteBuffer(bytes: $0) })
    }

    /// Creates an upload and returns its path.
    func createUpload(token: String, length: Int?, headers: HTTPFields = [:]) async throws -> String {
        var headers = headers
        if let length { headers[.uploadLength] = String(length) } else { headers[.uploadDeferLength] = "1" }
        let response = try await tus("/v1/uploads", .post, token: token, headers: headers)
        guard response.status == .created, let location = response.headers[.location] else {
            throw UploadTestFailure(message: "creation answered \(response.status): \(String(buffer: response.body))")
        }
        return location
    }

    /// Sends one chunk.
    func patchChunk(_ path: String, token: String, offset: Int, _ bytes: [UInt8], headers: HTTPFields = [:]) async throws -> TestResponse {
        var all: HTTPFields = [.contentType: "application/offset+octet-stream", .uploadOffset: String(offset)]
        all.append(contentsOf: headers)
        return try await tus(path, .patch, token: token, headers: all, body: bytes)
    }
}

struct UploadTestFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
