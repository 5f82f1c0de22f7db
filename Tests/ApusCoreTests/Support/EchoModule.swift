import ApusCore
import Hummingbird

/// A module that exercises the platform's request handling: JSON decoding, validation and
/// unexpected errors.
struct EchoModule: Module {
    let name = "echo"
    var migrations: [Migration] = []
    /// How many times the creating handlers ran, to tell a replay from a re-run.
    let runs = RunCounter()

    struct Greeting: Codable, ResponseEncodable {
        var name: String
        var repeatCount: Int
    }

    struct Unexpected: Error {}

    func start(_ platform: Platform) throws -> ModuleParts {
        let router = RouteCollection(context: ApusRequestContext.self)
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
        let runs = self.runs
        router.post("/v1/orders") { request, context -> Response in
            let greeting = try await request.decodeJSON(as: Greeting.self, context: context)
            let number = await runs.next()
            try await Task.sleep(for: .milliseconds(greeting.repeatCount * 100))
            return Response(
                status: .created,
                headers: [.location: "/v1/orders/\(number)", .contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"order":\#(number),"name":"\#(greeting.name)"}"#))
            )
        }
        router.post("/v1/flaky") { _, _ -> String in
            let number = await runs.next()
            if number % 2 == 1 { throw Unexpected() }
            return "ok \(number)"
        }
        return ModuleParts(routes: router)
    }

    var openAPI: OpenAPIFragment {
        OpenAPIFragment(paths: ["/v1/echo": ["post": ["operationId": "echo", "responses": ["200": ["description": "echoed"]]]]])
    }
}

/// Counts handler runs across requests.
actor RunCounter {
    private var count = 0

    func next() -> Int {
        count += 1
        return count
    }

    var value: Int { count }
}
