import Foundation
import NIOHTTP1
import Synchronization

/// The fake of Authy Phone Verification V1: start, check and status under
/// `/protected/json/phones/verification/`.
///
/// Parameters are read from the query string and from the body, form-encoded or JSON (every way real clients
/// send them); the API key from `X-Authy-API-Key` or the legacy `api_key` parameter. Answers follow Twilio's V1
/// documentation (https://www.twilio.com/docs/verify/api/v1/verification), with the number rules of
/// ``NumberRules``; docs/sandbox.md lists what is imitated.
final class V1Routes: Sendable {
    /// The path segments in front of the action (`start`, `check`, `status`).
    static let pathPrefix: [Substring] = ["protected", "json", "phones", "verification"]

    /// The accepted API key.
    private let apiKey: String
    /// The server's clock.
    private let now: @Sendable () -> Date
    /// Where starts, checks and status queries are counted.
    private let stats: StatsRecorder
    /// Where the codes are printed.
    private let codeLog: CodeLog
    /// The verifications; a `Mutex` because every event loop serves V1 requests.
    private let ledger: Mutex<V1Ledger>

    /// Creates the routes from the server's configuration.
    init(configuration: SandboxConfiguration, stats: StatsRecorder, codeLog: CodeLog) {
        self.apiKey = configuration.apiKey
        self.now = configuration.now
        self.stats = stats
        self.codeLog = codeLog
        self.ledger = Mutex(V1Ledger(codeLifetime: configuration.codeLifetime.seconds))
    }

    /// Answers one V1 request.
    ///
    /// - Parameters:
    ///   - request: the request.
    ///   - action: the last path segment.
    /// - Returns: the answer; API errors become V1 error bodies.
    func handle(_ request: SandboxRequest, action: Substring) -> SandboxResponse {
        do throws(V1Error) {
            // A body that claims JSON but is not is answered 60002 — after the API-key check, which it can't feed.
            let parameters = try? parameters(of: request)
            guard isAuthorized(request, parameters: parameters ?? [:]) else { throw V1Error.invalidAPIKey }
            guard let parameters else { throw V1Error.invalidRequest }
            switch (request.method, action) {
            case (.POST, "start"): return try start(parameters)
            case (.GET, "check"): return try check(parameters)
            case (.GET, "status"): return try status(parameters)
            default: throw V1Error.noSuchEndpoint
            }
        } catch {
            return error.response
        }
    }

    /// Ends the lifetime of every code not yet verified (`POST /_sandbox/codes/expire`).
    ///
    /// - Returns: how many codes were still valid.
    func expireCodes() -> Int {
        let now = now()
        return ledger.withLock { $0.expireAll(now: now) }
    }

    /// `POST …/start`: sends (or re-sends) a code by SMS or call.
    private func start(_ parameters: FormParameters) throws(V1Error) -> SandboxResponse {
        var isDelivered = false
        let counted = V1Number(parameters: parameters)?.e164
        defer { stats.recordStart(number: counted, delivered: isDelivered) }
        guard let viaText = parameters["via"] else { throw V1Error.missingParameter("via") }
        guard let via = DeliveryChannel(parameter: viaText) else {
            throw V1Error.invalidParameter("via", "'\(viaText)' is not one of sms, call")
        }
        let codeLength = try codeLength(parameters["code_length"])
        let number = try V1Number.validated(from: parameters)
        if let locale = parameters["locale"], !locale.isEmpty, !V1Locale.isSupported(locale) {
            throw V1Error.unsupportedLocale(locale)
        }
        let kind = NumberRules.classify(nationalDigits: number.national)
        switch kind {
        case .invalid: throw V1Error.invalidPhoneNumber
        case .notProvisioned: throw V1Error.notProvisioned
        case .landline where via == .sms: throw V1Error.landlineSMS
        case .landline, .mobile: break
        }
        let isMobile = kind == .mobile
        let now = now()
        let e164 = number.e164
        let (verification, isNew) = ledger.withLock {
            $0.start(e164: e164, via: via, codeLength: codeLength, now: now)
        }
        isDelivered = true
        let codeLine = codeLog.record(
            code: verification.code, for: e164, provider: "authy-v1", isResend: !isNew, at: now)
        let display = number.display
        let body = JSONWriter.object { json in
            json.member("carrier", isMobile ? "Sandbox Mobile" : "Sandbox Landline")
            json.member("is_cellphone", isMobile)
            switch via {
            case .sms: json.member("message", "Text message sent to \(display).")
            case .call: json.member("message", "Call to \(display) initiated")
            }
            json.member("seconds_to_expire", verification.secondsToExpire(at: now))
            json.member("uuid", verification.uuid)
            json.member("success", true)
        }
        return SandboxResponse(status: 200, body: body, codeLine: codeLine)
    }

