import ApusCore
import Hummingbird

/// A module that exercises the platform's request handling: JSON decoding, validation and
/// unexpected errors.
struct EchoModule: Module {
    let name = "echo"
    var migrations: [Migration] = []

    struct Greeting: Codable, ResponseEncodable {
        var name: String
        var repeatCount: Int
    }

    struct Unexpected: Error {}

    func addRoutes(to router: Router<ApusRequestContext>, platform: Platform) throws {
        router.post("/v1/echo") { request, context -> Greeting in
            let greeting = try await request.decodeJSON(as: Greeting.self, context: context)
            guard (1...10).contains(greeting.repeatCount) else {
                throw Problem.unprocessable("repeat_count must be 1-10.", errors: [.init(field: "repeat_count", message: "must be 1-10")])
            }
            return greeting
        }
        router.get("/v1/echo/{word}") { _, context -> String in
            context.logger.info("echoing")
            return try context.parameters.require("word")
        }
        router.get("/v1/boom") { _, _ -> String in
            throw Unexpected()
        }
    }

    var openAPI: OpenAPIFragment {
        OpenAPIFragment(paths: ["/v1/echo": ["post": ["operationId": "echo", "responses": ["200": ["description": "echoed"]]]]])
    }
}
