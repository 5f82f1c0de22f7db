@_spi(Platform) import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Links
import Testing

/// A node reading through the test server's streaming replica, held behind by pausing its
/// replay: a client that sends back `Apus-Consistency` never reads older than its own write.
@Suite(.serialized) struct ReadYourWritesTests {
    @Test func aClientSendingBackItsPositionReadsItsWriteWhileTheReplicaLags() async throws {
        try await TestServer.withNode(engine: .postgres, modules: [LinksModule()], live: true, replica: true, configure: {
            $0.publicURL = "https://sho.rt"
            $0.replicas.maxLag = 30
        }) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            let created = try await client.shorten(#"{"url":"https://one.example"}"#, token: ada.accessToken)
            #expect(created.status == .created)
            let first = try #require(created.headers[.apusConsistency], "a write's answer carries its position")
            let code = try created.decoded(CreatedLink.self).code
            let replicas = try #require(server.platform.replicas)
            #expect(try await eventually { replicas.canServe(after: WALPosition(first)) }, "the replica never caught up")
            // A read carries no position of its own.
            let read = try await client.json("/v1/links/\(code)", .get, token: ada.accessToken, headers: [.apusConsistency: first])
            #expect(read.status == .ok)
            #expect(read.headers[.apusConsistency] == nil)

            try await TestReplica.whilePaused(replicaOf: server.platform.database) {
                let patched = try await client.json("/v1/links/\(code)", .patch, token: ada.accessToken, body: #"{"url":"https://two.example"}"#)
                #expect(patched.status == .ok)
                let second = try #require(patched.headers[.apusConsistency])
                #expect(try #require(WALPosition(second)) > #require(WALPosition(first)))
                // Without its position the client may read the replica's older state...
                let plain = try await client.json("/v1/links/\(code)", .get, token: ada.accessToken)
                #expect(try plain.decoded(CreatedLink.self).url == "https://one.example/")
                // ...with it, never.
                let consistent = try await client.json("/v1/links/\(code)", .get, token: ada.accessToken, headers: [.apusConsistency: second])
                #expect(try consistent.decoded(CreatedLink.self).url == "https://two.example/")
                // Caches load from the primary: the redirect follows the change at once.
                #expect(try await client.follow(code).headers[.location] == "https://two.example/")
            }
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            #expect(metrics.contains(#"apus_database_reads_total{target="replica"}"#))
            #expect(metrics.contains(#"apus_database_reads_total{target="primary"}"#))
            #expect(metrics.contains(#"apus_database_replica_lag_seconds{replica="127.0.0.1:"#))
            #expect(metrics.contains(#"apus_database_replica_up{replica="127.0.0.1:"#))
        }
    }

    @Test func aMalformedPositionIsABadRequest() async throws {
        try await TestServer.withNode(engine: .postgres, modules: [LinksModule()], live: true, replica: true) { server, client in
            let ada = try await client.signedIn("ada@example.com", server: server)
            for bad in ["yesterday", "1/2/3", "0/G"] {
                let response = try await client.json("/v1/links", .get, token: ada.accessToken, headers: [.apusConsistency: bad])
                #expect(response.status == .badRequest, "\(bad)")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
        }
    }
}
