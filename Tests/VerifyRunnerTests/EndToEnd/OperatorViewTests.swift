import Foundation
import Testing
import VerifyRunner

/// What the people who own a job see of it — `status`, the metrics, the JSON log lines, `retry.csv` and
/// `summary.html` — from runs of the built binary against the sandbox.
@Suite(.serialized) struct OperatorViewTests {
    /// 12 mobiles, a landline, an invalid number and a duplicate, with a `ref` column.
    static let mixedCSV =
        "phone_number,country_code,via,ref\n"
        + (0..<12).map { "\(EndToEndTests.mobile($0)),,\($0 == 3 ? "call" : ""),m\($0)" }.joined(separator: "\n")
        + "\n(202) 555-0000,1,sms,landline\n12345,1,,invalid\n\(EndToEndTests.mobile(5)),,,dup\n"

    @Test func retryCSVDroppedBackInCompletesTheFailedRowsAndStatusTellsTheStory() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        // Every request is refused with 429 (not processed); with a 1-second retry window, every row that
        // reaches the API ends failed after its retry.
        let sandbox = try await SandboxProcess.start(extraArguments: ["--fault-429", "1"])
        defer { Task { try? await sandbox.stop() } }
        try spool.write(Self.mixedCSV, to: "incoming/list.csv")
        let arguments = [
            "run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate", "0", "--retry-window",
            "1s",
            "--settle", "0s",
        ]
        let first = try await BuiltBinary.run(arguments, environment: SandboxProcess.credentials)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let firstJob = try #require(try JobStores.open(spool.path + "/verifyd.sqlite", creating: true).jobs().first)
        let firstReport = try Report(spool: spool.path, jobID: firstJob.id)
        #expect(firstReport.rows.filter { $0["status"] == "failed" }.count == 13)

