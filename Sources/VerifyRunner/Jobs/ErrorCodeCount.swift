/// How many rows of a job ended with one error code and one status (`status JOB_ID`, `summary.html`).
public struct ErrorCodeCount: Sendable, Equatable {
    /// The API's error code, or a transport code such as `curl_28`.
    public var code: String
    /// The rows' final status (`unfinished` while the job runs).
    public var status: String
    /// How many rows.
    public var rows: Int
    /// The HTTP status of the answer, when one arrived.
    public var httpStatus: Int?
    /// One of the API's messages for the code, for codes ``ErrorCodeMeaning`` does not know.
    public var sampleMessage: String?

    /// Creates a count.
    public init(code: String, status: String, rows: Int, httpStatus: Int? = nil, sampleMessage: String? = nil) {
        self.code = code
        self.status = status
        self.rows = rows
        self.httpStatus = httpStatus
        self.sampleMessage = sampleMessage
    }
}
