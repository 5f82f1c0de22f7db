import ApusCore
import Foundation
import HTTPTypes
import Hummingbird

/// The catalogue under `/v1/inventory/products`: anyone reads published products, staff with
/// `inventory.manage` read every product and change them under `If-Match`.
struct ProductRoutes {
    let service: InventoryService

    func add(to router: some RouterMethods<ApusRequestContext>) {
        let products = router.group("/v1/inventory/products")
        products.get { request, context -> Page<Product> in
            let limit = try request.pageLimit()
            let cursor = try request.pageCursor()
            let page = try await service.products(includeUnpublished: Self.manages(context), limit: limit + 1, after: cursor)
            return Page(fetched: page, limit: limit) { $0.id }
        }
        products.get("/{id}") { request, context -> Response in
            let id = try context.requireID("id", kind: "product")
            return try Self.tagged(try await service.product(id, includeUnpublished: Self.manages(context)), request, context)
        }
        let manage = products.group().add(middleware: RequirePermission(InventoryModule.manage))
        manage.post { request, context -> Response in
            _ = try context.require(InventoryModule.manage)
            let body = try await request.decodeJSON(as: NewProduct.self, context: context)
            try InventoryFields.validate(body)
            return try Self.created(try await service.create(body), request, context)
        }
        manage.patch("/{id}") { request, context -> Response in
            _ = try context.require(InventoryModule.manage)
            let id = try context.requireID("id", kind: "product")
            let version = try Self.expectedVersion(request)
            let patch = try await request.decodeJSON(as: ProductPatch.self, context: context)
            try InventoryFields.validate(patch)
            return try Self.tagged(try await service.update(id, version: version, with: patch), request, context)
        }
        // Variants change under the product's version: a variant is part of what its ETag names.
        manage.post("/{id}/variants") { request, context -> Response in
            _ = try context.require(InventoryModule.manage)
            let id = try context.requireID("id", kind: "product")
            let version = try Self.expectedVersion(request)
            let body = try await request.decodeJSON(as: NewVariant.self, context: context)
            try InventoryFields.validate(body)
            return try Self.created(try await service.addVariant(body, to: id, version: version), request, context)
        }
        manage.patch("/{id}/variants/{variant}") { request, context -> Response in
            _ = try context.require(InventoryModule.manage)
            let id = try context.requireID("id", kind: "product")
            let variant = try context.requireID("variant", kind: "variant")
            let version = try Self.expectedVersion(request)
            let patch = try await request.decodeJSON(as: VariantPatch.self, context: context)
            try InventoryFields.validate(patch)
            return try Self.tagged(try await service.updateVariant(variant, of: id, version: version, with: patch), request, context)
        }
    }

    static func manages(_ context: ApusRequestContext) -> Bool {
        context.principal?.has(InventoryModule.manage) == true
    }

    static func etag(_ version: Int) -> String { EntityTag(String(version)).header }

    /// 201 with the product at its URL, tagged with its version.
    static func created(_ product: Product, _ request: Request, _ context: ApusRequestContext) throws -> Response {
        var response = try context.created(product, at: "/v1/inventory/products/\(product.id)", for: request)
        response.headers[.eTag] = etag(product.version)
        return response
    }

    static func tagged(_ product: Product, _ request: Request, _ context: ApusRequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(product, from: request, context: context)
        response.headers[.eTag] = etag(product.version)
        return response
    }

    /// The version `If-Match` names, `nil` for `*`: 428 when absent, 400 when it is not one
    /// ETag this API hands out.
    static func expectedVersion(_ request: Request) throws -> Int? {
        try IfMatch.version(request.headers, detail: "Send If-Match with the product's ETag to change it.")
    }
}
