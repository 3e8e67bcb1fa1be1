import Foundation
import Testing
import VerifyRunner

@Suite struct JobFileReaderTests {
    @Test(arguments: ["list.csv", "LIST.CSV", "list.Csv"])
    func csvExtensionGetsACSVReader(name: String) throws {
        let reader = try withTemporaryDirectory { directory in
            try makeJobFileReader(path: try directory.write("phone_number\n2025550189\n", to: name))
        }
        #expect(reader is CSVReader)
        #expect(reader.columns == ["phone_number"])
        #expect(try reader.readAll() == [.row(line: 2, "2025550189")])
    }

    @Test(arguments: ["list.jsonl", "LIST.JSONL"])
    func jsonlExtensionGetsAJSONLReader(name: String) throws {
        let reader = try withTemporaryDirectory { directory in
            try makeJobFileReader(path: try directory.write(#"{"phone_number":"2025550189"}"#, to: name))
        }
        #expect(reader is JSONLReader)
        #expect(try reader.readAll() == [.row(line: 1, "2025550189")])
        #expect(reader.columns == ["phone_number"])
    }

    @Test(arguments: ["list.txt", "list.json", "list.csv.part", "list"])
    func otherExtensionsAreRefused(name: String) throws {
        try withTemporaryDirectory { directory in
            let path = try directory.write("phone_number\n", to: name)
            #expect(throws: JobFileError(reason: "unsupported file type \"\(name)\": expected a .csv or .jsonl file")) {
                try makeJobFileReader(path: path)
            }
        }
    }

    @Test func missingFileIsAJobFileError() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path + "/missing.csv"
            #expect(throws: JobFileError(reason: "cannot open file: No such file or directory")) {
                try makeJobFileReader(path: path)
            }
        }
    }

    /// Only regular files are read: a folder (or a FIFO, which would block) is refused at open.
    @Test func aFolderIsNotARegularFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path + "/folder.csv"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            #expect(throws: JobFileError(reason: "not a regular file")) {
                try makeJobFileReader(path: path)
            }
        }
    }

    /// A symbolic link is never followed, whatever it points to.
    @Test func aSymbolicLinkIsNeverFollowed() throws {
        try withTemporaryDirectory { directory in
            let target = try directory.write("phone_number\n+12025550189\n", to: "real.csv")
            let link = directory.path + "/link.csv"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
            #expect(
                throws: JobFileError(
                    reason: "the file is a symbolic link, and verifyd never follows links: copy the file itself in")
            ) {
                try makeJobFileReader(path: link)
            }
        }
    }

    @Test func errorDescriptionNamesTheLine() {
        #expect(JobFileError(reason: "empty file: no header row").description == "empty file: no header row")
        #expect(JobFileError(reason: "bad header", line: 3).description == "line 3: bad header")
    }
}

// MARK: Helpers shared by the reader tests

extension JobFileReader {
    /// Every item the reader yields until the end of its file.
    func readAll() throws -> [InputItem] {
        var items: [InputItem] = []
        while let item = try next() {
            items.append(item)
        }
        return items
    }
}

extension InputItem {
    /// A row item starting on `line` with `values`.
    static func row(line: Int, _ values: String...) -> InputItem {
        .row(InputRow(line: line, values: values))
    }
}
