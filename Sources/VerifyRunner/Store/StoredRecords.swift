/// One result row of either store, read by column position (0-based): ``SQLiteStatement`` on its current row, and
/// ``PostgresRow``. The positions come from the columns' names (``StoredColumnNames``), found once per statement,
/// not per row; the records below are read from them the same way in both stores.
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

/// The named columns of one statement's result: ``SQLiteStatement`` (once prepared) and ``PostgresResult``.
protocol StoredColumnNames {
    /// The position (0-based) of the column named `name`, `nil` when the statement selects none of that name.
    func position(ofColumn name: String) -> Int32?
}

extension StoredColumnNames {
    /// The position (0-based) of the column named `name`, which the statement must select.
    func column(_ name: String) throws(StoredColumnMissing) -> Int32 {
        guard let position = position(ofColumn: name) else { throw StoredColumnMissing(column: name) }
        return position
    }
}

/// A statement selects no column of a name a record is read from: the store's SQL and its reading disagree.
struct StoredColumnMissing: StoreError {
    /// The column's name.
    let column: String

    var description: String { "the store's query selects no column \(column)" }
}

/// Where the columns a record is read from stand in one statement's result: one property per column, found by
/// the column's name once per statement (``init(in:)``), so reading each row looks up no names.
protocol StoredColumnPositions {
    /// Every position 0, before ``init(in:)`` finds them.
    init()
    /// The columns, by name, each with the property that holds its position.
    static var columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> { get }
}

extension StoredColumnPositions {
    /// The columns' names, as a `SELECT` list.
    static var selectList: String { columns.map(\.key).joined(separator: ", ") }

    /// The positions of the columns in the result `names`.
    init(in names: some StoredColumnNames) throws(StoredColumnMissing) {
        self.init()
        for (name, position) in Self.columns { self[keyPath: position] = try names.column(name) }
    }
}

extension SQLiteStatement: StoredColumns {}

/// The column lists both stores select, and how each record is read from them.
enum StoredRecords {
    /// The columns of a ``JobRecord``, for ``job(_:at:)``.
    static let jobColumns = JobColumns.selectList

    /// A job from the columns of ``jobColumns``.
    static func job(_ row: some StoredColumns, at column: JobColumns) -> JobRecord {
        JobRecord(
            id: row.text(column.id), fileName: row.text(column.fileName), workPath: row.text(column.workPath),
            state: JobState(rawValue: row.text(column.state)) ?? .paused,
            extraColumns: ExtrasCodec.decode(row.text(column.extraColumns)), totalRows: row.int(column.totalRows),
            pausedReason: row.optionalText(column.pausedReason), createdAt: row.text(column.createdAt),
            startedAt: row.optionalText(column.startedAt), finishedAt: row.optionalText(column.finishedAt),
            requests: row.int(column.requests), retries: row.int(column.retries),
            sendingSeconds: row.optionalDouble(column.sendingSeconds) ?? 0,
            provider: row.optionalText(column.provider).flatMap(ProviderName.init(rawValue:)),
            outcomesCheckedAt: row.optionalText(column.outcomesCheckedAt), pausedBy: row.optionalText(column.pausedBy),
            rowsWaitingForWindow: row.optionalInt(column.windowWaiting),
            windowOpensAt: row.optionalDouble(column.windowOpensAt))
    }

    /// The columns of a ``WorkRow``, for ``workRow(_:at:keys:)``.
    static let workRowColumns = WorkRowColumns.selectList

    /// A row to send from the columns of ``workRowColumns``, or `nil` for a state this version does not know.
    static func workRow(_ row: some StoredColumns, at column: WorkRowColumns, keys: RowKeyRange) -> WorkRow? {
        guard
            let state = RowState(
                storedName: row.text(column.state), attempts: row.int(column.attempts), status: nil)
        else {
            return nil
        }
        let e164 = row.text(column.e164)
        let countryCode = row.int(column.countryCode)
        let code = row.optionalText(column.code)
        // E.164 is `+`, the country code, then the national number.
        let national = String(e164.utf8.dropFirst(1 + String(countryCode).utf8.count)) ?? ""
        let target = VerificationTarget(
            e164: e164, countryCode: countryCode, nationalNumber: national, kind: code == nil ? .start : .check,
            channel: Channel(rawValue: row.text(column.via)) ?? .sms, locale: row.optionalText(column.locale),
            code: code)
        return WorkRow(
            sequence: keys.seq(id: row.int(column.id)), target: target, state: state,
            notBefore: row.optionalDouble(column.notBefore),
            firstSentAt: row.optionalText(column.startedAt).flatMap(Timestamp.seconds(fromISO8601:)),
            lastSentAt: row.optionalDouble(column.sentAt), timeZone: row.optionalText(column.timeZone))
    }

    /// The columns of a ``ReportRow``, for ``reportRow(_:at:)``.
    static let reportRowColumns = ReportRowColumns.selectList

