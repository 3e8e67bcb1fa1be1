import Dispatch
import Synchronization

@testable import VerifyRunner

extension TemporaryDirectory {
    /// A store in this folder (`s.sqlite`) holding job `j`, read for `provider`, with `rows` and its intake
    /// finished: where the report tests start.
    func storeWithJob(provider: ProviderName, rows: [NewRow], extraColumns: [String]) throws -> SQLiteJobStore {
        let store = try SQLiteJobStore(path: path + "/s.sqlite")
        try store.createJob(id: "j", fileName: "in.csv", workPath: "/x", createdAt: "t", provider: provider)
        try store.insertRows(jobID: "j", rows)
        try store.finishIntake(jobID: "j", extraColumns: extraColumns, totalRows: rows.count)
        return store
    }
}

extension JobStoring {
    /// Inserts intake rows and waits until they are written (the stores only offer the asynchronous insert).
    func insertRowsNow(jobID: String, _ rows: [NewRow]) throws {
        let done = DispatchSemaphore(value: 0)
        let failure = Mutex<(any Error)?>(nil)
        insertRowsAsync(jobID: jobID, rows) { error in
            failure.withLock { $0 = error }
            done.signal()
        }
        done.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
