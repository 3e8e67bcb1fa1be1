/// The group commit as PostgreSQL statements: one `UPDATE … FROM unnest(…)` per batch of row changes, each
/// column of the batch one array parameter, checked by the fence (`verifyd_fence`, which fails the statement,
/// and with it the transaction, when the batch changed fewer rows than it holds, or when the runner was found
/// gone: its ranges of rows are then another's).
///
/// An `UPDATE` changes a row at most once, so a row that changes twice in one commit (an answer, then the
/// retry's in-flight mark) starts a new batch: batches run in order, and so do the changes. The usual commit
/// is one batch, and is sent as one statement together with the job's counters (``commitSQL``): one round
/// trip, and PostgreSQL's own transaction around the statement.
enum PostgresRowWrites {
    /// One statement's worth of writes, none of them for the same row.
    struct Batch {
        /// The 16 parameters of ``batchSQL``: 15 arrays and the batch's size.
        let parameters: [(any PostgresParameter)?]
        /// The rows it writes: the statement must change exactly as many.
        let count: Int
    }

    /// The writes in order, cut into batches wherever a row comes back (at least one batch, maybe empty).
    static func batches(of writes: [RowWrite], keys: RowKeyRange) -> [Batch] {
        var batches: [Batch] = []
        var current: [RowWrite] = []
        var rowsInCurrent: Set<Int> = []
        for write in writes {
            if !rowsInCurrent.insert(write.sequence).inserted {
                batches.append(batch(current, keys: keys))
                current = []
                rowsInCurrent = [write.sequence]
            }
            current.append(write)
        }
        if !current.isEmpty || batches.isEmpty { batches.append(batch(current, keys: keys)) }
        return batches
    }

    /// The kind of a write, which decides the columns it sets (the SQLite store's three `UPDATE`s).
    private static func kind(of write: RowWrite) -> String {
        if case .inFlight = write.state { return "in_flight" }
        return write.result == nil ? "untouched" : "answered"
    }

    private static func batch(_ writes: [RowWrite], keys: RowKeyRange) -> Batch {
        let statuses: [String?] = writes.map { write in
            if case .finished(let final, _) = write.state { return final.rawValue }
            return nil
        }
        return Batch(
            parameters: [
                PostgresArray(writes.map { keys.id(seq: $0.sequence) }),
                PostgresArray(writes.map { kind(of: $0) }),
                PostgresArray(writes.map(\.state.storedName)),
                PostgresArray(statuses),
                PostgresArray(writes.map(\.state.attempts)),
                PostgresArray(writes.map(\.notBefore)),
                PostgresArray(writes.map(\.timestamp)),
                PostgresArray(writes.map(\.sentAt)),
                PostgresArray(writes.map { $0.result?.errorCode }),
                PostgresArray(writes.map { $0.result?.message }),
                PostgresArray(writes.map { $0.result?.providerID }),
                PostgresArray(writes.map { $0.result?.carrier }),
                PostgresArray(writes.map { $0.result?.isCellphone }),
                PostgresArray(writes.map { $0.result?.httpStatus }),
                PostgresArray(zip(writes, statuses).map { $1 == nil ? nil : $0.timestamp }),
                writes.count,
            ], count: writes.count)
    }

    /// Applies a batch: an in-flight mark sets the attempt and when it left; an answer sets the state, the
    /// answer's fields and, for a final status, `finished_at`; a row handed back untouched forgets the
    /// start of an attempt that never left. Whether the rows are still this runner's is the lease's question,
    /// asked once per commit (``commitSQL(leased:)``): a runner's ranges go to another only once it was found
    /// gone.
    private static let updateSQL = """
        UPDATE job_rows AS r SET
            state = w.state,
            attempts = w.attempts,
            status = CASE WHEN w.kind = 'in_flight' THEN r.status ELSE w.status END,
            not_before = CASE WHEN w.kind = 'in_flight' THEN r.not_before ELSE w.not_before END,
            started_at = CASE
                WHEN w.kind = 'in_flight' THEN COALESCE(r.started_at, w.at)
                WHEN w.kind = 'untouched' AND w.attempts = 0 THEN NULL
                ELSE r.started_at END,
            sent_at = CASE WHEN w.kind = 'in_flight' THEN w.sent_at ELSE r.sent_at END,
            error_code = CASE WHEN w.kind = 'answered' THEN w.error_code ELSE r.error_code END,
            message = CASE WHEN w.kind = 'answered' THEN w.message ELSE r.message END,
            provider_id = CASE WHEN w.kind = 'answered' THEN COALESCE(w.provider_id, r.provider_id) ELSE r.provider_id END,
            carrier = CASE WHEN w.kind = 'answered' THEN COALESCE(w.carrier, r.carrier) ELSE r.carrier END,
            is_cellphone = CASE WHEN w.kind = 'answered' THEN COALESCE(w.is_cellphone, r.is_cellphone)
                ELSE r.is_cellphone END,
            http_status = CASE WHEN w.kind = 'answered' THEN w.http_status ELSE r.http_status END,
            finished_at = CASE
                WHEN w.kind = 'answered' THEN w.finished_at
                WHEN w.kind = 'untouched' THEN COALESCE(w.finished_at, r.finished_at)
                ELSE r.finished_at END
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::float8[], $7::text[],
                    $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[],
                    $15::text[])
            AS w(id, kind, state, status, attempts, not_before, at, sent_at, error_code, message, provider_id,
                 carrier, is_cellphone, http_status, finished_at)
        WHERE r.id = w.id
        RETURNING 1
        """

