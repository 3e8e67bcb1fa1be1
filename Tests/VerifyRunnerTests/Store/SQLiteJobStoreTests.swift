import Foundation
import Synchronization
import Testing

@testable import VerifyRunner

/// The store against real SQLite in a temporary file.
@Suite struct SQLiteJobStoreTests {
    private func withTemporaryStore(_ body: (SQLiteJobStore, TemporaryDirectory) throws -> Void) throws {
        try withTemporaryDirectory { directory in
            try body(try SQLiteJobStore(path: directory.path + "/verifyd.sqlite"), directory)
        }
    }

    @Test func migratesOnceAndReopens() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path + "/s.sqlite"
            do {
                let store = try SQLiteJobStore(path: path)
                try store.createJob(
                    id: "j1", fileName: "a.csv", workPath: "/p/a.csv", createdAt: "2026-01-01T00:00:00Z")
            }
            let reopened = try SQLiteJobStore(path: path)
            #expect(try reopened.jobs().map(\.id) == ["j1"])
        }
    }

    @Test func recordsAreReadByColumnNameInAnyOrder() throws {
        try withTemporaryDirectory { directory in
            let connection = try SQLiteConnection(path: directory.path + "/s.sqlite")
            let statement = try connection.statement(
                """
                SELECT 'verified' AS outcome, 'p1' AS provider_id, \(RowKeyRange(job: 1).id(seq: 5)) AS id,
                       '+12025550100' AS e164, NULL AS started_at
                """)
            let at = try SentRowColumns(in: statement)
            #expect(try statement.step())
            let row = StoredRecords.sentRow(statement, at: at, keys: RowKeyRange(job: 1))
            #expect(row.sequence == 5 && row.e164 == "+12025550100" && row.providerID == "p1")
            #expect(row.outcome == .verified && row.startedAt == nil)
            statement.reset()
            #expect(throws: StoredColumnMissing.self) { try RunnerColumns(in: statement) }
        }
    }

    @Test func migrationTwoKeepsTheRowsOfAStoreWithTheFirstSchema() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path + "/old.sqlite"
            do {
                let old = try SQLiteConnection(path: path)
                try old.transaction {
                    try old.execute(Migrations.all[0].sql(in: .sqlite))
                    try old.execute("PRAGMA user_version = 1")
                }
                try old.execute(
                    """
                    INSERT INTO jobs (id, file_name, work_path, state, created_at, total_rows)
                        VALUES ('a', 'a.csv', '/a', 'finished', 't', 1), ('b', 'b.csv', '/b', 'queued', 't', 2);
                    INSERT INTO rows (job_id, seq, line, phone_input, country_input, via, locale, kind, code, e164,
                                      country_code, national, extras, state, status, attempts, message)
                        VALUES ('a', 0, 2, '202-555-0100', '1', 'sms', NULL, 'start', NULL, '+12025550100', 1,
                                '2025550100', '', 'finished', 'sent', 1, NULL),
                               ('b', 0, 2, '07911 123456', '44', 'call', 'en', 'start', NULL, '+447911123456', 44,
                                '7911123456', '3:r-1', 'pending', NULL, 0, NULL),
                               ('b', 1, 3, '+12025550101', '', 'sms', NULL, 'check', '123456', '+12025550101', 1,
                                '2025550101', '', 'waiting', NULL, 2, 'busy');
                    """)
            }
            let store = try SQLiteJobStore(path: path)
            let toSend = try store.rowsToSend(jobID: "b", after: -1, limit: 10)
            #expect(toSend.map(\.sequence) == [0, 1])
            #expect(toSend.map(\.target.nationalNumber) == ["7911123456", "2025550101"])
            #expect(toSend.map(\.target.kind) == [.start, .check])
            #expect(toSend[0].target.channel == .call && toSend[0].target.locale == "en")
            #expect(toSend[1].state == .waitingToRetry(attempts: 2))
            var reportRows: [ReportRow] = []
            try store.forEachReportRow(jobID: "b") { reportRows.append($0) }
            #expect(reportRows.map(\.extras) == [["r-1"], []])
            #expect(reportRows.map(\.countryInput) == ["44", ""])
            #expect(try store.statusCounts(jobID: "a") == ["sent": 1])
            // New jobs are numbered after the migrated ones.
            try store.createJob(id: "c", fileName: "c.csv", workPath: "/c", createdAt: "t")
            try store.insertRowsNow(jobID: "c", [.sample(0)])
            #expect(try store.statusCounts(jobID: "c") == ["unfinished": 1])
            #expect(try store.statusCounts(jobID: "b") == ["unfinished": 2])
        }
    }

    @Test func aDirectoryIsNotADatabase() throws {
        try withTemporaryDirectory { directory in
            #expect(throws: SQLiteError.self) { _ = try SQLiteJobStore(path: directory.path) }
        }
    }

    @Test(arguments: [[], [""], ["a", "", "ü,\"x\"\n", "12:34"], [String(repeating: "z", count: 1000)]])
    func extrasRoundTrip(values: [String]) {
        #expect(ExtrasCodec.decode(ExtrasCodec.encode(values)) == values)
    }

    @Test func theInFlightMarkRecordsWhenTheLatestRequestLeft() throws {
        try withTemporaryStore { store, _ in
            try store.createJob(id: "j1", fileName: "a.csv", workPath: "/p", createdAt: "t")
            try store.insertRowsNow(jobID: "j1", [.sample(0)])
            let mark = { (attempt: Int, at: Double) in
                RowWrite(
                    sequence: 0, state: .inFlight(attempt: attempt), timestamp: Timestamp.iso8601(at), sentAt: at)
            }
            for (attempt, time) in [(1, 1000.0), (2, 1030.0)] {
                try store.commit(
                    jobID: "j1", writes: [mark(attempt, time)], requests: 0, retries: 0, sendingSeconds: 0,
                    startedAt: nil)
            }
            let inFlight = try #require(try store.rowsLeftInFlight(jobID: "j1").first)
            #expect(inFlight.firstSentAt == 1000 && inFlight.lastSentAt == 1030)
        }
    }

    /// Connections that open one new file at the same moment all get the store. SQLite may refuse the switch to
    /// WAL mode at once, with `SQLITE_BUSY` and without waiting through the busy timeout, while another connection
    /// makes it: the store tries again. One connection per thread, the threads let go together.
    @Test func connectionsOpeningANewFileTogetherAllGetTheStore() throws {
        for _ in 0..<50 {
            try withTemporaryDirectory { directory in
                let path = directory.path + "/verifyd.sqlite"
                let connections = 16
                let start = ThreadBarrier(count: connections)
                let failures = Mutex<[String]>([])
                let done = DispatchGroup()
                for _ in 0..<connections {
                    done.enter()
                    Thread {
                        start.wait()
                        do { _ = try SQLiteJobStore(path: path) } catch { failures.withLock { $0.append("\(error)") } }
                        done.leave()
                    }.start()
                }
                done.wait()
                let failed = failures.withLock { $0 }
                #expect(failed.isEmpty, "\(failed)")
                let version = try SQLiteConnection(path: path).integerPragma("user_version")
                #expect(version == Migrations.all.count)
            }
        }
    }
}

/// A `pthread_barrier_t`: each of `count` threads waits in ``wait()`` until all of them are there.
private final class ThreadBarrier: @unchecked Sendable {
    // @unchecked: the barrier is made for threads to share; pthread synchronizes it.
    private let barrier = UnsafeMutablePointer<pthread_barrier_t>.allocate(capacity: 1)

    init(count: Int) { pthread_barrier_init(barrier, nil, UInt32(count)) }

    deinit {
        pthread_barrier_destroy(barrier)
        barrier.deallocate()
    }

    /// Returns once `count` threads have called it.
    func wait() { pthread_barrier_wait(barrier) }
}
