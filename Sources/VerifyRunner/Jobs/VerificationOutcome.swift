/// What became of a sent verification: did the person come back with the right code? The `outcome`
/// column of the report, filled by `verifyd outcomes` for rows whose status is `sent`.
public enum VerificationOutcome: String, Sendable, Equatable, CaseIterable, Codable {
    /// The person gave the right code.
    case verified
    /// The code's lifetime is over and it was never given.
    case notVerified = "not_verified"
    /// The code is still within its lifetime and has not been given yet.
    case pending
    /// The API can no longer tell (e.g. the verification is older than what it keeps).
    case unknown

    /// The outcome to keep when `newer` is learnt about a row whose stored outcome is `self`.
    ///
    /// | stored | newer | kept |
    /// |---|---|---|
    /// | `verified` | anything | `verified` (a right code is never taken back) |
    /// | `not_verified` | `verified` | `verified` (the API knows better than the assumed lifetime) |
    /// | `not_verified` | anything else | `not_verified` (the lifetime is over: it cannot change) |
    /// | `pending` or `unknown` | anything | `newer` |
    ///
    /// - Parameter newer: what the API says now.
    /// - Returns: the outcome to store.
    public func updated(with newer: VerificationOutcome) -> VerificationOutcome {
        switch (self, newer) {
        case (.verified, _), (_, .verified): return .verified
        case (.notVerified, _): return .notVerified
        case (.pending, _), (.unknown, _): return newer
        }
    }

    /// Updates an optional stored outcome (`nil`: none yet).
    public static func merged(stored: VerificationOutcome?, newer: VerificationOutcome) -> VerificationOutcome {
        stored?.updated(with: newer) ?? newer
    }
}
