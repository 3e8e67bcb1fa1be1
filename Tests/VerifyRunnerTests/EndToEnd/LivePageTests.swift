import Foundation
import Testing
import VerifyRunner

/// The live page `run --metrics-port` serves beside `/metrics`: a daemon sending a job to the sandbox, its page open
/// in headless Chromium.
@Suite(.serialized) struct LivePageTests {
    /// The job's rows: at 20 a second, the job is under way for minutes, longer than the test.
    static let rows = 3_000

    /// The page updates itself from `/jobs.json` while it stays open, shows no phone number and no secret, asks
    /// nothing of another origin; `/jobs.json` is what `status --json` prints; nothing but GET and HEAD is served.
    @Test func thePageOfARunningDaemonUpdatesItselfAndShowsNoNumberAndNoSecret() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let csv = EndToEndTests.mobilesCSV(count: Self.rows)
        try spool.write(csv, to: "incoming/campaign.csv")
        let stderrFile = spool.path + "/stderr.txt"
        let daemon = try BuiltBinary.start(
            [
                "run", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s", "--rate", "20",
                "--metrics-port", "0", "--log-format", "json",
            ],
            environment: SandboxProcess.credentials, stderrFile: stderrFile)
        let serving = try await BuiltBinary.waitForLine(containing: "serving metrics", in: stderrFile, of: daemon)
        let logged = try #require(try JSONSerialization.jsonObject(with: Data(serving.utf8)) as? [String: String])
        let page = try #require(logged["page"])
        #expect(page.hasPrefix("http://127.0.0.1:") && page.hasSuffix("/"), "\(page)")
        #expect(logged["url"] == page + "metrics")
        let origin = String(page.dropLast())
        try #require(try await sandbox.waitForStarts(20, of: daemon) >= 20, "the job is being sent")

        // The same page, never reloaded, until its progress text has changed.
        let watched = try await offThePool {
            try HeadlessChromium.watch(
                url: page, expression: "document.querySelector('.job .progress')?.textContent ?? ''",
                dump: spool.path + "/page.json")
        }
        #expect(watched.errors.isEmpty, "\(watched.errors)")
        #expect(watched.readings.count >= 2 && Set(watched.readings).count == watched.readings.count)
        #expect(watched.readings.allSatisfy { $0.contains(" / \(Self.rows) (") }, "\(watched.readings)")
        #expect(watched.requests.first == page && watched.requests.contains(origin + "/jobs.json"))
        #expect(watched.requests.allSatisfy { $0.hasPrefix(origin + "/") }, "\(watched.requests)")
        #expect(watched.html.contains("campaign.csv") && watched.text.contains("queued"))
        let jobsJSON = String(decoding: try await HTTPFetch.fetch(.get, origin + "/jobs.json"), as: UTF8.self)
        for (what, content) in [("HTML", watched.html), ("text", watched.text), ("jobs.json", jobsJSON)] {
            #expect(Self.numbers(in: csv).allSatisfy { !content.contains($0) }, "a phone number in the page's \(what)")
            #expect(
                SandboxProcess.credentials.values.allSatisfy { !content.contains($0) }, "a secret in the page's \(what)"
            )
        }

        // The headers, and nothing served but GET and HEAD of the three paths.
        let answer = try await HTTPFetch.send(HTTPRequest(method: .get, url: page))
        #expect(answer.status == 200 && answer.headers["content-type"] == "text/html; charset=utf-8")
        #expect(answer.headers["cache-control"] == "no-store")
        let policy = answer.headers["content-security-policy"] ?? ""
        #expect(policy.contains("default-src 'none'") && policy.contains("connect-src 'self'"), "\(policy)")
        let json = try await HTTPFetch.send(HTTPRequest(method: .get, url: origin + "/jobs.json"))
        #expect(json.headers["content-type"] == "application/json" && json.headers["cache-control"] == "no-store")
        let posted = try await HTTPFetch.send(HTTPRequest(method: .post, url: page, body: Array("x=1".utf8)))
        #expect(posted.status == 405 && posted.headers["allow"] == "GET, HEAD")
        let missing = try await HTTPFetch.send(HTTPRequest(method: .get, url: origin + "/nope"))
        #expect(missing.status == 404)
        #expect(String(decoding: missing.body, as: UTF8.self) == "verifyd serves only /, /jobs.json and /metrics\n")

        // Paused, the job's numbers come to rest: /jobs.json is then what `status --json` prints, to the byte.
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(jobsJSON.utf8)) as? [[String: Any]])
        let id = try #require(jobs.first?["id"] as? String)
        let paused = try await BuiltBinary.run([
            "pause", id, "--reason", "checking the live page", "--spool", spool.path,
        ])
        try #require(paused.status == 0, "\(paused.stderr)")
        var agreed: String?
        for _ in 0..<100 where agreed == nil {
            let before = try await BuiltBinary.run(["status", "--json", "--spool", spool.path]).stdout
            let served = String(decoding: try await HTTPFetch.fetch(.get, origin + "/jobs.json"), as: UTF8.self)
            let after = try await BuiltBinary.run(["status", "--json", "--spool", spool.path]).stdout
            if before == after, served == before { agreed = served }
        }
        let both = try #require(agreed, "jobs.json and status --json never agreed")
        let job = try #require((try JSONSerialization.jsonObject(with: Data(both.utf8)) as? [[String: Any]])?.first)
        #expect(job["state"] as? String == "paused" && job["total"] as? Int == Self.rows)
        #expect(job["reason"] as? String == "checking the live page")

        kill(daemon.processIdentifier, SIGTERM)
        #expect(try await daemon.exitStatus() == 0)
    }

    /// Every phone number of `csv` (after its header) as the page could show it: its digits with the country code,
    /// and its national digits.
    static func numbers(in csv: String) -> [String] {
        csv.split(separator: "\n").dropFirst().flatMap { line in
            let digits = line.filter(\.isNumber)
            return [String(digits), String(digits.dropFirst())]
        }
    }
}
