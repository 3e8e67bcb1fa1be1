/// A row whose start the API accepted (`sent`), as `verifyd outcomes` reads it from the store.
public struct SentRow: Sendable, Equatable {
    /// The row's position in its job.
    public var sequence: Int
    /// The number, E.164.
    public var e164: String
    /// The provider's id of its verification (V1 `uuid`, V2 `VE…` sid), when the API gave one.
    public var providerID: String?
    /// When its first request left, seconds since 1970.
    public var startedAt: Double?
    /// What is known of its outcome so far.
    public var outcome: VerificationOutcome?

    /// Creates a row.
    public init(
        sequence: Int, e164: String, providerID: String?, startedAt: Double?, outcome: VerificationOutcome? = nil
    ) {
        self.sequence = sequence
        self.e164 = e164
        self.providerID = providerID
        self.startedAt = startedAt
        self.outcome = outcome
    }
}
