extension ProviderName {
    /// Twilio Verify V2 (`verify.twilio.com`).
    public static let verifyV2 = ProviderName(declaring: "verify-v2")
}

extension ProviderDefinition {
    /// Twilio Verify V2: an account, its auth token and a Verify Service (docs/verification-apis.md, "Twilio
    /// Verify V2").
    public static let verifyV2 = ProviderDefinition(
        name: .verifyV2, defaultBaseURL: "https://verify.twilio.com",
        credentialFields: [.twilioAccountSID, .twilioAuthToken, .verifyServiceSID],
        errorTable: VerifyV2Provider.errorTable, errorMeanings: VerifyV2Provider.errorMeanings,
        build: { baseURL, credentials in
            VerifyV2Provider(
                baseURL: baseURL, accountSID: credentials[.twilioAccountSID],
                authToken: credentials[.twilioAuthToken], serviceSID: credentials[.verifyServiceSID])
        })
}

extension CredentialField {
    /// The Twilio account: `TWILIO_ACCOUNT_SID`.
    public static let twilioAccountSID = CredentialField(
        variable: "TWILIO_ACCOUNT_SID", label: "Twilio account", isSecret: false)
    /// The account's auth token: `TWILIO_AUTH_TOKEN`, or the file `--auth-token-file` names.
    public static let twilioAuthToken = CredentialField(
        variable: "TWILIO_AUTH_TOKEN", label: "auth token", isSecret: true, fileOption: "auth-token-file")
    /// The Verify Service: `VERIFY_SERVICE_SID`.
    public static let verifyServiceSID = CredentialField(
        variable: "VERIFY_SERVICE_SID", label: "Verify service", isSecret: false)
}

extension VerifyV2Provider {
    /// V2 error codes by batch meaning (docs/rate-control.md, https://www.twilio.com/docs/api/errors). 20404 is
    /// `denied` for a check (expired) and stops the job for a start (the Verify Service does not exist).
    /// 20429 and 25109 are the account's and the service's rate limits; 60203 and 60212 concern one number.
    static let errorTable = ResponseClassifier.ErrorTable(
        fatalForJob: ["20003", "20403", "20404", "60238"],
        rejectedNumber: ["60200", "60205", "60605", "60410", "60412", "21211", "21614"],
        retryable: ["20429", "25109", "60212"],
        failedPermanently: [],
        denied: ["20404", "60202"],
        numberSendLimit: ["60203"],
        numberBusy: ["60212"])

    /// V2 error codes in plain words (docs/verification-apis.md, "V2 error codes").
    static let errorMeanings: [String: String] = [
        "20003": "The Twilio credentials were refused.",
        "20403": "The Twilio account lacks permission (suspended or closed).",
        "20404": "The verification was not found: it expired, was approved already or never existed.",
        "20429": "Too many requests: Twilio's rate limit was hit.",
        "21211": "The phone number is invalid.",
        "21614": "The number cannot receive SMS.",
        "60200": "A parameter was invalid (e.g. the number is not a valid E.164 number).",
        "60202": "Too many wrong codes were tried for this verification.",
        "60203": "Too many codes were sent to this number; wait for the last one to expire (10 minutes).",
        "60205": "The number is a landline: it cannot receive SMS (try via=call).",
        "60212": "Too many requests for this number at once.",
        "60238": "Twilio blocked the verification (account review or embargoed country).",
        "60410": "Twilio's Fraud Guard blocked this number's prefix for a while.",
        "60412": "Twilio's fraud checks blocked this sign-up.",
        "60605": "Verify's geo permissions block this country.",
    ]
}
