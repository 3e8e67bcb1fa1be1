/// One statement both stores run as it stands, written once with SQLite's parameters (`?`) and, for PostgreSQL,
/// with the same parameters numbered (`$1`, `$2`, …), converted once when the statement is made. A
/// ``StoreExecutor`` runs it in its own dialect.
struct StoreStatement: Sendable {
    /// The text with `?` parameters.
    private let sqlite: String
    /// The text with `$1`…`$n` parameters.
    private let postgres: String

    /// The statement `sql`, written with `?` parameters.
    init(_ sql: String) {
        sqlite = sql
        postgres = StoreSQL.numbered(sql)
    }

    /// The text as `dialect` writes its parameters.
    func sql(in dialect: StoreDialect) -> String {
        switch dialect {
        case .sqlite: sqlite
        case .postgres: postgres
        }
    }
}

/// The statements both stores run alike, written once (``ExecutorBackedStore`` runs most of them). Statements
/// whose SQL differs between the two (the lease of ranges, the group commit, job numbering, bulk writes, anything
/// on the database's clock) stay in their store.
enum StoreSQL {
    /// Job `?` (its id), as ``StoredRecords/jobColumns``.
    static let job = StoreStatement("SELECT \(StoredRecords.jobColumns) FROM jobs WHERE id = ? ORDER BY created_at, id")

    /// Every job, oldest first, as ``StoredRecords/jobColumns``.
    static let jobs = StoreStatement("SELECT \(StoredRecords.jobColumns) FROM jobs ORDER BY created_at, id")

    /// The jobs that are not finished, oldest first, as ``StoredRecords/jobColumns``.
    static let unfinishedJobs = StoreStatement(
        """
        SELECT \(StoredRecords.jobColumns) FROM jobs WHERE state NOT IN ('finished', 'rejected')
        ORDER BY created_at, id
        """)

    /// Moves job `?` (fourth) to state `?`, paused or canceled by `?` (NULL for none) for reason `?`, if it is still
    /// in state `?` (fifth): a runner that changed it meanwhile wins, and the action is weighed again.
    static let steerJob = StoreStatement(
        "UPDATE jobs SET state = ?, paused_by = ?, paused_reason = ? WHERE id = ? AND state = ?")

    /// Records the control action on job `?`: action `?`, reason `?`, by user `?`, at time `?`.
    static let recordJobAction = StoreStatement(
        "INSERT INTO job_actions (job_id, action, reason, user_name, requested_at) VALUES (?, ?, ?, ?, ?)")

    /// Records time `?` and runner `?` as carrying out the actions on job `?` that no runner had carried out.
    static let markActionsCarriedOut = StoreStatement(
        "UPDATE job_actions SET carried_out_at = ?, carried_out_by = ? WHERE job_id = ? AND carried_out_at IS NULL")

    /// The control actions on job `?`, in the order they were asked, as ``StoredRecords/jobActionColumns``.
    static let jobActions = StoreStatement(
        "SELECT \(StoredRecords.jobActionColumns) FROM job_actions WHERE job_id = ? ORDER BY id")

    /// Records provider `?` for job `?` when it has none.
    static let adoptProvider = StoreStatement("UPDATE jobs SET provider = ? WHERE id = ? AND provider IS NULL")

    /// Records the extra columns `?` and row count `?` of job `?` (third), and queues it for sending unless an
    /// operator paused or canceled it while it was read.
    static let finishIntake = StoreStatement(
        """
        UPDATE jobs SET state = CASE WHEN state = 'intake' THEN 'queued' ELSE state END, extra_columns = ?,
                        total_rows = ?
        WHERE id = ?
        """)

    /// Pauses job `?` (second) with reason `?`, the API's doing, when it is queued (an operator's pause or cancel
    /// stays).
    static let pauseJob = StoreStatement(
        "UPDATE jobs SET state = 'paused', paused_reason = ? WHERE id = ? AND state = 'queued'")

    /// Holds job `?` (second) with reason `?` when it is queued or held.
    static let holdJob = StoreStatement(
        "UPDATE jobs SET state = 'held', paused_reason = ? WHERE id = ? AND state IN ('queued', 'held')")

