import Testing

@testable import VerifyRunner

/// The error classification of both providers' codes (docs/rate-control.md for the 429s), through both providers.
@Suite struct ResponseClassifierTests {
    private let v1 = AuthyV1Provider(baseURL: "https://api.authy.com", apiKey: "k")
    private let v2 = VerifyV2Provider(
        baseURL: "https://verify.twilio.com", accountSID: "AC1", authToken: "t", serviceSID: "VA1")
    private let start = VerificationTarget(
        e164: "+12025550189", countryCode: 1, nationalNumber: "2025550189", kind: .start, channel: .sms)
    private var check: VerificationTarget {
        var target = start
        target.kind = .check
        target.code = "123456"
        return target
    }

    private func response(_ status: Int, _ body: String, headers: [String: String] = [:])
        -> Result<HTTPResponse, TransportFailure>
    {
        .success(HTTPResponse(status: status, headers: headers, body: Array(body.utf8)))
    }

    private static func v1Error(_ code: String) -> String {
        #"{"error_code":"\#(code)","message":"m","errors":{"message":"m"},"success":false}"#
    }

    private static func v2Error(_ code: Int, _ status: Int) -> String {
        #"{"code":\#(code),"message":"m","more_info":"https://www.twilio.com/docs/errors/\#(code)","status":\#(status)}"#
    }

    static let notProcessed = ProviderResult.Verdict.retryable(retryAfter: nil, mayHaveBeenProcessed: false)
    static let rateLimited = ProviderResult.Verdict.rateLimited(retryAfter: nil)
    static let maybeProcessed = ProviderResult.Verdict.retryable(retryAfter: nil, mayHaveBeenProcessed: true)

