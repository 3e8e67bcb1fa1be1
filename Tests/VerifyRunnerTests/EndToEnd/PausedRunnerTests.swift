import Foundation
import Testing

@testable import VerifyRunner

/// A runner of a shared store that is paused (SIGSTOP: a VM freeze, a swap storm, a laptop lid) and then goes on.
/// Two runners share one job on the test run's real PostgreSQL server, against the real sandbox; runner A is
/// stopped, runner B takes A's rows over once A's lease is over and finishes the job, and only then is A
/// continued: everything it had prepared before the pause must stay unsent.
@Suite(.serialized) struct PausedRunnerTests {
    /// Where runner A is when it is stopped.
    enum Moment: String, CaseIterable, CustomTestStringConvertible {
        /// Sending at the full rate: a full window in the air and a full reserve.
        case sendingAtFullRate
        /// At a low `--rate`, waiting for tokens, with its reserve of marked rows full.
        case waitingForTokens
        /// Inside a group commit: its commit waits for a row lock the test holds.
        case insideAGroupCommit

        var testDescription: String { rawValue }

        /// The job's rows, the store's `--rate`, and the starts the sandbox has received when A is stopped (inside a
        /// group commit: when A says its commit waits).
        var plan: (rows: Int, rate: Int, stopAtStarts: Int?) {
            switch self {
            case .sendingAtFullRate: (4_000, 400, 1_000)
            case .waitingForTokens: (300, 20, 40)
            case .insideAGroupCommit: (8_000, 400, nil)
            }
        }
    }

    /// `verifyd run --once` (or the daemon, without `once`) of `spool` through `provider`, sharing `address`:
    /// `--lease LEASE --timeout 2` (the send deadline is the lease minus 2 s after each renewal), a 5 s in-doubt
    /// margin (rows taken over in flight are asked about 5 s after the take-over), JSON logs and a metrics file in the
    /// spool.
    private static func arguments(
        _ spool: TemporaryDirectory, _ address: String, _ sandbox: SandboxProcess, provider: ProviderName, rate: Int,
        lease: String, once: Bool = true
    ) -> [String] {
        ["run"] + (once ? ["--once"] : []) + [
            "--spool", spool.path, "--db", address, "--api-base", sandbox.baseURL, "--settle", "0s",
            "--provider", provider.rawValue, "--rate", "\(rate)", "--concurrency", "64", "--lease", lease, "--timeout",
            "2", "--in-doubt-margin", "5s", "--log-format", "json", "--metrics-file", spool.path + "/metrics.prom",
        ]
    }

    /// Runners A and B on one job: A reads the file (its spool holds it), then B joins.
    private struct Pair {
        let a: Process
        let b: Process
        /// SIGSTOP for A at a number of starts, if one was asked for.
        let stopA: ArmedSignal?
        let spools: (a: TemporaryDirectory, b: TemporaryDirectory)
        let numbers: [String]
        let jobID: String

        var logA: String { spools.a.path + "/runner.log" }
        var logB: String { spools.b.path + "/runner.log" }

        func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

        func remove() {
            spools.a.remove()
            spools.b.remove()
        }
    }

    /// A with a file of `rows` numbers (a daemon when not `onceA`), then B once A has read it; A gets SIGSTOP once the
    /// sandbox has received `stopAtStarts` starts, if given, and SIGCONT `continueAfter` later, if given.
    private static func startPair(
        rows: Int, rate: Int, lease: String, provider: ProviderName, address: String, sandbox: SandboxProcess,
        onceA: Bool = true, stopAtStarts: Int? = nil, continueAfter: Duration? = nil
    ) async throws -> Pair {
        let spools = (a: try TemporaryDirectory(), b: try TemporaryDirectory())
        let (csv, numbers) = KilledRuns.mobilesCSV(rows)
        try spools.a.write(csv, to: "incoming/shared.csv")
        let stopA = try stopAtStarts.map { try sandbox.arm(SIGSTOP, atStarts: $0, continueAfter: continueAfter) }
        let a = try BuiltBinary.start(
            arguments(spools.a, address, sandbox, provider: provider, rate: rate, lease: lease, once: onceA),
            environment: SandboxProcess.credentials, stderrFile: spools.a.path + "/runner.log")
        stopA?.aim(at: a)
        _ = try await BuiltBinary.waitForLine(containing: "file read", in: spools.a.path + "/runner.log", of: a)
        let b = try BuiltBinary.start(
            arguments(spools.b, address, sandbox, provider: provider, rate: rate, lease: lease),
            environment: SandboxProcess.credentials, stderrFile: spools.b.path + "/runner.log")
        let jobID = try #require(try PostgresJobStore(address: address).jobs().first?.id)
        return Pair(a: a, b: b, stopA: stopA, spools: spools, numbers: numbers, jobID: jobID)
    }

