import JWTKit

/// The claims of an access token: who (`sub`), which session (`sid`), which roles, and when.
struct AccessClaims: JWTPayload, Equatable {
    var sub: SubjectClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var jti: IDClaim
    var sid: String
    var roles: [String]

    /// Checks nothing beyond the signature: ``SigningKeys/verify(_:)`` checks `exp` on the
    /// platform's clock, which tests move instead of sleeping.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
