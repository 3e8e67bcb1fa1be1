import Foundation
import Testing

@testable import VerifyRunner

/// The Verification Attempts API's requests and pages, and the limit of its requests, without a network.
@Suite struct AttemptsAPITests {
    let api = AttemptsAPI(
        baseURL: "https://verify.twilio.com/", authorization: "Basic abc", serviceSID: "VA0123")

    @Test func aListingAsksForTheServiceAndTheRangeInWholeSecondsWithTheLargestPage() {
        let request = api.request(
            for: AttemptsQuery(createdFrom: 1_764_669_600.7, createdTo: 1_764_669_660.2, to: "+12025550101"))
        #expect(request.method == .get)
        #expect(
            request.url == "https://verify.twilio.com/v2/Attempts?VerifyServiceSid=VA0123"
                + "&DateCreatedAfter=2025-12-02T10%3A00%3A00Z&DateCreatedBefore=2025-12-02T10%3A01%3A01Z"
                + "&ChannelData.To=%2B12025550101&PageSize=1000")
        #expect(request.headers.contains(HTTPRequest.Header(name: "Authorization", value: "Basic abc")))
    }

    @Test func theNextPageIsFollowedOnlyOnTheAPIsOwnHost() {
        #expect(api.nextPageRequest("https://verify.twilio.com/v2/Attempts?PageSize=1000&Page=1&PageToken=PT1") != nil)
        #expect(api.nextPageRequest("https://evil.example/v2/Attempts?Page=1") == nil)
        #expect(api.nextPageRequest("http://verify.twilio.com/v2/Attempts?Page=1") == nil)
        #expect(api.nextPageRequest("https://verify.twilio.com:8443/v2/Attempts?Page=1") == nil)
        #expect(api.nextPageRequest("https://verify.twilio.com/v2/Services/VA1/Verifications") == nil)
    }

    @Test func aPageIsReadIntoAttemptsAndTheNextURL() {
        let body = """
            {"attempts":[
              {"sid":"VL1","verification_sid":"VE1","date_created":"2025-12-02T10:00:00Z","conversion_status":"converted",
               "channel":"sms","channel_data":{"to":"+12025550101"}},
              {"sid":"VL2","verification_sid":"VE2","date_created":"2025-12-02T10:00:01Z","conversion_status":"unconverted",
               "channel":"call","channel_data":{"to":"+12025550103"}}],
             "meta":{"page":0,"page_size":2,"next_page_url":"https://verify.twilio.com/v2/Attempts?Page=1","key":"attempts"}}
            """
        let answer = AttemptsAPI.read(HTTPResponse(status: 200, headers: [:], body: Array(body.utf8)))
        #expect(
            answer
                == .page(
                    attempts: [
                        VerificationAttempt(
                            sid: "VL1", verificationSID: "VE1", to: "+12025550101", createdAt: 1_764_669_600,
                            converted: true),
                        VerificationAttempt(
                            sid: "VL2", verificationSID: "VE2", to: "+12025550103", createdAt: 1_764_669_601,
                            converted: false),
                    ], nextPageURL: "https://verify.twilio.com/v2/Attempts?Page=1"))
        let last = AttemptsAPI.read(
            HTTPResponse(status: 200, headers: [:], body: Array(#"{"attempts":[],"meta":{"next_page_url":null}}"#.utf8))
        )
        #expect(last == .page(attempts: [], nextPageURL: nil))
    }

    @Test func failuresSayWhetherAskingAgainCanHelp() {
        let limited = AttemptsAPI.read(
            HTTPResponse(status: 429, headers: ["retry-after": "7"], body: Array(#"{"code":20429}"#.utf8)))
        #expect(limited == .rateLimited(retryAfter: .seconds(7)))
        let refused = AttemptsAPI.read(
            HTTPResponse(status: 403, headers: [:], body: Array(#"{"code":20003,"message":"no"}"#.utf8)))
        #expect(refused == .failed(retryable: false, message: "HTTP 403: no (error 20003)"))
        let unreadable = AttemptsAPI.read(HTTPResponse(status: 200, headers: [:], body: Array("<html>".utf8)))
        #expect(unreadable == .failed(retryable: true, message: "HTTP 200 with a body that is not a list of attempts"))
        let unavailable = AttemptsAPI.read(HTTPResponse(status: 503, headers: [:], body: []))
        #expect(unavailable == .failed(retryable: true, message: "HTTP 503: no message"))
    }
}

/// The sliding window that keeps Attempts requests within 100 a minute.
@Suite struct SlidingWindowLimitTests {
    @Test func noMoreThanTheLimitInAnyWindow() {
        var limit = SlidingWindowLimit(limit: 3, window: 60)
        #expect(limit.take(now: 0) == nil)
        #expect(limit.take(now: 10) == nil)
        #expect(limit.take(now: 20) == nil)
        #expect(limit.take(now: 30) == 30)  // the first one leaves the window at 60
        #expect(limit.take(now: 60) == nil)
        #expect(limit.take(now: 61) == 9)
    }

    @Test func aRetryAfterBlocksEverything() {
        var limit = SlidingWindowLimit(limit: 100, window: 60)
        limit.block(for: 5, now: 0)
        #expect(limit.take(now: 1) == 4)
        #expect(limit.take(now: 5) == nil)
    }
}
