import Dispatch

/// The state store: jobs and rows in one SQLite file in WAL mode.
///
/// The store is the truth (design principle 1): a row's state changes here before the world is
/// told, and a row is marked in flight here before its request leaves the process.
///
/// One connection per process, owned by a private serial DispatchQueue: every method runs its
/// SQLite work with `queue.sync`, so callers on any Dispatch queue (never on Swift's cooperative
/// pool) see a consistent, serialised store.
///
/// Durability: `journal_mode=WAL` with `synchronous=FULL`, so every committed transaction has been
/// fsynced; results are group-committed by the scheduler, so the fsync cost is paid per batch.
public final class JobStore: @unchecked Sendable {
    // @unchecked: `connection` is not thread-safe and is only touched inside `queue.sync`.
    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "verifyd.store")
    /// The database file.
    public let path: String

    /// Opens (or creates) the store at `path` and brings its schema up to date.
    ///
    /// - Throws: ``SQLiteError`` when the file cannot be opened, is not a database, or is read-only.
    public init(path: String) throws {
        self.path = path
        connection = try SQLiteConnection(path: path)
        try connection.execute("PRAGMA busy_timeout = 5000")
        try connection.execute("PRAGMA journal_mode = WAL")
        try connection.execute("PRAGMA synchronous = FULL")
        try connection.execute("PRAGMA foreign_keys = ON")
        try Migrations.migrate(connection)
    }

    private func sync<T>(_ body: () throws -> T) throws -> T {
        try queue.sync { try body() }
    }

    // MARK: Jobs

    /// Records a newly claimed file as a job in state `intake`.
    public func createJob(id: String, fileName: String, workPath: String, createdAt: String) throws {
        try sync {
            try connection.statement(
                "INSERT INTO jobs (id, file_name, work_path, state, created_at) VALUES (?, ?, ?, 'intake', ?)"
            ).bind(id, fileName, workPath, createdAt).run()
        }
    }

    /// One job, or `nil` if there is no job with that id.
    public func job(id: String) throws -> JobRecord? {
        try sync { try readJobs(whereClause: "WHERE id = ?", id).first }
    }

    /// Every job, oldest first.
    public func jobs() throws -> [JobRecord] {
        try sync { try readJobs(whereClause: "") }
    }

    /// Jobs that are not finished, oldest first.
    public func unfinishedJobs() throws -> [JobRecord] {
        try sync { try readJobs(whereClause: "WHERE state NOT IN ('finished', 'rejected')") }
    }

    private func readJobs(whereClause: String, _ id: String? = nil) throws -> [JobRecord] {
        let statement = try connection.statement(
            """
            SELECT id, file_name, work_path, state, extra_columns, total_rows, paused_reason, created_at,
                   started_at, finished_at, requests, retries, sending_seconds
            FROM jobs \(whereClause) ORDER BY created_at, id
            """)
        if let id { try statement.bind(id) }
        var jobs: [JobRecord] = []
        while try statement.step() {
            jobs.append(
                JobRecord(
                    id: statement.text(0), fileName: statement.text(1), workPath: statement.text(2),
                    state: JobState(rawValue: statement.text(3)) ?? .paused,
                    extraColumns: ExtrasCodec.decode(statement.text(4)), totalRows: statement.int(5),
                    pausedReason: statement.optionalText(6), createdAt: statement.text(7),
                    startedAt: statement.optionalText(8), finishedAt: statement.optionalText(9),
                    requests: statement.int(10), retries: statement.int(11),
                    sendingSeconds: statement.optionalDouble(12) ?? 0))
        }
        return jobs
    }

    /// Forgets the rows of a job whose intake was interrupted, so intake can start over.
    public func restartIntake(jobID: String) throws {
        try sync {
            try connection.statement("DELETE FROM rows WHERE job_id = ?").bind(jobID).run()
        }
    }

    /// Inserts a batch of rows read by intake, in one transaction.
    ///
    /// These commits do not wait for fsync (`synchronous=NORMAL`): a job in `intake` is read again
    /// from the start after a crash, so its rows need no durability until ``finishIntake``, whose
    /// commit (`synchronous=FULL`) makes the whole write-ahead log durable, these rows included.
    public func insertRows(jobID: String, _ rows: [NewRow]) throws {
        try sync {
            try connection.execute("PRAGMA synchronous = NORMAL")
            defer { try? connection.execute("PRAGMA synchronous = FULL") }
            try connection.transaction {
                let insert = try connection.statement(
                    """
                    INSERT INTO rows (job_id, seq, line, phone_input, country_input, via, locale, kind, code,
                                      e164, country_code, national, extras, state, status, message)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for row in rows {
                    insert.reset()
                    try insert.bind(
                        jobID, row.sequence, row.line, row.phoneInput, row.countryInput, row.channel.rawValue,
                        row.locale, row.kind.rawValue, row.code, row.phone?.e164, row.phone?.countryCode,
                        row.phone?.nationalNumber, ExtrasCodec.encode(row.extras),
                        row.finalStatus == nil ? "pending" : "finished", row.finalStatus?.rawValue, row.message)
                    try insert.run()
                }
            }
        }
    }

    /// Ends intake: records the extra columns and the row count and queues the job for sending.
    public func finishIntake(jobID: String, extraColumns: [String], totalRows: Int) throws {
        try sync {
            try connection.statement(
                "UPDATE jobs SET state = 'queued', extra_columns = ?, total_rows = ? WHERE id = ?"
            ).bind(ExtrasCodec.encode(extraColumns), totalRows, jobID).run()
        }
    }

    /// Pauses a job (rows untouched) with a reason for the operator.
    public func pauseJob(id: String, reason: String) throws {
        try sync {
            try connection.statement("UPDATE jobs SET state = 'paused', paused_reason = ? WHERE id = ?")
                .bind(reason, id).run()
        }
    }

    /// Puts a paused job back in the queue.
    public func resumeJob(id: String) throws {
        try sync {
            try connection.statement(
                "UPDATE jobs SET state = 'queued', paused_reason = NULL WHERE id = ? AND state = 'paused'"
            ).bind(id).run()
        }
    }

    /// Marks a job finished and records where its input file now lives.
    public func finishJob(id: String, workPath: String, finishedAt: String) throws {
        try sync {
            try connection.statement(
                "UPDATE jobs SET state = 'finished', work_path = ?, finished_at = ? WHERE id = ?"
            ).bind(workPath, finishedAt, id).run()
        }
    }

    /// Marks a job whose file cannot be read as a job at all, and records where the file went.
    public func rejectJob(id: String, workPath: String, reason: String) throws {
        try sync {
            try connection.transaction {
                try connection.statement("DELETE FROM rows WHERE job_id = ?").bind(id).run()
                try connection.statement(
                    "UPDATE jobs SET state = 'rejected', work_path = ?, paused_reason = ? WHERE id = ?"
                ).bind(workPath, reason, id).run()
            }
        }
    }

    // MARK: Rows

    /// Up to `limit` rows of a job that still need a request, after sequence `after`, in input order.
    ///
    /// Rows in flight are not included (see ``inFlightRows(jobID:)``).
    public func rowsToSend(jobID: String, after: Int, limit: Int) throws -> [WorkRow] {
        try sync {
            let statement = try connection.statement(
                """
                SELECT seq, state, attempts, not_before, e164, country_code, national, kind, via, locale, code
                FROM rows WHERE job_id = ? AND state IN ('pending', 'waiting', 'in_doubt') AND seq > ?
                ORDER BY seq LIMIT ?
                """)
            try statement.bind(jobID, after, limit)
            return try readWorkRows(statement)
        }
    }

    /// The rows of a job still marked in flight: after a crash, their requests may have left.
    public func inFlightRows(jobID: String) throws -> [WorkRow] {
        try sync {
            let statement = try connection.statement(
                """
                SELECT seq, state, attempts, not_before, e164, country_code, national, kind, via, locale, code
                FROM rows WHERE job_id = ? AND state = 'in_flight' ORDER BY seq
                """)
            try statement.bind(jobID)
            return try readWorkRows(statement)
        }
    }

    private func readWorkRows(_ statement: SQLiteStatement) throws -> [WorkRow] {
        var rows: [WorkRow] = []
        while try statement.step() {
            guard let state = RowState(storedName: statement.text(1), attempts: statement.int(2), status: nil)
            else { continue }
            let target = VerificationTarget(
                e164: statement.text(4), countryCode: statement.int(5), nationalNumber: statement.text(6),
                kind: VerificationKind(rawValue: statement.text(7)) ?? .start,
                channel: Channel(rawValue: statement.text(8)) ?? .sms,
                locale: statement.optionalText(9), code: statement.optionalText(10))
            rows.append(
                WorkRow(
                    sequence: statement.int(0), target: target, state: state, notBefore: statement.optionalDouble(3)))
        }
        return rows
    }

    /// `--dry-run`: every row still waiting for its first request ends `would_send`.
    public func markUnsentRowsWouldSend(jobID: String, at timestamp: String) throws {
        try sync {
            try connection.statement(
                """
                UPDATE rows SET state = 'finished', status = 'would_send', finished_at = ?
                WHERE job_id = ? AND state = 'pending' AND attempts = 0
                """
            ).bind(timestamp, jobID).run()
        }
    }

    /// The group commit: writes a batch of row changes and the job's counters in one transaction.
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - writes: row changes, applied in order.
    ///   - requests: requests sent since the last commit.
    ///   - retries: of which retries.
    ///   - sendingSeconds: time spent sending since the last commit.
    ///   - startedAt: the job's first send, recorded if the job has none yet.
    public func commit(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?
    ) throws {
        try sync {
            try commitTransaction(
                jobID: jobID, writes: writes, requests: requests, retries: retries, sendingSeconds: sendingSeconds,
                startedAt: startedAt)
        }
    }

    /// The same group commit, run on the store's queue while the caller goes on; `completion` gets
    /// `nil` once the transaction is durable, or the error.
    public func commitAsync(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?,
        completion: @escaping @Sendable ((any Error)?) -> Void
    ) {
        queue.async {
            do {
                try self.commitTransaction(
                    jobID: jobID, writes: writes, requests: requests, retries: retries, sendingSeconds: sendingSeconds,
                    startedAt: startedAt)
                completion(nil)
            } catch {
                completion(error)
            }
        }
    }

    private func commitTransaction(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?
    ) throws {
        try connection.transaction {
            for write in writes { try apply(write, jobID: jobID) }
            try connection.statement(
                """
                UPDATE jobs SET requests = requests + ?, retries = retries + ?,
                                sending_seconds = sending_seconds + ?, started_at = COALESCE(started_at, ?)
                WHERE id = ?
                """
            ).bind(requests, retries, sendingSeconds, startedAt, jobID).run()
        }
    }

    private func apply(_ write: RowWrite, jobID: String) throws {
        let state = write.state
        let status: String?
        if case .finished(let final, _) = state { status = final.rawValue } else { status = nil }
        if case .inFlight = state {
            try connection.statement(
                """
                UPDATE rows SET state = 'in_flight', attempts = ?, started_at = COALESCE(started_at, ?)
                WHERE job_id = ? AND seq = ?
                """
            ).bind(state.attempts, write.timestamp, jobID, write.sequence).run()
        } else if let result = write.result {
            try connection.statement(
                """
                UPDATE rows SET state = ?, status = ?, attempts = ?, not_before = ?, error_code = ?, message = ?,
                    provider_id = COALESCE(?, provider_id), carrier = COALESCE(?, carrier),
                    is_cellphone = COALESCE(?, is_cellphone), http_status = ?, finished_at = ?
                WHERE job_id = ? AND seq = ?
                """
            ).bind(
                state.storedName, status, state.attempts, write.notBefore, result.errorCode, result.message,
                result.providerID, result.carrier, result.isCellphone, result.httpStatus,
                status == nil ? nil : write.timestamp, jobID, write.sequence
            ).run()
        } else {
            // A row handed back untouched (the job paused on its only attempt) forgets that attempt's start.
            try connection.statement(
                """
                UPDATE rows SET state = ?, status = ?, attempts = ?, not_before = ?,
                    finished_at = CASE WHEN ? IS NULL THEN finished_at ELSE ? END,
                    started_at = CASE WHEN ? = 0 THEN NULL ELSE started_at END
                WHERE job_id = ? AND seq = ?
                """
            ).bind(
                state.storedName, status, state.attempts, write.notBefore, status, write.timestamp, state.attempts,
                jobID, write.sequence
            ).run()
        }
    }

    /// Calls `body` with every row of a job in input order, for the reports.
    public func forEachReportRow(jobID: String, _ body: (ReportRow) throws -> Void) throws {
        try sync {
            let statement = try connection.statement(
                """
                SELECT line, phone_input, country_input, e164, via, status, attempts, error_code, message,
                       provider_id, carrier, is_cellphone, http_status, started_at, finished_at, extras
                FROM rows WHERE job_id = ? ORDER BY seq
                """)
            try statement.bind(jobID)
            while try statement.step() {
                try body(
                    ReportRow(
                        line: statement.int(0), phoneInput: statement.text(1), countryInput: statement.text(2),
                        e164: statement.optionalText(3), channel: statement.text(4),
                        status: statement.optionalText(5).flatMap(RowStatus.init(rawValue:)),
                        attempts: statement.int(6), errorCode: statement.optionalText(7),
                        message: statement.optionalText(8), providerID: statement.optionalText(9),
                        carrier: statement.optionalText(10), isCellphone: statement.optionalInt(11).map { $0 != 0 },
                        httpStatus: statement.optionalInt(12), startedAt: statement.optionalText(13),
                        finishedAt: statement.optionalText(14), extras: ExtrasCodec.decode(statement.text(15))))
            }
            statement.reset()
        }
    }

    /// Rows of a job per final status (unfinished rows are counted under `unfinished`).
    public func statusCounts(jobID: String) throws -> [String: Int] {
        try grouped("SELECT COALESCE(status, 'unfinished'), count(*) FROM rows WHERE job_id = ? GROUP BY 1", jobID)
    }

    /// Rows of a job per last error code (rows without one are not counted).
    public func errorCodeCounts(jobID: String) throws -> [String: Int] {
        try grouped(
            "SELECT error_code, count(*) FROM rows WHERE job_id = ? AND error_code IS NOT NULL GROUP BY 1", jobID)
    }

    private func grouped(_ sql: String, _ jobID: String) throws -> [String: Int] {
        try sync {
            let statement = try connection.statement(sql)
            try statement.bind(jobID)
            var counts: [String: Int] = [:]
            while try statement.step() { counts[statement.text(0)] = statement.int(1) }
            return counts
        }
    }
}
