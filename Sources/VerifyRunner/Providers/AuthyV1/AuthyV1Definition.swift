extension ProviderName {
    /// Legacy Authy Phone Verification V1 (`api.authy.com`).
    public static let authyV1 = ProviderName(declaring: "authy-v1")
}

extension ProviderDefinition {
    /// Authy Phone Verification V1: an API key (docs/verification-apis.md, "Authy Phone Verification V1").
    public static let authyV1 = ProviderDefinition(
        name: .authyV1, defaultBaseURL: "https://api.authy.com",
        credentialFields: [.authyAPIKey],
        errorTable: AuthyV1Provider.errorTable, errorMeanings: AuthyV1Provider.errorMeanings,
        build: { baseURL, credentials in AuthyV1Provider(baseURL: baseURL, apiKey: credentials[.authyAPIKey]) })
}

extension CredentialField {
    /// V1's API key: `AUTHY_API_KEY`, or the file `--api-key-file` names.
    public static let authyAPIKey = CredentialField(
        variable: "AUTHY_API_KEY", label: "Authy API key", isSecret: true, fileOption: "api-key-file")
}

extension AuthyV1Provider {
    /// V1 error codes by batch meaning (docs/verification-apis.md, "V1 error codes": our grouping of Twilio's
    /// V1 table).
    static let errorTable = ResponseClassifier.ErrorTable(
        fatalForJob: ["60001", "60007", "60008", "60047", "60057", "60060", "60061", "60063"],
        rejectedNumber: ["60033", "60078", "60082", "60083", "60115", "60013"],
        retryable: ["60003", "60009", "60010", "60011", "60012", "60120"],
        failedPermanently: ["60002", "60004", "60005", "60021"],
        denied: ["60022", "60023"])

    /// V1 error codes in plain words (docs/verification-apis.md, "V1 error codes").
    static let errorMeanings: [String: String] = [
        "60000": "The API reported an unspecified error.",
        "60001": "The API key was refused.",
        "60002": "The API found the request invalid.",
        "60003": "Too many requests: the API's rate limit was hit.",
        "60004": "A parameter was invalid or missing (the message names it).",
        "60005": "The request was not valid UTF-8.",
        "60007": "SMS is disabled for this account.",
        "60008": "The account is suspended.",
        "60009": "The account's monthly SMS limit was reached.",
        "60010": "The account's daily SMS limit was reached.",
        "60011": "The account's monthly voice-call limit was reached.",
        "60012": "The account's daily voice-call limit was reached.",
        "60013": "Verifications to this country are banned for the account.",
        "60021": "The verification could not be created (e.g. custom codes are not allowed).",
        "60022": "The code was wrong.",
        "60023": "No pending verification: the code expired or was never sent.",
        "60033": "The phone number is invalid.",
        "60047": "A Twilio key was used where an Authy API key is needed.",
        "60057": "The account is suspended for now.",
        "60060": "The account is suspended.",
        "60061": "The application is suspended.",
        "60063": "Requests from this IP address are not allowed.",
        "60078": "The country code is invalid.",
        "60082": "The number is a landline: it cannot receive SMS (try via=call).",
        "60083": "The number is not served by any carrier.",
        "60115": "The number's owner opted out of messages.",
        "60120": "The SMS limit was reached.",
    ]
}