    /// `GET …/check`: compares a code with the number's pending one.
    private func check(_ parameters: FormParameters) throws(V1Error) -> SandboxResponse {
        stats.recordCheck()
        let number = try V1Number.validated(from: parameters)
        guard let code = parameters["verification_code"] else { throw V1Error.missingParameter("verification_code") }
        guard NumberRules.classify(nationalDigits: number.national) != .invalid else {
            throw V1Error.invalidPhoneNumber
        }
        let now = now()
        switch ledger.withLock({ $0.check(e164: number.e164, code: code, now: now) }) {
        case .correct:
            let body = JSONWriter.object { json in
                json.member("message", "Verification code is correct.")
                json.member("success", true)
            }
            return SandboxResponse(status: 200, body: body)
        case .incorrect: throw V1Error.incorrectCode
        case .notPending: throw V1Error.noPendingVerification(number.display)
        }
    }

    /// `GET …/status`: the state of a verification, by `uuid` or by number.
    private func status(_ parameters: FormParameters) throws(V1Error) -> SandboxResponse {
        stats.recordStatusQuery()
        let found: V1Ledger.Verification?
        if let uuid = parameters["uuid"] {
            found = ledger.withLock { $0.verification(uuid: uuid) }
        } else if parameters["country_code"] != nil || parameters["phone_number"] != nil {
            let number = try V1Number.validated(from: parameters)
            found = ledger.withLock { $0.verification(e164: number.e164) }
        } else {
            throw V1Error.uuidOrPhoneRequired
        }
        guard let verification = found else { throw V1Error.verificationNotFound }
        let now = now()
        let body = JSONWriter.object { json in
            json.member("message", "Phone Verification status.")
            json.member("status", verification.status(at: now))
            json.member("seconds_to_expire", verification.secondsToExpire(at: now))
            json.member("success", true)
        }
        return SandboxResponse(status: 200, body: body)
    }

    /// All parameters of a request: the query string, overridden by the body (JSON or form).
    ///
    /// - Throws: when the body claims to be JSON but is not a JSON object.
    private func parameters(of request: SandboxRequest) throws -> FormParameters {
        var parameters = request.queryParameters
        guard !request.body.isEmpty else { return parameters }
        parameters.append(
            contentsOf: request.hasJSONBody ? try FormDecoding.decodeJSON(request.body) : request.formParameters)
        return parameters
    }

    /// Whether the request carries the configured API key, as header or as legacy `api_key` parameter.
    private func isAuthorized(_ request: SandboxRequest, parameters: FormParameters) -> Bool {
        (request.headers.first(name: "x-authy-api-key") ?? parameters["api_key"]) == apiKey
    }

    /// Reads `code_length`: 4 when absent, else 4…10.
    private func codeLength(_ text: String?) throws(V1Error) -> Int {
        guard let text else { return 4 }
        guard let length = Int(text), (4...10).contains(length) else {
            throw V1Error.invalidParameter("code_length", "'\(text)' is not between 4 and 10")
        }
        return length
    }
}

/// A V1 number as sent: calling code plus national digits.
struct V1Number: Equatable {
    /// The calling code's digits, e.g. `1`.
    var countryCode: String
    /// The national digits, separators and trunk `0` removed.
    var national: String

    /// The number in E.164, e.g. `+12025550189`.
    var e164: String { "+\(countryCode)\(national)" }

    /// The number as V1 messages print it: `+1 202-555-0189`, `+84 86-674-2932`.
    ///
    /// The last four digits form a group, the three before them another, and the rest (if any) a third.
    var display: String {
        let digits = national.utf8
        let lastGroup = digits.count > 4 ? 4 : 0
        let middleGroup = digits.count - lastGroup > 3 ? 3 : 0
        var text = "+" + countryCode + " "
        text.reserveCapacity(text.utf8.count + digits.count + 2)
        for (offset, digit) in digits.enumerated() {
            if offset > 0, offset == digits.count - lastGroup - middleGroup || offset == digits.count - lastGroup {
                text.append("-")
            }
            text.unicodeScalars.append(Unicode.Scalar(digit))
        }
        return text
    }

