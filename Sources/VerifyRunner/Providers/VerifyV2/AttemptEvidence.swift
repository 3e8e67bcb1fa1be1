/// The rule that tells, from the Verify V2 Verification Attempts API alone and without sending anything,
/// whether a start whose answer was lost reached the API (`--in-doubt check` on `verify-v2`).
///
/// A pure value: the times come in as seconds since 1970 and nothing here reads a clock.
///
/// - **Sent**: an attempt for the request's number created at or after the request (less ``clockSkew``,
///   since the API's clock is not ours) is proof that the code went out; its verification becomes the
///   row's `provider_id`.
/// - **Not sent**: no such attempt in a listing made at or after ``margin`` past the last moment the
///   request could have left (its transfer ended, or the process that sent it was dead) is proof that
///   it did not arrive: the row may be sent.
/// - **Ask again** later: nothing listed yet, but the listing was made before that moment.
/// - **Cannot tell**: the request is older than what the API keeps (30 days): the row ends `in_doubt`.
///
/// See docs/in-doubt.md for why these bounds are safe.
public struct AttemptEvidence: Sendable, Equatable {
    /// A request whose fate is unknown.
    public struct Request: Sendable, Equatable {
        /// The number, E.164.
        public var e164: String
        /// When the row was marked in flight for this request (it left right after), seconds since 1970.
        public var sentAt: Double
        /// A moment after which the request can no longer leave: its transfer had ended, or the process
        /// that sent it was dead.
        public var leftBy: Double

        /// Creates a request.
        public init(e164: String, sentAt: Double, leftBy: Double) {
            self.e164 = e164
            self.sentAt = sentAt
            self.leftBy = leftBy
        }
    }

    /// What the listing proves about a request.
    public enum Verdict: Sendable, Equatable {
        /// This attempt was made by the request: the code went out.
        case sent(VerificationAttempt)
        /// The request never reached the API: it may be sent.
        case notSent
        /// Nothing proves either yet; list again at this time.
        case askAgain(at: Double)
        /// The API no longer keeps attempts that old.
        case cannotTell
    }

    /// How far the API's clock may be off ours, in seconds (attempts are matched from this long before the
    /// request to this long after the window's end).
    public var clockSkew: Double
    /// How long after a request can no longer leave its attempt is surely listed, in seconds
    /// (`--in-doubt-margin`).
    public var margin: Double
    /// How long the API keeps attempts, in seconds (30 days).
    public var retention: Double

    /// Creates the rule.
    public init(margin: Double, clockSkew: Double = 30, retention: Double = 30 * 86_400) {
        self.margin = margin
        self.clockSkew = clockSkew
        self.retention = retention
    }

    /// The creation times (whole seconds, both included) an attempt made by `request` can carry: a listing
    /// that covers them sees it.
    public func window(for request: Request) -> ClosedRange<Double> {
        (request.sentAt - clockSkew).rounded(.down)...(decisionTime(for: request) + clockSkew).rounded(.up)
    }

    /// The earliest listing time that can prove the request was not sent.
    public func decisionTime(for request: Request) -> Double { request.leftBy + margin }

    /// Judges `request` from a listing made at `listedAt` that covered its ``window(for:)``.
    ///
    /// - Parameters:
    ///   - request: the request in doubt.
    ///   - attempts: the attempts listed for its number (others are ignored).
    ///   - listedAt: when the listing's first page was asked for (later attempts may be missing from it).
    public func verdict(
        for request: Request, attempts: some Sequence<VerificationAttempt>, listedAt: Double
    ) -> Verdict {
        let window = window(for: request)
        let made = attempts.filter { $0.to == request.e164 && window.contains($0.createdAt) }
        if let first = made.min(by: { $0.createdAt < $1.createdAt }) { return .sent(first) }
        if window.lowerBound < listedAt - retention { return .cannotTell }
        if listedAt >= decisionTime(for: request) { return .notSent }
        return .askAgain(at: decisionTime(for: request))
    }
}
