import Foundation
public import Hummingbird

/// An RFC 9457 problem: the body of every error response, `application/problem+json`.
///
/// `detail` tells the client what to fix; it never carries a stack trace, SQL or a secret.
public struct Problem: Error, Sendable, Equatable {
    /// A URI naming the problem's kind (``ProblemType``): `urn:apus:problem:<kind>`.
    public var type: String
    /// The status's short summary.
    public var title: String
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// What went wrong for this request, for a person.
    public var detail: String?
    /// The request this answers.
    public var instance: String?
    /// Per-field validation failures.
    public var errors: [FieldError]?
    /// Headers to send along, such as `Allow` or `Retry-After`.
    public var headers: HTTPFields

    /// One field that failed validation.
    public struct FieldError: Sendable, Equatable, Codable {
        /// A JSON pointer or the field's name.
        public var field: String
        /// What is wrong with it.
        public var message: String

        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    /// A problem with `status`; `type` defaults to the status's kind and `title` to its reason
    /// phrase.
    public init(
        _ status: HTTPResponse.Status,
        detail: String? = nil,
        type: ProblemType? = nil,
        title: String? = nil,
        errors: [FieldError]? = nil,
        headers: HTTPFields = [:]
    ) {
        self.type = (type ?? .for(status)).uri
        self.title = title ?? status.reasonPhrase
        self.status = status
        self.detail = detail
        self.instance = nil
        self.errors = errors
        self.headers = headers
    }

    /// 400: the request cannot be read.
    public static func badRequest(_ detail: String) -> Problem { Problem(.badRequest, detail: detail) }
    /// 403: the caller is known but may not do this to this resource.
    public static func forbidden(_ detail: String) -> Problem { Problem(.forbidden, detail: detail) }
    /// 404: nothing here.
    public static func notFound(_ detail: String) -> Problem { Problem(.notFound, detail: detail) }
    /// 409: conflicts with the current state.
    public static func conflict(_ detail: String) -> Problem { Problem(.conflict, detail: detail) }
    /// 422: well-formed but invalid; `errors` names the fields.
    public static func unprocessable(_ detail: String, errors: [FieldError]? = nil) -> Problem {
        Problem(.unprocessableContent, detail: detail, errors: errors)
    }

    /// Throws one 422 naming every field a validation found wrong (the first in `detail`, all
    /// in `errors`), so a client fixes them in one round; returns when `errors` is empty.
    public static func throwIfInvalid(_ errors: [FieldError]) throws(Problem) {
        guard let first = errors.first else { return }
        throw .unprocessable("Field \(first.field) \(first.message).", errors: errors)
    }
}

extension Problem: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // A detail may quote what the client sent: a megabyte of it is not echoed back.
        var body = Body(
            type: type, title: title, status: Int(status.code), detail: detail.map { Self.bounded($0, 1000) }, instance: instance,
            errors: errors?.prefix(100).map { FieldError(field: Self.bounded($0.field, 200), message: Self.bounded($0.message, 300)) }, requestId: nil
        )
        if let context = context as? ApusRequestContext, !context.requestID.isEmpty {
            body.requestId = context.requestID
        }
        let data = try APIJSON.encoder.encode(body)
        var fields = headers
        fields[.contentType] = "application/problem+json"
        fields[.contentLength] = String(data.count)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `text` cut to `limit` characters, marked with an ellipsis when cut.
    static func bounded(_ text: String, _ limit: Int) -> String {
        text.utf8.count <= limit ? text : String(text.prefix(limit)) + "…"
    }

    private struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String?
        var instance: String?
        var errors: [FieldError]?
        var requestId: String?
    }
}
