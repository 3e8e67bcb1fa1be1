import Foundation
import Testing

@testable import VerifyRunner

/// `run --send-window` through the built binary and the sandbox, without waiting real hours: the runner judges the
/// window at a time shifted by `VERIFYD_SEND_WINDOW_CLOCK_OFFSET` (for tests only), which puts the recipients'
/// clocks at a chosen instant, Monday 2026-12-07 at 15:00 UTC: 10:00 in New York, 09:00 in Chicago, 15:00 in
/// London and 02:00 (Tuesday) in Sydney.
@Suite struct SendWindowRunTests {
    /// The instant the recipients' clocks are put at.
    static let instant = Timestamp.seconds(fromISO8601: "2026-12-07T15:00:00Z") ?? 0

    /// Numbers by city: New York (212), Chicago (312), London (a UK mobile) and Sydney (an Australian mobile, whose
    /// zone comes from the `time_zone` column: the number itself maps to every Australian zone).
    static let cities: [(city: String, numbers: [String], timeZone: String)] = [
        ("New York", (1...3).map { "+121230000\($0)0" }, ""),
        ("Chicago", (1...3).map { "+131230000\($0)0" }, ""),
        ("London", (1...2).map { "+44740012345\($0)" }, ""),
        ("Sydney", (1...2).map { "+6141234567\($0)" }, "Australia/Sydney"),
    ]

    /// The numbers of `city`.
    static func numbers(of city: String) -> [String] { cities.first { $0.city == city }?.numbers ?? [] }

    /// The job's file: `phone_number,time_zone`.
    static let csv =
        "phone_number,time_zone\n"
        + cities.flatMap { city in city.numbers.map { "\($0),\(city.timeZone)" } }.joined(separator: "\n") + "\n"

    /// The environment of a run whose recipients' clocks read `instant` plus `later` seconds.
    static func environment(later: Double = 0) -> [String: String] {
        let offset = instant + later - Date().timeIntervalSince1970
        return SandboxProcess.credentials.merging(["VERIFYD_SEND_WINDOW_CLOCK_OFFSET": "\(offset)"]) { $1 }
    }

    /// `09:30-20:00`, three `--once` runs at 15:00, 15:30 and 22:30 UTC: the first starts New York and London only
    /// and says how many rows wait and when the next window opens (Chicago's, at 15:30); the second starts Chicago;
    /// the third, at 09:30 in Sydney, starts Sydney and finishes the job. No row waiting had an attempt, and every
    /// number is started once.
    @Test func onlyRecipientsInsideTheWindowAreStartedAndTheOthersOnceItOpens() async throws {
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        try spool.write(Self.csv, to: "incoming/cities.csv")
        let run = [
            "run", "--once", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s", "--send-window",
            "09:30-20:00",
        ]

        let environment = Self.environment()
        let first = try await BuiltBinary.run(run, environment: environment)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(
            Set(try await sandbox.stats().startsByNumber.keys)
                == Set(Self.numbers(of: "New York") + Self.numbers(of: "London")))
        #expect(first.stdout.contains("5 rows wait for --send-window 09:30-20:00"), "\(first.stdout)")
        let listed = try await BuiltBinary.run(["status", "--json", "--spool", spool.path])
        let jobs = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let job = try #require(jobs.first)
        #expect(job["state"] as? String == "queued")
        #expect(job["rows_waiting_for_window"] as? Int == 5)
        let opensAt = try #require((job["window_opens_at"] as? String).flatMap(Timestamp.seconds(fromISO8601:)))
        let offset = try #require(Double(environment["VERIFYD_SEND_WINDOW_CLOCK_OFFSET"] ?? ""))
        #expect(abs(opensAt + offset - (Self.instant + 1_800)) < 0.01, "Chicago's window, 09:30 there")
        let text = try await BuiltBinary.run(["status", "--spool", spool.path])
        #expect(text.stdout.contains("5 rows wait for --send-window; the next window opens at"), "\(text.stdout)")
        var waiting: [ReportRow] = []
        try SQLiteJobStore(path: Spool(root: spool.path).defaultDatabase).forEachReportRow(
            jobID: try #require(
                job["id"] as? String)
        ) { row in
            if row.status == nil { waiting.append(row) }
        }
        #expect(Set(waiting.compactMap(\.e164)) == Set(Self.numbers(of: "Chicago") + Self.numbers(of: "Sydney")))
        #expect(waiting.allSatisfy { $0.attempts == 0 && $0.startedAt == nil }, "no attempt, never in flight")

