/// A one-dimensional PostgreSQL array in its text form (`{"a","b",NULL}`), for passing a whole batch as one
/// parameter to `unnest`: one statement and one round trip for a batch, instead of one per row.
struct PostgresArray: PostgresParameter {
    /// The elements, each in PostgreSQL's text form; `nil` is NULL.
    let elements: [String?]

    /// An array of `values`, each converted with ``PostgresParameter/postgresText``.
    init<Value>(_ values: [Value?]) where Value: PostgresParameter {
        elements = values.map { $0?.postgresText }
    }

    /// Every element quoted, with `"` and `\` escaped, so commas, braces and spaces inside texts are kept.
    /// Built byte by byte: an intake batch is tens of thousands of elements.
    var postgresText: String {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
        var bytes: [UInt8] = [UInt8(ascii: "{")]
        bytes.reserveCapacity(elements.count * 16 + 2)
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            guard let element else {
                bytes += "NULL".utf8
                continue
            }
            bytes.append(quote)
            for byte in element.utf8 {
                if byte == quote || byte == backslash { bytes.append(backslash) }
                bytes.append(byte)
            }
            bytes.append(quote)
        }
        bytes.append(UInt8(ascii: "}"))
        return String(decoding: bytes, as: UTF8.self)
    }
}
