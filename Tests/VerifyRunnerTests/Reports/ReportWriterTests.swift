import Foundation
import Testing

@testable import VerifyRunner

@Suite struct ReportWriterTests {
    @Test(arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("two\nlines", "\"two\nlines\""),
        (" padded", "\" padded\""),
    ])
    func csvQuoting(value: String, field: String) {
        #expect(CSVText.field(value) == field)
    }

    @Test(arguments: [
        ("=SUM(A1:A2)", "'=SUM(A1:A2)"), ("@cmd", "'@cmd"), ("-2+3", "'-2+3"), ("\tx", "'\tx"),
        ("+1 202 555 0189", "+1 202 555 0189"), ("-", "-"), ("ref-1", "ref-1"), ("+", "+"),
        ("+1 (202) 555-0189", "+1 (202) 555-0189"), ("+12é", "'+12é"), ("\r1", "'\r1"), ("", ""), ("é=", "é="),
    ])
    func spreadsheetFormulasAreNeutralized(value: String, written: String) {
        #expect(CSVText.neutralized(value) == written)
    }

    @Test func writesOneRowPerInputRowInOrderWithExtras() throws {
        try withTemporaryDirectory { directory in
            let rows = (0..<3).map { index in
                NewRow(
                    sequence: index, line: index + 2, phoneInput: "p\(index)", countryInput: "1", channel: .sms,
                    locale: nil, kind: .start, code: nil, phone: nil, extras: index == 2 ? ["=cmd()"] : ["r,\(index)"],
                    finalStatus: .invalid, message: "bad \(index)")
            }
            let store = try directory.storeWithJob(provider: .authyV1, rows: rows, extraColumns: ["ref", "late"])
            let job = try #require(try store.job(id: "j"))
            try ReportWriter(store: store).write(job: job, to: directory.path + "/r")

            let csv = try String(contentsOfFile: directory.path + "/r/report.csv", encoding: .utf8)
            let lines = csv.components(separatedBy: "\r\n")
            #expect(lines[0] == (ReportWriter.fixedColumns + ["ref", "late"]).joined(separator: ","))
            #expect(lines[1] == "2,p0,1,,sms,invalid,,0,,bad 0,,,,,,,,,\"r,0\",")
            #expect(lines[3].hasSuffix(",'=cmd(),"))
            #expect(lines.count == 5 && lines[4].isEmpty)

            let jsonl = try String(contentsOfFile: directory.path + "/r/report.jsonl", encoding: .utf8)
            let first = try #require(jsonl.split(separator: "\n").first)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
            #expect(object["line"] as? Int == 2 && object["status"] as? String == "invalid")
            #expect(object["ref"] as? String == "r,0" && object["e164"] is NSNull)

            let summaryData = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/r/summary.json"))
            let summary = try #require(try JSONSerialization.jsonObject(with: summaryData) as? [String: Any])
            #expect((summary["statuses"] as? [String: Int])?["invalid"] == 3)
            let mode = try FileManager.default.attributesOfItem(atPath: directory.path + "/r/report.csv")[
                .posixPermissions]
            #expect(mode as? Int == 0o600)
        }
    }

    @Test func outcomesGoIntoTheSummaryAndTheRowsNotVerifiedIntoTheirOwnFile() throws {
        try withTemporaryDirectory { directory in
            let rows = (0..<4).map { index in
                NewRow(
                    sequence: index, line: index + 2, phoneInput: "+1202555010\(index)", countryInput: "",
                    channel: .sms, locale: index == 1 ? "es" : nil, kind: .start, code: nil,
                    phone: NormalizedNumber(
                        e164: "+1202555010\(index)", countryCode: 1, nationalNumber: "202555010\(index)"),
                    extras: ["r\(index)"], finalStatus: nil, message: nil)
            }
            let store = try directory.storeWithJob(provider: .verifyV2, rows: rows, extraColumns: ["ref"])
            let sent = (0..<4).map { index in
                RowWrite(
                    sequence: index, state: .finished(.sent, attempts: 1),
                    result: ProviderResult(verdict: .sent, providerID: "VE\(index)"), timestamp: "t")
            }
            try store.commit(jobID: "j", writes: sent, requests: 4, retries: 0, sendingSeconds: 1, startedAt: "t")
            let asked = try #require(try store.job(id: "j"))
            try ReportWriter(store: store).write(job: asked, to: directory.path + "/r")
            var summary = try Self.summary(directory.path + "/r")
            #expect(summary["conversion_rate"] is NSNull, "not asked yet")
            #expect(!FileManager.default.fileExists(atPath: directory.path + "/r/not_verified.csv"))

            try store.recordOutcomes(
                jobID: "j", [(0, .verified), (1, .notVerified), (2, .notVerified), (3, .pending)], checkedAt: "u")
            try ReportWriter(store: store).write(job: try #require(try store.job(id: "j")), to: directory.path + "/r")
            summary = try Self.summary(directory.path + "/r")
            #expect(
                summary["outcomes"] as? [String: Int] == ["verified": 1, "not_verified": 2, "pending": 1, "unknown": 0])
            #expect(summary["conversion_rate"] as? Double == 0.25)
            let notVerified = try String(contentsOfFile: directory.path + "/r/not_verified.csv", encoding: .utf8)
            #expect(
                notVerified == """
                    phone_number,country_code,via,locale,verification_code,time_zone,ref\r
                    +12025550101,,sms,es,,,r1\r
                    +12025550102,,sms,,,,r2\r

                    """)
            let report = try String(contentsOfFile: directory.path + "/r/report.csv", encoding: .utf8)
            #expect(report.split(separator: "\r\n")[1].hasPrefix("2,+12025550100,,+12025550100,sms,sent,verified,1,"))
        }
    }

    /// 150 sends to the United States, 3 in 4 verified; 120 to France, 2 verified; 5 rows without a number. France
    /// converts below a third of the job's rate with more than 100 sends: flagged. The report names each row's region.
    @Test func resultsPerRegionFlagARegionThatConvertsFarWorseThanTheJob() throws {
        try withTemporaryDirectory { directory in
            let numbers =
                (0..<150).map { "+1202300\(String(format: "%04d", $0))" }
                + (0..<120).map { "+33612\(String(format: "%06d", $0))" }
            let rows =
                numbers.enumerated().map { index, e164 in NewRow.sample(index, e164: e164) }
                + (270..<275).map { NewRow.sample($0, e164: nil, status: .invalid) }
            let store = try directory.storeWithJob(provider: .verifyV2, rows: rows, extraColumns: [])
            let sent = numbers.indices.map { index in
                RowWrite(
                    sequence: index, state: .finished(.sent, attempts: 1),
                    result: ProviderResult(verdict: .sent, providerID: "VE\(index)"), timestamp: "t")
            }
            try store.commit(jobID: "j", writes: sent, requests: 270, retries: 0, sendingSeconds: 1, startedAt: "t")
            let verified = Set(Array(0..<112) + [150, 151])
            try store.recordOutcomes(
                jobID: "j", numbers.indices.map { ($0, verified.contains($0) ? .verified : .notVerified) },
                checkedAt: "u")
            try ReportWriter(store: store).write(job: try #require(try store.job(id: "j")), to: directory.path + "/r")

            let regions = try #require(try Self.summary(directory.path + "/r")["regions"] as? [[String: Any]])
            #expect(regions.map { $0["region"] as? String } == ["US", "FR", nil])
            #expect(regions.map { $0["sent"] as? Int } == [150, 120, 0])
            #expect(regions.map { $0["verified"] as? Int } == [112, 2, 0])
            #expect(regions.map { $0["possible_sms_pumping"] as? Bool } == [false, true, false])
            #expect(regions[1]["conversion_rate"] as? Double == 0.0167)
            let page = try String(contentsOfFile: directory.path + "/r/summary.html", encoding: .utf8)
            #expect(page.contains("Results per region") && page.contains("possible SMS pumping target"))
            let report = try String(contentsOfFile: directory.path + "/r/report.csv", encoding: .utf8)
            let lines = report.split(separator: "\r\n")
            #expect(lines[0].hasSuffix(",finished_at,region,time_zone"))
            #expect(lines[1].hasSuffix(",US,America/New_York") && lines[151].hasSuffix(",FR,Europe/Paris"))
            #expect(lines[271].hasSuffix(",,"), "a row without a number has neither")
        }
    }

    /// summary.json of a report folder.
    private static func summary(_ folder: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/summary.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
}
