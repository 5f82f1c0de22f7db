/// Why one delivery attempt failed, and what should follow.
struct DeliveryFailure: Error, CustomStringConvertible {
    /// What the other side answered, if it answered.
    var response: String?
    var message: String
    /// Do not retry: the recipient is gone or refused for good.
    var permanent = false
    /// The other side asked for this wait, in seconds.
    var retryAfter: Double?

    var description: String { message }
}
