/// One verification API as verifyd knows it: its name, where it is, the credentials it needs, what its error
/// codes mean, and how to build its ``VerificationProvider``. Each provider's folder under `Providers/` declares
/// its own definition; ``all`` registers them. Nothing outside a provider's folder names a provider.
public struct ProviderDefinition: Sendable {
    /// The name (`--provider`, the store).
    public let name: ProviderName
    /// The production base URL (`--api-base` overrides it).
    public let defaultBaseURL: String
    /// The credentials it needs, in the order descriptions list them.
    public let credentialFields: [CredentialField]
    /// Its error codes by what they mean for a batch.
    public let errorTable: ResponseClassifier.ErrorTable
    /// Its error codes in plain words, for `status` and `summary.html` (the API's own message stays in the
    /// report).
    public let errorMeanings: [String: String]
    /// Builds the provider for a base URL and credentials loaded for ``credentialFields``.
    private let build: @Sendable (_ baseURL: String, _ credentials: Credentials) -> any VerificationProvider

    /// A definition; `build` receives credentials with a value for every one of `credentialFields`.
    init(
        name: ProviderName, defaultBaseURL: String, credentialFields: [CredentialField],
        errorTable: ResponseClassifier.ErrorTable, errorMeanings: [String: String],
        build: @escaping @Sendable (_ baseURL: String, _ credentials: Credentials) -> any VerificationProvider
    ) {
        self.name = name
        self.defaultBaseURL = defaultBaseURL
        self.credentialFields = credentialFields
        self.errorTable = errorTable
        self.errorMeanings = errorMeanings
        self.build = build
    }

    /// The provider at `baseURL` with `credentials`.
    public func makeProvider(baseURL: String, credentials: Credentials) -> any VerificationProvider {
        build(baseURL, credentials)
    }

    /// Every verification API verifyd speaks; the first is `--provider`'s default. A new provider is one folder
    /// under `Providers/` (its requests and their reading, its definition) and one entry here.
    public static let all: [ProviderDefinition] = [.authyV1, .verifyV2]
}
