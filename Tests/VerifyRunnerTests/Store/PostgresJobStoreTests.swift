import Foundation
import Testing

@testable import VerifyRunner

/// What only the shared store does, against the test run's real PostgreSQL server: leases between runners, the
/// take-over of a gone runner's rows, and the rate bucket every runner draws from (``StoreSchemaTests`` compares its schema with SQLite's).
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

    /// Two running stores (runners) of a new database, sharing job `j` of `count` rows.
    private func twoRunners(sharingAJobOf count: Int) throws -> (PostgresJobStore, PostgresJobStore) {
        let (_, address) = try newDatabase()
        let runners = (try PostgresJobStore(address: address), try PostgresJobStore(address: address))
        try jobWithRows(count, in: runners.0)
        try runners.0.startRunning(lease: .seconds(30), requestTimeout: .seconds(1))
        try runners.1.startRunning(lease: .seconds(30), requestTimeout: .seconds(1))
        return runners
    }

    @Test func twoRunnersNeverGetTheSameRow() async throws {
        try await offThePool {
            let (first, second) = try twoRunners(sharingAJobOf: 100)
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
    }

    @Test func aGoneRunnersRowsAreTakenOverAndItsRowsInFlightAreInDoubt() async throws {
        try await offThePool {
            let (server, address) = try newDatabase()
            let gone = try PostgresJobStore(address: address)
            try jobWithRows(4, in: gone)
            let lease = try gone.startRunning(lease: .seconds(3600), requestTimeout: .seconds(1))
            let goneID = gone.runnerID
            let held = try gone.rowsToSend(jobID: "j", after: -1, limit: 3)
            #expect(held.map(\.sequence) == [0, 1, 2])
            try gone.commit(
                jobID: "j",
                writes: [RowWrite(sequence: 0, state: .inFlight(attempt: 1), timestamp: "T0", sentAt: 1000)],
                requests: 0, retries: 0, sendingSeconds: 0, startedAt: "T0")
            let taker = try PostgresJobStore(address: address)
            try taker.startRunning(lease: .seconds(30), requestTimeout: .seconds(1))
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
            // The first runner comes back: its commit for a row it no longer holds is refused as a whole, and it
            // learns that its lease is lost, and to whom.
            #expect(lease.sendDeadline?.isClosed == false, "it has not heard yet")
            let late = [
                RowWrite(sequence: 1, state: .inFlight(attempt: 1), timestamp: "T1", sentAt: 2000),
                RowWrite(sequence: 3, state: .finished(.sent, attempts: 1), timestamp: "T1"),
            ]
            let loss = try #require(throws: LeaseLoss.self) {
                try gone.commit(jobID: "j", writes: late, requests: 1, retries: 0, sendingSeconds: 0, startedAt: nil)
            }
            #expect(loss.runnerID == goneID && loss.takenOverBy == taker.runnerID)
            #expect((loss.unseenSeconds ?? 0) > 1_000_000, "last seen in 1970")
            #expect(lease.lost == loss && lease.sendDeadline?.isClosed == true, "its requests can no longer leave")
            var report: [ReportRow] = []
            try taker.forEachReportRow(jobID: "j") { report.append($0) }
            #expect(report.map(\.status) == [nil, nil, nil, nil], "nothing of the refused commit was written")
            #expect(try taker.job(id: "j")?.requests == 0)
            // Even a commit of rows it still holds (none here) is refused: the runner is gone for the store.
            #expect(throws: LeaseLoss.self) {
                try gone.commit(jobID: "j", writes: [], requests: 0, retries: 0, sendingSeconds: 0, startedAt: nil)
            }
            #expect(throws: LeaseLoss.self) { try gone.rowsToSend(jobID: "j", after: -1, limit: 10) }
            let listed = try taker.runners().first { $0.id == goneID }
            #expect(listed?.lostTo == taker.runnerID && listed?.isAlive(lease: .seconds(3600)) == false)

            // It goes on as a new runner, with a new id and a new lease: the taker's rows stay the taker's.
            let renewed = try gone.startRunning(lease: .seconds(3600), requestTimeout: .seconds(1))
            #expect(renewed.runnerID != goneID && renewed.lost == nil && renewed.sendDeadline?.isClosed == false)
            #expect(try gone.rowsToSend(jobID: "j", after: -1, limit: 10).isEmpty)
            try gone.commit(jobID: "j", writes: [], requests: 0, retries: 0, sendingSeconds: 0, startedAt: nil)
        }
    }

    /// A runner renews its lease while no one has found it gone, however late: being late alone loses nothing.
    @Test func aLateRunnerKeepsItsRowsUntilAnotherFindsItGone() async throws {
        try await offThePool {
            let (server, address) = try newDatabase()
            let late = try PostgresJobStore(address: address)
            try jobWithRows(2, in: late)
            let lease = try late.startRunning(lease: .seconds(3600), requestTimeout: .seconds(1))
            defer { late.stopRunning() }
            #expect(try late.rowsToSend(jobID: "j", after: -1, limit: 1).map(\.sequence) == [0])
            _ = try server.psql(address, "UPDATE runners SET last_seen = 0 WHERE id = '\(late.runnerID)'")
            let before = try #require(lease.sendDeadline?.nanoseconds)
            #expect(try late.rowsToSend(jobID: "j", after: 0, limit: 1).map(\.sequence) == [1], "no one found it gone")
            #expect(try #require(lease.sendDeadline?.nanoseconds) > before, "the load renewed the lease")
            #expect(lease.lost == nil)
            let record = try late.runners().first { $0.id == late.runnerID }
            #expect(
                record.map { Timestamp.nowSeconds() - $0.lastSeen < 600 } == true, "seen again, on the store's clock")
        }
    }

    /// Once another runner has found this one gone, its next heartbeat finds the loss out by itself: the send
    /// deadline closes and the runner is told, with who found it gone.
    @Test func theHeartbeatFindsOutThatTheLeaseIsLost() async throws {
        let (server, address) = try newDatabase()
        let store = try PostgresJobStore(address: address)
        let lease = try store.startRunning(lease: .seconds(2), requestTimeout: .seconds(1))
        defer { store.stopRunning() }
        #expect(lease.renewalInterval == .seconds(1) / 3, "three renewals fit in the lease minus the timeout")
        // What a taker's load records when it finds a runner gone (findGoneRunnersSQL).
        _ = try server.psql(
            address,
            "UPDATE runners SET lost_at = extract(epoch FROM clock_timestamp()), lost_to = 'h:9:taker' "
                + "WHERE id = '\(store.runnerID)'")
        let loss = await withCheckedContinuation { continuation in lease.whenLost { continuation.resume(returning: $0) }
        }
        #expect(loss.takenOverBy == "h:9:taker" && loss.runnerID == lease.runnerID)
        #expect(lease.sendDeadline?.allowsSending(at: BootClock.now()) == false)
        store.stopRunning()
        let record = try store.runners().first { $0.id == loss.runnerID }
        #expect(record?.endedAt == nil, "a runner found gone records no end: its rows were anyone's already")
    }

    @Test func anEndedRunnersRowsAreFreeAtOnce() async throws {
        try await offThePool {
            let (_, address) = try newDatabase()
            let first = try PostgresJobStore(address: address)
            try jobWithRows(3, in: first)
            try first.startRunning(lease: .seconds(3600), requestTimeout: .seconds(1))
            #expect(try first.rowsToSend(jobID: "j", after: -1, limit: 10).count == 3)
            first.stopRunning()
            let next = try PostgresJobStore(address: address)
            try next.startRunning(lease: .seconds(3600), requestTimeout: .seconds(1))
            defer { next.stopRunning() }
            #expect(try next.rowsToSend(jobID: "j", after: -1, limit: 10).map(\.sequence) == [0, 1, 2])
            let runners = try next.runners()
            #expect(runners.count == 2)
            #expect(runners.filter { $0.isAlive(lease: .seconds(3600)) }.map(\.id) == [next.runnerID])
        }
    }

    @Test func aCancelLeavesTheRowsOfAnotherLiveRunnerToThatRunner() async throws {
        try await offThePool {
            let (canceling, sending) = try twoRunners(sharingAJobOf: 6)
            defer { canceling.stopRunning() }
            // The sending runner holds the first rows, maybe about to send them; its own rows are the canceling
            // runner's to cancel, and so are rows no one holds.
            #expect(try sending.rowsToSend(jobID: "j", after: -1, limit: 2).map(\.sequence) == [0, 1])
            #expect(try canceling.rowsToSend(jobID: "j", after: -1, limit: 2).map(\.sequence) == [2, 3])
            #expect(try canceling.cancelUnsentRows(jobID: "j", at: "t") == 4)
            #expect(try canceling.statusCounts(jobID: "j") == ["canceled": 4, "unfinished": 2])
            // Once the other runner has ended, its rows are anyone's: the cancel reaches them.
            sending.stopRunning()
            #expect(try canceling.cancelUnsentRows(jobID: "j", at: "t") == 2)
            #expect(try canceling.statusCounts(jobID: "j") == ["canceled": 6])
        }
    }

    @Test func theRateBucketGrantsWhatItHoldsAndSaysHowLongUntilAWholeGrant() async throws {
        try await offThePool {
            let (_, address) = try newDatabase()
            let store = try PostgresJobStore(address: address)
            // At one token in 1000 s, a bucket created a moment ago holds none: ask again once five are refilled.
            let empty = try store.takeRateTokens(upTo: 5, rate: 0.001, capacity: 10)
            #expect(empty.granted == 0)
            #expect(empty.wait > 4_000 && empty.wait <= 5_000)
            // At ten million a second it is full again within a round trip, and never holds more than its capacity.
            let full = try store.takeRateTokens(upTo: 50, rate: 10_000_000, capacity: 10)
            #expect(full.granted == 10)
            #expect(full.wait > 0, "a short grant says when to ask again")
            let asked = try store.takeRateTokens(upTo: 3, rate: 10_000_000, capacity: 10)
            #expect(asked.granted == 3 && asked.wait == 0)
        }
    }

    @Test func reportRowsComeInPagesAlongTheKey() async throws {
        try await offThePool {
            let (_, address) = try newDatabase()
            let store = try PostgresJobStore(address: address)
            let count = 10_001  // one more than a page of forEachReportRow
            try jobWithRows(count, in: store)
            var lines: [Int] = []
            try store.forEachReportRow(jobID: "j") { lines.append($0.line) }
            #expect(lines == Array(2..<(count + 2)))
        }
    }

    @Test func aStoreOpenedAgainMigratesNothing() async throws {
        try await offThePool {
            let (server, address) = try newDatabase()
            _ = try PostgresJobStore(address: address)
            _ = try PostgresJobStore(address: address)
            #expect(
                try server.psql(address, "SELECT count(*), max(version) FROM schema_version")
                    == "1|\(Migrations.all.count)"
            )
        }
    }
}
