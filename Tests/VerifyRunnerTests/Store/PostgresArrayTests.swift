import Testing

@testable import VerifyRunner

/// ``PostgresArray`` in the binary format, read back by the test run's real PostgreSQL server: every element as it
/// was sent, NULLs, empty arrays, and texts that the text format would have had to quote.
@Suite struct PostgresArrayTests {
    private func connection() throws -> PostgresConnection {
        try PostgresConnection(address: try PostgresServer.shared().createDatabase())
    }

    @Test func textsComeBackAsTheyWereSent() async throws {
        try await offThePool {
            let texts: [String?] = [
                "plain", "", nil, "comma, \"quotes\" and \\backslash\\", "{braces}", "NULL", "émoji 📱 ünïcode",
                "new\nline",
                String(repeating: "x", count: 10_000),
            ]
            let result = try connection().query(
                "SELECT value, value IS NULL FROM unnest($1::text[]) WITH ORDINALITY AS t(value, n) ORDER BY n",
                PostgresArray(texts))
            #expect(result.rows.map { $0.optionalText(0) } == texts)
        }
    }

    @Test func numbersComeBackAsTheyWereSent() async throws {
        try await offThePool {
            let integers: [Int?] = [0, -1, 1, Int.max, Int.min, nil, 4_294_967_296 * 7 + 3]
            let doubles: [Double?] = [0, -2.5, 1_733_354_314.006, nil, 1e-300, .greatestFiniteMagnitude]
            let booleans: [Bool?] = [true, false, nil]
            let connection = try connection()
            let read = try connection.query("SELECT unnest($1::bigint[])", PostgresArray(integers))
            #expect(read.rows.map { $0.optionalInt(0) } == integers)
            let floats = try connection.query("SELECT unnest($1::float8[])", PostgresArray(doubles))
            #expect(floats.rows.map { $0.optionalDouble(0) } == doubles)
            let flags = try connection.query("SELECT unnest($1::bigint[])", PostgresArray(booleans))
            #expect(flags.rows.map { $0.optionalInt(0) } == [1, 0, nil])
        }
    }

    @Test func anEmptyArrayHasNoElements() async throws {
        try await offThePool {
            let result = try connection().query(
                "SELECT cardinality($1::text[]), (SELECT count(*) FROM unnest($1::text[]))", PostgresArray([String?]()))
            #expect(result[0].int(0) == 0 && result[0].int(1) == 0)
        }
    }
}
