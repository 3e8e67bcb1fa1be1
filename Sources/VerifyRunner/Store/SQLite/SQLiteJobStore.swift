import Dispatch
import CSQLite
import Glibc

/// The embedded ``JobStoring``: jobs and rows in one SQLite file in WAL mode, used by one runner at a time
/// (the spool's lock).
///
/// One connection per process, owned by a private serial DispatchQueue: every method runs its
/// SQLite work with `queue.sync`, so callers on any Dispatch queue (never on Swift's cooperative
/// pool) see a consistent, serialised store.
///
/// Durability: `journal_mode=WAL` with `synchronous=FULL`, so every committed transaction has been
/// fsynced; results are group-committed by the scheduler, so the fsync cost is paid per batch.
///
/// What both stores do alike comes from ``ExecutorBackedStore``, over the connection (``StoreExecutor``). Here is
/// what SQLite does its own way: jobs numbered one above the highest, rows handed out without leases (one runner),
/// and the hot paths on the connection's cached prepared statements: the intake's multi-row insert, the rows to
/// send, and the group commit's three `UPDATE`s.
final class SQLiteJobStore: ExecutorBackedStore, @unchecked Sendable {
    // @unchecked: `connection` is not thread-safe and is only touched inside `queue.sync`.
    private let connection: SQLiteConnection
    private let queue = DispatchQueue(label: "verifyd.store")
    /// Each job's keys in `job_rows`, by job id (numbers never change); touched only on `queue`.
    private var jobKeys: [String: RowKeyRange] = [:]
    /// The database file.
    let path: String
    /// This process as the store's runner (one at a time: the spool's lock), for `verifyd runners`.
    private let runner = RunnerRecord.thisProcess()
    /// Whether this process runs on the store (``startRunning(lease:)``); touched only on `queue`.
    private var isRunning = false
    /// The beat that keeps this runner seen while it runs; touched only on `queue`.
    private var heartbeat: RunnerHeartbeat?

    /// The database file's path.
    var location: String { path }

    /// `SQLITE_CONSTRAINT_PRIMARYKEY`, a macro Swift does not import.
    private static let primaryKeyTaken = SQLITE_CONSTRAINT | (6 << 8)

    /// One runner per spool: never shared.
    var isShared: Bool { false }

    /// Opens the store at `path` and brings its schema up to date; with `creating`, creates the file first when
    /// there is none. Without it nothing is created: the commands that only look at a store never leave one behind.
    ///
    /// - Throws: ``StoreMissing`` when there is no file at `path` and `creating` is false; ``SQLiteError`` when
    ///   the file cannot be opened, is not a database, or is read-only.
    init(path: String, creating: Bool = true) throws {
        self.path = path
        if creating {
            // A new store is created owner-only (0600); SQLite gives its -wal and -shm files the same mode.
            let created = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            if created >= 0 { close(created) }
        }
        connection = try Self.connect(path: path, creating: creating)
        try connection.execute("PRAGMA busy_timeout = \(Self.busyTimeoutMilliseconds)")
        // 16 KiB pages (only a new file takes them): a row is about 90 bytes, and a million-row intake
        // writes a quarter as many B-tree pages and WAL frames as with the 4 KiB default.
        try connection.execute("PRAGMA page_size = 16384")
        try Self.switchToWriteAheadLog(connection)
        try connection.execute("PRAGMA synchronous = FULL")
        try connection.execute("PRAGMA foreign_keys = ON")
        try Migrations.migrate(connection)
    }

    /// The connection to the database at `path`; a file that is not there, when it may not be created, is
    /// ``StoreMissing``.
    private static func connect(path: String, creating: Bool) throws -> SQLiteConnection {
        do throws(SQLiteError) {
            return try SQLiteConnection(path: path, creating: creating)
        } catch {
            guard !creating, error.code & 0xff == SQLITE_CANTOPEN, access(path, F_OK) != 0 else { throw error }
            throw StoreMissing(location: path, isDatabase: false)
        }
    }

    /// How long a statement waits for a lock another process holds before it fails with `SQLITE_BUSY`.
    private static let busyTimeoutMilliseconds = 5000

    /// Puts the database in WAL mode, which then stays with the file. A new file starts in rollback mode, and
    /// when several processes open it at once each tries to switch it: SQLite may then answer `SQLITE_BUSY` at
    /// once, without waiting through the busy timeout (it does not wait where waiting could deadlock), so a busy
    /// answer is tried again, every 10 ms for as long as the busy timeout.
    private static func switchToWriteAheadLog(_ connection: SQLiteConnection) throws {
        let giveUpAt = Timestamp.nowSeconds() + Double(busyTimeoutMilliseconds) / 1000
        while true {
            do throws(SQLiteError) {
                return try connection.execute("PRAGMA journal_mode = WAL")
            } catch {
                guard error.code & 0xff == SQLITE_BUSY, Timestamp.nowSeconds() < giveUpAt else { throw error }
                usleep(10_000)
            }
        }
    }