    /// A report row from the columns of ``reportRowColumns``.
    static func reportRow(_ row: some StoredColumns, at column: ReportRowColumns) -> ReportRow {
        ReportRow(
            line: row.int(column.line), phoneInput: row.text(column.phoneInput),
            countryInput: row.text(column.countryInput), e164: row.optionalText(column.e164),
            channel: row.text(column.via), locale: row.optionalText(column.locale), code: row.optionalText(column.code),
            status: row.optionalText(column.status).flatMap(RowStatus.init(rawValue:)),
            outcome: row.optionalText(column.outcome).flatMap(VerificationOutcome.init(rawValue:)),
            attempts: row.int(column.attempts), errorCode: row.optionalText(column.errorCode),
            message: row.optionalText(column.message), providerID: row.optionalText(column.providerID),
            carrier: row.optionalText(column.carrier), isCellphone: row.optionalInt(column.isCellphone).map { $0 != 0 },
            httpStatus: row.optionalInt(column.httpStatus), startedAt: row.optionalText(column.startedAt),
            finishedAt: row.optionalText(column.finishedAt), extras: ExtrasCodec.decode(row.text(column.extras)),
            timeZone: row.optionalText(column.timeZone))
    }

    /// The columns of a ``SentRow``, for ``sentRow(_:at:keys:)``.
    static let sentRowColumns = SentRowColumns.selectList

    /// A sent row from the columns of ``sentRowColumns``.
    static func sentRow(_ row: some StoredColumns, at column: SentRowColumns, keys: RowKeyRange) -> SentRow {
        SentRow(
            sequence: keys.seq(id: row.int(column.id)), e164: row.text(column.e164),
            providerID: row.optionalText(column.providerID),
            startedAt: row.optionalText(column.startedAt).flatMap(Timestamp.seconds(fromISO8601:)),
            outcome: row.optionalText(column.outcome).flatMap(VerificationOutcome.init(rawValue:)))
    }

    /// An error-code count from a row of ``StoreSQL/errorCodeBreakdown``.
    static func errorCodeCount(_ row: some StoredColumns, at column: ErrorCodeCountColumns) -> ErrorCodeCount {
        ErrorCodeCount(
            code: row.text(column.code), status: row.text(column.finalStatus), rows: row.int(column.rowCount),
            httpStatus: row.optionalInt(column.httpStatus), sampleMessage: row.optionalText(column.sampleMessage))
    }

    /// The columns of a ``RunnerRecord``, for ``runner(_:at:)``.
    static let runnerColumns = RunnerColumns.selectList

    /// The columns of a ``JobAction``, for ``jobAction(_:at:)``.
    static let jobActionColumns = JobActionColumns.selectList

    /// A control action from the columns of ``jobActionColumns``; `nil` for an action this verifyd does not know.
    static func jobAction(_ row: some StoredColumns, at column: JobActionColumns) -> JobAction? {
        guard let action = OperatorAction(rawValue: row.text(column.action)) else { return nil }
        return JobAction(
            jobID: row.text(column.jobID), action: action, reason: row.optionalText(column.reason),
            user: row.text(column.user), requestedAt: row.text(column.requestedAt),
            carriedOutAt: row.optionalText(column.carriedOutAt), carriedOutBy: row.optionalText(column.carriedOutBy))
    }

    /// A runner from the columns of ``runnerColumns``.
    static func runner(_ row: some StoredColumns, at column: RunnerColumns) -> RunnerRecord {
        RunnerRecord(
            id: row.text(column.id), host: row.text(column.host), pid: row.int(column.pid),
            startedAt: row.text(column.startedAt), lastSeen: row.optionalDouble(column.lastSeen) ?? 0,
            sent: row.int(column.sent), endedAt: row.optionalText(column.endedAt),
            leaseSeconds: row.optionalDouble(column.leaseSeconds), lostAt: row.optionalDouble(column.lostAt),
            lostTo: row.optionalText(column.lostTo))
    }
}

/// Where the columns of a ``JobRecord`` stand in a result.
struct JobColumns: StoredColumnPositions {
    var id: Int32 = 0, fileName: Int32 = 0, workPath: Int32 = 0, state: Int32 = 0, extraColumns: Int32 = 0
    var totalRows: Int32 = 0, pausedReason: Int32 = 0, createdAt: Int32 = 0, startedAt: Int32 = 0
    var finishedAt: Int32 = 0, requests: Int32 = 0, retries: Int32 = 0, sendingSeconds: Int32 = 0
    var provider: Int32 = 0, outcomesCheckedAt: Int32 = 0, pausedBy: Int32 = 0, windowWaiting: Int32 = 0
    var windowOpensAt: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "id": \.id, "file_name": \.fileName, "work_path": \.workPath, "state": \.state,
        "extra_columns": \.extraColumns, "total_rows": \.totalRows, "paused_reason": \.pausedReason,
        "created_at": \.createdAt, "started_at": \.startedAt, "finished_at": \.finishedAt, "requests": \.requests,
        "retries": \.retries, "sending_seconds": \.sendingSeconds, "provider": \.provider,
        "outcomes_checked_at": \.outcomesCheckedAt, "paused_by": \.pausedBy, "window_waiting": \.windowWaiting,
        "window_opens_at": \.windowOpensAt,
    ]
}

