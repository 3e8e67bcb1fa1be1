/// A one-dimensional PostgreSQL array, for passing a whole batch as one parameter to `unnest`: one statement and
/// one round trip for a batch, instead of one per row.
///
/// It travels in PostgreSQL's binary format (`array_send`'s layout), not as text: the server then copies each
/// element instead of tokenizing, unquoting and converting it, which is most of what a group commit costs in the
/// text format. The statement must name the array's type in a cast (`$1::bigint[]`, `$2::text[]`,
/// `$3::float8[]`), and the elements must be of that type (``PostgresArrayElement``). Source: PostgreSQL
/// documentation, "Array Input and Output Syntax" and the binary I/O of `src/backend/utils/adt/arrayfuncs.c`
/// (`array_recv`), and libpq's `PQexecPrepared` with binary parameter formats,
/// <https://www.postgresql.org/docs/current/libpq-exec.html>.
struct PostgresArray: PostgresParameter {
    /// The array in the binary format.
    let bytes: [UInt8]

    /// An array of `values`; `nil` is NULL.
    init<Element: PostgresArrayElement>(_ values: [Element?]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(20 + values.count * 12)
        bytes.appendBigEndian(Int32(values.isEmpty ? 0 : 1))  // dimensions
        bytes.appendBigEndian(Int32(values.contains { $0 == nil } ? 1 : 0))  // has NULLs
        bytes.appendBigEndian(Element.postgresTypeOID)
        if !values.isEmpty {
            bytes.appendBigEndian(Int32(values.count))  // the dimension's length
            bytes.appendBigEndian(Int32(1))  // its lower bound
        }
        for value in values {
            guard let value else {
                bytes.appendBigEndian(Int32(-1))
                continue
            }
            // The element's length comes first: written as 0, then set once the element is in.
            let lengthAt = bytes.count
            bytes.appendBigEndian(Int32(0))
            value.appendPostgresBinary(to: &bytes)
            let length = UInt32(bytes.count - lengthAt - 4)
            for index in 0..<4 { bytes[lengthAt + index] = UInt8(truncatingIfNeeded: length >> (24 - 8 * index)) }
        }
        self.bytes = bytes
    }

    var postgresValue: PostgresValue { .binary(bytes) }
}

/// A value that can be an element of a ``PostgresArray``: its type and its binary form.
protocol PostgresArrayElement {
    /// The element type's OID in `pg_type` (`int8` 20, `text` 25, `float8` 701).
    static var postgresTypeOID: UInt32 { get }

    /// Appends the value in its type's binary format (`int8send`, `textsend`, `float8send`).
    func appendPostgresBinary(to bytes: inout [UInt8])
}

extension Int: PostgresArrayElement {
    static var postgresTypeOID: UInt32 { 20 }
    func appendPostgresBinary(to bytes: inout [UInt8]) { bytes.appendBigEndian(Int64(self)) }
}

extension Bool: PostgresArrayElement {
    // An INTEGER 0 or 1, as in the SQLite store: a `bigint[]` element, cast on assignment.
    static var postgresTypeOID: UInt32 { 20 }
    func appendPostgresBinary(to bytes: inout [UInt8]) { bytes.appendBigEndian(Int64(self ? 1 : 0)) }
}

extension Double: PostgresArrayElement {
    static var postgresTypeOID: UInt32 { 701 }
    func appendPostgresBinary(to bytes: inout [UInt8]) { bytes.appendBigEndian(bitPattern) }
}

extension String: PostgresArrayElement {
    static var postgresTypeOID: UInt32 { 25 }
    func appendPostgresBinary(to bytes: inout [UInt8]) { bytes += utf8 }
}

extension Array where Element == UInt8 {
    /// Appends `value` in network byte order.
    fileprivate mutating func appendBigEndian<Value: FixedWidthInteger>(_ value: Value) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
