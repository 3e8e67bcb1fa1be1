import Foundation
import NIOHTTP1
import Synchronization

/// The fake of Twilio Verify V2: create, check, fetch and update verifications under `/v2/Services/{ServiceSid}/`,
/// and list, fetch and summarize their attempts under `/v2/Attempts` (``handleAttempts(_:segments:)``).
///
/// Requests authenticate with HTTP Basic `AccountSid:AuthToken` and send form bodies, as Twilio's documentation
/// describes (https://www.twilio.com/docs/verify/api/verification); docs/sandbox.md lists what is imitated. Only
/// the configured service sid exists.
final class V2Routes: Sendable {
    /// The accepted account sid.
    let accountSid: String
    /// The accepted auth token.
    private let authToken: String
    /// The one existing service.
    let serviceSid: String
    /// Host and port for `url` fields when a request has no `Host` header.
    private let fallbackHost: String
    /// The server's clock.
    let now: @Sendable () -> Date
    /// Where starts, checks, fetches and attempt requests are counted.
    let stats: StatsRecorder
    /// Where the codes are printed.
    private let codeLog: CodeLog
    /// The `Authorization` header of the configured credentials as clients usually send it, compared first.
    private let expectedAuthorization: String
    /// The verifications and their attempts; a `Mutex` because every event loop serves V2 requests.
    let ledger: Mutex<V2Ledger>
    /// The Verification Attempts API's requests per minute, when limited.
    let attemptsLimit: SlidingWindowLimit?

    /// Creates the routes from the server's configuration.
    init(configuration: SandboxConfiguration, stats: StatsRecorder, codeLog: CodeLog) {
        self.accountSid = configuration.accountSid
        self.authToken = configuration.authToken
        self.serviceSid = configuration.serviceSid
        self.fallbackHost = configuration.host
        self.now = configuration.now
        self.stats = stats
        self.codeLog = codeLog
        self.ledger = Mutex(V2Ledger(codeLifetime: configuration.codeLifetime.seconds))
        self.attemptsLimit =
            configuration.attemptsPerMinute > 0 ? SlidingWindowLimit(limit: configuration.attemptsPerMinute) : nil
        let credentials = Data("\(configuration.accountSid):\(configuration.authToken)".utf8)
        self.expectedAuthorization = "Basic " + credentials.base64EncodedString()
    }

    /// Ends the lifetime of every live verification's code (`POST /_sandbox/codes/expire`).
    ///
    /// - Returns: how many verifications were still live.
    func expireCodes() -> Int {
        let now = now()
        return ledger.withLock { $0.expireAll(now: now) }
    }

    /// Answers one request whose path starts with `/v2`.
    ///
    /// - Parameters:
    ///   - request: the request.
    ///   - segments: its path segments, `v2` first.
    /// - Returns: the answer; API errors become Twilio error bodies.
    func handle(_ request: SandboxRequest, segments: [Substring]) -> SandboxResponse {
        do throws(V2Error) {
            guard isAuthorized(request) else { throw V2Error.authenticate }
            if segments.count >= 2, segments[1] == "Attempts" { return try handleAttempts(request, segments: segments) }
            guard segments.count >= 4, segments[1] == "Services", segments[2] == serviceSid else {
                throw V2Error.notFound(request.path)
            }
            let resource = segments.dropFirst(3)
            switch (request.method, resource.first ?? "", resource.count) {
            case (.POST, "Verifications", 1): return try start(request)
            case (.POST, "VerificationCheck", 1): return try check(request)
            case (.GET, "Verifications", 2): return try fetch(request, key: Self.verificationKey(segments[4]))
            case (.POST, "Verifications", 2): return try update(request, key: Self.verificationKey(segments[4]))
            default: throw V2Error.notFound(request.path)
            }
        } catch {
            return error.response
        }
    }

