import Foundation
import NIOHTTP1
import Testing

@testable import VerifySandbox

@Suite struct V1RoutesTests {
    /// How a test sends the start parameters.
    enum Encoding: String, CaseIterable, Sendable {
        case form, json, query
    }

    @Test func startBySMSToAMobileNumberSucceeds() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start("via=sms&country_code=1&phone_number=202-555-0189")
            #expect(response.status == 200, "\(response.text)")
            let body: V1StartBody = try response.decode()
            #expect(body.success)
            #expect(body.carrier == "Sandbox Mobile")
            #expect(body.isCellphone)
            #expect(body.message == "Text message sent to +1 202-555-0189.")
            #expect(body.secondsToExpire == 599)
            #expect(!body.uuid.isEmpty)
        }
    }

    @Test(arguments: Encoding.allCases)
    func startAcceptsFormJSONAndQueryParameters(encoding: Encoding) async throws {
        try await withSandbox { sandbox in
            let path = "/protected/json/phones/verification/start"
            let request: TestRequest =
                switch encoding {
                case .form:
                    TestRequest(
                        method: .POST, uri: path,
                        headers: sandbox.v1Auth + [("Content-Type", "application/x-www-form-urlencoded")],
                        body: "via=call&country_code=44&phone_number=07911%20123456&code_length=6")
                case .json:
                    TestRequest(
                        method: .POST, uri: path, headers: sandbox.v1Auth + [("Content-Type", "application/json")],
                        body: #"{"via":"call","country_code":44,"phone_number":"07911 123456","code_length":6}"#)
                case .query:
                    TestRequest(
                        method: .POST,
                        uri: path + "?via=call&country_code=44&phone_number=07911-123456&code_length=6",
                        headers: sandbox.v1Auth)
                }
            let response = try await sandbox.client.send(request)
            #expect(response.status == 200, "\(response.text)")
            #expect(try response.decode(V1StartBody.self).message == "Call to +44 791-112-3456 initiated")
            #expect(sandbox.server.stats().startsByNumber == ["+447911123456": 1])
            let code = VerificationCode.code(for: "+447911123456", length: 6)
            let check = try await sandbox.v1Get(
                "check", "country_code=44&phone_number=7911123456&verification_code=\(code)")
            #expect(check.status == 200, "\(check.text)")
        }
    }

    @Test func landlineRefusesSMSButAcceptsACall() async throws {
        try await withSandbox { sandbox in
            let sms = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550000")
            #expect(sms.status == 403)
            let error: V1ErrorBody = try sms.decode()
            #expect(error.errorCode == "60082")
            #expect(error.message == "Can not send SMS to landline phone numbers")
            #expect(error.errors == ["message": "Can not send SMS to landline phone numbers"])
            #expect(!error.success)

            let call = try await sandbox.v1Start("via=call&country_code=1&phone_number=2025550000")
            #expect(call.status == 200, "\(call.text)")
            let body: V1StartBody = try call.decode()
            #expect(body.message == "Call to +1 202-555-0000 initiated")
            #expect(!body.isCellphone)
        }
    }

    @Test(arguments: ["sms", "call"])
    func notProvisionedNumbersAreRefused(via: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start("via=\(via)&country_code=1&phone_number=202-555-9999")
            #expect(response.status == 403)
            let error: V1ErrorBody = try response.decode()
            #expect(error.errorCode == "60083")
            #expect(error.message == "Phone number not provisioned with any carrier")
        }
    }

    @Test(arguments: ["12345", "123456789012345", "202-555-CALL", "+12025550189", "0"])
    func invalidNumbersAreRefused(phoneNumber: String) async throws {
        try await withSandbox { sandbox in
            let encoded = phoneNumber.replacingOccurrences(of: "+", with: "%2B")
            let response = try await sandbox.v1Start("via=sms&country_code=1&phone_number=\(encoded)")
            #expect(response.status == 400)
            let error: V1ErrorBody = try response.decode()
            #expect(error.errorCode == "60033")
            #expect(error.message == "Phone number is invalid")
        }
    }

    @Test(arguments: [
        "via=sms&country_code=1234&phone_number=2025550189",
        "via=sms&country_code=01&phone_number=2025550189",
        "via=sms&country_code=999&phone_number=2025550189",
        "via=call&country_code=2&phone_number=2025550189",
        "via=sms&country_code=0&phone_number=2025550189",
    ])
    func unassignedCallingCodesAreInvalidAndSendNothing(parameters: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start(parameters)
            #expect(response.status == 400)
            #expect(try response.decode(V1ErrorBody.self).errorCode == "60033")
            #expect(sandbox.server.stats().deliveredByNumber.isEmpty)
            #expect(sandbox.codeLines.text.isEmpty)
        }
    }

    @Test(arguments: ["222", "880", "263"])
    func assignedThreeDigitCallingCodesAreAccepted(countryCode: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start("via=sms&country_code=\(countryCode)&phone_number=22123456")
            #expect(response.status == 200, "\(response.text)")
        }
    }

    @Test(arguments: ["en", "pt-BR", "ZH-hk", "es", "en-GB", "vi"])
    func supportedLocalesAreAcceptedInAnyCase(locale: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start(
                "via=sms&country_code=1&phone_number=2025550189&locale=\(locale)")
            #expect(response.status == 200, "\(response.text)")
        }
    }

    @Test(arguments: ["xx", "en-US", "pt_BR", "klingon"])
    func unsupportedLocaleIsNotFoundWithoutAnErrorCodeAndSendsNothing(locale: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start(
                "via=sms&country_code=1&phone_number=2025550189&locale=\(locale)")
            #expect(response.status == 404)
            let body: V1MessageBody = try response.decode()
            #expect(!body.success)
            #expect(body.message == "Unsupported locale: \(locale)")
            #expect(!response.text.contains("error_code"))
            #expect(sandbox.server.stats().startsByNumber == ["+12025550189": 1])
            #expect(sandbox.server.stats().deliveredByNumber.isEmpty)
            #expect(sandbox.codeLines.text.isEmpty)
            let status = try await sandbox.v1Get("status", "country_code=1&phone_number=2025550189")
            #expect(status.status == 404)
        }
    }

    @Test(arguments: [
        ("country_code=1&phone_number=2025550189", "Invalid parameter: via - Parameter is required"),
        ("via=fax&country_code=1&phone_number=2025550189", "Invalid parameter: via - 'fax' is not one of sms, call"),
        ("via=sms&phone_number=2025550189", "Invalid parameter: country_code - Parameter is required"),
        (
            "via=sms&country_code=US&phone_number=2025550189",
            "Invalid parameter: country_code - 'US' is not a valid Integer"
        ),
        ("via=sms&country_code=1", "Invalid parameter: phone_number - Parameter is required"),
        (
            "via=sms&country_code=1&phone_number=2025550189&code_length=11",
            "Invalid parameter: code_length - '11' is not between 4 and 10"
        ),
        (
            "via=sms&country_code=1&phone_number=2025550189&code_length=3",
            "Invalid parameter: code_length - '3' is not between 4 and 10"
        ),
    ])
    func missingOrBadParametersGive60004(parameters: String, message: String) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start(parameters)
            #expect(response.status == 400)
            let error: V1ErrorBody = try response.decode()
            #expect(error.errorCode == "60004")
            #expect(error.message == message)
        }
    }

    @Test func malformedJSONBodyIsAnInvalidRequest() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.client.send(
                TestRequest(
                    method: .POST, uri: "/protected/json/phones/verification/start",
                    headers: sandbox.v1Auth + [("Content-Type", "application/json")], body: "via=sms"))
            #expect(response.status == 400)
            #expect(try response.decode(V1ErrorBody.self).errorCode == "60002")
        }
    }

    @Test(arguments: [[("X-Authy-API-Key", "wrong-key")], []])
    func wrongOrMissingAPIKeyIsRefused(headers: [(String, String)]) async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start(
                "via=sms&country_code=1&phone_number=2025550189", headers: headers)
            #expect(response.status == 401)
            let error: V1ErrorBody = try response.decode()
            #expect(error.errorCode == "60001")
            #expect(error.message == "Invalid API key")
            #expect(sandbox.server.stats().starts == 0)
        }
    }

    @Test func legacyAPIKeyParameterIsAccepted() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start(
                "via=sms&country_code=1&phone_number=2025550189&api_key=\(sandbox.configuration.apiKey)", headers: [])
            #expect(response.status == 200, "\(response.text)")
        }
    }

    @Test func checkAcceptsTheRightCodeOnce() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=202-555-0189")
            let query = "country_code=1&phone_number=202-555-0189&verification_code=4400"
            let correct = try await sandbox.v1Get("check", query)
            #expect(correct.status == 200, "\(correct.text)")
            let body: V1MessageBody = try correct.decode()
            #expect(body.message == "Verification code is correct.")
            #expect(body.success)

            let again = try await sandbox.v1Get("check", query)
            #expect(again.status == 404)
            #expect(try again.decode(V1ErrorBody.self).errorCode == "60023")
        }
    }

    @Test func checkRefusesAWrongCode() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189&code_length=6")
            let wrong = try await sandbox.v1Get(
                "check", "country_code=1&phone_number=2025550189&verification_code=4400")
            #expect(wrong.status == 401)
            let error: V1ErrorBody = try wrong.decode()
            #expect(error.errorCode == "60022")
            #expect(error.message == "Verification code is incorrect")
            let right = try await sandbox.v1Get(
                "check", "country_code=1&phone_number=2025550189&verification_code=744400")
            #expect(right.status == 200)
        }
    }

    @Test func checkWithNothingPendingIsNotFound() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Get(
                "check", "country_code=1&phone_number=2025550189&verification_code=4400")
            #expect(response.status == 404)
            let error: V1ErrorBody = try response.decode()
            #expect(error.errorCode == "60023")
            #expect(error.message == "No pending verifications for +1 202-555-0189 found.")
            #expect(sandbox.server.stats().checks == 1)
        }
    }

    @Test func codesExpireAfterTenMinutesOfTheServersClock() async throws {
        try await withSandbox { sandbox in
            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            sandbox.clock.advance(by: 600)
            let response = try await sandbox.v1Get(
                "check", "country_code=1&phone_number=2025550189&verification_code=4400")
            #expect(response.status == 404)
            #expect(try response.decode(V1ErrorBody.self).errorCode == "60023")
        }
    }

    @Test func theConfiguredCodeLifetimeIsCountedDown() async throws {
        try await withSandbox(configure: { $0.codeLifetime = .seconds(20) }) { sandbox in
            let start = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            #expect(try start.decode(V1StartBody.self).secondsToExpire == 19)
            sandbox.clock.advance(by: 20)
            let check = try await sandbox.v1Get(
                "check", "country_code=1&phone_number=2025550189&verification_code=4400")
            #expect(check.status == 404)
        }
    }

    @Test func restartWhilePendingResendsTheSameVerification() async throws {
        try await withSandbox { sandbox in
            let first = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            sandbox.clock.advance(by: 100)
            let second = try await sandbox.v1Start("via=sms&country_code=1&phone_number=(202) 555.0189")
            let firstBody: V1StartBody = try first.decode()
            let secondBody: V1StartBody = try second.decode()
            #expect(secondBody.uuid == firstBody.uuid)
            #expect(secondBody.secondsToExpire == 499)
            #expect(sandbox.server.stats().startsByNumber == ["+12025550189": 2])
        }
    }

    @Test func statusFollowsTheVerificationByNumberAndByUUID() async throws {
        try await withSandbox { sandbox in
            let start = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550189")
            let uuid = try start.decode(V1StartBody.self).uuid
            sandbox.clock.advance(by: 10)

            let pending = try await sandbox.v1Get("status", "country_code=1&phone_number=202-555-0189")
            #expect(pending.status == 200, "\(pending.text)")
            let pendingBody: V1MessageBody = try pending.decode()
            #expect(pendingBody.message == "Phone Verification status.")
            #expect(pendingBody.status == "pending")
            #expect(pendingBody.secondsToExpire == 589)
            #expect(pendingBody.success)

            _ = try await sandbox.v1Get("check", "country_code=1&phone_number=2025550189&verification_code=4400")
            let verified = try await sandbox.v1Get("status", "uuid=\(uuid)")
            #expect(try verified.decode(V1MessageBody.self).status == "verified")

            _ = try await sandbox.v1Start("via=sms&country_code=1&phone_number=2025550188")
            sandbox.clock.advance(by: 600)
            let expired = try await sandbox.v1Get("status", "country_code=1&phone_number=2025550188")
            let expiredBody: V1MessageBody = try expired.decode()
            #expect(expiredBody.status == "expired")
            #expect(expiredBody.secondsToExpire == 0)
            #expect(sandbox.server.stats().statusQueries == 3)
        }
    }

    @Test func statusOfAnUnknownVerificationIsNotFound() async throws {
        try await withSandbox { sandbox in
            let byNumber = try await sandbox.v1Get("status", "country_code=1&phone_number=2025550189")
            #expect(byNumber.status == 404)
            #expect(try byNumber.decode(V1ErrorBody.self).errorCode == "60023")
            let byUUID = try await sandbox.v1Get("status", "uuid=b8ebcd40-1234-5678-3fb5-0e5d6a065904")
            #expect(byUUID.status == 404)
            let neither = try await sandbox.v1Get("status", "")
            #expect(neither.status == 400)
            #expect(try neither.decode(V1ErrorBody.self).errorCode == "60042")
        }
    }

    @Test func errorCodeIsAJSONString() async throws {
        try await withSandbox { sandbox in
            let response = try await sandbox.v1Start("via=sms&country_code=1&phone_number=123")
            #expect(response.text.contains(#""error_code":"60033""#))
            #expect(response.headers.first(name: "content-type")?.hasPrefix("application/json") == true)
        }
    }
}
