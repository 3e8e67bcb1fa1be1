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
        try waitForStore { done in insertRowsAsync(jobID: jobID, rows, completion: done) }
    }
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