    /// The SQLSTATE of the fence (`verifyd_fence`, migration 5): the batch changed fewer rows than it holds.
    static let fenceState = "VF001"

    /// The SQLSTATE of the three-argument fence (migration 6): the runner was found gone by another, so its
    /// lease is over and none of its commit may be written.
    static let leaseOverState = "VF002"

    /// One batch, fenced.
    static let batchSQL = """
        WITH written AS (\(updateSQL))
        SELECT verifyd_fence((SELECT count(*) FROM written), $16)
        """

    /// The renewal of a runner's lease: its sign of life, written on the database's clock, only while no other
    /// runner has found it gone (or it ended). `$1` is the runner; one row changed means the lease holds.
    static let renewalSQL = """
        UPDATE runners SET last_seen = extract(epoch FROM clock_timestamp())
        WHERE id = $1 AND lost_at IS NULL AND ended_at IS NULL
        """

    /// The job's counters, this runner's sign of life (``renewalSQL``'s, counting its requests) and the requests
    /// of this second: parameters `$n`… are requests, retries, sending seconds, the first send's time, the job
    /// id, the runner, the job's number, this second.
    static func countersSQL(from n: Int) -> String {
        let p = (0..<8).map { "$\(n + $0)" }
        return """
            counted AS (
                UPDATE jobs SET requests = requests + \(p[0])::bigint, retries = retries + \(p[1])::bigint,
                                sending_seconds = sending_seconds + \(p[2])::float8,
                                started_at = COALESCE(started_at, \(p[3])::text)
                WHERE id = \(p[4])::text RETURNING id),
            seen AS (
                UPDATE runners SET last_seen = extract(epoch FROM clock_timestamp()), sent = sent + \(p[0])::bigint
                WHERE id = \(p[5])::text AND lost_at IS NULL AND ended_at IS NULL RETURNING id),
            per_second AS (
                INSERT INTO job_request_seconds (job_number, second, requests)
                SELECT \(p[6])::bigint, \(p[7])::bigint, \(p[0])::bigint WHERE \(p[0])::bigint > 0
                ON CONFLICT (job_number, second) DO UPDATE
                SET requests = job_request_seconds.requests + excluded.requests RETURNING 1)
            """
    }

    /// The usual commit, one batch and the counters, as one statement (parameters: the batch's 16, then the
    /// counters' 8), fenced on the rows written and, for a runner that holds a lease, on the lease.
    static func commitSQL(leased: Bool) -> String { leased ? leasedCommitSQL : unleasedCommitSQL }

    /// The counters alone, after the batches of a commit of several (parameters: the counters' 8), fenced on the
    /// lease for a runner that holds one.
    static func countersOnlySQL(leased: Bool) -> String { leased ? leasedCountersOnlySQL : unleasedCountersOnlySQL }

    private static let leasedCommitSQL = """
        WITH written AS (\(updateSQL)),
        \(countersSQL(from: 17))
        SELECT verifyd_fence((SELECT count(*) FROM written), $16, (SELECT count(*) FROM seen))
        """

    private static let unleasedCommitSQL = """
        WITH written AS (\(updateSQL)),
        \(countersSQL(from: 17))
        SELECT verifyd_fence((SELECT count(*) FROM written), $16)
        """

    private static let leasedCountersOnlySQL = """
        WITH \(countersSQL(from: 1)) SELECT verifyd_fence(0, 0, (SELECT count(*) FROM seen))
        """

    private static let unleasedCountersOnlySQL = "WITH \(countersSQL(from: 1)) SELECT 1"
}
