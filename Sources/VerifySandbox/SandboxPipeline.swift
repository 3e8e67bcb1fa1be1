import Logging
import NIOHTTP1

/// What a connection does with a request once the pipeline has decided, carried out by
/// ``SandboxHTTPHandler``.
enum SandboxAction: Sendable {
    /// Send this answer once the delay has passed.
    case respond(SandboxResponse, after: Duration)
    /// Close the connection without an answer once the delay has passed (after earlier answers).
    case close(after: Duration)
    /// Never answer; later requests on the connection are ignored until the client closes it.
    case hang
    /// Answer the stats once the starts reach the count, or when the timeout has passed with the counts as they
    /// are (`GET /_sandbox/stats?wait_for_starts=N`; see ``StatsRecorder/whenStarts(reach:on:timeout:_:)``).
    case respondWithStats(whenStartsReach: Int, timeout: Duration)
}

/// Decides what happens to each complete request, in stages:
///
/// 1. Control requests under `/_sandbox/` (stats, reset, faults off, codes expire) are answered at once: no
///    latency, not counted. The stats can also be long-polled: `wait_for_starts=N` answers once the starts
///    reach N (``longPoll(_:)``).
/// 2. The rate limit (``RateLimit``), if set, answers 429 to a request over it.
/// 3. A fault (``FaultPlan``), if one is drawn and it comes before processing, answers instead of the API.
/// 4. The router answers as the real API would (``SandboxRouter``).
/// 5. A fault that comes after processing replaces the answer (500, garbage, a drop or a hang).
/// 6. The answer is counted by status and delayed by the configured latency (plus jitter).
///
/// The pipeline is a `Sendable` value shared by every connection; it runs on the connection's event
/// loop and must stay cheap.
struct SandboxPipeline: Sendable {
    /// The API routes.
    let router: SandboxRouter
    /// The counters.
    let stats: StatsRecorder
    /// Delay before every API answer.
    let latency: Duration
    /// The API rate limit, if one is set.
    let rateLimit: RateLimit?
    /// Injected faults and jitter.
    let faults: FaultPlan
    /// Where the routes print the codes; an answer that printed one waits for it (see ``SandboxHTTPHandler``).
    let codeLog: CodeLog
    /// For unexpected failures only (the stats failing to encode); nothing is logged per request.
    let logger: Logger

