/// One finished (or unfinished) row as the report prints it; every column of docs/contract.md, "Report files".
public struct ReportRow: Sendable, Equatable {
    /// 1-based physical line in the input file.
    public var line: Int
    /// `phone_number` as written.
    public var phoneInput: String
    /// `country_code` as written.
    public var countryInput: String
    /// E.164, when the row normalized.
    public var e164: String?
    /// `sms` or `call`.
    public var channel: String
    /// The row's `locale`, if it had one.
    public var locale: String?
    /// The code a check row checks.
    public var code: String?
    /// Final status; `nil` only while a job is unfinished.
    public var status: RowStatus?
    /// What became of a `sent` row's verification, once `verifyd outcomes` has asked.
    public var outcome: VerificationOutcome?
    /// Requests sent for the row.
    public var attempts: Int
    /// The API's (or transport's) error code of the last attempt.
    public var errorCode: String?
    /// The last message (API text or verifyd's reason).
    public var message: String?
    /// The provider's verification id.
    public var providerID: String?
    /// Carrier name, when known.
    public var carrier: String?
    /// Whether the number is a mobile phone, when known.
    public var isCellphone: Bool?
    /// HTTP status of the last answer.
    public var httpStatus: Int?
    /// When the first request for the row left.
    public var startedAt: String?
    /// When the row got its final status.
    public var finishedAt: String?
    /// The input's other columns, aligned with the job's extra columns.
    public var extras: [String]
    /// `time_zone` as written in the file, if any.
    public var timeZone: String? = nil
}