    /// Records on job `?` (third) the rows whose start waits for `--send-window` (`?`) and when the first window
    /// opens (`?`), as a run leaves them; both `NULL` when none waits.
    static let noteWindowWait = StoreStatement(
        "UPDATE jobs SET window_waiting = ?, window_opens_at = ? WHERE id = ?")

    /// Queues job `?` again when it is held, or paused by verifyd's own rules (only `verifyd resume` lifts an
    /// operator's pause).
    static let resumeJob = StoreStatement(
        """
        UPDATE jobs SET state = 'queued', paused_reason = NULL
        WHERE id = ? AND (state = 'held' OR (state = 'paused' AND paused_by IS NULL))
        """)

    /// Ends job `?` (third), whose file is now at `?`, at time `?`: `canceled` when an operator canceled it,
    /// `finished` otherwise. A canceled job stays canceled: runners of a shared store that finish their last rows
    /// at once may each end the job.
    static let finishJob = StoreStatement(
        """
        UPDATE jobs SET state = CASE WHEN state IN ('canceling', 'canceled') THEN 'canceled' ELSE 'finished' END,
                        work_path = ?, finished_at = ?
        WHERE id = ?
        """)

    /// Ends `canceled`, at time `?`, every row of a job's key range (`?` to `?`) that waits for a request: rows in
    /// flight or in doubt get their answer first.
    static let cancelUnsentRows = StoreStatement(
        """
        UPDATE job_rows SET state = 'finished', status = 'canceled', finished_at = ?,
            message = 'canceled by an operator before it was sent'
        WHERE id BETWEEN ? AND ? AND state IN ('pending', 'waiting')
        """)

    /// Rejects job `?` (third), whose file is now at `?`, for reason `?`.
    static let rejectJob = StoreStatement(
        "UPDATE jobs SET state = 'rejected', work_path = ?, paused_reason = ? WHERE id = ?")

    /// Ends every row of a job's key range (second and third `?`) still waiting for its first request as
    /// `would_send`, at time `?` (first).
    static let markUnsentRowsWouldSend = StoreStatement(
        """
        UPDATE job_rows SET state = 'finished', status = 'would_send', finished_at = ?
        WHERE id BETWEEN ? AND ? AND state = 'pending' AND attempts = 0
        """)

    /// Skips, at time `?`, for the `--cooldown` window `?` (its text, for the message), the rows of a job's key
    /// range (`?` to `?`) that would start a verification for a number another job (outside the range, `?` to
    /// `?` again) sent successfully at or after `?` (the fifth parameter).
    static let skipRecentlySent = StoreStatement(
        """
        UPDATE job_rows SET state = 'finished', status = 'skipped', finished_at = ?,
            message = 'sent successfully by an earlier job within --cooldown ' || ?
        WHERE id BETWEEN ? AND ? AND code IS NULL AND e164 IS NOT NULL
            AND ((state = 'pending' AND attempts = 0) OR status = 'would_send')
            AND e164 IN (
                SELECT e164 FROM job_rows
                WHERE status = 'sent' AND finished_at >= ? AND (id < ? OR id > ?))
        """)

    /// The rows of a job's key range (`?` to `?`) still waiting for their first start (`id`, `e164`).
    static let unsentStarts = StoreStatement(
        """
        SELECT id, e164 FROM job_rows
        WHERE id BETWEEN ? AND ? AND state = 'pending' AND attempts = 0 AND code IS NULL AND e164 IS NOT NULL
        """)

    /// Ends the row of key `?` (third) `skipped` at `?` with message `?`, if it still waits for its first start.
    static let skipUnsentStart = StoreStatement(
        """
        UPDATE job_rows SET state = 'finished', status = 'skipped', finished_at = ?, message = ?
        WHERE id = ? AND state = 'pending' AND attempts = 0
        """)

    /// Records time `?` as when the outcomes of job `?` were last asked for.
    static let outcomesChecked = StoreStatement("UPDATE jobs SET outcomes_checked_at = ? WHERE id = ?")

    /// The runners the store has seen, most recently seen first, as ``StoredRecords/runnerColumns``.
    static let runners = StoreStatement("SELECT \(StoredRecords.runnerColumns) FROM runners ORDER BY last_seen DESC")

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
