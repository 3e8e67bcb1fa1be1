import Foundation

/// Verify V2's Verification Attempts API (`GET /v2/Attempts`, https://www.twilio.com/docs/verify/api/attempts):
/// the requests for one listing and the reading of its pages. Pure: it builds requests and reads answers.
///
/// verifyd lists attempts per Verify Service and time range (or per number), with the largest page the API
/// allows (1000), and follows `meta.next_page_url` until it is null. The API allows 100 such requests a
/// minute per account; ``AttemptsClient`` keeps to that. See docs/verify-v2-attempts.md.
public struct AttemptsAPI: Sendable {
    /// `https://verify.twilio.com` (no trailing slash).
    private let baseURL: String
    /// The Basic `Authorization` header value.
    private let authorization: String
    /// The Verify Service whose attempts are listed, `VA…`.
    public let serviceSID: String

    /// Creates the API for one service.
    ///
    /// - Parameters:
    ///   - baseURL: the API base, e.g. `https://verify.twilio.com`.
    ///   - authorization: the `Authorization` header value (Basic AccountSid:AuthToken).
    ///   - serviceSID: the Verify Service, `VA…`.
    public init(baseURL: String, authorization: String, serviceSID: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.authorization = authorization
        self.serviceSID = serviceSID
    }

    /// The first page of a listing.
    public func request(for query: AttemptsQuery) -> HTTPRequest {
        var parameters = [
            ("VerifyServiceSid", serviceSID), ("DateCreatedAfter", Timestamp.iso8601WholeSeconds(query.createdFrom)),
        ]
        if let createdTo = query.createdTo {
            parameters.append(("DateCreatedBefore", Timestamp.iso8601WholeSeconds(createdTo.rounded(.up))))
        }
        if let to = query.to { parameters.append(("ChannelData.To", to)) }
        parameters.append(("PageSize", String(query.pageSize)))
        return get(baseURL + "/v2/Attempts?" + FormEncoding.encode(parameters))
    }

    /// The request for a page's `next_page_url`, or `nil` when that URL does not point at the API's own
    /// scheme, host and port: the credentials never go anywhere else.
    public func nextPageRequest(_ url: String) -> HTTPRequest? {
        guard let next = URLComponents(string: url), let base = URLComponents(string: baseURL),
            next.scheme?.lowercased() == base.scheme?.lowercased(), next.host?.lowercased() == base.host?.lowercased(),
            next.port == base.port, next.path.hasPrefix("/v2/Attempts")
        else { return nil }
        return get(url)
    }

    private func get(_ url: String) -> HTTPRequest {
        HTTPRequest(
            method: .get, url: url,
            headers: [
                HTTPRequest.Header(name: "Authorization", value: authorization),
                HTTPRequest.Header(name: "Accept", value: "application/json"),
            ])
    }

    /// Reads one page's answer.
    public static func read(_ response: HTTPResponse) -> AttemptsAnswer {
        let json = ResponseClassifier.jsonObject(response.body)
        guard response.status == 200 else {
            if response.status == 429 {
                return .rateLimited(retryAfter: ResponseClassifier.retryAfter(response.headers["retry-after"]))
            }
            let code = ResponseClassifier.text(json?["code"]).map { " (error \($0))" } ?? ""
            let message = ResponseClassifier.text(json?["message"]) ?? "no message"
            return .failed(
                retryable: response.status >= 500, message: "HTTP \(response.status): \(message)\(code)")
        }
        guard let json, let items = json["attempts"] as? [[String: Any]] else {
            return .failed(retryable: true, message: "HTTP 200 with a body that is not a list of attempts")
        }
        var attempts: [VerificationAttempt] = []
        attempts.reserveCapacity(items.count)
        for item in items {
            guard let sid = ResponseClassifier.text(item["sid"]),
                let verification = ResponseClassifier.text(item["verification_sid"]),
                let to = ResponseClassifier.text((item["channel_data"] as? [String: Any])?["to"]),
                let created = ResponseClassifier.text(item["date_created"]).flatMap(Timestamp.seconds(fromISO8601:))
            else {
                return .failed(retryable: true, message: "an attempt without sid, verification_sid, to or date_created")
            }
            let status = ResponseClassifier.text(item["conversion_status"])?.lowercased()
            attempts.append(
                VerificationAttempt(
                    sid: sid, verificationSID: verification, to: to, createdAt: created,
                    converted: status == "converted"))
        }
        let next = ResponseClassifier.text((json["meta"] as? [String: Any])?["next_page_url"])
        return .page(attempts: attempts, nextPageURL: next)
    }
}

/// One listing of the Verification Attempts API: the service's attempts created in a time range, optionally
/// to one number.
public struct AttemptsQuery: Sendable, Equatable {
    /// The earliest creation time listed (`DateCreatedAfter`), seconds since 1970, rounded down to whole seconds.
    public var createdFrom: Double
    /// The latest creation time listed (`DateCreatedBefore`), rounded up; `nil` for no bound.
    public var createdTo: Double?
    /// Only attempts to this number (`ChannelData.To`), E.164; `nil` for every number.
    public var to: String?
    /// Attempts per page (the API's largest is 1000).
    public var pageSize: Int

    /// Creates a query.
    public init(createdFrom: Double, createdTo: Double?, to: String? = nil, pageSize: Int = 1000) {
        self.createdFrom = createdFrom.rounded(.down)
        self.createdTo = createdTo
        self.to = to
        self.pageSize = pageSize
    }
}

/// What one page request of a listing brought.
public enum AttemptsAnswer: Sendable, Equatable {
    /// The page's attempts, and the next page's URL (`nil`: this was the last).
    case page(attempts: [VerificationAttempt], nextPageURL: String?)
    /// 429: too many requests; wait at least `retryAfter` and ask again.
    case rateLimited(retryAfter: Duration?)
    /// Any other failure; `retryable` when asking again later may work (5xx, an unreadable page).
    case failed(retryable: Bool, message: String)
}
