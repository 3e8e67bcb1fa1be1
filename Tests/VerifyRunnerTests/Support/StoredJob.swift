import Dispatch
import Synchronization
@testable import VerifyRunner

extension TemporaryDirectory {
    /// A store in this folder (`s.sqlite`) holding job `j`, read for `provider`, with `rows` and its intake
    /// finished: where the report tests start.
    func storeWithJob(provider: ProviderName, rows: [NewRow], extraColumns: [String]) throws -> SQLiteJobStore {
        let store = try SQLiteJobStore(path: path + "/s.sqlite")
        try store.createJob(id: "j", fileName: "in.csv", workPath: "/x", createdAt: "t", provider: provider)
        try store.insertRowsNow(jobID: "j", rows)
        try store.finishIntake(jobID: "j", extraColumns: extraColumns, totalRows: rows.count)
        return store
    }
}

extension JobLifecycleStore {
    /// Inserts intake rows and waits until they are written (the stores only offer the asynchronous insert).
    func insertRowsNow(jobID: String, _ rows: [NewRow]) throws {
        try waitForStore { done in insertRowsAsync(jobID: jobID, rows, completion: done) }
    }
}

extension RowSendingStore {
    /// The group commit, waited for: ``RowSendingStore/commitAsync(jobID:writes:requests:retries:sendingSeconds:startedAt:completion:)``
    /// with the test's thread blocked until the transaction is durable.
    func commit(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?
    ) throws {
        try waitForStore { done in
            commitAsync(
                jobID: jobID, writes: writes, requests: requests, retries: retries, sendingSeconds: sendingSeconds,
                startedAt: startedAt, completion: done)
        }
    }

    /// The rows to send, waited for (``RowSendingStore/rowsToSendAsync(jobID:after:limit:completion:)``).
    func rowsToSend(jobID: String, after: Int, limit: Int) throws -> [WorkRow] {
        try waitForStoreResult { rowsToSendAsync(jobID: jobID, after: after, limit: limit, completion: $0) }
    }

    /// Rate tokens, waited for (``RowSendingStore/takeRateTokensAsync(upTo:rate:capacity:completion:)``).
    func takeRateTokens(upTo wanted: Int, rate: Double, capacity: Int) throws -> RateGrant {
        try waitForStoreResult { takeRateTokensAsync(upTo: wanted, rate: rate, capacity: capacity, completion: $0) }
    }
}

/// Starts an asynchronous store call and blocks the test's thread until it completes; throws its error, if any.
func waitForStore(_ start: (_ done: @escaping @Sendable ((any Error)?) -> Void) -> Void) throws {
    try waitForStoreResult { (done: @escaping @Sendable (Result<Void, any Error>) -> Void) in
        start { error in done(error.map { .failure($0) } ?? .success(())) }
    }
}

/// Starts an asynchronous store call that hands back a result, and blocks the test's thread until it does.
func waitForStoreResult<Value: Sendable>(
    _ start: (_ done: @escaping @Sendable (Result<Value, any Error>) -> Void) -> Void
) throws -> Value {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<Value, any Error>?>(nil)
    start { outcome in
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.withLock { $0 }.unsafelyUnwrapped.get()
}

extension NewRow {
    /// A row for the store tests: a start of `e164` (or, with `nil`, a row without a number), ending `status` if
    /// given, with two extra columns whose text needs quoting.
    static func sample(_ sequence: Int, e164: String? = "+12025550100", status: RowStatus? = nil) -> NewRow {
        NewRow(
            sequence: sequence, line: sequence + 2, phoneInput: "202-555-0100", countryInput: "1", channel: .sms,
            locale: nil, kind: .start, code: nil,
            phone: e164.map { NormalizedNumber(e164: $0, countryCode: 1, nationalNumber: String($0.dropFirst(2))) },
            extras: ["ref-\(sequence)", "a,\"b\"\nc"], finalStatus: status, message: status == nil ? nil : "why")
    }
}