        // status --json: the whole job, then the one job with its error codes.
        let all = try await BuiltBinary.run(["status", "--json", "--spool", spool.path])
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
        let job = try #require(jobs.first)
        #expect(job["id"] as? String == firstJob.id && job["state"] as? String == "finished")
        #expect(job["total"] as? Int == 15 && job["done"] as? Int == 15)
        #expect(job["counts"] as? [String: Int] == ["failed": 13, "invalid": 1, "duplicate": 1])
        #expect(job["report"] as? String == spool.path + "/reports/" + firstJob.id)
        #expect((job["requests"] as? Int ?? 0) >= 26, "each row twice: the first try and the retry")
        #expect(job["eta_seconds"] is NSNull && job["error_codes"] == nil)
        let one = try await BuiltBinary.run(["status", firstJob.id, "--json", "--spool", spool.path])
        let detail = try #require(
            (try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [[String: Any]])?.first)
        let codes = try #require(detail["error_codes"] as? [[String: Any]])
        #expect(codes.count == 1)
        #expect(codes.first?["code"] as? String == "60003" && codes.first?["status"] as? String == "failed")
        #expect(codes.first?["rows"] as? Int == 13 && codes.first?["http_status"] as? Int == 429)
        #expect((codes.first?["meaning"] as? String)?.contains("rate limit") == true)
        let table = try await BuiltBinary.run(["status", firstJob.id, "--spool", spool.path])
        #expect(table.status == 0)
        #expect(table.stdout.contains("JOB  "), "a table with a header: \(table.stdout)")
        #expect(table.stdout.contains("15/15 100%") && table.stdout.contains("invalid 1 · duplicate 1 · failed 13"))
        #expect(table.stdout.contains("60003  failed  13"))

        // retry.csv: the 13 failed rows as they were read, ready for incoming/.
        let retryPath = spool.path + "/reports/\(firstJob.id)/retry.csv"
        let retry = try String(contentsOfFile: retryPath, encoding: .utf8)
        let lines = retry.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        #expect(lines.first == "phone_number,country_code,via,locale,verification_code,time_zone,ref")
        #expect(lines.count == 14)
        #expect(lines.contains("\(EndToEndTests.mobile(3)),,call,,,,m3"))
        #expect(lines.contains("(202) 555-0000,1,sms,,,,landline"))
        #expect(!retry.contains("invalid") && !retry.contains("dup"))

        try await sandbox.switchFaultsOff()
        try FileManager.default.copyItem(atPath: retryPath, toPath: spool.path + "/incoming/retry.csv")
        let second = try await BuiltBinary.run(arguments, environment: SandboxProcess.credentials)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let secondJob = try #require(
            try JobStores.open(spool.path + "/verifyd.sqlite", creating: true).jobs().first { $0.id != firstJob.id })
        let secondReport = try Report(spool: spool.path, jobID: secondJob.id)
        #expect(
            secondReport.rows.map { $0["ref"] }
                == firstReport.rows.filter { $0["status"] == "failed" }.map { $0["ref"] })
        #expect(secondReport.rows.filter { $0["status"] == "sent" }.count == 12)
        #expect(secondReport.rows.first { $0["ref"] == "landline" }?["status"] == "rejected")
        #expect(secondReport.rows.first { $0["ref"] == "m3" }?["via"] == "call")
        #expect(!FileManager.default.fileExists(atPath: spool.path + "/reports/\(secondJob.id)/retry.csv"))
        let counts = try await sandbox.stats()
        #expect(counts.deliveredByNumber.count == 12 && counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
    }

    @Test func theMetricsFileTheJSONLogAndTheSummaryPageAgreeWithTheRun() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start(extraArguments: ["--fault-503", "0.2", "--latency-ms", "5"])
        defer { Task { try? await sandbox.stop() } }
        try spool.write(
            EndToEndTests.mobilesCSV(count: 300) + "+1 (202) 555-0000\n+1 202-555-9999\n12345\n",
            to: "incoming/night.csv")
        let metricsPath = try spool.write("", to: "metrics/verifyd.prom")
        let startedAt = Date().timeIntervalSince1970
        let run = try await BuiltBinary.run(
            [
                "run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--rate", "100", "--settle",
                "0s",
                "--metrics-file", metricsPath, "--log-format", "json", "--progress-every", "1s",
            ],
            environment: SandboxProcess.credentials)
        #expect(run.status == 0, "stderr: \(run.stderr)")
        let job = try #require(try JobStores.open(spool.path + "/verifyd.sqlite", creating: true).jobs().first)

        // The log: one JSON object per line; job events, never a line per number.
        let logLines = try run.stderr.split(separator: "\n").map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String], "\(line)")
        }
        #expect(logLines.allSatisfy { $0["time"] != nil && $0["level"] != nil && $0["message"] != nil })
        #expect(logLines.contains { $0["message"] == "claimed file" && $0["job.id"] == job.id })
        #expect(logLines.contains { $0["message"] == "job finished" && $0["rows"] == "303" })
        #expect(logLines.count < 60, "no line per number: \(logLines.count) lines")
        // stdout is not a terminal: progress comes as log lines, every second here. 300 requests at --rate
        // 100 take 3 s at least, so the job is seen under way.
        #expect(logLines.contains { $0["message"] == "progress" && $0["job.id"] == job.id && $0["total"] == "303" })

        // The metrics file, parsed back: it adds up to what the store and the report say.
        let attributes = try FileManager.default.attributesOfItem(atPath: metricsPath)
        #expect(attributes[.posixPermissions] as? Int == 0o644)
        #expect(!FileManager.default.fileExists(atPath: metricsPath + ".tmp"))
        let metrics = try PrometheusText(String(contentsOfFile: metricsPath, encoding: .utf8))
        let report = try Report(spool: spool.path)
        #expect(Int(metrics.sum("verifyd_requests_total")) == job.requests)
        #expect(
            metrics.value("verifyd_request_duration_seconds_count", ["provider": "authy-v1"]) == Double(job.requests))
        #expect(metrics.sum("verifyd_requests_total", matching: ["outcome": "sent", "http_status": "200"]) >= 298)
        #expect(
            metrics.value(
                "verifyd_requests_total", ["provider": "authy-v1", "outcome": "rejected", "http_status": "403"]) == 2)
        for status in ["sent", "rejected", "invalid"] {
            let rows = report.rows.filter { $0["status"] == status }.count
            #expect(metrics.value("verifyd_rows_total", ["status": status]) == Double(rows), "\(status)")
        }
        #expect(metrics.sum("verifyd_rows_total") == 303)
        #expect(metrics.value("verifyd_retries_total") == Double(job.retries))
        #expect(metrics.value("verifyd_jobs_total", ["outcome": "finished"]) == 1)
        #expect(metrics.value("verifyd_requests_in_flight") == 0 && metrics.value("verifyd_job_rows") == 0)
        #expect((metrics.value("verifyd_last_success_timestamp_seconds") ?? 0) >= startedAt.rounded(.down))
        #expect(metrics.value("verifyd_rate_limit_waits_total") ?? 0 > 0, "--rate 100 makes 300 rows wait")

        // summary.html in a real browser: no console error, no request, something painted.
        let page = spool.path + "/reports/\(job.id)/summary.html"
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(html.contains("Requests per second") && html.contains("60082") && html.contains("landline"))
        let png = spool.path + "/summary.png"
        let errors = try await offThePool {
            try HeadlessChromium.render(html: page, to: png, width: 1000, height: 1400)
        }
        #expect(errors.isEmpty, "\(errors)")
        #expect(try HeadlessChromium.pngSize(png) == (1000, 1400))
        #expect(
            try await offThePool { try HeadlessChromium.distinctColors(in: png) } > 8,
            "the page painted text, bars and a chart")
    }

    @Test func theDaemonServesItsMetricsOverHTTP() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let stderrFile = spool.path + "/stderr.txt"
        let daemon = try BuiltBinary.start(
            [
                "run", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s", "--metrics-port", "0",
                "--log-format", "json",
            ],
            environment: SandboxProcess.credentials, stderrFile: stderrFile)
        let serving = try await BuiltBinary.waitForLine(containing: "serving metrics", in: stderrFile, of: daemon)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(serving.utf8)) as? [String: String])
        let url = try #require(object["url"])
        #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/metrics"))

        try spool.write(EndToEndTests.mobilesCSV(count: 5), to: "incoming/five.csv")
        _ = try await BuiltBinary.waitForLine(containing: "job finished", in: stderrFile, of: daemon)
        let metrics = try PrometheusText(String(decoding: try await HTTPFetch.fetch(.get, url), as: UTF8.self))
        #expect(metrics.value("verifyd_rows_total", ["status": "sent"]) == 5)
        #expect(metrics.value("verifyd_jobs_total", ["outcome": "finished"]) == 1)
        #expect(metrics.types["verifyd_request_duration_seconds"] == "histogram")
        #expect((metrics.value("verifyd_last_success_timestamp_seconds") ?? 0) > 0)
        let other = try await HTTPFetch.fetch(.get, url.replacingOccurrences(of: "/metrics", with: "/other"))
        #expect(String(decoding: other, as: UTF8.self) == "verifyd serves only /, /jobs.json and /metrics\n")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(try await daemon.exitStatus() == 0)
        // Every line on stderr is JSON: the signal's too, and a failed run's last word (the spool is free
        // now, but the metrics file's folder does not exist).
        let failed = try await BuiltBinary.run(
            [
                "run", "--once", "--spool", spool.path, "--log-format", "json", "--metrics-file",
                spool.path + "/no/m.prom",
            ],
            environment: SandboxProcess.credentials)
        #expect(failed.status == 1)
        let lines =
            try String(contentsOfFile: stderrFile, encoding: .utf8).split(separator: "\n")
            + failed.stderr
            .split(separator: "\n")
        for line in lines {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: String], "\(line)")
        }
        #expect(lines.contains { $0.contains("signal again to abort") })
        #expect(
            failed.stderr.contains("cannot write --metrics-file") && failed.stderr.contains("\"level\":\"critical\""))
    }

    /// SIGTERM as soon as the sandbox has said where it listens: it stops gracefully (exit 0, not killed by the
    /// signal) and says what its stop does, naming no option of `verifyd run`.
    @Test func theSandboxStopsGracefullyOnSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let stderrFile = directory.path + "/sandbox.stderr"
        let sandbox = try await SandboxProcess.start(stderrFile: stderrFile)
        #expect(try await sandbox.stop() == 0)
        let stderr = try String(contentsOfFile: stderrFile, encoding: .utf8)
        #expect(stderr.contains("stopping: closing the connections and writing the code log"), "stderr: \(stderr)")
        #expect(!stderr.contains("--shutdown-grace"), "stderr: \(stderr)")
    }
}
