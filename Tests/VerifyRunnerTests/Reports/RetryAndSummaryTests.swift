import Foundation
import Testing

@testable import VerifyRunner

/// `retry.csv` (which failed rows go back, as they were read) and `summary.html` (what the page says).
@Suite struct RetryAndSummaryTests {
    @Test(
        arguments: [
            (nil, nil, true),  // no answer at all
            (nil, "curl_28", true),  // a timeout
            (429, "60003", true),  // rate limited
            (503, nil, true),  // a server error
            (200, nil, true),  // a success whose body could not be read
            (403, "60082", false),  // a landline: the API would refuse it again
            (400, "60004", false),  // an invalid parameter
            (400, nil, false),  // any other refusal
            (429, "60010", true),  // the daily SMS limit: tomorrow it passes
        ] as [(Int?, String?, Bool)])
    func aFailureIsWorthRetryingOnlyWhenTheAPIMayAcceptItLater(status: Int?, code: String?, retryable: Bool) {
        #expect(
            ResponseClassifier.failureIsRetryable(
                httpStatus: status, errorCode: code, table: ProviderDefinition.authyV1.errorTable)
                == retryable)
    }

    @Test func retryFileHoldsTheRetryableFailuresAsTheyWereRead() throws {
        try withTemporaryDirectory { directory in
            let inputs = ["202-555-0100", "(202) 555-0101", "202 555 0102", "202.555.0103"]
            let rows = inputs.enumerated().map { index, phone in
                NewRow(
                    sequence: index, line: index + 2, phoneInput: phone, countryInput: "1",
                    channel: index == 1 ? .call : .sms, locale: index == 1 ? "es" : nil, kind: .start, code: nil,
                    phone: nil, extras: ["=ref \(index)", "x,\(index)"], finalStatus: nil, message: nil)
            }
            let store = try directory.storeWithJob(provider: .authyV1, rows: rows, extraColumns: ["ref", "note"])
            let failed = { (sequence: Int, status: Int?, code: String?) in
                RowWrite(
                    sequence: sequence, state: .finished(.failed, attempts: 5),
                    result: ProviderResult(verdict: .failedPermanently, httpStatus: status, errorCode: code),
                    timestamp: "t")
            }
            try store.commit(
                jobID: "j",
                writes: [
                    failed(0, 503, nil), failed(1, nil, "curl_28"), failed(2, 400, "60004"),
                    RowWrite(
                        sequence: 3, state: .finished(.sent, attempts: 1), result: .init(verdict: .sent), timestamp: "t"
                    ),
                ], requests: 4, retries: 0, sendingSeconds: 1, startedAt: "t")
            let job = try #require(try store.job(id: "j"))
            try ReportWriter(store: store).write(job: job, to: directory.path + "/r")

            let retry = try String(contentsOfFile: directory.path + "/r/retry.csv", encoding: .utf8)
            #expect(
                retry == """
                    phone_number,country_code,via,locale,verification_code,time_zone,ref,note\r
                    202-555-0100,1,sms,,,,=ref 0,"x,0"\r
                    (202) 555-0101,1,call,es,,,=ref 1,"x,1"\r

                    """)

            // The same job without retryable failures has no retry.csv, not an empty one.
            try store.commit(
                jobID: "j", writes: [failed(0, 400, "60004"), failed(1, 400, "60004")], requests: 0, retries: 0,
                sendingSeconds: 0, startedAt: nil)
            try ReportWriter(store: store).write(job: job, to: directory.path + "/r")
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/r/retry.csv"))
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/r/retry.csv.tmp"))
        }
    }

    @Test func summaryPageEscapesWhatTheInputNamedAndNeedsNothingFromOutside() {
        let page = SummaryPage.html(
            .init(
                jobID: "20261127-010203-abcd", fileName: "<script>alert(1)</script>&\".csv", provider: "authy-v1",
                state: "finished", totalRows: 7, statuses: [("sent", 4), ("failed", 2), ("invalid", 1)],
                errorCodes: [
                    ErrorCodeCount(code: "60082", status: "rejected", rows: 1, httpStatus: 403),
                    ErrorCodeCount(code: "99999", status: "failed", rows: 2, sampleMessage: "<b>odd</b>"),
                ],
                requestSeconds: [(100, 3), (102, 4)], requests: 7, retries: 1, startedAt: "a", finishedAt: "b"))
        #expect(!page.contains("<script"))
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;.csv"))
        #expect(page.contains("The number is a landline"))
        #expect(page.contains("The API said: &lt;b&gt;odd&lt;/b&gt;"))
        // Nothing to fetch: the only URL is the SVG namespace, which is a name, not a request.
        let urls = page.components(separatedBy: "http").count - 1
        #expect(urls == page.components(separatedBy: "xmlns=\"http://www.w3.org/2000/svg\"").count - 1)
        #expect(!page.contains("src=") && !page.contains("@import") && !page.contains("url("))
        // Three seconds from 100 to 102, the middle one empty.
        #expect(page.contains("points=\"56,98.4 400,228 744,55.2 \""))
    }

    @Test(
        arguments: [
            ("2026-11-27T03:12:40.750Z", "2026-11-27T03:17:14.025Z", "sent 2026-11-27 03:12:40 to 03:17:14 UTC"),
            (
                "2026-11-27T23:59:00.000Z", "2026-11-28T00:01:00.000Z",
                "sent 2026-11-27 23:59:00 to 2026-11-28 00:01:00 UTC"
            ),
            ("2026-11-27T03:12:40.750Z", nil, "sending since 2026-11-27 03:12:40 UTC"),
        ] as [(String, String?, String)])
    func thePageSaysWhenTheJobWasSent(started: String, finished: String?, text: String) {
        let content = SummaryPage.Content(
            jobID: "j", fileName: "f", provider: nil, state: "finished", totalRows: 0, statuses: [], errorCodes: [],
            requestSeconds: [], requests: 0, retries: 0, startedAt: started, finishedAt: finished)
        #expect(SummaryPage.timeSpan(content) == text)
    }

    @Test func aLongJobsRateChartIsAveragedIntoAtMost600Points() {
        let seconds = (0..<10_000).map { (second: 1_000 + $0, requests: $0 % 7) }
        let chart = SummaryPage.rateChart(seconds)
        let points = chart.components(separatedBy: "<polyline class=\"line\" points=\"")[1].prefix { $0 != "\"" }
        #expect(points.split(separator: " ").count == 589)  // 10,000 s in buckets of 17 s
        #expect(chart.contains("Each point is the average of 17 seconds."))
        #expect(SummaryPage.rateChart([]).contains("No requests were sent"))
    }

    /// Transfer and HTTP codes mean the same for every provider; an API's code is looked up in its provider's
    /// table, or in every provider's for a job that names none.
    @Test(arguments: [
        ("curl_28", ProviderName.authyV1, "The API did not answer within --timeout."),
        ("curl_99", .verifyV2, "The request got no answer (a network or TLS failure)."),
        ("http_503", .authyV1, "The API had a server error (HTTP 503); the request may or may not have been acted on."),
        ("60203", .verifyV2, "Too many codes were sent to this number; wait for the last one to expire (10 minutes)."),
        ("60203", nil, "Too many codes were sent to this number; wait for the last one to expire (10 minutes)."),
        ("60001", .authyV1, "The API key was refused."),
    ])
    func errorCodesAreExplained(code: String, provider: ProviderName?, meaning: String) {
        #expect(ErrorCodeMeaning.meaning(of: code, provider: provider) == meaning)
    }

    @Test func aCodeIsExplainedOnlyByItsOwnProvider() {
        #expect(ErrorCodeMeaning.meaning(of: "60203", provider: .authyV1) == nil)
        #expect(ErrorCodeMeaning.meaning(of: "60001", provider: .verifyV2) == nil)
    }

    @Test func unknownCodesFallBackToTheAPIsMessageOrTheStatus() {
        #expect(ErrorCodeMeaning.meaning(of: "12345", provider: nil) == nil)
        #expect(
            ErrorCodeMeaning.describe(.init(code: "1", status: "failed", rows: 1, sampleMessage: "Nope"), provider: nil)
                == "The API said: Nope")
        #expect(
            ErrorCodeMeaning.describe(.init(code: "1", status: "failed", rows: 1, httpStatus: 418), provider: .verifyV2)
                == "The API answered HTTP 418 with this code.")
    }
}
