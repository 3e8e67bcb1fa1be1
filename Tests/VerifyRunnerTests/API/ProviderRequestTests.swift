import Testing

@testable import VerifyRunner

/// The wire form of each provider's requests (docs/verification-apis.md, "Wire examples").
@Suite struct ProviderRequestTests {
    private let target = VerificationTarget(
        e164: "+447911123456", countryCode: 44, nationalNumber: "7911123456", kind: .start, channel: .call,
        locale: "pt-BR")

    @Test func v1StartIsAFormPostWithTheKeyInAHeader() {
        let request = AuthyV1Provider(baseURL: "http://127.0.0.1:9/", apiKey: "secret").request(for: target)
        #expect(request.method == .post)
        #expect(request.url == "http://127.0.0.1:9/protected/json/phones/verification/start")
        #expect(
            String(decoding: request.body, as: UTF8.self)
                == "via=call&country_code=44&phone_number=7911123456&locale=pt-BR")
        #expect(request.headers.contains(HTTPRequest.Header(name: "X-Authy-API-Key", value: "secret")))
        #expect(!request.url.contains("secret"))
    }

    @Test func v1CheckIsAGetWithQueryParameters() {
        var check = target
        check.kind = .check
        check.code = "1234"
        let request = AuthyV1Provider(baseURL: "https://api.authy.com", apiKey: "k").request(for: check)
        #expect(request.method == .get)
        #expect(
            request.url == "https://api.authy.com/protected/json/phones/verification/check"
                + "?country_code=44&phone_number=7911123456&verification_code=1234")
    }

    @Test func v2StartEncodesThePlusAndUsesBasicAuth() {
        let request = VerifyV2Provider(
            baseURL: "https://verify.twilio.com", accountSID: "AC1", authToken: "tok", serviceSID: "VA9"
        ).request(for: target)
        #expect(request.url == "https://verify.twilio.com/v2/Services/VA9/Verifications")
        #expect(String(decoding: request.body, as: UTF8.self) == "To=%2B447911123456&Channel=call&Locale=pt-BR")
        // base64("AC1:tok")
        #expect(request.headers.contains(HTTPRequest.Header(name: "Authorization", value: "Basic QUMxOnRvaw==")))
    }

    @Test func secretsNeverAppearInDescriptions() {
        let v1 = Credentials(
            fields: ProviderDefinition.authyV1.credentialFields, values: ["AUTHY_API_KEY": "super-secret"])
        let v2 = Credentials(
            fields: ProviderDefinition.verifyV2.credentialFields,
            values: ["TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "tok-secret", "VERIFY_SERVICE_SID": "VA1"])
        #expect("\(v1)" == "Authy API key (redacted)")
        #expect("\(v2)" == "Twilio account AC1, auth token (redacted), Verify service VA1")
    }

    @Test(arguments: [
        ("https://api.authy.com", true), ("http://127.0.0.1:8089", true), ("http://localhost:1", true),
        ("http://[::1]:80", true), ("http://api.authy.com", false), ("ftp://x", false), ("nonsense", false),
    ])
    func apiBaseRules(url: String, accepted: Bool) {
        #expect((ProviderDefinition.problem(withBaseURL: url) == nil) == accepted)
    }
}
