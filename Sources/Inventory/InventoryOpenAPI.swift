import ApusCore

/// The inventory module's part of the OpenAPI document.
enum InventoryOpenAPI {
    typealias Doc = OpenAPIDocument

    static func operation(_ id: String, _ summary: String, secured: Bool = true, body: JSONValue? = nil, parameters: [JSONValue] = [], responses: [String: JSONValue]) -> JSONValue {
        Doc.operation(id, summary, tag: "inventory", secured: secured, body: body, parameters: parameters, responses: responses)
    }

    static let code: JSONValue = ["type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"]
    static let currency: JSONValue = ["type": "string", "pattern": "^[A-Z]{3}$"]
    static let skuQuery: JSONValue = ["name": "sku", "in": "query", "required": true, "schema": code]
    static let ifMatch: JSONValue = ["name": "If-Match", "in": "header", "required": true, "schema": ["type": "string", "pattern": "^((W/)?\"[0-9]{1,18}\"|\\*)$"]]
    static let count: JSONValue = ["type": "integer"]
    static let lines: JSONValue = [
        "type": "array", "minItems": 1, "maxItems": 100,
        "items": Doc.object(["sku": code, "quantity": ["type": "integer", "minimum": 1, "maximum": 10000]]),
    ]

    static let fragment = OpenAPIFragment(
        paths: [
            "/v1/inventory/products": [
                "get": operation("listProducts", "Products: published ones, or all for staff", secured: false, parameters: [Doc.limitParameter, Doc.idCursorParameter], responses: [
                    "200": Doc.jsonResponse("A page of products", schema: Doc.page(of: Doc.ref("Product"))),
                ]),
                "post": operation("createProduct", "Add a product with its variants", body: Doc.ref("NewProduct"), responses: [
                    "201": Doc.jsonResponse("The product; ETag is its version", schema: Doc.ref("Product")), "409": Doc.problemResponse("A SKU is taken"),
                ]),
            ],
            "/v1/inventory/products/{id}": [
                "get": operation("getProduct", "One product (published, or any for staff)", secured: false, parameters: [Doc.idParameter()], responses: [
                    "200": Doc.jsonResponse("The product; ETag is its version", schema: Doc.ref("Product")), "404": Doc.problemResponse("No such product"),
                ]),
                "patch": operation("updateProduct", "Change a product at the version If-Match names", body: Doc.ref("ProductPatch"), parameters: [Doc.idParameter(), ifMatch], responses: [
                    "200": Doc.jsonResponse("The product", schema: Doc.ref("Product")), "404": Doc.problemResponse("No such product"),
                    "412": Doc.problemResponse("The product changed since that version"), "428": Doc.problemResponse("If-Match is missing"),
                ]),
            ],
            "/v1/inventory/products/{id}/variants": [
                "post": operation("addVariant", "Add a variant to a product at the version If-Match names", body: Doc.ref("NewVariant"), parameters: [Doc.idParameter(), ifMatch], responses: [
                    "201": Doc.jsonResponse("The product; ETag is its new version", schema: Doc.ref("Product")), "404": Doc.problemResponse("No such product"),
                    "409": Doc.problemResponse("The SKU is taken"), "412": Doc.problemResponse("The product changed since that version"),
                    "428": Doc.problemResponse("If-Match is missing"),
                ]),
            ],
            "/v1/inventory/products/{id}/variants/{variant}": [
                "patch": operation("updateVariant", "Change a variant at the product version If-Match names", body: Doc.ref("VariantPatch"),
                    parameters: [Doc.idParameter(), Doc.idParameter("variant"), ifMatch], responses: [
                        "200": Doc.jsonResponse("The product; ETag is its new version", schema: Doc.ref("Product")), "404": Doc.problemResponse("No such product or variant"),
                        "412": Doc.problemResponse("The product changed since that version"), "428": Doc.problemResponse("If-Match is missing"),
                    ]),
            ],
            "/v1/inventory/locations": [
                "get": operation("listLocations", "Stock locations", responses: ["200": Doc.jsonResponse("Every location", schema: Doc.page(of: Doc.ref("Location")))]),
                "post": operation("createLocation", "Add a stock location", body: Doc.object(["code": code, "name": Doc.text(maxLength: 200)]), responses: [
                    "201": Doc.jsonResponse("The location", schema: Doc.ref("Location")), "409": Doc.problemResponse("The code is taken"),
                ]),
            ],
            "/v1/inventory/stock/adjustments": [
                "post": operation("adjustStock", "Receive goods or correct a count", body: Doc.ref("StockAdjustment"), responses: [
                    "201": Doc.jsonResponse("The SKU's stock after the change", schema: Doc.ref("SKUStock")),
                    "409": Doc.problemResponse("On hand would fall below what is reserved"),
                ]),
            ],
            "/v1/inventory/stock": [
                "get": operation("getStock", "A SKU's stock per location", parameters: [skuQuery], responses: [
                    "200": Doc.jsonResponse("On hand, reserved and available", schema: Doc.ref("SKUStock")), "422": Doc.problemResponse("No such SKU"),
                ]),
            ],
            "/v1/inventory/movements": [
                "get": operation("listMovements", "Every change of a SKU's stock, oldest first", parameters: [skuQuery, Doc.limitParameter, Doc.idCursorParameter], responses: [
                    "200": Doc.jsonResponse("A page of movements", schema: Doc.page(of: Doc.ref("Movement"))), "422": Doc.problemResponse("No such SKU"),
                ]),
            ],
            "/v1/checkouts": [
                "post": operation("createCheckout", "Reserve every line, or none", body: Doc.ref("NewCheckout"), responses: [
                    "201": Doc.jsonResponse("The checkout, holding its stock until expires_at", schema: Doc.ref("Checkout")),
                    "409": Doc.problemResponse("Not enough stock: errors name the lines and what is available"),
                    "503": Doc.problemResponse("Too much contention; retry after Retry-After"),
                ]),
            ],
            "/v1/checkouts/{id}": [
                "get": operation("getCheckout", "One of your checkouts", parameters: [Doc.idParameter()], responses: [
                    "200": Doc.jsonResponse("The checkout", schema: Doc.ref("Checkout")), "404": Doc.problemResponse("No such checkout of yours"),
                ]),
            ],
            "/v1/checkouts/{id}/cancel": [
                "post": operation("cancelCheckout", "Give a checkout's stock back", parameters: [Doc.idParameter()], responses: [
                    "200": Doc.jsonResponse("The released checkout", schema: Doc.ref("Checkout")), "404": Doc.problemResponse("No such checkout of yours"),
                    "409": Doc.problemResponse("The checkout holds no stock any more"),
                ]),
            ],
            "/v1/orders": [
                "get": operation("listOrders", "Your orders (staff: all)", parameters: [Doc.limitParameter, Doc.idCursorParameter], responses: [
                    "200": Doc.jsonResponse("A page of orders", schema: Doc.page(of: Doc.ref("Order"))),
                ]),
            ],
            "/v1/orders/{id}": [
                "get": operation("getOrder", "One of your orders", parameters: [Doc.idParameter()], responses: [
                    "200": Doc.jsonResponse("The order", schema: Doc.ref("Order")), "404": Doc.problemResponse("No such order of yours"),
                ]),
            ],
            "/v1/orders/{id}/fulfilment": [
                "post": operation("fulfilOrder", "Mark a paid order shipped or delivered", body: Doc.object(["status": ["type": "string", "enum": ["shipped", "delivered"]]]), parameters: [Doc.idParameter()], responses: [
                    "200": Doc.jsonResponse("The order", schema: Doc.ref("Order")), "404": Doc.problemResponse("No such order"),
                    "409": Doc.problemResponse("Not paid, or that step is past"),
                ]),
            ],
            "/v1/orders/{id}/returns": [
                "post": operation("returnOrder", "Put returned units back on the shelf", body: Doc.object(["lines": lines, "reason": Doc.text(maxLength: 500)]), parameters: [Doc.idParameter()], responses: [
                    "200": Doc.jsonResponse("The order", schema: Doc.ref("Order")), "404": Doc.problemResponse("No such order"),
                    "409": Doc.problemResponse("The order is not paid"),
                ]),
            ],
            "/v1/payments/webhook": [
                "post": operation("paymentWebhook", "A payment provider's event, signed with Stripe-Signature", secured: false, body: Doc.ref("PaymentEvent"), parameters: [
                    ["name": "Stripe-Signature", "in": "header", "required": true, "schema": ["type": "string"]],
                ], responses: [
                    "200": Doc.jsonResponse("Taken (once per event id)", schema: Doc.object(["event_id": ["type": "string"], "outcome": ["type": "string"]])),
                    "400": Doc.problemResponse("Bad signature, timestamp or body; nothing changed"),
                ]),
            ],
        ],
        schemas: [
            "NewProduct": Doc.object([
                "name": Doc.text(maxLength: 200), "description": Doc.text(maxLength: 10000), "published": ["type": "boolean"],
                "variants": ["type": "array", "minItems": 1, "maxItems": 100, "items": Doc.ref("NewVariant")],
            ], optional: ["description", "published"]),
            "NewVariant": Doc.object([
                "sku": code, "name": Doc.text(maxLength: 200), "price": ["type": "integer", "minimum": 0, "maximum": 100_000_000_000], "currency": currency,
                "attributes": ["type": "object", "maxProperties": 50, "propertyNames": ["pattern": "^[a-z0-9-]{1,40}$"], "additionalProperties": Doc.text(maxLength: 200)],
                "low_stock_threshold": ["type": "integer", "minimum": 0, "maximum": 1_000_000_000],
            ], optional: ["attributes", "low_stock_threshold"]),
            "VariantPatch": Doc.object([
                "name": Doc.text(maxLength: 200), "price": ["type": "integer", "minimum": 0, "maximum": 100_000_000_000], "currency": currency,
                "attributes": ["type": "object", "maxProperties": 50, "propertyNames": ["pattern": "^[a-z0-9-]{1,40}$"], "additionalProperties": Doc.text(maxLength: 200)],
                "low_stock_threshold": ["type": "integer", "minimum": 0, "maximum": 1_000_000_000],
            ], optional: ["name", "price", "currency", "attributes", "low_stock_threshold"]),
            "ProductPatch": Doc.object(["name": Doc.text(maxLength: 200), "description": Doc.text(maxLength: 10000), "published": ["type": "boolean"]], optional: ["name", "description", "published"]),
            "Product": Doc.object([
                "id": ["type": "string"], "name": ["type": "string"], "description": ["type": "string"], "published": ["type": "boolean"],
                "version": count, "variants": ["type": "array", "items": Doc.ref("Variant")], "created_at": Doc.time, "updated_at": Doc.time,
            ]),
            "Variant": Doc.object([
                "id": ["type": "string"], "sku": ["type": "string"], "name": ["type": "string"], "price": count, "currency": ["type": "string"],
                "attributes": ["type": "object", "additionalProperties": ["type": "string"]], "low_stock_threshold": count,
            ]),
            "Location": Doc.object(["id": ["type": "string"], "code": ["type": "string"], "name": ["type": "string"], "created_at": Doc.time]),
            "StockAdjustment": Doc.object([
                "sku": code, "location": code, "delta": ["type": "integer", "minimum": -1_000_000_000, "maximum": 1_000_000_000, "not": ["const": 0]],
                "reason": Doc.text(maxLength: 500), "kind": ["type": "string", "enum": ["received", "adjusted"]],
            ], optional: ["kind"]),
            "SKUStock": Doc.object([
                "sku": ["type": "string"], "on_hand": count, "reserved": count, "available": count,
                "levels": ["type": "array", "items": Doc.object(["location": ["type": "string"], "on_hand": count, "reserved": count, "available": count])],
            ]),
            "Movement": Doc.object([
                "id": ["type": "string"], "sku": ["type": "string"], "location": ["type": "string"], "kind": Doc.enumeration(MovementKind.self),
                "on_hand_delta": count, "reserved_delta": count, "actor": ["type": "string"], "reason": ["type": "string"],
                "reference": ["type": ["string", "null"]], "created_at": Doc.time,
            ], optional: ["reference"]),
            "NewCheckout": Doc.object(["lines": lines, "location": code, "currency": currency], optional: ["location", "currency"]),
            "CheckoutLine": Doc.object(["sku": ["type": "string"], "quantity": count, "unit_price": count, "returned": count]),
            "Checkout": Doc.object([
                "id": ["type": "string"], "order_id": ["type": "string"], "owner_id": ["type": "string"], "status": Doc.enumeration(CheckoutStatus.self),
                "location": ["type": "string"], "lines": ["type": "array", "items": Doc.ref("CheckoutLine")], "amount": count, "currency": ["type": "string"],
                "expires_at": Doc.time, "created_at": Doc.time,
            ]),
            "Order": Doc.object([
                "id": ["type": "string"], "checkout_id": ["type": "string"], "owner_id": ["type": "string"], "status": Doc.enumeration(OrderStatus.self),
                "fulfilment": Doc.enumeration(FulfilmentStatus.self), "amount": count, "currency": ["type": "string"],
                "lines": ["type": "array", "items": Doc.ref("CheckoutLine")], "payment_id": ["type": ["string", "null"]], "created_at": Doc.time, "updated_at": Doc.time,
            ], optional: ["payment_id"]),
            "PaymentEvent": Doc.object([
                "id": ["type": "string"], "type": ["type": "string"],
                "data": Doc.object(["object": ["type": "object"]]),
            ]),
        ],
        tags: [["name": "inventory", "description": "Catalogue, stock, checkouts, orders and payment webhooks"]],
        problemTypes: [InventoryModule.insufficientStock]
    )
}
