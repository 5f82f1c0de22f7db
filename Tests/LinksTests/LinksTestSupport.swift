import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Links
import Testing

struct CreatedLink: Decodable, Sendable {
    let code: String
    let shortUrl: String
    let url: String
    let redirect: Int
    let visits: Int
    let tags: [String]
}

extension TestClientProtocol {
    func shorten(_ body: String, token: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await json("/v1/links", .post, token: token, body: body, headers: headers)
    }

    func follow(_ code: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: "/\(code)", method: .get, headers: headers)
    }
}

enum LinksTest {
    static func withNode<Result: Sendable>(
        engine: DatabaseEngine = .sqlite,
        live: Bool = false,
        clock: TestClock? = nil,
        configure: @Sendable (inout ApusConfiguration) -> Void = { _ in },
        _ body: @Sendable (ApusServer, any TestClientProtocol) async throws -> Result
    ) async throws -> Result {
        try await TestServer.withNode(engine: engine, modules: [LinksModule()], live: live, clock: clock, configure: {
            $0.publicURL = "https://sho.rt"
            configure(&$0)
        }, body)
    }
}
