/// One statement both stores run as it stands, written once with SQLite's parameters (`?`) and, for PostgreSQL,
/// with the same parameters numbered (`$1`, `$2`, …), converted once when the statement is first used.
struct StoreStatement: Sendable {
    /// The text with `?` parameters, for ``SQLiteJobStore``.
    let sqlite: String
    /// The text with `$1`…`$n` parameters, for ``PostgresJobStore``.
    let postgres: String

    /// The statement `sql`, written with `?` parameters.
    init(_ sql: String) {
        sqlite = sql
        postgres = StoreSQL.numbered(sql)
    }
}

/// The statements both stores run alike, written once. Statements whose SQL differs between the two (the lease
/// of ranges, the group commit, anything on the database's clock) stay in their store.
enum StoreSQL {
    /// The number of job `?` (its id).
    static let jobNumber = StoreStatement("SELECT number FROM jobs WHERE id = ?")

    /// Deletes the rows of a job's key range (`?` to `?`).
    static let deleteRows = StoreStatement("DELETE FROM job_rows WHERE id BETWEEN ? AND ?")

    /// The rows of a job's key range (`?` to `?`) that will still start a verification.
    static let verificationsToStart = StoreStatement(
        "SELECT count(*) FROM job_rows WHERE id BETWEEN ? AND ? AND state != 'finished' AND code IS NULL")

    /// The rows of a job's key range (`?` to `?`) without a final status.
    static let unfinishedRows = StoreStatement(
        "SELECT count(*) FROM job_rows WHERE id BETWEEN ? AND ? AND state != 'finished'")

    /// The rows of a job's key range (`?` to `?`) per final status (`final_status`, `unfinished` for rows without
    /// one), and how many (`row_count`).
    static let statusCounts = StoreStatement(
        """
        SELECT COALESCE(status, 'unfinished') AS final_status, count(*) AS row_count FROM job_rows
        WHERE id BETWEEN ? AND ? GROUP BY 1
        """)

    /// The answered requests of job number `?` per wall-clock second, in time order.
    static let requestsPerSecond = StoreStatement(
        "SELECT second, requests FROM job_request_seconds WHERE job_number = ? ORDER BY second")

    /// The answered requests of every job from second `?` to second `?`.
    static let answeredRequests = StoreStatement(
        "SELECT COALESCE(sum(requests), 0) FROM job_request_seconds WHERE second BETWEEN ? AND ?")

    /// The rows of a job's key range (`?` to `?`) whose start the API accepted, as ``SentRowColumns``, in order.
    static let sentRows = StoreStatement(
        """
        SELECT \(StoredRecords.sentRowColumns) FROM job_rows
        WHERE id BETWEEN ? AND ? AND status = 'sent' ORDER BY id
        """)

    /// The rows of a job's key range (`?` to `?`) whose last answer was an error, counted per error code and
    /// final status, most frequent first, as ``ErrorCodeCountColumns``.
    static let errorCodeBreakdown = StoreStatement(
        """
        SELECT COALESCE(error_code, 'http_' || http_status) AS code, COALESCE(status, 'unfinished') AS final_status,
               count(*) AS row_count, max(http_status) AS max_http_status, min(message) AS sample_message
        FROM job_rows
        WHERE id BETWEEN ? AND ? AND (error_code IS NOT NULL OR http_status NOT BETWEEN 200 AND 299)
        GROUP BY 1, 2 ORDER BY 3 DESC, 1
        """)

    /// `sql` with each `?` parameter replaced by `$1`, `$2`, … in order. A `?` inside a string literal (`'…'`,
    /// where `''` is a quote) or a quoted name (`"…"`) is text, not a parameter, and stays.
    static func numbered(_ sql: String) -> String {
        var result = ""
        var quote: Character?
        var parameter = 0
        for character in sql {
            if let open = quote {
                // A doubled quote closes and reopens: the text stays quoted, as it should.
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "?" {
                parameter += 1
                result += "$\(parameter)"
                continue
            }
            result.append(character)
        }
        return result
    }
}