    /// Decides the fate of a request.
    func action(for request: SandboxRequest) -> SandboxAction {
        if let longPoll = longPoll(request) { return longPoll }
        if let control = controlResponse(for: request) {
            return .respond(control, after: .zero)
        }
        if let wait = rateLimit?.admit() {
            return answer(RateLimit.refusal(for: request, retryAfter: wait), after: latency)
        }
        guard faults.isActive else { return answer(router.route(request), after: latency) }
        let (drawn, extraLatency) = faults.draw()
        let delay = latency + extraLatency
        // 60212 concerns one number's V2 starts; any other request drawn for it goes through.
        let fault = drawn == .numberBusy && !Self.isV2Start(request) ? nil : drawn
        guard let fault else { return answer(router.route(request), after: delay) }
        stats.recordFault(fault.rawValue, unanswered: fault.isUnanswered)
        if fault.isProcessed { _ = router.route(request) }
        switch fault {
        case .rateLimited:
            return answer(RateLimit.refusal(for: request, retryAfter: .seconds(1)), after: delay)
        case .rateLimitedWithoutRetryAfter:
            var refusal = RateLimit.refusal(for: request, retryAfter: .seconds(1))
            refusal.headers.removeAll { $0.name == "Retry-After" }
            return answer(refusal, after: delay)
        case .unavailable:
            return answer(
                SandboxResponse(status: 503, body: Array(#"{"message":"Service Unavailable","status":503}"#.utf8)),
                after: delay)
        case .internalError:
            return answer(.internalError, after: delay)
        case .garbage:
            return answer(SandboxResponse(status: 200, body: Array("<html>Bad gateway</html>".utf8)), after: delay)
        case .dropBeforeProcessing, .dropAfterProcessing:
            return .close(after: delay)
        case .hang:
            return .hang
        case .numberBusy:
            let body =
                #"{"code":60212,"message":"Too many concurrent requests for phone number","#
                + #""more_info":"https://www.twilio.com/docs/errors/60212","status":429}"#
            return answer(SandboxResponse(status: 429, body: Array(body.utf8)), after: delay)
        }
    }

    /// Whether `request` starts a V2 verification (`POST /v2/Services/{VA}/Verifications`).
    private static func isV2Start(_ request: SandboxRequest) -> Bool {
        let segments = request.pathSegments
        return request.method == .POST && segments.count == 4 && segments[0] == "v2" && segments[3] == "Verifications"
    }

    /// Counts `response` by its status and sends it after `delay`.
    private func answer(_ response: SandboxResponse, after delay: Duration) -> SandboxAction {
        stats.recordResponse(status: response.status)
        return .respond(response, after: delay)
    }

    /// The longest a long poll of the stats waits, in milliseconds: ten minutes.
    static let longestStatsWait = 600_000
    /// How long a long poll of the stats waits without `timeout_ms`, in milliseconds: thirty seconds.
    static let defaultStatsWait = 30_000

    /// `GET /_sandbox/stats?wait_for_starts=N[&timeout_ms=T]`: the stats once the starts reach N, or after T
    /// milliseconds (default ``defaultStatsWait``, at most ``longestStatsWait``) with the counts as they are; a 400
    /// answer for a count or timeout that is not a whole number. `nil` for any other request, the stats without
    /// `wait_for_starts` included.
    private func longPoll(_ request: SandboxRequest) -> SandboxAction? {
        guard request.method == .GET, request.path == "/_sandbox/stats", !request.query.isEmpty else { return nil }
        let parameters = request.queryParameters
        guard let countText = parameters["wait_for_starts"] else { return nil }
        guard let count = Int(countText), count >= 0,
            let milliseconds = parameters["timeout_ms"].map({ Int($0) }) ?? Self.defaultStatsWait, milliseconds >= 0
        else {
            let message = #"{"message":"wait_for_starts and timeout_ms take whole numbers"}"#
            return .respond(SandboxResponse(status: 400, body: Array(message.utf8)), after: .zero)
        }
        return .respondWithStats(
            whenStartsReach: count, timeout: .milliseconds(min(milliseconds, Self.longestStatsWait)))
    }

    /// The answer to `GET /_sandbox/stats`: the counters as they are now.
    func statsResponse() -> SandboxResponse {
        do {
            return try JSONResponse.make(status: 200, stats.snapshot())
        } catch {
            logger.error("sandbox failed to encode its stats", metadata: ["error": "\(error)"])
            return .internalError
        }
    }

    /// Answers `GET /_sandbox/stats`, `POST /_sandbox/reset`, `POST /_sandbox/faults/off` and
    /// `POST /_sandbox/codes/expire`; `nil` for every other path.
    private func controlResponse(for request: SandboxRequest) -> SandboxResponse? {
        guard request.path.utf8.starts(with: "/_sandbox/".utf8) else { return nil }
        do {
            switch (request.method, request.path) {
            case (.GET, "/_sandbox/stats"):
                return statsResponse()
            case (.POST, "/_sandbox/reset"):
                stats.reset()
                return try JSONResponse.make(status: 200, stats.snapshot())
            case (.POST, "/_sandbox/faults/off"):
                faults.switchOff()
                return try JSONResponse.make(status: 200, stats.snapshot())
            case (.POST, "/_sandbox/codes/expire"):
                return try JSONResponse.make(status: 200, ["expired": router.expireCodes()])
            default:
                return SandboxResponse(status: 404, body: Array(#"{"message":"no such sandbox endpoint"}"#.utf8))
            }
        } catch {
            logger.error("sandbox failed to encode its stats", metadata: ["error": "\(error)"])
            return .internalError
        }
    }
}

/// Sends each API request to the provider its path belongs to.
struct SandboxRouter: Sendable {
    /// Authy V1 routes.
    let v1: V1Routes
    /// Verify V2 routes.
    let v2: V2Routes

    /// Answers an API request.
    func route(_ request: SandboxRequest) -> SandboxResponse {
        let segments = request.pathSegments
        if segments.count == V1Routes.pathPrefix.count + 1, segments.starts(with: V1Routes.pathPrefix) {
            return v1.handle(request, action: segments[V1Routes.pathPrefix.count])
        }
        if segments.first == "protected" {
            return v1.handle(request, action: "")
        }
        if segments.first == "v2" {
            return v2.handle(request, segments: segments)
        }
        return SandboxResponse(status: 404, body: Array(#"{"message":"Not found","status":404}"#.utf8))
    }

    /// Ends the lifetime of every code both providers still hold; returns how many there were.
    func expireCodes() -> Int {
        v1.expireCodes() + v2.expireCodes()
    }
}
