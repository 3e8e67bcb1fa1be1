import Foundation
import Testing

@testable import VerifyRunner

/// Several runners on one PostgreSQL store, each with its own spool, against the real sandbox and
/// the test run's real PostgreSQL server.
@Suite(.serialized) struct SharedStoreTests {
    /// `verifyd run --once` of `spool` on the database `address` at `--rate RATE`, with `--lease LEASE` (and
    /// a 3 s `--timeout`, shorter than the lease).
    ///
    /// `--in-doubt-margin 10s`: a row in doubt is asked about only once a request could no longer arrive, which
    /// assumes the sandbox acts on a request within `--timeout` + the margin of its writing. Three runners at
    /// 600/s on two busy cores have kept the sandbox's answers past the 3 s timeout by the hundred; a margin of
    /// 2 s was shorter than delays seen there.
    private static func arguments(
        _ spool: TemporaryDirectory, _ address: String, _ sandbox: SandboxProcess, rate: Int, lease: String
    ) -> [String] {
        [
            "run", "--once", "--in-doubt-margin", "10s", "--spool", spool.path, "--db", address, "--api-base",
            sandbox.baseURL, "--settle", "0s",
            "--rate", "\(rate)", "--concurrency", "32", "--lease", lease, "--timeout", "3",
        ]
    }