    private func sync<T>(_ body: () throws -> T) throws -> T {
        try queue.sync { try body() }
    }

    /// Runs `body` with the connection on the store's queue.
    func withExecutor<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try sync { try body(connection) }
    }

    /// A connection of its own to the file, which SQLite's WAL lets read beside the store's.
    func openReader() throws -> SQLiteConnection {
        let reader = try SQLiteConnection(path: path)
        try reader.execute("PRAGMA busy_timeout = \(Self.busyTimeoutMilliseconds)")
        return reader
    }

    /// Runs `body` on the store's queue while the caller goes on.
    func onQueue(_ body: @escaping @Sendable () throws -> Void, completion: @escaping @Sendable ((any Error)?) -> Void)
    {
        queue.async {
            do {
                try body()
                completion(nil)
            } catch {
                completion(error)
            }
        }
    }

    // MARK: Jobs

    /// Records a newly claimed file as a job in state `intake`, read for `provider`, numbered one above the
    /// highest number so far.
    func createJob(
        id: String, fileName: String, workPath: String, createdAt: String, provider: ProviderName? = nil
    ) throws {
        do {
            try sync {
                try connection.statement(
                    """
                    INSERT INTO jobs (id, number, file_name, work_path, state, created_at, provider)
                    VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM jobs), ?, ?, 'intake', ?, ?)
                    """
                ).bind(id, fileName, workPath, createdAt, provider?.rawValue).run()
            }
        } catch let error as SQLiteError where error.code == Self.primaryKeyTaken {
            throw JobIDTaken(id: id)
        }
    }

    /// The job's keys in `job_rows` (job 0, matching no row, for an unknown job). Call on `queue`.
    func keys(of jobID: String) throws -> RowKeyRange {
        try connection.keys(of: jobID, known: &jobKeys)
    }

    /// Inserts a batch of rows read by intake, in one transaction, on the store's queue while intake reads the
    /// next batch; `completion` gets `nil` once the rows are written, or the error.
    ///
    /// These commits do not wait for fsync (`synchronous=NORMAL`): a job in `intake` is read again
    /// from the start after a crash, so its rows need no durability until ``finishIntake``, whose
    /// commit (`synchronous=FULL`) makes the whole write-ahead log durable, these rows included.
    func insertTransaction(jobID: String, _ rows: [NewRow]) throws {
        let keys = try keys(of: jobID)
        // No automatic checkpoint between batches either: the WAL is copied into the database once, by
        // the first commit after intake, instead of once every 1000 pages with an fsync each time.
        try connection.execute("PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0")
        defer { try? connection.execute("PRAGMA synchronous = FULL; PRAGMA wal_autocheckpoint = 1000") }
        try connection.transaction {
            // Rows go in `rowsPerInsert` at a time, one statement for them all: the statement's own cost
            // (start, cursor, halt) is paid once per group instead of once per row. The rest go one by one.
            let grouped = try connection.statement(Self.insertSQL(rows: Self.rowsPerInsert))
            let single = try connection.statement(Self.insertSQL(rows: 1))
            var start = rows.startIndex
            while start < rows.endIndex {
                let count = rows.endIndex - start >= Self.rowsPerInsert ? Self.rowsPerInsert : 1
                let insert = count == 1 ? single : grouped
                // Every parameter is bound for every use, so the statement is only rewound in between.
                for (offset, row) in rows[start..<start + count].enumerated() {
                    try bindInsertParameters(
                        of: row, key: keys.id(seq: row.sequence), to: insert,
                        from: Int32(offset * Self.insertParameters))
                }
                try insert.run()
                start += count
            }
        }
    }

    /// Rows inserted by one statement during intake.
    private static let rowsPerInsert = 10

    /// The parameters of one row in ``insertSQL(rows:)``.
    private static let insertParameters = 14

    /// An INSERT of `rows` rows, 14 parameters each (see ``bindInsertParameters(of:key:to:from:)``).
    private static func insertSQL(rows: Int) -> String {
        """
        INSERT INTO job_rows (id, line, phone_input, country_input, via, locale, code, e164, country_code, extras,
                              state, status, message, time_zone)
        VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", "))
        """
    }

    /// Binds a new row's 14 values as parameters `offset + 1` to `offset + 14`.
    private func bindInsertParameters(of row: NewRow, key: Int, to insert: SQLiteStatement, from offset: Int32) throws {
        try insert.bind(key, at: offset + 1)
        try insert.bind(row.line, at: offset + 2)
        try insert.bind(row.phoneInput, at: offset + 3)
        try insert.bind(row.countryInput.isEmpty ? nil : row.countryInput, at: offset + 4)
        try insert.bind(row.channel.rawValue, at: offset + 5)
        try insert.bind(row.locale, at: offset + 6)
        try insert.bind(row.code, at: offset + 7)
        try insert.bind(row.phone?.e164, at: offset + 8)
        try insert.bind(row.phone?.countryCode, at: offset + 9)
        try insert.bind(row.extras.isEmpty ? nil : ExtrasCodec.encode(row.extras), at: offset + 10)
        try insert.bind(row.finalStatus == nil ? "pending" : "finished", at: offset + 11)
        try insert.bind(row.finalStatus?.rawValue, at: offset + 12)
        try insert.bind(row.message, at: offset + 13)
        try insert.bind(row.timeZone, at: offset + 14)
    }

    // MARK: Rows

    /// ``rowsToSendAsync(jobID:after:limit:completion:)``'s query; call on `queue`.
    private func selectRowsToSend(jobID: String, after: Int, limit: Int) throws -> [WorkRow] {
        let statement = try connection.statement(
            """
            SELECT \(StoredRecords.workRowColumns)
            FROM job_rows WHERE id BETWEEN ? AND ? AND state IN ('pending', 'waiting', 'in_doubt')
            ORDER BY id LIMIT ?
            """)
        let keys = try keys(of: jobID)
        try statement.bind(keys.id(seq: after + 1), keys.last, limit)
        return try readWorkRows(statement, keys: keys)
    }

    /// Up to `limit` rows of a job that still need a request, after sequence `after`, in input order, read on the
    /// store's queue while the caller goes on. Rows in flight are not included (see ``rowsLeftInFlight(jobID:)``).
    func rowsToSendAsync(
        jobID: String, after: Int, limit: Int, completion: @escaping @Sendable (Result<[WorkRow], any Error>) -> Void
    ) {
        queue.async { completion(Result { try self.selectRowsToSend(jobID: jobID, after: after, limit: limit) }) }
    }

    /// The rows of a job still marked in flight: at the start of a run (the spool's lock is this process's),
    /// rows left by a process that died, whose requests may have left.
    func rowsLeftInFlight(jobID: String) throws -> [WorkRow] {
        try sync {
            let statement = try connection.statement(
                """
                SELECT \(StoredRecords.workRowColumns)
                FROM job_rows WHERE id BETWEEN ? AND ? AND state = 'in_flight' ORDER BY id
                """)
            let keys = try keys(of: jobID)
            try statement.bind(keys.first, keys.last)
            return try readWorkRows(statement, keys: keys)
        }
    }

    private func readWorkRows(_ statement: SQLiteStatement, keys: RowKeyRange) throws -> [WorkRow] {
        let at = try WorkRowColumns(in: statement)
        var rows: [WorkRow] = []
        while try statement.step() {
            if let row = StoredRecords.workRow(statement, at: at, keys: keys) { rows.append(row) }
        }
        return rows
    }

    /// The group commit in one transaction; call on the store's queue.
    func commitTransaction(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?
    ) throws {
        let keys = try keys(of: jobID)
        try connection.transaction {
            for write in writes { try apply(write, id: keys.id(seq: write.sequence)) }
            try connection.statement(
                """
                UPDATE jobs SET requests = requests + ?, retries = retries + ?,
                                sending_seconds = sending_seconds + ?, started_at = COALESCE(started_at, ?)
                WHERE id = ?
                """
            ).bind(requests, retries, sendingSeconds, startedAt, jobID).run()
            if isRunning {
                try connection.statement("UPDATE runners SET last_seen = ?, sent = sent + ? WHERE id = ?")
                    .bind(Timestamp.nowSeconds(), requests, runner.id).run()
            }
            if requests > 0 {
                try connection.statement(
                    """
                    INSERT INTO job_request_seconds (job_number, second, requests) VALUES (?, ?, ?)
                    ON CONFLICT DO UPDATE SET requests = requests + excluded.requests
                    """
                ).bind(keys.job, Int(Timestamp.nowSeconds()), requests).run()
            }
        }
    }

    private func apply(_ write: RowWrite, id: Int) throws {
        let state = write.state
        let status: String?
        if case .finished(let final, _) = state { status = final.rawValue } else { status = nil }
        if case .inFlight = state {
            try connection.statement(
                """
                UPDATE job_rows SET state = 'in_flight', attempts = ?, started_at = COALESCE(started_at, ?), sent_at = ?
                WHERE id = ?
                """
            ).bind(state.attempts, write.timestamp, write.sentAt, id).run()
        } else if let result = write.result {
            try connection.statement(
                """
                UPDATE job_rows SET state = ?, status = ?, attempts = ?, not_before = ?, error_code = ?, message = ?,
                    provider_id = COALESCE(?, provider_id), carrier = COALESCE(?, carrier),
                    is_cellphone = COALESCE(?, is_cellphone), http_status = ?, finished_at = ?
                WHERE id = ?
                """
            ).bind(
                state.storedName, status, state.attempts, write.notBefore, result.errorCode, result.message,
                result.providerID, result.carrier, result.isCellphone, result.httpStatus,
                status == nil ? nil : write.timestamp, id
            ).run()
        } else {
            // A row handed back untouched (the job paused on its only attempt) forgets that attempt's start.
            try connection.statement(
                """
                UPDATE job_rows SET state = ?, status = ?, attempts = ?, not_before = ?,
                    finished_at = CASE WHEN ? IS NULL THEN finished_at ELSE ? END,
                    started_at = CASE WHEN ? = 0 THEN NULL ELSE started_at END
                WHERE id = ?
                """
            ).bind(
                state.storedName, status, state.attempts, write.notBefore, status, write.timestamp, state.attempts, id
            ).run()
        }
    }

    /// Calls `body` with every row of a job in input order, for the reports.
    func forEachReportRow(jobID: String, _ body: (ReportRow) throws -> Void) throws {
        try sync {
            let statement = try connection.statement(
                "SELECT \(StoredRecords.reportRowColumns) FROM job_rows WHERE id BETWEEN ? AND ? ORDER BY id")
            let keys = try keys(of: jobID)
            try statement.bind(keys.first, keys.last)
            let at = try ReportRowColumns(in: statement)
            while try statement.step() { try body(StoredRecords.reportRow(statement, at: at)) }
            statement.reset()
        }
    }

    // MARK: Outcomes

    /// Stores outcomes of a job's rows, and when they were asked for, in one transaction.
    ///
    /// - Parameters:
    ///   - jobID: the job.
    ///   - outcomes: the outcome to store per row sequence (merged by the caller with the stored one).
    ///   - checkedAt: when the API was asked (ISO 8601).
    func recordOutcomes(
        jobID: String, _ outcomes: [(sequence: Int, outcome: VerificationOutcome)], checkedAt: String
    ) throws {
        try sync {
            let keys = try keys(of: jobID)
            try connection.transaction {
                let update = try connection.statement("UPDATE job_rows SET outcome = ? WHERE id = ?")
                for (sequence, outcome) in outcomes {
                    try update.bind(outcome.rawValue, keys.id(seq: sequence)).run()
                }
                try connection.run(StoreSQL.outcomesChecked, checkedAt, jobID)
            }
        }
    }

    // MARK: Runners

    /// Records this process in `runners` and keeps it seen while it runs. The SQLite store hands rows out without
    /// leases (one runner per spool): the lease it returns has no send deadline and is never lost.
    @discardableResult
    func startRunning(lease: Duration, requestTimeout: Duration) throws -> RunnerLease {
        try sync {
            try connection.statement(
                "INSERT INTO runners (id, host, pid, started_at, last_seen, lease_seconds) VALUES (?, ?, ?, ?, ?, ?)"
            ).bind(runner.id, runner.host, runner.pid, runner.startedAt, Timestamp.nowSeconds(), lease.seconds).run()
            isRunning = true
            let granted = RunnerLease(soleRunner: runner.id, length: lease)
            heartbeat = RunnerHeartbeat(queue: queue, interval: granted.renewalInterval) { [weak self] in self?.beat() }
            return granted
        }
    }

    /// Tells the store this runner is alive; on the store's queue.
    private func beat() {
        _ = try? connection.statement("UPDATE runners SET last_seen = ? WHERE id = ?")
            .bind(Timestamp.nowSeconds(), runner.id).run()
    }

    /// Stops the beat and records that this runner ended.
    func stopRunning() {
        queue.sync {
            heartbeat?.stop()
            heartbeat = nil
            isRunning = false
            _ = try? connection.statement("UPDATE runners SET last_seen = ?, ended_at = ? WHERE id = ?")
                .bind(Timestamp.nowSeconds(), Timestamp.now(), runner.id).run()
        }
    }

    /// Every token asked for, at once: one runner's own bucket is the budget.
    func takeRateTokensAsync(
        upTo wanted: Int, rate: Double, capacity: Int,
        completion: @escaping @Sendable (Result<RateGrant, any Error>) -> Void
    ) {
        completion(.success(RateGrant(granted: wanted, wait: 0)))
    }

}
