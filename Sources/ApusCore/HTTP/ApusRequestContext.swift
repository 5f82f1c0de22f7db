public import Foundation
public import Hummingbird

/// The context every Apus request carries through middleware and handlers.
public struct ApusRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The request's id: the client's `X-Request-ID` when valid, else generated.
    public var requestID: String = ""
    /// The W3C trace context this request belongs to.
    public var trace: TraceParent?
    /// The authenticated caller, if any.
    public var principal: Principal?
    /// The peer's IP address (a proxy's, when behind one).
    public let peerAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
    }

    /// The largest request body a route reads whole: 1 MiB, for JSON; a route that takes more
    /// (a log shipper's batch) raises it with ``RequestBodyLimit``. Uploads stream and do not
    /// go through it.
    public var maxUploadSize = 1 << 20

    public var requestDecoder: JSONDecoder { APIJSON.decoder }
    public var responseEncoder: JSONEncoder { APIJSON.encoder }
}

/// The API's JSON conventions: snake_case keys and RFC 3339 UTC times.
public enum APIJSON {
    /// Encodes API responses (one shared, configured instance: making one per request costs).
    public static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.format(date))
        }
        return encoder
    }()

    /// Decodes API requests.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time")
            }
            return date
        }
        return decoder
    }()
}
