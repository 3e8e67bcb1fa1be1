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
    var postgresText: String {
        var text = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
            guard let element else {
                text += "NULL"
                continue
            }
            text += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}