        let second = try await BuiltBinary.run(run, environment: Self.environment(later: 1_800))
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stdout.contains("2 rows wait for --send-window 09:30-20:00"), "\(second.stdout)")
        #expect(
            Set(try await sandbox.stats().startsByNumber.keys)
                == Set(Self.numbers(of: "New York") + Self.numbers(of: "London") + Self.numbers(of: "Chicago")))

        let third = try await BuiltBinary.run(run, environment: Self.environment(later: 27_000))
        #expect(third.status == 0, "\(third.stderr)")
        let counts = try await sandbox.stats()
        #expect(
            counts.startsByNumber == Dictionary(uniqueKeysWithValues: Self.cities.flatMap(\.numbers).map { ($0, 1) }))
        let report = try Report(spool: spool.path)
        #expect(report.rows.allSatisfy { $0["status"] == "sent" && $0["attempts"] == "1" })
        #expect(report.rows.first { $0["e164"] == Self.numbers(of: "Sydney")[0] }?["time_zone"] == "Australia/Sydney")
    }

    /// The daemon sends waiting rows when their window opens: at 15:29:30 in the recipients' clocks, New York and
    /// London go at once, Chicago once its window opens at 09:30 there (30 s later), and Sydney, whose window opens
    /// hours later, waits; the live page's `/jobs.json` says how many rows wait and when their window opens.
    @Test func theDaemonSendsWaitingRowsWhenTheirWindowOpens() async throws {
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        try spool.write(Self.csv, to: "incoming/cities.csv")
        let log = spool.path + "/daemon.log"
        let daemon = try BuiltBinary.start(
            [
                "run", "--spool", spool.path, "--api-base", sandbox.baseURL, "--settle", "0s", "--send-window",
                "09:30-20:00", "--metrics-port", "0", "--log-format", "json",
            ], environment: Self.environment(later: 1_770), stderrFile: log)
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let early = Self.numbers(of: "New York").count + Self.numbers(of: "London").count
        _ = try await BuiltBinary.waitForLine(containing: "rows wait for --send-window", in: log, of: daemon)
        let sentBeforeChicago = await sandbox.codes.waitFor(early, orExitOf: daemon)
        #expect(sentBeforeChicago == early)
        let all = early + Self.numbers(of: "Chicago").count
        #expect(await sandbox.codes.waitFor(all, orExitOf: daemon) == all, "Chicago's rows went when its window opened")
        let serving = try await BuiltBinary.waitForLine(containing: "serving metrics", in: log, of: daemon)
        let logged = try #require(try JSONSerialization.jsonObject(with: Data(serving.utf8)) as? [String: String])
        let page = try #require(logged["page"])
        // Once the daemon has noted Sydney's rows waiting (after sending Chicago's), the page's data says so.
        _ = try await BuiltBinary.waitForLine(containing: "\"rows\":\"2\"", in: log, of: daemon)
        let jobs = try #require(
            try JSONSerialization.jsonObject(with: Data(try await HTTPFetch.fetch(.get, page + "jobs.json")))
                as? [[String: Any]])
        #expect(jobs.first?["rows_waiting_for_window"] as? Int == 2, "\(jobs)")
        #expect((jobs.first?["window_opens_at"] as? String).flatMap(Timestamp.seconds(fromISO8601:)) != nil)
        let html = String(decoding: try await HTTPFetch.fetch(.get, page), as: UTF8.self)
        #expect(html.contains("send window") && html.contains("rows_waiting_for_window"))
        kill(daemon.processIdentifier, SIGTERM)
        #expect(try await daemon.exitStatus() == 0)
        let counts = try await sandbox.stats()
        #expect(Self.numbers(of: "Sydney").allSatisfy { counts.startsByNumber[$0] == nil }, "Sydney's window is shut")
        #expect(counts.startsByNumber.values.allSatisfy { $0 == 1 })
    }

    /// Bad windows are usage errors that name the value, before anything is opened.
    @Test(arguments: [
        ("25:00-07:00", "--send-window '25:00-07:00': 25 is not an hour (00 to 23)"),
        ("9-17", "--send-window '9-17' is not HH:MM-HH:MM (24-hour, two digits each, e.g. 09:00-20:00)"),
        ("09:00-09:00", "--send-window '09:00-09:00' is empty"),
    ])
    func aBadWindowIsAUsageErrorNamingIt(window: String, message: String) async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let refused = try await BuiltBinary.run(
            ["run", "--once", "--spool", spool.path, "--send-window", window], environment: SandboxProcess.credentials)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains(message), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: spool.path + "/incoming"), "nothing was opened or made")
    }
}
