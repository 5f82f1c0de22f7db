import ApusCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An entry as staff read it through the management API: its reserved names beside the field
/// values of one locale (rich text as its Markdown source).
struct EntryDocument: Sendable {
    var entry: EntryRecord
    var type: ContentType
    var locale: String
    var values: FieldValues

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "id": .string(entry.id), "type": .string(type.apiId), "status": .string(entry.status.rawValue),
            "locale": .string(locale), "author_id": .string(entry.authorID), "version": .number(Double(entry.version)),
            "has_unpublished_changes": .bool(entry.unpublishedChanges),
            "publish_at": entry.publishAt.map { .string(Timestamp.format($0)) } ?? .null,
            "unpublish_at": entry.unpublishAt.map { .string(Timestamp.format($0)) } ?? .null,
            "published_at": entry.publishedAt.map { .string(Timestamp.format($0)) } ?? .null,
            "created_at": .string(Timestamp.format(entry.createdAt)), "updated_at": .string(Timestamp.format(entry.updatedAt)),
        ]
        for field in type.fields {
            members[field.name] = values[field.name] ?? .null
        }
        return .object(members)
    }
}

/// JSON bodies the content API writes itself: field values are the author's, so no key
/// conversion touches them.
enum ContentJSON {
    static func data(_ value: JSONValue) throws -> Data {
        try StoredJSON.encoder.encode(value)
    }

    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        body(try data(value), status: status, headers: headers)
    }

    static func body(_ data: Data, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        body(ByteBuffer(bytes: data), status: status, headers: headers)
    }

    static func body(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        fields[.contentLength] = String(buffer.readableBytes)
        return Response(status: status, headers: fields, body: .init(byteBuffer: buffer))
    }

    /// A page in the list convention: `{items, next_cursor}`.
    static func page(_ items: [JSONValue], nextCursor: String?) -> JSONValue {
        ["items": .array(items), "next_cursor": nextCursor.map(JSONValue.string) ?? .null]
    }
}
