import ApusCore
import Foundation
import Logging
import SQLKit

/// The inventory module's domain service: it owns the module's transactions, so a route handler
/// only decodes, calls and encodes. Checkouts, payments and orders are in its extensions.
final class InventoryService: Sendable {
    let platform: Platform
    let settings: InventorySettings
    let catalogue = CatalogueStore()
    let stock = StockStore()
    let checkouts = CheckoutStore()
    let reservations = ReservationStore()
    let combiner: CheckoutCombiner
    let sale: SaleCatalogue
    let metrics: InventoryMetrics
    let retry: ConflictRetry
    let logger: Logger
    let hooks: InventoryHooks

    init(platform: Platform, settings: InventorySettings, hooks: InventoryHooks = InventoryHooks()) {
        self.platform = platform
        self.settings = settings
        self.hooks = hooks
        self.metrics = InventoryMetrics(registry: platform.metrics)
        self.retry = ConflictRetry(attempts: settings.conflictAttempts)
        self.combiner = CheckoutCombiner(writers: settings.checkoutWriters)
        self.sale = SaleCatalogue(platform: platform)
        self.logger = platform.logger(module: InventoryModule.name)
    }

    // MARK: Catalogue

    /// Creates a product with its variants; 409 when a SKU is taken.
    func create(_ body: NewProduct) async throws -> Product {
        let now = platform.now()
        let product = Product(
            id: OpaqueID.make("prd", at: now), name: body.name, description: body.description ?? "", published: body.published ?? false,
            version: 1,
            variants: body.variants.map { variant in
                Variant(
                    id: OpaqueID.make("var", at: now), sku: variant.sku, name: variant.name, price: variant.price, currency: variant.currency,
                    attributes: variant.attributes ?? [:], lowStockThreshold: variant.lowStockThreshold ?? 0
                )
            },
            createdAt: now, updatedAt: now
        )
        return try await platform.transaction { [catalogue, sale] transaction in
            let taken = try await catalogue.takenSKUs(product.variants.map(\.sku), on: transaction.sql)
            guard taken.isEmpty else { throw Problem.conflict("SKU \(taken.sorted().joined(separator: ", ")) is taken.") }
            try await catalogue.insert(product, on: transaction.sql)
            for variant in product.variants { transaction.invalidate(sale.variants, variant.sku) }
            return product
        }
    }

    /// The product `id` if `includeUnpublished` or it is published; else a 404 problem.
    func product(_ id: String, includeUnpublished: Bool) async throws -> Product {
        let product = try await platform.read { [catalogue] sql in try await catalogue.product(id: id, on: sql) }
        guard let product, product.published || includeUnpublished else { throw Problem.notFound("No product \(id).") }
        return product
    }

    func products(includeUnpublished: Bool, limit: Int, after cursor: String?) async throws -> [Product] {
        try await platform.read { [catalogue] sql in
            try await catalogue.products(includeUnpublished: includeUnpublished, limit: limit, after: cursor, on: sql)
        }
    }

    /// Applies `patch` if the product is still at `version`: 412 when it moved on.
    func update(_ id: String, version: Int?, with patch: ProductPatch) async throws -> Product {
        let now = platform.now()
        return try await platform.transaction { [catalogue, sale] transaction in
            guard try await catalogue.update(id: id, version: version, name: patch.name, description: patch.description, published: patch.published, at: now, on: transaction.sql) else {
                guard try await catalogue.product(id: id, on: transaction.sql) != nil else { throw Problem.notFound("No product \(id).") }
                throw Problem(.preconditionFailed, detail: "The product changed since version \(version ?? 0); read it again and retry.")
            }
            guard let product = try await catalogue.product(id: id, on: transaction.sql) else { throw Problem.notFound("No product \(id).") }
            // Whether it is for sale is part of what checkouts cache of each of its SKUs.
            for variant in product.variants { transaction.invalidate(sale.variants, variant.sku) }
            return product
        }
    }

    /// Adds a variant to the product if it is still at `version`: 412 when it moved on, 409
    /// when the SKU is taken.
    func addVariant(_ body: NewVariant, to id: String, version: Int?) async throws -> Product {
        let now = platform.now()
        let variant = Variant(
            id: OpaqueID.make("var", at: now), sku: body.sku, name: body.name, price: body.price, currency: body.currency,
            attributes: body.attributes ?? [:], lowStockThreshold: body.lowStockThreshold ?? 0
        )
        return try await changeProduct(id, version: version, at: now) { [catalogue] sql in
            guard try await catalogue.insert(variant, of: id, on: sql) else { throw Problem.conflict("SKU \(variant.sku) is taken.") }
        }
    }

    /// Changes a variant of the product if the product is still at `version`: 412 when it
    /// moved on, 404 when it has no such variant.
    func updateVariant(_ variantID: String, of id: String, version: Int?, with patch: VariantPatch) async throws -> Product {
        try await changeProduct(id, version: version, at: platform.now()) { [catalogue] sql in
            guard try await catalogue.update(variant: variantID, of: id, with: patch, on: sql) else { throw Problem.notFound("No variant \(variantID) of product \(id).") }
        }
    }

