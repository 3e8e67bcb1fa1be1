import Testing
import VerifyRunner

@Suite struct JSONLReaderTests {
    /// Reads all of `text` with a ``JSONLReader``; returns its final columns and the items.
    private func read(
        _ text: String, chunkSize: Int = 65536, maxRowBytes: Int = 65536
    ) throws -> (columns: [String], items: [InputItem]) {
        try read(bytes: Array(text.utf8), chunkSize: chunkSize, maxRowBytes: maxRowBytes)
    }

    /// Reads all of `bytes` with a ``JSONLReader``; returns its final columns and the items.
    private func read(
        bytes: [UInt8], chunkSize: Int = 65536, maxRowBytes: Int = 65536
    ) throws -> (columns: [String], items: [InputItem]) {
        let reader = try JSONLReader(bytes: bytes, chunkSize: chunkSize, maxRowBytes: maxRowBytes)
        let items = try reader.readAll()
        return (reader.columns, items)
    }

    /// A phone number written as a JSON number has lost its `+` or leading zeros: refused with the reason,
    /// whatever the key's spelling; other numbers (a country code, an id) are read as their text.
    @Test func aPhoneNumberGivenAsAJSONNumberIsUnreadable() throws {
        let (_, items) = try read(
            """
            {"phone_number": 12025550189, "country_code": 1}
            {"Phone": 2.02555E+09}
            {"phone_number": "2025550189", "country_code": 1, "customer_id": 42}
            """)
        #expect(
            items == [
                .unreadable(
                    line: 1,
                    reason: "phone_number is a JSON number (12025550189): write phone numbers as strings, "
                        + "e.g. \"+12025550189\""),
                .unreadable(
                    line: 2,
                    reason:
                        "Phone is a JSON number (2.02555E+09): write phone numbers as strings, e.g. \"+12025550189\""),
                .row(line: 3, "2025550189", "1", "42"),
            ])
    }

    /// A file that uses most rules at once: BOM, CRLF, blank lines, escapes, a non-object line, nested
    /// values, `null`, a number, no final line feed.
    static let mixed =
        "\u{FEFF}"
        + [
            #"{"phone_number":"2025550189","country_code":1}"# + "\r",  // 1
            "\r",  // 2
            "  \t",  // 3
            #"{"ref":"caf\u00e9 \"x\"","phone_number":"2025550101"}"#,  // 4
            "[1]",  // 5
            #"{"nested":{"k":[1, "]"]},"country_code":null}"#,  // 6
            #"{"phone_number":2.02555E+09}"#,  // 7
        ].joined(separator: "\n")

    static let mixedColumns = ["phone_number", "country_code", "ref", "nested"]
    static let mixedItems: [InputItem] = [
        .row(line: 1, "2025550189", "1"),
        .row(line: 4, "2025550101", "", #"café "x""#),
        .unreadable(line: 5, reason: "not a JSON object"),
        .row(line: 6, "", "", "", #"{"k":[1, "]"]}"#),
        .unreadable(
            line: 7,
            reason: "phone_number is a JSON number (2.02555E+09): write phone numbers as strings, e.g. \"+12025550189\""
        ),
    ]

    @Test(arguments: [1, 2, 3, 7, 64, 65536])
    func readsTheSameItemsWhateverTheChunkSize(chunkSize: Int) throws {
        let (columns, items) = try read(Self.mixed, chunkSize: chunkSize)
        #expect(columns == Self.mixedColumns)
        #expect(items == Self.mixedItems)
    }

    @Test func readsAFileInSmallChunks() throws {
        let (columns, items) = try withTemporaryDirectory { directory in
            let reader = try JSONLReader(path: try directory.write(Self.mixed, to: "mixed.jsonl"), chunkSize: 7)
            let items = try reader.readAll()
            return (reader.columns, items)
        }
        #expect(columns == Self.mixedColumns)
        #expect(items == Self.mixedItems)
    }

    @Test func newKeysAreAppendedInOrderAndMissingKeysAreEmpty() throws {
        let reader = try JSONLReader(
            bytes: Array(
                """
                {"phone_number":"2025550189","country_code":"1"}
                {"country_code":"44","ref":"r1","phone_number":"7700900123","via":"call"}
                {"ref":"r2"}
                {}
                """.utf8))
        #expect(reader.columns.isEmpty)
        #expect(try reader.next() == .row(line: 1, "2025550189", "1"))
        #expect(reader.columns == ["phone_number", "country_code"])
        #expect(try reader.next() == .row(line: 2, "7700900123", "44", "r1", "call"))
        #expect(reader.columns == ["phone_number", "country_code", "ref", "via"])
        #expect(try reader.next() == .row(line: 3, "", "", "r2", ""))
        #expect(try reader.next() == .row(line: 4, "", "", "", ""))
        #expect(try reader.next() == nil)
    }

    @Test func numbersKeepTheirLiteralText() throws {
        let (_, items) = try read(#"{"a":2025550189,"b":2.02555E+09,"c":-0.5e-3,"d":0,"e":1E2}"#)
        #expect(items == [.row(line: 1, "2025550189", "2.02555E+09", "-0.5e-3", "0", "1E2")])
    }

    @Test func stringEscapesAreDecoded() throws {
        let (_, items) = try read(
            #"{"s":"q\"b\\s\/n\nt\tr\rb\bf\f","u":"\u00e9\u20AC","p":"\ud83d\ude00","z":"a\u0000b"}"#)
        #expect(items == [.row(line: 1, "q\"b\\s/n\nt\tr\rb\u{8}f\u{C}", "é€", "😀", "a\u{0}b")])
    }

    @Test func unescapedKeysNameTheColumns() throws {
        let (columns, _) = try read(#"{"k\u0041":1,"caf\u00e9":2}"#)
        #expect(columns == ["kA", "café"])
    }

    @Test func literalsBecomeText() throws {
        let (_, items) = try read(#"{"t":true,"f":false,"n":null}"#)
        #expect(items == [.row(line: 1, "true", "false", "")])
    }

    @Test func nestedValuesKeepTheirRawText() throws {
        let (_, items) = try read(#"{"o":{"k": [1, {"x":"a\"}"}]} ,"a":[ ],"e":{},"s":"after"}"#)
        #expect(items == [.row(line: 1, #"{"k": [1, {"x":"a\"}"}]}"#, "[ ]", "{}", "after")])
    }

    @Test func repeatedKeyKeepsItsLastValue() throws {
        let (columns, items) = try read(#"{"a":"1","b":"2","a":"3"}"#)
        #expect(columns == ["a", "b"])
        #expect(items == [.row(line: 1, "3", "2")])
    }

    @Test(
        arguments: [
            (#"{"a":1 "b":2}"#, "invalid JSON: expected ',' or '}' at column 8"),
            (#"{"a":1,}"#, "invalid JSON: expected a quoted key at column 8"),
            (#"{a:1}"#, "invalid JSON: expected a quoted key at column 2"),
            (#"{"a" 1}"#, "invalid JSON: expected ':' at column 6"),
            (#"{"a":01}"#, "invalid JSON: expected ',' or '}' at column 7"),
            (#"{"a":1.}"#, "invalid JSON: expected a digit at column 8"),
            (#"{"a":-}"#, "invalid JSON: expected a digit at column 7"),
            (#"{"a":tru}"#, "invalid JSON: expected a value at column 6"),
            (#"{"a":"x\qy"}"#, "invalid JSON: invalid escape at column 8"),
            (#"{"a":"\u00"}"#, "invalid JSON: invalid escape at column 7"),
            (#"{"a":"\ud83d"}"#, "invalid JSON: unpaired surrogate at column 7"),
            (#"{"a":"\ude00"}"#, "invalid JSON: unpaired surrogate at column 7"),
            ("{\"a\":\"tab\there\"}", "invalid JSON: control character in string at column 10"),
            (#"{"a":"open}"#, "invalid JSON: unterminated string at column 6"),
            (#"{"a":1"#, "invalid JSON: expected ',' or '}' at end of line"),
            (#"{"a":[1,2}"#, "invalid JSON: expected ',' or ']' at column 10"),
            (#"{"a":1,"b":{"c":}}"#, "invalid JSON: expected a value at column 17"),
            (#"{"a":1} x"#, "invalid JSON: unexpected text after the object at column 9"),
            (#"{"a":1}{"b":2}"#, "invalid JSON: unexpected text after the object at column 8"),
            (#"[{"a":1}]"#, "not a JSON object"),
            (#""x""#, "not a JSON object"),
            ("42", "not a JSON object"),
            ("phone_number,country_code", "not a JSON object"),
        ])
    func invalidLineIsUnreadableAndReadingGoesOn(line: String, reason: String) throws {
        let (columns, items) = try read(line + "\n" + #"{"ok":"yes"}"#)
        #expect(items == [.unreadable(line: 1, reason: reason), .row(line: 2, "yes")])
        #expect(columns == ["ok"])
    }

    @Test func deepNestingIsRefused() throws {
        let deep = #"{"a":"# + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "}"
        let (_, items) = try read(deep)
        #expect(items == [.unreadable(line: 1, reason: "invalid JSON: nesting deeper than 64 levels at column 70")])
    }

    @Test func invalidUTF8LineIsUnreadableAndReadingGoesOn() throws {
        let bytes = Array(#"{"a":""#.utf8) + [0xE9] + Array(#""}"#.utf8) + [0x0A] + Array(#"{"a":"é"}"#.utf8)
        let (_, items) = try read(bytes: bytes)
        #expect(items == [.unreadable(line: 1, reason: "invalid UTF-8 at byte 7"), .row(line: 2, "é")])
    }

    @Test(arguments: [1, 7, 65536])
    func overLongLineIsUnreadableAndReadingGoesOn(chunkSize: Int) throws {
        let text = """
            {"a":"0123456789abcdefghij"}
            {"a":"0123456789"}
            {"a":"0123456789abcdefghijklmnopqrstuvwxyz"}
            """
        let (_, items) = try read(text, chunkSize: chunkSize, maxRowBytes: 20)
        #expect(
            items == [
                .unreadable(line: 1, reason: "line longer than 20 bytes"),
                .row(line: 2, "0123456789"),
                .unreadable(line: 3, reason: "line longer than 20 bytes"),
            ])
    }

    @Test(arguments: ["", "\n", " \r\n\t\n", "\u{FEFF}", "\u{FEFF}\r\n"])
    func fileWithoutObjectsIsRefused(text: String) {
        #expect(throws: JobFileError(reason: "empty file: no JSON object")) {
            try JSONLReader(bytes: Array(text.utf8))
        }
    }

    @Test func utf16IsRefused() {
        #expect(throws: JobFileError(reason: "UTF-16 text is not supported: save the file as UTF-8")) {
            try JSONLReader(bytes: [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00])
        }
    }
}
