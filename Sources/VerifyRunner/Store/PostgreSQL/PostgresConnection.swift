import CLibPQ
import Foundation

/// One libpq connection to a PostgreSQL server: runs SQL with parameters in text format and reads the
/// results. Not thread-safe: ``PostgresJobStore`` owns its connections on its serial queue.
///
/// The address is libpq's own (`postgresql://USER@HOST:PORT/DB` or `key=value` pairs); libpq reads the
/// password from `PGPASSWORD` or `~/.pgpass` itself, so no password passes through verifyd's arguments.
final class PostgresConnection {
    private var handle: OpaquePointer?
    /// The address the connection was opened with, for reconnecting.
    private let address: String
    /// The statements prepared on this session, by SQL text: each is parsed and planned by the server once,
    /// not at every group commit.
    private var prepared: [String: String] = [:]

    /// Connects to `address`.
    ///
    /// - Throws: ``PostgresError`` when the server cannot be reached or refuses the connection.
    init(address: String) throws(PostgresError) {
        self.address = address
        handle = PQconnectdb(address)
        try checkConnected()
        try execute("SET client_min_messages = warning")
    }

    deinit { PQfinish(handle) }

    /// Whether the connection is still up, as libpq last saw it.
    var isConnected: Bool { PQstatus(handle) == CONNECTION_OK }

    /// Opens the connection again after it was lost (the server restarted, the network dropped).
    func reconnect() throws(PostgresError) {
        prepared.removeAll()
        PQreset(handle)
        try checkConnected()
        try execute("SET client_min_messages = warning")
    }

    private func checkConnected() throws(PostgresError) {
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                message: Self.trimmed(PQerrorMessage(handle)), sqlState: nil, sql: nil,
                connectionLost: true)
        }
    }

    /// Runs one or more statements without parameters (schema changes, `BEGIN`, `COMMIT`).
    func execute(_ sql: String) throws(PostgresError) {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs one statement with `parameters` as `$1`, `$2`, … (`nil` is NULL) and returns its rows.
    @discardableResult
    func query(_ sql: String, _ parameters: (any PostgresParameter)?...) throws(PostgresError) -> PostgresResult {
        try query(sql, parameters: parameters)
    }

    /// ``query(_:_:)`` with the parameters as an array.
    @discardableResult
    func query(_ sql: String, parameters: [(any PostgresParameter)?]) throws(PostgresError) -> PostgresResult {
        // Each value in memory of its own (text NUL-terminated), with its length and format (0 text, 1 binary).
        var lengths: [Int32] = []
        var formats: [Int32] = []
        let buffers: [UnsafeMutablePointer<CChar>?] = parameters.map { parameter in
            switch parameter?.postgresValue {
            case nil:
                lengths.append(0)
                formats.append(0)
                return nil
            case .text(let text):
                lengths.append(0)
                formats.append(0)
                return strdup(text)
            case .binary(let bytes):
                lengths.append(Int32(bytes.count))
                formats.append(1)
                // malloc, like strdup, so that one free() releases every buffer.
                let buffer = malloc(max(1, bytes.count))
                bytes.withUnsafeBytes { source in
                    if let start = source.baseAddress { buffer?.copyMemory(from: start, byteCount: source.count) }
                }
                return buffer?.assumingMemoryBound(to: CChar.self)
            }
        }
        defer { buffers.forEach { free($0) } }
        let values = buffers.map { UnsafePointer<CChar>($0) }
        let name = try preparedName(of: sql, parameterCount: values.count)
        let result = values.withUnsafeBufferPointer { buffer in
            PQexecPrepared(handle, name, Int32(buffer.count), buffer.baseAddress, lengths, formats, 0)
        }
        do throws(PostgresError) {
            try check(result, sql: sql)
        } catch {
            PQclear(result)
            throw error
        }
        // Non-nil: check throws for a nil result.
        return PostgresResult(handle: result.unsafelyUnwrapped)
    }

    /// The name `sql` is prepared under on this session, preparing it on first use.
    private func preparedName(of sql: String, parameterCount: Int) throws(PostgresError) -> String {
        if let name = prepared[sql] { return name }
        let name = "verifyd_\(prepared.count + 1)"
        let result = PQprepare(handle, name, sql, Int32(parameterCount), nil)
        defer { PQclear(result) }
        try check(result, sql: sql)
        prepared[sql] = name
        return name
    }

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isConnected { try? execute("ROLLBACK") }
            throw error
        }
    }

    private func check(_ result: OpaquePointer?, sql: String) throws(PostgresError) {
        let status = PQresultStatus(result)
        guard result == nil || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) else { return }
        let message = result.map { Self.trimmed(PQresultErrorMessage($0)) } ?? ""
        let sqlState = result.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) }
        throw PostgresError(
            message: message.isEmpty ? Self.trimmed(PQerrorMessage(handle)) : message, sqlState: sqlState, sql: sql,
            connectionLost: !isConnected)
    }

    private static func trimmed(_ message: UnsafePointer<CChar>?) -> String {
        message.map { String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown error"
    }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}

