import ApusCore

/// What the uploads module reads from the node's settings.
struct UploadsSettings: Sendable {
    /// The largest upload (`APUS_UPLOADS_MAX_SIZE`, bytes; 5 GiB).
    var maxSize: Int64 = 5 << 30
    /// Bytes one user may hold in unfinished and finished uploads (`APUS_UPLOADS_QUOTA`; 50 GiB).
    var quota: Int64 = 50 << 30
    /// How long an unfinished upload lives after its last chunk (`APUS_UPLOADS_EXPIRY`, seconds; a day).
    var expiry: Double = 86_400
    /// Seconds between sweeps that remove expired uploads (`APUS_UPLOADS_SWEEP_INTERVAL`).
    var sweepInterval: Double = 60
    /// The content types an upload may declare (`APUS_UPLOADS_ALLOWED_TYPES`; all when unset).
    var allowedTypes = AllowedContentTypes.all

    init(_ settings: Settings) throws(ConfigurationError) {
        maxSize = Int64(try settings.integer("APUS_UPLOADS_MAX_SIZE", in: 1...(1 << 50), default: Int(maxSize)))
        quota = Int64(try settings.integer("APUS_UPLOADS_QUOTA", in: 1...(1 << 55), default: Int(quota)))
        expiry = try settings.seconds("APUS_UPLOADS_EXPIRY", default: expiry)
        sweepInterval = try settings.seconds("APUS_UPLOADS_SWEEP_INTERVAL", default: sweepInterval)
        allowedTypes = try settings.parse("APUS_UPLOADS_ALLOWED_TYPES") { try AllowedContentTypes(setting: $0) } ?? allowedTypes
    }
}
