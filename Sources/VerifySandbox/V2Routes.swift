import Foundation
import Logging
import NIOHTTP1
import Synchronization

/// The fake of Twilio Verify V2: create, check and fetch verifications under `/v2/Services/{ServiceSid}/`.
///
/// Requests authenticate with HTTP Basic `AccountSid:AuthToken` and send form bodies, as verify-apis.md §5
/// describes. Only the configured service sid exists.
final class V2Routes: Sendable {
    /// The accepted account sid.
    private let accountSid: String
    /// The accepted auth token.
    private let authToken: String
    /// The one existing service.
    private let serviceSid: String
    /// Host and port for `url` fields when a request has no `Host` header.
    private let fallbackHost: String
    /// The server's clock.
    private let now: @Sendable () -> Date
    /// Where starts, checks and fetches are counted.
    private let stats: StatsRecorder
    /// Where the codes are logged.
    private let logger: Logger
    /// The verifications; a `Mutex` because every event loop serves V2 requests.
    private let ledger = Mutex(V2Ledger())

    /// Creates the routes from the server's configuration.
    init(configuration: SandboxConfiguration, stats: StatsRecorder, logger: Logger) {
        self.accountSid = configuration.accountSid
        self.authToken = configuration.authToken
        self.serviceSid = configuration.serviceSid
        self.fallbackHost = configuration.host
        self.now = configuration.now
        self.stats = stats
        self.logger = logger
    }

    /// Answers one request whose path starts with `/v2`.
    ///
    /// - Parameters:
    ///   - request: the request.
    ///   - segments: its path segments, `v2` first.
    /// - Returns: the answer; API errors become Twilio error bodies.
    /// - Throws: only if a body cannot be encoded.
    func handle(_ request: SandboxRequest, segments: [Substring]) throws -> SandboxResponse {
        do {
            guard isAuthorized(request) else { throw V2Error.authenticate }
            guard segments.count >= 4, segments[1] == "Services", segments[2] == serviceSid else {
                throw V2Error.notFound(request.path)
            }
            let resource = segments.dropFirst(3)
            switch (request.method, resource.first ?? "", resource.count) {
            case (.POST, "Verifications", 1): return try start(request)
            case (.POST, "VerificationCheck", 1): return try check(request)
            case (.GET, "Verifications", 2): return try fetch(request, sid: String(segments[4]))
            default: throw V2Error.notFound(request.path)
            }
        } catch let error as V2Error {
            return try JSONResponse.make(status: error.status, V2ErrorBody(error))
        }
    }

    /// `POST …/Verifications`: sends (or re-sends) a code; 201 with the verification.
    private func start(_ request: SandboxRequest) throws -> SandboxResponse {
        let parameters = request.formParameters
        stats.recordStart(number: parameters["To"].flatMap { $0.isEmpty ? nil : $0 })
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
        let (verification, isNew) = ledger.withLock { $0.start(to: to, channel: channel, now: now) }
        stats.recordDelivery(number: to)
        logger.log(
            level: isNew ? .info : .debug, "code for \(to) is \(verification.code)",
            metadata: ["provider": "verify-v2"])
        return try JSONResponse.make(status: 201, verificationBody(verification, request: request))
    }

