/// One result row of either store, read by column (0-based): ``SQLiteStatement`` on its current row, and
/// ``PostgresRow``. The records below are read from it the same way in both stores, from the same
/// column lists.
protocol StoredColumns {
    /// The column as text (`''` for NULL).
    func text(_ index: Int32) -> String
    /// The column as text, `nil` for NULL.
    func optionalText(_ index: Int32) -> String?
    /// The column as an integer (0 for NULL).
    func int(_ index: Int32) -> Int
    /// The column as an integer, `nil` for NULL.
    func optionalInt(_ index: Int32) -> Int?
    /// The column as a floating-point number, `nil` for NULL.
    func optionalDouble(_ index: Int32) -> Double?
}

extension SQLiteStatement: StoredColumns {}

/// The column lists both stores select, and how each record is read from them.
enum StoredRecords {
    /// The columns of a ``JobRecord``, for ``job(_:)``.
    static let jobColumns = """
        id, file_name, work_path, state, extra_columns, total_rows, paused_reason, created_at, started_at,
        finished_at, requests, retries, sending_seconds, provider, outcomes_checked_at
        """

    /// A job from the columns of ``jobColumns``.
    static func job(_ columns: some StoredColumns) -> JobRecord {
        JobRecord(
            id: columns.text(0), fileName: columns.text(1), workPath: columns.text(2),
            state: JobState(rawValue: columns.text(3)) ?? .paused,
            extraColumns: ExtrasCodec.decode(columns.text(4)), totalRows: columns.int(5),
            pausedReason: columns.optionalText(6), createdAt: columns.text(7),
            startedAt: columns.optionalText(8), finishedAt: columns.optionalText(9),
            requests: columns.int(10), retries: columns.int(11),
            sendingSeconds: columns.optionalDouble(12) ?? 0,
            provider: columns.optionalText(13).flatMap(ProviderName.init(rawValue:)),
            outcomesCheckedAt: columns.optionalText(14))
    }

    /// The columns of a ``WorkRow``, for ``workRow(_:keys:)``.
    static let workRowColumns =
        "id, state, attempts, not_before, e164, country_code, via, locale, code, started_at, sent_at"

    /// A row to send from the columns of ``workRowColumns``, or `nil` for a state this version does not know.
    static func workRow(_ columns: some StoredColumns, keys: RowKeyRange) -> WorkRow? {
        guard let state = RowState(storedName: columns.text(1), attempts: columns.int(2), status: nil) else {
            return nil
        }
        let e164 = columns.text(4)
        let countryCode = columns.int(5)
        let code = columns.optionalText(8)
        // E.164 is `+`, the country code, then the national number.
        let national = String(e164.utf8.dropFirst(1 + String(countryCode).utf8.count)) ?? ""
        let target = VerificationTarget(
            e164: e164, countryCode: countryCode, nationalNumber: national, kind: code == nil ? .start : .check,
            channel: Channel(rawValue: columns.text(6)) ?? .sms, locale: columns.optionalText(7), code: code)
        return WorkRow(
            sequence: keys.seq(id: columns.int(0)), target: target, state: state,
            notBefore: columns.optionalDouble(3),
            firstSentAt: columns.optionalText(9).flatMap(Timestamp.seconds(fromISO8601:)),
            lastSentAt: columns.optionalDouble(10))
    }

    /// The columns of a ``ReportRow``, for ``reportRow(_:)``.
    static let reportRowColumns = """
        line, phone_input, country_input, e164, via, status, attempts, error_code, message, provider_id, carrier,
        is_cellphone, http_status, started_at, finished_at, extras, outcome, locale, code
        """

    /// A report row from the columns of ``reportRowColumns``.
    static func reportRow(_ columns: some StoredColumns) -> ReportRow {
        ReportRow(
            line: columns.int(0), phoneInput: columns.text(1), countryInput: columns.text(2),
            e164: columns.optionalText(3), channel: columns.text(4),
            locale: columns.optionalText(17), code: columns.optionalText(18),
            status: columns.optionalText(5).flatMap(RowStatus.init(rawValue:)),
            outcome: columns.optionalText(16).flatMap(VerificationOutcome.init(rawValue:)),
            attempts: columns.int(6), errorCode: columns.optionalText(7),
            message: columns.optionalText(8), providerID: columns.optionalText(9),
            carrier: columns.optionalText(10), isCellphone: columns.optionalInt(11).map { $0 != 0 },
            httpStatus: columns.optionalInt(12), startedAt: columns.optionalText(13),
            finishedAt: columns.optionalText(14), extras: ExtrasCodec.decode(columns.text(15)))
    }

    /// The columns of a ``SentRow``, for ``sentRow(_:keys:)``.
    static let sentRowColumns = "id, e164, provider_id, started_at, outcome"

    /// A sent row from the columns of ``sentRowColumns``.
    static func sentRow(_ columns: some StoredColumns, keys: RowKeyRange) -> SentRow {
        SentRow(
            sequence: keys.seq(id: columns.int(0)), e164: columns.text(1), providerID: columns.optionalText(2),
            startedAt: columns.optionalText(3).flatMap(Timestamp.seconds(fromISO8601:)),
            outcome: columns.optionalText(4).flatMap(VerificationOutcome.init(rawValue:)))
    }

    /// The query of ``errorCodeBreakdown``'s rows, with the job's key range as its two parameters.
    static let errorCodeBreakdownSQL = """
        SELECT COALESCE(error_code, 'http_' || http_status), COALESCE(status, 'unfinished'), count(*),
               max(http_status), min(message)
        FROM job_rows
        WHERE id BETWEEN ? AND ? AND (error_code IS NOT NULL OR http_status NOT BETWEEN 200 AND 299)
        GROUP BY 1, 2 ORDER BY 3 DESC, 1
        """

    /// An error-code count from a row of ``errorCodeBreakdownSQL``.
    static func errorCodeCount(_ columns: some StoredColumns) -> ErrorCodeCount {
        ErrorCodeCount(
            code: columns.text(0), status: columns.text(1), rows: columns.int(2),
            httpStatus: columns.optionalInt(3), sampleMessage: columns.optionalText(4))
    }

    /// The columns of a ``RunnerRecord``, for ``runner(_:)``.
    static let runnerColumns = "id, host, pid, started_at, last_seen, sent, ended_at, lease_seconds, lost_at, lost_to"

    /// A runner from the columns of ``runnerColumns``.
    static func runner(_ columns: some StoredColumns) -> RunnerRecord {
        RunnerRecord(
            id: columns.text(0), host: columns.text(1), pid: columns.int(2), startedAt: columns.text(3),
            lastSeen: columns.optionalDouble(4) ?? 0, sent: columns.int(5), endedAt: columns.optionalText(6),
            leaseSeconds: columns.optionalDouble(7), lostAt: columns.optionalDouble(8), lostTo: columns.optionalText(9))
    }
}
