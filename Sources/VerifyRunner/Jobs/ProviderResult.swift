/// What one answer (or one failed transfer) means for a row, as a provider reads it.
///
/// The verdict drives the row's state machine; the remaining fields go to the report.
public struct ProviderResult: Sendable, Equatable {
    /// The meaning of the answer for the row and for the job.
    public enum Verdict: Sendable, Equatable {
        /// Start accepted: a code is on its way.
        case sent
        /// Check: the code was right.
        case approved
        /// Check: the code was wrong or expired.
        case denied
        /// The API refused this number for good (report `rejected`).
        case rejectedNumber
        /// A permanent error that is not about the number (report `failed`, no retry).
        case failedPermanently
        /// The whole job must stop: credentials refused, account suspended, service unknown.
        case fatalForJob
        /// "Too many requests" (HTTP 429): the API did not process it; slow down and send again. Not
        /// counted against `--max-attempts`.
        case rateLimited(retryAfter: Duration?)
        /// A limit that concerns this number only (the API did not process the request): the row waits,
        /// the other rows and the send rate are untouched, and it is not counted against `--max-attempts`.
        case numberLimited(NumberLimit)
        /// Worth trying again later.
        ///
        /// - `retryAfter`: the server's `Retry-After`, if it sent one.
        /// - `mayHaveBeenProcessed`: the request may have reached the API and been acted on
        ///   (5xx, a reset or timeout after the request was written); such a row is *in doubt*.
        case retryable(retryAfter: Duration?, mayHaveBeenProcessed: Bool)
    }

    /// A limit that concerns one number.
    public enum NumberLimit: Sendable, Equatable {
        /// Too many codes sent to the number within its code's lifetime (V2 60203): wait until its
        /// verification has ended; a 60203 is not a reason to send again any sooner.
        case sendAttempts
        /// Too many requests for the number at once (V2 60212): wait a moment, at least `retryAfter`.
        case concurrentRequests(retryAfter: Duration?)
    }

    /// The meaning of the answer.
    public var verdict: Verdict
    /// The HTTP status, when a response arrived.
    public var httpStatus: Int?
    /// The API's error code (V1 `error_code`, V2 `code`), or a transport code such as `curl_28`.
    public var errorCode: String?
    /// A short human message for the report (the API's message, or the transport's).
    public var message: String?
    /// The verification's id at the provider (V1 `uuid`, V2 `sid`).
    public var providerID: String?
    /// The carrier name, when the API returned one.
    public var carrier: String?
    /// Whether the number is a mobile phone, when the API said so.
    public var isCellphone: Bool?
    /// The `Twilio-Concurrent-Requests` header of a 429: the account's requests in flight at Twilio.
    public var concurrentRequests: Int?

    /// Creates a result.
    public init(
        verdict: Verdict, httpStatus: Int? = nil, errorCode: String? = nil, message: String? = nil,
        providerID: String? = nil, carrier: String? = nil, isCellphone: Bool? = nil
    ) {
        self.verdict = verdict
        self.httpStatus = httpStatus
        self.errorCode = errorCode
        self.message = message
        self.providerID = providerID
        self.carrier = carrier
        self.isCellphone = isCellphone
    }
}
