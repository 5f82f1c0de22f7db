import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// The tus 1.0 protocol at `/v1/uploads`: core, creation (with upload and deferred length),
/// expiration, checksum, termination and concatenation (of unfinished parts too). Headers in, headers out; the service
/// does the work.
struct UploadRoutes {
    static let base = "/v1/uploads"
    let service: UploadsService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let uploads = router.group(RouterPath(Self.base)).add(middleware: TusProtocolMiddleware())
        uploads.on("", method: .options) { _, _ in options() }
        uploads.on("/{id}", method: .options) { _, _ in options() }
        uploads.post { request, context in try await create(request, context) }
        uploads.head("/{id}") { _, context in try await head(context) }
        uploads.patch("/{id}") { request, context in try await patch(request, context) }
        uploads.delete("/{id}") { _, context in try await terminate(context) }
        // X-HTTP-Method-Override, for clients behind proxies that pass only GET and POST.
        uploads.post("/{id}") { request, context in
            switch request.headers[Tus.methodOverride]?.uppercased() {
            case "PATCH": try await patch(request, context)
            case "HEAD": try await head(context)
            case "DELETE": try await terminate(context)
            default: throw Problem(.methodNotAllowed, detail: "POST here needs X-HTTP-Method-Override: PATCH, HEAD or DELETE.", headers: [.allow: "HEAD, PATCH, DELETE, OPTIONS"])
            }
        }
    }

    private func options() -> Response {
        Response(status: .noContent, headers: [
            Tus.resumable: Tus.version, Tus.versionHeader: Tus.version, Tus.extensionHeader: Tus.extensions,
            Tus.maxSize: String(service.settings.maxSize), Tus.checksumAlgorithmHeader: Tus.checksumAlgorithms,
        ])
    }

    // MARK: Creation

    private func create(_ request: Request, _ context: ApusRequestContext) async throws -> Response {
        let principal = try context.require(UploadsModule.write)
        let headers = request.headers
        // An empty header (tuspy sends one when there is no metadata) is no metadata.
        let metadata = try headers[Tus.uploadMetadata].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }.map { text in
            guard let metadata = UploadMetadata(text) else {
                throw Problem.badRequest("Upload-Metadata is comma-separated 'key base64value' pairs with distinct keys.")
            }
            return metadata
        }
        let concat = headers[Tus.uploadConcat]
        if let concat, concat.hasPrefix("final;") {
            guard headers[Tus.uploadLength] == nil else { throw Problem.badRequest("A final upload takes no Upload-Length.") }
            let parts = try concat.dropFirst("final;".count).split(separator: " ").map(Self.uploadID(fromURL:))
            let upload = try await service.concatenate(parts, metadata: metadata, by: principal)
            return created(upload, request: request)
        }
        guard concat == nil || concat == "partial" else { throw Problem.badRequest("Upload-Concat is 'partial' or 'final;<urls>'.") }
        let length = try Self.declaredLength(headers)
        // creation-with-upload: bytes for an upload of none go past its length (whether or not
        // a Content-Length said so).
        if length == 0, headers[.contentType] == Tus.chunkContentType {
            for try await buffer in request.body where buffer.readableBytes > 0 {
                throw Problem(.contentTooLarge, detail: "The body goes past the upload's length (0).")
            }
        }
        var upload = try await service.create(length: length, metadata: metadata, partial: concat == "partial", owner: principal.userID)
        // creation-with-upload: a first chunk in the body.
        if headers[.contentType] == Tus.chunkContentType, !upload.isComplete {
            let chunk = UploadsService.Chunk(offset: 0, length: nil, checksum: try Self.checksum(headers))
            upload = try await service.append(chunk, to: upload.id, by: principal, body: request.body)
        }
        return created(upload, request: request)
    }

    private func created(_ upload: Upload, request: Request) -> Response {
        var headers: HTTPFields = [.location: "\(Self.base)/\(upload.id)"]
        // A final upload waiting for its parts has no offset of its own yet.
        if !upload.isWaitingFinal { headers[Tus.uploadOffset] = String(upload.offset) }
        if !upload.isComplete { headers[Tus.uploadExpires] = HTTPDate.format(upload.expiresAt) }
        return Response(status: .created, headers: headers)
    }

    /// `Upload-Length`, or `nil` for `Upload-Defer-Length: 1`; one of them is required.
    static func declaredLength(_ headers: HTTPFields) throws -> Int64? {
        switch (headers[Tus.uploadLength], headers[Tus.uploadDeferLength]) {
        case (let text?, nil):
            guard let length = Tus.byteCount(text) else { throw Problem.badRequest("Upload-Length is a non-negative whole number.") }
            return length
        case (nil, "1"?): return nil
        case (nil, nil): throw Problem.badRequest("Send Upload-Length, or Upload-Defer-Length: 1.")
        default: throw Problem.badRequest("Send Upload-Length or Upload-Defer-Length: 1, not both; Upload-Defer-Length is only 1.")
        }
    }

    /// The upload id at the end of a URL or path naming an upload of this server.
    static func uploadID(fromURL text: Substring) throws -> String {
        let path = text.firstRange(of: "\(base)/").map { text[$0.upperBound...] } ?? ""
        guard !path.isEmpty, !path.contains("/"), OpaqueID.isWellFormed(path) else {
            throw Problem.badRequest("Upload-Concat names '\(text)', which is not an upload URL of this server.")
        }
        return String(path)
    }

    static func checksum(_ headers: HTTPFields) throws -> UploadChecksum? {
        guard let text = headers[Tus.uploadChecksum] else { return nil }
        do {
            return try UploadChecksum(text)
        } catch .unsupportedAlgorithm {
            throw Problem.badRequest("Upload-Checksum algorithms are \(Tus.checksumAlgorithms).")
        } catch {
            throw Problem.badRequest("Upload-Checksum is '<algorithm> <Base64 digest>'.")
        }
    }

    // MARK: Core

    private func head(_ context: ApusRequestContext) async throws -> Response {
        let principal = try context.require(UploadsModule.write)
        let upload = try await service.live(try context.parameters.require("id"), by: principal)
        var headers: HTTPFields = [.cacheControl: "no-store"]
        // tus: no Upload-Offset for a final upload until its concatenation is done, and its
        // Upload-Length only once every part's is known.
        if !upload.isWaitingFinal { headers[Tus.uploadOffset] = String(upload.offset) }
        if let length = upload.length {
            headers[Tus.uploadLength] = String(length)
        } else if !upload.isWaitingFinal {
            headers[Tus.uploadDeferLength] = "1"
        }
        if let metadata = upload.metadata { headers[Tus.uploadMetadata] = metadata }
        if let concat = upload.concatenation.header { headers[Tus.uploadConcat] = concat }
        if !upload.isComplete { headers[Tus.uploadExpires] = HTTPDate.format(upload.expiresAt) }
        return Response(status: .ok, headers: headers)
    }

    private func patch(_ request: Request, _ context: ApusRequestContext) async throws -> Response {
        let principal = try context.require(UploadsModule.write)
        let headers = request.headers
        guard headers[.contentType] == Tus.chunkContentType else {
            throw Problem(.unsupportedMediaType, detail: "A chunk is sent as Content-Type: \(Tus.chunkContentType).")
        }
        guard let offset = Tus.byteCount(headers[Tus.uploadOffset]) else { throw Problem.badRequest("Upload-Offset is a non-negative whole number.") }
        var length: Int64?
        if let text = headers[Tus.uploadLength] {
            guard let value = Tus.byteCount(text) else { throw Problem.badRequest("Upload-Length is a non-negative whole number.") }
            length = value
        }
        let chunk = UploadsService.Chunk(offset: offset, length: length, checksum: try Self.checksum(headers))
        let upload = try await service.append(chunk, to: try context.parameters.require("id"), by: principal, body: request.body)
        var answer: HTTPFields = [Tus.uploadOffset: String(upload.offset)]
        if !upload.isComplete { answer[Tus.uploadExpires] = HTTPDate.format(upload.expiresAt) }
        return Response(status: .noContent, headers: answer)
    }

    private func terminate(_ context: ApusRequestContext) async throws -> Response {
        let principal = try context.require(UploadsModule.write)
        try await service.terminate(try context.parameters.require("id"), by: principal)
        return Response(status: .noContent)
    }
}
