import Foundation
import Logging
import Synchronization
import Testing

@testable import VerifyRunner

/// `--send-window` in ``JobScheduler``: a real SQLite store, a scripted transport and a test's clock, from a fixed
/// instant, 2026-12-04 15:00 UTC: 10:00 in New York, 02:00 in Sydney (AEDT).
@Suite struct SendWindowSchedulingTests {
    /// 2026-12-04T15:00:00Z.
    static let instant = Timestamp.seconds(fromISO8601: "2026-12-04T15:00:00Z") ?? 0
    /// 09:00 in Sydney that day: 2026-12-04T22:00:00Z.
    static let sydneyOpens = Timestamp.seconds(fromISO8601: "2026-12-04T22:00:00Z") ?? 0

    /// Rows 0..<`newYork` with `time_zone` America/New_York, then `sydney` rows with Australia/Sydney, then
    /// `unjudgeable` rows whose +800 number (international freephone) maps to no zone, and no column.
    static func store(in folder: TemporaryDirectory, newYork: Int, sydney: Int, unjudgeable: Int = 0) throws
        -> SQLiteJobStore
    {
        let zones =
            Array(repeating: "America/New_York", count: newYork) + Array(repeating: "Australia/Sydney", count: sydney)
            + Array(repeating: "", count: unjudgeable)
        let rows = zones.enumerated().map { sequence, zone in
            var row = NewRow.sample(
                sequence, e164: zone.isEmpty ? "+80012345\(100 + sequence)" : JobSchedulerTests.number(sequence))
            row.timeZone = zone.isEmpty ? nil : zone
            return row
        }
        return try folder.storeWithJob(provider: .authyV1, rows: rows, extraColumns: [])
    }

    /// A scheduler with `--send-window window`, a one-day retry window, on a clock that stands at ``instant``.
    static func scheduler(store: SQLiteJobStore, transport: ScriptedTransport, window: String) throws -> JobScheduler {
        JobScheduler(
            jobID: "j", store: store, provider: JobSchedulerTests.v1, transport: transport,
            configuration: .init(
                concurrency: 4, rate: 0, loadBatch: 50, retryWindow: .seconds(86_400),
                sendWindow: try SendWindow(parsing: window)),
            retryPolicy: RetryPolicy(jitter: { 1 }),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
            clock: HandClock(start: instant))
    }

    /// Inside the window in New York, outside in Sydney: New York's rows are started; Sydney's wait unmarked, with
    /// no attempt, and the run ends saying how many and when their window opens. A number that maps to no zone (and
    /// has no `time_zone` column) ends `skipped`, saying so, and nothing is sent to it.
    @Test func rowsOutsideTheirWindowWaitUntouchedAndTheRunSaysWhenItOpens() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, newYork: 6, sydney: 4, unjudgeable: 1)
            let transport = ScriptedTransport { _ in .answer(JobSchedulerTests.sent) }
            let outcome = await JobSchedulerTests.run(
                try Self.scheduler(store: store, transport: transport, window: "09:00-20:00"))
            #expect(outcome == .waitingForWindow(rows: 4, opensAt: Self.sydneyOpens))
            #expect(Set(JobSchedulerTests.starts(transport).keys) == Set((0..<6).map(JobSchedulerTests.number)))
            let counts = try store.statusCounts(jobID: "j")
            #expect(counts == ["sent": 6, "skipped": 1, "unfinished": 4], "\(counts)")
            var waiting: [ReportRow] = []
            var skipped: [ReportRow] = []
            try store.forEachReportRow(jobID: "j") { row in
                if row.status == nil { waiting.append(row) }
                if row.status == .skipped { skipped.append(row) }
            }
            #expect(waiting.count == 4 && waiting.allSatisfy { $0.attempts == 0 && $0.startedAt == nil })
            #expect(try store.rowsLeftInFlight(jobID: "j").isEmpty)
            let message = try #require(skipped.first?.message)
            #expect(message == RecipientZones.noZoneMessage)

            // The next run, once the clock is at Sydney's opening, sends them: each number started once.
            let later = ScriptedTransport { _ in .answer(JobSchedulerTests.sent) }
            let next = JobScheduler(
                jobID: "j", store: store, provider: JobSchedulerTests.v1, transport: later,
                configuration: .init(concurrency: 4, rate: 0, sendWindow: try SendWindow(parsing: "09:00-20:00")),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
                clock: FastForwardClock(start: Self.sydneyOpens))
            #expect(await JobSchedulerTests.run(next) == .finished)
            #expect(Set(JobSchedulerTests.starts(later).keys) == Set((6..<10).map(JobSchedulerTests.number)))
            #expect(try store.statusCounts(jobID: "j") == ["sent": 10, "skipped": 1])
        }
    }

    /// While the job still has work (New York's row waits three hours for a retry), the window's opening is an event
    /// the clock brings: Sydney's rows leave once the test's hand moves the clock to 09:00 in Sydney, in the same run.
    @Test func aWindowThatOpensWhileTheJobStillRunsIsSentAtItsOpening() async throws {
        try await withTemporaryDirectory { folder in
            let store = try Self.store(in: folder, newYork: 1, sydney: 3)
            let refused = Mutex(false)
            let transport = ScriptedTransport { request in
                let isNewYorks = JobSchedulerTests.number(of: request) == JobSchedulerTests.number(0)
                let isFirst =
                    isNewYorks
                    && refused.withLock { done in
                        defer { done = true }
                        return !done
                    }
                guard isFirst else {
                    return .answer(JobSchedulerTests.sent)
                }
                return .answer(
                    HTTPResponse(
                        status: 429, headers: ["retry-after": "10800"],
                        body: Array(#"{"success":false,"message":"Too many"}"#.utf8)))
            }
            let clock = HandClock(start: Self.instant)
            let scheduler = JobScheduler(
                jobID: "j", store: store, provider: JobSchedulerTests.v1, transport: transport,
                configuration: .init(
                    concurrency: 4, rate: 0, retryWindow: .seconds(86_400),
                    sendWindow: try SendWindow(parsing: "09:00-20:00")),
                retryPolicy: RetryPolicy(jitter: { 1 }),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), clock: clock)
            async let ended = JobSchedulerTests.run(scheduler)
            // Sydney's wake-up and New York's retry wait for the clock; then it is 09:00 in Sydney.
            await clock.waitForTimers(2, longerThan: 3_600)
            clock.advance(to: Self.sydneyOpens)
            let outcome = await ended
            #expect(outcome == .finished, "\(outcome)")
            #expect(try store.statusCounts(jobID: "j") == ["sent": 4])
            var startedAt: [String: Double] = [:]
            try store.forEachReportRow(jobID: "j") { row in
                startedAt[row.e164 ?? ""] = row.startedAt.flatMap(Timestamp.seconds(fromISO8601:))
            }
            for sequence in 1..<4 {
                #expect(try #require(startedAt[JobSchedulerTests.number(sequence)]) >= Self.sydneyOpens)
            }
            let starts = JobSchedulerTests.starts(transport)
            #expect(starts[JobSchedulerTests.number(0)] == 2, "refused once, sent again later")
            #expect((1..<4).allSatisfy { starts[JobSchedulerTests.number($0)] == 1 })
        }
    }
}