    /// Reads a calling code and a free-format national number; `nil` when either is missing or not a number at all.
    ///
    /// The result may still be invalid (see ``validated(from:)``); it is good enough to count starts by.
    init?(countryCode: String?, phoneNumber: String?) {
        guard let countryCode, !countryCode.isEmpty, countryCode.utf8.allSatisfy(NumberRules.isDigit),
            let phoneNumber, let national = NumberRules.nationalDigits(fromFreeFormat: phoneNumber)
        else { return nil }
        self.countryCode = countryCode
        self.national = national
    }

    /// Reads a request's `country_code` and `phone_number` parameters, as ``init(countryCode:phoneNumber:)``.
    init?(parameters: FormParameters) {
        self.init(countryCode: parameters["country_code"], phoneNumber: parameters["phone_number"])
    }

    /// Reads a request's number, or throws the error V1 gives for its parameters.
    ///
    /// - Parameter parameters: the request's parameters.
    /// - Returns: a number with an assigned calling code (``CallingCodes``); its national part may still be any
    ///   length.
    /// - Throws: 60004 for a missing or non-numeric `country_code` or missing `phone_number`; 60033 for a calling
    ///   code that is not assigned (e.g. `999`) or a national number that is not one.
    static func validated(from parameters: FormParameters) throws(V1Error) -> V1Number {
        guard let countryCode = parameters["country_code"] else { throw V1Error.missingParameter("country_code") }
        guard !countryCode.isEmpty, countryCode.utf8.allSatisfy(NumberRules.isDigit) else {
            throw V1Error.invalidParameter("country_code", "'\(countryCode)' is not a valid Integer")
        }
        guard parameters["phone_number"] != nil else { throw V1Error.missingParameter("phone_number") }
        guard let number = V1Number(parameters: parameters), !number.countryCode.hasPrefix("0"),
            CallingCodes.mainRegion(ofCallingCode: number.countryCode) != nil
        else { throw V1Error.invalidPhoneNumber }
        return number
    }
}

/// A V1 error answer: HTTP status, Authy error code (a string on the wire) and message.
struct V1Error: Error, Equatable {
    /// The HTTP status.
    var status: Int
    /// The Authy error code, e.g. `60033`; `nil` for an answer that carries none (the body then has no
    /// `error_code`).
    var code: String?
    /// The English message.
    var message: String

    static let invalidAPIKey = V1Error(status: 401, code: "60001", message: "Invalid API key")
    static let invalidRequest = V1Error(status: 400, code: "60002", message: "Invalid request")
    static let incorrectCode = V1Error(status: 401, code: "60022", message: "Verification code is incorrect")
    static let verificationNotFound = V1Error(status: 404, code: "60023", message: "Phone verification not found")
    static let invalidPhoneNumber = V1Error(status: 400, code: "60033", message: "Phone number is invalid")
    static let uuidOrPhoneRequired = V1Error(
        status: 400, code: "60042", message: "Either uuid or country_code and phone number are required")
    static let landlineSMS = V1Error(
        status: 403, code: "60082", message: "Can not send SMS to landline phone numbers")
    static let notProvisioned = V1Error(
        status: 403, code: "60083", message: "Phone number not provisioned with any carrier")
    static let noSuchEndpoint = V1Error(status: 404, code: "60000", message: "Resource not found")

    /// 60004 for a parameter with a bad value.
    static func invalidParameter(_ name: String, _ reason: String) -> V1Error {
        V1Error(status: 400, code: "60004", message: "Invalid parameter: \(name) - \(reason)")
    }

    /// 60004 for a missing parameter.
    static func missingParameter(_ name: String) -> V1Error {
        invalidParameter(name, "Parameter is required")
    }

    /// 404 without an error code for a start whose `locale` is not one of ``V1Locale/supported``: Authy documents
    /// the 404 but no code (https://www.twilio.com/docs/authy/supported-languages).
    static func unsupportedLocale(_ locale: String) -> V1Error {
        V1Error(status: 404, code: nil, message: "Unsupported locale: \(locale)")
    }

    /// 60023 for a check with nothing pending.
    static func noPendingVerification(_ display: String) -> V1Error {
        V1Error(status: 404, code: "60023", message: "No pending verifications for \(display) found.")
    }
}

extension V1Error {
    /// The V1 error body: `{"error_code":"60033","message":…,"errors":{"message":…},"success":false}`, without
    /// `error_code` when the error has none.
    var response: SandboxResponse {
        let body = JSONWriter.object { json in
            if let code { json.member("error_code", code) }
            json.member("message", message)
            json.member("errors") { $0.member("message", message) }
            json.member("success", false)
        }
        return SandboxResponse(status: status, body: body)
    }
}