    /// A is stopped at `moment` and continued only after B has finished the job. Every number is started exactly
    /// once (the sandbox's own counters), every row is `sent`, A says what happened, counts the lost lease, and
    /// goes on to exit 0.
    @Test(arguments: ProviderName.allCases, Moment.allCases)
    func aRunnerStoppedPastItsLeaseNeverSendsRowsItNoLongerHolds(provider: ProviderName, moment: Moment) async throws {
        let (_, address) = try await PostgresServer.newSharedDatabase()
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "20"])
        defer { Task { try? await sandbox.stop() } }
        let plan = moment.plan
        let pair = try await Self.startPair(
            rows: plan.rows, rate: plan.rate, lease: "4s", provider: provider, address: address, sandbox: sandbox,
            stopAtStarts: plan.stopAtStarts)
        defer { pair.remove() }
        if moment == .insideAGroupCommit {
            // Every group commit adds to the job's counters: holding the job's row makes A's next commit wait
            // inside PostgreSQL. A says so once it has waited a second; it is stopped right then, and the commit
            // goes through while it is stopped (a renewal of its lease that it hears of only after the pause).
            // The job's 8,000 rows take A and B 20 s at least, so A is still at work however late this task runs.
            try #require(pair.a.isRunning, "A was still sending: \(pair.text(pair.logA).suffix(2000))")
            let blocker = try PostgresConnection(address: address)
            try blocker.execute("BEGIN")
            _ = try blocker.query("SELECT 1 FROM jobs WHERE id = $1 FOR UPDATE", pair.jobID)
            _ = try await BuiltBinary.waitForLine(
                containing: "a group commit is not confirmed yet", in: pair.logA, of: pair.a)
            kill(pair.a.processIdentifier, SIGSTOP)
            try blocker.execute("COMMIT")
        } else {
            let stopped = await pair.stopA?.sent(orEndOf: pair.a)
            try #require(stopped != nil, "A was still sending at the stop: \(pair.text(pair.logA).suffix(2000))")
        }
        let store = try PostgresJobStore(address: address)
        let runnerA = try #require(try store.runners().first { $0.pid == Int(pair.a.processIdentifier) })

        // B takes A's rows over once A's lease is over, resolves those A had in flight, sends the rest and
        // finishes the job; A stays stopped all that time.
        let statusB = try await pair.b.exitStatus(killedAfter: 300)
        kill(pair.a.processIdentifier, SIGCONT)
        let statusA = try await pair.a.exitStatus(killedAfter: 300)
        let logA = pair.text(pair.logA)
        #expect(statusB == 0, "B: \(pair.text(pair.logB).suffix(3000))")
        #expect(statusA == 0, "A: \(logA.suffix(3000))")

        let counts = try await sandbox.stats()
        let twice = pair.numbers.filter { (counts.startsByNumber[$0] ?? 0) > 1 }
        let never = pair.numbers.filter { counts.startsByNumber[$0] == nil }
        #expect(twice.isEmpty && never.isEmpty, "started twice: \(twice.count), never: \(never.count)")
        #expect(try store.statusCounts(jobID: pair.jobID) == ["sent": pair.numbers.count])
        // The rows A had in flight, as B counted them when it took them over (in doubt, asked about only after
        // --in-doubt-margin): the store's own count, read by B while A was stopped.
        let held = Self.rowsTakenInFlight(log: pair.text(pair.logB))
        #expect(held > 0, "A held rows in flight when it was stopped")
        if moment == .waitingForTokens { #expect(held >= 16, "A's reserve was full: \(held) rows marked in flight") }

        // A says what it knows, and goes on as a new runner.
        let lostLine = try #require(logA.split(separator: "\n").first { $0.contains("this runner lost its lease") })
        #expect(lostLine.contains("longer than --lease 4s") && lostLine.contains("found it gone"), "\(lostLine)")
        #expect(lostLine.contains("did not leave"), "\(lostLine)")
        let metrics = pair.text(pair.spools.a.path + "/metrics.prom")
        #expect(metrics.contains("verifyd_leases_lost_total 1"), "\(metrics)")
        let runners = try store.runners()
        #expect(runners.first { $0.id == runnerA.id }?.lostTo != nil, "the store recorded A found gone")
        #expect(runners.filter { $0.pid == Int(pair.a.processIdentifier) }.count == 2, "A went on under a new id")
        let listed = try await BuiltBinary.run(["runners", "--json", "--db", address])
        let objects = try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]]
        let listedA = objects?.first { $0["id"] as? String == runnerA.id }
        #expect(listedA?["state"] as? String == "lost" && listedA?["lost_to"] is String, "\(listed.stdout)")
        print("\(provider) \(moment): A held \(held) rows in flight at the stop; \(lostLine)")
    }

    /// The rows a runner's JSON log says it took over in flight from runners found gone.
    private static func rowsTakenInFlight(log: String) -> Int {
        log.split(separator: "\n").filter { $0.contains("took over rows another runner had in flight") }
            .compactMap { line in
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                return (object?["rows"] as? String).flatMap { Int($0) }
            }
            .reduce(0, +)
    }

    /// A pause is no reason for a daemon to die: runner A, a daemon, stopped past its lease and continued once B
    /// has finished the job, says it lost its lease and goes on serving as a new runner: a file dropped into its
    /// spool afterwards is read and sent, then SIGTERM ends it with 0.
    @Test func aDaemonThatLostItsLeaseGoesOnServing() async throws {
        let (_, address) = try await PostgresServer.newSharedDatabase()
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "20"])
        defer { Task { try? await sandbox.stop() } }
        let pair = try await Self.startPair(
            rows: 2_000, rate: 400, lease: "4s", provider: .authyV1, address: address, sandbox: sandbox, onceA: false,
            stopAtStarts: 500)
        defer { pair.remove() }
        try #require(await pair.stopA?.sent(orEndOf: pair.a) != nil, "A was still sending at the stop")
        let statusB = try await pair.b.exitStatus(killedAfter: 300)
        kill(pair.a.processIdentifier, SIGCONT)
        _ = try await BuiltBinary.waitForLine(containing: "this runner lost its lease", in: pair.logA, of: pair.a)
        let (all, _) = KilledRuns.mobilesCSV(2_100)
        let later = all.split(separator: "\n").dropFirst(2_001).map(String.init)
        try pair.spools.a.write("phone_number\n" + later.joined(separator: "\n") + "\n", to: "incoming/later.csv")
        _ = try await BuiltBinary.waitForLine(containing: "\"job finished\"", in: pair.logA, of: pair.a)
        kill(pair.a.processIdentifier, SIGTERM)
        let statusA = try await pair.a.exitStatus(killedAfter: 120)
        #expect(statusB == 0 && statusA == 0, "A: \(pair.text(pair.logA).suffix(3000))")
        let counts = try await sandbox.stats()
        #expect((pair.numbers + later).allSatisfy { counts.startsByNumber[$0] == 1 }, "every number started once")
        let store = try PostgresJobStore(address: address)
        let jobs = try store.jobs()
        #expect(jobs.count == 2 && jobs.allSatisfy { $0.state == .finished })
    }

    /// A pause shorter than the lease changes nothing: no row is taken over, nothing is held back or sent twice,
    /// and neither runner logs a warning.
    @Test(arguments: ProviderName.allCases)
    func aPauseShorterThanTheLeaseChangesNothing(provider: ProviderName) async throws {
        let (_, address) = try await PostgresServer.newSharedDatabase()
        let sandbox = try await SandboxProcess.start(extraArguments: ["--latency-ms", "20"])
        defer { Task { try? await sandbox.stop() } }
        let pair = try await Self.startPair(
            rows: 3_000, rate: 300, lease: "8s", provider: provider, address: address, sandbox: sandbox,
            stopAtStarts: 600, continueAfter: .seconds(2))
        defer { pair.remove() }
        // The pause itself is the scenario: A stays stopped for 2 s, a quarter of its lease, whatever happens
        // meanwhile (a Dispatch timer continues it: the scenario's duration, not a synchronisation; the test
        // asserts nothing about how long anything took).
        try #require(await pair.stopA?.sent(orEndOf: pair.a) != nil, "A was still sending at the stop")
        let statusA = try await pair.a.exitStatus(killedAfter: 300)
        let statusB = try await pair.b.exitStatus(killedAfter: 300)
        let logs = (a: pair.text(pair.logA), b: pair.text(pair.logB))
        #expect(statusA == 0 && statusB == 0, "A: \(logs.a.suffix(2000))\nB: \(logs.b.suffix(2000))")

        let counts = try await sandbox.stats()
        #expect(pair.numbers.allSatisfy { counts.startsByNumber[$0] == 1 }, "every number started exactly once")
        let store = try PostgresJobStore(address: address)
        #expect(try store.statusCounts(jobID: pair.jobID) == ["sent": pair.numbers.count])
        #expect(try store.runners().allSatisfy { $0.lostAt == nil }, "no runner was found gone")
        for log in [logs.a, logs.b] {
            #expect(!log.contains("\"level\":\"warning\""), "\(log.suffix(2000))")
            #expect(!log.contains("held back"), "no request was held back")
        }
        #expect(pair.text(pair.spools.a.path + "/metrics.prom").contains("verifyd_leases_lost_total 0"))
    }
}
