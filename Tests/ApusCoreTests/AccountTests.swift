import ApusCore
import ApusTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import HummingbirdBcrypt
import NIOPosix
import Testing

@Suite struct AccountTests {
    /// bcrypt alone reads 72 bytes: two passwords sharing them must still differ.
    @Test(arguments: DatabaseEngine.allCases)
    func passwordsThatShareTheirFirst72BytesAreDifferent(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            let shared = String(repeating: "correct horse ", count: 6)
            #expect(shared.utf8.count >= 72)
            #expect(try await client.register("long@example.com", password: shared + "battery").status == .created)
            let wrong = try await client.json("/v1/auth/login", .post, body: #"{"email":"long@example.com","password":"\#(shared)staple"}"#)
            #expect(wrong.status == .unauthorized)
            let right = try await client.login("long@example.com", password: shared + "battery")
            #expect(!right.accessToken.isEmpty)
        }
    }

    @Test func aHashMadeBeforeDigestingStillVerifies() async throws {
        let hasher = PasswordHasher(cost: 4)
        let legacy = try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash("correct horse", cost: 4) }
        #expect(try await hasher.verify("correct horse", hash: legacy))
        #expect(try await !hasher.verify("wrong horse", hash: legacy))
        let current = try await hasher.hash("correct horse")
        #expect(current.hasPrefix("apus1$"))
        #expect(try await hasher.verify("correct horse", hash: current))
    }

    /// One address has one account however it is spelled: NFC or NFD, fullwidth, any case; an
    /// address with characters nobody can see is no address.
    @Test(arguments: DatabaseEngine.allCases)
    func spellingsOfOneAddressMakeOneAccountAndInvisibleCharactersNone(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            #expect(try await client.register("ren\u{E9}@example.com").status == .created)
            #expect(try await client.register("rene\u{301}@example.com").status == .conflict)
            #expect(try await client.register("RENE\u{301}@EXAMPLE.COM").status == .conflict)
            #expect(try await client.register("ada@example.com").status == .created)
            #expect(try await client.register("\u{FF41}\u{FF44}\u{FF41}@example.com").status == .conflict)
            for invisible in ["a\u{200B}da@example.com", "ada\u{2060}@example.com", "a\u{FEFF}da@example.com", "ada@exa\u{00AD}mple.com"] {
                let status = try await client.register(invisible).status
                #expect(status == .unprocessableContent)
            }
            let login = try await client.login("rene\u{301}@example.com")
            #expect(!login.accessToken.isEmpty)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func registrationNormalisesEmailsAndRefusesDuplicatesAndWeakPasswords(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            let created = try await client.register("  Ada@Example.COM ")
            #expect(created.status == .created)
            let user = try created.decoded(User.self)
            #expect(user.email == "ada@example.com")
            #expect(user.roles == [.viewer])
            #expect(!String(buffer: created.body).contains("password"))
            #expect(created.headers[.location] == "/v1/users/\(user.id)")
            #expect(try await client.register("ada@example.com").status == .conflict)
            #expect(try await client.register("bob@example.com", password: "short").status == .unprocessableContent)
            #expect(try await client.register("bob@example.com", password: String(repeating: "x", count: 129)).status == .unprocessableContent)
            #expect(try await client.register("carol@example.com", password: "carol@example.com").status == .unprocessableContent)
            #expect(try await client.register("not-an-email").status == .unprocessableContent)
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func loginGivesTheSameAnswerForAWrongEmailAndAWrongPassword(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            try await client.register("ada@example.com")
            let wrongPassword = try await client.json("/v1/auth/login", .post, body: #"{"email":"ada@example.com","password":"wrong password"}"#)
            let wrongEmail = try await client.json("/v1/auth/login", .post, body: #"{"email":"eve@example.com","password":"wrong password"}"#)
            #expect(wrongPassword.status == .unauthorized)
            #expect(wrongEmail.status == .unauthorized)
            #expect(try wrongPassword.decoded(ProblemResponseTests.ProblemBody.self).detail == wrongEmail.decoded(ProblemResponseTests.ProblemBody.self).detail)
            let pair = try await client.login("ADA@example.com")
            #expect(pair.tokenType == "Bearer")
            #expect(pair.expiresIn == 900)
            let me = try await client.json("/v1/auth/me", .get, token: pair.accessToken)
            #expect(try me.decoded(User.self).email == "ada@example.com")
        }
    }

    @Test(arguments: DatabaseEngine.allCases)
    func aMissingOrBadTokenIsA401WithAChallenge(engine: DatabaseEngine) async throws {
        try await TestServer.withServer(engine: engine) { _, client in
            let missing = try await client.json("/v1/auth/me", .get)
            #expect(missing.status == .unauthorized)
            #expect(missing.headers[.wwwAuthenticate] == #"Bearer realm="apus""#)
            #expect(try await client.json("/v1/auth/me", .get, token: "not.a.jwt").status == .unauthorized)
            #expect(try await client.json("/v1/auth/me", .get, headers: [.authorization: "Basic abc"]).status == .unauthorized)
            #expect(try await client.json("/v1/auth/me", .get, token: "apus_unknownkey").status == .unauthorized)
        }
    }
}
