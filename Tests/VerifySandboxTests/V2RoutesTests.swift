import NIOHTTP1
import Testing

@testable import VerifySandbox

@Suite struct V2RoutesTests {
    @Test func startCreatesAPendingVerification() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms&Locale=en")
            #expect(response.status == 201, "\(response.text)")
            let body: V2VerificationBody = try response.decode()
            #expect(body.sid.hasPrefix("VE"))
            #expect(body.sid.count == 34)
            #expect(body.sid.dropFirst(2).allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(body.serviceSid == sandbox.configuration.serviceSid)
            #expect(body.accountSid == sandbox.configuration.accountSid)
            #expect(body.to == "+12025550189")
            #expect(body.channel == "sms")
            #expect(body.status == "pending")
            #expect(!body.valid)
            #expect(body.dateCreated == ISO8601Timestamp.string(from: sandbox.clock.now))
            #expect(body.dateUpdated == body.dateCreated)
            #expect(body.lookup == [:])
            let attempts = try #require(body.sendCodeAttempts)
            #expect(attempts.count == 1)
            #expect(attempts.first?.channel == "SMS")
            #expect(attempts.first?.attemptSid.hasPrefix("VL") == true)
            #expect(
                body.url == "http://127.0.0.1:\(sandbox.server.port)/v2/Services/"
                    + "\(sandbox.configuration.serviceSid)/Verifications/\(body.sid)")
        }
    }

    @Test func restartWhilePendingKeepsTheSidAndAddsAnAttempt() async throws {
        try await withSandbox { sandbox in
            let first: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            sandbox.clock.advance(by: 30)
            let second: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=call")
                .decode()
            #expect(second.sid == first.sid)
            #expect(second.channel == "call")
            #expect(second.sendCodeAttempts?.map(\.channel) == ["SMS", "CALL"])
            #expect(second.dateUpdated != second.dateCreated)
            #expect(sandbox.server.stats().startsByNumber == ["+12025550189": 2])
        }
    }

    @Test func landlineRefusesSMSButAcceptsACall() async throws {
        try await withSandbox { sandbox in
            let sms = try await sandbox.v2Post("Verifications", "To=%2B442079460000&Channel=sms")
            #expect(sms.status == 403)
            let error: V2ErrorBody = try sms.decode()
            #expect(error.code == 60205)
            #expect(error.message == "SMS is not supported by landline phone number")
            #expect(error.moreInfo == "https://www.twilio.com/docs/errors/60205")
            #expect(error.status == 403)

            let call = try await sandbox.v2Post("Verifications", "To=%2B442079460000&Channel=call")
            #expect(call.status == 201, "\(call.text)")
        }
    }

    @Test(arguments: [
        "To=%2B12025559999&Channel=call",
        "To=12025550189&Channel=sms",
        "To=%2B120255&Channel=sms",
        "To=%2B1202555018912345&Channel=sms",
        "To=+12025550189&Channel=sms",
        "To=%2B1202555CALL&Channel=sms",
        "Channel=sms",
    ])
    func notProvisionedOrInvalidNumbersAreInvalidParameterTo(body: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post("Verifications", body)
            #expect(response.status == 400)
            let error: V2ErrorBody = try response.decode()
            #expect(error.code == 60200)
            #expect(error.message == "Invalid parameter: To")
            #expect(error.status == 400)
        }
    }

    @Test(arguments: ["To=%2B12025550189&Channel=fax", "To=%2B12025550189"])
    func badChannelIsInvalidParameterChannel(body: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post("Verifications", body)
            #expect(response.status == 400)
            #expect(try response.decode(V2ErrorBody.self).message == "Invalid parameter: Channel")
        }
    }

    @Test(arguments: [
        SandboxFixture.basic(SandboxConfiguration.defaultAccountSid, "wrong-token"),
        SandboxFixture.basic("AC" + String(repeating: "1", count: 32), SandboxConfiguration.defaultAuthToken),
        [("Authorization", "Bearer sandbox-auth-token")],
        [],
    ])
    func badCredentialsAreRefused(headers: [(String, String)]) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms", headers: headers)
            #expect(response.status == 401)
            let error: V2ErrorBody = try response.decode()
            #expect(error.code == 20003)
            #expect(error.status == 401)
            #expect(sandbox.server.stats().starts == 0)
        }
    }

    @Test func unknownServiceIsNotFound() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post(
                "Verifications", "To=%2B12025550189&Channel=sms", service: "VA" + String(repeating: "f", count: 32))
            #expect(response.status == 404)
            #expect(try response.decode(V2ErrorBody.self).code == 20404)
            #expect(sandbox.server.stats().starts == 0)
        }
    }

    @Test func checkApprovesTheRightCodeOnce() async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            let response = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400")
            #expect(response.status == 200, "\(response.text)")
            let body: V2VerificationBody = try response.decode()
            #expect(body.status == "approved")
            #expect(body.valid)
            #expect(body.sid == started.sid)
            #expect(body.to == "+12025550189")

            let again = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400")
            #expect(again.status == 404)
            #expect(try again.decode(V2ErrorBody.self).code == 20404)
        }
    }

    @Test func checkWithAWrongCodeStaysPending() async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            let wrong = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=000000")
            #expect(wrong.status == 200)
            let body: V2VerificationBody = try wrong.decode()
            #expect(body.status == "pending")
            #expect(!body.valid)

            let bySid = try await sandbox.v2Post("VerificationCheck", "VerificationSid=\(started.sid)&Code=744400")
            #expect(try bySid.decode(V2VerificationBody.self).status == "approved")
        }
    }

    @Test func checkWithNothingPendingIsNotFound() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400")
            #expect(response.status == 404)
            let error: V2ErrorBody = try response.decode()
            #expect(error.code == 20404)
            #expect(error.moreInfo == "https://www.twilio.com/docs/errors/20404")
            #expect(sandbox.server.stats().checks == 1)
        }
    }

    @Test func checkAfterExpiryIsNotFound() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
            sandbox.clock.advance(by: 600)
            let response = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400")
            #expect(response.status == 404)
        }
    }

    @Test func theConfiguredCodeLifetimeEndsTheVerification() async throws {
        try await withSandbox(configure: { $0.codeLifetime = .seconds(20) }) { sandbox in
            _ = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
            sandbox.clock.advance(by: 19)
            let pending = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=000000")
            #expect(pending.status == 200)
            sandbox.clock.advance(by: 1)
            let expired = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400")
            #expect(expired.status == 404)
        }
    }

    @Test(arguments: ["To=%2B12025550189", "To=%2B12025550189&Code=123", "Code=744400"])
    func checkNeedsACodeAndANumber(body: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post("VerificationCheck", body)
            #expect(response.status == 400)
            #expect(try response.decode(V2ErrorBody.self).code == 60200)
        }
    }

    @Test func fetchReturnsTheLiveVerification() async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            let fetched = try await sandbox.v2Get("Verifications/\(started.sid)")
            #expect(fetched.status == 200, "\(fetched.text)")
            let body: V2VerificationBody = try fetched.decode()
            #expect(body.sid == started.sid)
            #expect(body.status == "pending")

            let unknown = try await sandbox.v2Get("Verifications/VE" + String(repeating: "0", count: 32))
            #expect(unknown.status == 404)
            #expect(try unknown.decode(V2ErrorBody.self).code == 20404)
            #expect(sandbox.server.stats().statusQueries == 2)
        }
    }

    @Test func errorCodeIsAJSONInteger() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v2Post("Verifications", "To=12025550189&Channel=sms")
            #expect(response.text.contains(#""code":60200"#))
            #expect(response.text.contains(#""more_info":"https://www.twilio.com/docs/errors/60200""#))
        }
    }
}
