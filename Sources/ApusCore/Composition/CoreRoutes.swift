import Foundation
import Hummingbird
import Prometheus

/// The platform's own endpoints: health, metrics and the OpenAPI document.
struct CoreRoutes {
    let readiness: ReadinessCheck
    let platform: Platform
    let openAPIDocument: Data

    func add(to router: some RouterMethods<ApusRequestContext>) {
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
            "/health/live": [
                "get": [
                    "operationId": "healthLive",
                    "tags": ["platform"],
                    "summary": "Whether the process is up",
                    "responses": ["200": OpenAPIDocument.jsonResponse("The process is up", schema: OpenAPIDocument.ref("HealthStatus"))],
                ]
            ],
            "/health/ready": [
                "get": [
                    "operationId": "healthReady",
                    "tags": ["platform"],
                    "summary": "Whether the node can serve: database reachable, migrations applied",
                    "responses": [
                        "200": OpenAPIDocument.jsonResponse("Ready", schema: OpenAPIDocument.ref("HealthStatus")),
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
                        "200": ["description": "Prometheus text exposition", "content": ["text/plain": ["schema": ["type": "string"]]]]
                    ],
                ]
            ],
            "/v1/openapi.json": [
                "get": [
                    "operationId": "openAPIDocument",
                    "tags": ["platform"],
                    "summary": "This document",
                    "responses": ["200": OpenAPIDocument.jsonResponse("The OpenAPI 3.1 document", schema: ["type": "object"])],
                ]
            ],
        ],
        schemas: [
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

/// The body of a healthy health check.
struct HealthStatus: ResponseEncodable {
    let status: String
}
