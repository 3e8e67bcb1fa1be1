import Foundation
import Logging
import Synchronization
import Testing

@testable import VerifyRunner

/// ``JobScheduler`` in-process: a real SQLite store in a temporary folder, a scripted transport, and a clock that
/// fast-forwards through every wait. Each test runs one job (`j`) of Authy V1 starts, one number per row.
@Suite struct JobSchedulerTests {
    /// A row's number: distinct per row.
    static func number(_ row: Int) -> String { "+1202555\(String(format: "%04d", row))" }

    /// The store with `rows` rows to start.
    static func store(in folder: TemporaryDirectory, rows: Int) throws -> SQLiteJobStore {
        try folder.storeWithJob(
            provider: .authyV1, rows: (0..<rows).map { NewRow.sample($0, e164: number($0)) }, extraColumns: [])
    }

    /// The number a V1 request is about (its `phone_number`, with the country code).
    static func number(of request: HTTPRequest) -> String {
        let body = String(decoding: request.body, as: UTF8.self)
        let query = request.url.split(separator: "?").dropFirst().first.map(String.init) ?? ""
        let fields = (body + "&" + query).split(separator: "&").map { $0.split(separator: "=", maxSplits: 1) }
        let national = fields.first { $0.first == "phone_number" }?.last.map(String.init) ?? "?"
        return "+1" + national
    }

    /// Whether a V1 request is a status question rather than a start.
    static func isStatusQuestion(_ request: HTTPRequest) -> Bool { request.url.contains("/verification/status") }

