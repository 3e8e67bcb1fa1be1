import Dispatch
import Foundation

/// The shared ``JobStoring``: jobs and rows in a PostgreSQL database (`--db postgresql://…`), the same schema as
/// the SQLite store (``Migrations``).
///
/// One connection per store, owned by a private serial DispatchQueue, as in ``SQLiteJobStore``: callers on any
/// Dispatch queue (never on Swift's cooperative pool) see a serialised store. Batches travel as arrays
/// (``PostgresArray``) in one statement each, so a group commit or an intake batch costs one round trip, not
/// one per row. Every transaction commits with PostgreSQL's default `synchronous_commit = on`: durable on the
/// server before the call returns. What both stores do alike comes from ``ExecutorBackedStore``, over the
/// connection (``StoreExecutor``); here is what the shared store does its own way.
///
/// Several runners share the store. Rows are handed to a runner by ranges
/// (``rowsToSendAsync(jobID:after:limit:completion:)``: one `row_leases` row per range, never two runners on one
/// range), and stay its own until another runner finds it gone: not seen, in `runners.last_seen` (the database's
/// clock), for its own `--lease`. Every group commit, every load and a heartbeat renew the lease (``RunnerLease``),
/// each only while no one has found the runner gone. A lease per runner, not per row: staying alive costs one small
/// `UPDATE`, whatever the number of rows held. The rows of a runner found gone are taken over by the next runner
/// that asks, those in flight as `in_doubt` (their requests may have left). A runner's requests leave only before
/// its ``SendDeadline`` (the last confirmed renewal's start, plus the lease, minus `--timeout`), so by the time its
/// rows are taken every request of it has ended, however long it was paused (docs/shared-store.md).
final class PostgresJobStore: ExecutorBackedStore, @unchecked Sendable {
    // @unchecked: `connection`, `jobKeys`, `runner`, `lease` and `heartbeat` are only touched on `queue`.
    private let connection: PostgresConnection
    private let queue = DispatchQueue(label: "verifyd.store.postgres")
    /// Each job's keys in `job_rows`, by job id (numbers never change); touched only on `queue`.
    private var jobKeys: [String: RowKeyRange] = [:]
    /// The libpq address the store was opened with.
    private let address: String

    /// The database address without any password.
    let location: String

    /// Shared by every runner pointed at the database.
    var isShared: Bool { true }
    /// This process as a runner of the store: the owner of the rows it is handed. A new one (a new id) each
    /// time the process starts running on the store, after a lost lease included.
    private var runner = RunnerRecord.thisProcess()
    /// Whether ``runner`` was recorded in `runners` already.
    private var runnerRecorded = false
    /// The lease of ``runner`` while it runs.
    private var lease: RunnerLease?
    /// `--lease`: how long a runner not seen keeps its rows.
    private var leaseLength = Duration.seconds(30)
    /// The beat that keeps this runner seen while it runs.
    private var heartbeat: RunnerHeartbeat?

    /// This runner's id, the owner of the ranges of rows it holds. Not from the store's queue.
    var runnerID: String { queue.sync { runner.id } }

    /// Connects to the database at `address` (a `postgresql://` URI or libpq `key=value` pairs) and brings
    /// its schema up to date.
    ///
    /// - Throws: ``PostgresError`` when the server cannot be reached, refuses the connection, or the schema
    ///   cannot be migrated.
    init(address: String) throws {
        self.address = address
        location = PostgresAddress.withoutPassword(address)
        connection = try PostgresConnection(address: address)
        try Migrations.migrate(connection)
    }

    private func sync<T>(_ body: () throws -> T) throws -> T {
        try queue.sync { try whileReconnecting(body) }
    }