    /// Three runners, 30,000 rows in three files, `--rate 600` for the store; one runner is killed (-9) at a
    /// third of the codes and not restarted. The other two take its rows over once its lease is over: every row
    /// `sent`, each number started once, the store's rate held, and each survivor did at least a fifth.
    @Test func threeRunnersOneKilledEveryNumberStartedOnce() async throws {
        let (_, address) = try await PostgresServer.newSharedDatabase()
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "20"])
        defer { Task { try? await sandbox.stop() } }
        let (_, numbers) = KilledRuns.mobilesCSV(30_000)
        let spools = try (0..<3).map { _ in try TemporaryDirectory() }
        defer { spools.forEach { $0.remove() } }
        for (index, spool) in spools.enumerated() {
            let part = numbers[(index * 10_000)..<((index + 1) * 10_000)]
            try spool.write("phone_number\n" + part.joined(separator: "\n") + "\n", to: "incoming/part-\(index).csv")
        }
        let runners = try spools.map { spool in
            try BuiltBinary.start(
                Self.arguments(spool, address, sandbox, rate: 600, lease: "5s"),
                environment: SandboxProcess.credentials,
                stderrFile: spool.path + "/runner.log")
        }
        _ = await sandbox.codes.waitFor(10_000, orExitOf: runners[0])
        try #require(runners[0].isRunning, "the first runner was still going at the kill")
        kill(runners[0].processIdentifier, SIGKILL)
        var statuses: [Int32] = []
        for runner in runners.dropFirst() { statuses.append(try await runner.exitStatus(killedAfter: 600)) }
        let log = (try? String(contentsOfFile: spools[1].path + "/runner.log", encoding: .utf8)) ?? ""
        #expect(statuses == [0, 0], "a survivor's log: \(log.suffix(2000))")

        let counts = try await sandbox.stats()
        let notOnce = numbers.filter { counts.startsByNumber[$0] != 1 }
        #expect(notOnce.isEmpty, "every number was started exactly once: \(notOnce.count) were not")
        #expect(counts.deliveredByNumber.values.allSatisfy { $0 == 1 })
        if !notOnce.isEmpty {
            print(
                try Self.story(of: notOnce.prefix(5), address: address, sandbox: sandbox, logs: spools, counts: counts))
        }
        let store = try PostgresJobStore(address: address)
        let jobs = try store.jobs()
        #expect(jobs.count == 3 && jobs.allSatisfy { $0.state == .finished })
        let statusesByJob = try jobs.map { try store.statusCounts(jobID: $0.id) }
        #expect(statusesByJob.allSatisfy { $0 == ["sent": 10_000] }, "\(statusesByJob)")

        // The store's rate, over every 10 s window of the run: within 600/s + 5 %.
        let perSecond = try jobs.flatMap { try store.requestsPerSecond(jobID: $0.id) }
            .reduce(into: [Int: Int]()) { $0[$1.second, default: 0] += $1.requests }
        let seconds = perSecond.keys.sorted()
        let windows = seconds.map { start in (start..<start + 10).reduce(0) { $0 + perSecond[$1, default: 0] } }
        let fastest = Double(windows.max() ?? 0) / 10
        let byRunner = try store.runners().sorted { $0.startedAt < $1.startedAt }
        print("3 runners, 30,000 rows, --rate 600, one killed at a third: fastest 10 s window \(fastest)/s")
        print("  requests per runner: \(byRunner.map(\.sent)), starts: \(counts.starts), requests: \(counts.requests)")
        #expect(fastest <= 630, "the store's rate held: \(fastest)/s")
        // Per process: a survivor that a loaded machine kept from renewing its lease in time goes on under a new id.
        let sentByProcess = byRunner.reduce(into: [Int: Int]()) { $0[$1.pid, default: 0] += $1.sent }
        let survivors = sentByProcess.filter { $0.key != Int(runners[0].processIdentifier) }
        #expect(survivors.count == 2)
        #expect(survivors.values.allSatisfy { Double($0) >= 0.2 * Double(numbers.count) }, "\(sentByProcess)")
    }

    /// What is known of numbers not started exactly once, for a failure to explain itself: the sandbox's code lines
    /// for each (their times), its row in the store with the range's owner, the sandbox's counters, and what the
    /// runners warned of or noticed.
    private static func story(
        of numbers: some Sequence<String>, address: String, sandbox: SandboxProcess, logs spools: [TemporaryDirectory],
        counts: SandboxCounts
    ) throws -> String {
        let connection = try PostgresConnection(address: address)
        var lines = [
            "sandbox: status questions \(counts.statusQueries), answers by status \(counts.responsesByStatus)"
        ]
        for number in numbers {
            lines.append("\(number): code lines \(sandbox.codes.lines(for: number))")
            let row = try connection.query(
                """
                SELECT to_jsonb(j)::text, (SELECT owner FROM row_leases l
                    WHERE l.job_number = j.id / 4294967296 AND j.id BETWEEN l.first_id AND l.last_id)
                FROM job_rows j WHERE e164 = $1
                """, number)
            for index in 0..<row.count {
                lines.append("  row \(row[index].text(0)), range owner \(row[index].optionalText(1) ?? "none")")
            }
        }
        for (index, spool) in spools.enumerated() {
            let log = (try? String(contentsOfFile: spool.path + "/runner.log", encoding: .utf8)) ?? ""
            let notable = log.split(separator: "\n").filter { $0.contains(" warning ") || $0.contains(" notice ") }
            lines.append("runner \(index): \(notable.count) warnings and notices")
            lines += notable.prefix(30).map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }

    /// The database goes away for 5 s in the middle of a run (its server stopped, then started again on the
    /// same socket): the runner waits, reconnects and goes on; every row `sent`, each number started once. Then
    /// `status --json` and `report` read the job from the same `--db`.
    @Test func aRunnerWaitsOutTheDatabaseGoingAway() async throws {
        let server = try await offThePool { try PostgresServer.start() }
        defer { server.remove() }
        let address = try await offThePool { try server.createDatabase() }
        let sandbox = try await SandboxProcess.start()
        defer { Task { try? await sandbox.stop() } }
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let (csv, numbers) = KilledRuns.mobilesCSV(3_000)
        try spool.write(csv, to: "incoming/cut.csv")
        let runner = try BuiltBinary.start(
            Self.arguments(spool, address, sandbox, rate: 300, lease: "30s"), environment: SandboxProcess.credentials,
            stderrFile: spool.path + "/runner.log")
        _ = await sandbox.codes.waitFor(1_000, orExitOf: runner)
        try #require(runner.isRunning, "the run was still going when the database went away")
        try await offThePool { try server.stop() }
        let sentWhileAway = sandbox.codes.count
        // The outage itself is what is tested: the database stays away for 5 s, whatever the runner does. This
        // sleep is the scenario's duration, not a synchronisation: nothing is waited for, and the test asserts
        // nothing about how long anything took.
        try await Task.sleep(for: .seconds(5))
        let sentDuringOutage = sandbox.codes.count - sentWhileAway
        try await offThePool { try server.startAgain() }
        let status = try await runner.exitStatus(killedAfter: 300)
        let log = (try? String(contentsOfFile: spool.path + "/runner.log", encoding: .utf8)) ?? ""
        #expect(status == 0, "\(log.suffix(2000))")
        let counts = try await sandbox.stats()
        #expect(numbers.allSatisfy { counts.startsByNumber[$0] == 1 }, "every number was started exactly once")
        let store = try PostgresJobStore(address: address)
        let job = try #require(try store.jobs().first)
        #expect(job.state == .finished)
        #expect(try store.statusCounts(jobID: job.id) == ["sent": numbers.count])
        print("database away for 5 s: \(sentDuringOutage) codes sent meanwhile (answers to requests already out)")

        // The commands that read the store take the same --db.
        let listed = try await BuiltBinary.run(["status", "--json", "--spool", spool.path, "--db", address])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("\"\(job.id)\"") && listed.stdout.contains("\"finished\""))
        try FileManager.default.removeItem(atPath: spool.path + "/reports")
        let report = try await BuiltBinary.run(["report", job.id, "--spool", spool.path, "--db", address])
        #expect(report.status == 0, "\(report.stderr)")
        let rows = try String(contentsOfFile: spool.path + "/reports/\(job.id)/report.csv", encoding: .utf8)
        let lines = rows.utf8.filter { $0 == UInt8(ascii: "\n") }.count
        #expect(lines == numbers.count + 1, "the header and one line per row")
        #expect(sentDuringOutage <= 32, "no request left while the database was away, beyond those in flight")
    }

    /// A `--lease` less than a second longer than `--timeout` leaves no time for a request to leave after a
    /// renewal: `run` refuses it before it opens anything.
    @Test func aLeaseMustOutlastTheTimeoutByASecond() async throws {
        let spool = try TemporaryDirectory()
        defer { spool.remove() }
        let refused = try await BuiltBinary.run(
            [
                "run", "--once", "--spool", spool.path, "--db", "postgresql://postgres@/nowhere?host=/nonexistent",
                "--lease", "3s", "--timeout", "2.5",
            ], environment: SandboxProcess.credentials)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("--lease (3s) must be at least 1s longer than --timeout"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: spool.path + "/incoming"), "nothing was opened or made")
    }

    /// `verifyd runners --json` lists the runners of a store, alive or gone; a `--db` with a password is refused
    /// without echoing it.
    @Test func runnersAreListedAndAPasswordInTheAddressIsRefused() async throws {
        let (_, address) = try await PostgresServer.newSharedDatabase()
        let ended = try PostgresJobStore(address: address)
        try ended.startRunning(lease: .seconds(30), requestTimeout: .seconds(1))
        ended.stopRunning()
        let running = try PostgresJobStore(address: address)
        try running.startRunning(lease: .seconds(30), requestTimeout: .seconds(1))
        defer { running.stopRunning() }
        let listed = try await BuiltBinary.run(["runners", "--json", "--db", address])
        #expect(listed.status == 0, "\(listed.stderr)")
        let runners = try #require(
            try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(runners.count == 2)
        #expect(Set(runners.compactMap { $0["state"] as? String }) == ["alive", "gone"])
        let gone = try #require(runners.first { $0["state"] as? String == "gone" })
        #expect(gone["ended_at"] is String && gone["pid"] as? Int == Int(ProcessInfo.processInfo.processIdentifier))

        let withPassword = address.replacingOccurrences(of: "postgres@", with: "postgres:hunter2@")
        let refused = try await BuiltBinary.run(["status", "--db", withPassword])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--db must not carry a password"))
        #expect(!(refused.stdout + refused.stderr).contains("hunter2"))
    }
}
