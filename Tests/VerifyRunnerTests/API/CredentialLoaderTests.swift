import Foundation
import Testing

@testable import VerifyRunner

/// Each provider's credentials, loaded by its definition's fields: from the environment, or a secret from the
/// file its option names; what is missing is named with the way to give it.
@Suite struct CredentialLoaderTests {
    private static let v2Environment = [
        "TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "from-env", "VERIFY_SERVICE_SID": "VA1",
    ]

    @Test func eachProviderBuildsWithTheValuesOfItsFields() throws {
        let loader = CredentialLoader(environment: Self.v2Environment.merging(["AUTHY_API_KEY": "key"]) { $1 })
        for definition in ProviderDefinition.all {
            let credentials = try loader.load(definition, files: [:])
            let provider = definition.makeProvider(baseURL: definition.defaultBaseURL, credentials: credentials)
            #expect(provider.name == definition.name)
        }
        let v2 = try loader.load(.verifyV2, files: [:])
        #expect(v2[.twilioAuthToken] == "from-env" && v2[.verifyServiceSID] == "VA1")
    }

    @Test func aSecretFileIsReadInsteadOfItsVariable() throws {
        try withTemporaryDirectory { directory in
            let path = try directory.write("from-file\n", to: "token")
            #expect(chmod(path, 0o600) == 0)
            let credentials = try CredentialLoader(environment: Self.v2Environment).load(
                .verifyV2, files: ["auth-token-file": path])
            #expect(credentials[.twilioAuthToken] == "from-file")
            #expect(chmod(path, 0o644) == 0)
            #expect(throws: CredentialLoader.LoadError.filePermissions(path: path, mode: 0o644)) {
                try CredentialLoader(environment: Self.v2Environment).load(.verifyV2, files: ["auth-token-file": path])
            }
        }
    }

    @Test(arguments: [
        (ProviderName.authyV1, [String: String](), "set AUTHY_API_KEY or pass --api-key-file"),
        (
            .verifyV2, ["TWILIO_ACCOUNT_SID": "AC1", "VERIFY_SERVICE_SID": "VA1"],
            "set TWILIO_AUTH_TOKEN or pass --auth-token-file"
        ),
        (.verifyV2, ["TWILIO_AUTH_TOKEN": "t", "VERIFY_SERVICE_SID": "VA1"], "set TWILIO_ACCOUNT_SID"),
    ])
    func whatIsMissingIsNamed(provider: ProviderName, environment: [String: String], hint: String) {
        #expect(throws: CredentialLoader.LoadError.missing(hint)) {
            try CredentialLoader(environment: environment).load(provider.definition, files: [:])
        }
    }

    @Test func aProviderNameIsOneOfTheRegisteredProviders() {
        #expect(ProviderName.allCases == [.authyV1, .verifyV2])
        #expect(ProviderName(rawValue: "verify-v2") == .verifyV2)
        #expect(ProviderName(rawValue: "verify-v3") == nil)
    }
}