    /// Runs `body` with the connection on the store's queue, again once the connection is back when it was lost
    /// (``whileReconnecting(_:)``).
    func withExecutor<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try sync { try body(connection) }
    }

    /// A connection of its own to the database.
    func openReader() throws -> PostgresConnection {
        try PostgresConnection(address: address)
    }

    /// Runs `body`; when the connection is lost (the server restarts, the network drops), waits, opens it
    /// again and runs `body` again, for up to twice the lease (at least a minute), then gives up with the
    /// error. Call on `queue`, which waits meanwhile: no commit, so no request, goes out while the database is
    /// away. A transaction cut before its `COMMIT` was rolled back by the server; one cut during its `COMMIT`
    /// may have been written, and is written again: its row changes are the same, its counters count twice.
    private func whileReconnecting<T>(_ body: () throws -> T) throws -> T {
        let giveUpAt = Timestamp.nowSeconds() + max(60, 2 * leaseLength.seconds)
        while true {
            do {
                return try body()
            } catch let error as PostgresError where error.connectionLost && Timestamp.nowSeconds() < giveUpAt {
                usleep(Self.reconnectPause)
                try? connection.reconnect()
            }
        }
    }

    /// The pause between two attempts to reach a database that went away (microseconds).
    private static let reconnectPause: UInt32 = 250_000

    /// Runs `body` on the store's queue while the caller goes on, again once the connection is back when it was
    /// lost (``whileReconnecting(_:)``).
    func onQueue(_ body: @escaping @Sendable () throws -> Void, completion: @escaping @Sendable ((any Error)?) -> Void)
    {
        queue.async {
            do {
                try self.whileReconnecting(body)
                completion(nil)
            } catch {
                completion(error)
            }
        }
    }

    /// The job's keys in `job_rows` (job 0, matching no row, for an unknown job). Call on `queue`.
    func keys(of jobID: String) throws -> RowKeyRange {
        try connection.keys(of: jobID, known: &jobKeys)
    }

    // MARK: Jobs

    /// Records a newly claimed file as a job in state `intake`; its number comes from the sequence
    /// `job_numbers`, which no two runners share.
    func createJob(
        id: String, fileName: String, workPath: String, createdAt: String, provider: ProviderName? = nil
    ) throws {
        do {
            try sync {
                _ = try connection.query(
                    """
                    INSERT INTO jobs (id, file_name, work_path, state, created_at, provider)
                    VALUES ($1, $2, $3, 'intake', $4, $5)
                    """, id, fileName, workPath, createdAt, provider?.rawValue)
            }
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw JobIDTaken(id: id)
        }
    }

    /// Inserts a batch of intake's rows with one statement: each column travels as one array.
    func insertTransaction(jobID: String, _ rows: [NewRow]) throws {
        let keys = try keys(of: jobID)
        try connection.query(
            """
            INSERT INTO job_rows (id, line, phone_input, country_input, via, locale, code, e164, country_code, extras,
                                  state, status, message, time_zone)
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[],
                                 $7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::text[],
                                 $13::text[], $14::text[])
            """,
            PostgresArray(rows.map { keys.id(seq: $0.sequence) }), PostgresArray(rows.map(\.line)),
            PostgresArray(rows.map(\.phoneInput)),
            PostgresArray(rows.map { $0.countryInput.isEmpty ? nil : $0.countryInput }),
            PostgresArray(rows.map(\.channel.rawValue)), PostgresArray(rows.map(\.locale)),
            PostgresArray(rows.map(\.code)),
            PostgresArray(rows.map { $0.phone?.e164 }), PostgresArray(rows.map { $0.phone?.countryCode }),
            PostgresArray(rows.map { $0.extras.isEmpty ? nil : ExtrasCodec.encode($0.extras) }),
            PostgresArray(rows.map { $0.finalStatus == nil ? "pending" : "finished" }),
            PostgresArray(rows.map { $0.finalStatus?.rawValue }), PostgresArray(rows.map(\.message)),
            PostgresArray(rows.map(\.timeZone)))
    }

    /// Ends intake, then refreshes the planner's statistics of `job_rows`: the rows just inserted are not in them
    /// until autovacuum gets round to it (up to a minute later), and with statistics that still count a few rows
    /// PostgreSQL would read the whole table for every group commit and load instead of looking rows up by key.
    /// The table's size is what matters, so a small sample does (3,000 rows instead of 30,000).
    func finishIntake(jobID: String, extraColumns: [String], totalRows: Int) throws {
        try sync {
            try connection.run(StoreSQL.finishIntake, ExtrasCodec.encode(extraColumns), totalRows, jobID)
            try connection.transaction {
                try connection.execute("SET LOCAL default_statistics_target = 10")
                try connection.execute("ANALYZE job_rows")
            }
        }
    }

    // MARK: Rows

    /// Rows come by ranges (``leaseRowsToSend(jobID:limit:ownRangesToo:)``): the ranges say which rows this runner
    /// has had, and `after` only tells the first load of a run (`after < 0`), which also hands back the rows still
    /// to send in the ranges this runner holds from an earlier run of the job (rows that waited for
    /// `--send-window`, or that a pause or stop left).
    func rowsToSendAsync(
        jobID: String, after: Int, limit: Int, completion: @escaping @Sendable (Result<[WorkRow], any Error>) -> Void
    ) {
        queue.async {
            completion(
                Result {
                    try self.whileReconnecting {
                        try self.leaseRowsToSend(jobID: jobID, limit: limit, ownRangesToo: after < 0)
                    }
                })
        }
    }

    /// ``rowsToSendAsync(jobID:after:limit:completion:)``'s leases, in one transaction; call on `queue`. The runner renews its own
    /// lease (throwing ``LeaseLoss`` when it was found gone), finds gone the runners not seen for their lease,
    /// takes over the ranges of the job's rows that gone or ended runners held, then leases fresh ranges until it
    /// has `limit` rows to send or none is left. Only the ranges are written, one `row_leases` row each: a row
    /// handed out costs no write of its own. Rows in flight in a range taken over are in doubt (their requests may
    /// have left), and so are rows found in flight in a fresh range (left by a process from before ranges). With
    /// `ownRangesToo`, the rows still to send in the ranges this runner already holds come first.
    private func leaseRowsToSend(jobID: String, limit: Int, ownRangesToo: Bool) throws -> [WorkRow] {
        if let lost = lease?.lost { throw lost }
        let keys = try keys(of: jobID)
        let renewal = BootClock.now()
        let leased: [WorkRow]? = try connection.transaction {
            if lease != nil, try connection.query(PostgresRowWrites.renewalSQL, runner.id).affectedRows != 1 {
                return nil
            }
            _ = try connection.query(Self.findGoneRunnersSQL, runner.id, leaseLength.seconds)
            var rows: [WorkRow] = []
            if ownRangesToo {
                let own = try connection.query(
                    "SELECT first_id, last_id FROM row_leases WHERE job_number = $1 AND owner = $2 ORDER BY first_id",
                    keys.job, runner.id)
                let (first, last) = (try own.column("first_id"), try own.column("last_id"))
                rows = try own.rows.flatMap { try sendableRows(in: $0.int(first)...$0.int(last), keys: keys) }
            }
            let taken = try connection.query(Self.takeOverRangesSQL, keys.job, runner.id)
            let (first, last) = (try taken.column("first_id"), try taken.column("last_id"))
            rows += try taken.rows.flatMap { try sendableRows(in: $0.int(first)...$0.int(last), keys: keys) }
            while rows.count < limit, let fresh = try leaseFreshRange(of: keys, size: limit - rows.count) {
                rows += try sendableRows(in: fresh, keys: keys)
            }
            return rows
        }
        guard let leased else { throw noticeLoss() }
        lease?.renewed(startedAt: renewal)
        return leased
    }

    /// The job's rows in `range` that still need a request, in key order, a row in flight as in doubt. Call on
    /// `queue`.
    private func sendableRows(in range: ClosedRange<Int>, keys: RowKeyRange) throws -> [WorkRow] {
        let result = try connection.query(
            """
            SELECT \(StoredRecords.workRowColumns) FROM job_rows
            WHERE id BETWEEN $1 AND $2 AND state IN ('pending', 'waiting', 'in_doubt', 'in_flight') ORDER BY id
            """, range.lowerBound, range.upperBound)
        let at = try WorkRowColumns(in: result)
        return result.rows.compactMap { StoredRecords.workRow($0, at: at, keys: keys)?.takenOver }
    }

    /// Leases the next `size` rows of the job that no runner has leased yet, as one range; `nil` when every row
    /// of the job was leased already. Two runners that reach for the same range at once wait for each other on
    /// its key, and the second tries the range after. Call on `queue`, inside the lease's transaction.
    private func leaseFreshRange(of keys: RowKeyRange, size: Int) throws -> ClosedRange<Int>? {
        while true {
            let leased = try connection.query(
                Self.leaseFreshRangeSQL, keys.job, runner.id, size, keys.first, keys.last)
            guard leased.count == 0 else {
                return leased[0].int(try leased.column("first_id"))...leased[0].int(try leased.column("last_id"))
            }
            let remaining = try connection.query(Self.rowsNotLeasedSQL, keys.job, keys.first, keys.last)
            guard remaining[0].int(0) > 0 else { return nil }
        }
    }

    /// Hands the job's (`$1`) ranges held by runners that ended or were found gone to the runner `$2`, and returns
    /// them (`first_id`, `last_id`). Ranges another runner is taking right now are skipped, not waited for.
    private static let takeOverRangesSQL = """
        UPDATE row_leases SET owner = $2
        WHERE (job_number, first_id) IN (
            SELECT job_number, first_id FROM row_leases
            WHERE job_number = $1 AND owner <> $2
                AND owner NOT IN (SELECT id FROM runners WHERE lost_at IS NULL AND ended_at IS NULL)
            FOR UPDATE SKIP LOCKED)
        RETURNING first_id, last_id
        """

    /// Leases to the runner `$2` the `$3` rows of job `$1` (its keys `$4` to `$5`) that follow the last range
    /// leased, up to the job's last row, and returns the range (`first_id`, `last_id`); nothing when every row was
    /// leased, or when another runner's transaction took that range first (its key is taken).
    private static let leaseFreshRangeSQL = """
        INSERT INTO row_leases (job_number, first_id, last_id, owner)
        SELECT $1, next.first_id, LEAST(next.first_id + $3 - 1, extent.last_id), $2
        FROM (SELECT COALESCE(max(last_id) + 1, $4) AS first_id FROM row_leases WHERE job_number = $1) AS next,
            (SELECT max(id) AS last_id FROM job_rows WHERE id BETWEEN $4 AND $5) AS extent
        WHERE next.first_id <= extent.last_id
        ON CONFLICT (job_number, first_id) DO NOTHING
        RETURNING first_id, last_id
        """

    /// How many of job `$1`'s row keys (`$2` to `$3`) follow the last range leased: 0 when every row was leased.
    private static let rowsNotLeasedSQL = """
        SELECT COALESCE((SELECT max(id) FROM job_rows WHERE id BETWEEN $2 AND $3), $2 - 1) + 1
            - COALESCE((SELECT max(last_id) + 1 FROM row_leases WHERE job_number = $1), $2)
        """

    /// Records as gone (`lost_at`, `lost_to`) every runner other than `$1` that has not ended and was not seen
    /// for its lease (`$2` for a runner that recorded none): from then on its rows are anyone's, and its next
    /// renewal fails. A runner whose row is locked is renewing its lease right now, and is passed over
    /// (`SKIP LOCKED`), so runners never wait for each other here.
    private static let findGoneRunnersSQL = """
        UPDATE runners SET lost_at = extract(epoch FROM clock_timestamp()), lost_to = $1
        WHERE id IN (
            SELECT id FROM runners
            WHERE ended_at IS NULL AND lost_at IS NULL AND id <> $1
                AND last_seen < extract(epoch FROM clock_timestamp()) - COALESCE(lease_seconds, $2::float8)
            FOR UPDATE SKIP LOCKED)
        """

    /// Found out that another runner found this one gone: records the loss in the lease (which closes its send
    /// deadline and tells the runner), stops the heartbeat, and returns the loss. Call on `queue`.
    private func noticeLoss() -> LeaseLoss {
        heartbeat?.stop()
        heartbeat = nil
        if let known = lease?.lost { return known }
        var unseenSeconds: Double?
        var takenOverBy: String?
        if let found = try? connection.query(
            """
            SELECT extract(epoch FROM clock_timestamp()) - last_seen AS unseen_seconds, lost_to FROM runners
            WHERE id = $1
            """, runner.id), found.count > 0
        {
            unseenSeconds = found.position(ofColumn: "unseen_seconds").flatMap(found[0].optionalDouble)
            takenOverBy = found.position(ofColumn: "lost_to").flatMap(found[0].optionalText)
        }
        let loss = LeaseLoss(
            runnerID: runner.id, unseenSeconds: unseenSeconds, lease: leaseLength, takenOverBy: takenOverBy)
        return lease?.lose(loss) ?? loss
    }

    /// None: rows in flight of a runner that is gone come back, in doubt, through
    /// ``rowsToSendAsync(jobID:after:limit:completion:)`` once its lease is over.
    func rowsLeftInFlight(jobID: String) throws -> [WorkRow] { [] }

    /// The group commit in one statement, fenced; call on the store's queue.
    func commitTransaction(
        jobID: String, writes: [RowWrite], requests: Int, retries: Int, sendingSeconds: Double, startedAt: String?
    ) throws {
        if let lost = lease?.lost { throw lost }
        let keys = try keys(of: jobID)
        let renewal = BootClock.now()
        let counters: [(any PostgresParameter)?] = [
            requests, retries, sendingSeconds, startedAt, jobID, runner.id, keys.job, Int(Timestamp.nowSeconds()),
        ]
        let batches = PostgresRowWrites.batches(of: writes, keys: keys)
        do {
            if batches.count == 1 {
                try connection.query(
                    PostgresRowWrites.commitSQL(leased: lease != nil), parameters: batches[0].parameters + counters)
            } else {
                try connection.transaction {
                    for batch in batches {
                        try connection.query(PostgresRowWrites.batchSQL, parameters: batch.parameters)
                    }
                    try connection.query(PostgresRowWrites.countersOnlySQL(leased: lease != nil), parameters: counters)
                }
            }
        } catch let error as PostgresError
            where error.sqlState == PostgresRowWrites.fenceState || error.sqlState == PostgresRowWrites.leaseOverState
        {
            // Nothing of the commit was written: the rows are another runner's now.
            throw noticeLoss()
        }
        lease?.renewed(startedAt: renewal)
    }

    func forEachReportRow(jobID: String, _ body: (ReportRow) throws -> Void) throws {
        try sync {
            let keys = try keys(of: jobID)
            // In pages along the key, so a million-row job is never one result in memory.
            var next = keys.first
            while true {
                let page = try connection.query(
                    """
                    SELECT \(StoredRecords.reportRowColumns), id FROM job_rows
                    WHERE id BETWEEN $1 AND $2 ORDER BY id LIMIT \(Self.reportPage)
                    """, next, keys.last)
                let at = try ReportRowColumns(in: page)
                for row in page.rows { try body(StoredRecords.reportRow(row, at: at)) }
                guard page.count == Self.reportPage else { return }
                next = page[page.count - 1].int(try page.column("id")) + 1
            }
        }
    }

    /// Rows per page of ``forEachReportRow(jobID:_:)``.
    private static let reportPage = 10_000

    // MARK: Canceling

    /// Ends `canceled` the rows of a canceled job that wait for their first request, but not those in ranges another
    /// live runner holds: that runner may have them in memory with their requests about to leave. It cancels them
    /// itself once it sees the job canceled (``SteeringWatch``, within a quarter second); the ranges of a runner that
    /// is gone are canceled by whoever takes them over (a canceled job's scheduler sends nothing it loads). Returns
    /// how many rows it canceled.
    @discardableResult
    func cancelUnsentRows(jobID: String, at: String) throws -> Int {
        try sync {
            let keys = try keys(of: jobID)
            return try connection.query(Self.cancelUnheldRowsSQL, at, keys.first, keys.last, keys.job, runner.id)
                .affectedRows
        }
    }

    /// Cancels, at `$1`, the rows of keys `$2` to `$3` (job `$4`) waiting for their first request, outside the ranges
    /// of live runners other than `$5`.
    private static let cancelUnheldRowsSQL = """
        UPDATE job_rows SET state = 'finished', status = 'canceled', finished_at = $1,
            message = 'canceled by an operator before it was sent'
        WHERE id BETWEEN $2 AND $3 AND state IN ('pending', 'waiting')
            AND NOT EXISTS (
                SELECT 1 FROM row_leases AS l
                WHERE l.job_number = $4 AND job_rows.id BETWEEN l.first_id AND l.last_id AND l.owner <> $5
                    AND l.owner IN (SELECT id FROM runners WHERE lost_at IS NULL AND ended_at IS NULL))
        """

    // MARK: Outcomes

    func recordOutcomes(
        jobID: String, _ outcomes: [(sequence: Int, outcome: VerificationOutcome)], checkedAt: String
    ) throws {
        try sync {
            let keys = try keys(of: jobID)
            try connection.transaction {
                try connection.query(
                    """
                    UPDATE job_rows SET outcome = o.outcome
                    FROM unnest($1::bigint[], $2::text[]) AS o(id, outcome) WHERE job_rows.id = o.id
                    """, PostgresArray(outcomes.map { keys.id(seq: $0.sequence) }),
                    PostgresArray(outcomes.map(\.outcome.rawValue)))
                try connection.run(StoreSQL.outcomesChecked, checkedAt, jobID)
            }
        }
    }

    // MARK: Runners

    /// Records this process as a new runner of the store (a new id when it ran before, after a lost lease),
    /// with its lease, on the database's clock, and starts the heartbeat.
    @discardableResult
    func startRunning(lease length: Duration, requestTimeout: Duration) throws -> RunnerLease {
        try sync {
            heartbeat?.stop()
            if runnerRecorded { runner = RunnerRecord.thisProcess() }
            leaseLength = length
            let registration = BootClock.now()
            try connection.query(
                """
                INSERT INTO runners (id, host, pid, started_at, last_seen, lease_seconds)
                VALUES ($1, $2, $3, $4, extract(epoch FROM clock_timestamp()), $5)
                ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen
                """, runner.id, runner.host, runner.pid, runner.startedAt, length.seconds)
            runnerRecorded = true
            let granted = RunnerLease(
                runnerID: runner.id, length: length, requestTimeout: requestTimeout, renewedAt: registration)
            lease = granted
            heartbeat = RunnerHeartbeat(queue: queue, interval: granted.renewalInterval) { [weak self] in self?.beat() }
            return granted
        }
    }

    /// Renews the lease; on the store's queue. A lost connection is opened again here, so the next commit finds
    /// it up; a renewal refused means another runner found this one gone.
    private func beat() {
        guard lease?.lost == nil else { return }
        if !connection.isConnected { try? connection.reconnect() }
        let renewal = BootClock.now()
        guard let renewed = try? connection.query(PostgresRowWrites.renewalSQL, runner.id).affectedRows else { return }
        if renewed == 1 {
            lease?.renewed(startedAt: renewal)
        } else {
            _ = noticeLoss()
        }
    }

    /// Stops the beat and records that this runner ended, which gives its lease up: the rows this runner still
    /// holds (none in flight: a run ends after its last answer) go to whoever asks next, a restart of this one
    /// included, without waiting out the lease. A runner found gone records nothing: its rows are anyone's
    /// already.
    func stopRunning() {
        queue.sync {
            heartbeat?.stop()
            heartbeat = nil
            _ = try? connection.query(
                """
                UPDATE runners SET last_seen = extract(epoch FROM clock_timestamp()), ended_at = $1
                WHERE id = $2 AND lost_at IS NULL
                """, Timestamp.now(), runner.id)
        }
    }

    func takeRateTokensAsync(
        upTo wanted: Int, rate: Double, capacity: Int,
        completion: @escaping @Sendable (Result<RateGrant, any Error>) -> Void
    ) {
        queue.async {
            completion(
                Result {
                    try self.whileReconnecting {
                        try self.grantRateTokens(upTo: wanted, rate: rate, capacity: capacity)
                    }
                })
        }
    }

    /// ``takeRateTokensAsync(upTo:rate:capacity:completion:)``'s statement; call on `queue`.
    private func grantRateTokens(upTo wanted: Int, rate: Double, capacity: Int) throws -> RateGrant {
        let grant = try connection.query(
            """
            WITH now AS (SELECT extract(epoch FROM clock_timestamp())::float8 AS at),
            bucket AS (
                SELECT LEAST($3::float8, tokens + GREATEST(0, now.at - refilled_at) * $2::float8) AS available,
                       now.at
                FROM rate_budget, now WHERE id = 1 FOR UPDATE),
            grant_ AS (SELECT available, at, LEAST($1::float8, floor(available)) AS granted FROM bucket)
            UPDATE rate_budget SET tokens = grant_.available - grant_.granted,
                                   refilled_at = GREATEST(refilled_at, grant_.at)
            FROM grant_ WHERE id = 1
            RETURNING grant_.granted, grant_.available
            """, wanted, rate, capacity)
        guard grant.count > 0 else { return RateGrant(granted: 0, wait: Double(wanted) / max(rate, 1e-9)) }
        let granted = grant[0].int(try grant.column("granted"))
        let left = (grant[0].optionalDouble(try grant.column("available")) ?? 0) - Double(granted)
        // Short: come back once a whole grant has been refilled, not at the next token. Runners that share the
        // bucket each take what is there when they come: with ten of them, asking at every token would cost the
        // database a statement per token.
        return RateGrant(granted: granted, wait: granted < wanted ? max(0, Double(wanted) - left) / max(rate, 1e-9) : 0)
    }

}

extension WorkRow {
    /// The row as a runner that takes it over sees it: a row left in flight is in doubt, as its request may have
    /// left.
    fileprivate var takenOver: WorkRow {
        guard case .inFlight(let attempt) = state else { return self }
        var row = self
        row.state = .inDoubt(attempts: attempt)
        row.wasInFlightForAnotherRunner = true
        return row
    }
}
