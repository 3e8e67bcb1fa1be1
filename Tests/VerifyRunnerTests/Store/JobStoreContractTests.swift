import Foundation
import Testing

@testable import VerifyRunner

/// What every ``JobStoring`` promises, checked against both stores: a real SQLite file in a temporary folder,
/// and a database of its own on the test run's real PostgreSQL server (``PostgresServer``).
@Suite struct JobStoreContractTests {
    /// One implementation of the store.
    enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case sqlite
        case postgres

        var testDescription: String { rawValue }
    }

    /// Runs `body` with a new, empty store of `kind`, off Swift's cooperative pool (the store's calls block).
    private func withStore(_ kind: StoreKind, _ body: @escaping @Sendable (any JobStoring) throws -> Void)
        async throws
    {
        try await offThePool {
            switch kind {
            case .sqlite:
                try withTemporaryDirectory { directory in
                    try body(try SQLiteJobStore(path: directory.path + "/verifyd.sqlite"))
                }
            case .postgres:
                try body(try PostgresJobStore(address: try PostgresServer.shared().createDatabase()))
            }
        }
    }

    @Test(arguments: StoreKind.allCases) func jobsKeepTheirRowsApart(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            for id in ["j1", "j2"] {
                try store.createJob(id: id, fileName: "\(id).csv", workPath: "/p", createdAt: "t", provider: nil)
                try store.insertRowsNow(jobID: id, [.sample(0), .sample(1), .sample(2, status: .invalid)])
            }
            try store.restartIntake(jobID: "j1")
            #expect(try store.statusCounts(jobID: "j1").isEmpty)
            #expect(try store.statusCounts(jobID: "j2") == ["unfinished": 2, "invalid": 1])
            #expect(try store.rowsToSend(jobID: "j2", after: -1, limit: 10).map(\.sequence) == [0, 1])
            #expect(try store.rowsToSend(jobID: "nope", after: -1, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func onlyStartsNeverSentAreSkippedForTheReasonGiven(kind: StoreKind)
        async throws
    {
        try await withStore(kind) { store in
            try store.createJob(id: "j1", fileName: "a.csv", workPath: "/p", createdAt: "t", provider: nil)
            var check = NewRow.sample(3, e164: "+33612345678")
            check.kind = .check
            check.code = "123456"
            try store.insertRowsNow(
                jobID: "j1",
                [
                    .sample(0), .sample(1, e164: "+33612345678"), .sample(2, e164: "+33612345679", status: .invalid),
                    check,
                ])
            try store.finishIntake(jobID: "j1", extraColumns: [], totalRows: 4)
            let refuse = { (e164: String) in e164.hasPrefix("+33") ? "not France" : nil }
            #expect(try store.skipUnsentStarts(jobID: "j1", at: "t", refusal: refuse) == 1)
            #expect(try store.skipUnsentStarts(jobID: "j1", at: "t", refusal: refuse) == 0, "idempotent")
            #expect(try store.statusCounts(jobID: "j1") == ["unfinished": 2, "skipped": 1, "invalid": 1])
        }
    }

    @Test(arguments: StoreKind.allCases) func heldJobsCountTheVerificationsTheyWouldStart(kind: StoreKind) async throws
    {
        try await withStore(kind) { store in
            try store.createJob(id: "j1", fileName: "a.csv", workPath: "/p", createdAt: "t", provider: nil)
            var check = NewRow.sample(3)
            check.kind = .check
            check.code = "123456"
            try store.insertRowsNow(jobID: "j1", [.sample(0), .sample(1), .sample(2, status: .duplicate), check])
            try store.finishIntake(jobID: "j1", extraColumns: [], totalRows: 4)
            #expect(try store.verificationsToStart(jobID: "j1") == 2)
            try store.holdJob(id: "j1", reason: "too many")
            #expect(try store.job(id: "j1")?.state == .held)
            #expect(try store.job(id: "j1")?.pausedReason == "too many")
            try store.resumeJob(id: "j1")
            #expect(try store.job(id: "j1")?.state == .queued)
            #expect(try store.job(id: "j1")?.pausedReason == nil)
        }
    }

    @Test(arguments: StoreKind.allCases) func intakeRowsAndJobLifecycle(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try store.createJob(
                id: "j1", fileName: "a.csv", workPath: "/p/a.csv", createdAt: "2026-01-01T00:00:00Z", provider: nil)
            #expect(try store.job(id: "j1")?.state == .intake)
            try store.insertRowsNow(jobID: "j1", [.sample(0), .sample(1, e164: nil, status: .invalid), .sample(2)])
            try store.finishIntake(jobID: "j1", extraColumns: ["ref", "note"], totalRows: 3)
            let job = try #require(try store.job(id: "j1"))
            #expect(job.state == .queued)
            #expect(job.extraColumns == ["ref", "note"])
            #expect(job.totalRows == 3)
            #expect(try store.rowsToSend(jobID: "j1", after: -1, limit: 1).map(\.sequence) == [0])
            #expect(try store.rowsToSend(jobID: "j1", after: 0, limit: 10).map(\.sequence) == [2])
            #expect(try store.statusCounts(jobID: "j1")["unfinished"] == 2)
            #expect(try store.statusCounts(jobID: "j1") == ["invalid": 1, "unfinished": 2])
        }
    }

    @Test(arguments: StoreKind.allCases) func restartedIntakeStartsFromScratch(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try store.createJob(id: "j1", fileName: "a.csv", workPath: "/p", createdAt: "t", provider: nil)
            try store.insertRowsNow(jobID: "j1", [.sample(0), .sample(1)])
            try store.restartIntake(jobID: "j1")
            try store.insertRowsNow(jobID: "j1", [.sample(0), .sample(1)])
            #expect(try store.statusCounts(jobID: "j1")["unfinished"] == 2)
        }
    }

    @Test(arguments: StoreKind.allCases) func groupCommitRecordsStatesResultsAndCounters(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try store.createJob(id: "j1", fileName: "a.csv", workPath: "/p", createdAt: "t", provider: nil)
            try store.insertRowsNow(jobID: "j1", [.sample(0), .sample(1), .sample(2)])
            try store.finishIntake(jobID: "j1", extraColumns: ["ref", "note"], totalRows: 3)
            try store.commit(
                jobID: "j1",
                writes: [
                    RowWrite(sequence: 0, state: .inFlight(attempt: 1), timestamp: "T0"),
                    RowWrite(sequence: 1, state: .inFlight(attempt: 1), timestamp: "T0"),
                    RowWrite(sequence: 2, state: .inFlight(attempt: 1), timestamp: "T0"),
                ], requests: 0, retries: 0, sendingSeconds: 0, startedAt: "T0")
            // The SQLite store's one runner finds them at its start; a shared store hands them out in doubt through
            // rowsToSend, once (a runner is handed a row once; PostgresJobStoreTests has the take-over).
            #expect(try store.rowsLeftInFlight(jobID: "j1").map(\.sequence) == (kind == .sqlite ? [0, 1, 2] : []))
            let handed = try store.rowsToSend(jobID: "j1", after: -1, limit: 10)
            #expect(handed.map(\.state) == (kind == .sqlite ? [] : Array(repeating: .inDoubt(attempts: 1), count: 3)))
            let sent = ProviderResult(
                verdict: .sent, httpStatus: 200, message: "ok", providerID: "u-1", carrier: "C", isCellphone: true)
            let busy = ProviderResult(
                verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: false), httpStatus: 429, errorCode: "60003")
            try store.commit(
                jobID: "j1",
                writes: [
                    RowWrite(sequence: 0, state: .finished(.sent, attempts: 1), result: sent, timestamp: "T1"),
                    RowWrite(
                        sequence: 1, state: .waitingToRetry(attempts: 1), result: busy, notBefore: 99, timestamp: "T1"),
                    RowWrite(sequence: 2, state: .pending(attempts: 0), timestamp: "T1"),
                ], requests: 3, retries: 0, sendingSeconds: 1.5, startedAt: "T9")
            // Another runner of the shared store takes the rows over: the first holds no lease of the store's.
            let reader = kind == .sqlite ? store : try PostgresJobStore(address: store.location)
            let waiting = try reader.rowsToSend(jobID: "j1", after: -1, limit: 10)
            #expect(waiting.map(\.sequence) == [1, 2])
            #expect(waiting.first?.state == .waitingToRetry(attempts: 1))
            #expect(waiting.first?.notBefore == 99)
            let job = try #require(try store.job(id: "j1"))
            #expect(job.requests == 3 && job.startedAt == "T0" && job.sendingSeconds == 1.5)
            var report: [ReportRow] = []
            try store.forEachReportRow(jobID: "j1") { report.append($0) }
            #expect(report.count == 3)
            #expect(report[0].status == .sent && report[0].providerID == "u-1" && report[0].isCellphone == true)
            #expect(report[0].startedAt == "T0" && report[0].finishedAt == "T1" && report[0].attempts == 1)
            #expect(report[0].extras == ["ref-0", "a,\"b\"\nc"])
            #expect(report[1].status == nil && report[1].errorCode == "60003" && report[1].httpStatus == 429)
            #expect(report[1].startedAt == "T0")
            #expect(report[2].startedAt == nil, "a row handed back untouched forgets its refused start")
            #expect(
                try store.errorCodeBreakdown(jobID: "j1")
                    == [ErrorCodeCount(code: "60003", status: "unfinished", rows: 1, httpStatus: 429)])
            // The three answers of the second commit are counted in the second they were committed.
            let seconds = try store.requestsPerSecond(jobID: "j1")
            #expect(seconds.count == 1 && seconds.first?.requests == 3)
            #expect(abs(Double(seconds.first?.second ?? 0) - Timestamp.nowSeconds()) < 3600)
        }
    }

    @Test(arguments: StoreKind.allCases) func pauseResumeFinishAndReject(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try store.createJob(id: "j1", fileName: "a.csv", workPath: "/p", createdAt: "1", provider: nil)
            try store.createJob(id: "j2", fileName: "b.csv", workPath: "/q", createdAt: "2", provider: nil)
            try store.finishIntake(jobID: "j1", extraColumns: [], totalRows: 0)
            try store.pauseJob(id: "j1", reason: "Invalid API key")
            #expect(try store.job(id: "j1")?.pausedReason == "Invalid API key")
            try store.resumeJob(id: "j1")
            #expect(try store.job(id: "j1")?.state == .queued)
            try store.insertRowsNow(jobID: "j2", [.sample(0)])
            try store.rejectJob(id: "j2", workPath: "/r/b.csv", reason: "no header")
            #expect(try store.statusCounts(jobID: "j2").isEmpty)
            try store.finishJob(id: "j1", workPath: "/d/a.csv", finishedAt: "3")
            #expect(try store.unfinishedJobs().isEmpty)
            #expect(try store.jobs().map(\.state) == [.finished, .rejected])
        }
    }

    @Test(arguments: StoreKind.allCases) func operatorsSteerJobsAndEveryActionIsRecorded(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            for id in ["j1", "j2", "j3"] {
                try store.createJob(id: id, fileName: "\(id).csv", workPath: "/p", createdAt: id, provider: nil)
            }
            // Paused while being read: intake ends, the pause stays.
            try store.steer(jobID: "j1", .pause, reason: "hold until Monday", user: "ana", requestedAt: "t1")
            try store.finishIntake(jobID: "j1", extraColumns: [], totalRows: 0)
            var j1 = try #require(try store.job(id: "j1"))
            #expect(j1.phase == .pausedByOperator && j1.pausedBy == "ana" && j1.pausedReason == "hold until Monday")
            // verifyd's own rules neither pause it again nor lift the operator's pause.
            try store.pauseJob(id: "j1", reason: "Invalid API key")
            try store.resumeJob(id: "j1")
            j1 = try #require(try store.job(id: "j1"))
            #expect(j1.phase == .pausedByOperator && j1.pausedReason == "hold until Monday")
            #expect(
                try store.steer(jobID: "j1", .resume, reason: nil, user: "bo", requestedAt: "t2")
                    == .moved(to: .queued, then: .send))
            #expect(try store.job(id: "j1")?.state == .queued && store.job(id: "j1")?.pausedBy == nil)

            try store.finishIntake(jobID: "j2", extraColumns: [], totalRows: 0)
            try store.steer(jobID: "j2", .cancel, reason: nil, user: "ana", requestedAt: "t3")
            #expect(
                try store.job(id: "j2")?.state == .canceling && store.job(id: "j2")?.pausedReason == "canceled by ana")
            // Ended twice (two runners of a shared store finishing their last rows at once), it stays canceled.
            try store.finishJob(id: "j2", workPath: "/d", finishedAt: "t3")
            try store.finishJob(id: "j2", workPath: "/d", finishedAt: "t3")
            #expect(try store.job(id: "j2")?.state == .canceled)

            // Refused actions change nothing and are not recorded.
            #expect(throws: JobActionRefused.refused(jobID: "j3", .notPaused(.intake))) {
                try store.steer(jobID: "j3", .resume, reason: nil, user: "ana", requestedAt: "t4")
            }
            #expect(throws: JobActionRefused.noSuchJob("nope")) {
                try store.steer(jobID: "nope", .pause, reason: nil, user: "ana", requestedAt: "t5")
            }
            try store.finishJob(id: "j3", workPath: "/d", finishedAt: "t6")
            #expect(throws: JobActionRefused.refused(jobID: "j3", .ended(.finished))) {
                try store.steer(jobID: "j3", .cancel, reason: nil, user: "ana", requestedAt: "t7")
            }
            #expect(try store.job(id: "j3")?.state == .finished)

            #expect(
                try store.actions(jobID: "j1") == [
                    JobAction(jobID: "j1", action: .pause, reason: "hold until Monday", user: "ana", requestedAt: "t1"),
                    JobAction(jobID: "j1", action: .resume, reason: nil, user: "bo", requestedAt: "t2"),
                ])
            #expect(try store.actions(jobID: "j2").map(\.action) == [.cancel])
            #expect(try store.actions(jobID: "j3").isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases) func aJobKeepsItsProviderAndAnOlderJobAdoptsTheFirstOneThatSendsIt(
        kind: StoreKind
    ) async throws {
        try await withStore(kind) { store in
            try store.createJob(id: "v2", fileName: "a.csv", workPath: "/p", createdAt: "1", provider: .verifyV2)
            try store.createJob(id: "old", fileName: "b.csv", workPath: "/q", createdAt: "2", provider: nil)
            try store.adoptProvider(jobID: "v2", provider: .authyV1)
            try store.adoptProvider(jobID: "old", provider: .authyV1)
            #expect(try store.jobs().map(\.provider) == [.verifyV2, .authyV1])
        }
    }

    @Test(arguments: StoreKind.allCases) func outcomesAreStoredPerSentRow(kind: StoreKind) async throws {
        try await withStore(kind) { store in
            try store.createJob(id: "j1", fileName: "a.csv", workPath: "/p", createdAt: "t", provider: .verifyV2)
            try store.insertRowsNow(
                jobID: "j1", [.sample(0, e164: "+12025550101"), .sample(1, e164: "+12025550103"), .sample(2)])
            let sent = { (sequence: Int, id: String) in
                RowWrite(
                    sequence: sequence, state: .finished(.sent, attempts: 1),
                    result: ProviderResult(verdict: .sent, providerID: id), timestamp: "2026-12-02T10:00:00.000Z")
            }
            try store.commit(
                jobID: "j1", writes: [sent(0, "VE1"), sent(1, "VE2")], requests: 2, retries: 0, sendingSeconds: 1,
                startedAt: "2026-12-02T10:00:00.000Z")
            let rows = try store.sentRows(jobID: "j1")
            #expect(rows.map(\.providerID) == ["VE1", "VE2"] && rows.map(\.outcome) == [nil, nil])
            #expect(rows[0].startedAt == nil, "started_at is set by the in-flight mark, which this test skipped")
            try store.recordOutcomes(
                jobID: "j1", [(0, .verified), (1, .pending)], checkedAt: "2026-12-02T11:00:00.000Z")
            #expect(try store.sentRows(jobID: "j1").map(\.outcome) == [.verified, .pending])
            #expect(try store.job(id: "j1")?.outcomesCheckedAt == "2026-12-02T11:00:00.000Z")
        }
    }
}
