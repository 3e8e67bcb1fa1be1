import Synchronization

/// The sandbox's API rate limit (`verifyd sandbox --rate-limit N`): a request over the limit gets
/// the provider's 429 (V1 60003, V2 20429) with `Retry-After`, as the real APIs answer.
///
/// It is the generic cell rate algorithm: each accepted request moves a theoretical arrival time
/// (TAT) forward by one emission interval (1/rate); a request is refused while the TAT lies more
/// than the burst tolerance (one second of requests) ahead of now. Shared by every event loop.
///
/// With `lastsFor`, the limit holds only that long after the first request it sees, then admits everything: a
/// limit that lifts.
final class RateLimit: Sendable {
    private let interval: Duration
    private let tolerance: Duration
    private let lastsFor: Duration?
    /// The theoretical arrival time, and when the first request came (for `lastsFor`).
    private let state = Mutex<(arrival: ContinuousClock.Instant?, first: ContinuousClock.Instant?)>((nil, nil))

    /// A limit of `perSecond` requests per second on average, bursts up to one second's worth, for `lastsFor`
    /// after the first request (`nil`: for ever).
    init(perSecond: Double, lastsFor: Duration? = nil) {
        interval = .seconds(1 / perSecond)
        tolerance = .seconds(1) - interval
        self.lastsFor = lastsFor
    }

    /// Admits a request now, or returns how long until one would be admitted.
    func admit(now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { state in
            let first = state.first ?? now
            state.first = first
            if let lastsFor, now - first >= lastsFor { return nil }
            let start = max(state.arrival ?? now, now)
            let ahead = start - now
            if ahead > tolerance { return ahead - tolerance }
            state.arrival = start + interval
            return nil
        }
    }

    /// The 429 answer for a refused request, in the shape of the API its path belongs to.
    static func refusal(for request: SandboxRequest, retryAfter: Duration) -> SandboxResponse {
        let seconds = max(1, Int(retryAfter.seconds.rounded(.up)))
        let body: String
        if request.pathSegments.first == "v2" {
            body =
                #"{"code":20429,"message":"Too many requests","#
                + #""more_info":"https://www.twilio.com/docs/errors/20429","status":429}"#
        } else {
            body =
                #"{"error_code":"60003","message":"DoS protection","#
                + #""errors":{"message":"DoS protection"},"success":false}"#
        }
        return SandboxResponse(status: 429, body: Array(body.utf8), headers: [("Retry-After", String(seconds))])
    }
}