    /// `POST …/Verifications`: sends (or re-sends) a code; 201 with the verification, 429 60203 when its verification
    /// was already sent ``V2Ledger/maximumSends`` times (not processed).
    private func start(_ request: SandboxRequest) throws(V2Error) -> SandboxResponse {
        let parameters = request.formParameters
        var isDelivered = false
        let counted = parameters["To"].flatMap { $0.isEmpty ? nil : $0 }
        defer { stats.recordStart(number: counted, delivered: isDelivered) }
        guard let to = parameters["To"], let national = Self.nationalNumber(ofE164: to) else {
            throw V2Error.invalidParameter("To")
        }
        guard let channelText = parameters["Channel"], let channel = DeliveryChannel(parameter: channelText) else {
            throw V2Error.invalidParameter("Channel")
        }
        switch NumberRules.classify(nationalDigits: national) {
        case .invalid, .notProvisioned: throw V2Error.invalidParameter("To")
        case .landline where channel == .sms: throw V2Error.landlineSMS
        case .landline, .mobile: break
        }
        let now = now()
        let started: (verification: V2Ledger.Verification, isNew: Bool)
        do {
            started = try ledger.withLock { ledger throws(V2Ledger.StartRefusal) in
                try ledger.start(to: to, channel: channel, now: now)
            }
        } catch {
            throw V2Error.maxSendAttempts
        }
        let (verification, isNew) = started
        isDelivered = true
        let codeLine = codeLog.record(
            code: verification.code, for: to, provider: "verify-v2", isResend: !isNew, at: now)
        return SandboxResponse(
            status: 201, body: verificationBody(verification, request: request), codeLine: codeLine)
    }

    /// `POST …/VerificationCheck`: 200 approved or pending, 404 when nothing is pending, 429 60202 after
    /// ``V2Ledger/maximumWrongChecks`` wrong codes (not processed).
    private func check(_ request: SandboxRequest) throws(V2Error) -> SandboxResponse {
        let parameters = request.formParameters
        stats.recordCheck()
        guard let code = parameters["Code"], (4...10).contains(code.count) else {
            throw V2Error.invalidParameter("Code")
        }
        let to = parameters["To"]
        let sid = parameters["VerificationSid"]
        guard to != nil || sid != nil else { throw V2Error.invalidParameter("To") }
        let now = now()
        switch ledger.withLock({ $0.check(to: to, sid: sid, code: code, now: now) }) {
        case .approved(let verification), .incorrect(let verification):
            let body = JSONWriter.object { json in writeSummary(of: verification, to: &json) }
            return SandboxResponse(status: 200, body: body)
        case .maximumWrongChecksReached:
            throw V2Error.maxCheckAttempts
        case .notFound:
            throw V2Error.notFound(request.path)
        }
    }

    /// `GET …/Verifications/{Sid}`: the live verification named by sid or number, 404 once approved, canceled or
    /// expired.
    private func fetch(_ request: SandboxRequest, key: String) throws(V2Error) -> SandboxResponse {
        stats.recordStatusQuery()
        let now = now()
        guard let verification = ledger.withLock({ $0.verification(named: key, now: now) }) else {
            throw V2Error.notFound(request.path)
        }
        return SandboxResponse(status: 200, body: verificationBody(verification, request: request))
    }

    /// `POST …/Verifications/{Sid}` with `Status=canceled|approved`: ends the live verification named by sid or
    /// number; 200 with it as it ended, 404 when none is live, 400 60200 for any other `Status`.
    ///
    /// The answer's `sid` is always the verification's `VE…` sid, also when the path named the number: Twilio's
    /// sample of an update by number echoes the number there, but a client that keeps the answer's sid (and its
    /// `url`) needs the real one to name the verification later.
    private func update(_ request: SandboxRequest, key: String) throws(V2Error) -> SandboxResponse {
        let status: V2Ledger.Status
        switch request.formParameters["Status"] {
        case "canceled": status = .canceled
        case "approved": status = .approved
        default: throw V2Error.invalidParameter("Status")
        }
        let now = now()
        guard let verification = ledger.withLock({ $0.end(named: key, as: status, now: now) }) else {
            throw V2Error.notFound(request.path)
        }
        return SandboxResponse(status: 200, body: verificationBody(verification, request: request))
    }

    /// The verification a path segment names: its sid, or its number (`%2B1…` or a literal `+1…`).
    private static func verificationKey(_ segment: Substring) -> String {
        FormDecoding.percentDecode(segment.utf8, plusIsSpace: false)
    }

