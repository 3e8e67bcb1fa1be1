import Foundation

/// Twilio Verify V2 (docs/verification-apis.md, "Twilio Verify V2").
///
/// Start: `POST /v2/Services/{ServiceSid}/Verifications` (form: `To`, `Channel`, `Locale`), success is
/// 201 with `sid`; check: `POST …/VerificationCheck` (`To`, `Code`), `status` `approved` or `pending`
/// (wrong code). Basic auth with AccountSid:AuthToken.
public struct VerifyV2Provider: VerificationProvider {
    private let serviceURL: String
    private let authorization: String
    /// The Verification Attempts API of the same account and service.
    public let attemptsAPI: AttemptsAPI

    /// The provider's name.
    public var name: ProviderName { .verifyV2 }

    /// Creates the provider.
    ///
    /// - Parameters:
    ///   - baseURL: e.g. `https://verify.twilio.com`.
    ///   - accountSID: `AC…`.
    ///   - authToken: the auth token, sent only inside the Basic `Authorization` header.
    ///   - serviceSID: the Verify Service, `VA…`.
    public init(baseURL: String, accountSID: String, authToken: String, serviceSID: String) {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        serviceURL = base + "/v2/Services/" + serviceSID
        authorization = "Basic " + Data("\(accountSID):\(authToken)".utf8).base64EncodedString()
        attemptsAPI = AttemptsAPI(baseURL: base, authorization: authorization, serviceSID: serviceSID)
    }

    /// Start or check for `target`.
    public func request(for target: VerificationTarget) -> HTTPRequest {
        var form = [("To", target.e164)]
        let path: String
        switch target.kind {
        case .start:
            path = "/Verifications"
            form.append(("Channel", target.channel.rawValue))
            if let locale = target.locale { form.append(("Locale", locale)) }
        case .check:
            path = "/VerificationCheck"
            form.append(("Code", target.code ?? ""))
        }
        return HTTPRequest(
            method: .post, url: serviceURL + path,
            headers: [
                HTTPRequest.Header(name: "Authorization", value: authorization),
                HTTPRequest.Header(name: "Accept", value: "application/json"),
                HTTPRequest.Header(name: "Content-Type", value: "application/x-www-form-urlencoded"),
            ],
            body: Array(FormEncoding.encode(form).utf8))
    }

    /// Reads a start or check answer.
    public func interpret(_ response: HTTPResponse, for target: VerificationTarget) -> ProviderResult {
        let json = ResponseClassifier.jsonObject(response.body)
        guard (200..<300).contains(response.status) else {
            var result = ResponseClassifier.classifyError(
                status: response.status, code: ResponseClassifier.text(json?["code"]),
                message: ResponseClassifier.text(json?["message"]), headers: response.headers,
                table: Self.errorTable, kind: target.kind)
            // On a 429 for the account, Twilio names this header as the one to watch: the account's requests in
            // flight (docs/verification-apis.md, "Rate-limit headers").
            if response.status == 429 {
                result.concurrentRequests = response.headers["twilio-concurrent-requests"].flatMap { Int($0) }
            }
            return result
        }
        guard let json, let status = ResponseClassifier.text(json["status"]) else {
            return ResponseClassifier.unreadableSuccess(status: response.status)
        }
        let sid = ResponseClassifier.text(json["sid"])
        switch (target.kind, status) {
        case (.check, "approved"):
            return ProviderResult(verdict: .approved, httpStatus: response.status, message: status, providerID: sid)
        case (.check, _):
            return ProviderResult(
                verdict: .denied, httpStatus: response.status, message: "verification \(status)", providerID: sid)
        case (.start, _):
            let carrier = (json["lookup"] as? [String: Any])?["carrier"] as? [String: Any]
            return ProviderResult(
                verdict: .sent, httpStatus: response.status, message: "verification \(status)", providerID: sid,
                carrier: ResponseClassifier.text(carrier?["name"]),
                isCellphone: ResponseClassifier.text(carrier?["type"]).map { $0 == "mobile" })
        }
    }

    /// By a look-up in the Verification Attempts API (``AttemptsLookUp``).
    public var inDoubtQuestion: InDoubtQuestion { .lookUp }

    /// V2 has no documented look-up of a verification by phone number: a start in doubt is looked up in
    /// the Verification Attempts API instead (``attemptsAPI``, docs/in-doubt.md).
    public func statusRequest(for target: VerificationTarget) -> HTTPRequest? { nil }

    /// Never called, since ``statusRequest(for:)`` is `nil`.
    public func interpretStatus(_ response: HTTPResponse) -> Bool? { nil }

    /// V2 outcomes come from the Verification Attempts API (``attemptsAPI``), listed per service by the companion.
    public func outcomeRequest(providerID: String) -> HTTPRequest? { nil }

    /// A ``VerifyV2Companion`` over one ``AttemptsClient`` for the process. A page request has `timeout`, but at
    /// least 20 s: the API itself allows a listing 15 s (https://www.twilio.com/docs/verify/api/attempts,
    /// "Timeouts").
    public func makeCompanion(
        transport: any HTTPTransport, timeout: Duration, metrics: RunMetrics?
    ) -> (any ProviderCompanion)? {
        let configuration = AttemptsClient.Configuration(timeout: max(timeout, .seconds(20)))
        return VerifyV2Companion(
            client: AttemptsClient(
                api: attemptsAPI, transport: transport, configuration: configuration, metrics: metrics))
    }

    /// Never called, since ``outcomeRequest(providerID:)`` is `nil`.
    public func interpretOutcome(_ response: HTTPResponse) -> VerificationOutcome? { nil }
}
