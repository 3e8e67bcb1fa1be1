import Foundation
import NIOHTTP1
import Synchronization

/// The Verification Attempts API (https://www.twilio.com/docs/verify/api/attempts and
/// https://www.twilio.com/docs/verify/api/verification-attempts-summary), under `/v2/Attempts`.
///
/// - `GET /v2/Attempts`: a page of attempts, newest first, with Twilio's paging envelope (see ``AttemptQuery``).
/// - `GET /v2/Attempts/{VL…}`: one attempt; 404 20404 when unknown.
/// - `GET /v2/Attempts/Summary`: how many attempts matched and how many of them converted.
///
/// All three share the built-in limit of ``SandboxConfiguration/attemptsPerMinute`` requests in any 60 seconds:
/// over it, 429 20429 `Too many requests` with `Retry-After`. A page is cut under the ledger's lock (copies of at
/// most 1000 compact records) and written after it.
extension V2Routes {
    /// Answers an authenticated request whose path starts with `/v2/Attempts`.
    func handleAttempts(_ request: SandboxRequest, segments: [Substring]) throws(V2Error) -> SandboxResponse {
        stats.recordAttemptRequest()
        let now = now()
        if let wait = attemptsLimit?.admit(now: now) { throw V2Error.tooManyRequests(retryAfter: wait) }
        switch (request.method, segments.count) {
        case (.GET, 2): return try listAttempts(request, now: now)
        case (.GET, 3) where segments[2] == "Summary": return try summarizeAttempts(request, now: now)
        case (.GET, 3): return try fetchAttempt(request, sid: segments[2], now: now)
        default: throw V2Error.notFound(request.path)
        }
    }

    /// `GET /v2/Attempts`: one page, with links to the first, previous and next pages.
    private func listAttempts(_ request: SandboxRequest, now: Date) throws(V2Error) -> SandboxResponse {
        let query = try AttemptQuery(
            parameters: request.queryParameters, filters: AttemptQuery.listFilters, serviceSid: serviceSid)
        let page = ledger.withLock {
            $0.attempts.page(filter: query.filter, from: query.position, size: query.pageSize, now: now)
        }
        let host = host(of: request)
        let base = "http://\(host)/v2/Attempts"
        let body = JSONWriter.object { json in
            json.member("attempts", objects: page.records) { json, record in
                writeAttempt(record, host: host, to: &json)
            }
            json.member("meta") { json in
                json.member("page", query.page)
                json.member("page_size", query.pageSize)
                json.member("first_page_url", query.url(base: base, page: 0, token: nil))
                json.member(
                    "previous_page_url",
                    orNull: page.previousPosition.map {
                        query.url(base: base, page: max(0, query.page - 1), token: AttemptQuery.token(newerThan: $0))
                    })
                json.member("url", query.url(base: base, page: query.page, token: query.pageToken))
                json.member(
                    "next_page_url",
                    orNull: page.nextPosition.map {
                        query.url(base: base, page: query.page + 1, token: AttemptQuery.token(olderThan: $0))
                    })
                json.member("key", "attempts")
            }
        }
        return SandboxResponse(status: 200, body: body)
    }

    /// `GET /v2/Attempts/{Sid}`: one attempt by its `VL…` sid.
    private func fetchAttempt(_ request: SandboxRequest, sid: Substring, now: Date) throws(V2Error) -> SandboxResponse {
        guard let id = SidDigits(parsing: sid, prefix: "VL"),
            let record = ledger.withLock({ $0.attempts.attempt(id: id, now: now) })
        else { throw V2Error.notFound(request.path) }
        let host = host(of: request)
        return SandboxResponse(status: 200, body: JSONWriter.object { writeAttempt(record, host: host, to: &$0) })
    }

    /// `GET /v2/Attempts/Summary`: totals and the conversion rate of the attempts that match.
    ///
    /// `conversion_rate_percentage` is a string, as in twilio-python's model: the percentage with two decimals
    /// (`"33.33"`, `"0.00"` when nothing matched).
    private func summarizeAttempts(_ request: SandboxRequest, now: Date) throws(V2Error) -> SandboxResponse {
        let query = try AttemptQuery(
            parameters: request.queryParameters, filters: AttemptQuery.summaryFilters, serviceSid: serviceSid)
        let summary = ledger.withLock { $0.attempts.summary(filter: query.filter, now: now) }
        let rate = summary.total == 0 ? 0 : Double(summary.converted) * 100 / Double(summary.total)
        let body = JSONWriter.object { json in
            json.member("total_attempts", summary.total)
            json.member("total_converted", summary.converted)
            json.member("total_unconverted", summary.total - summary.converted)
            json.member("conversion_rate_percentage", String(format: "%.2f", rate))
            json.member("url", "http://\(host(of: request))/v2/Attempts/Summary")
        }
        return SandboxResponse(status: 200, body: body)
    }

    /// Writes one attempt's members, as twilio-python's `VerificationAttemptInstance` reads them.
    private func writeAttempt(_ record: AttemptLog.Record, host: String, to json: inout JSONWriter) {
        let attempt = record.attempt
        json.member("sid", sid: attempt.id, prefix: "VL")
        json.member("account_sid", accountSid)
        json.member("service_sid", serviceSid)
        json.member("verification_sid", sid: attempt.verification, prefix: "VE")
        json.member("date_created", timestamp: attempt.created)
        json.member("date_updated", timestamp: attempt.updated)
        json.member("conversion_status", attempt.isConverted ? "converted" : "unconverted")
        json.member("channel", attempt.channel.rawValue)
        json.member("price") { price in
            price.nullMember("value")
            price.member("currency", "USD")
        }
        json.member("channel_data") { $0.member("to", record.to) }
        json.member("url", "http://\(host)/v2/Attempts/" + attempt.id.text(prefix: "VL"))
    }
}