/// The rows a statement returned, read by row and column (both 0-based); values arrive as text.
final class PostgresResult: StoredColumnNames {
    private let handle: OpaquePointer

    init(handle: OpaquePointer) { self.handle = handle }

    deinit { PQclear(handle) }

    /// How many rows came back.
    var count: Int { Int(PQntuples(handle)) }

    /// How many rows an `INSERT`, `UPDATE` or `DELETE` touched.
    var affectedRows: Int { Int(String(cString: PQcmdTuples(handle))) ?? 0 }

    /// Row `index`.
    subscript(index: Int) -> PostgresRow { PostgresRow(result: self, row: Int32(index)) }

    /// Every row, in order.
    var rows: [PostgresRow] { (0..<count).map { self[$0] } }

    /// The position of the result column named `name` (`PQfnumber`), `nil` when there is none.
    func position(ofColumn name: String) -> Int32? {
        let position = PQfnumber(handle, name)
        return position < 0 ? nil : position
    }

    fileprivate func isNull(_ row: Int32, _ column: Int32) -> Bool { PQgetisnull(handle, row, column) == 1 }

    fileprivate func text(_ row: Int32, _ column: Int32) -> String { String(cString: PQgetvalue(handle, row, column)) }
}

/// One row of a ``PostgresResult``.
struct PostgresRow: StoredColumns {
    fileprivate let result: PostgresResult
    fileprivate let row: Int32

    func text(_ index: Int32) -> String { result.text(row, index) }
    func optionalText(_ index: Int32) -> String? { result.isNull(row, index) ? nil : text(index) }
    func int(_ index: Int32) -> Int { Int(text(index)) ?? 0 }
    func optionalInt(_ index: Int32) -> Int? { result.isNull(row, index) ? nil : int(index) }
    func optionalDouble(_ index: Int32) -> Double? { result.isNull(row, index) ? nil : Double(text(index)) }
}

/// A value verifyd passes to PostgreSQL as a statement parameter.
protocol PostgresParameter {
    /// The value as PostgreSQL reads it.
    var postgresValue: PostgresValue { get }
}

/// A parameter's value in one of PostgreSQL's two formats.
enum PostgresValue {
    /// The text format, as `psql` would write the value.
    case text(String)
    /// The binary format of the parameter's type (``PostgresArray``).
    case binary([UInt8])
}

extension String: PostgresParameter {
    var postgresValue: PostgresValue { .text(self) }
}

extension Int: PostgresParameter {
    var postgresValue: PostgresValue { .text(String(self)) }
}

extension Double: PostgresParameter {
    // Swift's shortest round-trip form, which PostgreSQL's float8 input reads back exactly.
    var postgresValue: PostgresValue { .text("\(self)") }
}

extension Bool: PostgresParameter {
    // Stored as an INTEGER 0 or 1, as in the SQLite store.
    var postgresValue: PostgresValue { .text(self ? "1" : "0") }
}

/// A failed PostgreSQL call: the server's message, its SQLSTATE code, and the statement.
public struct PostgresError: StoreError, Sendable {
    /// The server's (or libpq's) message.
    public var message: String
    /// The five-character SQLSTATE, when the server sent one (e.g. `23505`, a unique key taken).
    public var sqlState: String?
    /// The statement, when one was involved.
    public var sql: String?
    /// Whether the connection was lost (or never made): the work may be tried again once it is back.
    public var connectionLost: Bool

    /// One line naming what failed, e.g. `PostgreSQL: relation "jobs" does not exist (SQLSTATE 42P01, while
    /// running: SELECT …)`.
    public var description: String {
        var text = "PostgreSQL: \(message)"
        var details: [String] = []
        if let sqlState { details.append("SQLSTATE \(sqlState)") }
        if let sql { details.append("while running: \(sql.prefix(80))") }
        if !details.isEmpty { text += " (" + details.joined(separator: ", ") + ")" }
        return text
    }
}
