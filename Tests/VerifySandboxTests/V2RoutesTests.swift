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

    /// How a test names a verification in a path.
    enum VerificationName: CaseIterable, Sendable {
        case sid, encodedNumber, literalNumber

        /// The path segment for a verification of +12025550189 with this sid.
        func segment(sid: String) -> String {
            switch self {
            case .sid: sid
            case .encodedNumber: "%2B12025550189"
            case .literalNumber: "+12025550189"
            }
        }
    }

    @Test(arguments: VerificationName.allCases)
    func fetchReturnsTheLiveVerificationWithItsSid(name: VerificationName) async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            let fetched = try await sandbox.v2Get("Verifications/\(name.segment(sid: started.sid))")
            #expect(fetched.status == 200, "\(fetched.text)")
            let body: V2VerificationBody = try fetched.decode()
            #expect(body.sid == started.sid)
            #expect(body.status == "pending")
            #expect(body.to == "+12025550189")
            #expect(body.url?.hasSuffix("/Verifications/\(started.sid)") == true)

            let unknown = try await sandbox.v2Get("Verifications/VE" + String(repeating: "0", count: 32))
            #expect(unknown.status == 404)
            #expect(try unknown.decode(V2ErrorBody.self).code == 20404)
            #expect(try await sandbox.v2Get("Verifications/%2B12025550188").status == 404)
            #expect(sandbox.server.stats().statusQueries == 3)
        }
    }

    @Test(arguments: [true, false])
    func updateToCanceledEndsTheVerification(byNumber: Bool) async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            sandbox.clock.advance(by: 3)
            let name = byNumber ? "%2B12025550189" : started.sid
            let canceled = try await sandbox.v2Post("Verifications/\(name)", "Status=canceled")
            #expect(canceled.status == 200, "\(canceled.text)")
            let body: V2VerificationBody = try canceled.decode()
            #expect(body.sid == started.sid)
            #expect(body.status == "canceled")
            #expect(!body.valid)
            #expect(body.dateUpdated == ISO8601Timestamp.string(from: sandbox.clock.now))

            #expect(try await sandbox.v2Get("Verifications/\(started.sid)").status == 404)
            #expect(try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400").status == 404)
            #expect(try await sandbox.v2Post("Verifications/\(name)", "Status=canceled").status == 404)

            let again: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            #expect(again.sid != started.sid)
            #expect(again.sendCodeAttempts?.count == 1)
            #expect(sandbox.codeLines.lines.last?.hasSuffix("code for +12025550189 is 744400") == true)
        }
    }

    @Test(arguments: [true, false])
    func updateToApprovedEndsTheVerificationApproved(byNumber: Bool) async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            let approved = try await sandbox.v2Post(
                "Verifications/\(byNumber ? "+12025550189" : started.sid)", "Status=approved")
            #expect(approved.status == 200, "\(approved.text)")
            let body: V2VerificationBody = try approved.decode()
            #expect(body.sid == started.sid)
            #expect(body.status == "approved")
            #expect(body.valid)
            #expect(try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400").status == 404)
        }
    }

    @Test(arguments: ["", "Status=pending", "Status=CANCELED", "Status=expired", "Status="])
    func updateWithAnotherStatusIsInvalidParameterStatus(body: String) async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            let response = try await sandbox.v2Post("Verifications/\(started.sid)", body)
            expectV2Error(response, status: 400, code: 60200, message: "Invalid parameter: Status")
            #expect(try await sandbox.v2Get("Verifications/\(started.sid)").status == 200)
        }
    }

    @Test func theSixthSendToALiveVerificationIsMaxSendAttemptsAndSendsNothing() async throws {
        try await withSandbox { sandbox in
            for _ in 0..<5 {
                #expect(try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms").status == 201)
            }
            let sixth = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=call")
            expectV2Error(sixth, status: 429, code: 60203, message: "Max send attempts reached")
            #expect(sixth.headers.first(name: "retry-after") == nil)
            let stats = sandbox.server.stats()
            #expect(stats.starts == 6)
            #expect(stats.startsByNumber == ["+12025550189": 6])
            #expect(stats.deliveredByNumber == ["+12025550189": 5])
            #expect(sandbox.codeLines.lines.count == 5)
            let live: V2VerificationBody = try await sandbox.v2Get("Verifications/%2B12025550189").decode()
            #expect(live.sendCodeAttempts?.count == 5)
            #expect(live.channel == "sms")

            sandbox.clock.advance(by: 600)
            #expect(try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms").status == 201)
        }
    }

    @Test func afterFiveWrongChecksEveryCheckIsMaxCheckAttempts() async throws {
        try await withSandbox { sandbox in
            let started: V2VerificationBody = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
                .decode()
            for _ in 0..<5 {
                let wrong = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=000000")
                #expect(try wrong.decode(V2VerificationBody.self).status == "pending")
            }
            for body in ["To=%2B12025550189&Code=744400", "VerificationSid=\(started.sid)&Code=000000"] {
                let refused = try await sandbox.v2Post("VerificationCheck", body)
                expectV2Error(refused, status: 429, code: 60202, message: "Max check attempts reached")
            }
            #expect(sandbox.server.stats().checks == 7)
            #expect(try await sandbox.v2Post("Verifications/\(started.sid)", "Status=canceled").status == 200)
            _ = try await sandbox.v2Post("Verifications", "To=%2B12025550189&Channel=sms")
            let approved = try await sandbox.v2Post("VerificationCheck", "To=%2B12025550189&Code=744400")
            #expect(try approved.decode(V2VerificationBody.self).status == "approved")
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
