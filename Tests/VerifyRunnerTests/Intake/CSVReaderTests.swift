import Testing
import VerifyRunner

@Suite struct CSVReaderTests {
    /// Reads all of `text` with a ``CSVReader``; returns its final columns and the items.
    private func read(
        _ text: String, chunkSize: Int = 65536, maxRowBytes: Int = 65536
    ) throws -> (columns: [String], items: [InputItem]) {
        try read(bytes: Array(text.utf8), chunkSize: chunkSize, maxRowBytes: maxRowBytes)
    }

    /// Reads all of `bytes` with a ``CSVReader``; returns its final columns and the items.
    private func read(
        bytes: [UInt8], chunkSize: Int = 65536, maxRowBytes: Int = 65536
    ) throws -> (columns: [String], items: [InputItem]) {
        let reader = try CSVReader(bytes: bytes, chunkSize: chunkSize, maxRowBytes: maxRowBytes)
        let items = try reader.readAll()
        return (reader.columns, items)
    }

    /// A file that uses most rules at once: BOM, CRLF, a blank and a whitespace-only line, quoted
    /// delimiters, a quoted line break, doubled quotes, a short row, an extra field, no final line feed.
    static let mixed =
        "\u{FEFF}phone_number, country_code ,ref\r\n"  // 1
        + "2025550189,1,a\r\n"  // 2
        + "\r\n"  // 3
        + "\"(202) 555-0100\",1,\"x, y\"\r\n"  // 4
        + "2025550101,1,\"multi\r\nline \"\"quoted\"\"\"\r\n"  // 5-6
        + "   \t\r\n"  // 7
        + "2025550102,44\r\n"  // 8
        + "2025550103,1,r,extra\r\n"  // 9
        + "2025550104,1,last"  // 10

    static let mixedColumns = ["phone_number", "country_code", "ref", "column_4"]
    static let mixedItems: [InputItem] = [
        .row(line: 2, "2025550189", "1", "a"),
        .row(line: 4, "(202) 555-0100", "1", "x, y"),
        .row(line: 5, "2025550101", "1", "multi\r\nline \"quoted\""),
        .row(line: 8, "2025550102", "44", ""),
        .row(line: 9, "2025550103", "1", "r", "extra"),
        .row(line: 10, "2025550104", "1", "last", ""),
    ]

    @Test(arguments: [1, 2, 3, 7, 64, 65536])
    func readsTheSameItemsWhateverTheChunkSize(chunkSize: Int) throws {
        let (columns, items) = try read(Self.mixed, chunkSize: chunkSize)
        #expect(columns == Self.mixedColumns)
        #expect(items == Self.mixedItems)
    }

    @Test func readsAFileInSmallChunks() throws {
        let (columns, items) = try withTemporaryDirectory { directory in
            let reader = try CSVReader(path: try directory.write(Self.mixed, to: "mixed.csv"), chunkSize: 7)
            let items = try reader.readAll()
            return (reader.columns, items)
        }
        #expect(columns == Self.mixedColumns)
        #expect(items == Self.mixedItems)
    }

    @Test func skipsTheByteOrderMark() throws {
        let (columns, items) = try read("\u{FEFF}phone_number\n2025550189\n")
        #expect(columns == ["phone_number"])
        #expect(items == [.row(line: 2, "2025550189")])
    }

    @Test func crlfIsNotPartOfValuesButALoneCRInQuotesIs() throws {
        let (_, items) = try read("a,b\r\n\"x\ry\",z\r\n1,2\r")
        #expect(items == [.row(line: 2, "x\ry", "z"), .row(line: 3, "1", "2")])
    }

    @Test func quotedFieldsKeepDelimitersAndDoubledQuotes() throws {
        let (_, items) = try read("a,b,c\n\"1,2\",\"say \"\"hi\"\"\",\"\"\"\"\n\"\",x,\n")
        #expect(items == [.row(line: 2, "1,2", "say \"hi\"", "\""), .row(line: 3, "", "x", "")])
    }