    /// V1's answer to a start that sent a code.
    static let sent = HTTPResponse(
        status: 200, headers: ["content-type": "application/json"],
        body: Array(#"{"success":true,"message":"Text message sent","uuid":"u-1","is_cellphone":true}"#.utf8))

    /// A 429 for the account, with `Retry-After: 2`.
    static let tooMany = HTTPResponse(
        status: 429, headers: ["retry-after": "2"], body: Array(#"{"success":false,"message":"Too many"}"#.utf8))

    /// V1's status answer: a verification exists (`pending`), or none (404).
    static func status(exists: Bool) -> HTTPResponse {
        exists
            ? HTTPResponse(status: 200, headers: [:], body: Array(#"{"success":true,"status":"pending"}"#.utf8))
            : HTTPResponse(status: 404, headers: [:], body: Array(#"{"success":false,"message":"none"}"#.utf8))
    }

    /// A transfer that failed after its request may have left.
    static let lost = TransportFailure(
        curlCode: 28, message: "Operation timed out", requestMayHaveBeenSent: true, isTimeout: true)

    /// A scheduler for job `j` of `store`.
    static func scheduler(
        store: any JobStoring, transport: ScriptedTransport, provider: any VerificationProvider = v1,
        concurrency: Int = 8, inDoubtLookUp: (any InDoubtLookUp)? = nil, clock: FastForwardClock = clock(),
        canceling: Bool = false
    ) -> JobScheduler {
        JobScheduler(
            jobID: "j", store: store, provider: provider, transport: transport,
            configuration: .init(concurrency: concurrency, rate: 0, loadBatch: 50, inDoubtMargin: .seconds(60)),
            retryPolicy: RetryPolicy(jitter: { 1 }),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            inDoubtLookUp: inDoubtLookUp, clock: clock, canceling: canceling)
    }

    static let v1 = AuthyV1Provider(baseURL: "http://127.0.0.1:1", apiKey: "key")

    /// A clock starting now.
    static func clock() -> FastForwardClock { FastForwardClock(start: Date().timeIntervalSince1970) }

    /// Runs the scheduler to its end.
    static func run(_ scheduler: JobScheduler) async -> JobScheduler.Outcome {
        await withCheckedContinuation { continuation in scheduler.run { continuation.resume(returning: $0) } }
    }

    /// The starts sent per number.
    static func starts(_ transport: ScriptedTransport) -> [String: Int] {
        transport.requests.filter { !isStatusQuestion($0) }.reduce(into: [:]) { $0[number(of: $1), default: 0] += 1 }
    }

    @Test func aJobRunsToTheEndWithOneStartPerNumber() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, rows: 120)
            let transport = ScriptedTransport { _ in .answer(Self.sent) }
            let outcome = await Self.run(Self.scheduler(store: store, transport: transport))
            #expect(outcome == .finished)
            #expect(Self.starts(transport) == Dictionary(uniqueKeysWithValues: (0..<120).map { (Self.number($0), 1) }))
            #expect(try store.statusCounts(jobID: "j") == ["sent": 120])
            #expect(try store.rowsLeftInFlight(jobID: "j").isEmpty)
        }
    }

    /// A burst of 429s for the account: the refused rows wait (`Retry-After`) and go again; none is counted an
    /// attempt, every number ends with one code.
    @Test func aBurstOf429sIsWaitedOutAndEveryRowIsSentOnce() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, rows: 100)
            let refused = Mutex(0)
            let transport = ScriptedTransport { _ in
                let isRefused = refused.withLock { count in
                    count += 1
                    return count <= 40
                }
                return .answer(isRefused ? Self.tooMany : Self.sent)
            }
            let outcome = await Self.run(Self.scheduler(store: store, transport: transport))
            #expect(outcome == .finished)
            #expect(transport.requests.count == 140)
            #expect(try store.statusCounts(jobID: "j") == ["sent": 100])
            var attempts: [Int] = []
            try store.forEachReportRow(jobID: "j") { attempts.append($0.attempts) }
            #expect(attempts == Array(repeating: 1, count: 100), "a 429 is not an attempt")
        }
    }

    /// A run dies with requests in the air (its process is gone: the transport holds them forever). The next run
    /// finds their rows in flight (and those marked to go next), asks V1's status question about each, and starts
    /// again only the numbers the API has no verification for.
    @Test func aCrashLeftInFlightIsResolvedByStatusQuestions() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, rows: 40)
            let dead = ScriptedTransport { _ in .hold }
            let crashed = Self.scheduler(store: store, transport: dead, concurrency: 10)
            crashed.run { _ in Issue.record("the crashed run never ends") }
            await dead.waitFor(held: 10)
            let inFlight = try store.rowsLeftInFlight(jobID: "j").map(\.target.e164)
            #expect(Set(dead.requests.map(Self.number(of:))).isSubset(of: inFlight), "marked before they left")

            // The API got the even rows' starts; the odd ones never arrived.
            let arrived = Set(inFlight.filter { Int($0.suffix(4))! % 2 == 0 })
            let second = try SQLiteJobStore(path: folder.path + "/s.sqlite")
            let transport = ScriptedTransport { request in
                guard Self.isStatusQuestion(request) else { return .answer(Self.sent) }
                return .answer(Self.status(exists: arrived.contains(Self.number(of: request))))
            }
            let outcome = await Self.run(Self.scheduler(store: second, transport: transport))
            #expect(outcome == .finished)
            #expect(
                transport.requests.filter(Self.isStatusQuestion).map(Self.number(of:)).sorted() == inFlight.sorted())
            let starts = Self.starts(transport)
            #expect(arrived.allSatisfy { starts[$0] == nil }, "a start the API got is not sent again")
            #expect(Set(inFlight).subtracting(arrived).allSatisfy { starts[$0] == 1 })
            #expect(starts.count == 40 - arrived.count)
            #expect(try second.statusCounts(jobID: "j") == ["sent": 40])
        }
    }

    /// A job canceled after a crash left rows in flight: nothing is sent; each row in flight is only asked about, and
    /// ends `sent` when the API got its start, `canceled` when it did not (it would have to be sent again).
    @Test func aCanceledJobOnlyAsksAboutItsRowsInFlightAndSendsNothing() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, rows: 40)
            let dead = ScriptedTransport { _ in .hold }
            Self.scheduler(store: store, transport: dead, concurrency: 10).run { _ in
                Issue.record("the crashed run never ends")
            }
            await dead.waitFor(held: 10)
            let inFlight = try store.rowsLeftInFlight(jobID: "j").map(\.target.e164)
            let arrived = Set(inFlight.filter { Int($0.suffix(4))! % 2 == 0 })

            let second = try SQLiteJobStore(path: folder.path + "/s.sqlite")
            #expect(try second.cancelUnsentRows(jobID: "j", at: "t") == 40 - inFlight.count, "the rows never sent")
            let transport = ScriptedTransport { request in
                guard Self.isStatusQuestion(request) else { return .answer(Self.sent) }
                return .answer(Self.status(exists: arrived.contains(Self.number(of: request))))
            }
            #expect(await Self.run(Self.scheduler(store: second, transport: transport, canceling: true)) == .finished)
            #expect(Self.starts(transport).isEmpty, "a canceled job sends nothing")
            #expect(
                transport.requests.filter(Self.isStatusQuestion).map(Self.number(of:)).sorted() == inFlight.sorted())
            #expect(try second.statusCounts(jobID: "j") == ["sent": arrived.count, "canceled": 40 - arrived.count])
        }
    }

    /// Stop with requests in the air: their answers are recorded, the rows marked in flight but not sent go back
    /// unsent, none stays in flight; the next run sends each remaining number once.
    @Test func aStopWithRequestsInTheAirRecordsTheirAnswersAndLeavesTheRestPending() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, rows: 60)
            let transport = ScriptedTransport { _ in .hold }
            let scheduler = Self.scheduler(store: store, transport: transport, concurrency: 8)
            async let outcome = Self.run(scheduler)
            await transport.waitFor(held: 8)
            scheduler.stop()
            transport.answerHeld { _ in .success(Self.sent) }
            #expect(await outcome == .stopped)
            let first = Self.starts(transport)
            #expect(first.count == 8 && first.values.allSatisfy { $0 == 1 })
            #expect(try store.statusCounts(jobID: "j") == ["sent": 8, "unfinished": 52])
            #expect(try store.rowsLeftInFlight(jobID: "j").isEmpty)

            let next = ScriptedTransport { _ in .answer(Self.sent) }
            #expect(await Self.run(Self.scheduler(store: store, transport: next)) == .finished)
            #expect(Set(Self.starts(next).keys).isDisjoint(with: first.keys))
            #expect(Self.starts(next).count == 52 && Self.starts(next).values.allSatisfy { $0 == 1 })
        }
    }

    /// A start in doubt that the provider's look-up can never tell about ends `in_doubt`, never sent again; one it
    /// finds processed ends `sent`; one it finds absent is sent again, once.
    @Test func aLookUpThatCannotTellLeavesTheRowInDoubt() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, rows: 3)
            let findings: [String: InDoubtFinding] = [
                Self.number(0): .cannotTell(ProviderResult(verdict: .failedPermanently, message: "too old to tell")),
                Self.number(1): .processed(ProviderResult(verdict: .sent, message: "listed")),
                Self.number(2): .notProcessed,
            ]
            let lookUp = ScriptedLookUp(findings: findings)
            let firstTry = Mutex(Set<String>())
            let transport = ScriptedTransport { request in
                let number = Self.number(of: request)
                let isFirst = firstTry.withLock { $0.insert(number).inserted }
                return isFirst ? .fail(Self.lost) : .answer(Self.sent)
            }
            let scheduler = Self.scheduler(
                store: store, transport: transport, provider: LookUpProvider(findings: findings), inDoubtLookUp: lookUp)
            #expect(await Self.run(scheduler) == .finished)
            #expect(lookUp.asked.sorted() == [Self.number(0), Self.number(1), Self.number(2)])
            #expect(Self.starts(transport) == [Self.number(0): 1, Self.number(1): 1, Self.number(2): 2])
            var rows: [ReportRow] = []
            try store.forEachReportRow(jobID: "j") { rows.append($0) }
            #expect(rows.map(\.status) == [.inDoubt, .sent, .sent])
            #expect(rows[0].message == "too old to tell")
        }
    }

    /// A start nothing answered (a timeout) is asked about only `--in-doubt-margin` (60 s here) after its transfer
    /// ended: until then it may still reach the API. One the API answered (a 500) is asked about at once. Each runs
    /// as a job of its own: the clock jumps to every timer's deadline, so one row's wait would move the other's time.
    @Test(arguments: [true, false])
    func anUnansweredStartIsAskedAboutOnlyAfterTheMargin(timesOut: Bool) async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, rows: 1)
            let clock = Self.clock()
            let times = Mutex<(failed: Double?, asked: Double?)>((nil, nil))
            let transport = ScriptedTransport { request in
                if Self.isStatusQuestion(request) {
                    times.withLock { $0.asked = clock.now() }
                    return .answer(Self.status(exists: true))
                }
                times.withLock { $0.failed = clock.now() }
                let serverError = HTTPResponse(status: 500, headers: [:], body: Array("oops".utf8))
                return timesOut ? .fail(Self.lost) : .answer(serverError)
            }
            #expect(await Self.run(Self.scheduler(store: store, transport: transport, clock: clock)) == .finished)
            let (failed, asked) = times.withLock { $0 }
            let waited = try #require(asked) - (try #require(failed))
            #expect(timesOut ? waited >= 60 : waited < 60, "asked \(waited) s after the failure")
            #expect(try store.statusCounts(jobID: "j") == ["sent": 1])
        }
    }
}
