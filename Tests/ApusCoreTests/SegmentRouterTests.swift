import ApusCore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct SegmentRouterTests {
    /// Answers with the route's template and its parameters, so a test sees which route took a path.
    static func echo(_ router: SegmentRouter<BasicRequestContext>, _ template: RouterPath, method: HTTPRequest.Method = .get) {
        router.on(template, method: method) { _, context -> String in
            let parameters = context.parameters.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
            return "\(context.endpointPath ?? "?") \(parameters)"
        }
    }

    static func answers(_ router: SegmentRouter<BasicRequestContext>, _ requests: [(String, HTTPRequest.Method)]) async throws -> [String] {
        try await Application(router: router).test(.router) { client in
            var answers: [String] = []
            for (path, method) in requests {
                answers.append(try await client.execute(uri: path, method: method) { response in
                    response.status == .ok ? String(buffer: response.body) : "\(response.status.code)"
                })
            }
            return answers
        }
    }

    @Test func aConstantSegmentWinsOverACaptureAndTheCaptureTakesTheRest() async throws {
        let router = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(router, "/v1/content/types")
        Self.echo(router, "/v1/content/{type}/published/by-slug/{slug}")
        Self.echo(router, "/{code}")
        Self.echo(router, "/health/live")
        let answers = try await Self.answers(router, [
            ("/v1/content/types", .get), ("/v1/content/pages/published/by-slug/hello-world", .get), ("/abc", .get), ("/health/live", .get),
            ("/health", .get), ("/v1/content/pages/published/by-slug", .get), ("/v1/content/pages/published/by-slug/a/b", .get),
        ])
        #expect(answers == [
            "/v1/content/types ", "/v1/content/{type}/published/by-slug/{slug} slug=hello-world,type=pages", "/{code} code=abc", "/health/live ",
            "/{code} code=health", "404", "404",
        ])
    }

    /// `/v1/content/types/published/by-slug/x`: `types` is a constant, but nothing under it
    /// takes the rest, so the capture beside it does; nothing the failed branch saw is kept.
    @Test func whenTheRestFailsUnderAConstantTheCaptureBesideItIsTried() async throws {
        let router = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(router, "/v1/content/types/{api_id}")
        Self.echo(router, "/v1/content/{type}/published/by-slug/{slug}")
        let answers = try await Self.answers(router, [("/v1/content/types/published/by-slug/x", .get), ("/v1/content/types/articles", .get)])
        #expect(answers == ["/v1/content/{type}/published/by-slug/{slug} slug=x,type=types", "/v1/content/types/{api_id} api_id=articles"])
    }

    @Test func emptySegmentsAreSkippedAndSegmentsAreMatchedExactly() async throws {
        let router = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(router, "/v1/links")
        Self.echo(router, "/")
        let answers = try await Self.answers(router, [
            ("/v1/links/", .get), ("//v1//links", .get), ("/v1/Links", .get), ("/v1/links2", .get), ("/", .get), ("/v1/links?limit=2", .get),
        ])
        #expect(answers == ["/v1/links ", "/v1/links ", "404", "404", "/ ", "/v1/links "])
    }

    @Test func headAnswersAsGetWithoutTheBodyAndAMissingMethodIsNotFound() async throws {
        let router = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(router, "/items/{id}")
        Self.echo(router, "/items/{id}", method: .delete)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/items/7", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/items/7", method: .delete) { response in
                #expect(String(buffer: response.body) == "/items/{id} id=7")
            }
            try await client.execute(uri: "/items/7", method: .post) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(router.routes.map { "\($0.method.rawValue) \($0.path)" } == ["GET /items/{id}", "DELETE /items/{id}"])
    }

    /// Middleware serves the routes added after it, groups add theirs, and the not-found chain
    /// passes every middleware on the router, even one added after the last route.
    @Test func middlewareWrapsTheRoutesAddedAfterItAndEveryMissedPath() async throws {
        let router = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(router, "/early")
        router.add(middleware: Stamp(name: "outer"))
        Self.echo(router, "/late")
        router.group("/api").add(middleware: Stamp(name: "group")).get("/thing") { _, _ in "thing" }
        router.add(middleware: Stamp(name: "last"))
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/early", method: .get) { response in
                #expect(response.headers[Stamp.header] == nil)
            }
            try await client.execute(uri: "/late", method: .get) { response in
                #expect(response.headers[values: Stamp.header] == ["outer"])
            }
            try await client.execute(uri: "/api/thing", method: .get) { response in
                #expect(String(buffer: response.body) == "thing")
                #expect(response.headers[values: Stamp.header] == ["group", "outer"])
            }
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[values: Stamp.header] == ["last", "outer"])
            }
        }
    }

    @Test func middlewareScopedToSomeMethodsWrapsOnlyTheirRoutesAndEveryMissedPath() async throws {
        let router = SegmentRouter(context: BasicRequestContext.self)
        router.add(middleware: PostStamp(name: "posts"))
        router.add(middleware: Stamp(name: "all"))
        Self.echo(router, "/things", method: .post)
        Self.echo(router, "/things", method: .get)
        Self.echo(router, "/things", method: .put)
        try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/things", method: .post) { response in
                #expect(response.headers[values: Stamp.header] == ["all", "posts"])
            }
            for method in [HTTPRequest.Method.get, .head, .put] {
                try await client.execute(uri: "/things", method: method) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[values: Stamp.header] == ["all"], "\(method)")
                }
            }
            // A missed path may be of any method: the whole chain sees it.
            try await client.execute(uri: "/nowhere", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[values: Stamp.header] == ["all", "posts"])
            }
        }
    }

    @Test func aWildcardTwoNamesForOneCapturePositionOrARouteAddedTwiceAreRefused() throws {
        let wildcard = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(wildcard, "/files/**")
        #expect(throws: UnroutableTemplate.self) { try wildcard.validate() }
        let names = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(names, "/{code}")
        Self.echo(names, "/{id}/stats")
        #expect(throws: UnroutableTemplate.self) { try names.validate() }
        let twice = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(twice, "/items/{id}")
        Self.echo(twice, "/items/{id}")
        #expect(throws: UnroutableTemplate.self) { try twice.validate() }
        let fine = SegmentRouter(context: BasicRequestContext.self)
        Self.echo(fine, "/{code}")
        Self.echo(fine, "/{code}/stats")
        try fine.validate()
    }

    /// A ``Stamp`` for `POST` routes only.
    struct PostStamp: RouterMiddleware, MethodScopedMiddleware {
        typealias Context = BasicRequestContext
        let name: String
        var methods: Set<HTTPRequest.Method> { [.post] }

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            try await Stamp(name: name).handle(request, context: context, next: next)
        }
    }

    /// Adds its name to the response's `X-Stamp` on the way out.
    struct Stamp: RouterMiddleware {
        typealias Context = BasicRequestContext
        static let header = HTTPField.Name("X-Stamp")!
        let name: String

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var response: Response
            do {
                response = try await next(request, context)
            } catch let error as HTTPError {
                response = Response(status: error.status)
            }
            response.headers.append(HTTPField(name: Self.header, value: name))
            return response
        }
    }
}
