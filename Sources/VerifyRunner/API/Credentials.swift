/// The secrets one provider needs. Never logged, stored, or put on a command line.
public enum Credentials: Sendable, Equatable {
    /// V1: the application's API key (`X-Authy-API-Key`).
    case authyV1(apiKey: String)
    /// V2: account SID and auth token (Basic auth) and the Verify Service SID.
    case verifyV2(accountSID: String, authToken: String, serviceSID: String)
}

extension Credentials: CustomStringConvertible {
    /// A description that never contains the secret itself.
    public var description: String {
        switch self {
        case .authyV1: return "Authy API key (redacted)"
        case .verifyV2(let accountSID, _, let serviceSID):
            return "Twilio account \(accountSID), service \(serviceSID), auth token (redacted)"
        }
    }
}
