import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Signed requests to one bucket of an S3-compatible store.
struct S3Client: Sendable {
    let location: S3Location
    let signer: SigV4Signer
    let host: String
    let http: HTTPClient

    init(location: S3Location, http: HTTPClient = .shared) {
        self.location = location
        self.signer = SigV4Signer(accessKey: location.accessKey, secretKey: location.secretKey, region: location.region)
        let url = URLComponents(string: location.endpoint)
        let port = url?.port.map { ":\($0)" } ?? ""
        self.host = (url?.host ?? "") + port
        self.http = http
    }

    /// Sends a request for `key` (the bucket itself when `nil`); a status of 300 or more becomes
    /// an ``ObjectStoreError``. The body is read whole unless `streaming`, when the caller must
    /// read it.
    func send(
        _ method: HTTPMethod, key: String?, query: [(String, String)] = [], headers: [(String, String)] = [], body: ByteBuffer? = nil,
        allowNotFound: Bool = false, streaming: Bool = false
    ) async throws -> HTTPClientResponse {
        let path = "/\(location.bucket)" + (key.map { "/\($0)" } ?? "")
        let encodedQuery = query.map { "\(SigV4Signer.encode($0.0, slash: true))=\(SigV4Signer.encode($0.1, slash: true))" }.joined(separator: "&")
        var request = HTTPClientRequest(url: location.endpoint + SigV4Signer.encode(path, slash: false) + (encodedQuery.isEmpty ? "" : "?" + encodedQuery))
        request.method = method
        let payload = body == nil ? SigV4Signer.emptyPayload : SigV4Signer.unsignedPayload
        let all = headers + [("host", host)]
        for (name, value) in all + signer.sign(method: method.rawValue, path: path, query: query, headers: all, payloadHash: payload, date: Date()) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let body {
            request.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
            request.body = .bytes(body)
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(300))
        } catch {
            throw ObjectStoreError.storage("S3 \(method.rawValue) failed: \(error)")
        }
        if response.status.code < 300, !streaming {
            // Read whole, so the connection goes back to the pool (an unread body holds it).
            let bytes = try await collect(response)
            return HTTPClientResponse(status: response.status, headers: response.headers, body: .bytes(bytes))
        }
        if response.status.code >= 300 {
            let text = (try? await response.body.collect(upTo: 64 << 10)).map { String(buffer: $0) } ?? ""
            if response.status == .notFound && (allowNotFound || text.contains("NoSuchKey") || text.isEmpty) { throw ObjectStoreError.notFound }
            let code = Self.values("Code", in: text).first ?? "no error code"
            throw ObjectStoreError.storage("S3 \(method.rawValue) answered \(response.status.code) (\(code))")
        }
        return response
    }

    /// The whole body of a response (small ones: XML answers, staged tails).
    func collect(_ response: HTTPClientResponse, upTo limit: Int = 64 << 20) async throws -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: limit)
        } catch {
            throw ObjectStoreError.storage("S3 response body failed: \(error)")
        }
    }

    /// The text of every `<name>...</name>` element in `xml`, unescaped.
    static func values(_ name: String, in xml: String) -> [String] {
        var found: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(name)>"), let close = rest.range(of: "</\(name)>", range: open.upperBound..<rest.endIndex) {
            found.append(String(rest[open.upperBound..<close.lowerBound])
                .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&lt;", with: "<")
                .replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&apos;", with: "'")
                .replacingOccurrences(of: "&amp;", with: "&"))
            rest = rest[close.upperBound...]
        }
        return found
    }
}