    /// `POST …/VerificationCheck`: 200 approved or pending, 404 when nothing is pending.
    private func check(_ request: SandboxRequest) throws -> SandboxResponse {
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
            let body = V2CheckBody(verification, accountSid: accountSid, serviceSid: serviceSid)
            return try JSONResponse.make(status: 200, body)
        case .notFound:
            throw V2Error.notFound(request.path)
        }
    }

    /// `GET …/Verifications/{Sid}`: the live verification, 404 once approved or expired.
    private func fetch(_ request: SandboxRequest, sid: String) throws -> SandboxResponse {
        stats.recordStatusQuery()
        let now = now()
        guard let verification = ledger.withLock({ $0.verification(sid: sid, now: now) }) else {
            throw V2Error.notFound(request.path)
        }
        return try JSONResponse.make(status: 200, verificationBody(verification, request: request))
    }

    /// Whether the request's Basic credentials are the configured account sid and auth token.
    private func isAuthorized(_ request: SandboxRequest) -> Bool {
        guard let header = request.headers.first(name: "authorization"),
            let space = header.firstIndex(of: " "), header[..<space].lowercased() == "basic"
        else { return false }
        let token = header[header.index(after: space)...].trimmingCharacters(in: .whitespaces)
        guard let decoded = Data(base64Encoded: token),
            let credentials = String(data: decoded, encoding: .utf8),
            let colon = credentials.firstIndex(of: ":")
        else { return false }
        return credentials[..<colon] == accountSid && credentials[credentials.index(after: colon)...] == authToken
    }

    /// The full body of a verification, as start and fetch return it.
    private func verificationBody(_ verification: V2Ledger.Verification, request: SandboxRequest) -> V2VerificationBody
    {
        let host = request.headers.first(name: "host") ?? fallbackHost
        return V2VerificationBody(
            sid: verification.sid, serviceSid: serviceSid, accountSid: accountSid, to: verification.to,
            channel: verification.channel.rawValue, status: verification.status,
            valid: verification.status == "approved",
            dateCreated: ISO8601Timestamp.string(from: verification.dateCreated),
            dateUpdated: ISO8601Timestamp.string(from: verification.dateUpdated), lookup: [:],
            sendCodeAttempts: verification.sendCodeAttempts.map {
                .init(
                    time: ISO8601Timestamp.string(from: $0.time), channel: $0.channel.rawValue.uppercased(),
                    attemptSid: $0.attemptSid)
            },
            url: "http://\(host)/v2/Services/\(serviceSid)/Verifications/\(verification.sid)")
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

    static let authenticate = V2Error(status: 401, code: 20003, message: "Authenticate")
    static let landlineSMS = V2Error(status: 403, code: 60205, message: "SMS is not supported by landline phone number")

    /// 60200 for a missing or bad parameter.
    static func invalidParameter(_ name: String) -> V2Error {
        V2Error(status: 400, code: 60200, message: "Invalid parameter: \(name)")
    }

    /// 20404 for a resource that does not exist (unknown service, no pending verification, unknown sid).
    static func notFound(_ path: Substring) -> V2Error {
        V2Error(status: 404, code: 20404, message: "The requested resource \(path) was not found")
    }
}

/// The body of every Twilio error.
private struct V2ErrorBody: Encodable {
    var code: Int
    var message: String
    var moreInfo: String
    var status: Int

    /// The body for an error.
    init(_ error: V2Error) {
        code = error.code
        message = error.message
        moreInfo = "https://www.twilio.com/docs/errors/\(error.code)"
        status = error.status
    }
}

/// A verification as create and fetch return it.
private struct V2VerificationBody: Encodable {
    /// One entry of `send_code_attempts`; `channel` is upper case there, as on the real API.
    struct Attempt: Encodable {
        var time: String
        var channel: String
        var attemptSid: String
    }

    var sid: String
    var serviceSid: String
    var accountSid: String
    var to: String
    var channel: String
    var status: String
    var valid: Bool
    var dateCreated: String
    var dateUpdated: String
    var lookup: [String: String]
    var sendCodeAttempts: [Attempt]
    var url: String
}

/// A verification as VerificationCheck returns it (no `lookup`, `url` or attempts).
private struct V2CheckBody: Encodable {
    var sid: String
    var serviceSid: String
    var accountSid: String
    var to: String
    var channel: String
    var status: String
    var valid: Bool
    var dateCreated: String
    var dateUpdated: String

    /// The body for a checked verification.
    init(_ verification: V2Ledger.Verification, accountSid: String, serviceSid: String) {
        sid = verification.sid
        self.serviceSid = serviceSid
        self.accountSid = accountSid
        to = verification.to
        channel = verification.channel.rawValue
        status = verification.status
        valid = verification.status == "approved"
        dateCreated = ISO8601Timestamp.string(from: verification.dateCreated)
        dateUpdated = ISO8601Timestamp.string(from: verification.dateUpdated)
    }
}
