public import HTTPTypes

extension HTTPFields {
    /// The fields the platform adds to an API answer on its way out: `X-Request-ID`,
    /// `X-Content-Type-Options`, `RateLimit-Policy`, `RateLimit`, and Hummingbird's `Date` and
    /// `Server`. (A request with an allowed `Origin` gets the CORS fields too; those are rarer.)
    public static let platformFieldCount = 6

    /// Empty fields with room for `own` fields and the platform's: a handler on a hot path that
    /// writes its answer's fields itself starts from these, so the fields added after it do not
    /// grow the storage, copying every field, on every request.
    public static func answer(reserving own: Int) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(own + platformFieldCount)
        return fields
    }
}
