import Dispatch
import Foundation
import Logging
import Synchronization
import Testing

@testable import VerifyRunner

/// ``SpoolRunner`` in-process: a spool and its SQLite store in a temporary folder, a scripted transport, and a
/// clock that fast-forwards through every wait.
@Suite struct SpoolRunnerTests {
    /// Runs `runner` to its end on a thread of its own (it blocks its caller), and returns its result.
    static func run(_ runner: SpoolRunner) async throws -> SpoolRunner.Result {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try runner.run() }) }
        }
    }

    /// A `--once` runner of `provider` (Authy V1 unless said) over the spool at `folder`, through `transport`.
    static func runner(
        _ folder: TemporaryDirectory, transport: ScriptedTransport, clock: FastForwardClock,
        provider: any VerificationProvider = JobSchedulerTests.v1
    ) throws -> SpoolRunner {
        let spool = Spool(root: folder.path)
        try spool.prepare()
        return SpoolRunner(
            configuration: .init(
                spool: spool, providerName: provider.name, scheduler: .init(rate: 0), once: true, settle: .zero),
            store: try SQLiteJobStore(path: spool.defaultDatabase), provider: provider, transport: transport,
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), clock: clock)
    }

    /// A file dropped into `incoming/` becomes a job whose every number is started once; the report says so, and
    /// the job's times are the clock's.
    @Test func aFileInIncomingIsSentAndReported() async throws {
        try await withTemporaryDirectory { folder in
            let numbers = (0..<30).map(JobSchedulerTests.number)
            try folder.write("phone_number\n" + numbers.joined(separator: "\n") + "\n", to: "incoming/list.csv")
            let transport = ScriptedTransport { _ in .answer(JobSchedulerTests.sent) }
            let clock = FastForwardClock(start: Date().timeIntervalSince1970)
            let result = try await Self.run(try Self.runner(folder, transport: transport, clock: clock))
            #expect(result.succeeded)
            let job = try #require(result.finishedJobs.first)
            #expect(result.finishedJobs.count == 1 && job.fileName == "list.csv")
            #expect(JobSchedulerTests.starts(transport) == Dictionary(uniqueKeysWithValues: numbers.map { ($0, 1) }))
            let report = try String(contentsOfFile: folder.path + "/reports/\(job.id)/report.csv", encoding: .utf8)
            let lines = report.split(whereSeparator: \.isNewline)
            #expect(lines.count == 31)
            #expect(lines.dropFirst().allSatisfy { $0.contains(",sent,") }, "\(report)")
            let finished = try #require(job.finishedAt.flatMap(Timestamp.seconds(fromISO8601:)))
            #expect(abs(finished - clock.now()) < 1, "stamped by the injected clock")
        }
    }

    /// The API refuses the credentials: the job pauses with the API's reason and nothing more is sent; the next
    /// run, with the credentials fixed, resumes it and sends every number once.
    @Test func refusedCredentialsPauseTheJobUntilTheNextRun() async throws {
        try await withTemporaryDirectory { folder in
            let numbers = (0..<10).map(JobSchedulerTests.number)
            try folder.write("phone_number\n" + numbers.joined(separator: "\n") + "\n", to: "incoming/list.csv")
            let refused = HTTPResponse(
                status: 401, headers: [:],
                body: Array(#"{"success":false,"message":"Invalid API key","error_code":"60001"}"#.utf8))
            let refusing = ScriptedTransport { _ in .answer(refused) }
            let clock = FastForwardClock(start: Date().timeIntervalSince1970)
            let paused = try await Self.run(try Self.runner(folder, transport: refusing, clock: clock))
            #expect(paused.pauseReason?.contains("Invalid API key (error 60001)") == true, "\(paused)")
            #expect(paused.finishedJobs.isEmpty)

            let accepting = ScriptedTransport { _ in .answer(JobSchedulerTests.sent) }
            let resumed = try await Self.run(try Self.runner(folder, transport: accepting, clock: clock))
            #expect(resumed.succeeded && resumed.finishedJobs.count == 1)
            #expect(JobSchedulerTests.starts(accepting) == Dictionary(uniqueKeysWithValues: numbers.map { ($0, 1) }))
        }
    }

    /// A provider defined only in the tests, whose rows in doubt go to a look-up of its own that answers at once
    /// (unlike V1's status question or V2's listings after a margin), runs a job from its file to its report: the
    /// start it finds processed ends `sent`, the one it finds absent is sent again once, the one it cannot tell
    /// about ends `in_doubt`; then its companion's outcomes are recorded in the report.
    @Test func aProviderOfTheTestsOwnRunsAJobToItsReportAndOutcomes() async throws {
        try await withTemporaryDirectory { folder in
            let numbers = (0..<3).map(JobSchedulerTests.number)
            try folder.write("phone_number\n" + numbers.joined(separator: "\n") + "\n", to: "incoming/list.csv")
            let provider = LookUpProvider(
                findings: [
                    numbers[0]: .cannotTell(ProviderResult(verdict: .failedPermanently, message: "too old to tell")),
                    numbers[1]: .processed(ProviderResult(verdict: .sent, message: "listed", providerID: "p-1")),
                    numbers[2]: .notProcessed,
                ],
                outcomes: [numbers[1]: .verified, numbers[2]: .pending])
            let firstTry = Mutex(Set<String>())
            let transport = ScriptedTransport { request in
                let isFirst = firstTry.withLock { $0.insert(JobSchedulerTests.number(of: request)).inserted }
                return isFirst ? .fail(JobSchedulerTests.lost) : .answer(JobSchedulerTests.sent)
            }
            let clock = FastForwardClock(start: Date().timeIntervalSince1970)
            let runner = try Self.runner(folder, transport: transport, clock: clock, provider: provider)
            let result = try await Self.run(runner)
            #expect(result.succeeded && result.finishedJobs.count == 1)
            #expect(provider.companion.asked.sorted() == numbers)
            #expect(JobSchedulerTests.starts(transport) == [numbers[0]: 1, numbers[1]: 1, numbers[2]: 2])
            let job = try #require(result.finishedJobs.first)
            let store = try SQLiteJobStore(path: folder.path + "/verifyd.sqlite")
            var rows: [ReportRow] = []
            try store.forEachReportRow(jobID: job.id) { rows.append($0) }
            #expect(rows.map(\.status) == [.inDoubt, .sent, .sent])

            let collector = OutcomeCollector(
                store: store, provider: provider, transport: transport,
                companion: provider.makeCompanion(transport: transport, timeout: .seconds(15), metrics: nil),
                configuration: .init(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                reportDirectory: { folder.path + "/reports/" + $0 })
            let collected = await withCheckedContinuation { continuation in
                collector.collect([job]) { continuation.resume(returning: $0) }
            }
            let counts = try collected.get().first?.counts
            #expect(counts == ["verified": 1, "pending": 1])
        }
    }
}
