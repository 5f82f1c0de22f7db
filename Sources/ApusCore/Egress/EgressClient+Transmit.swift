import AsyncHTTPClient
import HTTPTypes
import NIOCore
import NIOHTTP1

extension EgressClient {
    /// A host's answer to one attempt, its body read whole.
    struct Answer: Sendable {
        let status: Int
        let headers: HTTPFields
        let body: [UInt8]
    }

    /// The request as sent on every attempt.
    func makeRequest(_ request: EgressRequest, to destination: EgressDestination, etag: String?) -> HTTPClientRequest {
        var outgoing = HTTPClientRequest(url: destination.requestURL)
        outgoing.method = HTTPMethod(rawValue: request.method.rawValue)
        for field in request.headers {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        if destination.pinnedAddress != nil {
            // The URL names the checked address; the host still learns which site is meant.
            outgoing.headers.replaceOrAdd(name: "Host", value: destination.hostHeader)
        }
        if let key = request.idempotencyKey {
            outgoing.headers.replaceOrAdd(name: "Idempotency-Key", value: key)
        }
        if let etag {
            outgoing.headers.replaceOrAdd(name: "If-None-Match", value: etag)
        }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        return outgoing
    }

    /// Sends `request` once and reads the body up to the size limit.
    func transmit(_ request: HTTPClientRequest, deadline: ContinuousClock.Instant) async -> Result<Answer, EgressError> {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return .failure(.timeout) }
        do {
            let response = try await http.execute(request, timeout: TimeAmount(remaining), logger: logger)
            let body = try await response.body.collect(upTo: settings.maxResponseBytes)
            return .success(Answer(status: Int(response.status.code), headers: Self.fields(response.headers), body: Array(buffer: body)))
        } catch {
            return .failure(Self.classify(error))
        }
    }

    /// What an error from the HTTP stack means to the caller.
    static func classify(_ error: any Error) -> EgressError {
        if error is NIOTooManyBytesError { return .responseTooLarge }
        if error is CancellationError || Task.isCancelled { return .cancelled }
        if let error = error as? HTTPClientError {
            if timeouts.contains(error) { return .timeout }
            if error == .cancelled { return .cancelled }
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return .timeout }
        return .transport("\(error)")
    }

    private static let timeouts: [HTTPClientError] = [
        .deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout,
    ]

    private static func fields(_ headers: HTTPHeaders) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in headers {
            // A name HTTP does not allow cannot be represented; such a header is dropped.
            guard let name = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: name, value: value))
        }
        return fields
    }
}
