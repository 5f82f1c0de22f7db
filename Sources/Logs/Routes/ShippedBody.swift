import ApusCore
import CompressNIO
import Hummingbird
import NIOCore

/// A shipper's request body, read whole under the route's limit and gunzipped when it says
/// `Content-Encoding: gzip` (at most eight times the limit once inflated).
enum ShippedBody {
    static func read(_ request: Request, _ context: ApusRequestContext, maxBodyBytes: Int) async throws -> ByteBuffer {
        var body = try await request.body.collect(upTo: context.maxUploadSize)
        switch request.headers[.contentEncoding]?.lowercased() {
        case nil, "identity":
            return body
        case "gzip":
            do { return try body.decompress(with: .gzip(), maxSize: maxBodyBytes * 8) } catch {
                throw Problem.badRequest("The gzip body cannot be read, or is larger than \(maxBodyBytes * 8) bytes uncompressed.")
            }
        case let encoding?:
            throw Problem(.unsupportedMediaType, detail: "Content-Encoding \(encoding) is not supported; send gzip or nothing.")
        }
    }
}