/// Where the columns of a ``WorkRow`` stand in a result.
struct WorkRowColumns: StoredColumnPositions {
    var id: Int32 = 0, state: Int32 = 0, attempts: Int32 = 0, notBefore: Int32 = 0, e164: Int32 = 0
    var countryCode: Int32 = 0, via: Int32 = 0, locale: Int32 = 0, code: Int32 = 0, startedAt: Int32 = 0
    var sentAt: Int32 = 0, timeZone: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "id": \.id, "state": \.state, "attempts": \.attempts, "not_before": \.notBefore, "e164": \.e164,
        "country_code": \.countryCode, "via": \.via, "locale": \.locale, "code": \.code, "started_at": \.startedAt,
        "sent_at": \.sentAt, "time_zone": \.timeZone,
    ]
}

/// Where the columns of a ``ReportRow`` stand in a result.
struct ReportRowColumns: StoredColumnPositions {
    var line: Int32 = 0, phoneInput: Int32 = 0, countryInput: Int32 = 0, e164: Int32 = 0, via: Int32 = 0
    var status: Int32 = 0, attempts: Int32 = 0, errorCode: Int32 = 0, message: Int32 = 0, providerID: Int32 = 0
    var carrier: Int32 = 0, isCellphone: Int32 = 0, httpStatus: Int32 = 0, startedAt: Int32 = 0
    var finishedAt: Int32 = 0, extras: Int32 = 0, outcome: Int32 = 0, locale: Int32 = 0, code: Int32 = 0
    var timeZone: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "line": \.line, "phone_input": \.phoneInput, "country_input": \.countryInput, "e164": \.e164,
        "via": \.via, "status": \.status, "attempts": \.attempts, "error_code": \.errorCode, "message": \.message,
        "provider_id": \.providerID, "carrier": \.carrier, "is_cellphone": \.isCellphone,
        "http_status": \.httpStatus, "started_at": \.startedAt, "finished_at": \.finishedAt, "extras": \.extras,
        "outcome": \.outcome, "locale": \.locale, "code": \.code, "time_zone": \.timeZone,
    ]
}

/// Where the columns of a ``SentRow`` stand in a result.
struct SentRowColumns: StoredColumnPositions {
    var id: Int32 = 0, e164: Int32 = 0, providerID: Int32 = 0, startedAt: Int32 = 0, outcome: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "id": \.id, "e164": \.e164, "provider_id": \.providerID, "started_at": \.startedAt, "outcome": \.outcome,
    ]
}

/// Where the columns of ``StoreSQL/errorCodeBreakdown`` stand in its result.
struct ErrorCodeCountColumns: StoredColumnPositions {
    var code: Int32 = 0, finalStatus: Int32 = 0, rowCount: Int32 = 0, httpStatus: Int32 = 0, sampleMessage: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "code": \.code, "final_status": \.finalStatus, "row_count": \.rowCount, "max_http_status": \.httpStatus,
        "sample_message": \.sampleMessage,
    ]
}

/// Where the columns of a ``RunnerRecord`` stand in a result.
struct RunnerColumns: StoredColumnPositions {
    var id: Int32 = 0, host: Int32 = 0, pid: Int32 = 0, startedAt: Int32 = 0, lastSeen: Int32 = 0, sent: Int32 = 0
    var endedAt: Int32 = 0, leaseSeconds: Int32 = 0, lostAt: Int32 = 0, lostTo: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "id": \.id, "host": \.host, "pid": \.pid, "started_at": \.startedAt, "last_seen": \.lastSeen,
        "sent": \.sent, "ended_at": \.endedAt, "lease_seconds": \.leaseSeconds, "lost_at": \.lostAt,
        "lost_to": \.lostTo,
    ]
}

/// Where the columns of a ``JobAction`` stand in a result.
struct JobActionColumns: StoredColumnPositions {
    var jobID: Int32 = 0, action: Int32 = 0, reason: Int32 = 0, user: Int32 = 0, requestedAt: Int32 = 0
    var carriedOutAt: Int32 = 0, carriedOutBy: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "job_id": \.jobID, "action": \.action, "reason": \.reason, "user_name": \.user,
        "requested_at": \.requestedAt, "carried_out_at": \.carriedOutAt, "carried_out_by": \.carriedOutBy,
    ]
}

/// Where the columns of ``StoreSQL/statusCounts`` stand in its result.
struct StatusCountColumns: StoredColumnPositions {
    var finalStatus: Int32 = 0, rowCount: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "final_status": \.finalStatus, "row_count": \.rowCount,
    ]
}

/// Where the columns of ``StoreSQL/unsentStarts`` stand in its result.
struct UnsentStartColumns: StoredColumnPositions {
    var id: Int32 = 0, e164: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "id": \.id, "e164": \.e164,
    ]
}

/// Where the columns of ``StoreSQL/requestsPerSecond`` stand in its result.
struct RequestSecondColumns: StoredColumnPositions {
    var second: Int32 = 0, requests: Int32 = 0

    static let columns: KeyValuePairs<String, any WritableKeyPath<Self, Int32> & Sendable> = [
        "second": \.second, "requests": \.requests,
    ]
}
