import Foundation
import Logging
import Testing

@testable import VerifyRunner

/// The metrics, the progress line and the JSON log lines, as pure values and text.
@Suite struct RunMetricsTests {
    @Test func theExpositionParsesBackWithWhatWasReported() throws {
        let metrics = RunMetrics(provider: .verifyV2, startedAt: 1_700_000_000, lastSuccess: 1_699_999_000)
        metrics.jobStarted(id: "j", fileName: "f.csv", totalRows: 10, doneRows: 2)
        metrics.requestAnswered(outcome: "sent", httpStatus: 201, duration: .milliseconds(40))
        metrics.requestAnswered(outcome: "sent", httpStatus: 201, duration: .milliseconds(60))
        metrics.requestAnswered(outcome: "rate_limited", httpStatus: 429, duration: .milliseconds(3))
        metrics.requestAnswered(outcome: "in_doubt", httpStatus: nil, duration: .seconds(15))
        metrics.rowsFinished(["invalid": 1, "unfinished": 9])
        metrics.rowFinished("sent")
        metrics.rowFinished("sent")
        metrics.retried()
        metrics.rateLimitWaited(seconds: 0.25)
        metrics.inFlightChanged(to: 3)
        metrics.jobCompleted("finished")

        let text = try PrometheusText(String(decoding: metrics.exposition(), as: UTF8.self))
        #expect(
            text.value("verifyd_requests_total", ["provider": "verify-v2", "outcome": "sent", "http_status": "201"])
                == 2)
        #expect(
            text.value(
                "verifyd_requests_total", ["provider": "verify-v2", "outcome": "in_doubt", "http_status": "none"]) == 1)
        #expect(text.sum("verifyd_requests_total") == 4)
        #expect(text.value("verifyd_request_duration_seconds_count", ["provider": "verify-v2"]) == 4)
        #expect(text.value("verifyd_request_duration_seconds_bucket", ["provider": "verify-v2", "le": "0.05"]) == 2)
        #expect(text.value("verifyd_rows_total", ["status": "sent"]) == 2)
        #expect(text.value("verifyd_rows_total", ["status": "invalid"]) == 1)
        #expect(text.value("verifyd_rows_total", ["status": "unfinished"]) == nil)
        #expect(text.value("verifyd_job_rows") == 10 && text.value("verifyd_job_rows_done") == 5)
        #expect(text.value("verifyd_requests_in_flight") == 3)
        #expect(text.value("verifyd_retries_total") == 1)
        #expect(text.value("verifyd_rate_limit_waits_total") == 1)
        #expect(text.value("verifyd_rate_limit_wait_seconds_total") == 0.25)
        #expect(text.value("verifyd_jobs_total", ["outcome": "finished"]) == 1)
        #expect(text.value("verifyd_last_success_timestamp_seconds") == 1_699_999_000)
        #expect(text.types["verifyd_request_duration_seconds"] == "histogram")
        #expect(text.types["verifyd_requests_total"] == "counter")
        #expect(
            metrics.progress
                == .init(jobID: "j", fileName: "f.csv", totalRows: 10, doneRows: 5, inFlight: 3, retries: 1))

        metrics.jobEnded()
        metrics.succeeded(at: 1_700_000_100)
        let after = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(try PrometheusText(after).value("verifyd_job_rows") == 0)
        #expect(RunMetrics.lastSuccess(inExposition: after) == 1_700_000_100)
    }

    @Test func theParserRefusesWhatIsNotTheTextFormat() {
        #expect(throws: PrometheusText.Malformed.self) { try PrometheusText("verifyd_x{a=\"1\" 2") }
        #expect(throws: PrometheusText.Malformed.self) { try PrometheusText("verifyd x 2") }
        #expect(throws: PrometheusText.Malformed.self) { try PrometheusText("# TYPE verifyd_x countr") }
    }

    @Test(
        arguments: [
            (
                RunMetrics.Progress(
                    jobID: "j", fileName: "list.csv", totalRows: 50_000, doneRows: 12_000, inFlight: 64, retries: 3),
                1950.4, "list.csv 12,000/50,000 (24%) · 1,950 rows/s · ETA 20s · 3 retries · 64 in flight"
            ),
            (
                .init(jobID: "j", fileName: "a\nb.csv", totalRows: 1_000_000, doneRows: 1, inFlight: 1, retries: 1),
                100, "a\\u{a}b.csv 1/1,000,000 (0%) · 100 rows/s · ETA 2h 46m · 1 retry · 1 in flight"
            ),
            (
                .init(jobID: "j", fileName: "x.csv", totalRows: 10, doneRows: 4), 0,
                "x.csv 4/10 (40%) · 0 rows/s · ETA — · 0 retries · 0 in flight"
            ),
            (
                .init(jobID: "j", fileName: "x.csv", totalRows: 0, doneRows: 0), nil,
                "x.csv 0/0 (100%) · 0 retries · 0 in flight"
            ),
        ] as [(RunMetrics.Progress, Double?, String)])
    func theProgressLineSaysWhereTheJobStands(progress: RunMetrics.Progress, rate: Double?, line: String) {
        #expect(ProgressLine.text(progress, rowsPerSecond: rate) == line)
    }

    @Test func jsonLogLinesAreOneObjectEach() throws {
        var descriptors: [Int32] = [0, 0]
        #expect(pipe(&descriptors) == 0)
        var handler = JSONLogHandler(descriptor: descriptors[1])
        handler[metadataKey: "job.id"] = "j1"
        var logger = Logger(label: "t") { _ in handler }
        logger.logLevel = .info
        logger.info("job \"finished\"\nok", metadata: ["rows": "20", "message": "shadow"])
        logger.debug("not written")
        close(descriptors[1])
        let text = String(
            decoding: FileHandle(fileDescriptor: descriptors[0], closeOnDealloc: true).readDataToEndOfFile(),
            as: UTF8.self)
        let lines = text.split(separator: "\n")
        try #require(lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: String])
        #expect(object["message"] == "job \"finished\"\nok")
        #expect(object["level"] == "info" && object["job.id"] == "j1" && object["rows"] == "20")
        #expect(object["meta.message"] == "shadow")
        #expect(object["time"]?.hasSuffix("Z") == true)
    }
}
