extension ProviderName {
    /// The production base URL.
    public var defaultBaseURL: String {
        switch self {
        case .authyV1: return "https://api.authy.com"
        case .verifyV2: return "https://verify.twilio.com"
        }
    }

    /// The provider's error codes, by what they mean for a batch.
    public var errorTable: ResponseClassifier.ErrorTable {
        switch self {
        case .authyV1: return AuthyV1Provider.errorTable
        case .verifyV2: return VerifyV2Provider.errorTable
        }
    }
}
