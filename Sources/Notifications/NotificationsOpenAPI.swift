import ApusCore

/// The notifications module's part of the OpenAPI document.
enum NotificationsOpenAPI {
    typealias Doc = OpenAPIDocument

    static let noNUL = Doc.noNUL
    static let time = Doc.time
    static let name: JSONValue = ["type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$"]
    static let optionalName: JSONValue = ["type": ["string", "null"], "pattern": "^[A-Za-z0-9_.-]{1,64}$"]
    static func optionalText(_ maxLength: Int) -> JSONValue { Doc.optionalText(maxLength: maxLength) }
    static let eventType: JSONValue = ["type": "string", "pattern": "^[A-Za-z0-9_.*-]{1,128}$"]
    static let channel = Doc.enumeration(DeliveryChannel.self)
    static let status = Doc.enumeration(NotificationStatus.self)
    static let idParameter = Doc.idParameter()
    static let nameParameter: JSONValue = ["name": "name", "in": "path", "required": true, "schema": name]
    static let limit = Doc.limitParameter
    static let idCursor = Doc.idCursorParameter

    static func operation(_ id: String, _ summary: String, tag: String, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]) -> JSONValue {
        Doc.operation(id, summary, tag: tag, body: body, parameters: parameters, responses: responses)
    }

    static func page(_ item: String) -> JSONValue {
        Doc.jsonResponse("A page", schema: Doc.page(of: Doc.ref(item)))
    }

    static let fragment = OpenAPIFragment(
        paths: [
            "/v1/notifications": [
                "post": operation("sendNotification", "Queue a notification", tag: "notifications", body: Doc.ref("SendNotification"), responses: [
                    "202": Doc.jsonResponse("Queued (or suppressed by the recipient's preferences)", schema: Doc.ref("Notification")),
                    "409": Doc.problemResponse("Idempotency key in use"),
                ]),
                "get": operation("listNotifications", "Notifications you sent (an admin's: all)", tag: "notifications", parameters: [
                    limit, idCursor, ["name": "status", "in": "query", "schema": status],
                ], responses: ["200": page("Notification")]),
            ],
            "/v1/notifications/{id}": [
                "get": operation("getNotification", "A notification with every delivery attempt", tag: "notifications", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The notification", schema: Doc.ref("Notification")), "404": Doc.problemResponse("No such notification of yours"),
                ])
            ],
            "/v1/notifications/{id}/retry": [
                "post": operation("retryNotification", "Deliver a dead notification again", tag: "notifications", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("Queued again", schema: Doc.ref("Notification")),
                    "404": Doc.problemResponse("No such notification of yours"), "409": Doc.problemResponse("Not dead"),
                ])
            ],
            "/v1/notification-templates": [
                "post": operation("createTemplate", "Create a Mustache template", tag: "notifications", body: Doc.ref("TemplateBody"), responses: [
                    "201": Doc.jsonResponse("The template", schema: Doc.ref("Template")), "409": Doc.problemResponse("Name taken"),
                ]),
                "get": operation("listTemplates", "Templates by name", tag: "notifications", parameters: [
                    limit, ["name": "cursor", "in": "query", "schema": name],
                ], responses: ["200": page("Template")]),
            ],
            "/v1/notification-templates/{name}": [
                "get": operation("getTemplate", "One template", tag: "notifications", parameters: [nameParameter], responses: [
                    "200": Doc.jsonResponse("The template", schema: Doc.ref("Template")), "404": Doc.problemResponse("No such template"),
                ]),
                "put": operation("putTemplate", "Create or replace a template (its owner or an admin)", tag: "notifications", body: Doc.ref("TemplateBody"), parameters: [nameParameter], responses: [
                    "200": Doc.jsonResponse("The template", schema: Doc.ref("Template")), "403": Doc.problemResponse("Someone else's template"),
                ]),
                "delete": operation("deleteTemplate", "Delete a template (its owner or an admin)", tag: "notifications", parameters: [nameParameter], responses: [
                    "204": ["description": "Deleted"], "403": Doc.problemResponse("Someone else's template"), "404": Doc.problemResponse("No such template"),
                ]),
            ],
            "/v1/webhooks/endpoints": [
                "post": operation("createWebhookEndpoint", "Register a webhook endpoint; its secret is shown once", tag: "webhooks", body: Doc.ref("CreateEndpoint"), responses: [
                    "201": Doc.jsonResponse("The endpoint with its secret", schema: Doc.ref("WebhookEndpoint")),
                ]),
                "get": operation("listWebhookEndpoints", "Your endpoints (an admin's: all)", tag: "webhooks", parameters: [limit, idCursor], responses: [
                    "200": page("WebhookEndpoint"),
                ]),
            ],
            "/v1/webhooks/endpoints/{id}": [
                "get": operation("getWebhookEndpoint", "One endpoint", tag: "webhooks", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The endpoint", schema: Doc.ref("WebhookEndpoint")), "404": Doc.problemResponse("No such endpoint of yours"),
                ]),
                "patch": operation("updateWebhookEndpoint", "Change, disable or enable an endpoint", tag: "webhooks", body: Doc.ref("PatchEndpoint"), parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The endpoint", schema: Doc.ref("WebhookEndpoint")), "404": Doc.problemResponse("No such endpoint of yours"),
                ]),
                "delete": operation("deleteWebhookEndpoint", "Delete an endpoint", tag: "webhooks", parameters: [idParameter], responses: [
                    "204": ["description": "Deleted"], "404": Doc.problemResponse("No such endpoint of yours"),
                ]),
            ],
            "/v1/webhooks/endpoints/{id}/rotate-secret": [
                "post": operation("rotateWebhookSecret", "Replace the signing secret; the new one is shown once", tag: "webhooks", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The new secret", schema: ["type": "object", "required": ["secret"], "properties": ["secret": ["type": "string"]]]),
                    "404": Doc.problemResponse("No such endpoint of yours"),
                ])
            ],
            "/v1/inbox": [
                "get": operation("inbox", "Your in-app notifications, unread first", tag: "notifications", parameters: [
                    limit, ["name": "cursor", "in": "query", "schema": ["type": "string", "pattern": "^[0-9]{1,7}$"]],
                ], responses: ["200": page("Notification")])
            ],
            "/v1/inbox/unread-count": [
                "get": operation("inboxUnreadCount", "How many in-app notifications you have not read", tag: "notifications", responses: [
                    "200": Doc.jsonResponse("The count", schema: ["type": "object", "required": ["unread"], "properties": ["unread": ["type": "integer"]]]),
                ])
            ],
            "/v1/inbox/{id}/read": [
                "post": operation("markRead", "Mark an in-app notification read", tag: "notifications", parameters: [idParameter], responses: [
                    "200": Doc.jsonResponse("The notification", schema: Doc.ref("Notification")), "404": Doc.problemResponse("Not in your inbox"),
                ])
            ],
            "/v1/users/me/notification-preferences": [
                "get": operation("getNotificationPreferences", "Your notification preferences", tag: "notifications", responses: [
                    "200": Doc.jsonResponse("Category → channel → enabled", schema: Doc.ref("Preferences")),
                ]),
                "put": operation("putNotificationPreferences", "Replace your notification preferences", tag: "notifications", body: Doc.ref("Preferences"), responses: [
                    "200": Doc.jsonResponse("Category → channel → enabled", schema: Doc.ref("Preferences")),
                ]),
            ],
        ],
        schemas: [
            "SendNotification": [
                "type": "object", "required": ["recipient", "channel"],
                "properties": [
                    "recipient": ["type": "string", "maxLength": 254, "pattern": noNUL], "channel": channel, "template": optionalName,
                    "subject": optionalText(998), "body": optionalText(100_000), "data": ["type": ["object", "null"]], "category": optionalName,
                ],
            ],
            "Notification": [
                "type": "object", "required": ["id", "channel", "recipient", "category", "data", "status", "created_at", "updated_at"],
                "properties": [
                    "id": ["type": "string"], "channel": channel, "recipient": ["type": "string"], "category": ["type": "string"],
                    "template": ["type": "string"], "subject": ["type": "string"], "body": ["type": "string"], "data": ["type": "object"],
                    "event_type": ["type": "string"], "status": status, "created_at": time, "updated_at": time, "delivered_at": time, "read_at": time,
                    "attempts": ["type": "array", "items": [
                        "type": "object", "required": ["attempt", "at", "outcome"],
                        "properties": ["attempt": ["type": "integer"], "at": time, "outcome": ["type": "string"], "response": ["type": "string"], "error": ["type": "string"]],
                    ]],
                ],
            ],
            "TemplateBody": [
                "type": "object", "required": ["subject", "text_body"],
                "properties": [
                    "name": optionalName, "subject": ["type": "string", "maxLength": 100_000, "pattern": noNUL],
                    "text_body": ["type": "string", "maxLength": 100_000, "pattern": noNUL], "html_body": optionalText(100_000),
                ],
            ],
            "Template": [
                "type": "object", "required": ["name", "subject", "text_body", "created_at", "updated_at"],
                "properties": [
                    "name": ["type": "string"], "subject": ["type": "string"], "text_body": ["type": "string"], "html_body": ["type": "string"],
                    "owner_id": ["type": "string", "description": "Who may change it besides admins; absent: admins only"],
                    "created_at": time, "updated_at": time,
                ],
            ],
            "CreateEndpoint": [
                "type": "object", "required": ["url", "event_types"],
                "properties": [
                    "url": ["type": "string", "format": "uri", "maxLength": 2048, "pattern": "^https?://[^\\u0000]+$"],
                    "event_types": ["type": "array", "minItems": 1, "maxItems": 100, "items": eventType],
                ],
            ],
            "PatchEndpoint": [
                "type": "object",
                "properties": [
                    "url": ["type": ["string", "null"], "format": "uri", "maxLength": 2048, "pattern": "^https?://[^\\u0000]+$"],
                    "event_types": ["type": ["array", "null"], "minItems": 1, "maxItems": 100, "items": eventType], "disabled": ["type": ["boolean", "null"]],
                ],
            ],
            "WebhookEndpoint": [
                "type": "object", "required": ["id", "url", "event_types", "disabled", "created_at", "updated_at"],
                "properties": [
                    "id": ["type": "string"], "url": ["type": "string"], "event_types": ["type": "array", "items": ["type": "string"]],
                    "disabled": ["type": "boolean"], "disabled_reason": ["type": "string"], "failing_since": time,
                    "created_at": time, "updated_at": time, "secret": ["type": "string"],
                ],
            ],
            "Preferences": [
                "type": "object", "required": ["categories"],
                "properties": [
                    "categories": [
                        "type": "object", "maxProperties": 200, "propertyNames": ["pattern": "^[A-Za-z0-9_.-]{1,64}$"],
                        "additionalProperties": [
                            "type": "object",
                            "properties": ["webhook": ["type": "boolean"], "email": ["type": "boolean"], "in_app": ["type": "boolean"]],
                            "additionalProperties": false,
                        ],
                    ]
                ],
            ],
        ],
        tags: [["name": "notifications", "description": "Webhook, email and in-app notifications"], ["name": "webhooks", "description": "Webhook endpoints for module events"]]
    )
}
