/// The verification APIs verifyd speaks; each job stores the one it was read for.
public enum ProviderName: String, Sendable, Equatable, CaseIterable, Codable {
    /// Legacy Authy Phone Verification V1 (`api.authy.com`).
    case authyV1 = "authy-v1"
    /// Twilio Verify V2 (`verify.twilio.com`).
    case verifyV2 = "verify-v2"
}
