/// One code sent by Verify V2, as the Verification Attempts API lists it (`GET /v2/Attempts`): the
/// evidence verifyd uses to tell whether a start whose answer was lost reached the API, and whether
/// the person later gave the right code. See docs/verify-v2-attempts.md.
public struct VerificationAttempt: Sendable, Equatable {
    /// The attempt's id, `VL…`.
    public var sid: String
    /// The verification it belongs to, `VE…` (the start's `sid`, verifyd's `provider_id`).
    public var verificationSID: String
    /// The number the code went to, E.164.
    public var to: String
    /// When the API created the attempt, seconds since 1970 (the API writes whole seconds).
    public var createdAt: Double
    /// Whether the person gave the right code (`conversion_status` `converted`).
    public var converted: Bool

    /// Creates an attempt.
    public init(sid: String, verificationSID: String, to: String, createdAt: Double, converted: Bool) {
        self.sid = sid
        self.verificationSID = verificationSID
        self.to = to
        self.createdAt = createdAt
        self.converted = converted
    }
}
