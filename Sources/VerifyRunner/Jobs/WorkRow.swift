/// A row that still needs a request, as the scheduler loads it from the store.
public struct WorkRow: Sendable, Equatable {
    /// The row's position in its job.
    public var sequence: Int
    /// What to send.
    public var target: VerificationTarget
    /// Its persisted state (pending, waiting, in doubt or in flight).
    public var state: RowState
    /// For waiting rows: the earliest time (seconds since 1970) to send again.
    public var notBefore: Double?
    /// When its first request left (seconds since 1970), if one did: the start of its retry window.
    public var firstSentAt: Double?
    /// When it was last marked in flight (seconds since 1970), if it was: its latest request left right
    /// after, which is what an in-doubt look-up searches from.
    public var lastSentAt: Double?
    /// The row's `time_zone` column, if it has one: its recipient's zone for `--send-window`.
    public var timeZone: String?
    /// Whether the row was in flight for another runner of a shared store, which was found gone and whose rows
    /// this runner took over: its request may still be on its way, so it is asked about only after
    /// `--in-doubt-margin`.
    public var wasInFlightForAnotherRunner = false
}

/// A change to one row, written by the scheduler's group commit.
public struct RowWrite: Sendable, Equatable {
    /// The row's position in its job.
    public var sequence: Int
    /// The new state.
    public var state: RowState
    /// The answer that caused it, whose fields go to the report; `nil` keeps the row's fields.
    public var result: ProviderResult?
    /// For waiting rows: when to send again (seconds since 1970).
    public var notBefore: Double?
    /// The time of the change (ISO 8601): `started_at` for the first send, `finished_at` when final.
    public var timestamp: String
    /// For an in-flight mark: its time in seconds since 1970 (`sent_at`, see ``WorkRow/lastSentAt``).
    public var sentAt: Double?

    /// Creates a write.
    public init(
        sequence: Int, state: RowState, result: ProviderResult? = nil, notBefore: Double? = nil, timestamp: String,
        sentAt: Double? = nil
    ) {
        self.sequence = sequence
        self.state = state
        self.result = result
        self.notBefore = notBefore
        self.timestamp = timestamp
        self.sentAt = sentAt
    }
}
