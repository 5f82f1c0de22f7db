import ApusCore
import Foundation
import SQLKit

/// Products, variants and locations: the catalogue's SQL, run on the connection it is given.
struct CatalogueStore: Sendable {
    func insert(_ product: Product, on sql: any SQLDatabase) async throws {
        try await sql.raw("""
            INSERT INTO inventory_products (id, name, description, published, version, created_at, updated_at)
            VALUES (\(bind: product.id), \(bind: product.name), \(bind: product.description), \(bind: product.published ? 1 : 0),
                    \(bind: product.version), \(bind: Timestamp.format(product.createdAt)), \(bind: Timestamp.format(product.updatedAt)))
            """).run()
        for variant in product.variants {
            try await insert(variant, of: product.id, on: sql)
        }
    }

    /// Inserts `variant`; `false` when its SKU is taken.
    @discardableResult
    func insert(_ variant: Variant, of productID: String, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO inventory_variants (id, product_id, sku, name, price, currency, attributes, low_stock_threshold)
            VALUES (\(bind: variant.id), \(bind: productID), \(bind: variant.sku), \(bind: variant.name), \(bind: variant.price),
                    \(bind: variant.currency), \(bind: Self.encode(variant.attributes)), \(bind: variant.lowStockThreshold))
            ON CONFLICT (sku) DO NOTHING RETURNING id
            """).first() != nil
    }

    /// Those of `skus` that some variant already has.
    func takenSKUs(_ skus: [String], on sql: any SQLDatabase) async throws -> Set<String> {
        var taken: Set<String> = []
        for sku in skus where try await sql.raw("SELECT id FROM inventory_variants WHERE sku = \(bind: sku)").first() != nil {
            taken.insert(sku)
        }
        return taken
    }

    func product(id: String, on sql: any SQLDatabase) async throws -> Product? {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: Self.productColumns) FROM inventory_products WHERE id = \(bind: id)").first() else { return nil }
        var product = try Self.product(from: row)
        product.variants = try await variants(of: id, on: sql)
        return product
    }

    /// A page of products by id; only published ones unless `includeUnpublished`.
    func products(includeUnpublished: Bool, limit: Int, after cursor: String?, on sql: any SQLDatabase) async throws -> [Product] {
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: Self.productColumns) FROM inventory_products
            WHERE id > \(bind: cursor ?? "") AND (\(bind: includeUnpublished ? 1 : 0) = 1 OR published = 1)
            ORDER BY id LIMIT \(bind: limit)
            """).all()
        var products: [Product] = []
        for row in rows {
            var product = try Self.product(from: row)
            product.variants = try await variants(of: product.id, on: sql)
            products.append(product)
        }
        return products
    }

    func variants(of productID: String, on sql: any SQLDatabase) async throws -> [Variant] {
        try await sql.raw("SELECT \(unsafeRaw: Self.variantColumns) FROM inventory_variants WHERE product_id = \(bind: productID) ORDER BY id")
            .all().map(Self.variant(from:))
    }

    /// The variant with `sku`.
    func variant(sku: String, on sql: any SQLDatabase) async throws -> Variant? {
        try await sql.raw("SELECT \(unsafeRaw: Self.variantColumns) FROM inventory_variants WHERE sku = \(bind: sku)").first().map(Self.variant(from:))
    }

    /// The variants with `skus`, with whether their product is published.
    func variantsForSale(skus: [String], on sql: any SQLDatabase) async throws -> [String: SaleCatalogue.Entry] {
        let rows = try await sql.raw(Self.variantsForSaleStatement(skus: skus)).all()
        var variants: [String: SaleCatalogue.Entry] = [:]
        for row in rows {
            let variant = try Self.variant(from: row)
            variants[variant.sku] = .init(variant: variant, published: try row.decode(column: "published", as: Int.self) == 1)
        }
        return variants
    }

    static func variantsForSaleStatement(skus: [String]) -> SQLQueryString {
        """
        SELECT v.id AS id, v.sku AS sku, v.name AS name, v.price AS price, v.currency AS currency, v.attributes AS attributes,
               v.low_stock_threshold AS low_stock_threshold, p.published AS published
        FROM inventory_variants v JOIN inventory_products p ON p.id = v.product_id
        WHERE v.sku IN (\(SQLList(skus.map { SQLBind($0) })))
        """
    }

    /// Applies the changed fields if the product is still at `version` (any version when `nil`:
    /// `If-Match: *`); `false` when it moved on (or is gone). The version in the condition is the
    /// optimistic lock.
    func update(id: String, version: Int?, name: String?, description: String?, published: Bool?, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            UPDATE inventory_products SET
                name = COALESCE(\(bind: name), name), description = COALESCE(\(bind: description), description),
                published = COALESCE(\(bind: published.map { $0 ? 1 : 0 }), published),
                version = version + 1, updated_at = \(bind: Timestamp.format(now))
            WHERE id = \(bind: id)\(Self.atVersion(version)) RETURNING id
            """).first() != nil
    }

    /// Moves the product on from `version` (a change to one of its variants changes it too);
    /// `false` when it is no longer at `version` (or is gone).
    func bump(id: String, version: Int?, at now: Date, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            UPDATE inventory_products SET version = version + 1, updated_at = \(bind: Timestamp.format(now))
            WHERE id = \(bind: id)\(Self.atVersion(version)) RETURNING id
            """).first() != nil
    }

    /// The optimistic lock's condition: none when any version will do.
    private static func atVersion(_ version: Int?) -> SQLQueryString {
        version.map { " AND version = \(bind: $0)" } ?? ""
    }

    /// Applies the changed fields of a variant of `productID`; `false` when it has none with `id`.
    func update(variant id: String, of productID: String, with patch: VariantPatch, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            UPDATE inventory_variants SET
                name = COALESCE(\(bind: patch.name), name), price = COALESCE(\(bind: patch.price), price),
                currency = COALESCE(\(bind: patch.currency), currency), attributes = COALESCE(\(bind: patch.attributes.map(Self.encode)), attributes),
                low_stock_threshold = COALESCE(\(bind: patch.lowStockThreshold), low_stock_threshold)
            WHERE id = \(bind: id) AND product_id = \(bind: productID) RETURNING id
            """).first() != nil
    }

    func insert(_ location: Location, on sql: any SQLDatabase) async throws -> Bool {
        try await sql.raw("""
            INSERT INTO inventory_locations (id, code, name, created_at)
            VALUES (\(bind: location.id), \(bind: location.code), \(bind: location.name), \(bind: Timestamp.format(location.createdAt)))
            ON CONFLICT (code) DO NOTHING RETURNING id
            """).first() != nil
    }

    func locations(on sql: any SQLDatabase) async throws -> [Location] {
        try await sql.raw("SELECT id, code, name, created_at FROM inventory_locations ORDER BY created_at, id").all().map(Self.location(from:))
    }

    func location(code: String, on sql: any SQLDatabase) async throws -> Location? {
        try await sql.raw("SELECT id, code, name, created_at FROM inventory_locations WHERE code = \(bind: code)").first().map(Self.location(from:))
    }

    /// The oldest location: where a checkout that names none takes its stock.
    func defaultLocation(on sql: any SQLDatabase) async throws -> Location? {
        try await sql.raw("SELECT id, code, name, created_at FROM inventory_locations ORDER BY created_at, id LIMIT 1").first().map(Self.location(from:))
    }

    static let productColumns = "id, name, description, published, version, created_at, updated_at"
    static let variantColumns = "id, sku, name, price, currency, attributes, low_stock_threshold"

    static func product(from row: any SQLRow) throws -> Product {
        Product(
            id: try row.decode(column: "id", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self),
            published: try row.decode(column: "published", as: Int.self) == 1,
            version: try row.decode(column: "version", as: Int.self),
            variants: [],
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast,
            updatedAt: Timestamp.parse(try row.decode(column: "updated_at", as: String.self)) ?? .distantPast
        )
    }

    static func variant(from row: any SQLRow) throws -> Variant {
        Variant(
            id: try row.decode(column: "id", as: String.self),
            sku: try row.decode(column: "sku", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            price: try row.decode(column: "price", as: Int.self),
            currency: try row.decode(column: "currency", as: String.self),
            attributes: decode(try row.decode(column: "attributes", as: String.self)),
            lowStockThreshold: try row.decode(column: "low_stock_threshold", as: Int.self)
        )
    }

    static func location(from row: any SQLRow) throws -> Location {
        Location(
            id: try row.decode(column: "id", as: String.self),
            code: try row.decode(column: "code", as: String.self),
            name: try row.decode(column: "name", as: String.self),
            createdAt: Timestamp.parse(try row.decode(column: "created_at", as: String.self)) ?? .distantPast
        )
    }

    static func encode(_ attributes: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return (try? String(decoding: encoder.encode(attributes), as: UTF8.self)) ?? "{}"
    }

    static func decode(_ text: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))) ?? [:]
    }
}