    /// Whether the request's Basic credentials are the configured account sid and auth token.
    private func isAuthorized(_ request: SandboxRequest) -> Bool {
        guard let header = request.headers.first(name: "authorization") else { return false }
        if header == expectedAuthorization { return true }
        guard let space = header.firstIndex(of: " "), header[..<space].lowercased() == "basic"
        else { return false }
        let token = header[header.index(after: space)...].trimmingCharacters(in: .whitespaces)
        guard let decoded = Data(base64Encoded: token),
            let credentials = String(data: decoded, encoding: .utf8),
            let colon = credentials.firstIndex(of: ":")
        else { return false }
        return credentials[..<colon] == accountSid && credentials[credentials.index(after: colon)...] == authToken
    }

    /// The host and port a request was sent to, for `url` fields: its `Host` header.
    func host(of request: SandboxRequest) -> String {
        request.headers.first(name: "host") ?? fallbackHost
    }

    /// The full body of a verification, as start and fetch return it.
    private func verificationBody(_ verification: V2Ledger.Verification, request: SandboxRequest) -> [UInt8] {
        let host = host(of: request)
        return JSONWriter.object { json in
            writeSummary(of: verification, to: &json)
            json.member("lookup") { _ in }
            json.member("send_code_attempts", objects: verification.sendCodeAttempts) { json, attempt in
                json.member("time", timestamp: attempt.time)
                json.member("channel", attempt.channel == .sms ? "SMS" : "CALL")
                json.member("attempt_sid", sid: attempt.id, prefix: "VL")
            }
            json.member("url", "http://\(host)/v2/Services/\(serviceSid)/Verifications/\(verification.sid)")
        }
    }

    /// The members every verification body has, and all that VerificationCheck returns.
    private func writeSummary(of verification: V2Ledger.Verification, to json: inout JSONWriter) {
        json.member("sid", verification.sid)
        json.member("service_sid", serviceSid)
        json.member("account_sid", accountSid)
        json.member("to", verification.to)
        json.member("channel", verification.channel.rawValue)
        json.member("status", verification.status.rawValue)
        json.member("valid", verification.status == .approved)
        json.member("date_created", timestamp: verification.dateCreated)
        json.member("date_updated", timestamp: verification.dateUpdated)
    }

    /// The national digits of an E.164 `To`, or `nil` when it is not `+` followed by a calling code and digits.
    ///
    /// - Parameter to: e.g. `+12025550189`; a `+` sent unencoded in a form arrives as a space and fails here.
    static func nationalNumber(ofE164 to: String) -> Substring? {
        guard to.hasPrefix("+") else { return nil }
        return CallingCodes.split(to.dropFirst())?.national
    }
}

/// A Twilio error answer: HTTP status, integer error code and message.
struct V2Error: Error, Equatable {
    /// The HTTP status.
    var status: Int
    /// The Twilio error code, e.g. 60200.
    var code: Int
    /// The English message.
    var message: String
    /// Whole seconds for a `Retry-After` header, when the answer has one.
    var retryAfter: Int?

    static let authenticate = V2Error(status: 401, code: 20003, message: "Authenticate")
    static let landlineSMS = V2Error(status: 403, code: 60205, message: "SMS is not supported by landline phone number")
    static let maxCheckAttempts = V2Error(status: 429, code: 60202, message: "Max check attempts reached")
    static let maxSendAttempts = V2Error(status: 429, code: 60203, message: "Max send attempts reached")

    /// 60200 for a missing or bad parameter.
    static func invalidParameter(_ name: String) -> V2Error {
        V2Error(status: 400, code: 60200, message: "Invalid parameter: \(name)")
    }

    /// 20429 with `Retry-After` for a request over a rate limit.
    static func tooManyRequests(retryAfter seconds: Int) -> V2Error {
        V2Error(status: 429, code: 20429, message: "Too many requests", retryAfter: seconds)
    }

    /// 20404 for a resource that does not exist (unknown service, no pending verification, unknown sid).
    static func notFound(_ path: Substring) -> V2Error {
        V2Error(status: 404, code: 20404, message: "The requested resource \(path) was not found")
    }
}

extension V2Error {
    /// The Twilio error body: `{"code":60200,"message":…,"more_info":…,"status":400}`, with `Retry-After` when set.
    var response: SandboxResponse {
        let body = JSONWriter.object { json in
            json.member("code", code)
            json.member("message", message)
            json.member("more_info", "https://www.twilio.com/docs/errors/\(code)")
            json.member("status", status)
        }
        let headers = retryAfter.map { [(name: "Retry-After", value: String($0))] } ?? []
        return SandboxResponse(status: status, body: body, headers: headers)
    }
}