    @Test func quotedLineBreaksKeepPhysicalLineNumbers() throws {
        let (_, items) = try read("a,b\n\"first\nsecond\nthird\",1\nx,2\n\n\"p\r\nq\",3\ny,4\n")
        #expect(
            items == [
                .row(line: 2, "first\nsecond\nthird", "1"),
                .row(line: 5, "x", "2"),
                .row(line: 7, "p\r\nq", "3"),
                .row(line: 9, "y", "4"),
            ])
    }

    @Test func blankAndWhitespaceOnlyLinesAreSkipped() throws {
        let (columns, items) = try read("\n  \r\nphone_number\n\n \t \n2025550189\r\n\t\n")
        #expect(columns == ["phone_number"])
        #expect(items == [.row(line: 6, "2025550189")])
    }

    @Test func extraFieldsGetGeneratedColumnNames() throws {
        let reader = try CSVReader(bytes: Array("a,b\n1,2,3\n4,5,6,7\n8\n".utf8))
        #expect(try reader.next() == .row(line: 2, "1", "2", "3"))
        #expect(reader.columns == ["a", "b", "column_3"])
        #expect(try reader.next() == .row(line: 3, "4", "5", "6", "7"))
        #expect(reader.columns == ["a", "b", "column_3", "column_4"])
        #expect(try reader.next() == .row(line: 4, "8", "", "", ""))
        #expect(try reader.next() == nil)
    }

    @Test func shortRowsArePadded() throws {
        let (_, items) = try read("a,b,c\n1\n2,\n")
        #expect(items == [.row(line: 2, "1", "", ""), .row(line: 3, "2", "", "")])
    }

    @Test func headerNamesAreTrimmedButValuesAreNot() throws {
        // Given the separator: by count, the header's padding tabs would make it a tab-separated file.
        let reader = try CSVReader(
            bytes: Array(" phone_number ,\tcountry_code\t\n 202 , 1 \n".utf8), delimiter: UInt8(ascii: ","))
        let items = try reader.readAll()
        #expect(reader.columns == ["phone_number", "country_code"])
        #expect(items == [.row(line: 2, " 202 ", " 1 ")])
    }

    @Test(arguments: ["phone_number,country_code\n", "phone_number,country_code", "phone_number\r\n\r\n \n"])
    func headerOnlyHasNoRows(text: String) throws {
        let (columns, items) = try read(text)
        #expect(columns.first == "phone_number")
        #expect(items.isEmpty)
    }

    @Test(arguments: ["", "\n", "\r\n\r\n", "  \t\n\n ", "\u{FEFF}"])
    func fileWithoutHeaderIsRefused(text: String) {
        #expect(throws: JobFileError(reason: "empty file: no header row")) {
            try CSVReader(bytes: Array(text.utf8))
        }
    }

    @Test(arguments: [[0xFF, 0xFE, 0x61, 0x00], [0xFE, 0xFF, 0x00, 0x61]] as [[UInt8]])
    func utf16IsRefused(bytes: [UInt8]) {
        #expect(throws: JobFileError(reason: "UTF-16 text is not supported: save the file as UTF-8")) {
            try CSVReader(bytes: bytes)
        }
    }

    @Test func badHeaderIsAJobFileError() {
        #expect(throws: JobFileError(reason: "invalid UTF-8 at byte 2 in the header row", line: 2)) {
            try CSVReader(bytes: Array("\n".utf8) + [0x61, 0xC3, 0x28])
        }
        #expect(throws: JobFileError(reason: "unterminated quoted field in the header row", line: 1)) {
            try CSVReader(bytes: Array("a,\"b\n1,2\n".utf8))
        }
        #expect(throws: JobFileError(reason: "header row longer than 8 bytes", line: 1)) {
            try CSVReader(bytes: Array("abcd,efgh\n1,2\n".utf8), maxRowBytes: 8)
        }
    }

    /// An unterminated quote reports its line; the lines after it are read as rows, not swallowed.
    @Test(arguments: [1, 5, 65536])
    func unterminatedQuoteReportsItsLineAndTheRestOfTheFileIsRead(chunkSize: Int) throws {
        let (_, items) = try read("a,b\n1,2\n3,\"open\n4,5\n\n6,7", chunkSize: chunkSize)
        #expect(
            items == [
                .row(line: 2, "1", "2"),
                .unreadable(line: 3, reason: "unterminated quoted field: a quote opened on this line is never closed"),
                .row(line: 4, "4", "5"),
                .row(line: 6, "6", "7"),
            ])
    }

    /// Excel in many locales writes `;`, and tab-separated exports are common: the header line decides.
    @Test(arguments: [
        ("phone_number;country_code;name\n2025550189;1;\"a;b\"\n", UInt8(ascii: ";")),
        ("phone_number\tcountry_code\tname\n2025550189\t1\ta;b\n", UInt8(ascii: "\t")),
        ("\n\"phone;number\",country_code,name\n2025550189,1,a;b\n", UInt8(ascii: ",")),
    ])
    func theSeparatorIsDetectedFromTheHeaderLine(text: String, separator: UInt8) throws {
        for chunkSize in [1, 7, 65536] {
            let reader = try CSVReader(bytes: Array(text.utf8), chunkSize: chunkSize)
            #expect(reader.delimiter == separator)
            #expect(reader.columns.count == 3)
            let items = try reader.readAll()
            #expect(items == [.row(line: text.hasPrefix("\n") ? 3 : 2, "2025550189", "1", "a;b")])
        }
    }

    /// A separator that is given is used as is.
    @Test func aGivenSeparatorIsUsed() throws {
        let reader = try CSVReader(bytes: Array("a;b,c\n1;2,3\n".utf8), delimiter: UInt8(ascii: ","))
        #expect(reader.columns == ["a;b", "c"])
    }

    @Test(
        arguments: [
            ([0xFF], 3),  // never valid
            ([0xC3, 0x28], 3),  // lead byte without continuation
            ([0xC0, 0x80], 3),  // overlong encoding of NUL
            ([0xED, 0xA0, 0x80], 3),  // UTF-16 surrogate
            ([0xF4, 0x90, 0x80, 0x80], 3),  // above U+10FFFF
            ([0x61, 0x62, 0xE2, 0x82], 5),  // truncated at the end of the row
        ] as [([UInt8], Int)])
    func invalidUTF8RowIsUnreadableAndReadingGoesOn(badBytes: [UInt8], byte: Int) throws {
        let bytes = Array("a,b\n1,".utf8) + badBytes + Array("\n2,ok é\n".utf8)
        let (_, items) = try read(bytes: bytes)
        #expect(
            items == [
                .unreadable(line: 2, reason: "invalid UTF-8 at byte \(byte)"),
                .row(line: 3, "2", "ok é"),
            ])
    }

    @Test(arguments: [1, 7, 65536])
    func overLongLineIsUnreadableAndReadingGoesOn(chunkSize: Int) throws {
        let text = "a,b\n1,0123456789abcdef\r\n2,0123456789abcd\n3,\"quoted\"\n4,0123456789abcdef0123"
        let (_, items) = try read(text, chunkSize: chunkSize, maxRowBytes: 16)
        #expect(
            items == [
                .unreadable(line: 2, reason: "line longer than 16 bytes"),
                .row(line: 3, "2", "0123456789abcd"),
                .row(line: 4, "3", "quoted"),
                .unreadable(line: 5, reason: "line longer than 16 bytes"),
            ])
    }

    @Test func overLongQuotedRecordResumesAtTheNextPhysicalLine() throws {
        // The limit is reached on line 3, inside the quotes; reading resumes on line 4 with fresh state,
        // so the rest of the quoted field is read as a row of its own.
        let text = "a,b\n1,\"abc\ndefghijk\nlmnop\"\n2,ok\n"
        let (_, items) = try read(text, chunkSize: 3, maxRowBytes: 12)
        #expect(
            items == [
                .unreadable(line: 2, reason: "line longer than 12 bytes"),
                .row(line: 4, "lmnop\"", ""),
                .row(line: 5, "2", "ok"),
            ])
    }

    @Test func quotesOutsideRFC4180AreReadLeniently() throws {
        let (_, items) = try read("a,b,c\nab\"c,\"x\"y\"z,\"q\" \n")
        #expect(items == [.row(line: 2, "ab\"c", "xy\"z", "q ")])
    }

    @Test func delimiterIsConfigurable() throws {
        let reader = try CSVReader(bytes: Array("a;b\n\"1;2\";3,4\n".utf8), delimiter: UInt8(ascii: ";"))
        #expect(reader.delimiter == UInt8(ascii: ";"))
        #expect(reader.columns == ["a", "b"])
        #expect(try reader.readAll() == [.row(line: 2, "1;2", "3,4")])
    }
}
