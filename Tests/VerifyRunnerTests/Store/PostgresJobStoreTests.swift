import Foundation
import Testing

@testable import VerifyRunner

/// What only the shared store does, against the test run's real PostgreSQL server: leases between runners, the
/// take-over of a gone runner's rows, the rate bucket every runner draws from, and one schema with SQLite.
@Suite struct PostgresJobStoreTests {
    /// A new database on the shared server, and its address.
    private func newDatabase() throws -> (server: PostgresServer, address: String) {
        let server = try PostgresServer.shared()
        return (server, try server.createDatabase())
    }

    /// A job `j` of `count` rows, its intake finished.
    private func jobWithRows(_ count: Int, in store: any JobStoring) throws {
        try store.createJob(id: "j", fileName: "a.csv", workPath: "/p", createdAt: "t", provider: .authyV1)
        let rows = (0..<count).map { sequence in
            NewRow(
                sequence: sequence, line: sequence + 2, phoneInput: "x", countryInput: "", channel: .sms, locale: nil,
                kind: .start, code: nil,
                phone: NormalizedNumber(e164: "+1202555\(1000 + sequence)", countryCode: 1, nationalNumber: "202555"),
                extras: [], finalStatus: nil, message: nil)
        }
        try store.insertRowsNow(jobID: "j", rows)
        try store.finishIntake(jobID: "j", extraColumns: [], totalRows: count)
    }

    @Test func twoRunnersNeverGetTheSameRow() throws {
        let (_, address) = try newDatabase()
        let first = try PostgresJobStore(address: address)
        let second = try PostgresJobStore(address: address)
        try jobWithRows(100, in: first)
        try first.startRunning(lease: .seconds(30))
        try second.startRunning(lease: .seconds(30))
        defer {
            first.stopRunning()
            second.stopRunning()
        }
        var handed: [[Int]] = [[], []]
        var cursors = [-1, -1]
        // Interleaved, as two runners load their batches.
        for turn in 0..<12 {
            let store = turn % 2 == 0 ? first : second
            let rows = try store.rowsToSend(jobID: "j", after: cursors[turn % 2], limit: 10).map(\.sequence)
            handed[turn % 2] += rows
            cursors[turn % 2] = rows.last ?? cursors[turn % 2]
        }
        #expect(Set(handed[0]).isDisjoint(with: handed[1]))
        #expect((handed[0] + handed[1]).sorted() == Array(0..<100))
        #expect(handed[0].count == 50 && handed[1].count == 50)
    }