    /// Moves the product on from `version` and runs `change` in the same transaction; answers
    /// the product as it then is.
    private func changeProduct(_ id: String, version: Int?, at now: Date, _ change: @escaping @Sendable (any SQLDatabase) async throws -> Void) async throws -> Product {
        try await platform.transaction { [catalogue, sale] transaction in
            guard try await catalogue.bump(id: id, version: version, at: now, on: transaction.sql) else {
                guard try await catalogue.product(id: id, on: transaction.sql) != nil else { throw Problem.notFound("No product \(id).") }
                throw Problem(.preconditionFailed, detail: "The product changed since version \(version ?? 0); read it again and retry.")
            }
            try await change(transaction.sql)
            guard let product = try await catalogue.product(id: id, on: transaction.sql) else { throw Problem.notFound("No product \(id).") }
            // SKUs never change, so the product's SKUs now are all a change can concern.
            for variant in product.variants { transaction.invalidate(sale.variants, variant.sku) }
            return product
        }
    }

    func createLocation(_ body: NewLocation) async throws -> Location {
        let location = Location(id: OpaqueID.make("loc", at: platform.now()), code: body.code, name: body.name, createdAt: platform.now())
        return try await platform.transaction { [catalogue, sale] transaction in
            guard try await catalogue.insert(location, on: transaction.sql) else { throw Problem.conflict("Location \(location.code) exists.") }
            // Nothing cached names it yet (absent locations are not cached), nor the default
            // when it is the first; this keeps it so.
            transaction.invalidate(sale.locations, location.code)
            transaction.invalidate(sale.locations, SaleCatalogue.defaultLocation)
            return location
        }
    }

    func locations() async throws -> [Location] {
        try await platform.read { [catalogue] sql in try await catalogue.locations(on: sql) }
    }

    // MARK: Stock

    /// The variant with `sku`; a 422 problem naming `field` when there is none.
    func variant(sku: String, field: String) async throws -> Variant {
        // The primary: stock is adjusted right after a variant is made, and often by a script.
        guard let variant = try await platform.read.primary({ [catalogue] sql in try await catalogue.variant(sku: sku, on: sql) }) else {
            throw Problem.unprocessable("No SKU \(sku).", errors: [.init(field: field, message: "no such SKU")])
        }
        return variant
    }

    /// The location `code`; a 422 problem naming `field` when there is none.
    func location(code: String, field: String) async throws -> Location {
        guard let location = try await platform.read.primary({ [catalogue] sql in try await catalogue.location(code: code, on: sql) }) else {
            throw Problem.unprocessable("No location \(code).", errors: [.init(field: field, message: "no such location")])
        }
        return location
    }

    /// Changes on hand by `delta` at a location; 409 when it would fall below what is reserved.
    func adjust(_ body: StockAdjustment, by actor: String) async throws -> SKUStock {
        let variant = try await variant(sku: body.sku, field: "sku")
        let location = try await location(code: body.location, field: "location")
        let kind: MovementKind = body.kind == "received" ? .received : .adjusted
        let change = StockStore.Change(
            variantID: variant.id, sku: variant.sku, locationID: location.id, kind: kind, onHand: body.delta, reserved: 0,
            actor: actor, reason: body.reason, reference: nil
        )
        let now = platform.now()
        return try await retry.run(onRetry: { [metrics] in metrics.conflictRetried() }) { [self] in
            try await platform.transaction { transaction in
                try await transaction.setLockTimeout(settings.lockTimeout)
                guard try await stock.apply(change, at: now, on: transaction.sql) != nil else {
                    let available = try await stock.available(variantID: variant.id, locationID: location.id, on: transaction.sql)
                    throw Problem.conflict("Only \(available) of \(variant.sku) at \(location.code) are not reserved; on hand cannot go lower.")
                }
                if body.delta < 0 { try await noteDecrease(of: variant, by: -body.delta, in: transaction) }
                return SKUStock(sku: variant.sku, levels: try await stock.levels(variantID: variant.id, on: transaction.sql))
            }
        }
    }

    func stock(sku: String) async throws -> SKUStock {
        let variant = try await variant(sku: sku, field: "sku")
        return SKUStock(sku: sku, levels: try await platform.read { [stock] sql in try await stock.levels(variantID: variant.id, on: sql) })
    }

    func movements(sku: String, limit: Int, after cursor: String?) async throws -> [Movement] {
        let variant = try await variant(sku: sku, field: "sku")
        return try await platform.read { [stock] sql in
            try await stock.movements(variantID: variant.id, sku: sku, limit: limit, after: cursor, on: sql)
        }
    }

    /// After `variant`'s available stock went down by `amount`: `inventory.stock.low` when it
    /// crossed the variant's threshold, a stock-out counted when it reached zero.
    func noteDecrease(of variant: Variant, by amount: Int, in transaction: Transaction) async throws {
        let available = try await stock.totalAvailable(variantID: variant.id, on: transaction.sql)
        if available < variant.lowStockThreshold, available + amount >= variant.lowStockThreshold {
            try await transaction.emit(InventoryEvents.stockLow, aggregate: variant.sku, json: LowStock(sku: variant.sku, available: available, threshold: variant.lowStockThreshold))
        }
        if available == 0, amount > 0 { metrics.stockOut() }
    }

    /// What `inventory.stock.low` carries.
    struct LowStock: Encodable {
        var sku: String
        var available: Int
        var threshold: Int
    }
}
