import Foundation
public import Hummingbird
import Logging
import NIOHTTP1

/// Turns every error a handler throws into an RFC 9457 problem response, so no error leaves the
/// server without a problem body, and an unexpected one becomes a 500 that names the request id
/// and is logged with its cause.
public struct ProblemMiddleware: RouterMiddleware {
    public typealias Context = ApusRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let problem = Self.problem(for: error, request: request, context: context)
            return try problem.response(from: request, context: context)
        }
    }

    /// The problem that answers `error`.
    static func problem(for error: any Error, request: Request, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let error as HTTPError:
            return Problem(error.status, detail: error.body ?? defaultDetail(error.status, request: request), headers: error.headers)
        case let error as any HTTPResponseError:
            return Problem(error.status, detail: defaultDetail(error.status, request: request))
        case let error as DecodingError:
            return problem(for: error)
        case let error as HTTPParserError:
            // A malformed body (a bad chunk) or a client that went away mid-body: the client's
            // doing, not the server's, and no cause for an error in the log.
            context.logger.debug("the request could not be read", metadata: ["error": "\(error)"])
            return .badRequest("The request could not be read: its body is not well-formed HTTP or ended early.")
        default:
            context.logger.error("unexpected error", metadata: ["error": "\(String(reflecting: error))"])
            return Problem(.internalServerError, detail: "An unexpected error occurred; quote request id \(context.requestID) when reporting it.")
        }
    }

    private static func defaultDetail(_ status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: "No resource at \(request.uri.path)."
        case .contentTooLarge: "The request body is larger than this endpoint accepts."
        case .unauthorized: "Authentication is required."
        case .forbidden: "You are not allowed to do this."
        default: status.reasonPhrase
        }
    }

    /// 400 for JSON that cannot be parsed, 422 for JSON of the wrong shape, naming the field.
    static func problem(for error: DecodingError) -> Problem {
        func path(_ codingPath: [any CodingKey]) -> String {
            let joined = codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue.snakeCased }.joined(separator: ".")
            return joined.replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .badRequest("The body is not valid JSON.")
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            return .unprocessable("Invalid value for \(field).", errors: [.init(field: field, message: context.debugDescription)])
        case .keyNotFound(let key, let context):
            let field = path(context.codingPath + [key])
            return .unprocessable("Missing required field \(field).", errors: [.init(field: field, message: "is required")])
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let field = path(context.codingPath)
            if field.isEmpty { return .badRequest("The body must be a JSON \(jsonTypeName(type)).") }
            return .unprocessable("Field \(field) must be \(jsonTypeName(type)).", errors: [.init(field: field, message: "must be \(jsonTypeName(type))")])
        @unknown default:
            return .badRequest("The body could not be read.")
        }
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default: "an object"
        }
    }
}

extension String {
    /// `camelCase` → `snake_case`, the wire spelling of a Swift property name.
    var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                if !result.isEmpty { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
