/// The legacy Authy Phone Verification V1 API (docs/verification-apis.md, "Authy Phone Verification V1").
///
/// Start: `POST /protected/json/phones/verification/start` with a form body; check:
/// `GET …/verification/check`; status by number: `GET …/verification/status`. Every response field
/// is optional: `success` may be a string, `error_code` a string or missing, `carrier` and
/// `is_cellphone` missing.
public struct AuthyV1Provider: VerificationProvider {
    private let baseURL: String
    private let apiKey: String
    private let codeLength: Int?

    /// The provider's name.
    public var name: ProviderName { .authyV1 }

    /// Creates the provider.
    ///
    /// - Parameters:
    ///   - baseURL: e.g. `https://api.authy.com` (no trailing slash needed).
    ///   - apiKey: the application's API key, sent only in the `X-Authy-API-Key` header.
    ///   - codeLength: `code_length` (4–10), or `nil` for the API's default.
    public init(baseURL: String, apiKey: String, codeLength: Int? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.apiKey = apiKey
        self.codeLength = codeLength
    }

    private var headers: [HTTPRequest.Header] {
        [
            HTTPRequest.Header(name: "X-Authy-API-Key", value: apiKey),
            HTTPRequest.Header(name: "Accept", value: "application/json"),
        ]
    }

    private func identity(_ target: VerificationTarget) -> [(String, String)] {
        [("country_code", String(target.countryCode)), ("phone_number", target.nationalNumber)]
    }

    /// Start (form POST) or check (GET with query) for `target`.
    public func request(for target: VerificationTarget) -> HTTPRequest {
        switch target.kind {
        case .start:
            var form = [("via", target.channel.rawValue)] + identity(target)
            if let locale = target.locale { form.append(("locale", locale)) }
            if let codeLength { form.append(("code_length", String(codeLength))) }
            return HTTPRequest(
                method: .post, url: baseURL + "/protected/json/phones/verification/start",
                headers: headers + [
                    HTTPRequest.Header(name: "Content-Type", value: "application/x-www-form-urlencoded")
                ],
                body: Array(FormEncoding.encode(form).utf8))
        case .check:
            let query = FormEncoding.encode(identity(target) + [("verification_code", target.code ?? "")])
            return HTTPRequest(
                method: .get, url: baseURL + "/protected/json/phones/verification/check?" + query, headers: headers)
        }
    }

    /// Reads a start or check answer.
    public func interpret(_ response: HTTPResponse, for target: VerificationTarget) -> ProviderResult {
        let json = ResponseClassifier.jsonObject(response.body)
        let message = ResponseClassifier.text(json?["message"])
        if response.status == 200 {
            guard let json, let success = ResponseClassifier.bool(json["success"]) else {
                return ResponseClassifier.unreadableSuccess(status: response.status)
            }
            guard success else {
                return ProviderResult(
                    verdict: .failedPermanently, httpStatus: 200,
                    errorCode: ResponseClassifier.text(json["error_code"]),
                    message: message ?? "success is false")
            }
            return ProviderResult(
                verdict: target.kind == .start ? .sent : .approved, httpStatus: 200, message: message,
                providerID: ResponseClassifier.text(json["uuid"]), carrier: ResponseClassifier.text(json["carrier"]),
                isCellphone: ResponseClassifier.bool(json["is_cellphone"]))
        }
        return ResponseClassifier.classifyError(
            status: response.status, code: ResponseClassifier.text(json?["error_code"]), message: message,
            headers: response.headers, table: Self.errorTable, kind: target.kind)
    }

    /// By its status question (``statusRequest(for:)``).
    public var inDoubtQuestion: InDoubtQuestion { .statusQuestion }

    /// `GET …/verification/status?country_code=&phone_number=` (docs/verification-apis.md, "V1 requests").
    public func statusRequest(for target: VerificationTarget) -> HTTPRequest? {
        HTTPRequest(
            method: .get,
            url: baseURL + "/protected/json/phones/verification/status?" + FormEncoding.encode(identity(target)),
            headers: headers)
    }

    /// V1 has no listing of the codes it sent.
    public func makeCompanion(
        transport: any HTTPTransport, timeout: Duration, metrics: RunMetrics?
    ) -> (any ProviderCompanion)? { nil }

    /// `GET …/verification/status?uuid=` (https://www.twilio.com/docs/verify/api/v1/verification).
    public func outcomeRequest(providerID: String) -> HTTPRequest? {
        HTTPRequest(
            method: .get,
            url: baseURL + "/protected/json/phones/verification/status?" + FormEncoding.encode([("uuid", providerID)]),
            headers: headers)
    }

    /// `verified` → verified, `pending` → pending, `expired` → not verified; 404 (the API no longer knows the
    /// verification) → unknown.
    public func interpretOutcome(_ response: HTTPResponse) -> VerificationOutcome? {
        if response.status == 404 { return .unknown }
        guard response.status == 200,
            let status = ResponseClassifier.text(ResponseClassifier.jsonObject(response.body)?["status"])
        else { return nil }
        switch status {
        case "verified": return .verified
        case "pending": return .pending
        case "expired": return .notVerified
        default: return nil
        }
    }

    /// `pending` or `verified` → a verification exists; 404 or `expired` → none is live.
    public func interpretStatus(_ response: HTTPResponse) -> Bool? {
        let json = ResponseClassifier.jsonObject(response.body)
        if response.status == 404 { return false }
        guard response.status == 200, let status = ResponseClassifier.text(json?["status"]) else { return nil }
        switch status {
        case "pending", "verified": return true
        case "expired": return false
        default: return nil
        }
    }
}
