/// The group commit's row changes as PostgreSQL statements: one `UPDATE … FROM unnest(…)` per batch, each
/// column of the batch one array parameter.
///
/// An `UPDATE` changes a row at most once, so a row that changes twice in one commit (an answer, then the
/// retry's in-flight mark) starts a new batch: batches run in order, and so do the changes.
enum PostgresRowWrites {
    /// One statement's worth of writes, none of them for the same row.
    struct Batch {
        /// The 16 parameters of ``updateSQL``.
        let parameters: [(any PostgresParameter)?]
        /// The rows it writes: the statement must change exactly as many.
        let count: Int
    }

    /// The writes in order, cut into batches wherever a row comes back; each batch writes only rows that
    /// `runner` holds (or no runner does).
    static func batches(of writes: [RowWrite], keys: RowKeyRange, runner: String) -> [Batch] {
        var batches: [Batch] = []
        var current: [RowWrite] = []
        var rowsInCurrent: Set<Int> = []
        for write in writes {
            if !rowsInCurrent.insert(write.sequence).inserted {
                batches.append(batch(current, keys: keys, runner: runner))
                current = []
                rowsInCurrent = [write.sequence]
            }
            current.append(write)
        }
        if !current.isEmpty { batches.append(batch(current, keys: keys, runner: runner)) }
        return batches
    }

    /// The kind of a write, which decides the columns it sets (the SQLite store's three `UPDATE`s).
    private static func kind(of write: RowWrite) -> String {
        if case .inFlight = write.state { return "in_flight" }
        return write.result == nil ? "untouched" : "answered"
    }

    private static func batch(_ writes: [RowWrite], keys: RowKeyRange, runner: String) -> Batch {
        let statuses: [String?] = writes.map { write in
            if case .finished(let final, _) = write.state { return final.rawValue }
            return nil
        }
        return Batch(parameters: [
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
            runner,
        ], count: writes.count)
    }

    /// Applies a batch: an in-flight mark sets the attempt and when it left; an answer sets the state, the
    /// answer's fields and, for a final status, `finished_at`; a row handed back untouched forgets the
    /// start of an attempt that never left. A row another runner has taken over (this one was not seen for its
    /// lease) is not written: the statement then changes fewer rows than the batch holds, and the commit fails.
    static let updateSQL = """
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
                    $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::integer[], $14::integer[],
                    $15::text[])
            AS w(id, kind, state, status, attempts, not_before, at, sent_at, error_code, message, provider_id,
                 carrier, is_cellphone, http_status, finished_at)
        WHERE r.id = w.id AND (r.lease_owner IS NULL OR r.lease_owner = $16)
        """
}
