import ApusCore

/// What a checkout reads of the catalogue, kept on each node: the variant behind each SKU (with
/// whether its product is for sale) and the locations by code. A product change invalidates its
/// SKUs on every node through its transaction (and entries live a minute at most, should a bus
/// message be lost); locations never change once made, so their entries only age out.
struct SaleCatalogue: Sendable {
    /// A variant as a checkout prices it.
    struct Entry: Sendable {
        var variant: Variant
        var published: Bool
    }

    /// The key of the location a checkout that names none takes its stock from (no code holds `*`).
    static let defaultLocation = "*"

    let variants: BusInvalidatedCache<String, Entry>
    let locations: BusInvalidatedCache<String, Location>

    init(platform: Platform) {
        // A minute at most: the bound on a price or publish flag that a lost bus message left
        // stale on another node; reloading 1,000 busy SKUs once a minute costs little.
        variants = platform.cache("inventory.variants", capacity: 50_000, lifetime: .seconds(60), countHitsAndMisses: true)
        locations = platform.cache("inventory.locations", capacity: 1_000, lifetime: .seconds(300))
    }
}
