import Foundation
import Testing

@testable import VerifyRunner

@Suite struct SpoolScannerTests {
    /// Runs `body` with a prepared spool in a fresh temporary folder.
    private func withTemporarySpool(_ body: (Spool, SpoolScanner, TemporaryDirectory) throws -> Void) throws {
        try withTemporaryDirectory { directory in
            let spool = Spool(root: directory.path)
            try spool.prepare()
            try body(spool, SpoolScanner(spool: spool), directory)
        }
    }

    @Test(arguments: [
        ("list.csv", true), ("LIST.JSONL", true), (".hidden.csv", false), ("list.csv.tmp", false),
        ("list.csv.part", false), ("notes.txt", false), ("list.xlsx", false),
    ])
    func candidateNames(name: String, isCandidate: Bool) {
        #expect(SpoolScanner.isCandidate(name) == isCandidate)
    }

    /// Regular files and symbolic links (to be rejected, never followed) are candidates; folders are not.
    @Test func claimsRegularFilesAndLinksOnlyAndOnce() throws {
        try withTemporarySpool { spool, scanner, directory in
            try directory.write("phone_number\n", to: "incoming/b.csv")
            try directory.write("phone_number\n", to: "incoming/a list.csv")
            try directory.write("x", to: "elsewhere.csv")
            try FileManager.default.createSymbolicLink(
                atPath: spool.incoming + "/link.csv", withDestinationPath: directory.path + "/elsewhere.csv")
            try FileManager.default.createDirectory(
                atPath: spool.incoming + "/folder.csv", withIntermediateDirectories: false)
            var sightings = SpoolScanner.Sightings()
            #expect(scanner.candidates(sightings: &sightings).ready == ["a list.csv", "b.csv", "link.csv"])

            let claimed = try #require(try scanner.claim("a list.csv"))
            #expect(claimed.path == spool.processing + "/" + claimed.jobID + "--a list.csv")
            #expect(FileManager.default.fileExists(atPath: claimed.path))
            #expect(try scanner.claim("a list.csv") == nil, "a file already claimed is gone")
            #expect(scanner.candidates(sightings: &sightings).ready == ["b.csv", "link.csv"])
        }
    }

    /// A file written in place (not renamed in) is claimed only once it has not changed for the settle time.
    @Test func aFileStillChangingIsNotReadyUntilItSettles() throws {
        try withTemporarySpool { spool, scanner, directory in
            let path = try directory.write("phone_number\n", to: "incoming/growing.csv")
            let changed = try #require(
                (try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date)?
                    .timeIntervalSince1970)
            var sightings = SpoolScanner.Sightings()
            #expect(scanner.candidates(settle: 2, now: changed + 1, sightings: &sightings) == .init(settling: 1))
            #expect(scanner.candidates(settle: 2, now: changed + 2.5, sightings: &sightings).ready == ["growing.csv"])
            #expect(scanner.candidates(settle: 0, now: changed, sightings: &sightings).ready == ["growing.csv"])
        }
    }

    /// A file dated ahead of this machine's clock (a writer's clock ahead, a `touch -d`) is said once, and
    /// claimed once the scanner has seen it unchanged for the settle time; a change starts the watch again.
    @Test func aFileDatedInTheFutureSettlesByTheScannersOwnWatch() throws {
        try withTemporarySpool { spool, scanner, directory in
            let path = try directory.write("phone_number\n", to: "incoming/ahead.csv")
            let now = Date().timeIntervalSince1970
            let ahead = (now + 86_400).rounded()
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: ahead)], ofItemAtPath: path)
            var sightings = SpoolScanner.Sightings()
            #expect(
                scanner.candidates(settle: 2, now: now, sightings: &sightings)
                    == .init(settling: 1, futureDated: [.init(name: "ahead.csv", changed: ahead)]))
            #expect(scanner.candidates(settle: 2, now: now + 1.5, sightings: &sightings) == .init(settling: 1))
            try directory.write("phone_number\n+12025550119\n", to: "incoming/ahead.csv")
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: ahead)], ofItemAtPath: path)
            #expect(
                scanner.candidates(settle: 2, now: now + 2.5, sightings: &sightings) == .init(settling: 1),
                "it grew: the watch starts again")
            #expect(scanner.candidates(settle: 2, now: now + 4.5, sightings: &sightings).ready == ["ahead.csv"])
        }
    }

    @Test func orphansAreClaimedFilesWithoutAJob() throws {
        try withTemporarySpool { spool, scanner, directory in
            try directory.write("x", to: "incoming/one.csv")
            try directory.write("x", to: "incoming/two.csv")
            let one = try #require(try scanner.claim("one.csv"))
            let two = try #require(try scanner.claim("two.csv"))
            let orphans = scanner.orphans(knownJobIDs: [one.jobID])
            #expect(orphans.map(\.jobID) == [two.jobID])
            #expect(orphans.map(\.name) == ["two.csv"])
        }
    }

    @Test func movesNeverOverwrite() throws {
        try withTemporarySpool { spool, scanner, directory in
            try directory.write("old", to: "done/list.csv")
            let source = try directory.write("new", to: "processing/x--list.csv")
            let target = SpoolScanner.unusedPath(in: spool.done, name: "list.csv")
            try scanner.move(source, to: target)
            #expect(target == spool.done + "/list.2.csv")
            #expect(try String(contentsOfFile: target, encoding: .utf8) == "new")
            #expect(try String(contentsOfFile: spool.done + "/list.csv", encoding: .utf8) == "old")
        }
    }
}
