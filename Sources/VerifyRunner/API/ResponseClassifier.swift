import Foundation

/// The pure mapping from an API answer to what it means for the row and the job
/// (docs/verification-apis.md, "How verifyd classifies an answer").
///
/// Order of the rules for an error answer:
/// 1. the API's error code, looked up in the provider's ``ErrorTable`` (a limit about one number, V2 60203
///    and 60212, is the number's alone: ``ProviderResult/Verdict/numberLimited(_:)``);
/// 2. any other 429 is the account's or the service's rate limit (V1 60003, V2 20429 and 25109, or no code):
///    slow down and retry (it was not processed);
/// 3. otherwise the HTTP status: 401 stops the job, 5xx is retried but may have been processed, any
///    other status is a permanent failure.
///
/// Transfers that produced no answer are retried; whether the request may have been processed is
/// the transport's ``TransportFailure/requestMayHaveBeenSent``.
public enum ResponseClassifier {
    /// A provider's error codes, by what they mean for a batch.
    public struct ErrorTable: Sendable {
        /// The whole job must stop (credentials, account, configuration).
        public var fatalForJob: Set<String>
        /// The API refused this number for good.
        public var rejectedNumber: Set<String>
        /// The request was not processed; try again later.
        public var retryable: Set<String>
        /// A permanent error that is not about the number: do not send again (report `failed`).
        public var failedPermanently: Set<String>
        /// Check rows: the code was wrong or has expired.
        public var denied: Set<String>
        /// Too many codes sent to one number within its code's lifetime: that number waits it out.
        public var numberSendLimit: Set<String> = []
        /// Too many requests for one number at once: that number waits a moment.
        public var numberBusy: Set<String> = []
    }

    /// Classifies an error answer (any status the provider does not treat as success).
    ///
    /// - Parameters:
    ///   - status: the HTTP status.
    ///   - code: the API's error code, if the body had one.
    ///   - message: the API's message, if any.
    ///   - headers: response headers (for `Retry-After`).
    ///   - table: the provider's codes.
    ///   - kind: start or check (only check rows can be `denied`).
    public static func classifyError(
        status: Int, code: String?, message: String?, headers: [String: String], table: ErrorTable,
        kind: VerificationKind
    ) -> ProviderResult {
        let retryAfter = self.retryAfter(headers["retry-after"])
        let verdict: ProviderResult.Verdict
        if let code, kind == .check, table.denied.contains(code) {
            verdict = .denied
        } else if let code, table.fatalForJob.contains(code) {
            verdict = .fatalForJob
        } else if let code, table.rejectedNumber.contains(code) {
            verdict = .rejectedNumber
        } else if let code, table.numberSendLimit.contains(code) {
            verdict = .numberLimited(.sendAttempts)
        } else if let code, table.numberBusy.contains(code) {
            verdict = .numberLimited(.concurrentRequests(retryAfter: retryAfter))
        } else if let code, table.failedPermanently.contains(code) {
            verdict = .failedPermanently
        } else if status == 429 {
            verdict = .rateLimited(retryAfter: retryAfter)
        } else if let code, table.retryable.contains(code) {
            verdict = .retryable(retryAfter: retryAfter, mayHaveBeenProcessed: false)
        } else if status == 401 {
            verdict = .fatalForJob
        } else if status >= 500 {
            verdict = .retryable(retryAfter: retryAfter, mayHaveBeenProcessed: true)
        } else {
            verdict = .failedPermanently
        }
        return ProviderResult(
            verdict: verdict, httpStatus: status, errorCode: code,
            message: message ?? "HTTP \(status) without an error message")
    }

    /// Whether a row that ended `failed` with this last answer may succeed if sent again later (its
    /// line goes into `retry.csv`): no answer at all, a rate limit, a server error, an unreadable success
    /// or a code the table calls retryable — not a refusal the API would repeat.
    public static func failureIsRetryable(httpStatus: Int?, errorCode: String?, table: ErrorTable) -> Bool {
        if let errorCode {
            if table.retryable.contains(errorCode) { return true }
            let refusals = [
                table.fatalForJob, table.rejectedNumber, table.failedPermanently, table.denied, table.numberSendLimit,
            ]
            if refusals.contains(where: { $0.contains(errorCode) }) { return false }
        }
        guard let httpStatus else { return true }
        return httpStatus == 429 || httpStatus >= 500 || (200..<300).contains(httpStatus)
    }

    /// A transfer that produced no HTTP answer: always retryable, in doubt if the request may have left.
    public static func classify(_ failure: TransportFailure) -> ProviderResult {
        ProviderResult(
            verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: failure.requestMayHaveBeenSent),
            errorCode: "curl_\(failure.curlCode)", message: failure.message)
    }

    /// A 2xx answer whose body could not be read: the API may well have acted on it.
    public static func unreadableSuccess(status: Int) -> ProviderResult {
        ProviderResult(
            verdict: .retryable(retryAfter: nil, mayHaveBeenProcessed: true), httpStatus: status,
            message: "HTTP \(status) with a body that is not the expected JSON")
    }

    /// Parses `Retry-After`: delay-seconds, or an HTTP-date (IMF-fixdate) relative to now.
    public static func retryAfter(_ value: String?, nowSeconds: Double = Timestamp.nowSeconds()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 {
            return .milliseconds(Int64(min(seconds, 86_400) * 1000))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        let seconds = max(0, min(date.timeIntervalSince1970 - nowSeconds, 86_400))
        return .milliseconds(Int64(seconds * 1000))
    }

    /// The body as a JSON object, or `nil`. Bodies are small; the Content-Type header is not trusted.
    static func jsonObject(_ body: [UInt8]) -> [String: Any]? {
        guard !body.isEmpty else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
    }

    /// A JSON value that may arrive as a string or a number, as text (`error_code`, `code`).
    static func text(_ value: Any?) -> String? {
        switch value {
        case let string as String: return string.isEmpty ? nil : string
        case let number as NSNumber: return number.stringValue
        default: return nil
        }
    }

    /// A JSON value that may arrive as a boolean or as the string "true"/"false" (V1 `success`).
    static func bool(_ value: Any?) -> Bool? {
        switch value {
        case let bool as Bool: return bool
        case let string as String:
            return string.lowercased() == "true" ? true : (string.lowercased() == "false" ? false : nil)
        case let number as NSNumber: return number.boolValue
        default: return nil
        }
    }
}
