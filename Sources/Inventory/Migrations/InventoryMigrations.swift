import ApusCore

/// The inventory tables. Stock rows carry on hand and reserved; the CHECK is a last line of
/// defence, the conditional updates of `StockStore` are what keep stock from going below zero.
/// Checkout expiry is kept in milliseconds so the expiry job's range scan uses a plain index.
enum InventoryMigrations {
    static let all = [
        Migration(module: "inventory", name: "0001_inventory", statements: [
            """
            CREATE TABLE inventory_products (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
                published INTEGER NOT NULL DEFAULT 0, version BIGINT NOT NULL DEFAULT 1,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX inventory_products_published ON inventory_products (published, id)",
            """
            CREATE TABLE inventory_variants (
                id TEXT PRIMARY KEY, product_id TEXT NOT NULL REFERENCES inventory_products (id) ON DELETE CASCADE,
                sku TEXT NOT NULL UNIQUE, name TEXT NOT NULL, price BIGINT NOT NULL CHECK (price >= 0),
                currency TEXT NOT NULL, attributes TEXT NOT NULL DEFAULT '{}', low_stock_threshold BIGINT NOT NULL DEFAULT 0
            )
            """,
            "CREATE INDEX inventory_variants_product ON inventory_variants (product_id, id)",
            "CREATE TABLE inventory_locations (id TEXT PRIMARY KEY, code TEXT NOT NULL UNIQUE, name TEXT NOT NULL, created_at TEXT NOT NULL)",
            """
            CREATE TABLE inventory_stock (
                variant_id TEXT NOT NULL REFERENCES inventory_variants (id),
                location_id TEXT NOT NULL REFERENCES inventory_locations (id),
                on_hand BIGINT NOT NULL DEFAULT 0, reserved BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (variant_id, location_id),
                CHECK (reserved >= 0 AND reserved <= on_hand)
            )
            """,
            """
            CREATE TABLE inventory_movements (
                id TEXT PRIMARY KEY, variant_id TEXT NOT NULL, location_id TEXT NOT NULL, kind TEXT NOT NULL,
                on_hand_delta BIGINT NOT NULL, reserved_delta BIGINT NOT NULL, actor TEXT NOT NULL,
                reason TEXT NOT NULL, reference TEXT, created_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX inventory_movements_variant ON inventory_movements (variant_id, id)",
            """
            CREATE TABLE inventory_checkouts (
                id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, location_id TEXT NOT NULL, status TEXT NOT NULL,
                amount BIGINT NOT NULL, currency TEXT NOT NULL, expires_at BIGINT NOT NULL,
                idempotency_key TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
            )
            """,
            // The buyer's Idempotency-Key, so a retry after a crash finds the checkout it made.
            "CREATE UNIQUE INDEX inventory_checkouts_idempotency ON inventory_checkouts (owner_id, idempotency_key)",
            "CREATE INDEX inventory_checkouts_expiry ON inventory_checkouts (status, expires_at)",
            "CREATE INDEX inventory_checkouts_owner ON inventory_checkouts (owner_id, id)",
            """
            CREATE TABLE inventory_checkout_lines (
                checkout_id TEXT NOT NULL REFERENCES inventory_checkouts (id), variant_id TEXT NOT NULL,
                sku TEXT NOT NULL, quantity BIGINT NOT NULL, unit_price BIGINT NOT NULL, returned BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (checkout_id, variant_id)
            )
            """,
            """
            CREATE TABLE inventory_orders (
                id TEXT PRIMARY KEY, checkout_id TEXT NOT NULL UNIQUE REFERENCES inventory_checkouts (id),
                owner_id TEXT NOT NULL, status TEXT NOT NULL, fulfilment TEXT NOT NULL,
                amount BIGINT NOT NULL, currency TEXT NOT NULL, payment_id TEXT,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL
            )
            """,
            "CREATE INDEX inventory_orders_owner ON inventory_orders (owner_id, id)",
            """
            CREATE TABLE inventory_payment_events (
                event_id TEXT PRIMARY KEY, type TEXT NOT NULL, checkout_id TEXT, outcome TEXT NOT NULL, received_at TEXT NOT NULL
            )
            """,
        ])
    ]
}
