/// What a row asks of the API: start a verification, or check a code the person received.
public enum VerificationKind: String, Sendable, Equatable, Codable {
    /// Send a code by SMS or voice call.
    case start
    /// Check the row's `verification_code`.
    case check
}

/// The channel a code is delivered by (`via` in docs/contract.md, "Job files").
public enum Channel: String, Sendable, Equatable, CaseIterable, Codable {
    /// A text message.
    case sms
    /// A voice call.
    case call
}
