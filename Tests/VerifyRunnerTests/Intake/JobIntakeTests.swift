import Foundation
import Testing

@testable import VerifyRunner

/// Intake of a file larger than its first batches (1,000 rows, then 2,000, …), into a real SQLite store.
@Suite struct JobIntakeTests {
    /// `+1202` and a 7-digit subscriber number, distinct for every `index`.
    private func number(_ index: Int) -> String { "+1202\(3_000_001 + 2 * index)" }

    @Test func duplicatesAndLateColumnsAcrossBatchesKeepTheirLines() throws {
        try withTemporaryDirectory { directory in
            // 3,500 rows: batches of 1,000, 2,000 and 500. Line 1,503 (in the second batch) repeats line 12's
            // number, line 3,202 (in the third) repeats line 2,001's, and line 3,001 brings a column the header
            // does not have.
            var lines = ["phone_number,ref"]
            for index in 0..<3500 {
                let phone =
                    switch index + 2 {
                    case 1503: number(10)
                    case 3202: number(1999)
                    default: number(index)
                    }
                lines.append(index + 2 == 3001 ? "\(phone),r\(index),late" : "\(phone),r\(index)")
            }
            let path = directory.path + "/in.csv"
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            let store = try SQLiteJobStore(path: directory.path + "/verifyd.sqlite")
            try store.createJob(id: "j", fileName: "in.csv", workPath: path, createdAt: "t", provider: .authyV1)

            let read = try JobIntake(configuration: .init()).read(path: path, jobID: "j", into: store)

            #expect(read.rows == 3500)
            #expect(read.finished == ["duplicate": 2])
            #expect(read.extraColumns == ["ref", "column_3"])
            var rows: [ReportRow] = []
            try store.forEachReportRow(jobID: "j") { rows.append($0) }
            #expect(rows.map(\.line) == Array(2...3501))
            #expect(rows.filter { $0.status == .duplicate }.map(\.line) == [1503, 3202])
            #expect(rows[1501].message == "same number as line 12")
            #expect(rows[3200].message == "same number as line 2001")
            #expect(rows[2999].extras == ["r2999", "late"])
            #expect(rows[3000].extras.first == "r3000")
            #expect(rows.allSatisfy { $0.status == .duplicate || $0.e164 == number($0.line - 2) })
        }
    }

    @Test func aTimeZoneColumnIsKeptAndOneThatNamesNoZoneMakesItsRowInvalid() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path + "/in.csv"
            let file = "phone_number,Time Zone\n\(number(0)),America/Chicago\n\(number(1)), Mars/Base \n\(number(2)),\n"
            try file.write(toFile: path, atomically: true, encoding: .utf8)
            let store = try SQLiteJobStore(path: directory.path + "/verifyd.sqlite")
            try store.createJob(id: "j", fileName: "in.csv", workPath: path, createdAt: "t", provider: .authyV1)

            let read = try JobIntake(configuration: .init()).read(path: path, jobID: "j", into: store)

            #expect(read.extraColumns.isEmpty, "time_zone is a known column")
            #expect(read.finished == ["invalid": 1])
            var rows: [ReportRow] = []
            try store.forEachReportRow(jobID: "j") { rows.append($0) }
            #expect(rows.map(\.timeZone) == ["America/Chicago", "Mars/Base", nil])
            #expect(rows[1].status == .invalid)
            #expect(rows[1].message == "time_zone 'Mars/Base' is not a time zone name (IANA, e.g. America/Chicago)")
        }
    }

}
