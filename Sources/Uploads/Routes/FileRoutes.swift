import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// Finished uploads as files under `/v1/files`: download (with `ETag`, `If-None-Match` and one
/// `Range`), list, publish, delete. `HEAD` is the router's, from `GET` without the body.
struct FileRoutes {
    static let base = "/v1/files"
    let service: UploadsService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let files = router.group(RouterPath(Self.base))
        files.get { request, context -> Page<UploadedFile> in
            let principal = try context.require(UploadsModule.write)
            let limit = try request.pageLimit()
            let page = try await service.files(for: principal, limit: limit + 1, after: try request.pageCursor())
            return Page(fetched: page.map(UploadedFile.init), limit: limit) { $0.id }
        }
        files.get("/{id}") { request, context in
            try await download(request, context)
        }
        files.patch("/{id}") { request, context -> UploadedFile in
            let principal = try context.require(UploadsModule.write)
            let upload = try await service.ownedFile(try context.requireID("id", kind: "file"), by: principal)
            let patch = try await request.decodeJSON(as: FilePatch.self, context: context)
            return UploadedFile(try await service.setPublic(upload, patch.isPublic))
        }
        files.delete("/{id}") { _, context -> Response in
            let principal = try context.require(UploadsModule.write)
            let upload = try await service.ownedFile(try context.requireID("id", kind: "file"), by: principal)
            try await service.terminate(upload.id, by: principal)
            return Response(status: .noContent)
        }
    }

    private func download(_ request: Request, _ context: ApusRequestContext) async throws -> Response {
        let upload = try await service.file(try context.parameters.require("id"), by: context.principal)
        let size = upload.offset
        let tag = EntityTag(upload.sha256 ?? "")
        let metadata = upload.metadata.flatMap(UploadMetadata.init)?.values ?? [:]
        let type = ServedContentType(metadata: metadata)
        var headers: HTTPFields = [
            .eTag: tag.header, .acceptRanges: "bytes", .lastModified: HTTPDate.format(upload.completedAt ?? upload.createdAt),
            // Revalidated each time (cheap, with the ETag), so making a file private takes effect.
            .cacheControl: upload.isPublic ? "no-cache" : "private, no-cache",
            // Whatever type a client declared, the browser never sniffs nor runs it as a page here.
            .xContentTypeOptions: "nosniff", .contentSecurityPolicy: "default-src 'none'; sandbox",
            .contentDisposition: type.disposition(filename: metadata["filename"]),
        ]
        if let condition = request.headers[.ifNoneMatch], tag.matches(ifNoneMatch: condition) {
            return Response(status: .notModified, headers: headers)
        }
        var asked = ByteRangeRequest(header: request.headers[.range], size: size)
        if let condition = request.headers[.ifRange], !tag.allowsRange(ifRange: condition) { asked = .whole }
        let status: HTTPResponse.Status
        let range: Range<Int64>
        switch asked {
        case .whole:
            (status, range) = (.ok, 0..<size)
        case .part(let part):
            (status, range) = (.partialContent, part)
            headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(size)"
        case .unsatisfiable:
            throw Problem(.rangeNotSatisfiable, detail: "The file has \(size) bytes; the range asked for none of them.", headers: [.contentRange: "bytes */\(size)"])
        }
        headers[.contentType] = type.mediaType
        headers[.contentLength] = String(range.count)
        guard request.method != .head else { return Response(status: status, headers: headers) }
        try await service.checkBytes(of: upload)
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: Int(range.count)) { [service] writer in
            try await service.read(upload, range: range) { buffer in try await writer.write(buffer) }
            try await writer.finish(nil)
        })
    }
}
