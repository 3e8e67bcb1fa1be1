/// How a Verify V2 row's outcome follows from the attempts of its verification (the API keeps no expiry
/// for a verification, so the code's lifetime is the operator's setting, `--code-lifetime`).
///
/// A pure value; the caller passes `now`.
///
/// | attempts of the row's verification | outcome |
/// |---|---|
/// | one of them `converted` | `verified` |
/// | none converted, `now` before the first one + lifetime | `pending` |
/// | none converted, lifetime over | `not_verified` |
/// | none listed (older than the API keeps, or not listed yet) | `unknown` |
public struct OutcomeRule: Sendable, Equatable {
    /// What the listing showed of one verification's attempts.
    public struct Evidence: Sendable, Equatable {
        /// Whether one of them was converted (the right code was given).
        public var converted: Bool
        /// When the first of them was created, seconds since 1970.
        public var firstCreatedAt: Double

        /// The evidence of one attempt.
        public init(_ attempt: VerificationAttempt) {
            converted = attempt.converted
            firstCreatedAt = attempt.createdAt
        }

        /// Adds another attempt of the same verification.
        public mutating func add(_ attempt: VerificationAttempt) {
            converted = converted || attempt.converted
            firstCreatedAt = min(firstCreatedAt, attempt.createdAt)
        }
    }

    /// How long a code can be checked after its verification is created, in seconds (V2 default: 600).
    public var lifetime: Double

    /// Creates the rule.
    public init(lifetime: Double) {
        self.lifetime = lifetime
    }

    /// The outcome of a row whose verification's attempts showed `evidence` (`nil`: none listed).
    public func outcome(of evidence: Evidence?, now: Double) -> VerificationOutcome {
        guard let evidence else { return .unknown }
        if evidence.converted { return .verified }
        return now < evidence.firstCreatedAt + lifetime ? .pending : .notVerified
    }
}
