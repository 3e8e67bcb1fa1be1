/// Where a job stands, stored as `jobs.state`.
public enum JobState: String, Sendable, Equatable, Codable {
    /// Its file is being read into rows; a restart reads it again from the start.
    case intake
    /// Rows are read; some still need a request.
    case queued
    /// Stopped for a reason that needs a person (credentials refused…); rows untouched.
    case paused
    /// Would send more verifications than `--max-sends` allows; rows untouched until a run with a
    /// higher limit (or none) takes it (the reason says how many).
    case held
    /// Every row has its final status and the report is written.
    case finished
    /// The file could not be read as a job at all; it is in `rejected/` with `NAME.error.txt`.
    case rejected
    /// An operator canceled it: no row is sent any more; rows in the air or in doubt still get their answer.
    case canceling
    /// Canceled by an operator: every row has its final status, the rows never sent are `canceled`.
    case canceled
}

/// One job: a claimed input file and its progress.
public struct JobRecord: Sendable, Equatable {
    /// The stable job id, e.g. `20261126-145201-3f9a`.
    public var id: String
    /// The file's name as it was dropped into `incoming/`.
    public var fileName: String
    /// Where the file is now (under `processing/` while the job runs, `done/` after).
    public var workPath: String
    /// Where it stands.
    public var state: JobState
    /// The input's columns other than the ones verifyd interprets, in input order (for the report).
    public var extraColumns: [String]
    /// Data rows read from the file.
    public var totalRows: Int
    /// Why the job is paused, if it is.
    public var pausedReason: String?
    /// When the file was claimed (ISO 8601, UTC).
    public var createdAt: String
    /// When the first request of the job was sent.
    public var startedAt: String?
    /// When its last row was finished.
    public var finishedAt: String?
    /// Requests sent for the job (every attempt counts).
    public var requests: Int
    /// Requests that were retries.
    public var retries: Int
    /// Seconds spent sending (for the request rate in the summary).
    public var sendingSeconds: Double
    /// The provider the job was read for; only a run with that provider sends it (`nil` for a job stored
    /// before verifyd kept it: the first run that sends it records its own).
    public var provider: ProviderName?
    /// When the job's outcomes were last asked for (`verifyd outcomes`), if ever.
    public var outcomesCheckedAt: String?
    /// The operator who paused or canceled it (`verifyd pause`, `cancel`); `nil` when verifyd's own rules did.
    public var pausedBy: String? = nil
    /// Rows whose start waited for `--send-window` when a run last ended (`nil` when none did).
    public var rowsWaitingForWindow: Int? = nil
    /// When the first of their windows opens, seconds since 1970.
    public var windowOpensAt: Double? = nil
}

extension JobRecord {
    /// Where the job is in its life (``JobLifecycle``): a `paused` job is paused by an operator when one is named.
    public var phase: JobLifecycle.Phase {
        switch state {
        case .intake: .intake
        case .queued: .queued
        case .held: .held
        case .paused: pausedBy == nil ? .pausedByAPI : .pausedByOperator
        case .canceling: .canceling
        case .canceled: .canceled
        case .finished: .finished
        case .rejected: .rejected
        }
    }
}

extension JobState {
    /// The state a job in `phase` is stored in (a job paused by the API or by an operator is `paused`).
    init(phase: JobLifecycle.Phase) {
        switch phase {
        case .intake: self = .intake
        case .queued: self = .queued
        case .held: self = .held
        case .pausedByAPI, .pausedByOperator: self = .paused
        case .canceling: self = .canceling
        case .canceled: self = .canceled
        case .finished: self = .finished
        case .rejected: self = .rejected
        }
    }
}