    @Test func aGoneRunnersRowsAreTakenOverAndItsRowsInFlightAreInDoubt() throws {
        let (server, address) = try newDatabase()
        let gone = try PostgresJobStore(address: address)
        try jobWithRows(4, in: gone)
        try gone.startRunning(lease: .seconds(3600))
        let held = try gone.rowsToSend(jobID: "j", after: -1, limit: 3)
        #expect(held.map(\.sequence) == [0, 1, 2])
        try gone.commit(
            jobID: "j",
            writes: [RowWrite(sequence: 0, state: .inFlight(attempt: 1), timestamp: "T0", sentAt: 1000)],
            requests: 0, retries: 0, sendingSeconds: 0, startedAt: "T0")
        let taker = try PostgresJobStore(address: address)
        try taker.startRunning(lease: .seconds(30))
        defer { taker.stopRunning() }
        // While the first runner is seen, its rows stay its own.
        #expect(try taker.rowsToSend(jobID: "j", after: -1, limit: 10).map(\.sequence) == [3])
        // It dies: not seen since long before the lease (its next beat would be an hour away).
        _ = try server.psql(address, "UPDATE runners SET last_seen = 0 WHERE id = '\(gone.runnerID)'")
        let taken = try taker.rowsToSend(jobID: "j", after: 3, limit: 10)
        #expect(taken.map(\.sequence) == [0, 1, 2])
        #expect(taken.first?.state == .inDoubt(attempts: 1))
        #expect(taken.first?.lastSentAt == 1000)
        #expect(taken.dropFirst().allSatisfy { $0.state == .pending(attempts: 0) })
        #expect(try taker.rowsToSend(jobID: "j", after: 3, limit: 10).isEmpty, "rows already handed out")
        // The first runner comes back: its commit for a row it no longer holds is refused as a whole.
        let late = [
            RowWrite(sequence: 1, state: .inFlight(attempt: 1), timestamp: "T1", sentAt: 2000),
            RowWrite(sequence: 3, state: .finished(.sent, attempts: 1), timestamp: "T1"),
        ]
        #expect(throws: PostgresError.self) {
            try gone.commit(jobID: "j", writes: late, requests: 1, retries: 0, sendingSeconds: 0, startedAt: nil)
        }
        var report: [ReportRow] = []
        try taker.forEachReportRow(jobID: "j") { report.append($0) }
        #expect(report.map(\.status) == [nil, nil, nil, nil], "nothing of the refused commit was written")
        #expect(try taker.job(id: "j")?.requests == 0)
    }

    @Test func anEndedRunnersRowsAreFreeAtOnce() throws {
        let (_, address) = try newDatabase()
        let first = try PostgresJobStore(address: address)
        try jobWithRows(3, in: first)
        try first.startRunning(lease: .seconds(3600))
        #expect(try first.rowsToSend(jobID: "j", after: -1, limit: 10).count == 3)
        first.stopRunning()
        let next = try PostgresJobStore(address: address)
        try next.startRunning(lease: .seconds(3600))
        defer { next.stopRunning() }
        #expect(try next.rowsToSend(jobID: "j", after: -1, limit: 10).map(\.sequence) == [0, 1, 2])
        let runners = try next.runners()
        #expect(runners.count == 2)
        #expect(runners.filter { $0.isAlive(lease: .seconds(3600)) }.map(\.id) == [next.runnerID])
    }

    @Test func theRateBucketGrantsWhatItHoldsAndSaysHowLongUntilTheNextToken() throws {
        let (_, address) = try newDatabase()
        let store = try PostgresJobStore(address: address)
        // At one token in 1000 s, a bucket created a moment ago holds none.
        let empty = try store.takeRateTokens(upTo: 5, rate: 0.001, capacity: 10)
        #expect(empty.granted == 0)
        #expect(empty.wait > 100)
        // At ten million a second it is full again within a round trip, and never holds more than its capacity.
        let full = try store.takeRateTokens(upTo: 50, rate: 10_000_000, capacity: 10)
        #expect(full.granted == 10)
        #expect(full.wait > 0, "a short grant says when to ask again")
        let asked = try store.takeRateTokens(upTo: 3, rate: 10_000_000, capacity: 10)
        #expect(asked.granted == 3 && asked.wait == 0)
    }

    @Test func bothStoresHaveOneSchema() throws {
        let (server, address) = try newDatabase()
        _ = try PostgresJobStore(address: address)
        let postgres = try server.psql(
            address,
            """
            SELECT table_name || '.' || column_name || ' ' || (is_nullable = 'NO') FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name <> 'schema_version' ORDER BY table_name, ordinal_position
            """
        ).split(separator: "\n").map(String.init)
        try withTemporaryDirectory { directory in
            let path = directory.path + "/s.sqlite"
            _ = try SQLiteJobStore(path: path)
            let connection = try SQLiteConnection(path: path)
            let tables = try connection.statement(
                "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            var names: [String] = []
            while try tables.step() { names.append(tables.text(0)) }
            var sqlite: [String] = []
            for table in names {
                let columns = try connection.statement("SELECT name, \"notnull\" OR pk FROM pragma_table_info(?)")
                try columns.bind(table)
                while try columns.step() {
                    sqlite.append("\(table).\(columns.text(0)) \(columns.int(1) == 1 ? "true" : "false")")
                }
            }
            #expect(sqlite == postgres)
        }
    }

    @Test func aStoreOpenedAgainMigratesNothing() throws {
        let (server, address) = try newDatabase()
        _ = try PostgresJobStore(address: address)
        _ = try PostgresJobStore(address: address)
        #expect(
            try server.psql(address, "SELECT count(*), max(version) FROM schema_version") == "1|\(Migrations.all.count)"
        )
    }
}
