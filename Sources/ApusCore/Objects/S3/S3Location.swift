import Foundation

/// Where an S3-compatible store is: `APUS_OBJECTS_URL=s3://bucket?endpoint=...&region=...`
/// with `APUS_OBJECTS_ACCESS_KEY` and `APUS_OBJECTS_SECRET_KEY`. Requests are path-style
/// (`endpoint/bucket/key`), which MinIO, Ceph, moto and AWS all accept.
public struct S3Location: Sendable, Equatable {
    public var bucket: String
    /// `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`, ...
    public var endpoint: String
    public var region: String
    public var accessKey: String
    public var secretKey: String

    public init(bucket: String, endpoint: String, region: String, accessKey: String, secretKey: String) {
        self.bucket = bucket
        self.endpoint = endpoint
        self.region = region
        self.accessKey = accessKey
        self.secretKey = secretKey
    }

    /// Parses the URL; a wrong one names `APUS_OBJECTS_URL`.
    static func parse(_ text: String, accessKey: String?, secretKey: String?) throws(ConfigurationError) -> S3Location {
        guard let components = URLComponents(string: text), components.scheme == "s3", let bucket = components.host, !bucket.isEmpty else {
            throw .invalid("APUS_OBJECTS_URL", "expected s3://bucket?endpoint=...&region=...")
        }
        let items = components.queryItems ?? []
        let region = items.first { $0.name == "region" }?.value ?? "us-east-1"
        let endpoint = items.first { $0.name == "endpoint" }?.value ?? "https://s3.\(region).amazonaws.com"
        guard let url = URLComponents(string: endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host?.isEmpty == false else {
            throw .invalid("APUS_OBJECTS_URL", "the endpoint must be an http or https URL")
        }
        guard let accessKey, let secretKey else {
            throw .invalid("APUS_OBJECTS_ACCESS_KEY", "an S3 store needs APUS_OBJECTS_ACCESS_KEY and APUS_OBJECTS_SECRET_KEY")
        }
        return S3Location(
            bucket: bucket, endpoint: endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint, region: region,
            accessKey: accessKey, secretKey: secretKey
        )
    }
}