    @Test(arguments: [
        (401, v1Error("60001"), ProviderResult.Verdict.fatalForJob),
        (503, v1Error("60060"), .fatalForJob),
        (400, v1Error("60033"), .rejectedNumber),
        (403, v1Error("60082"), .rejectedNumber),
        (403, v1Error("60083"), .rejectedNumber),
        (403, v1Error("60078"), .rejectedNumber),
        (429, v1Error("60003"), rateLimited),
        (503, v1Error("60003"), notProcessed),
        (400, v1Error("60009"), notProcessed),
        (400, v1Error("60004"), .failedPermanently),
        (403, v1Error("60021"), .failedPermanently),
        (401, #"{"message":"no code","success":false}"#, .fatalForJob),
        (429, "", rateLimited),
        (500, "<html>oops</html>", maybeProcessed),
        (503, #"{"message":"Internal error"}"#, maybeProcessed),
        (404, v1Error("99999"), .failedPermanently),
    ])
    func v1StartErrors(status: Int, body: String, verdict: ProviderResult.Verdict) {
        #expect(v1.interpret(response(status, body), for: start).verdict == verdict)
    }

    @Test(arguments: [
        (401, v2Error(20003, 401), ProviderResult.Verdict.fatalForJob),
        (403, v2Error(20403, 403), .fatalForJob),
        (404, v2Error(20404, 404), .fatalForJob),
        (400, v2Error(60200, 400), .rejectedNumber),
        (403, v2Error(60205, 403), .rejectedNumber),
        (403, v2Error(60605, 403), .rejectedNumber),
        // Fraud Guard: its HTTP status is not documented; whatever it is, it concerns the number, never the rate.
        (403, v2Error(60410, 403), .rejectedNumber),
        (429, v2Error(60410, 429), .rejectedNumber),
        (400, v2Error(60410, 400), .rejectedNumber),
        (429, v2Error(20429, 429), rateLimited),
        (429, v2Error(25109, 429), rateLimited),
        (429, v2Error(60212, 429), .numberLimited(.concurrentRequests(retryAfter: nil))),
        (429, v2Error(60203, 429), .numberLimited(.sendAttempts)),
        (500, v2Error(20500, 500), maybeProcessed),
        (400, v2Error(21999, 400), .failedPermanently),
    ])
    func v2StartErrors(status: Int, body: String, verdict: ProviderResult.Verdict) {
        #expect(v2.interpret(response(status, body), for: start).verdict == verdict)
    }

    @Test func v1StartSuccessReadsEveryOptionalField() {
        let full = v1.interpret(
            response(
                200,
                #"{"carrier":"AT&T Wireless","is_cellphone":true,"message":"Text message sent","seconds_to_expire":599,"uuid":"b8eb","success":true}"#
            ), for: start)
        #expect(
            full
                == ProviderResult(
                    verdict: .sent, httpStatus: 200, message: "Text message sent", providerID: "b8eb",
                    carrier: "AT&T Wireless",
                    isCellphone: true))
        let sparse = v1.interpret(response(200, #"{"success":"true","carrier":null}"#), for: start)
        #expect(sparse.verdict == .sent)
        #expect(sparse.carrier == nil && sparse.isCellphone == nil && sparse.providerID == nil)
    }

    @Test func garbageSuccessBodyIsInDoubt() {
        #expect(v1.interpret(response(200, "not json"), for: start).verdict == Self.maybeProcessed)
        #expect(v2.interpret(response(201, "<xml/>"), for: start).verdict == Self.maybeProcessed)
    }

    @Test func v2StartSuccessReadsSidAndLookup() {
        let result = v2.interpret(
            response(
                201,
                #"{"sid":"VEabc","status":"pending","lookup":{"carrier":{"name":"T-Mobile USA, Inc.","type":"mobile"}}}"#
            ), for: start)
        #expect(result.verdict == .sent)
        #expect(result.providerID == "VEabc")
        #expect(result.carrier == "T-Mobile USA, Inc.")
        #expect(result.isCellphone == true)
    }

    @Test func checkOutcomes() {
        #expect(
            v1.interpret(response(200, #"{"message":"Verification code is correct.","success":true}"#), for: check)
                .verdict == .approved)
        #expect(v1.interpret(response(401, Self.v1Error("60022")), for: check).verdict == .denied)
        #expect(v1.interpret(response(404, Self.v1Error("60023")), for: check).verdict == .denied)
        #expect(v1.interpret(response(401, Self.v1Error("60001")), for: check).verdict == .fatalForJob)
        #expect(
            v2.interpret(response(200, #"{"sid":"VE1","status":"approved","valid":true}"#), for: check)
                .verdict == .approved)
        #expect(
            v2.interpret(response(200, #"{"sid":"VE1","status":"pending","valid":false}"#), for: check)
                .verdict == .denied)
        #expect(v2.interpret(response(404, Self.v2Error(20404, 404)), for: check).verdict == .denied)
    }

    @Test func retryAfterIsHonoured() {
        let result = v2.interpret(response(429, Self.v2Error(20429, 429), headers: ["retry-after": "3"]), for: start)
        #expect(result.verdict == .rateLimited(retryAfter: .seconds(3)))
        #expect(
            ResponseClassifier.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT", nowSeconds: 1_445_412_470) == .seconds(10))
        #expect(ResponseClassifier.retryAfter("soon") == nil)
    }

    @Test func transportFailuresSayWhetherTheRequestLeft() {
        let refused = TransportFailure(curlCode: 7, message: "refused", requestMayHaveBeenSent: false, isTimeout: false)
        let timedOut = TransportFailure(curlCode: 28, message: "timeout", requestMayHaveBeenSent: true, isTimeout: true)
        #expect(v1.interpret(.failure(refused), for: start).verdict == Self.notProcessed)
        #expect(v1.interpret(.failure(timedOut), for: start).verdict == Self.maybeProcessed)
        #expect(v1.interpret(.failure(timedOut), for: start).errorCode == "curl_28")
    }

    @Test func v1StatusAnswers() {
        #expect(v1.interpretStatus(response(200, #"{"status":"pending","success":true}"#)) == true)
        #expect(v1.interpretStatus(response(200, #"{"status":"verified","success":true}"#)) == true)
        #expect(v1.interpretStatus(response(200, #"{"status":"expired","success":true}"#)) == false)
        #expect(v1.interpretStatus(response(404, Self.v1Error("60023"))) == false)
        #expect(v1.interpretStatus(response(500, "")) == nil)
        #expect(v2.statusRequest(for: start) == nil)
    }

    @Test func aTooManyRequestsAnswerCarriesTwiliosConcurrentRequests() {
        let result = v2.interpret(
            response(429, Self.v2Error(20429, 429), headers: ["twilio-concurrent-requests": "97"]), for: start)
        #expect(result.verdict == Self.rateLimited && result.concurrentRequests == 97)
        let perNumber = v2.interpret(
            response(429, Self.v2Error(60212, 429), headers: ["retry-after": "2"]), for: start)
        #expect(perNumber.verdict == .numberLimited(.concurrentRequests(retryAfter: .seconds(2))))
    }
}
