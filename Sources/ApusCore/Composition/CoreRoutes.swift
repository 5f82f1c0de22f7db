import Foundation
import Hummingbird
import Prometheus

/// The platform's own endpoints: the entry points at `/`, health, metrics and the OpenAPI document.
struct CoreRoutes {
    let readiness: ReadinessCheck
    let platform: Platform
    let openAPIDocument: Data
    let entryPoints: EntryPoints

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let entryPoints = self.entryPoints
        router.get("/") { _, _ in entryPoints }
        // Probed by every load balancer every few seconds: its body is encoded once.
        let live = ByteBuffer(string: #"{"status":"ok"}"#)
        router.get("/health/live") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: live))
        }
        router.get("/health/ready") { _, _ -> HealthStatus in
            if let reason = await readiness.problem() {
                throw Problem(.serviceUnavailable, detail: reason)
            }
            return HealthStatus(status: "ready")
        }
        let registry = platform.metrics
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            registry.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        let document = openAPIDocument
        router.get("/v1/openapi.json") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: document))
            )
        }
    }

    static let openAPI = OpenAPIFragment(
        paths: [
            "/": [
                "get": [
                    "operationId": "entryPoints",
                    "tags": ["platform"],
                    "summary": "Where the API, its document, health and metrics are, and the modules this node runs",
                    "responses": [
                        "200": OpenAPIDocument.jsonResponse("The entry points", schema: OpenAPIDocument.ref("EntryPoints")),
                        // No credentials are needed; ones sent are checked like anywhere else.
                        "401": OpenAPIDocument.problemResponse("Credentials were sent and are invalid"),
                    ],
                ]
            ],
            "/health/live": [
                "get": [
                    "operationId": "healthLive",
                    "tags": ["platform"],
                    "summary": "Whether the process is up",
                    "responses": [
                        "200": OpenAPIDocument.jsonResponse("The process is up", schema: OpenAPIDocument.ref("HealthStatus")),
                        "401": OpenAPIDocument.problemResponse("Credentials were sent and are invalid"),
                    ],
                ]
            ],
            "/health/ready": [
                "get": [
                    "operationId": "healthReady",
                    "tags": ["platform"],
                    "summary": "Whether the node can serve: database reachable, migrations applied",
                    "responses": [
                        "200": OpenAPIDocument.jsonResponse("Ready", schema: OpenAPIDocument.ref("HealthStatus")),
                        "401": OpenAPIDocument.problemResponse("Credentials were sent and are invalid"),
                        "503": OpenAPIDocument.problemResponse("Not ready, with the reason"),
                    ],
                ]
            ],
            "/metrics": [
                "get": [
                    "operationId": "metrics",
                    "tags": ["platform"],
                    "summary": "Prometheus metrics",
                    "responses": [
                        "200": ["description": "Prometheus text exposition", "content": ["text/plain": ["schema": ["type": "string"]]]],
                        "401": OpenAPIDocument.problemResponse("Credentials were sent and are invalid"),
                    ],
                ]
            ],
            "/v1/openapi.json": [
                "get": [
                    "operationId": "openAPIDocument",
                    "tags": ["platform"],
                    "summary": "This document",
                    "responses": [
                        "200": OpenAPIDocument.jsonResponse("The OpenAPI 3.1 document", schema: ["type": "object"]),
                        "401": OpenAPIDocument.problemResponse("Credentials were sent and are invalid"),
                    ],
                ]
            ],
        ],
        schemas: [
            "EntryPoints": [
                "type": "object",
                "required": ["name", "version", "api", "openapi", "health", "metrics", "modules", "sockets"],
                "properties": [
                    "name": ["type": "string", "const": "apus"],
                    "version": ["type": "string"],
                    "api": ["type": "string"],
                    "openapi": ["type": "string"],
                    "health": ["type": "string"],
                    "metrics": ["type": "string"],
                    "modules": ["type": "array", "items": ["type": "string"]],
                    "sockets": ["type": "array", "items": ["type": "string"]],
                ],
                "additionalProperties": false,
            ],
            "HealthStatus": [
                "type": "object",
                "required": ["status"],
                "properties": ["status": ["type": "string", "enum": ["ok", "ready"]]],
                "additionalProperties": false,
            ]
        ],
        tags: [["name": "platform", "description": "Health, metrics and this document"]]
    )
}

/// What `GET /` answers: where a client or a person goes next.
struct EntryPoints: ResponseEncodable {
    var name = "apus"
    let version: String
    var api = "/v1"
    var openapi = "/v1/openapi.json"
    var health = "/health/ready"
    var metrics = "/metrics"
    /// The modules this node runs.
    let modules: [String]
    /// The WebSocket endpoints.
    let sockets: [String]

    init(version: String, modules: [String], sockets: [String]) {
        self.version = version
        self.modules = modules
        self.sockets = sockets
    }
}

/// The body of a healthy health check.
struct HealthStatus: ResponseEncodable {
    let status: String
}
